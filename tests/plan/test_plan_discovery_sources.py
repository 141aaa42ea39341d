"""Discovery of any monolith: `plan init` reads the apps its flags name (a Flask app or factory, a
FastAPI app, an OpenAPI document), writes where it found them into the plan, and `plan check`
reads them back from the plan's `upstreams`; bad references name the flag or field, exit 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from typer.testing import CliRunner

from migration_plan.cli import app as cli
from migration_plan.discovery.openapi import openapi_rules
from migration_plan.discovery.sources import DiscoveryError, Source, parse_source
from migration_plan.plan import PlanError, load_plan, parse_plan

runner = CliRunner()

SHOP = """\
import os
from flask import Flask

seen = {}


def create_app():
    seen["DATABASE_URL"] = os.environ["DATABASE_URL"]  # a factory that insists on a database
    seen["STRANGLER_VAR_DIR"] = os.environ["STRANGLER_VAR_DIR"]
    shop = Flask(__name__)
    shop.add_url_rule("/api/items", "items", lambda: "", methods=["GET", "POST"])
    shop.add_url_rule("/api/items/<int:item_id>", "item", lambda item_id: "")
    shop.add_url_rule("/api/carts/<cart_id>", "cart", lambda cart_id: "", methods=["DELETE"])
    return shop


app = create_app()
"""

ITEMS = """\
from fastapi import APIRouter, FastAPI

router = APIRouter(prefix="/api")


@router.get("/items")
def items() -> list[int]:
    return []


@router.post("/items")
def add() -> int:
    return 1


@router.get("/items/{item_id:int}")
def item(item_id: int) -> int:
    return item_id


@router.get("/healthz")
def healthz() -> str:
    return "ok"


app = FastAPI()
app.include_router(router)
"""

CARTS_OPENAPI = {
    "openapi": "3.1.0",
    "servers": [{"url": "https://carts.example/v0"}],
    "paths": {"/api/carts/{id}": {"delete": {}, "parameters": []}},
}


@pytest.fixture
def apps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder with a Flask shop, a FastAPI items service and the carts service's OpenAPI
    document, and the working directory there (as a user runs `strangler` in their project)."""
    (tmp_path / "shop.py").write_text(SHOP)
    (tmp_path / "items_service.py").write_text(ITEMS)
    carts = dict(CARTS_OPENAPI, servers=[])  # a document served at the app's root
    (tmp_path / "carts.json").write_text(json.dumps(carts))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for name in ("shop", "items_service"):
        sys.modules.pop(name, None)


def init(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["plan", "init", *args])
    return result.exit_code, result.output


def check(plan: Path) -> tuple[int, str]:
    result = runner.invoke(cli, ["plan", "check", "--plan", str(plan), "--json"])
    return result.exit_code, result.output


SERVICES = ["--service", "items=items_service:app", "--service", "carts=carts.json"]


@pytest.mark.integration
@pytest.mark.parametrize("legacy", ["shop:app", "shop:create_app"])
def test_init_reads_a_flask_app_or_factory_and_writes_a_plan_that_checks(
    apps: Path, legacy: str
) -> None:
    code, output = init("--legacy", legacy, *SERVICES, "--output", "plan.yaml")
    assert code == 0, output
    text = (apps / "plan.yaml").read_text()
    assert f'legacy: {{url: "http://127.0.0.1:8001", timeout_seconds: 10, app: "{legacy}"}}' in text
    assert (
        'items: {url: "http://127.0.0.1:8002", timeout_seconds: 10, app: "items_service:app"}'
        in text
    )
    assert (
        'carts: {url: "http://127.0.0.1:8003", timeout_seconds: 10, openapi: "carts.json"}' in text
    )
    plan = load_plan(apps / "plan.yaml")
    services = {e.route: e.service for e in plan.endpoints}
    assert services == {
        "GET /api/items": "items",
        "POST /api/items": "items",
        "GET /api/items/{item_id}": "items",
        "DELETE /api/carts/{cart_id}": "carts",
    }
    code, output = check(apps / "plan.yaml")
    assert code == 0, output
    assert json.loads(output)["monolith_endpoints"] == 4


@pytest.mark.integration
def test_a_factory_is_built_on_a_throwaway_database_and_the_environment_is_restored(
    apps: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://prod/never")
    monkeypatch.delenv("STRANGLER_VAR_DIR", raising=False)
    assert init("--legacy", "shop:create_app", "--output", "plan.yaml")[0] == 0
    import shop  # type: ignore[import-not-found]

    url = shop.seen["DATABASE_URL"]
    assert url.startswith("sqlite:///") and "strangler-discover-" in url
    assert not Path(shop.seen["STRANGLER_VAR_DIR"]).exists()  # nothing left behind
    import os

    assert os.environ["DATABASE_URL"] == "postgresql://prod/never"
    assert "STRANGLER_VAR_DIR" not in os.environ


@pytest.mark.integration
def test_init_reads_a_fastapi_app_for_a_service_and_leaves_its_health_route_out(
    apps: Path,
) -> None:
    code, output = init(
        "--legacy", "shop:app", "--service=items=items_service:app", "--output", "out/plan.yaml"
    )
    assert code == 0, output
    text = (apps / "out" / "plan.yaml").read_text()
    assert "healthz" not in text
    assert 'route: "DELETE /api/carts/{cart_id}"\n    phase: 1\n    service: TODO' in text


@pytest.mark.integration
def test_init_reads_a_monolith_from_its_openapi_document_and_urls_from_flags(
    apps: Path,
) -> None:
    (apps / "shop.json").write_text(
        json.dumps({"paths": {"/api/items": {"get": {}}, "/api/items/{id}": {"get": {}}}})
    )
    code, output = init(
        "--legacy",
        "shop.json",
        *SERVICES,
        "--url",
        "legacy=https://shop.internal/",
        "--url=items=http://items:8080",
        "--output",
        "plans/plan.yaml",
    )
    assert code == 0, output
    text = (apps / "plans" / "plan.yaml").read_text()
    assert (
        'legacy: {url: "https://shop.internal", timeout_seconds: 10, openapi: "../shop.json"}'
        in text
    )
    assert (
        'items: {url: "http://items:8080", timeout_seconds: 10, app: "items_service:app"}' in text
    )
    assert "carts" not in text  # implements none of the monolith's endpoints
    code, output = check(apps / "plans" / "plan.yaml")  # the document, relative to the plan
    assert code == 0, output


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--legacy", "shop"], "--legacy: 'shop' is neither MODULE:APP"),
        (["--legacy", "nowhere.shop:app"], "--legacy: cannot import module 'nowhere.shop'"),
        (["--legacy", "shop:make"], "--legacy: module 'shop' has no attribute 'make'"),
        (["--legacy", "shop:seen"], "--legacy: 'shop:seen' is neither an app nor a factory"),
        (["--legacy", "json:dumps"], "--legacy: calling the factory json:dumps() failed"),
        (["--legacy", "missing.json"], "--legacy: cannot read"),
        (["--legacy", "shop:app", "--service", "items"], "--service items: 'items' is not NAME="),
        (
            ["--legacy", "shop:app", "--service", "items=items_service:nope"],
            "--service items: module 'items_service' has no attribute 'nope'",
        ),
        (["--legacy", "shop:app", "--url", "items=http://x"], "--url items=http://x: 'items' is"),
        (["--legacy", "shop:app", "--url", "legacy=x"], "--url legacy=x: 'x' is not an http(s)"),
    ],
)
def test_a_bad_reference_names_the_flag_and_writes_nothing(
    apps: Path, args: list[str], message: str
) -> None:
    code, output = init(*args, "--output", "plan.yaml")
    assert code == 2, output
    assert message in " ".join(output.split())
    assert not (apps / "plan.yaml").exists()


PLAN = """\
version: 1
upstreams:
  legacy: {url: "http://127.0.0.1:8001", app: "shop:create_app"}
  items: {url: "http://127.0.0.1:8002", app: "items_service:app"}
  carts: {url: "http://127.0.0.1:8003", openapi: carts.json}
legacy: legacy
endpoints:
  - {route: "GET /api/items", phase: 1, service: items}
  - {route: "POST /api/items", phase: 1, service: items}
  - {route: "GET /api/items/{id}", phase: 1, service: items}
  - {route: "DELETE /api/carts/{id}", phase: 1, service: carts}
"""


@pytest.mark.integration
def test_check_reads_the_apps_from_the_plan_even_with_url_overrides(
    apps: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (apps / "plan.yaml").write_text(PLAN)
    monkeypatch.setenv("UPSTREAM_ITEMS_URL", "http://elsewhere:9")
    code, output = check(apps / "plan.yaml")
    assert code == 0, output
    (apps / "plan.yaml").write_text(PLAN.replace("DELETE /api/carts", "PUT /api/carts"))
    code, output = check(apps / "plan.yaml")
    kinds = {(f["kind"], f["where"]) for f in json.loads(output)["findings"]}
    assert code == 1 and ("method_mismatch", "plan.yaml:11 endpoints[3]") in kinds


@pytest.mark.integration
@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (", openapi: carts.json}", "}", "upstreams.carts: has neither `app` nor `openapi`"),
        (', app: "shop:create_app"}', "}", "upstreams.legacy: has neither `app` nor `openapi`"),
        ("items_service:app", "items_service:gone", "upstreams.items.app: module 'items_service'"),
        ("carts.json", "lost.json", "upstreams.carts.openapi: cannot read"),
    ],
)
def test_check_names_the_upstream_it_cannot_discover(
    apps: Path, old: str, new: str, message: str
) -> None:
    (apps / "plan.yaml").write_text(PLAN.replace(old, new))
    result = runner.invoke(cli, ["plan", "check", "--plan", "plan.yaml"])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


@pytest.mark.integration
def test_an_upstream_no_endpoint_names_needs_no_app(apps: Path) -> None:
    text = PLAN.replace("upstreams:\n", 'upstreams:\n  later: {url: "http://127.0.0.1:8009"}\n')
    (apps / "plan.yaml").write_text(text)
    assert check(apps / "plan.yaml")[0] == 0


@pytest.mark.unit
@pytest.mark.parametrize(
    ("upstream", "message"),
    [
        (
            '{url: "http://l", app: "shop"}',
            "upstreams.legacy.app: 'shop' is not 'package.module:app'",
        ),
        ('{url: "http://l", openapi: "shop.txt"}', "upstreams.legacy.openapi: 'shop.txt' is not"),
        ('{url: "http://l", app: "a:b", openapi: "a.json"}', "upstreams.legacy: give app or"),
    ],
)
def test_the_plan_validates_where_discovery_looks(upstream: str, message: str) -> None:
    with pytest.raises(PlanError) as error:
        parse_plan(f"version: 1\nupstreams: {{legacy: {upstream}}}\nlegacy: legacy\n", "p.yaml")
    assert message in str(error.value)


@pytest.mark.unit
def test_flags_say_app_or_document() -> None:
    assert parse_source("pkg.mod:create_app") == Source("app", "pkg.mod:create_app")
    assert parse_source("api/openapi.YAML") == Source("openapi", "api/openapi.YAML")
    assert parse_source("https://shop/openapi") == Source("openapi", "https://shop/openapi")
    with pytest.raises(DiscoveryError, match="neither MODULE:APP"):
        parse_source("pkg/mod.py")


@pytest.mark.unit
def test_openapi_operations_sit_under_the_first_servers_path() -> None:
    assert openapi_rules(CARTS_OPENAPI) == [("/v0/api/carts/{id}", {"DELETE"})]


@pytest.mark.integration
@respx.mock
def test_init_fetches_an_openapi_url_and_names_the_flag_when_it_cannot(apps: Path) -> None:
    document = {"paths": {"/api/items": {"get": {}, "post": {}}}}
    respx.get("http://shop.test/openapi.json").mock(return_value=httpx.Response(200, json=document))
    respx.get("http://down.test/openapi.json").mock(side_effect=httpx.ConnectTimeout("slow"))
    code, output = init(
        "--legacy", "http://shop.test/openapi.json", *SERVICES, "--output", "a.yaml"
    )
    assert code == 0, output
    assert 'openapi: "http://shop.test/openapi.json"' in (apps / "a.yaml").read_text()
    code, output = init("--legacy", "http://down.test/openapi.json", "--output", "b.yaml")
    assert code == 2 and "--legacy: cannot fetch http://down.test/openapi.json" in output
    assert not (apps / "b.yaml").exists()
