"""A shadow difference right after a write to the same resource is the sync's lag: `in_flight`."""

from __future__ import annotations

from typing import Any

import pytest
from router_fakes import endpoint

from router.in_flight import RecentWrites, resource_of

PRODUCT = endpoint("GET /api/products/{id}", mode="shadow")
SHADOW = "shadow: {timeout_seconds: 0.5, max_concurrency: 2, max_body_bytes: 100}\n"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.unit
def test_a_resource_is_the_first_segment_after_api() -> None:
    assert resource_of("/api/products/3?x=1") == "products"
    assert resource_of("/api/auth/login") == "auth"
    assert resource_of("/") == ""


@pytest.mark.unit
def test_an_order_write_puts_products_in_flight_too_until_the_window_ends() -> None:
    clock = Clock()
    recent = RecentWrites(2.0, clock)
    recent.wrote("/api/orders")
    assert recent.recent("/api/products/1") and recent.recent("/api/orders/9")
    assert not recent.recent("/api/auth/me")
    clock.now += 2.0
    assert not recent.recent("/api/products/1")


@pytest.mark.integration
@pytest.mark.anyio
async def test_a_difference_right_after_a_write_is_in_flight_and_later_a_mismatch(
    rig_factory: Any,
) -> None:
    clock = Clock()
    async with rig_factory(PRODUCT, shadow=SHADOW) as rig:
        rig.app.shadower.recent_writes = RecentWrites(1.0, clock)
        rig.products.product_name = "The Fog Tree"  # the service has not caught up
        await rig.client.put("/api/products/3", json={"stock": 1})  # a write, through legacy
        await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()
        first = dict(rig.app.stats.snapshot("GET /api/products/{id}")["shadow"])
        clock.now += 1.0
        await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()
        later = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
        examples = rig.app.stats.mismatch_examples()
    assert (first["compared"], first["in_flight"], first["mismatched"]) == (1, 1, 0)
    assert (later["compared"], later["in_flight"], later["mismatched"]) == (2, 1, 1)
    assert len(examples) == 1


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
