"""`strangler parity run` against a live pair that shares its data and runs the sync."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from live_stack import ROOT, LiveStack

from migration_plan.stack.locate import strangler_argv
from tests.live.deviating_proxy import changed_field, deviating_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.load]

PRODUCT = "GET /api/products/{id}"


def parity_run(
    stack: LiveStack, extracted: str, results: Path, *extra: str
) -> tuple[int, str, dict]:
    """`strangler parity run` as a user runs it beside the stack (its state: the watermark)."""
    done = subprocess.run(
        [*strangler_argv(sys.executable), "parity", "run", "--legacy", stack.monolith,
         "--extracted", extracted, "--results", str(results), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "STRANGLER_VAR_DIR": str(stack.var)},
    )  # fmt: skip
    document = json.loads(results.read_text())
    statuses = Counter(e["status"] for e in document["endpoints"].values())
    print(f"parity run {' '.join(extra)}: exit {done.returncode}, {dict(statuses)}")  # for -s
    return done.returncode, done.stdout + done.stderr, document


def test_two_runs_in_a_row_on_identical_sides_both_pass(
    live_stack: LiveStack, tmp_path: Path
) -> None:
    for run in ("first", "second"):
        code, output, results = parity_run(live_stack, live_stack.router, tmp_path / f"{run}.json")
        failed = {r: e for r, e in results["endpoints"].items() if e["status"] != "pass"}
        assert code == 0 and not failed, (run, failed, output[-3000:])
        assert "turns waited for the sync's watermark" in output, output[-3000:]
        for route, result in results["endpoints"].items():
            assert result["status"] == "pass", (run, route, result)
            assert result["steps"] == result["planned_steps"], (run, route, result)


def test_one_changed_field_fails_its_endpoint_by_name(
    live_stack: LiveStack, tmp_path: Path
) -> None:
    deviation = changed_field(r"/api/products/\d+", "description")
    with deviating_proxy(live_stack.router, deviation=deviation) as extracted:
        code, output, results = parity_run(
            live_stack, extracted.url, tmp_path / "deviation.json", "--endpoint", PRODUCT
        )
    assert code == 1, output
    product = results["endpoints"][PRODUCT]
    assert product["status"] == "fail"
    assert any("/description" in line for line in product["failures"]), product["failures"]
    assert PRODUCT in output and "fail" in output
    untouched = {r: e for r, e in results["endpoints"].items() if r != PRODUCT}
    assert all(e["status"] == "pass" for e in untouched.values()), untouched
