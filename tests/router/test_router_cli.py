"""`strangler router serve` and the env-driven factory uvicorn calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from migration_plan.cli import app as cli
from migration_plan.commands import router as router_command
from router.aiohttp_forwarder import AiohttpForwarder
from router.app import RouterApp, create_app

pytestmark = pytest.mark.unit

PLAN = """\
version: 1
upstreams: {legacy: {url: "http://127.0.0.1:8001"}, products: {url: "http://127.0.0.1:8003"}}
legacy: legacy
endpoints:
  - {route: "GET /api/products/{id}", phase: 3, service: products, mode: extracted}
"""

VARIABLES = ("ROUTER_PLAN", "ROUTER_HOST", "ROUTER_PORT", "PROMETHEUS_MULTIPROC_DIR")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES:  # set then delete: monkeypatch restores whatever was there before
        monkeypatch.setenv(name, "x")
        monkeypatch.delenv(name)
    return monkeypatch


def test_serve_checks_the_plan_then_runs_uvicorn_with_the_factory(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    calls: list[dict[str, Any]] = []
    clean_env.setattr(router_command, "uvicorn_server", lambda **kw: calls.append(kw))
    result = CliRunner().invoke(
        cli, ["router", "serve", "--plan", str(plan), "--port", "8123", "--workers", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "Router: http://127.0.0.1:8123" in result.output
    (options,) = calls
    assert options["port"] == 8123 and options["workers"] == 3
    assert options["proxy_headers"] is False and options["access_log"] is False
    import os

    assert os.environ["ROUTER_PLAN"] == str(plan)
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]  # several workers share counters
    assert metrics_dir and not Path(metrics_dir).exists()  # and it is removed afterwards


def test_serve_refuses_a_broken_plan_with_its_location(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.replace("mode: extracted", "mode: extractd"))
    clean_env.setattr(router_command, "uvicorn_server", lambda **kw: pytest.fail("served"))
    result = CliRunner().invoke(cli, ["router", "serve", "--plan", str(plan)])
    assert result.exit_code == 1
    assert f"{plan}:5: endpoints[0].mode: 'extractd' is not one of" in result.output.replace(
        "\n", ""
    )


def test_the_factory_with_no_arguments_reads_its_settings_and_plan_from_the_environment(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    clean_env.setenv("ROUTER_PLAN", str(plan))
    clean_env.setenv("ROUTER_ADMIN_TOKEN", "t0ken")
    clean_env.setenv("UPSTREAM_PRODUCTS_URL", "http://10.9.9.9:9000")
    app = create_app()
    assert isinstance(app, RouterApp)
    assert isinstance(app.forwarder, AiohttpForwarder)  # created, not connected: no loop yet
    assert app.plan.upstreams["products"].url == "http://10.9.9.9:9000"
    assert app.settings.admin_token is not None
    assert app.settings.admin_token.get_secret_value() == "t0ken"
