"""Monolith writes reach the services, service writes reach the monolith, per ownership."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from extracted.auth_service.app import create_app as create_auth
from extracted.auth_service.settings import AuthSettings
from extracted.common.bus import write_to_outbox
from extracted.common.events import Event
from migration_plan.data.sync import ToMonolith
from migration_plan.data.verify import verify

from .conftest import FAST_HASH, World, login

pytestmark = pytest.mark.integration


def on_auth_service(world: World, *calls: tuple[str, dict[str, Any]]) -> list[httpx.Response]:
    """POST each (path, json) to an auth_service over the world's auth database, in order."""
    settings = AuthSettings(
        database_url=world.urls["auth"], password_hash_method=FAST_HASH, legacy_url=""
    )

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient() as upstream:
            app = create_auth(settings, client=upstream)
            transport = httpx.ASGITransport(app=app)
            try:
                async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as c:
                    return [await c.post(path, json=body) for path, body in calls]
            finally:
                app.state.runtime.database.dispose()

    return asyncio.run(run())


def parity_clean(world: World, service: str) -> bool:
    return all(t.clean for t in verify(service, world.monolith, world.engines[service]))


def stock(engine: sa.Engine, product_id: int) -> int:
    with engine.connect() as conn:
        query = sa.text("SELECT stock FROM products WHERE id = :id")
        return int(conn.execute(query, {"id": product_id}).scalar_one())


def test_a_monolith_order_reaches_orders_and_products(world: World, monolith: httpx.Client) -> None:
    headers = login(monolith)
    placed = monolith.post(
        "/api/orders", json={"items": [{"product_id": 1, "quantity": 2}]}, headers=headers
    )
    assert placed.status_code == 201, placed.text
    assert not parity_clean(world, "orders")

    world.sync()

    assert parity_clean(world, "orders")
    assert parity_clean(world, "products")
    assert stock(world.engines["products"], 1) == stock(world.monolith, 1)


def test_a_monolith_cancel_follows_the_order(world: World, monolith: httpx.Client) -> None:
    headers = login(monolith)
    order = monolith.post(
        "/api/orders", json={"items": [{"product_id": 2, "quantity": 1}]}, headers=headers
    ).json()
    world.sync()
    cancelled = monolith.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text

    world.sync()

    assert parity_clean(world, "orders") and parity_clean(world, "products")


def test_synced_writes_announce_nothing_so_nothing_echoes(
    world: World, monolith: httpx.Client
) -> None:
    headers = login(monolith)
    monolith.post(
        "/api/orders", json={"items": [{"product_id": 1, "quantity": 1}]}, headers=headers
    )
    world.sync()

    assert {name: world.outbox_rows(name) for name in ("auth", "products", "orders")} == {
        "auth": 0,
        "products": 0,
        "orders": 0,
    }


def test_service_changes_reach_the_monolith_only_once_it_owns_the_table(world: World) -> None:
    products = world.engines["products"]

    def restock(level: int) -> None:
        with products.begin() as conn:
            conn.execute(sa.text("UPDATE products SET stock = :s WHERE id = 3"), {"s": level})
            event = Event("stock.changed", "product", "3", {"product_id": 3, "stock": level})
            write_to_outbox(conn, [event])

    restock(77)
    world.sync()
    assert stock(world.monolith, 3) != 77  # products still belong to the monolith

    world.owners["products"] = "products"
    restock(78)
    world.sync()
    assert stock(world.monolith, 3) == 78
    assert parity_clean(world, "products")


def test_the_monolith_ignores_its_own_events_coming_back(world: World) -> None:
    """An event whose origin is the monolith is never applied to the monolith."""
    world.owners["products"] = "products"
    to_legacy = world.handlers()["sync-to-legacy"]
    assert isinstance(to_legacy, ToMonolith)
    try:
        event = Event("stock.changed", "product", "1", {"stock": 0}, origin="legacy")
        assert to_legacy.apply(event) == 0
        assert to_legacy.apply(replace(event, origin="products")) == 1
    finally:
        to_legacy.close()


def test_a_token_issued_by_auth_service_works_on_the_monolith(
    world: World, monolith: httpx.Client
) -> None:
    credentials = {"email": "dora@example.com", "password": "password123"}
    registered, logged_in = on_auth_service(
        world,
        ("/api/auth/register", {**credentials, "name": "Dora"}),
        ("/api/auth/login", credentials),
    )
    assert registered.status_code == 201, registered.text
    token = logged_in.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert monolith.get("/api/auth/me", headers=headers).status_code == 401

    world.sync()

    me = monolith.get("/api/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["email"] == "dora@example.com"
    assert parity_clean(world, "auth")


def test_a_user_registered_on_the_monolith_can_log_in_on_auth_service(
    world: World, monolith: httpx.Client
) -> None:
    registered = monolith.post(
        "/api/auth/register",
        json={"email": "erin@example.com", "name": "Erin", "password": "password123"},
    )
    assert registered.status_code == 201, registered.text
    world.sync()

    [answer] = on_auth_service(
        world, ("/api/auth/login", {"email": "erin@example.com", "password": "password123"})
    )
    assert answer.status_code == 200, answer.text
