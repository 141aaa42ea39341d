"""Register, login, logout, me and users/{id}, compared to the contract's exact answers."""

from __future__ import annotations

import re

import httpx
import pytest
from werkzeug.security import check_password_hash

from extracted.common.events import InMemoryPublisher

from .helpers import bearer, login, register

pytestmark = pytest.mark.anyio

HTTP_DATE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")


async def test_register_returns_the_user_with_an_http_date_and_lower_cased_email(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": "  Alice@Example.COM ", "password": "correct horse", "name": " Alice "},
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"created_at", "email", "id", "is_admin", "name"}
    assert body["email"] == "alice@example.com"
    assert body["name"] == "Alice"
    assert body["is_admin"] is False
    assert HTTP_DATE.match(body["created_at"])
    assert response.text.endswith("\n")
    assert response.text.index('"created_at"') < response.text.index('"email"')


async def test_register_publishes_user_registered_with_a_werkzeug_hash(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    user = await register(client)
    [event] = publisher.published
    assert event.type == "user.registered"
    assert event.aggregate == "user" and event.aggregate_id == str(user["id"])
    assert {k: v for k, v in event.data.items() if k != "password_hash"} == user
    assert event.data["password_hash"].startswith("pbkdf2:sha256:1000$")
    assert check_password_hash(event.data["password_hash"], "correct horse")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "email", "email is required"),
        ({"email": None}, "email", "email is required"),
        ({"email": 5}, "email", "email must be a string"),
        ({"email": "a" * 250 + "@x.io"}, "email", "email must be at most 254 characters"),
        ({"email": "not-an-email"}, "email", "email is not a valid email address"),
        ({"email": ""}, "email", "email is not a valid email address"),
        ({"email": "a@b.c"}, "password", "password is required"),
        ({"email": "a@b.c", "password": 12345678}, "password", "password must be a string"),
        (
            {"email": "a@b.c", "password": "short"},
            "password",
            "password must be at least 8 characters",
        ),
        (
            {"email": "a@b.c", "password": "x" * 129},
            "password",
            "password must be at most 128 characters",
        ),
        ({"email": "a@b.c", "password": "long enough"}, "name", "name is required"),
        (
            {"email": "a@b.c", "password": "long enough", "name": "  "},
            "name",
            "name must not be empty",
        ),
        (
            {"email": "a@b.c", "password": "long enough", "name": True},
            "name",
            "name must be a string",
        ),
        (
            {"email": "a@b.c", "password": "long enough", "name": "n" * 101},
            "name",
            "name must be at most 100 characters",
        ),
    ],
)
async def test_register_reports_the_first_invalid_field_in_check_order(
    client: httpx.AsyncClient, body: dict[str, object], field: str, message: str
) -> None:
    response = await client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "error": {"code": "validation_error", "details": {"field": field}, "message": message}
    }


async def test_password_is_not_stripped_so_spaces_count_towards_its_length(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/auth/register", json={"email": "a@b.co", "password": "  abcd  ", "name": "A"}
    )
    assert response.status_code == 201


async def test_registering_a_taken_email_in_any_case_is_409(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.post(
        "/api/auth/register",
        json={"email": "ALICE@example.com", "password": "another one", "name": "Other"},
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": {"code": "email_taken", "message": "Email is already registered"}
    }


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b'"text"', b"null", b"\xff\xfe"])
async def test_a_body_that_is_not_a_json_object_is_400(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post("/api/auth/register", content=content)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "bad_request", "message": "Request body must be a JSON object"}
    }


async def test_the_body_is_json_whatever_the_content_type_says(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register",
        content=b'{"email": "t@x.io", "password": "password1", "name": "T"}',
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 201


async def test_a_body_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/register", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json() == {
        "error": {"code": "payload_too_large", "message": "Request body is too large"}
    }


async def test_login_returns_a_token_and_the_user_and_publishes_session_created(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    user = await register(client)
    response = await client.post(
        "/api/auth/login", json={"email": " ALICE@example.com", "password": "correct horse"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == user
    assert len(body["token"]) >= 40
    event = publisher.published[-1]
    assert event.type == "session.created"
    assert event.data["token"] == body["token"]
    assert event.data["user_id"] == user["id"]
    assert HTTP_DATE.match(event.data["expires_at"])


async def test_session_created_occurs_at_the_sessions_own_created_at(
    client: httpx.AsyncClient, publisher: InMemoryPublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The monolith keeps occurred_at as the session's created_at: a later clock reading could
    fall in the next second and leave the two sides' rows different for good."""
    from datetime import datetime

    from extracted.auth_service import accounts

    await register(client)
    monkeypatch.setattr(accounts, "utcnow", lambda: datetime(2026, 1, 1, 23, 59, 59))
    await login(client)
    event = publisher.published[-1]
    assert event.type == "session.created"
    assert event.occurred_at == "2026-01-01T23:59:59+00:00"


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        (
            {"email": "alice@example.com", "password": "wrong pass"},
            401,
            "invalid_credentials",
            "Invalid email or password",
        ),
        (
            {"email": "bob@example.com", "password": "correct horse"},
            401,
            "invalid_credentials",
            "Invalid email or password",
        ),
        ({"password": "correct horse"}, 422, "validation_error", "email is required"),
        ({"email": 1, "password": "x"}, 422, "validation_error", "email must be a string"),
        ({"email": "alice@example.com"}, 422, "validation_error", "password is required"),
        (
            {"email": "alice@example.com", "password": False},
            422,
            "validation_error",
            "password must be a string",
        ),
    ],
)
async def test_login_failures_use_the_contract_envelope(
    client: httpx.AsyncClient, body: dict[str, object], status: int, code: str, message: str
) -> None:
    await register(client)
    response = await client.post("/api/auth/login", json=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"] == message


async def test_me_returns_the_caller(client: httpx.AsyncClient) -> None:
    user = await register(client)
    token = await login(client)
    response = await client.get("/api/auth/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == user


@pytest.mark.parametrize("header", [None, "", "Token abc", "Bearer", "Bearer a b", "bearer"])
async def test_me_without_a_bearer_token_is_unauthorized(
    client: httpx.AsyncClient, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "unauthorized", "message": "Authentication required"}
    }


async def test_the_bearer_scheme_is_case_insensitive(client: httpx.AsyncClient) -> None:
    await register(client)
    token = await login(client)
    response = await client.get("/api/auth/me", headers={"Authorization": f"bEaReR {token}"})
    assert response.status_code == 200


async def test_logout_is_204_with_an_empty_body_and_the_token_stops_working_at_once(
    client: httpx.AsyncClient, publisher: InMemoryPublisher, legacy: object
) -> None:
    await register(client)
    token = await login(client)
    response = await client.post("/api/auth/logout", headers=bearer(token))
    assert response.status_code == 204
    assert response.content == b""
    assert publisher.published[-1].type == "session.revoked"
    assert publisher.published[-1].data["token"] == token


async def test_logout_requires_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/logout")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_users_can_read_their_own_account(client: httpx.AsyncClient) -> None:
    user = await register(client)
    token = await login(client)
    response = await client.get(f"/api/users/{user['id']}", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == user


@pytest.mark.parametrize("other", ["999", "18446744073709551616"])
async def test_a_non_admin_reading_another_id_is_403_whether_or_not_it_exists(
    client: httpx.AsyncClient, other: str
) -> None:
    await register(client)
    token = await login(client)
    response = await client.get(f"/api/users/{other}", headers=bearer(token))
    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "forbidden", "message": "You may only view your own account"}
    }


async def test_users_endpoint_requires_a_token_before_anything_else(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/users/1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
