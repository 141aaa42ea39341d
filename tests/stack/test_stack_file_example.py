"""The worked example's stack file builds exactly what the code-built stack (wiring.py) builds:
argv, environment, ports, readiness, start order, preparation; for many environments."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from migration_plan.plan import load_plan
from migration_plan.stack import StackConfigError, assign_ports, build_stack, preparation
from migration_plan.stack.from_file import (
    Inputs,
    build_from_file,
    map_upstreams,
    plan_upstream_owner,
)
from migration_plan.stack.locate import DEFAULT_STACK, resolve_stack
from migration_plan.stack.prepare import selected
from migration_plan.stack.stackfile import load_stack_file
from migration_plan.stack.wiring import Stack, upstream_components

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / DEFAULT_STACK
PLAN = ROOT / "migration_plan" / "plan.yaml"
VAR = Path("/srv/strangler/var")
PYTHON = "/venv/bin/python"
STRANGLER = ("/venv/bin/python", "-c", "from migration_plan.cli import main; main()")

ENVIRONS: list[dict[str, str]] = [
    {},
    {"ROUTER_PORT": "9000"},
    {"ROUTER_PORT": "9000", "MONOLITH_PORT": "7001", "SYNC_METRICS_PORT": "7006"},
    {"DATABASE_URL": "postgresql+psycopg://db/monolith", "ORDERS_DATABASE_URL": "sqlite:///o"},
    {"UPSTREAM_PRODUCTS_URL": "http://10.0.0.9:9000", "PRODUCTS_PORT": ""},
    {"ROUTER_PORT": "20000", "AUTH_PORT": "20100", "ANALYTICS_METRICS_PORT": "20109"},
]


def code_built(environ: Mapping[str, str], router_port: int | None, with_plan: bool) -> Stack:
    upstreams = upstream_components(load_plan(PLAN, env={})) if with_plan else {}
    return build_stack(
        environ,
        ports=assign_ports(environ, router_port),
        upstreams=upstreams,
        var_dir=VAR,
        python=PYTHON,
        strangler=STRANGLER,
        plan_path=PLAN,
        admin_token="t0ken",
    )


def file_built(environ: Mapping[str, str], router_port: int | None, with_plan: bool) -> Stack:
    stack = load_stack_file(EXAMPLE)
    owner = plan_upstream_owner(stack)
    assert owner is not None and owner.plan_upstreams is not None
    targets = owner.plan_upstreams
    upstreams = (
        map_upstreams(load_plan(PLAN, env={}), targets.legacy, targets.services)
        if with_plan
        else None
    )
    inputs = Inputs(environ, VAR, PYTHON, STRANGLER, PLAN, "t0ken", router_port)
    return build_from_file(stack, inputs, name=str(EXAMPLE), upstreams=upstreams)


@pytest.mark.parametrize("environ", ENVIRONS)
@pytest.mark.parametrize("router_port", [None, 7000])
def test_the_example_file_builds_the_code_built_components(
    environ: dict[str, str], router_port: int | None
) -> None:
    expected = code_built(environ, router_port, with_plan=True)
    actual = file_built(environ, router_port, with_plan=True)
    assert [c.name for c in actual.components] == [c.name for c in expected.components]
    for want, got in zip(expected.components, actual.components, strict=True):
        assert got == want, want.name
    assert actual.display_order == expected.display_order
    assert actual.admin_url == expected.admin_url
    assert actual.router == expected.router
    assert actual.vital == expected.vital == {"router"}


def test_without_the_plan_the_router_has_no_upstream_urls_as_before() -> None:
    assert file_built({}, None, False).components == code_built({}, None, False).components


@pytest.mark.parametrize("environ", ENVIRONS[:4])
@pytest.mark.parametrize(("seed", "backfill"), [(True, True), (False, True), (True, False)])
def test_the_example_file_prepares_as_the_code_did(
    environ: dict[str, str], seed: bool, backfill: bool
) -> None:
    expected = preparation(
        code_built(environ, None, False),
        strangler=STRANGLER,
        python=PYTHON,
        seed=seed,
        backfill=backfill,
    )
    assert selected(file_built(environ, None, False), seed=seed, backfill=backfill) == expected


def test_the_example_checks_the_service_migrations_before_starting() -> None:
    assert file_built({}, None, False).modules == (
        "extracted.auth_service.migrate",
        "extracted.products_service.migrate",
        "extracted.orders_service.migrate",
    )


@pytest.mark.parametrize(
    "environ",
    [{"ROUTER_PORT": "65530"}, {"ROUTER_PORT": "eighty"}, {"MONOLITH_PORT": "8002"}],
)
def test_the_example_refuses_what_the_code_refused_with_the_same_message(
    environ: dict[str, str],
) -> None:
    with pytest.raises(StackConfigError) as code:
        code_built(environ, None, False)
    with pytest.raises(StackConfigError) as file:
        file_built(environ, None, False)
    assert str(file.value) == str(code.value)


def test_the_default_stack_file_is_the_example_here_or_in_the_package(tmp_path: Path) -> None:
    assert resolve_stack(None, {}, ROOT) == EXAMPLE
    assert resolve_stack(None, {"STRANGLER_STACK": "x.yaml"}, tmp_path) == tmp_path / "x.yaml"
    assert resolve_stack(Path("y.yaml"), {"STRANGLER_STACK": "x"}, tmp_path) == tmp_path / "y.yaml"
    assert resolve_stack(None, {}, tmp_path).name == "stack.yaml"
