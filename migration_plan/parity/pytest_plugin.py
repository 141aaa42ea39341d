"""pytest plugin: ``run_scenario(scenario)`` against both sides, failing with a per-step diff.

Load it with ``-p migration_plan.parity.pytest_plugin`` (or re-export its fixtures from a
conftest). By default both sides run in-process on a fresh copy of the seeded data per test;
``--parity-legacy URL --parity-extracted URL`` (or ``PARITY_LEGACY_URL`` /
``PARITY_EXTRACTED_URL``) run the same scenarios against two deployed sides instead.

    def test_cancel(run_scenario):
        run_scenario(my_scenario)  # fails with "step 3 ... /status: "pending" != "cancelled""

    def test_all(run_scenario, parity_scenarios):  # the files the plan names
        for scenario in parity_scenarios:
            run_scenario(scenario)
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

import pytest

from migration_plan.plan import Plan, load_plan

from .inprocess import InProcessPair, SeededData
from .redact import default_redactor
from .runner import ScenarioResult
from .runner import run_scenario as run_pair
from .scenario import Scenario
from .scenario_files import plan_scenarios
from .sides import HttpSide, Side
from .suite import DEFAULT_SETTLE_SECONDS

DEFAULT_PLAN = Path(__file__).resolve().parent.parent / "plan.yaml"

# (endpoint, difference path) pairs a test knows about and accepts, each with its reason.
Known = Iterable[tuple[str, str]]
RunScenario = Callable[..., ScenarioResult]


class ParityFailure(AssertionError):
    """A scenario whose sides disagree; the message is the readable per-step diff, redacted
    (emails, credentials and plan-sensitive values print as keyed marks; redact.py)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("parity")
    group.addoption("--parity-plan", default=None, help="plan file (default: the package's)")
    group.addoption("--parity-legacy", default=None, help="legacy base URL (staging parity)")
    group.addoption("--parity-extracted", default=None, help="extracted base URL")


def _option(config: pytest.Config, name: str, env: str) -> str | None:
    try:
        value = config.getoption(name)
    except ValueError:  # fixtures re-exported from a conftest: no command-line options
        value = None
    return str(value) if value else os.environ.get(env) or None


def check(result: ScenarioResult, known: Known = ()) -> None:
    """Raise ParityFailure unless every step matched, or differed only where ``known`` says."""
    __tracebackhide__ = True
    accepted = set(known)
    unexpected: list[str] = []
    for step in result.failures():
        rest = [d for d in step.comparison.differences if (step.endpoint, d.path) not in accepted]
        if step.problems or rest:
            unexpected.append(step.summary())
    if result.error:
        unexpected.append(f"stopped: {default_redactor().text(result.error)}")
    if unexpected:
        raise ParityFailure(f"scenario {result.scenario.name!r}:\n" + "\n".join(unexpected))


def _plan_path(config: pytest.Config) -> Path:
    return Path(_option(config, "--parity-plan", "PARITY_PLAN") or DEFAULT_PLAN)


@pytest.fixture(scope="session")
def parity_plan(pytestconfig: pytest.Config) -> Plan:
    return load_plan(_plan_path(pytestconfig))


@pytest.fixture(scope="session")
def parity_scenarios(pytestconfig: pytest.Config, parity_plan: Plan) -> tuple[Scenario, ...]:
    """The scenarios of the folder the plan names (``parity: {scenarios: DIR}``; default the
    package's contract scenarios), e.g. to run them all in one test."""
    return plan_scenarios(parity_plan, _plan_path(pytestconfig))


@pytest.fixture(scope="session")
def parity_seed() -> Iterator[SeededData]:
    """The seeded monolith and backfilled services, once per session; tests run on copies."""
    seeded = SeededData()
    yield seeded
    seeded.close()


@pytest.fixture
def parity_sides(
    pytestconfig: pytest.Config, request: pytest.FixtureRequest
) -> Iterator[tuple[Side, Side]]:
    """(legacy, extracted): two base URLs when given, else in-process on a fresh copy."""
    legacy_url = _option(pytestconfig, "--parity-legacy", "PARITY_LEGACY_URL")
    extracted_url = _option(pytestconfig, "--parity-extracted", "PARITY_EXTRACTED_URL")
    if legacy_url and extracted_url:
        legacy, extracted = HttpSide("legacy", legacy_url), HttpSide("extracted", extracted_url)
        yield legacy, extracted
        legacy.close()
        extracted.close()
        return
    pair = InProcessPair.start(request.getfixturevalue("parity_seed"))
    try:
        yield pair.legacy, pair.extracted
    finally:
        pair.close()


@pytest.fixture(name="run_scenario")
def run_scenario_fixture(parity_sides: tuple[Side, Side], parity_plan: Plan) -> RunScenario:
    """``run_scenario(scenario, known=(), assert_parity=True)`` -> ScenarioResult."""

    def run(scenario: Scenario, *, known: Known = (), assert_parity: bool = True) -> ScenarioResult:
        __tracebackhide__ = True
        legacy, extracted = parity_sides
        # Deployed sides share their data through the sync: they take turns (suite.UrlSides).
        settle = (
            partial(time.sleep, DEFAULT_SETTLE_SECONDS) if isinstance(legacy, HttpSide) else None
        )
        result = run_pair(
            scenario, legacy, extracted, parity_plan, run=secrets.token_hex(4), settle=settle
        )
        if assert_parity:
            check(result, known)
        return result

    return run
