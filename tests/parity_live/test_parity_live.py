"""`strangler parity run` against a live pair that shares its data and runs the sync."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from deviating_proxy import deviating_proxy
from live_stack import ROOT, LiveStack

from migration_plan.stack.locate import strangler_argv

pytestmark = [pytest.mark.e2e, pytest.mark.load]

PRODUCT = "GET /api/products/{id}"
# The router answers a body over 1 MiB with its own 413 before the side can say 401/404; that
# ordering is being changed in router/ (not here). Until it lands, only its steps may differ.
ROUTER_413 = "bodies over 1 MiB are 413 after auth and existence"


def parity_run(legacy: str, extracted: str, results: Path, *extra: str) -> tuple[int, str, dict]:
    done = subprocess.run(
        [*strangler_argv(sys.executable), "parity", "run", "--legacy", legacy,
         "--extracted", extracted, "--results", str(results), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    document = json.loads(results.read_text())
    statuses = Counter(e["status"] for e in document["endpoints"].values())
    print(f"parity run {' '.join(extra)}: exit {done.returncode}, {dict(statuses)}")  # for -s
    return done.returncode, done.stdout + done.stderr, document


def unexplained(results: dict) -> dict[str, list[str]]:
    """Per endpoint that is not `pass`, its failure lines other than the router's 413 ones."""
    return {
        route: [line for line in result["failures"] if not line.startswith(ROUTER_413 + ":")]
        for route, result in results["endpoints"].items()
        if result["status"] != "pass"
    }


def test_two_runs_in_a_row_on_identical_sides_both_pass(
    live_stack: LiveStack, tmp_path: Path
) -> None:
    for run in ("first", "second"):
        code, output, results = parity_run(
            live_stack.monolith, live_stack.router, tmp_path / f"{run}.json"
        )
        assert all(not lines for lines in unexplained(results).values()), (run, output)
        if not unexplained(results):
            assert code == 0, output
        for result in results["endpoints"].values():
            assert result["status"] != "pass" or result["steps"] == result["planned_steps"]


def test_one_changed_field_fails_its_endpoint_by_name(
    live_stack: LiveStack, tmp_path: Path
) -> None:
    with deviating_proxy(live_stack.router, r"/api/products/\d+", "description") as extracted:
        code, output, results = parity_run(
            live_stack.monolith, extracted, tmp_path / "deviation.json", "--endpoint", PRODUCT
        )
    assert code == 1, output
    product = results["endpoints"][PRODUCT]
    assert product["status"] == "fail"
    assert any("/description" in line for line in product["failures"]), product["failures"]
    assert PRODUCT in output and "fail" in output
    untouched = {r: e for r, e in results["endpoints"].items() if r != PRODUCT}
    assert all(e["status"] == "pass" for e in untouched.values()), untouched
