"""The file store: flips persist, writes are atomic and locked, and an unreadable file is
reported (the router keeps serving its last known state; the CLI changes nothing)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from plan_support import PRODUCT, TOKEN, build_router, client_for, plan_text
from typer.testing import CliRunner

from migration_plan.cli import app as cli
from migration_plan.commands.connect import AdminAccess
from migration_plan.plan import Mode
from migration_plan.state import (
    FileStateStore,
    StateSettings,
    build_state,
    state_from_env,
)
from router.app import create_app
from router.routing import RouteOverride
from router.runtime import InMemoryRuntimeState, StateStoreUnavailable, new_record

pytestmark = pytest.mark.integration


def flip(store: FileStateStore, route: str, mode: Mode, actor: str = "a") -> None:
    override = RouteOverride(mode)
    record = new_record(
        route, override, actor=actor, reason="r", before={}, forced=False, overridden=()
    )
    store.apply(route, override, record)


def test_a_flip_survives_a_new_store_on_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"

    async def scenario() -> None:
        await FileStateStore(path).flip(
            PRODUCT,
            RouteOverride(Mode.CANARY, 5.0),
            actor="alice@host",
            reason="ramp",
            before={"mode": "shadow", "canary_percent": 0.0},
            forced=True,
            overridden=["needs 200 shadow comparisons, has 3"],
        )
        again = FileStateStore(path)
        assert await again.overrides() == {PRODUCT: RouteOverride(Mode.CANARY, 5.0)}
        (record,) = await again.history()
        assert record.actor == "alice@host" and record.forced
        assert record.overridden == ("needs 200 shadow comparisons, has 3",)
        assert record.before == {"mode": "shadow", "canary_percent": 0.0}

    asyncio.run(scenario())


def test_concurrent_writers_in_threads_lose_nothing_and_leave_no_temp_files(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    errors: list[BaseException] = []
    seen_bad: list[str] = []
    done = threading.Event()

    def writer(n: int) -> None:
        store = FileStateStore(path)  # one store per worker, as separate processes would have
        try:
            for i in range(25):
                flip(store, f"GET /api/w{n}/{i}", Mode.SHADOW, actor=f"w{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        store = FileStateStore(path)
        while not done.is_set():
            try:
                store.read_overrides()
            except StateStoreUnavailable as exc:  # a half-written file would land here
                seen_bad.append(str(exc))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    watcher.join()
    data = json.loads(path.read_text())
    assert errors == [] and seen_bad == []
    assert len(data["overrides"]) == 100 and len(data["history"]) == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.lock"]


def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    code = (
        "import sys; from pathlib import Path\n"
        "from migration_plan.plan import Mode\n"
        "from migration_plan.state import FileStateStore\n"
        "from router.runtime import new_record\n"
        "from router.routing import RouteOverride\n"
        "store = FileStateStore(Path(sys.argv[1]))\n"
        "for i in range(30):\n"
        "    route = f'GET /api/p{sys.argv[2]}/{i}'\n"
        "    o = RouteOverride(Mode.SHADOW)\n"
        "    store.apply(route, o, new_record(route, o, actor='p', reason='r', before={},"
        " forced=False, overridden=()))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(n)]) for n in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    data = json.loads(path.read_text())
    assert len(data["overrides"]) == 90 and len(data["history"]) == 90


def test_an_unreadable_file_is_reported_as_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{not json")
    store = FileStateStore(path)
    with pytest.raises(StateStoreUnavailable, match="is not valid JSON"):
        store.read_overrides()
    with pytest.raises(StateStoreUnavailable):
        flip(store, PRODUCT, Mode.SHADOW)
    assert path.read_text() == "{not json"  # nothing changed


def test_the_router_serves_its_last_state_while_the_file_is_unreadable_and_heals(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    flip(FileStateStore(path), PRODUCT, Mode.EXTRACTED)

    async def scenario() -> None:
        app = build_router(FileStateStore(path), reload_interval=0.05)
        async with app.running(), client_for(app) as client:
            assert (await client.get("/api/products/1")).headers["x-side"] == "extracted"
            good = path.read_text()
            path.write_text("{broken")
            await asyncio.sleep(0.3)
            ready = (await client.get("/_strangler/readyz")).json()
            metrics = (await client.get("/metrics")).text
            served = (await client.get("/api/products/1")).headers["x-side"]
            assert ready["status"] == "degraded" and served == "extracted"
            assert "strangler_state_store_up 0.0" in metrics
            refused = await client.post(
                "/_strangler/routes/flip",
                json={"route": PRODUCT, "mode": "legacy", "reason": "r", "actor": "a"},
            )
            assert refused.status_code == 503
            assert "state store unavailable, nothing changed" in refused.json()["error"]["message"]
            path.write_text(good)
            await asyncio.sleep(0.3)
            assert (await client.get("/_strangler/readyz")).json()["status"] == "ready"
            assert "strangler_state_store_up 1.0" in (await client.get("/metrics")).text

    asyncio.run(scenario())


def test_settings_choose_the_store(tmp_path: Path) -> None:
    store = state_from_env({"STRANGLER_VAR_DIR": str(tmp_path)})
    assert isinstance(store, FileStateStore) and store.path == tmp_path / "route_state.json"
    custom = state_from_env({"STRANGLER_STATE_PATH": str(tmp_path / "x.json")})
    assert isinstance(custom, FileStateStore) and custom.path == tmp_path / "x.json"
    assert isinstance(build_state(StateSettings(STRANGLER_STATE="memory")), InMemoryRuntimeState)
    with pytest.raises(ValueError, match="STRANGLER_STATE"):
        StateSettings.from_env({"STRANGLER_STATE": "etcd"})


def test_a_router_starting_on_an_unreadable_store_serves_the_plan_degraded_then_follows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    path.write_text("{broken")

    async def scenario() -> None:
        app = build_router(FileStateStore(path), reload_interval=0.05)
        async with app.running(), client_for(app) as client:
            assert (await client.get("/_strangler/readyz")).json()["status"] == "degraded"
            assert (await client.get("/api/products/1")).headers["x-side"] == "legacy"
            path.unlink()
            flip(FileStateStore(path), PRODUCT, Mode.EXTRACTED)
            await asyncio.sleep(0.3)
            assert (await client.get("/_strangler/readyz")).json()["status"] == "ready"
            assert (await client.get("/api/products/1")).headers["x-side"] == "extracted"

    asyncio.run(scenario())


def test_the_factory_reading_its_own_settings_builds_the_store_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_text())
    monkeypatch.setenv("ROUTER_PLAN", str(plan))
    monkeypatch.setenv("STRANGLER_STATE", "file")
    monkeypatch.setenv("STRANGLER_STATE_PATH", str(tmp_path / "flags.json"))
    app = create_app()
    assert isinstance(app.runtime, FileStateStore) and app.runtime.path == tmp_path / "flags.json"


def test_status_warns_when_the_router_serves_a_stale_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    path.write_text("{broken")
    app = build_router(FileStateStore(path))
    app.ready = True
    app.state_store_up = False  # what the sync loop sets while the file cannot be read
    via = AdminAccess(httpx.ASGITransport(app=app))  # the CLI's way to the router
    monkeypatch.setenv("STRANGLER_ADMIN_URL", "http://router.test")
    monkeypatch.setenv("ROUTER_ADMIN_TOKEN", TOKEN)
    result = CliRunner().invoke(cli, ["status"], obj=via)
    assert result.exit_code == 0 and "cannot reach its state store" in result.output
    report = json.loads(CliRunner().invoke(cli, ["status", "--json"], obj=via).output)
    assert report["health"]["status"] == "degraded"


def test_a_flip_decides_on_the_shared_state_not_on_a_stale_table(tmp_path: Path) -> None:
    path = tmp_path / "state.json"

    async def scenario() -> None:
        one = build_router(FileStateStore(path))  # reload_interval=0: no sync loop at all
        two = build_router(FileStateStore(path))
        async with one.running(), two.running():
            await one.flip(route=PRODUCT, mode=Mode.SHADOW, percent=None, actor="a", reason="r")
            record = await two.flip(
                route=PRODUCT, mode=Mode.LEGACY, percent=None, actor="b", reason="back"
            )
            assert record.before["mode"] == "shadow"  # what the store said, not two's old table

    asyncio.run(scenario())
