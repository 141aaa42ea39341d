"""The plan's gates and table ownership: parsed, overridden per endpoint, every error located."""

from __future__ import annotations

import pytest

from migration_plan.plan import PlanError, load_plan, parse_plan

pytestmark = pytest.mark.unit

HEAD = """\
version: 1
upstreams:
  legacy: {url: "http://legacy.test"}
  products: {url: "http://products.test"}
legacy: legacy
"""
ENDPOINT = """\
endpoints:
  - route: "GET /api/products/{id}"
    phase: 3
    service: products
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as info:
        parse_plan(text, "plan.yaml")
    return [str(p) for p in info.value.problems]


def test_gates_default_when_the_plan_has_none() -> None:
    plan = parse_plan(HEAD + ENDPOINT, "plan.yaml")
    gates = plan.gates_for(plan.endpoints[0])
    assert (gates.min_shadow_comparisons, gates.max_mismatch_rate, gates.require_parity) == (
        200,
        0.01,
        True,
    )


def test_an_endpoint_overrides_some_gates_and_keeps_the_rest() -> None:
    text = (
        HEAD
        + "gates: {min_shadow_comparisons: 500, max_mismatch_rate: 0.05}\n"
        + ENDPOINT
        + "    gates: {min_shadow_comparisons: 20, require_parity: false}\n"
    )
    plan = parse_plan(text, "plan.yaml")
    gates = plan.gates_for(plan.endpoints[0])
    assert (gates.min_shadow_comparisons, gates.max_mismatch_rate, gates.require_parity) == (
        20,
        0.05,
        False,
    )


def test_the_repository_plan_has_gates_and_table_owners() -> None:
    plan = load_plan("migration_plan/plan.yaml")
    assert plan.gates.min_shadow_comparisons == 200 and plan.gates.require_parity
    assert plan.tables["products"] == "products" and plan.tables["orders"] == "orders"
    verify = plan.endpoint("POST /api/stock/verify")
    assert verify is not None and plan.gates_for(verify).min_shadow_comparisons == 100


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        (
            "gates: {min_shadows: 5}\n",
            "plan.yaml:6: gates.min_shadows: unknown key (allowed: min_shadow_comparisons, "
            "max_mismatch_rate, require_parity)",
        ),
        (
            "gates: {min_shadow_comparisons: -1}\n",
            "plan.yaml:6: gates.min_shadow_comparisons: -1 should be greater than or equal to 0",
        ),
        (
            "gates: {min_shadow_comparisons: '200'}\n",
            "plan.yaml:6: gates.min_shadow_comparisons: '200' should be a valid integer",
        ),
        (
            "gates: {max_mismatch_rate: 1.5}\n",
            "plan.yaml:6: gates.max_mismatch_rate: 1.5 should be less than or equal to 1",
        ),
        (
            "gates: {require_parity: 'yes'}\n",
            "plan.yaml:6: gates.require_parity: 'yes' should be a valid boolean",
        ),
        (
            "gates: 200\n",
            "plan.yaml:6: gates: 200 should be a valid dictionary or instance of GateSettings",
        ),
        (
            "tables: {products: inventory}\n",
            "plan.yaml:6: tables.products: "
            "'inventory' is not a declared upstream (legacy, products)",
        ),
        (
            "tables: {products: [a]}\n",
            "plan.yaml:6: tables.products: ['a'] should be a valid string",
        ),
        (
            "shadow: {reads: {products: [orders]}}\n",
            "plan.yaml:6: shadow.reads.products: "
            "'orders' is not a declared upstream (legacy, products)",
        ),
        (
            'shadow: {writes_nothing: ["POST /api/stock/verify"]}\n',
            "plan.yaml:6: shadow.writes_nothing[0]: "
            "'POST /api/stock/verify' is not an endpoint of the plan",
        ),
        (
            'shadow: {writes_nothing: ["GET /api/products/{id}"]}\n',
            "plan.yaml:6: shadow.writes_nothing[0]: "
            "'GET /api/products/{id}': a GET writes nothing anyway",
        ),
        (
            'shadow: {writes_nothing: ["stock check"]}\n',
            "plan.yaml:6: shadow.writes_nothing[0]: 'stock check' is not an endpoint of the plan",
        ),
    ],
)
def test_each_plan_wide_error_names_file_line_field_and_what_is_allowed(
    snippet: str, message: str
) -> None:
    assert problems(HEAD + snippet + ENDPOINT) == [message]


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        (
            "    gates: {min: 1}\n",
            "plan.yaml:10: endpoints[0].gates.min: unknown key (allowed: min_shadow_comparisons, "
            "max_mismatch_rate, require_parity)",
        ),
        (
            "    gates: {max_mismatch_rate: -0.1}\n",
            "plan.yaml:10: endpoints[0].gates.max_mismatch_rate: "
            "-0.1 should be greater than or equal to 0",
        ),
        (
            "    gates: {require_parity: 1}\n",
            "plan.yaml:10: endpoints[0].gates.require_parity: 1 should be a valid boolean",
        ),
        (
            "    gatez: {}\n",
            "plan.yaml:10: endpoints[0].gatez: unknown key (allowed: route, phase, service, mode, "
            "canary_percent, sticky_key, shadow_sample_rate, dry_run, fallback, parity, gates, "
            "parity_proposed)",
        ),
    ],
)
def test_each_endpoint_gate_error_names_file_line_field_and_what_is_allowed(
    snippet: str, message: str
) -> None:
    assert problems(HEAD + ENDPOINT + snippet) == [message]
