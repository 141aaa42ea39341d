"""Every write of a synced table announces itself in its own transaction, so after the sync
`data verify` is clean: each (endpoint, field), monolith -> service and service -> monolith,
on SQLite and on PostgreSQL. Before product.updated, a PATCH of anything but the stock
left the other side's row stale."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import sessionmaker

from extracted.common.events import NullPublisher
from extracted.common.unit_of_work import unit_of_work
from extracted.products_service import catalogue
from migration_plan.data.verify import verify

from .conftest import World, login

pytestmark = pytest.mark.integration

# One change per writable field of PATCH /api/products/{id}.
PRODUCT_FIELDS: dict[str, Any] = {
    "name": "Renamed by the test",
    "description": "A description nobody had before",
    "category": "garden",
    "price": "123.45",
    "stock": 4321,
}
NEW_PRODUCT = {
    "sku": "TEST-9999",
    "name": "Brand new",
    "description": "made by the test",
    "category": "toys",
    "price": "5.50",
    "stock": 7,
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def dirty(world: World, *services: str) -> list[str]:
    """The tables `data verify` finds different, as `service.table`."""
    return [
        f"{service}.{table.table}"
        for service in services
        for table in verify(service, world.monolith, world.engines[service])
        if not table.clean
    ]


def admin(monolith: httpx.Client) -> dict[str, str]:
    answer = monolith.post(
        "/api/auth/login", json={"email": "admin@example.com", "password": "admin-password"}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


# --- monolith -> service: the monolith owns every table (the default ownership) ---


@pytest.mark.parametrize("field", sorted(PRODUCT_FIELDS))
def test_a_monolith_product_patch_reaches_products_service(
    world: World, monolith: httpx.Client, field: str
) -> None:
    answer = monolith.patch(
        "/api/products/1", json={field: PRODUCT_FIELDS[field]}, headers=admin(monolith)
    )
    assert answer.status_code == 200, answer.text

    world.sync()

    assert dirty(world, "products") == []


def test_a_monolith_product_create_reaches_products_service(
    world: World, monolith: httpx.Client
) -> None:
    answer = monolith.post("/api/products", json=NEW_PRODUCT, headers=admin(monolith))
    assert answer.status_code == 201, answer.text
    world.sync()
    assert dirty(world, "products") == []


MonolithWrite = Callable[[httpx.Client], None]


def _order(client: httpx.Client) -> int:
    headers = login(client)
    line = {"product_id": 2, "quantity": 1}
    answer = client.post("/api/orders", json={"items": [line]}, headers=headers)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _cancel(client: httpx.Client) -> None:
    order_id = _order(client)
    answer = client.post(f"/api/orders/{order_id}/cancel", headers=login(client))
    assert answer.status_code == 200, answer.text


def _register(client: httpx.Client) -> None:
    body = {"email": "new@example.com", "name": "New", "password": "password123"}
    assert client.post("/api/auth/register", json=body).status_code == 201


def _logout(client: httpx.Client) -> None:
    headers = login(client)
    assert client.post("/api/auth/logout", headers=headers).status_code in (200, 204)


MONOLITH_WRITES: dict[str, MonolithWrite] = {
    "POST /api/orders": lambda client: None if _order(client) else None,
    "POST /api/orders/{id}/cancel": _cancel,
    "POST /api/auth/register": _register,
    "POST /api/auth/login": lambda client: None if login(client) else None,
    "POST /api/auth/logout": _logout,
}


@pytest.mark.parametrize("endpoint", sorted(MONOLITH_WRITES))
def test_every_other_monolith_write_reaches_the_services(
    world: World, monolith: httpx.Client, endpoint: str
) -> None:
    MONOLITH_WRITES[endpoint](monolith)
    world.sync()
    assert dirty(world, "auth", "products", "orders") == []


# --- service -> monolith: products_service owns `products` ---


def _on_products_service(world: World, write: Callable[[Any], dict[str, Any]]) -> None:
    """One write through products_service's own write path (catalogue + unit of work)."""
    sessions = sessionmaker(world.engines["products"])
    with unit_of_work(sessions, NullPublisher(), dry_run=False) as uow:
        write(uow)


@pytest.mark.parametrize("field", sorted(PRODUCT_FIELDS))
def test_a_service_product_patch_reaches_the_monolith(world: World, field: str) -> None:
    world.owners["products"] = "products"

    def patch(uow: Any) -> dict[str, Any]:
        row = catalogue.load(uow.session, 1)
        return catalogue.update(uow, row, {field: PRODUCT_FIELDS[field]})

    _on_products_service(world, patch)
    world.sync()

    assert dirty(world, "products") == []


def test_a_service_product_create_reaches_the_monolith(world: World) -> None:
    world.owners["products"] = "products"
    _on_products_service(world, lambda uow: catalogue.create(uow, NEW_PRODUCT))
    world.sync()
    assert dirty(world, "products") == []
