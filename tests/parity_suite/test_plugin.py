"""The plugin's assertion: a readable per-step diff, and known differences accepted by path."""

from __future__ import annotations

import pytest

from migration_plan.parity.pytest_plugin import ParityFailure, check
from migration_plan.parity.runner import run_scenario
from migration_plan.parity.scenario import Scenario, Step
from migration_plan.plan import Plan

from .fakes import FunctionSide, json_answer

pytestmark = pytest.mark.unit

SCENARIO = Scenario("price", (Step("GET /api/products/{id}", "GET", "/api/products/1"),))


def test_a_mismatch_fails_with_the_step_and_its_differences(parity_plan: Plan) -> None:
    legacy = FunctionSide(lambda r: json_answer(200, {"price": "8.37"}))
    extracted = FunctionSide(lambda r: json_answer(201, {"price": 8.37}))
    result = run_scenario(SCENARIO, legacy, extracted, parity_plan)
    with pytest.raises(ParityFailure) as failure:
        check(result)
    assert str(failure.value) == (
        "scenario 'price':\n"
        "step 1 GET /api/products/1 [GET /api/products/{id}]\n"
        "  2 differences\n"
        "    status: 200 != 201\n"
        '    /price: "8.37" != 8.37 (type)'
    )


def test_known_differences_pass_only_at_their_endpoint_and_path(parity_plan: Plan) -> None:
    legacy = FunctionSide(lambda r: json_answer(200, {"price": "8.37"}))
    extracted = FunctionSide(lambda r: json_answer(200, {"price": 8.37}))
    result = run_scenario(SCENARIO, legacy, extracted, parity_plan)
    check(result, known={("GET /api/products/{id}", "/price")})
    with pytest.raises(ParityFailure):
        check(result, known={("GET /api/products", "/price")})
