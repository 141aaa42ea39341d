"""The flag commands through CliRunner: against an in-process router's admin API (gates on its
live counters), against the file store directly, and the failures users meet."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from plan_support import (
    ORDERS,
    PRODUCT,
    TOKEN,
    build_router,
    parity_file,
    plan_text,
    shadow_traffic,
)
from typer.testing import CliRunner

from migration_plan.cli import app as cli
from migration_plan.commands.connect import AdminAccess
from migration_plan.plan import Mode
from migration_plan.stack.state import write_state
from migration_plan.state import FileStateStore
from migration_plan.state.control import AdminControl
from router.app import RouterApp

pytestmark = pytest.mark.integration

runner = CliRunner()


def strangler(*args: str, via: RouterApp | None = None) -> Any:
    """The CLI; `via` is the in-process router its admin client reaches (else the network)."""
    access = AdminAccess(httpx.ASGITransport(app=via)) if via is not None else None
    return runner.invoke(cli, list(args), obj=access)


def ok(*args: str, via: RouterApp | None = None) -> str:
    result = strangler(*args, via=via)
    assert result.exit_code == 0, result.output
    return str(result.output)


def refused(*args: str, via: RouterApp | None = None) -> str:
    result = strangler(*args, via=via)
    assert result.exit_code == 1, result.output
    return str(result.output)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No router known, a small plan, green parity for the product endpoint only."""
    for name in ("STRANGLER_ADMIN_URL", "ROUTER_ADMIN_TOKEN", "STRANGLER_STATE", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_text())
    monkeypatch.setenv("ROUTER_PLAN", str(plan))
    monkeypatch.setenv("STRANGLER_VAR_DIR", str(tmp_path / "var"))
    results = parity_file(tmp_path / "var" / "parity" / "results.json", {PRODUCT: "pass"})
    monkeypatch.setenv("PARITY_RESULTS_PATH", str(results))
    monkeypatch.setenv("USER", "tester")
    return tmp_path


@pytest.fixture
def router(env: Path, monkeypatch: pytest.MonkeyPatch) -> RouterApp:
    """An in-process router over fake backends; the CLI finds it through STRANGLER_ADMIN_URL and
    reaches it `via` the router (an ASGI transport)."""
    app = build_router(FileStateStore(env / "var" / "route_state.json"))
    monkeypatch.setenv("STRANGLER_ADMIN_URL", "http://router.test/_strangler/")
    monkeypatch.setenv("ROUTER_ADMIN_TOKEN", TOKEN)
    return app


def drive(app: RouterApp, count: int, *, differ: bool = False) -> None:
    async def scenario() -> None:
        async with app.running():
            await shadow_traffic(app, count, differ=differ)

    asyncio.run(scenario())


def status(*extra: str, via: RouterApp | None = None) -> dict[str, Any]:
    rows = json.loads(ok("status", "--json", *extra, via=via))["endpoints"]
    return {row["route"]: row for row in rows}


def test_an_endpoint_walks_every_stage_through_the_admin_api_once_the_evidence_is_in(
    router: RouterApp,
) -> None:
    ok("flip", PRODUCT, "--to", "shadow", "--reason", "start comparing", via=router)
    early = refused(
        "flip", PRODUCT, "--to", "canary", "--percent", "10", "--reason", "ramp", via=router
    )
    assert "needs 3 shadow comparisons, has 0" in early
    assert "nothing changed" in early
    drive(router, 3)
    row = status(via=router)[PRODUCT]
    assert row["shadow"] == {
        "comparisons": 3,
        "mismatches": 0,
        "mismatch_rate": 0.0,
        "explained": 0,
        "in_flight": 0,
        "skipped": {},
    }
    assert row["gate"] == {"next": "canary", "open": True, "problems": []}
    ok("flip", PRODUCT, "--to", "canary", "--percent", "10", "--reason", "ramp", via=router)
    ok("flip", PRODUCT, "--to", "canary", "--percent", "50", "--reason", "more", via=router)
    ok("flip", PRODUCT, "--to", "extracted", "--reason", "done", via=router)
    row = status(via=router)[PRODUCT]
    assert row["mode"] == "extracted" and row["percent_extracted"] == 100
    history = json.loads(ok("history", "--json", via=router))["history"]
    assert [r["after"]["mode"] for r in history] == ["shadow", "canary", "canary", "extracted"]
    assert history[0]["actor"].startswith("tester@") and history[0]["reason"] == "start comparing"
    assert not any(r["forced"] for r in history)
    table = ok("status", via=router)
    assert "GET /api/products/{id}" in table and "extracted*" in table


def test_skipping_a_stage_is_refused_and_force_records_what_it_overrode(
    router: RouterApp,
) -> None:
    output = refused("flip", PRODUCT, "--to", "extracted", "--reason", "yolo", via=router)
    assert "from legacy to extracted: the next allowed stage is shadow" in output
    output = ok(
        "flip", PRODUCT, "--to", "extracted", "--reason", "incident 42", "--force", via=router
    )
    assert "(FORCED)" in output
    (record,) = json.loads(ok("history", "--json", via=router))["history"]
    assert record["forced"] is True and record["reason"] == "incident 42"
    assert "the next allowed stage is shadow" in record["overridden"][0]
    assert "FORCED" in ok("history", via=router)


def test_a_high_mismatch_rate_blocks_canary_and_diffs_show_why(router: RouterApp) -> None:
    ok("flip", PRODUCT, "--to", "shadow", "--reason", "compare", via=router)
    drive(router, 3, differ=True)
    output = refused(
        "flip", PRODUCT, "--to", "canary", "--percent", "5", "--reason", "ramp", via=router
    )
    assert "shadow mismatch rate 100.00% (3 of 3) is above the allowed 0.00%" in output
    diffs = json.loads(ok("diffs", PRODUCT, "--json", "--limit", "2", via=router))["mismatches"]
    assert len(diffs) == 2 and any("/price" in d for d in diffs[0]["differences"])
    text = ok("diffs", "GET /api/products/{pid}", via=router)
    assert "legacy 200, extracted 200" in text and '"price": "2.00"' in text


def test_a_missing_parity_result_blocks_canary(router: RouterApp) -> None:
    ok("flip", ORDERS, "--to", "shadow", "--reason", "compare", via=router)
    output = refused(
        "flip", ORDERS, "--to", "canary", "--percent", "5", "--reason", "ramp", via=router
    )
    assert "parity result for POST /api/orders is missing: run `strangler parity run`" in output


def test_an_unknown_endpoint_gets_a_suggestion(router: RouterApp) -> None:
    output = refused("flip", "GET /api/product/{id}", "--to", "shadow", "--reason", "r", via=router)
    assert "unknown endpoint 'GET /api/product/{id}'; did you mean 'GET /api/products/{id}'" in (
        output
    )


def test_rollback_and_phases(router: RouterApp) -> None:
    advanced = ok("phase", "advance", "3", "--reason", "phase 3 begins", via=router)
    assert "GET /api/products: legacy -> shadow" in advanced
    modes = {r: row["mode"] for r, row in status(via=router).items()}
    assert modes == {"GET /api/products": "shadow", PRODUCT: "shadow", ORDERS: "legacy"}
    blocked = refused("phase", "advance", "3", "--reason", "next", via=router)
    assert "needs 3 shadow comparisons, has 0" in blocked
    ok("flip", ORDERS, "--to", "shadow", "--reason", "compare", via=router)
    ok("rollback", PRODUCT, "--reason", "bad diffs", via=router)
    assert status(via=router)[PRODUCT]["mode"] == "legacy"
    ok("rollback", "--phase", "4", "--reason", "orders wobble", via=router)
    assert status(via=router)[ORDERS]["mode"] == "legacy"
    rolled = ok("rollback", "--all", "--reason", "freeze", via=router)
    assert "GET /api/products: shadow -> legacy" in rolled and "already legacy" in rolled
    assert {row["mode"] for row in status(via=router).values()} == {"legacy"}
    ok("phase", "advance", "4", "--reason", "orders", via=router)
    ok("phase", "rollback", "4", "--reason", "not yet", via=router)
    assert status(via=router)[ORDERS]["mode"] == "legacy"
    assert "name exactly one of" in strangler("rollback", "--reason", "r", via=router).output
    assert "no endpoint is in phase 9" in refused(
        "phase", "rollback", "9", "--reason", "r", via=router
    )


def test_plan_diff_shows_where_the_runtime_state_and_the_plan_disagree(
    router: RouterApp,
) -> None:
    assert "matches the plan" in ok("plan", "diff", via=router)
    ok("flip", PRODUCT, "--to", "shadow", "--reason", "compare", via=router)
    rows = json.loads(ok("plan", "diff", "--json", via=router))["differences"]
    assert [(r["route"], r["plan"], r["runtime"]) for r in rows] == [(PRODUCT, "legacy", "shadow")]
    assert "compare" in rows[0]["last_flip"]
    assert strangler("plan", "diff", "--check", via=router).exit_code == 1


def test_without_a_router_the_cli_works_on_the_file_store_and_a_router_starts_from_it(
    env: Path,
) -> None:
    ok("flip", PRODUCT, "--to", "shadow", "--reason", "offline")
    output = refused("flip", PRODUCT, "--to", "canary", "--percent", "5", "--reason", "r")
    assert "has none known (no router counters: is the router running?)" in output
    ok("flip", PRODUCT, "--to", "canary", "--percent", "5", "--reason", "r", "--force")
    report = json.loads(ok("status", "--json"))
    assert report["source"].startswith("state store file at")
    assert "route_state.json" in report["source"]
    assert report["health"] == {"status": "direct", "note": "no running router found"}
    assert "No router counters" in ok("status")
    app = build_router(FileStateStore(env / "var" / "route_state.json"))

    async def effective() -> Mode:
        async with app.running():
            flag = app.table.flag(PRODUCT)
            assert flag is not None
            return flag.mode

    assert asyncio.run(effective()) is Mode.CANARY
    assert "mismatch examples live in a running router" in refused("diffs", PRODUCT)


def test_an_unreadable_store_fails_the_cli_and_changes_nothing(env: Path) -> None:
    state = env / "var" / "route_state.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text("{oops")
    output = refused("flip", PRODUCT, "--to", "shadow", "--reason", "r", "--direct")
    assert "the state store is unavailable, nothing changed" in output
    assert state.read_text() == "{oops"


def test_memory_state_has_no_store_to_work_on(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRANGLER_STATE", "memory")
    assert "STRANGLER_STATE=memory" in refused("status")


def test_a_router_that_does_not_answer_is_a_clear_error(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRANGLER_ADMIN_URL", "http://127.0.0.1:9/_strangler/")
    output = refused("status")
    assert "cannot reach the router admin API at http://127.0.0.1:9/_strangler/" in output
    assert "--direct" in output


def test_a_wrong_token_is_a_clear_error(router: RouterApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_ADMIN_TOKEN", "wrong")
    assert "refused the admin token" in refused("status", via=router)


def test_after_strangler_up_the_cli_finds_the_router_through_var_stack_json(
    env: Path, router: RouterApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STRANGLER_ADMIN_URL")
    monkeypatch.delenv("ROUTER_ADMIN_TOKEN")
    record = {"pid": os.getpid(), "admin_url": "http://router.test/_strangler/"}
    write_state(env / "var" / "stack.json", {**record, "admin_token": TOKEN})
    source = json.loads(ok("status", "--json", via=router))["source"]
    assert source.startswith("router admin API at http://router.test/_strangler/ (from ")
    ok("flip", PRODUCT, "--to", "shadow", "--reason", "via stack.json", via=router)
    assert router.table.flag(PRODUCT) is not None
    assert router.table.flag(PRODUCT).mode is Mode.SHADOW  # type: ignore[union-attr]


def test_a_flip_to_where_the_endpoint_already_is_changes_nothing_and_succeeds(env: Path) -> None:
    ok("flip", PRODUCT, "--to", "shadow", "--reason", "start")
    assert "is already shadow: nothing changed" in ok(
        "flip", PRODUCT, "--to", "shadow", "--reason", "again"
    )
    history = ok("history")
    assert "again" not in history


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--to", "canary"), "--to canary needs --percent"),
        (("--to", "shadow", "--percent", "10"), "--percent goes with --to canary only"),
        (("--to", "extracted", "--percent", "10"), "--percent goes with --to canary only"),
    ],
)
def test_percent_is_required_with_canary_and_refused_without_it(
    env: Path, args: tuple[str, ...], message: str
) -> None:
    result = strangler("flip", PRODUCT, *args, "--reason", "r")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "422" not in result.output


def test_run_from_a_subdirectory_the_cli_uses_the_projects_state_not_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("STRANGLER_VAR_DIR", "ROUTER_PLAN", "PARITY_RESULTS_PATH", "STRANGLER_STATE"):
        monkeypatch.setenv(name, "unset-below")  # recorded, so the test's end restores "unset"
        monkeypatch.delenv(name)
    for name in ("STRANGLER_ADMIN_URL", "ROUTER_ADMIN_TOKEN", "STRANGLER_STATE_PATH"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "migration_plan").mkdir()
    (tmp_path / "migration_plan" / "plan.yaml").write_text(plan_text())
    deeper = tmp_path / "docs" / "deeper"
    deeper.mkdir(parents=True)
    monkeypatch.chdir(deeper)
    ok("flip", PRODUCT, "--to", "shadow", "--reason", "from below", "--direct")
    assert (tmp_path / "var" / "route_state.json").is_file()
    assert not (deeper / "var").exists()


def test_status_and_plan_diff_agree_about_a_route_rolled_back_to_the_plans_mode(
    router: RouterApp,
) -> None:
    def overridden() -> bool:
        return bool(status(via=router)[PRODUCT]["overridden"])

    def differences() -> list[str]:
        rows = json.loads(ok("plan", "diff", "--json", via=router))["differences"]
        return [row["route"] for row in rows]

    ok("flip", PRODUCT, "--to", "shadow", "--reason", "compare", via=router)
    drive(router, 3)
    ok("flip", PRODUCT, "--to", "canary", "--percent", "10", "--reason", "ramp", via=router)
    assert overridden() and differences() == [PRODUCT]
    ok("rollback", PRODUCT, "--reason", "bad diffs", via=router)
    assert status(via=router)[PRODUCT]["mode"] == "legacy"  # the plan file's mode
    assert not overridden() and differences() == []
    assert "overridden at runtime" not in ok("status", via=router)
    assert "matches the plan" in ok("plan", "diff", via=router)


def test_status_never_cuts_an_endpoint_and_footnotes_only_real_overrides(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    plain = ok("status")
    assert "overridden at runtime" not in plain
    for line in plain.splitlines():
        assert "…" not in line, line
    ok("flip", PRODUCT, "--to", "shadow", "--reason", "r")
    shown = ok("status")
    assert "overridden at runtime" in shown
    assert PRODUCT in shown


def test_a_failing_parity_result_is_one_bullet_with_its_first_failure(
    router: RouterApp, env: Path
) -> None:
    parity_file(env / "var" / "parity" / "results.json", {PRODUCT: "fail"})
    ok("flip", PRODUCT, "--to", "shadow", "--reason", "compare", via=router)
    drive(router, 60)
    output = refused(
        "flip", PRODUCT, "--to", "canary", "--percent", "5", "--reason", "ramp", via=router
    )
    bullets = [line for line in output.splitlines() if line.startswith("  - ")]
    parity = [line for line in bullets if "parity result" in line]
    assert len(parity) == 1 and "first failure: step 2: /price differs" in parity[0], output
    assert not any(line.startswith("  - first failure") for line in bullets), output


def test_diffs_summary_counts_each_field_that_differed_per_endpoint(router: RouterApp) -> None:
    ok("flip", PRODUCT, "--to", "shadow", "--reason", "compare", via=router)
    drive(router, 3, differ=True)
    drive(router, 1)
    shown = ok("diffs", "--summary", via=router)
    assert f"{PRODUCT}: 4 compared" in shown
    assert "/price value: 3 of 4" in shown
    one = json.loads(ok("diffs", "--summary", "GET /api/products/{pid}", "--json", via=router))[
        "routes"
    ]
    assert one == {
        PRODUCT: {"compared": 4, "fields": [{"where": "/price", "kind": "value", "count": 3}]}
    }
    assert "pass --summary" in strangler("diffs", via=router).output


def test_the_admin_client_sends_its_token_over_the_transport_it_was_given() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"routes": []})

    async def routes() -> list[dict[str, Any]]:
        transport = httpx.MockTransport(answer)
        admin = AdminControl("http://router.test/_strangler/", TOKEN, "test", transport=transport)
        try:
            return await admin.routes()
        finally:
            await admin.aclose()

    assert asyncio.run(routes()) == []
    assert [str(r.url) for r in seen] == ["http://router.test/_strangler/routes"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
