"""Shadow mode: legacy answers, the service is mirrored and compared off the response path."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest
from router_fakes import ADMIN_TOKEN, call_asgi, endpoint

from migration_plan.parity.redact import MARK

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


SHADOW = "shadow: {timeout_seconds: 0.5, max_concurrency: 2, max_body_bytes: 100}\n"
PRODUCT = endpoint("GET /api/products/{id}", mode="shadow")


async def test_shadow_answers_from_legacy_and_mirrors_to_the_service(rig_factory: Any) -> None:
    async with rig_factory(PRODUCT, shadow=SHADOW) as rig:
        response = await rig.client.get("/api/products/3", headers={"x-request-id": "sh-1"})
        await rig.app.shadower.drain()
        shadow = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
    assert response.status_code == 200
    assert response.headers["x-strangler-side"] == "legacy"
    (seen,) = rig.products.seen
    assert seen["headers"]["x-strangler-shadow"] == "1"
    assert seen["headers"]["x-request-id"] == "sh-1"
    assert shadow["mirrored"] == 1 and shadow["compared"] == 1 and shadow["mismatched"] == 0


async def test_shadow_mismatch_does_not_change_the_response_and_is_recorded_redacted(
    rig_factory: Any,
) -> None:
    async with rig_factory(PRODUCT, shadow=SHADOW) as rig:
        rig.products.product_name = "The Fog Tree"
        response = await rig.client.get(
            "/api/products/3",
            headers={
                "authorization": "Bearer secret-token",
                "cookie": "sid=secret",
                "x-request-id": "mm-1",
            },
        )
        await rig.app.shadower.drain()
        shadow = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
        (example,) = rig.app.stats.mismatch_examples()
        metrics = rig.app.metrics.render()[0].decode()
    assert response.json()["name"] == "The Fig Tree"
    assert shadow["compared"] == 1 and shadow["mismatched"] == 1
    assert example["request_id"] == "mm-1"
    assert any("/name" in d for d in example["differences"])
    assert re.fullmatch(rf"Bearer {MARK.pattern}", example["request_headers"]["authorization"])
    assert re.fullmatch(rf"sid={MARK.pattern}", example["request_headers"]["cookie"])
    assert "secret" not in str(example)
    assert 'strangler_router_shadow_mismatches_total{route="GET /api/products/{id}"} 1.0' in metrics


async def test_a_slow_service_never_slows_the_user_down(rig_factory: Any) -> None:
    patient = "shadow: {timeout_seconds: 30, max_concurrency: 2, max_body_bytes: 100}\n"
    async with rig_factory(PRODUCT, shadow=patient) as rig:
        rig.products.release = asyncio.Event()  # the service hangs until released
        response = await rig.client.get("/api/products/3")
        # the user has legacy's answer while the mirror is still waiting on the service
        assert rig.app.shadower.active == 1
        rig.products.release.set()
        await rig.app.shadower.drain()
        shadow = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
    assert response.status_code == 200 and response.json()["name"] == "The Fig Tree"
    assert shadow["compared"] == 1 and shadow["mismatched"] == 0


async def test_a_mirror_that_outlives_the_shadow_timeout_is_abandoned(rig_factory: Any) -> None:
    async with rig_factory(PRODUCT, shadow=SHADOW) as rig:
        rig.products.release = asyncio.Event()
        started = time.perf_counter()
        response = await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()  # ends by the 0.5 s shadow timeout, not by the service
        waited = time.perf_counter() - started
        shadow = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
        rig.products.release.set()
    assert response.status_code == 200
    assert shadow["failed"] == 1 and shadow["compared"] == 0
    assert waited < 5


async def test_a_failing_service_never_changes_the_response(rig_factory: Any) -> None:
    async with rig_factory(
        PRODUCT + endpoint("GET /api/gone/{id}", service="down", mode="shadow"), shadow=SHADOW
    ) as rig:
        rig.products.status = 500
        response = await rig.client.get("/api/products/3")
        unreachable = await rig.client.get("/api/gone/3")
        await rig.app.shadower.drain()
        products = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
        gone = rig.app.stats.snapshot("GET /api/gone/{id}")["shadow"]
    assert response.status_code == 200 and response.json()["name"] == "The Fig Tree"
    assert unreachable.status_code == 200 and unreachable.json()["side"] == "legacy"
    assert products["mismatched"] == 1  # a 500 against a 200 is a mismatch, not a user error
    assert gone["failed"] == 1


async def test_mirrors_over_the_concurrency_cap_are_dropped_and_counted(rig_factory: Any) -> None:
    async with rig_factory(PRODUCT, shadow=SHADOW) as rig:
        rig.products.release = asyncio.Event()
        responses = [await rig.client.get(f"/api/products/{i}") for i in range(5)]
        assert rig.app.shadower.active == 2
        rig.products.release.set()
        await rig.app.shadower.drain()
        shadow = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
        metrics = rig.app.metrics.render()[0].decode()
    assert all(r.status_code == 200 for r in responses)
    assert shadow["mirrored"] == 2 and shadow["dropped"] == 3
    assert (
        'strangler_router_shadow_dropped_total{reason="dropped",route="GET /api/products/{id}"} 3.0'
        in metrics
    )


async def test_writes_are_mirrored_only_on_dry_run_routes(rig_factory: Any) -> None:
    async with rig_factory(
        endpoint("POST /api/echo", mode="shadow")
        + endpoint("POST /api/dry", mode="shadow", dry_run="true"),
        shadow=SHADOW,
    ) as rig:
        wet = await rig.client.post("/api/echo", content=b'{"a": 1}')
        dry = await rig.client.post("/api/dry", content=b'{"a": 1}')
        await rig.app.shadower.drain()
        echo = rig.app.stats.snapshot("POST /api/echo")["shadow"]
        metrics = rig.app.metrics.render()[0].decode()
    assert wet.json()["side"] == "legacy" and dry.json()["side"] == "legacy"
    assert echo["not_shadowable"] == 1 and echo["mirrored"] == 0
    (seen,) = rig.products.seen
    assert seen["path"] == "/api/dry" and seen["headers"]["x-strangler-shadow"] == "1"
    assert (
        'strangler_router_shadow_not_shadowable_total{method="POST",route="POST /api/echo"} 1.0'
        in metrics
    )


async def test_a_mirrored_write_carries_the_same_body(rig_factory: Any) -> None:
    async with rig_factory(
        endpoint("POST /api/dry", mode="shadow", dry_run="true"), shadow=SHADOW
    ) as rig:
        await call_asgi(
            rig.app,
            "POST",
            b"/api/dry",
            headers=[(b"transfer-encoding", b"chunked")],
            body=[b'{"a":', b" 1}"],
        )
        await rig.app.shadower.drain()
        shadow = rig.app.stats.snapshot("POST /api/dry")["shadow"]
    assert shadow["mirrored"] == 1 and shadow["compared"] == 1
    # the echo bodies differ only by "side": the request body reached the service intact
    (example,) = rig.app.stats.mismatch_examples()
    assert '"body": "{\\"a\\": 1}"' in example["extracted"]["body"]


async def test_a_mirrored_write_asks_the_service_before_legacy_and_a_read_after(
    rig_factory: Any,
) -> None:
    # Both sides must answer on the state before the write: once legacy has committed, the
    # sync may copy it to the service (a second register is a 409, a logout's session is gone).
    async with rig_factory(
        endpoint("POST /api/dry", mode="shadow", dry_run="true") + PRODUCT, shadow=SHADOW
    ) as rig:
        await rig.client.post("/api/dry", content=b'{"a": 1}')
        await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()
        shadow = rig.app.stats.snapshot("POST /api/dry")["shadow"]
    order = [(origin.split("//")[1].split(".")[0], path) for origin, path in rig.transport.calls]
    assert order == [
        ("products", "/api/dry"),
        ("legacy", "/api/dry"),
        ("legacy", "/api/products/3"),
        ("products", "/api/products/3"),
    ]
    assert (shadow["mirrored"], shadow["compared"]) == (1, 1)


async def test_bodies_over_the_shadow_cap_are_not_mirrored(rig_factory: Any) -> None:
    async with rig_factory(
        endpoint("POST /api/dry", mode="shadow", dry_run="true"), shadow=SHADOW
    ) as rig:
        big = b'{"pad": "' + b"x" * 200 + b'"}'
        known = await rig.client.post("/api/dry", content=big)
        streamed = await call_asgi(
            rig.app,
            "POST",
            b"/api/dry",
            headers=[(b"transfer-encoding", b"chunked")],
            body=[big[:50], big[50:]],
        )
        await rig.app.shadower.drain()
        shadow = rig.app.stats.snapshot("POST /api/dry")["shadow"]
    assert known.status_code == 200 and streamed.status == 200
    assert known.json()["body"].encode() == big
    assert shadow["too_large"] == 2 and shadow["mirrored"] == 0
    assert rig.products.seen == []


async def test_the_sample_rate_picks_which_requests_are_mirrored(rig_factory: Any) -> None:
    async with rig_factory(
        endpoint("GET /api/products/{id}", mode="shadow", shadow_sample_rate=0.0), shadow=SHADOW
    ) as rig:
        for i in range(5):
            await rig.client.get(f"/api/products/{i}")
        await rig.app.shadower.drain()
        shadow = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
    assert shadow["sampled_out"] == 5 and rig.products.seen == []


async def test_differences_are_counted_per_field_and_kind_in_the_admin_api_and_metrics(
    rig_factory: Any,
) -> None:
    async with rig_factory(PRODUCT, shadow=SHADOW) as rig:
        rig.products.product_name = "The Fog Tree"
        for _ in range(3):
            await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()
        rig.products.product_name = "The Fig Tree"  # the service is fixed: a plain match
        await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        diffs = (await rig.client.get("/_strangler/diffs", headers=auth)).json()
        metrics = rig.app.metrics.render()[0].decode()
    assert diffs == {
        "routes": {
            "GET /api/products/{id}": {
                "compared": 4,
                "fields": [{"where": "/name", "kind": "value", "count": 3}],
            }
        }
    }
    assert (
        "strangler_router_shadow_field_differences_total"
        '{field="/name",kind="value",route="GET /api/products/{id}"} 3.0' in metrics
    )


async def test_an_answer_a_plan_rule_explains_is_compared_and_says_which_rule(
    rig_factory: Any,
) -> None:
    explained = endpoint("GET /api/products/{id}", mode="shadow", parity="{ignore: [/name]}")
    async with rig_factory(explained, shadow=SHADOW) as rig:
        rig.products.product_name = "The Fog Tree"
        await rig.client.get("/api/products/3")
        await rig.app.shadower.drain()
        shadow = rig.app.stats.snapshot("GET /api/products/{id}")["shadow"]
        fields = rig.app.stats.field_counts("GET /api/products/{id}")
        metrics = rig.app.metrics.render()[0].decode()
    assert (shadow["compared"], shadow["explained"], shadow["mismatched"]) == (1, 1, 0)
    assert fields == [{"where": "/name", "kind": "explained:ignore", "count": 1}]
    assert (
        'strangler_router_shadow_outcomes_total{outcome="explained",route="GET /api/products/{id}"}'
        in metrics
    )
