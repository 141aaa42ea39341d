"""The plan format v1: a valid plan loads; every invalid one names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_plan.plan import Mode, PlanError, load_plan, parse_plan

pytestmark = pytest.mark.unit

GOOD = """\
version: 1
upstreams:
  legacy:   {url: "http://127.0.0.1:8001", timeout_seconds: 10}
  products: {url: "http://127.0.0.1:8003"}
legacy: legacy
phases: {1: "All legacy", 3: "Extract products"}
shadow: {timeout_seconds: 1.5}
endpoints:
  - route: "GET /api/products/{id}"
    phase: 3
    service: products
    mode: canary
    canary_percent: 12.5
    sticky_key: header:X-User
  - route: "POST /api/stock/verify"
    phase: 3
    service: products
    dry_run: true
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, "plan.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_valid_plan_loads_with_defaults_filled_in() -> None:
    plan = parse_plan(GOOD, "plan.yaml")
    first, second = plan.endpoints
    assert first.mode is Mode.CANARY and first.canary_percent == 12.5
    assert second.mode is Mode.LEGACY and second.dry_run and second.canary_percent is None
    assert plan.shadow.timeout_seconds == 1.5 and plan.shadow.max_concurrency == 32
    assert plan.upstreams["legacy"].timeout_seconds == 10
    assert plan.endpoint("GET /api/products/{pid}") is first


def test_an_unknown_mode_names_file_line_field_and_the_choices() -> None:
    text = GOOD.replace("mode: canary", "mode: canry")
    assert problems(text) == [
        "plan.yaml:12: endpoints[0].mode: 'canry' is not one of legacy, shadow, canary, extracted"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    dry_run: true\n",
            "    dry_run: true\n    colour: red\n",
            "plan.yaml:19: endpoints[1].colour: unknown key",
        ),
        (
            "canary_percent: 12.5",
            "canary_percent: 150",
            "plan.yaml:13: endpoints[0].canary_percent: 150 should be less than or equal to 100",
        ),
        (
            "canary_percent: 12.5",
            "canary_percent: -1",
            "plan.yaml:13: endpoints[0].canary_percent: -1 should be greater than or equal to 0",
        ),
        (
            "    canary_percent: 12.5\n",
            "",
            "plan.yaml:9: endpoints[0].canary_percent: is required when mode is canary",
        ),
        (
            "service: products\n    dry_run",
            "service: prods\n    dry_run",
            "plan.yaml:17: endpoints[1].service: 'prods' is not a declared upstream (legacy, ",
        ),
        (
            "legacy: legacy\n",
            "legacy: monolith\n",
            "plan.yaml:5: legacy: 'monolith' is not a declared upstream",
        ),
        (
            "POST /api/stock/verify",
            "GET /api/products/{pid}",
            "plan.yaml:15: endpoints[1].route: 'GET /api/products/{pid}' duplicates endpoints[0]",
        ),
        (
            "POST /api/stock/verify",
            "FETCH /api/stock/verify",
            "plan.yaml:15: endpoints[1].route: 'FETCH /api/stock/verify': method 'FETCH' is not",
        ),
        (
            "POST /api/stock/verify",
            "POST api/stock",
            "plan.yaml:15: endpoints[1].route: 'POST api/stock': the path must start with '/'",
        ),
        (
            "POST /api/stock/verify",
            "POST /api/stock/{a}{b}",
            "plan.yaml:15: endpoints[1].route: 'POST /api/stock/{a}{b}': segment '{a}{b}' must be",
        ),
        (
            "POST /api/stock/verify",
            "POST /api/{id}/x/{id}",
            "plan.yaml:15: endpoints[1].route: 'POST /api/{id}/x/{id}': parameter {id} appears",
        ),
        (
            "POST /api/stock/verify",
            "POST /api//stock",
            "plan.yaml:15: endpoints[1].route: 'POST /api//stock': empty path segment",
        ),
        (
            "POST /api/stock/verify",
            "POST /api/stock/",
            "plan.yaml:15: endpoints[1].route: 'POST /api/stock/': the path must not end with '/'",
        ),
        (
            "    phase: 3\n    service: products\n    dry_run",
            "    phase: 9\n    service: products\n    dry_run",
            "plan.yaml:16: endpoints[1].phase: 9 is not a declared phase (1, 3)",
        ),
        (
            "    phase: 3\n    service: products\n    dry_run",
            "    phase: '3'\n    service: products\n    dry_run",
            "plan.yaml:16: endpoints[1].phase: '3' should be a valid integer",
        ),
        (
            "dry_run: true",
            "dry_run: yes please",
            "plan.yaml:18: endpoints[1].dry_run: 'yes please' should be a valid boolean",
        ),
        (
            "sticky_key: header:X-User",
            "sticky_key: session",
            "plan.yaml:14: endpoints[0].sticky_key: 'session' is not one of token, client_ip",
        ),
        (
            'url: "http://127.0.0.1:8003"',
            'url: "127.0.0.1:8003"',
            "plan.yaml:4: upstreams.products.url: '127.0.0.1:8003' is not an http(s) base URL",
        ),
        (
            "shadow: {timeout_seconds: 1.5}",
            "shadow: {timeout_seconds: 0}",
            "plan.yaml:7: shadow.timeout_seconds: 0 should be greater than 0",
        ),
        (
            "shadow: {timeout_seconds: 1.5}",
            "shadow: {max_conc: 3}",
            "plan.yaml:7: shadow.max_conc: unknown key (allowed: timeout_seconds, max_concurrency,",
        ),
        ("version: 1", "version: 2", "plan.yaml:1: version: 2 is not one of 1"),
        (
            "    phase: 3\n    service: products\n    dry_run",
            "    service: products\n    dry_run",
            "plan.yaml:15: endpoints[1].phase: is required",
        ),
        (
            "legacy: legacy\n",
            "legacy: legacy\nlegacy: products\n",
            "plan.yaml:6: legacy: duplicate key",
        ),
        (
            "dry_run: true",
            "dry_run: true\n    shadow_sample_rate: 1.5",
            "plan.yaml:19: endpoints[1].shadow_sample_rate: 1.5 should be less than or equal to 1",
        ),
    ],
)
def test_each_invalid_plan_names_file_line_and_field(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    text = GOOD.replace("mode: canary", "mode: nope").replace("dry_run: true", "dry_run: 3")
    assert len(problems(text)) == 2


def test_yaml_syntax_errors_carry_a_line() -> None:
    (problem,) = problems("version: 1\nupstreams: {legacy: [\n")
    assert problem.startswith("plan.yaml:3: invalid YAML")


def test_a_plan_that_is_not_a_mapping_is_refused() -> None:
    assert problems("- 1\n- 2\n") == [
        "plan.yaml:1: the plan must be a YAML mapping (version: 1 ...)"
    ]


def test_unknown_parity_keys_are_located_inside_the_parity_block() -> None:
    text = GOOD.replace("    dry_run: true\n", "    dry_run: true\n    parity: {ignorez: []}\n")
    (problem,) = problems(text)
    assert problem.startswith("plan.yaml:19: endpoints[1].parity.ignorez: unknown key")


def test_load_plan_reads_a_file_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(GOOD.replace("mode: canary", "mode: canry"))
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    assert str(caught.value).startswith(f"{path}:12: endpoints[0].mode:")


def test_a_missing_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the plan"):
        load_plan(tmp_path / "absent.yaml")


def test_upstream_urls_can_be_overridden_per_upstream_from_the_environment() -> None:
    plan = parse_plan(GOOD, "plan.yaml", env={"UPSTREAM_PRODUCTS_URL": "http://10.0.0.5:9000/"})
    assert plan.upstreams["products"].url == "http://10.0.0.5:9000"
    assert plan.upstreams["legacy"].url == "http://127.0.0.1:8001"


def test_an_environment_override_changes_the_url_only() -> None:
    text = GOOD.replace(
        'products: {url: "http://127.0.0.1:8003"}',
        'products: {url: "http://127.0.0.1:8003", timeout_seconds: 3, app: "shop.api:app"}',
    )
    plan = parse_plan(text, "plan.yaml", env={"UPSTREAM_PRODUCTS_URL": "http://10.0.0.5:9000"})
    products = plan.upstreams["products"]
    assert (products.url, products.timeout_seconds, products.app) == (
        "http://10.0.0.5:9000",
        3,
        "shop.api:app",
    )


def test_a_bad_environment_override_names_the_variable() -> None:
    with pytest.raises(PlanError, match="UPSTREAM_PRODUCTS_URL"):
        parse_plan(GOOD, "plan.yaml", env={"UPSTREAM_PRODUCTS_URL": "nope"})


def test_the_repository_plan_is_valid_and_covers_the_contract() -> None:
    plan = load_plan(Path(__file__).parents[2] / "migration_plan" / "plan.yaml")
    routes = {e.route: e for e in plan.endpoints}
    assert routes["GET /api/products/{id}"].service == "products"
    assert routes["POST /api/auth/login"].phase == 2
    assert routes["POST /api/orders/{id}/cancel"].dry_run
    assert all(e.mode is Mode.LEGACY for e in plan.endpoints)
    assert all(e.dry_run for e in plan.endpoints if e.template.method in ("POST", "PATCH"))
    assert len(plan.endpoints) == 14


def test_parity_rule_errors_name_the_field_once() -> None:
    text = GOOD.replace("    dry_run: true\n", "    dry_run: true\n    parity: {ignore: [id]}\n")
    (problem,) = problems(text)
    assert problem.startswith("plan.yaml:19: endpoints[1].parity.ignore: pointer pattern 'id'")
