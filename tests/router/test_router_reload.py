"""Hot reload in-process: plan changes, rejected plans, and overrides from a shared store."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from router_fakes import (
    LEGACY,
    PRODUCTS,
    AsyncWSGITransport,
    HostTransport,
    ServiceControl,
    fake_legacy,
    fake_service,
    plan_yaml,
)

from migration_plan.plan import Mode
from router.app import RouterApp, create_app
from router.routing import RouteOverride
from router.runtime import FlipRecord, InMemoryRuntimeState
from router.settings import RouterSettings
from tests.support.httpx_forwarder import HttpxForwarder
from tests.support.polling import eventually_async

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def endpoints(mode: str) -> str:
    return f'  - {{route: "GET /api/echo/{{id}}", phase: 3, service: products, mode: {mode}}}\n'


class SharedState(InMemoryRuntimeState):
    """Stands in for a store other workers write to: overrides change behind the router's back."""

    def __init__(self) -> None:
        super().__init__()
        self.external: dict[str, RouteOverride] = {}

    async def overrides(self) -> Mapping[str, RouteOverride]:
        return {**await super().overrides(), **self.external}


def build(plan: Path, events: io.StringIO, runtime: Any = None) -> RouterApp:
    transport = HostTransport(
        {
            LEGACY: AsyncWSGITransport(fake_legacy()),
            PRODUCTS: httpx.ASGITransport(app=fake_service("extracted", ServiceControl())),
        }
    )
    return create_app(
        plan,
        HttpxForwarder(transport=transport),
        RouterSettings(reload_interval=0.02, access_log=False),
        runtime=runtime,
        event_log=structlog.wrap_logger(
            structlog.WriteLogger(events), processors=[structlog.processors.JSONRenderer()]
        ),
    )


async def side(app: RouterApp) -> str:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router.test"
    ) as client:
        return str((await client.get("/api/echo/1")).json()["side"])


async def becomes(app: RouterApp, expected: str) -> None:
    async def serves_expected() -> bool:
        return await side(app) == expected

    await eventually_async(serves_expected, 2.0, f"serving {expected}")


async def test_a_changed_plan_takes_effect_without_a_restart(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_yaml(endpoints("extracted")))
    app = build(plan, io.StringIO())
    async with app.running():
        assert await side(app) == "extracted"
        plan.write_text(plan_yaml(endpoints("legacy")))  # lowering exposure: never gated
        await becomes(app, "legacy")
    history = await app.runtime.history()
    assert [(r.actor, r.before["mode"], r.after["mode"]) for r in history] == [
        ("plan", "extracted", "legacy")
    ]
    assert "sha256:" in history[0].reason


async def test_a_plan_edit_raising_exposure_without_evidence_is_refused_and_reported(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_yaml(endpoints("shadow")))
    events = io.StringIO()
    app = build(plan, events)
    async with app.running():
        plan.write_text(plan_yaml(endpoints("extracted")))
        await eventually_async(lambda: app.plan_rejection is not None, 2.0, "the rejection")
        assert await side(app) == "legacy"  # shadow still serves: users get the legacy answer
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router.test"
        ) as client:
            ready = await client.get("/_strangler/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    problems = ready.json()["plan"]["problems"]
    assert problems == [
        f"{plan}:10: endpoints[0].mode: GET /api/echo/{{id}}: refused as a flip would be: "
        "cannot move GET /api/echo/{id} from shadow to extracted: the next allowed stage is canary"
    ]
    assert await app.runtime.history() == []
    assert '"kind": "gate"' in events.getvalue()


async def test_a_broken_plan_is_logged_with_its_location_and_the_last_good_one_serves(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_yaml(endpoints("extracted")))
    events = io.StringIO()
    app = build(plan, events)
    async with app.running():
        plan.write_text(plan_yaml(endpoints("extractd")))
        await eventually_async(lambda: "plan_rejected" in events.getvalue(), 2.0, "the rejection")
        assert await side(app) == "extracted"
        plan.unlink()  # a vanished plan is rejected the same way
        await asyncio.sleep(0.1)
        assert await side(app) == "extracted"
    rejected = [json.loads(line) for line in events.getvalue().splitlines()]
    rejected = [e for e in rejected if e["event"] == "plan_rejected"]
    assert rejected[0]["problems"] == [
        f"{plan}:10: endpoints[0].mode: 'extractd' is not one of legacy, shadow, canary, extracted"
    ]
    assert any("cannot read the plan" in p for e in rejected for p in e["problems"])
    metrics = app.metrics.render()[0].decode()
    assert "strangler_router_plan_reload_failures_total 2.0" in metrics


async def test_overrides_written_to_a_shared_store_by_another_worker_apply_here(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_yaml(endpoints("legacy")))
    state = SharedState()
    app = build(plan, io.StringIO(), runtime=state)
    async with app.running():
        assert await side(app) == "legacy"
        state.external["GET /api/echo/{id}"] = RouteOverride(Mode.EXTRACTED)
        await becomes(app, "extracted")
        state.external.clear()
        await becomes(app, "legacy")


async def test_a_runtime_flip_survives_a_plan_reload(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_yaml(endpoints("legacy")))
    app = build(plan, io.StringIO())
    async with app.running():
        record = await app.flip(
            route="GET /api/echo/{id}",
            mode=Mode.EXTRACTED,
            percent=None,
            actor="a",
            reason="r",
            force=True,  # skips stages: gated (tests/plan)
        )
        assert isinstance(record, FlipRecord)
        plan.write_text(plan_yaml(endpoints("shadow")))
        await asyncio.sleep(0.15)
        assert app.plan.endpoints[0].mode is Mode.SHADOW
        assert await side(app) == "extracted"  # the override is layered over any plan
