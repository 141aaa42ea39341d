"""Shadowed writes (`X-Strangler-Shadow: 1`) answer as the real write would, and leave no trace."""

from __future__ import annotations

import httpx
import pytest
import respx

from extracted.common.events import InMemoryPublisher

from .helpers import bearer, login, register

pytestmark = pytest.mark.anyio

SHADOW = {"X-Strangler-Shadow": "1"}
ALICE = {"email": "alice@example.com", "password": "correct horse", "name": "Alice"}


async def test_a_shadowed_register_answers_201_but_stores_and_publishes_nothing(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    shadow = await client.post("/api/auth/register", json=ALICE, headers=SHADOW)
    assert shadow.status_code == 201
    assert shadow.json()["email"] == "alice@example.com"
    assert publisher.published == []
    real = await client.post("/api/auth/register", json=ALICE)
    assert real.status_code == 201  # the email was never taken


async def test_a_shadowed_register_of_a_taken_email_is_still_409(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    response = await client.post("/api/auth/register", json=ALICE, headers=SHADOW)
    assert response.status_code == 409


async def test_a_shadowed_login_returns_a_token_that_never_works(
    client: httpx.AsyncClient, publisher: InMemoryPublisher, legacy: respx.MockRouter
) -> None:
    legacy.get("/api/auth/me").respond(
        401, json={"error": {"code": "invalid_token", "message": "Invalid or expired token"}}
    )
    await register(client)
    published = len(publisher.published)
    response = await client.post(
        "/api/auth/login",
        json={"email": ALICE["email"], "password": ALICE["password"]},
        headers=SHADOW,
    )
    assert response.status_code == 200
    assert len(publisher.published) == published
    me = await client.get("/api/auth/me", headers=bearer(response.json()["token"]))
    assert me.status_code == 401


async def test_a_shadowed_logout_is_204_and_the_token_keeps_working(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    await register(client)
    token = await login(client)
    published = len(publisher.published)
    response = await client.post("/api/auth/logout", headers={**bearer(token), **SHADOW})
    assert response.status_code == 204
    assert len(publisher.published) == published
    assert (await client.get("/api/auth/me", headers=bearer(token))).status_code == 200


async def test_a_shadowed_request_does_not_cache_an_introspection(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    user = {
        "created_at": "Fri, 27 Nov 2026 04:34:17 GMT",
        "email": "carol@example.com",
        "id": 41,
        "is_admin": False,
        "name": "Carol",
    }
    route = legacy.get("/api/auth/me").respond(200, json=user)
    response = await client.post("/api/auth/logout", headers={**bearer("tok"), **SHADOW})
    assert response.status_code == 204
    assert (await client.get("/api/auth/me", headers=bearer("tok"))).status_code == 200
    assert route.call_count == 2
