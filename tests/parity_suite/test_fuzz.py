"""Differential fuzzing: hypothesis draws requests per endpoint group, both sides must agree.

A difference is a finding; hypothesis shrinks it to a minimal request. The default run sends
~100 examples per group; the `load` test sends many more.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings

from migration_plan.parity.fuzz import GROUPS, FuzzTarget
from migration_plan.parity.inprocess import InProcessPair, SeededData
from migration_plan.parity.scenario import Step
from migration_plan.plan import Plan

from .deviations import Deviate

pytestmark = pytest.mark.integration

SHORT = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LONG = settings(SHORT, max_examples=1500)


@pytest.fixture(scope="module")
def seeded() -> Iterator[SeededData]:
    data = SeededData()
    yield data
    data.close()


@pytest.fixture
def target(seeded: SeededData, parity_plan: Plan) -> Iterator[FuzzTarget]:
    pair = InProcessPair.start(seeded)
    try:
        yield FuzzTarget(pair, parity_plan)
    finally:
        pair.close()


def agree(target: FuzzTarget, step: Step) -> None:
    result = target.check(step)
    assert result.comparison.matched, (
        f"{step.method} {result.legacy_request.target} body={result.legacy_request.body!r}\n"
        + result.summary()
    )


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_both_sides_agree_on_fuzzed_requests(target: FuzzTarget, group: str) -> None:
    @SHORT
    @given(step=GROUPS[group]())
    def check(step: Step) -> None:
        agree(target, step)

    check()


@pytest.mark.load
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_both_sides_agree_on_many_fuzzed_requests(target: FuzzTarget, group: str) -> None:
    @LONG
    @given(step=GROUPS[group]())
    def check(step: Step) -> None:
        agree(target, step)

    check()


def test_every_plan_endpoint_is_fuzzed(parity_plan: Plan) -> None:
    seen: set[str] = set()

    # Derandomized: a coverage claim must not depend on the run's luck (300 random draws
    # missed an endpoint now and then). Per group, as the tests above draw them.
    for strategy in GROUPS.values():

        @settings(max_examples=200, deadline=None, database=None, derandomize=True)
        @given(step=strategy())
        def collect(step: Step) -> None:
            seen.add(step.endpoint)

        collect()
    assert seen == {endpoint.route for endpoint in parity_plan.endpoints}


def drop_unknown_products(method: str, path: str, status: int, document: Any) -> tuple[int, Any]:
    """A plausible service bug: unknown products are left out of the shortages."""
    if (method, path) == ("POST", "/api/stock/verify") and status == 200:
        shortages = [s for s in document["shortages"] if s["available"] > 0]
        return status, {"ok": not shortages, "shortages": shortages}
    return status, document


def test_fuzzing_finds_and_shrinks_an_injected_bug(target: FuzzTarget) -> None:
    target.pair.extracted.wrap("products", lambda app: Deviate(app, drop_unknown_products))
    minimal = find(
        GROUPS["reads"](),
        lambda step: not target.check(step).comparison.matched,
        settings=settings(SHORT, max_examples=1000),
    )
    assert minimal.endpoint == "POST /api/stock/verify"
    differences = target.check(minimal).comparison.differences
    assert {d.path for d in differences} <= {"/ok", "/shortages", "/shortages/0", "/shortages/1"}
    assert len(minimal.json["items"]) == 1, minimal  # shrunk to one unknown product
