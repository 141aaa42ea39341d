"""`strangler events relay|consume` and `strangler data verify` through the CLI runner."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from extracted.common.bus import EmbeddedBus
from migration_plan.cli import app

from .conftest import World, login

pytestmark = pytest.mark.integration

runner = CliRunner()


@pytest.fixture
def env(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    assert isinstance(world.bus, EmbeddedBus)
    monkeypatch.setenv("DATABASE_URL", world.monolith_url)
    for service, url in world.urls.items():
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", url)
    monkeypatch.setenv("EVENT_BUS", "embedded")
    monkeypatch.setenv("EVENT_BUS_PATH", str(world.bus.path))
    monkeypatch.setenv("STRANGLER_VAR_DIR", str(var_dir(world)))
    monkeypatch.setenv("STRANGLER_STATE", "memory")  # ownership from the plan alone
    return world


def var_dir(world: World) -> Path:
    assert isinstance(world.bus, EmbeddedBus)
    return world.bus.path.parent / "var"


def strangler(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_relay_then_sync_makes_verify_clean(env: World, monolith: httpx.Client) -> None:
    headers = login(monolith)
    line = {"product_id": 4, "quantity": 3}
    assert monolith.post("/api/orders", json={"items": [line]}, headers=headers).status_code == 201

    code, output = strangler("data", "verify", "orders")
    assert code == 1 and "only in the monolith" in output

    code, output = strangler("events", "relay", "all", "--drain")
    assert code == 0, output
    assert "legacy: published" in output
    code, output = strangler("events", "consume", "sync", "--drain")
    assert code == 0, output

    for service in ("auth", "products", "orders"):
        code, output = strangler("data", "verify", service)
        assert code == 0, output
        assert "DIFFERENT" not in output


def test_the_downstream_consumers_apply_an_order_once(env: World, monolith: httpx.Client) -> None:
    from extracted.consumers import CONSUMERS, build_handler
    from extracted.consumers.analytics import counters
    from extracted.consumers.inventory import committed

    headers = login(monolith)
    line = {"product_id": 5, "quantity": 2}
    order = monolith.post("/api/orders", json={"items": [line]}, headers=headers).json()
    assert strangler("events", "relay", "legacy", "--drain")[0] == 0
    for name in ("inventory", "notifications", "analytics"):
        code, output = strangler("events", "consume", name, "--drain")
        assert code == 0, output
    # The same events again (a relay that crashed before marking them sent) change nothing.
    with env.monolith.begin() as conn:
        conn.execute(sa.text("UPDATE outbox SET published_at = NULL"))
    assert strangler("events", "relay", "legacy", "--drain")[0] == 0
    for name in ("inventory", "analytics"):
        assert strangler("events", "consume", name, "--drain")[0] == 0

    _, inventory = build_handler(CONSUMERS["inventory"])
    _, analytics = build_handler(CONSUMERS["analytics"])
    try:
        with inventory.connect() as conn:
            units = sa.select(committed.c.units).where(committed.c.product_id == 5)
            assert conn.execute(units).scalar_one() == 2
        with analytics.connect() as conn:
            query = sa.select(counters).where(counters.c.product_id == 5)
            row = conn.execute(query).mappings().one()
    finally:
        inventory.dispose()
        analytics.dispose()
    assert (row["orders"], row["units"]) == (1, 2)
    email = var_dir(env) / "notifications" / f"order-{order['id']}.eml"
    assert f"Order {order['id']} confirmed" in email.read_text()


def test_an_unknown_consumer_is_named(env: World) -> None:
    code, output = strangler("events", "consume", "billing", "--drain")
    assert code == 1 and "unknown consumer 'billing'" in output
