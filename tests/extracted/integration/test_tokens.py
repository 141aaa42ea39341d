"""Tokens across the migration: a monolith token on orders_service, a service token on the
monolith (through the legacy bridge), both on the in-process apps."""

from __future__ import annotations

import pytest

from migration_plan.data.legacy_bridge import LegacyBridge

from .conftest import AUTH, MONOLITH, ORDERS, Stack, bearer, login

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

ORDER = {"items": [{"product_id": 3, "quantity": 1}]}


async def test_a_monolith_token_places_an_order_on_orders_service(stack: Stack) -> None:
    token = await login(stack.client, MONOLITH, "bob@example.com")
    placed = await stack.client.post(f"{ORDERS}/api/orders", json=ORDER, headers=bearer(token))
    assert placed.status_code == 201, placed.text
    assert placed.json()["user_id"] == 3  # bob, as the monolith knows him
    mine = await stack.client.get(f"{ORDERS}/api/orders", headers=bearer(token))
    assert [o["id"] for o in mine.json()["items"]][0] == placed.json()["id"]
    # auth_service asked the monolith, with the token, the public contract's way:
    assert ("GET", f"{MONOLITH}/api/auth/me") in stack.network.log


async def test_an_unknown_token_is_401_through_every_hop(stack: Stack) -> None:
    response = await stack.client.post(f"{ORDERS}/api/orders", json=ORDER, headers=bearer("x"))
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "invalid_token", "message": "Invalid or expired token"}
    }


async def test_a_service_token_works_on_the_monolith_once_the_bridge_applied_it(
    stack: Stack,
) -> None:
    bridge = LegacyBridge(stack.urls["monolith"])
    stack.auth_events.subscribe(bridge)
    try:
        registered = await stack.client.post(
            f"{AUTH}/api/auth/register",
            json={"email": "erin@example.com", "password": "password123", "name": "Erin"},
        )
        assert registered.status_code == 201, registered.text
        token = await login(stack.client, AUTH, "erin@example.com")

        me = await stack.client.get(f"{MONOLITH}/api/auth/me", headers=bearer(token))
        assert me.status_code == 200
        assert me.json() == registered.json()
        order = await stack.client.post(f"{MONOLITH}/api/orders", json=ORDER, headers=bearer(token))
        assert order.status_code == 201
        assert order.json()["user_id"] == registered.json()["id"]
        # and the password works on the monolith too: the hash travelled with user.registered
        await login(stack.client, MONOLITH, "erin@example.com")

        logout = await stack.client.post(f"{AUTH}/api/auth/logout", headers=bearer(token))
        assert logout.status_code == 204
        after = await stack.client.get(f"{MONOLITH}/api/auth/me", headers=bearer(token))
        assert after.status_code == 401
    finally:
        bridge.close()
