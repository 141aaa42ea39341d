"""`strangler parity run` and the pytest plugin run the scenario files of the folder the plan
names; a bad file stops the run before anything runs or is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migration_plan.cli import app
from migration_plan.parity.contract import SCENARIOS
from migration_plan.parity.pytest_plugin import parity_plan, parity_scenarios  # noqa: F401
from migration_plan.parity.scenario import Scenario
from migration_plan.parity.scenario_files import DEFAULT_FOLDER

pytestmark = pytest.mark.integration

PLAN = DEFAULT_FOLDER.parent / "plan.yaml"
MINE = """version: 1
scenarios:
  - name: two products by id
    steps:
      - {endpoint: "GET /api/products/{id}", path: /api/products/1, expect: 200}
      - {endpoint: "GET /api/products/{id}", path: /api/products/999999999, expect: 404}
"""


def plan_naming(tmp_path: Path, scenario_text: str) -> Path:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "products.yaml").write_text(scenario_text)
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.read_text() + "\nparity: {scenarios: mine}\n")
    return plan


def run(plan: Path, results: Path) -> tuple[int, str]:
    done = CliRunner().invoke(
        app, ["parity", "run", "--plan", str(plan), "--results", str(results)],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    return done.exit_code, done.output


def test_parity_run_runs_the_folder_the_plan_names(tmp_path: Path) -> None:
    code, output = run(plan_naming(tmp_path, MINE), tmp_path / "r.json")
    assert code == 0, output
    endpoints = json.loads((tmp_path / "r.json").read_text())["endpoints"]
    assert list(endpoints) == ["GET /api/products/{id}"]
    assert (endpoints["GET /api/products/{id}"]["scenarios"], endpoints[
        "GET /api/products/{id}"]["steps"]) == (1, 2)  # fmt: skip
    assert "two products by id" in output


def test_a_bad_scenario_file_stops_the_run_and_writes_nothing(tmp_path: Path) -> None:
    plan = plan_naming(tmp_path, MINE.replace("expect: 404", "expect: four-oh-four"))
    code, output = run(plan, tmp_path / "r.json")
    assert code == 2
    assert "products.yaml:6: scenario 'two products by id': step 1: expect:" in output
    assert not (tmp_path / "r.json").exists()


def test_a_folder_the_plan_names_must_be_there(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.read_text() + "\nparity: {scenarios: missing}\n")
    code, output = run(plan, tmp_path / "r.json")
    assert code == 2 and "no such folder" in output


def test_the_plugin_offers_the_scenarios_of_the_plan(
    parity_scenarios: tuple[Scenario, ...],  # noqa: F811
) -> None:
    assert parity_scenarios == SCENARIOS  # this repository's plan names no folder: the package's
