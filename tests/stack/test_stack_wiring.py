"""Spec building is pure: argv, environment and readiness URL of every component, from the env."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from migration_plan.plan import parse_plan
from migration_plan.stack import StackConfigError, assign_ports, build_stack, upstream_components
from migration_plan.stack.wiring import Stack

pytestmark = pytest.mark.unit

VAR = Path("/srv/strangler/var")
PLAN_YAML = """
version: 1
legacy: monolith
upstreams:
  monolith: {url: "http://127.0.0.1:8001"}
  auth: {url: "http://127.0.0.1:8002"}
  products_service: {url: "http://127.0.0.1:8003"}
  orders: {url: "http://127.0.0.1:8004"}
"""
UPSTREAMS = {
    "monolith": "monolith",
    "auth": "auth",
    "products_service": "products",
    "orders": "orders",
}


def stack_for(environ: Mapping[str, str], router_port: int | None = None) -> Stack:
    return build_stack(
        environ,
        ports=assign_ports(environ, router_port),
        upstreams=UPSTREAMS,
        var_dir=VAR,
        python="/venv/bin/python",
        strangler=("strangler",),
        plan_path=Path("/repo/migration_plan/plan.yaml"),
        admin_token="t0ken",
    )


def test_plan_upstreams_map_to_components_by_name() -> None:
    assert upstream_components(parse_plan(PLAN_YAML)) == UPSTREAMS


def test_an_upstream_that_is_no_component_is_refused_by_name() -> None:
    plan = parse_plan(PLAN_YAML.replace("orders:", "billing:"))
    with pytest.raises(StackConfigError, match="upstream 'billing' is none of"):
        upstream_components(plan)


def test_components_start_monolith_first_and_display_router_first() -> None:
    stack = stack_for({})
    assert [c.name for c in stack.components] == [
        "monolith",
        "auth",
        "products",
        "orders",
        "relay",
        "sync",
        "inventory",
        "notifications",
        "analytics",
        "router",
    ]
    assert [c.name for c in stack.display_order][0] == "router"


def test_the_routers_upstream_urls_follow_the_assigned_ports() -> None:
    router = stack_for({"ROUTER_PORT": "9000"}).router
    assert router.env["UPSTREAM_MONOLITH_URL"] == "http://127.0.0.1:9001"
    assert router.env["UPSTREAM_AUTH_URL"] == "http://127.0.0.1:9002"
    assert router.env["UPSTREAM_PRODUCTS_SERVICE_URL"] == "http://127.0.0.1:9003"
    assert router.env["UPSTREAM_ORDERS_URL"] == "http://127.0.0.1:9004"
    assert router.env["ROUTER_PORT"] == "9000"
    assert router.env["ROUTER_PLAN"] == "/repo/migration_plan/plan.yaml"
    assert router.env["ROUTER_ADMIN_TOKEN"] == "t0ken"


def test_each_service_gets_the_other_components_urls_and_its_own_port() -> None:
    stack = stack_for({"ROUTER_PORT": "9000"})
    auth = stack.component("auth").env
    assert auth["LEGACY_URL"] == "http://127.0.0.1:9001"
    assert auth["AUTH_PORT"] == "9002"
    assert "AUTH_SERVICE_URL" not in auth
    orders = stack.component("orders").env
    assert orders["AUTH_SERVICE_URL"] == "http://127.0.0.1:9002"
    assert orders["PRODUCTS_SERVICE_URL"] == "http://127.0.0.1:9003"
    assert orders["ORDERS_PORT"] == "9004"
    products = stack.component("products").env
    assert products["AUTH_SERVICE_URL"] == "http://127.0.0.1:9002"


def test_databases_are_sqlite_files_in_the_var_dir_unless_the_environment_names_one() -> None:
    stack = stack_for({"PRODUCTS_DATABASE_URL": "postgresql+psycopg://db/products"})
    assert stack.component("monolith").env["DATABASE_URL"] == f"sqlite:///{VAR}/monolith.db"
    assert stack.component("auth").env["AUTH_DATABASE_URL"] == f"sqlite:///{VAR}/auth.db"
    assert stack.component("orders").env["ORDERS_DATABASE_URL"] == f"sqlite:///{VAR}/orders.db"
    assert (
        stack.component("products").env["PRODUCTS_DATABASE_URL"]
        == "postgresql+psycopg://db/products"
    )
    assert all(c.env["STRANGLER_VAR_DIR"] == str(VAR) for c in stack.components)


def test_argv_runs_the_agreed_entry_points_on_the_assigned_ports() -> None:
    stack = stack_for({}, router_port=7000)
    monolith = stack.component("monolith").argv
    assert monolith[:3] == ("/venv/bin/python", "-m", "gunicorn")
    assert monolith[-1] == "legacy_monolith:create_app()"
    assert "127.0.0.1:7001" in monolith
    assert stack.component("products").argv == (
        "/venv/bin/python",
        "-m",
        "uvicorn",
        "extracted.products_service.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        "7003",
    )
    assert stack.router.argv == ("strangler", "router", "serve")
    assert stack.router.env["ROUTER_HOST"] == "127.0.0.1"
    assert stack.router.env["ROUTER_PORT"] == "7000"


def test_readiness_urls_are_readyz_on_services_and_the_admin_readyz_on_the_router() -> None:
    stack = stack_for({})
    assert stack.router.ready_url == "http://127.0.0.1:8000/_strangler/readyz"
    assert stack.component("auth").ready_url == "http://127.0.0.1:8002/readyz"
    assert stack.component("monolith").ready_url.startswith("http://127.0.0.1:8001/api/")
    assert stack.admin_url == "http://127.0.0.1:8000/_strangler/"


def test_building_the_same_stack_twice_gives_equal_specs() -> None:
    assert stack_for({"ROUTER_PORT": "9000"}) == stack_for({"ROUTER_PORT": "9000"})


def test_the_monolith_runs_with_its_one_gunicorn_config() -> None:
    argv = stack_for({}).component("monolith").argv
    assert argv[argv.index("-c") + 1] == "python:legacy_monolith.gunicorn_conf"
    assert argv[-1] == "legacy_monolith:create_app()"


def test_a_callers_upstream_url_reaches_the_router_unchanged() -> None:
    stack = stack_for({"UPSTREAM_ORDERS_URL": "http://10.0.0.9:9000"})
    assert stack.router.env["UPSTREAM_ORDERS_URL"] == "http://10.0.0.9:9000"
    assert stack.router.env["UPSTREAM_AUTH_URL"].startswith("http://127.0.0.1:")
