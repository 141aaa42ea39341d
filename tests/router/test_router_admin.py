"""Admin API (bearer token), runtime flips with history, and the /metrics exposition."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest
from router_fakes import ADMIN_TOKEN, endpoint

from router.settings import RouterSettings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

AUTH = {"authorization": f"Bearer {ADMIN_TOKEN}"}
ROUTES = endpoint("GET /api/echo/{id}") + endpoint("POST /api/echo", dry_run="true")


async def test_admin_endpoints_need_the_bearer_token(rig_factory: Any) -> None:
    async with rig_factory(ROUTES) as rig:
        missing = await rig.client.get("/_strangler/routes")
        wrong = await rig.client.get("/_strangler/routes", headers={"authorization": "Bearer no"})
        flip = await rig.client.post("/_strangler/routes/flip", json={})
        history = await rig.client.get("/_strangler/history")
    for response in (missing, wrong, flip, history):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


async def test_without_a_configured_token_the_admin_api_is_closed(rig_factory: Any) -> None:
    settings = RouterSettings(admin_token=None, reload_interval=0)
    async with rig_factory(ROUTES, settings=settings) as rig:
        response = await rig.client.get("/_strangler/routes", headers={"authorization": "Bearer "})
    assert response.status_code == 401


async def test_health_and_readiness_are_open_for_probes(rig_factory: Any) -> None:
    async with rig_factory(ROUTES) as rig:
        health = await rig.client.get("/_strangler/healthz")
        ready = await rig.client.get("/_strangler/readyz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_routes_lists_each_flag_with_live_counters(rig_factory: Any) -> None:
    async with rig_factory(ROUTES) as rig:
        await rig.client.get("/api/echo/1")
        await rig.client.get("/api/echo/2")
        body = (await rig.client.get("/_strangler/routes", headers=AUTH)).json()
    first = body["routes"][0]
    assert first["route"] == "GET /api/echo/{id}" and first["mode"] == "legacy"
    assert first["stats"]["sides"]["legacy"]["requests"] == 2
    assert first["stats"]["sides"]["legacy"]["window"]["requests"] == 2
    assert body["routes"][1]["dry_run"] is True


async def test_a_flip_applies_at_once_and_is_recorded_in_history(rig_factory: Any) -> None:
    async with rig_factory(ROUTES) as rig:
        before = (await rig.client.get("/api/echo/1")).json()["side"]
        flip = await rig.client.post(
            "/_strangler/routes/flip",
            headers=AUTH,
            json={
                "route": "GET /api/echo/{x}",
                "mode": "extracted",
                "reason": "parity green",
                "actor": "alice",
                "force": True,  # legacy -> extracted skips stages: gated (tests/plan)
            },
        )
        after = (await rig.client.get("/api/echo/1")).json()["side"]
        canary = await rig.client.post(
            "/_strangler/routes/flip",
            headers=AUTH,
            json={
                "route": "GET /api/echo/{id}",
                "mode": "canary",
                "percent": 100,
                "reason": "ramp",
                "actor": "bob",
            },
        )
        routes = (await rig.client.get("/_strangler/routes", headers=AUTH)).json()["routes"]
        history = (await rig.client.get("/_strangler/history", headers=AUTH)).json()["history"]
    assert before == "legacy" and after == "extracted"
    assert flip.status_code == 200 and canary.status_code == 200
    assert routes[0]["mode"] == "canary" and routes[0]["canary_percent"] == 100
    assert routes[0]["overridden"] is True
    first, second = history
    assert first["actor"] == "alice" and first["reason"] == "parity green"
    assert first["route"] == "GET /api/echo/{id}"
    assert first["before"] == {"mode": "legacy", "canary_percent": 0.0}
    assert first["after"] == {"mode": "extracted", "canary_percent": None}
    assert second["before"]["mode"] == "extracted" and first["at"]


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        (
            {"route": "GET /api/nope", "mode": "extracted", "reason": "r", "actor": "a"},
            422,
            "route",
        ),
        (
            {"route": "GET /api/echo/{id}", "mode": "sideways", "reason": "r", "actor": "a"},
            422,
            "mode",
        ),
        (
            {"route": "GET /api/echo/{id}", "mode": "canary", "reason": "r", "actor": "a"},
            422,
            "percent",
        ),
        (
            {
                "route": "GET /api/echo/{id}",
                "mode": "canary",
                "percent": 101,
                "reason": "r",
                "actor": "a",
            },
            422,
            "percent",
        ),
        ({"route": "GET /api/echo/{id}", "mode": "extracted", "actor": "a"}, 422, "reason"),
        ({"route": "GET /api/echo/{id}", "mode": "extracted", "reason": "r"}, 422, "actor"),
        (
            {
                "route": "GET /api/echo/{id}",
                "mode": "extracted",
                "reason": "r",
                "actor": "a",
                "x": 1,
            },
            422,
            "x",
        ),
        ([1, 2], 400, None),
    ],
)
async def test_a_bad_flip_is_refused_and_names_the_field(
    rig_factory: Any, payload: Any, status: int, field: str | None
) -> None:
    async with rig_factory(ROUTES) as rig:
        response = await rig.client.post("/_strangler/routes/flip", headers=AUTH, json=payload)
        history = (await rig.client.get("/_strangler/history", headers=AUTH)).json()["history"]
    assert response.status_code == status
    if field:
        assert response.json()["error"]["message"].startswith(f"{field}:")
    assert history == []


async def test_unknown_admin_paths_are_404_and_wrong_methods_405(rig_factory: Any) -> None:
    async with rig_factory(ROUTES) as rig:
        unknown = await rig.client.get("/_strangler/nope", headers=AUTH)
        wrong = await rig.client.delete("/_strangler/routes", headers=AUTH)
    assert unknown.status_code == 404 and wrong.status_code == 405


async def test_metrics_count_requests_by_route_side_method_and_status_class(
    rig_factory: Any,
) -> None:
    async with rig_factory(ROUTES) as rig:
        await rig.client.get("/api/echo/1")
        await rig.client.get("/elsewhere")
        response = await rig.client.get("/metrics")
    text = response.text
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert (
        'strangler_router_requests_total{method="GET",route="GET /api/echo/{id}",'
        'side="legacy",status_class="2xx"} 1.0' in text
    )
    assert 'route="*"' in text
    assert (
        'strangler_router_request_duration_seconds_bucket{le="0.001",route="GET /api/echo/{id}"'
        in text
    )
    assert "strangler_router_in_flight_requests 0.0" in text
    assert "strangler_router_plan_reload_failures_total 0.0" in text


async def test_metrics_can_require_the_admin_token(rig_factory: Any) -> None:
    settings = RouterSettings(
        admin_token=ADMIN_TOKEN, metrics_require_token=True, reload_interval=0
    )
    async with rig_factory(ROUTES, settings=settings) as rig:
        assert (await rig.client.get("/metrics")).status_code == 401
        assert (await rig.client.get("/metrics", headers=AUTH)).status_code == 200


async def test_the_metrics_exposition_passes_promtool(rig_factory: Any) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("promtool is required under CI=true")
        pytest.skip("promtool is not installed")
    async with rig_factory(
        ROUTES + endpoint("GET /api/down", service="down", mode="extracted")
    ) as rig:
        await rig.client.get("/api/echo/1")
        await rig.client.post("/api/echo", content=b"{}")
        await rig.client.get("/api/down")
        text = (await rig.client.get("/metrics")).content
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
