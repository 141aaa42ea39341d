"""Preparation is a pure list of stages: schemas together, then the seed, then the backfill."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_plan.stack import assign_ports, build_stack, preparation
from migration_plan.stack.wiring import Stack

pytestmark = pytest.mark.unit

VAR = Path("/tmp/var")


def stack() -> Stack:
    return build_stack(
        {},
        ports=assign_ports({}),
        upstreams={},
        var_dir=VAR,
        python="py",
        strangler=("strangler",),
        plan_path=Path("plan.yaml"),
        admin_token="t",
    )


def names(stages: tuple[tuple[object, ...], ...]) -> list[list[str]]:
    return [[step.name for step in stage] for stage in stages]  # type: ignore[attr-defined]


def test_schemas_run_together_then_seed_then_backfill() -> None:
    stages = preparation(stack(), strangler=("strangler",), python="py")
    assert names(stages) == [
        ["monolith: db upgrade", "auth: migrations", "products: migrations", "orders: migrations"],
        ["monolith: seed"],
        ["data backfill all"],
    ]


def test_no_seed_and_no_backfill_leave_only_the_schemas() -> None:
    stages = preparation(stack(), strangler=("s",), python="py", seed=False, backfill=False)
    assert names(stages) == [
        ["monolith: db upgrade", "auth: migrations", "products: migrations", "orders: migrations"]
    ]


def test_steps_use_the_cli_and_each_services_migrate_module_on_its_database() -> None:
    schemas, seed, backfill = preparation(stack(), strangler=("strangler",), python="py")
    assert schemas[0].argv == ("strangler", "db", "upgrade")
    assert schemas[0].env["DATABASE_URL"] == f"sqlite:///{VAR}/monolith.db"
    auth = schemas[1]
    assert auth.argv[0:2] == ("py", "-c")
    assert "extracted.auth_service.migrate" in auth.argv[2]
    assert auth.argv[3] == f"sqlite:///{VAR}/auth.db"
    assert seed[0].argv == ("strangler", "seed")
    assert backfill[0].argv == ("strangler", "data", "backfill", "all")
    assert backfill[0].env["ORDERS_DATABASE_URL"] == f"sqlite:///{VAR}/orders.db"
    assert backfill[0].env["DATABASE_URL"] == f"sqlite:///{VAR}/monolith.db"
