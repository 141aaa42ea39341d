"""The contract suite: every scenario of `migration_plan.parity.contract`, monolith vs services."""

from __future__ import annotations

import pytest

from migration_plan.parity.contract import SCENARIOS
from migration_plan.parity.pytest_plugin import RunScenario
from migration_plan.parity.scenario import Scenario
from migration_plan.plan import Plan

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_matches_on_both_sides(run_scenario: RunScenario, scenario: Scenario) -> None:
    run_scenario(scenario)


def test_every_plan_endpoint_has_a_success_and_an_error_step(parity_plan: Plan) -> None:
    expected: dict[str, set[str]] = {e.route: set() for e in parity_plan.endpoints}
    for scenario in SCENARIOS:
        for step in scenario.steps:
            assert step.expect is not None, f"{scenario.name}: {step.label} has no expect"
            expected[step.endpoint].add("success" if step.expect < 400 else "error")
    missing = {route: kinds for route, kinds in expected.items() if kinds != {"success", "error"}}
    assert not missing, f"endpoints without a success and an error step: {missing}"
