"""Discovery on the REAL apps: the repository's plan covers them; a broken plan is caught with
the right findings; `plan init` writes a plan that checks; seams from running the monolith."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migration_plan.cli import app as cli
from migration_plan.discovery.coverage import check_coverage
from migration_plan.discovery.routes import (
    DiscoveredRoute,
    explicit_methods,
    flask_path,
    routes_of,
    starlette_path,
)
from migration_plan.discovery.sql_tables import tables_in
from migration_plan.plan import parse_plan

runner = CliRunner()
PLAN = Path("migration_plan/plan.yaml")


@pytest.mark.unit
def test_route_spellings_are_normalised() -> None:
    assert flask_path("/api/users/<int:user_id>") == "/api/users/{user_id}"
    assert flask_path("/a/<x>/<string(length=2):y>") == "/a/{x}/{y}"
    assert (
        starlette_path("/api/orders/{order_id:flaskint}/cancel") == "/api/orders/{order_id}/cancel"
    )
    assert explicit_methods({"GET", "HEAD", "OPTIONS"}) == ["GET"]
    assert explicit_methods({"OPTIONS"}) == ["OPTIONS"]
    found = routes_of(
        "m", [("/static/<path:filename>", {"GET"}), ("/a/<int:id>", {"GET"})], "flask"
    )
    assert [r.route for r in found] == ["GET /a/{id}"]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("sql", "reads", "writes"),
    [
        ("SELECT users.id FROM users JOIN sessions ON 1", {"users", "sessions"}, set()),
        ('INSERT INTO "orders" (a) VALUES (?)', set(), {"orders"}),
        ("UPDATE products SET stock=stock - ? WHERE products.id = ?", set(), {"products"}),
        ("DELETE FROM sessions WHERE sessions.token = ?", set(), {"sessions"}),
        ("PRAGMA foreign_keys=ON", set(), set()),
    ],
)
def test_tables_are_read_from_sql(sql: str, reads: set[str], writes: set[str]) -> None:
    assert tables_in(sql) == (reads, writes)


@pytest.mark.integration
def test_the_repository_plan_passes_plan_check_against_the_real_apps() -> None:
    result = runner.invoke(cli, ["plan", "check", "--plan", str(PLAN), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["findings"] == [] and report["monolith_endpoints"] == 14


BROKEN = """\
version: 1
upstreams:
  legacy: {url: "http://127.0.0.1:8001", app: "legacy_monolith.app:create_app"}
  products: {url: "http://127.0.0.1:8003", app: "extracted.products_service.app:create_app"}
  orders: {url: "http://127.0.0.1:8004", app: "extracted.orders_service.app:create_app"}
  billing: {url: "http://127.0.0.1:8009", openapi: billing.json}
legacy: legacy
endpoints:
  - {route: "GET /api/products", phase: 3, service: products}
  - {route: "PUT /api/products/{id}", phase: 3, service: products}
  - {route: "GET /api/product/{id}", phase: 3, service: products}
  - {route: "GET /api/orders/{id}", phase: 4, service: products}
  - {route: "GET /api/invoices", phase: 4, service: billing}
  - {route: "GET /api/refunds", phase: 4, service: billing}
"""


@pytest.mark.integration
def test_a_broken_plan_fails_plan_check_with_the_right_findings(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(BROKEN)
    (tmp_path / "billing.json").write_text(json.dumps({"paths": {"/api/invoices": {"get": {}}}}))
    result = runner.invoke(cli, ["plan", "check", "--plan", str(plan), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    findings = {(f["kind"], f["route"]) for f in report["findings"]}
    assert ("method_mismatch", "PUT /api/products/{id}") in findings
    assert ("template_mismatch", "GET /api/product/{id}") in findings
    assert ("not_implemented", "GET /api/orders/{id}") in findings  # products does not serve it
    assert ("not_in_monolith", "GET /api/invoices") in findings
    assert ("not_implemented", "GET /api/invoices") not in findings  # billing's OpenAPI has it
    assert ("not_implemented", "GET /api/refunds") in findings
    assert ("missing_from_plan", "POST /api/orders") in findings
    assert ("missing_from_plan", "PATCH /api/products/{product_id}") not in findings  # PUT's twin
    assert ("missing_from_plan", "GET /api/products/{product_id}") not in findings  # product's
    put = [f["message"] for f in report["findings"] if f["route"] == "PUT /api/products/{id}"]
    assert put == [
        "method mismatch: the plan says PUT /api/products/{id}, "
        "the monolith has PATCH /api/products/<int:product_id>",
        "method mismatch: the plan says PUT /api/products/{id}, "
        "service 'products' has PATCH /api/products/{product_id:flaskint}",
    ]
    text = runner.invoke(cli, ["plan", "check", "--plan", str(plan)]).output
    assert "method mismatch: the plan says PUT /api/products/{id}, the monolith has PATCH" in text
    assert "plan.yaml:10 endpoints[1]" in text  # where the PUT entry is


@pytest.mark.unit
def test_coverage_is_pure_over_discovered_routes() -> None:
    plan = parse_plan(
        "version: 1\nupstreams: {legacy: {url: 'http://l'}, products: {url: 'http://p'}}\n"
        "legacy: legacy\nendpoints:\n"
        "  - {route: 'GET /api/products/{id}', phase: 1, service: products}\n"
    )
    monolith = [DiscoveredRoute("GET", "/api/products/{pid}", "/api/products/<int:pid>", "m")]
    service = [DiscoveredRoute("GET", "/api/products/{x}", "/api/products/{x:flaskint}", "p")]
    assert check_coverage(plan, monolith, {"products": service}, {"products": "products"}) == []


@pytest.mark.integration
def test_plan_init_writes_a_skeleton_that_plan_check_accepts_and_never_overwrites(
    tmp_path: Path,
) -> None:
    target = tmp_path / "plan.yaml"
    init = ["plan", "init", *EXAMPLE_APPS, "--output", str(target)]
    assert runner.invoke(cli, init).exit_code == 0
    text = target.read_text()
    assert 'route: "POST /api/orders"' in text and "service: orders" in text
    assert 'orders: {url: "http://127.0.0.1:8004", timeout_seconds: 10, app: "extracted' in text
    check = runner.invoke(cli, ["plan", "check", "--plan", str(target)])
    assert check.exit_code == 0, check.output
    again = runner.invoke(cli, init)
    assert again.exit_code == 1 and "pass --force" in again.output
    assert runner.invoke(cli, [*init, "--force"]).exit_code == 0


EXAMPLE_APPS = [
    "--legacy",
    "legacy_monolith.app:create_app",
    *(
        f"--service={name}=extracted.{name}_service.app:create_app"
        for name in ("auth", "products", "orders")
    ),
]


@pytest.mark.integration
def test_seams_on_the_real_monolith_show_orders_writing_products() -> None:
    result = runner.invoke(cli, ["plan", "seams", "--plan", str(PLAN), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert "dynamic analysis" in report["method"]
    seams = {s["route"]: s for s in report["endpoints"]}
    assert len(seams) == 14
    assert all(200 <= code < 300 for s in seams.values() for code in s["statuses"])
    place = seams["POST /api/orders"]
    assert {"orders", "order_items", "products"} <= set(place["writes"])
    assert {"table": "products", "owner": "products"} in place["cross_domain"]["writes"]
    cancel = seams["POST /api/orders/{id}/cancel"]
    assert {"table": "products", "owner": "products"} in cancel["cross_domain"]["writes"]
    assert seams["GET /api/products/{id}"]["reads"] == ["products"]
    assert seams["GET /api/products/{id}"]["cross_domain"] == {"reads": [], "writes": []}
    assert "outbox" not in json.dumps(place["cross_domain"])  # the monolith's own table
    table = runner.invoke(cli, ["plan", "seams", "--plan", str(PLAN)]).output
    assert "WRITES products (products)" in table


@pytest.mark.integration
def test_the_older_discovery_calls_read_the_repository_plan() -> None:
    from migration_plan.discovery.apps import all_service_routes, monolith_routes, service_routes

    assert len(monolith_routes()) == 14
    assert {r.route for r in service_routes("products")} >= {"GET /api/products/{product_id}"}
    assert sorted(all_service_routes()) == ["auth", "orders", "products"]
    with pytest.raises(LookupError, match="no service upstream named 'legacy'"):
        service_routes("legacy")
