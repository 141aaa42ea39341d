"""The sync both ways on PostgreSQL (explicit ids move the sequences; types round-trip)."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from extracted.common.bus import write_to_outbox
from extracted.common.events import Event
from migration_plan.data.verify import verify

from .conftest import World, login

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
def database_kind() -> str:
    return "postgres"


def clean(world: World, *services: str) -> bool:
    return all(
        table.clean
        for service in services
        for table in verify(service, world.monolith, world.engines[service])
    )


def test_monolith_writes_reach_the_services_on_postgres(
    world: World, monolith: httpx.Client
) -> None:
    headers = login(monolith)
    line = {"product_id": 1, "quantity": 2}
    order = monolith.post("/api/orders", json={"items": [line]}, headers=headers).json()
    monolith.post(f"/api/orders/{order['id']}/cancel", headers=headers)
    monolith.post(
        "/api/auth/register",
        json={"email": "pg@example.com", "name": "Pg", "password": "password123"},
    )
    world.sync()
    assert clean(world, "auth", "products", "orders")


def test_a_service_order_reaches_the_monolith_and_its_sequence_moves_on(world: World) -> None:
    world.owners.update({"orders": "orders", "order_items": "orders"})
    orders = world.engines["orders"]
    with orders.begin() as conn:
        order_id = conn.execute(
            sa.text(
                "INSERT INTO orders (user_id, status, total, created_at, updated_at) "
                "VALUES (2, 'pending', 9.99, now(), now()) RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO order_items (order_id, position, product_id, product_name, "
                "unit_price, quantity, line_total) VALUES (:o, 0, 1, 'Fig', 9.99, 1, 9.99)"
            ),
            {"o": order_id},
        )
        event = Event("order.created", "order", str(order_id), {"id": order_id})
        write_to_outbox(conn, [event])
    world.sync()
    assert clean(world, "orders")
    with world.monolith.begin() as conn:  # the monolith's next order id is past the synced one
        next_id = conn.execute(
            sa.text(
                "INSERT INTO orders (user_id, status, total, created_at, updated_at) "
                "VALUES (2, 'pending', 1, now(), now()) RETURNING id"
            )
        ).scalar_one()
    assert next_id > order_id
