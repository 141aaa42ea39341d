"""Nothing is lost: a broker outage during writes, a consumer killed mid-batch (both buses)."""

from __future__ import annotations

import time

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from extracted.common.bus import BusUnavailable, IdempotentHandler, OutboxRelay
from migration_plan.data.sync import FromMonolith
from migration_plan.data.verify import verify

from .conftest import STREAMS, VISIBILITY_MS, World, login

pytestmark = pytest.mark.integration


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def bus_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def clean(world: World, *services: str) -> bool:
    return all(
        table.clean
        for service in services
        for table in verify(service, world.monolith, world.engines[service])
    )


def place_orders(monolith: httpx.Client, count: int) -> list[int]:
    headers = login(monolith)
    ids = []
    for n in range(count):
        line = {"product_id": 1 + n % 5, "quantity": 1}
        answer = monolith.post("/api/orders", json={"items": [line]}, headers=headers)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def unpublished(world: World) -> int:
    return OutboxRelay(world.monolith, world.bus).unpublished()


def test_writes_during_a_broker_outage_all_arrive_once_it_returns(
    world: World, monolith: httpx.Client, make_bus: object
) -> None:
    down = make_bus(unreachable=True)  # type: ignore[operator]
    relay = OutboxRelay(world.monolith, down, origin="legacy")
    for _ in range(3):  # writes keep coming while the relay keeps failing
        place_orders(monolith, 4)
        with pytest.raises(BusUnavailable):
            relay.relay_once()
    assert unpublished(world) >= 12 * 2  # an order.created and a stock.changed per order
    assert not clean(world, "orders")

    world.sync()  # the broker is back

    assert unpublished(world) == 0
    assert clean(world, "orders", "products")


def test_a_consumer_killed_mid_batch_is_redelivered_and_applied_once(
    world: World, monolith: httpx.Client
) -> None:
    place_orders(monolith, 6)
    world.relay("legacy")
    apply = FromMonolith("orders", world.monolith, lambda: world.owners)
    handler = IdempotentHandler(sessionmaker(world.engines["orders"]), apply, "sync-from-legacy")
    group = "sync-to-orders"
    world.bus.subscribe(group, STREAMS)

    batch = world.bus.read(group, "doomed", count=8)
    assert len(batch) == 8
    for delivery in batch[:5]:  # applied and committed, then the process dies: no ack
        handler(delivery.event)

    time.sleep(VISIBILITY_MS / 1000 + 0.2)
    seen: list[str] = []
    while deliveries := world.bus.read(group, "survivor", count=50, block_ms=100):
        for delivery in deliveries:
            seen.append(delivery.event.id)
            handler(delivery.event)
        world.bus.ack_many(group, deliveries)

    assert {d.event.id for d in batch} <= set(seen)  # every unacked one came back
    assert clean(world, "orders")
    with world.engines["orders"].connect() as conn:
        applied = conn.execute(
            sa.text("SELECT count(*) FROM processed_events WHERE consumer = 'sync-from-legacy'")
        ).scalar_one()
    assert applied == len(set(seen))  # once each, the five applied before the crash included
