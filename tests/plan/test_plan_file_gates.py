"""Editing plan.yaml moves an endpoint only through the gates a flip passes: with the evidence in,
the edit serves and history records it with the file's revision; without it (or with a file that
does not parse), the last good plan keeps serving and readyz, `strangler status` and the log say
why, located in the file."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from plan_support import PRODUCT, TOKEN, backend, client_for, parity_file, shadow_traffic
from typer.testing import CliRunner

from migration_plan.cli import app as cli
from migration_plan.commands.connect import AdminAccess
from migration_plan.plan import Mode
from router.app import RouterApp, create_app
from router.settings import RouterSettings
from tests.support.httpx_forwarder import HttpxForwarder

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def plan(product: str) -> str:
    return f"""\
version: 1
upstreams:
  legacy: {{url: "http://legacy.test"}}
  products: {{url: "http://products.test"}}
legacy: legacy
gates: {{min_shadow_comparisons: 3, max_mismatch_rate: 0.0}}
endpoints:
  - {{route: "{PRODUCT}", phase: 3, service: products, {product}}}
"""


@pytest.fixture
def plan_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    results = parity_file(tmp_path / "results.json", {PRODUCT: "pass"})
    monkeypatch.setenv("PARITY_RESULTS_PATH", str(results))
    return tmp_path / "plan.yaml"


def reading(path: Path) -> RouterApp:
    """A router reading `path`, polling it every 20 ms, over the fake backends."""
    return create_app(
        path,
        HttpxForwarder(transport=httpx.MockTransport(backend)),
        RouterSettings(admin_token=TOKEN, reload_interval=0.02, access_log=False),
        event_log=structlog.wrap_logger(structlog.WriteLogger(io.StringIO())),
    )


@pytest.fixture
async def watching(plan_file: Path) -> AsyncIterator[RouterApp]:
    plan_file.write_text(plan("mode: shadow"))
    async with reading(plan_file).running() as app:
        yield app


def mode_of(app: RouterApp) -> tuple[Mode, float]:
    flag = app.table.flag(PRODUCT)
    assert flag is not None
    return flag.mode, flag.canary_percent


async def edit(app: RouterApp, path: Path, text: str) -> None:
    """Rewrite the plan and wait until the router has decided on it (applied or rejected)."""
    revision, rejection = app.plan_revision, app.plan_rejection
    path.write_text(text)
    for _ in range(250):
        rejected = app.plan_rejection is not None and app.plan_rejection is not rejection
        if app.plan_revision != revision or rejected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the router never decided on the edited plan")


async def readyz(app: RouterApp) -> dict[str, Any]:
    async with client_for(app) as client:
        response = await client.get("/_strangler/readyz")
    assert response.status_code == 200  # degraded still serves: replicas stay in the pool
    return dict(response.json())


async def test_an_edit_to_canary_with_the_evidence_in_serves_and_is_in_history(
    watching: RouterApp, plan_file: Path
) -> None:
    await shadow_traffic(watching, 3)
    await edit(watching, plan_file, plan("mode: canary, canary_percent: 10"))
    assert mode_of(watching) == (Mode.CANARY, 10.0)
    assert watching.plan_rejection is None
    assert (await readyz(watching))["status"] == "ready"
    record = (await watching.runtime.history())[-1]
    assert (record.actor, record.before["mode"], record.after["mode"]) == (
        "plan",
        "shadow",
        "canary",
    )
    assert watching.plan_revision in record.reason and "sha256:" in record.reason


async def test_raising_the_canary_percent_in_the_file_needs_the_evidence_too(
    plan_file: Path,
) -> None:
    path = plan_file
    path.write_text(plan("mode: canary, canary_percent: 10"))  # a start is not a move
    async with reading(path).running() as app:
        await edit(app, path, plan("mode: canary, canary_percent: 50"))
        assert mode_of(app) == (Mode.CANARY, 10.0)  # the last good plan serves
        ready = await readyz(app)
        assert ready["status"] == "degraded"
        assert ready["plan"]["kind"] == "gate"
        [located] = ready["plan"]["located"]
        assert (located["line"], located["field"]) == (8, "endpoints[0].canary_percent")
        assert "needs 3 shadow comparisons, has 0" in located["message"]
        await edit(app, path, plan("mode: canary, canary_percent: 5"))  # lowering: never gated
        assert mode_of(app) == (Mode.CANARY, 5.0)
        assert (await readyz(app))["status"] == "ready"


async def test_a_plan_that_does_not_parse_is_reported_by_readyz_and_the_status_banner(
    watching: RouterApp, plan_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await edit(watching, plan_file, plan("mode: shadow").replace("endpoints:", "endpoints: ["))
    assert mode_of(watching) == (Mode.SHADOW, 0.0)
    ready = await readyz(watching)
    assert ready["status"] == "degraded" and ready["plan"]["kind"] == "invalid"
    [problem] = ready["plan"]["problems"]
    assert problem.startswith(f"{plan_file}:")  # file and line of the YAML error

    via = AdminAccess(httpx.ASGITransport(app=watching))  # the CLI's way to the router
    monkeypatch.setenv("STRANGLER_ADMIN_URL", "http://router.test/_strangler/")
    monkeypatch.setenv("ROUTER_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("ROUTER_PLAN", str(plan_file))
    monkeypatch.setenv("COLUMNS", "200")
    shown = await asyncio.to_thread(CliRunner().invoke, cli, ["status"], obj=via)
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == (
        f"plan rejected: the last edit of {plan_file} is not serving; the last good plan is. "
        "Fix the file and save it again:"
    )
    assert lines[1].strip() == problem

    await edit(watching, plan_file, plan("mode: legacy"))  # fixed: serving, and the banner goes
    assert (await readyz(watching))["status"] == "ready"
    assert mode_of(watching) == (Mode.LEGACY, 0.0)
