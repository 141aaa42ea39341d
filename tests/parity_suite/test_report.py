"""Reports: the results file gates read (exact format), JUnit per endpoint scenario, Markdown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from migration_plan.parity.report import ParityReport
from migration_plan.parity.runner import ScenarioResult, run_scenario
from migration_plan.parity.scenario import Capture, Scenario, Step
from migration_plan.plan import Plan

from .fakes import FunctionSide, json_answer

pytestmark = pytest.mark.unit

GET = "GET /api/products/{id}"


def results(plan: Plan) -> list[ScenarioResult]:
    same = FunctionSide(lambda request: json_answer(200, {"id": 1, "price": "8.37"}))
    other = FunctionSide(lambda request: json_answer(200, {"id": 1, "price": 8.37}))
    ok = Scenario(
        "reads", (Step(GET, "GET", "/api/products/1"), Step(GET, "GET", "/api/products/1"))
    )
    bad = Scenario("money", (Step(GET, "GET", "/api/products/1"),))
    return [run_scenario(ok, same, same, plan), run_scenario(bad, same, other, plan)]


def test_the_results_file_has_exactly_the_format_gates_read(
    parity_plan: Plan, tmp_path: Path
) -> None:
    at = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
    report = ParityReport("in-process", results(parity_plan), generated_at=at)
    report.write_results(tmp_path / "deep" / "results.json")
    assert json.loads((tmp_path / "deep" / "results.json").read_text()) == {
        "version": 1,
        "generated_at": "2026-11-27T05:00:00+00:00",
        "source": "in-process",
        "endpoints": {
            GET: {
                "status": "fail",
                "scenarios": 2,
                "steps": 3,
                "planned_steps": 3,
                "mismatches": 1,
                "failures": ['money: /price: "8.37" != 8.37 (type)'],
            }
        },
    }
    assert not report.passed


def test_junit_has_one_case_per_endpoint_scenario(parity_plan: Plan) -> None:
    suite = ET.fromstring(ParityReport("x", results(parity_plan)).junit().split("?>", 1)[1])
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [(GET, "reads"), (GET, "money")]
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == '/price: "8.37" != 8.37 (type)'


def test_markdown_lists_each_endpoint_and_the_failing_diffs(parity_plan: Plan) -> None:
    text = ParityReport("in-process", results(parity_plan)).markdown()
    assert "# Parity: MISMATCHES" in text
    assert f"| `{GET}` | **fail** | 2 | 3 of 3 | 1 |" in text
    assert '/price: "8.37" != 8.37 (type)' in text


def test_a_stopped_scenario_fails_the_endpoint_it_stopped_at(parity_plan: Plan) -> None:
    result = ScenarioResult(Scenario("s", (Step(GET, "GET", "/x"),)), error="boom")
    result.error_endpoint = GET
    endpoint = ParityReport("x", [result]).as_results_file()["endpoints"][GET]
    assert endpoint == {
        "status": "fail", "scenarios": 1, "steps": 0, "planned_steps": 1, "mismatches": 1,
        "failures": ["s: boom"],
    }  # fmt: skip


LIST = "GET /api/orders"


def test_steps_a_stopped_scenario_never_ran_make_their_endpoints_incomplete(
    parity_plan: Plan,
) -> None:
    # Step 2 fails its capture; steps 3 and 4 never run. The list endpoint ran one of its two
    # steps and matched there: that is `incomplete`, not `pass`, and it does not vanish.
    answer = FunctionSide(lambda request: json_answer(200, {"id": 1, "items": []}))
    scenario = Scenario(
        "stops",
        (
            Step(LIST, "GET", "/api/orders"),
            Step(GET, "GET", "/api/products/1", captures=(Capture("sku", "/sku"),)),
            Step(LIST, "GET", "/api/orders"),
            Step("GET /api/orders/{id}", "GET", "/api/orders/1"),
        ),
    )
    report = ParityReport("x", [run_scenario(scenario, answer, answer, parity_plan)])
    endpoints = report.as_results_file()["endpoints"]
    assert endpoints[LIST]["status"] == "incomplete"
    assert (endpoints[LIST]["steps"], endpoints[LIST]["planned_steps"]) == (1, 2)
    assert endpoints["GET /api/orders/{id}"]["status"] == "incomplete"
    assert endpoints["GET /api/orders/{id}"]["failures"] == [
        "stops: step 4 (GET /api/orders/1) did not run"
    ]
    assert endpoints[GET]["status"] == "fail"
    assert not report.passed
    assert "**incomplete**" in report.markdown()


def test_writing_only_some_endpoints_keeps_the_others_from_the_same_source(
    parity_plan: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "results.json"
    earlier = {"status": "pass", "scenarios": 1, "steps": 1, "mismatches": 0, "failures": []}
    endpoints = {"GET /api/orders": earlier, GET: earlier}
    document = {"version": 1, "generated_at": "x", "source": "in-process", "endpoints": endpoints}
    path.write_text(json.dumps(document))
    ParityReport("in-process", results(parity_plan)).write_results(path, only=[GET])
    endpoints = json.loads(path.read_text())["endpoints"]
    assert endpoints["GET /api/orders"] == earlier
    assert endpoints[GET]["status"] == "fail"
    ParityReport("a vs b", results(parity_plan)).write_results(path, only=[GET])
    assert list(json.loads(path.read_text())["endpoints"]) == [GET]  # another source: not merged


def test_the_gates_reader_understands_the_results_file(parity_plan: Plan, tmp_path: Path) -> None:
    from migration_plan.plan.evidence import parse_parity_results

    report = ParityReport("in-process", results(parity_plan))
    parsed = parse_parity_results(report.as_results_file(), "results.json")
    assert parsed.problem is None
    result = parsed.result("GET /api/products/{product_id}")
    assert result is not None
    assert (result.status, result.scenarios, result.steps, result.mismatches) == ("fail", 2, 3, 1)
