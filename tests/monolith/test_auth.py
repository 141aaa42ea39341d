"""POST /api/auth/register, /login, /logout and GET /api/auth/me, as docs/contract.md says."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from .support import Api, assert_validation, bearer, error

pytestmark = pytest.mark.integration

HTTP_DATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")


def register(client: httpx.Client, body: Any) -> httpx.Response:
    return client.post("/api/auth/register", json=body)


def test_register_returns_the_user_with_an_http_date_and_lower_cased_email(
    client: httpx.Client,
) -> None:
    response = register(client, {"email": "  Alice@Example.COM ", "password": "password123",
                                 "name": "  Alice  ", "is_admin": True})  # fmt: skip
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"created_at", "email", "id", "is_admin", "name"}
    assert body["email"] == "alice@example.com"
    assert body["name"] == "Alice"
    assert body["is_admin"] is False
    assert HTTP_DATE.fullmatch(body["created_at"])
    parsed = datetime.strptime(body["created_at"], "%a, %d %b %Y %H:%M:%S GMT")
    assert abs(parsed - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)


def test_register_twice_with_the_same_email_in_other_case_is_email_taken(api: Api) -> None:
    api.register("bob@example.com")
    response = register(
        api.client, {"email": "BOB@example.com", "password": "password123", "name": "B"}
    )
    assert response.status_code == 409
    assert error(response) == {"code": "email_taken", "message": "Email is already registered"}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"password": "password123", "name": "A"}, "email", "email is required"),
        ({"email": None, "password": "password123", "name": "A"}, "email", "email is required"),
        ({"email": 5, "password": "password123", "name": "A"}, "email", "email must be a string"),
        ({"email": "x" * 250 + "@a.io", "password": "password123", "name": "A"}, "email",
         "email must be at most 254 characters"),
        ({"email": "not-an-email", "password": "password123", "name": "A"}, "email",
         "email is not a valid email address"),
        ({"email": "", "password": "password123", "name": "A"}, "email",
         "email is not a valid email address"),
        ({"email": "a@b.io", "name": "A"}, "password", "password is required"),
        ({"email": "a@b.io", "password": 12345678, "name": "A"}, "password",
         "password must be a string"),
        ({"email": "a@b.io", "password": "short", "name": "A"}, "password",
         "password must be at least 8 characters"),
        ({"email": "a@b.io", "password": "p" * 129, "name": "A"}, "password",
         "password must be at most 128 characters"),
        ({"email": "a@b.io", "password": "password123"}, "name", "name is required"),
        ({"email": "a@b.io", "password": "password123", "name": "   "}, "name",
         "name must not be empty"),
        ({"email": "a@b.io", "password": "password123", "name": ["A"]}, "name",
         "name must be a string"),
        ({"email": "a@b.io", "password": "password123", "name": "n" * 101}, "name",
         "name must be at most 100 characters"),
        # The first failure in check order wins: email before password before name.
        ({"email": "bad", "password": "x", "name": ""}, "email",
         "email is not a valid email address"),
        ({"email": "a@b.io", "password": "x", "name": ""}, "password",
         "password must be at least 8 characters"),
    ],
)  # fmt: skip
def test_register_reports_the_first_invalid_field(
    client: httpx.Client, body: dict[str, Any], field: str, message: str
) -> None:
    assert_validation(register(client, body), field, message)


def test_register_does_not_strip_the_password(api: Api) -> None:
    api.register("pad@example.com", password="  spaced  ")
    assert (
        api.client.post(
            "/api/auth/login", json={"email": "pad@example.com", "password": "spaced"}
        ).status_code
        == 401
    )
    assert api.login("pad@example.com", "  spaced  ")


def test_login_returns_a_token_and_the_user_and_stores_a_session(api: Api) -> None:
    user = api.register("carol@example.com")
    response = api.client.post(
        "/api/auth/login", json={"email": " CAROL@example.com", "password": "password123"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == user
    assert len(body["token"]) >= 40
    with api.engine.connect() as conn:
        created, expires = conn.execute(
            sa.text("SELECT created_at, expires_at FROM sessions WHERE token = :t"),
            {"t": body["token"]},
        ).one()
    if isinstance(created, str):  # SQLite hands DATETIME back as text in raw SQL
        created, expires = datetime.fromisoformat(created), datetime.fromisoformat(expires)
    assert expires - created == timedelta(seconds=3600)


@pytest.mark.parametrize(
    ("email", "password"),
    [("nobody@example.com", "password123"), ("carol@example.com", "wrong-password")],
)
def test_login_with_an_unknown_email_or_wrong_password_is_invalid_credentials(
    api: Api, email: str, password: str
) -> None:
    api.register("carol@example.com")
    response = api.client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 401
    assert error(response) == {
        "code": "invalid_credentials",
        "message": "Invalid email or password",
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"password": "password123"}, "email", "email is required"),
        ({"email": ["a"], "password": "password123"}, "email", "email must be a string"),
        ({"email": "a@b.io"}, "password", "password is required"),
        ({"email": "a@b.io", "password": None}, "password", "password is required"),
        ({"email": "a@b.io", "password": True}, "password", "password must be a string"),
    ],
)
def test_login_type_errors_are_validation_errors(
    client: httpx.Client, body: dict[str, Any], field: str, message: str
) -> None:
    assert_validation(client.post("/api/auth/login", json=body), field, message)


def test_me_returns_the_caller(api: Api) -> None:
    token = api.user_token("dave@example.com")
    response = api.client.get("/api/auth/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["email"] == "dave@example.com"


def test_the_bearer_scheme_is_case_insensitive(api: Api) -> None:
    token = api.user_token()
    response = api.client.get("/api/auth/me", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Basic dXNlcjpwYXNz"},
     {"Authorization": "Bearer"}, {"Authorization": "Bearer a b"}, {"Authorization": "Token abc"}],
)  # fmt: skip
def test_a_missing_or_non_bearer_authorization_is_unauthorized(
    client: httpx.Client, headers: dict[str, str]
) -> None:
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert error(response) == {"code": "unauthorized", "message": "Authentication required"}


def test_an_unknown_token_is_invalid_token(client: httpx.Client) -> None:
    response = client.get("/api/auth/me", headers=bearer("no-such-token"))
    assert response.status_code == 401
    assert error(response) == {"code": "invalid_token", "message": "Invalid or expired token"}


def test_an_expired_token_is_invalid_token(api: Api) -> None:
    token = api.user_token()
    with api.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE sessions SET expires_at = :past WHERE token = :t"),
            {"past": datetime(2020, 1, 1), "t": token},
        )
    response = api.client.get("/api/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert error(response)["code"] == "invalid_token"


def test_logout_revokes_the_token_at_once_and_answers_204_without_a_body(api: Api) -> None:
    token = api.user_token()
    other = api.login("alice@example.com")
    response = api.client.post("/api/auth/logout", headers=bearer(token))
    assert response.status_code == 204
    assert response.content == b""
    assert error(api.client.get("/api/auth/me", headers=bearer(token)))["code"] == "invalid_token"
    assert api.client.get("/api/auth/me", headers=bearer(other)).status_code == 200
    again = api.client.post("/api/auth/logout", headers=bearer(token))
    assert again.status_code == 401


def test_logout_without_a_token_is_unauthorized(client: httpx.Client) -> None:
    assert error(client.post("/api/auth/logout"))["code"] == "unauthorized"


def test_register_writes_a_user_registered_event_with_the_password_hash(api: Api) -> None:
    import json

    user = api.register("eve@example.com")
    with api.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT aggregate, aggregate_id, type, payload FROM outbox")
        ).one()
    assert (row.aggregate, row.aggregate_id, row.type) == (
        "user",
        str(user["id"]),
        "user.registered",
    )
    event = json.loads(row.payload)
    assert event["version"] == 1
    assert event["data"]["email"] == "eve@example.com"
    assert event["data"]["password_hash"].startswith("pbkdf2:sha256:1000$")
