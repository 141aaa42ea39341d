"""GET /api/users/{id}: admins read anyone, everyone else only themselves."""

from __future__ import annotations

import pytest

from .support import Api, bearer, error

pytestmark = pytest.mark.integration


def test_a_user_can_read_their_own_account(api: Api) -> None:
    token = api.user_token("alice@example.com")
    me = api.client.get("/api/auth/me", headers=bearer(token)).json()
    response = api.client.get(f"/api/users/{me['id']}", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == me


@pytest.mark.parametrize("other", ["existing", "missing", "huge"])
def test_a_non_admin_asking_for_another_id_is_forbidden_whether_or_not_it_exists(
    api: Api, other: str
) -> None:
    bob = api.register("bob@example.com")
    token = api.user_token("alice@example.com")
    ident = {"existing": bob["id"], "missing": 999, "huge": 2**70}[other]
    response = api.client.get(f"/api/users/{ident}", headers=bearer(token))
    assert response.status_code == 403
    assert error(response) == {
        "code": "forbidden",
        "message": "You may only view your own account",
    }


def test_an_admin_reads_any_account_and_gets_404_for_unknown_ids(api: Api) -> None:
    bob = api.register("bob@example.com")
    admin = api.admin_token()
    assert api.client.get(f"/api/users/{bob['id']}", headers=bearer(admin)).json() == bob
    for ident in (7, 2**63, 10**30):
        response = api.client.get(f"/api/users/{ident}", headers=bearer(admin))
        assert response.status_code == 404
        assert error(response) == {"code": "not_found", "message": f"User {ident} not found"}


def test_reading_a_user_needs_a_valid_token(api: Api) -> None:
    assert error(api.client.get("/api/users/1"))["code"] == "unauthorized"
    bad = api.client.get("/api/users/1", headers=bearer("nope"))
    assert error(bad)["code"] == "invalid_token"
