"""The Redis store: two router replicas share flips within a second, keep serving their last
known state through a Redis outage (reporting it), and heal when Redis is back."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
from plan_support import PRODUCT, TcpProxy, build_router, client_for, plan_text

from migration_plan.plan import Mode
from migration_plan.state import RedisStateStore
from router.app import RouterApp
from router.routing import RouteOverride
from router.runtime import StateStoreUnavailable
from tests.support.polling import eventually_async

pytestmark = [pytest.mark.redis, pytest.mark.integration]


def prefix() -> str:
    return f"strangler:test:{uuid.uuid4().hex[:12]}:"


def mode_of(app: RouterApp) -> Mode:
    flag = app.table.flag(PRODUCT)
    assert flag is not None
    return flag.mode


async def cleanup(url: str, key_prefix: str) -> None:
    store = RedisStateStore(url, key_prefix)
    await store._redis.delete(store.overrides_key, store.history_key)
    await store.aclose()


@asynccontextmanager
async def replicas(url: str, key_prefix: str) -> AsyncIterator[tuple[RouterApp, RouterApp]]:
    one = build_router(RedisStateStore(url, key_prefix), reload_interval=0.1)
    two = build_router(RedisStateStore(url, key_prefix), reload_interval=0.1)
    try:
        async with one.running(), two.running():
            yield one, two
    finally:
        await cleanup(url, key_prefix)


@pytest.mark.anyio
async def test_a_flip_through_one_replica_reaches_the_other_within_a_second(
    redis_url: str,
) -> None:
    key_prefix = prefix()
    async with replicas(redis_url, key_prefix) as (one, two):
        async with client_for(one) as client:
            response = await client.post(
                "/_strangler/routes/flip",
                json={"route": PRODUCT, "mode": "shadow", "reason": "r", "actor": "a"},
            )
        assert response.status_code == 200
        took = await eventually_async(lambda: mode_of(two) is Mode.SHADOW, 1.0, "the flip on two")
        history = await two.runtime.history()
        assert [r.after["mode"] for r in history] == ["shadow"] and took < 1.0


@pytest.mark.anyio
async def test_a_redis_outage_keeps_both_replicas_on_their_last_state_and_they_heal(
    redis_url: str,
) -> None:
    parsed = urlparse(redis_url)
    proxy = TcpProxy(parsed.hostname or "127.0.0.1", parsed.port or 6379)
    await proxy.start()
    via_proxy = f"redis://127.0.0.1:{proxy.port}{parsed.path or '/15'}"
    key_prefix = prefix()
    direct = RedisStateStore(redis_url, key_prefix)
    try:
        async with replicas(via_proxy, key_prefix) as (one, two):
            await one.flip(
                route=PRODUCT, mode=Mode.SHADOW, percent=None, actor="a", reason="before"
            )
            await eventually_async(lambda: mode_of(two) is Mode.SHADOW, 1.0, "the first flip")

            await proxy.cut()
            for app in (one, two):
                await eventually_async(lambda a=app: not a.state_store_up, 3.0, "degraded")
                async with client_for(app) as client:
                    ready = (await client.get("/_strangler/readyz")).json()
                    metrics = (await client.get("/metrics")).text
                    served = await client.get("/api/products/1")
                assert ready["status"] == "degraded"
                assert "strangler_state_store_up 0.0" in metrics
                assert served.status_code == 200 and served.headers["x-side"] == "legacy"
                assert mode_of(app) is Mode.SHADOW  # the last known state
            with pytest.raises(StateStoreUnavailable):
                await one.flip(
                    route=PRODUCT, mode=Mode.LEGACY, percent=None, actor="a", reason="down"
                )

            # a change made while they could not hear it (straight to Redis)
            await direct.flip(
                PRODUCT, RouteOverride(Mode.LEGACY), actor="ops", reason="during", before={}
            )
            await proxy.restore()
            for app in (one, two):
                await eventually_async(lambda a=app: a.state_store_up, 5.0, "healed")
                await eventually_async(lambda a=app: mode_of(a) is Mode.LEGACY, 2.0, "caught up")
                async with client_for(app) as client:
                    assert (await client.get("/_strangler/readyz")).json()["status"] == "ready"
    finally:
        await direct.aclose()
        await proxy.cut()


@pytest.mark.anyio
async def test_the_store_reports_an_unreachable_server() -> None:
    store = RedisStateStore("redis://127.0.0.1:9/15", prefix(), timeout_seconds=0.2)
    try:
        with pytest.raises(StateStoreUnavailable, match="does not answer"):
            await store.overrides()
        with pytest.raises(StateStoreUnavailable, match="nothing changed"):
            await store.flip(PRODUCT, RouteOverride(Mode.SHADOW), actor="a", reason="r", before={})
    finally:
        await store.aclose()


def test_the_cli_works_directly_on_the_redis_store(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from migration_plan.cli import app as cli

    key_prefix = prefix()
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_text())
    for name in ("STRANGLER_ADMIN_URL", "ROUTER_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROUTER_PLAN", str(plan))
    monkeypatch.setenv("STRANGLER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("STRANGLER_STATE", "redis")
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("STRANGLER_STATE_PREFIX", key_prefix)
    runner = CliRunner()
    try:
        flipped = runner.invoke(
            cli, ["flip", PRODUCT, "--to", "shadow", "--reason", "r", "--actor", "ops", "--direct"]
        )
        assert flipped.exit_code == 0, flipped.output
        history = json.loads(runner.invoke(cli, ["history", "--json", "--direct"]).output)
        assert history["source"].startswith("state store redis at ")
        assert [(r["actor"], r["after"]["mode"]) for r in history["history"]] == [("ops", "shadow")]
        monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/15")
        down = runner.invoke(cli, ["flip", PRODUCT, "--to", "legacy", "--reason", "r", "--direct"])
        assert (
            down.exit_code == 1 and "the state store is unavailable, nothing changed" in down.output
        )
    finally:
        asyncio.run(cleanup(redis_url, key_prefix))


def test_the_syncs_ownership_reads_never_hang_on_the_redis_store(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sync re-reads ownership every 2 s, each time in a fresh event loop. A store that
    # listened left a pub/sub task whose cancellation hung asyncio.run by the 4th read, and the
    # whole sync with it (every group waits on the ownership lock).
    import threading

    from migration_plan.commands.events import read_owners

    key_prefix = prefix()
    environ = {
        "ROUTER_PLAN": str(Path(__file__).resolve().parents[2] / "migration_plan" / "plan.yaml"),
        "STRANGLER_STATE": "redis",
        "REDIS_URL": redis_url,
        "STRANGLER_STATE_PREFIX": key_prefix,
    }
    owners: list[dict[str, str]] = []

    def read_many() -> None:
        for _ in range(20):
            owners.append(read_owners(environ))

    reader = threading.Thread(target=read_many, daemon=True)
    reader.start()
    reader.join(60)
    assert not reader.is_alive(), f"hung after {len(owners)} reads"
    assert len(owners) == 20 and owners[0]["products"] == "legacy"
