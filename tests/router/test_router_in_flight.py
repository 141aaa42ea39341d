"""A shadow difference while the sync still owed a write (by its watermark) when the service
answered is `in_flight`; once the watermark passes the write, the same difference is a mismatch."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from router_fakes import endpoint

from router.in_flight import WATERMARK_CACHE_S, RecentWrites

PRODUCT = endpoint("GET /api/products/{id}", mode="shadow")
SHADOW = "shadow: {timeout_seconds: 0.5, max_concurrency: 2, max_body_bytes: 100}\n"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Watermark:
    """Stands in for the sync's published watermark."""

    def __init__(self, value: float | None = None) -> None:
        self.value = value

    def read(self) -> float | None:
        return self.value


@pytest.mark.unit
def test_a_write_is_owed_until_the_sync_watermark_passes_it() -> None:
    clock = Clock()
    recent = RecentWrites(2.0, Watermark(), clock)
    assert not recent.owed(50.0)  # nothing written through the router yet
    recent.wrote("orders")  # answered at 100.0
    assert recent.owed(99.9)
    assert not recent.owed(100.0)  # the sync applied everything committed before 100.0


@pytest.mark.unit
def test_only_writes_to_the_services_an_answer_shows_are_owed() -> None:
    recent = RecentWrites(2.0, Watermark(), Clock())
    recent.wrote("orders")
    assert recent.owed(99.9, frozenset({"orders", "products"}))
    assert not recent.owed(99.9, frozenset({"auth"}))  # a login shows no order
    assert recent.owed(99.9, None)  # a service the plan says nothing about shows anything
    recent.wrote(None)  # a write through no route of the plan: it may have changed anything
    assert recent.owed(99.9, frozenset({"auth"}))


@pytest.mark.unit
def test_without_a_watermark_nothing_is_owed_and_a_far_behind_sync_owes_nothing_either() -> None:
    clock = Clock()
    recent = RecentWrites(2.0, Watermark(), clock)
    recent.wrote("products")
    assert not recent.owed(None)  # no evidence the sync is behind
    clock.now += 2.0
    assert not recent.owed(50.0)  # 2 s behind: a failure, not lag


@pytest.mark.integration
@pytest.mark.anyio
async def test_a_difference_is_in_flight_only_while_the_watermark_is_behind_the_write(
    rig_factory: Any,
) -> None:
    watermark = Watermark(0.0)  # the sync has published, and is behind
    async with rig_factory(PRODUCT, shadow=SHADOW) as rig:
        rig.app.shadower.recent_writes = RecentWrites(30.0, watermark)
        rig.products.product_name = "The Fog Tree"  # the service has not caught up
        await rig.client.put("/api/products/3", json={"stock": 1})  # a write, through legacy
        await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()
        first = dict(rig.app.stats.snapshot("GET /api/products/{id}")["shadow"])
        await asyncio.sleep(WATERMARK_CACHE_S * 2)
        watermark.value = time.time()  # caught up: the same difference is real now
        await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()
        later = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
        examples = rig.app.stats.mismatch_examples()
    # in flight is not a comparison: the gates read compared and mismatched only
    assert (first["compared"], first["in_flight"], first["mismatched"]) == (0, 1, 0)
    assert (later["compared"], later["in_flight"], later["mismatched"]) == (1, 1, 1)
    assert len(examples) == 1
    outcomes = rig.app.metrics.render()[0].decode()
    assert 'strangler_router_shadow_outcomes_total{outcome="in_flight"' in outcomes


STOCK_CHECK = endpoint("POST /api/stock/verify")
QUIET_SHADOW = (
    "shadow: {timeout_seconds: 0.5, max_concurrency: 2, max_body_bytes: 100,"
    ' writes_nothing: ["POST /api/stock/verify"]}\n'
)


@pytest.mark.integration
@pytest.mark.anyio
@pytest.mark.parametrize(
    ("write", "in_flight"),
    [
        ("/api/products/3", 1),  # legacy took it: the sync owes it
        ("/api/refused", 0),  # legacy refused it (409): it committed nothing
        ("/api/stock/verify", 0),  # a POST the plan says writes nothing
    ],
)
async def test_only_an_answer_that_may_have_committed_makes_a_difference_in_flight(
    rig_factory: Any, write: str, in_flight: int
) -> None:
    watermark = Watermark(0.0)  # the sync has published, and is behind
    async with rig_factory(PRODUCT + STOCK_CHECK, shadow=QUIET_SHADOW) as rig:
        rig.app.shadower.recent_writes = RecentWrites(30.0, watermark)
        rig.products.product_name = "The Fog Tree"  # the service differs
        await rig.client.post(write, json={"items": []})
        await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()
        shadow_stats = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
    assert (shadow_stats["in_flight"], shadow_stats["mismatched"]) == (in_flight, 1 - in_flight)


@pytest.mark.integration
@pytest.mark.anyio
async def test_without_a_window_every_difference_is_a_mismatch(rig_factory: Any) -> None:
    async with rig_factory(PRODUCT, shadow=SHADOW) as rig:
        assert rig.app.shadower.recent_writes is None  # ROUTER_SHADOW_IN_FLIGHT_MS defaults to 0
        rig.products.product_name = "The Fog Tree"
        await rig.client.put("/api/products/3", json={"stock": 1})
        await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()
        shadow = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
    assert (shadow["in_flight"], shadow["mismatched"]) == (0, 1)
