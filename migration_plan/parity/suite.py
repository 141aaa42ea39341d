"""Run a set of scenarios on fresh in-process sides (one copy per scenario) or on two URLs."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from migration_plan.plan import Plan

from .inprocess import InProcessPair, SeededData
from .report import ParityReport
from .runner import ScenarioResult, run_scenario
from .scenario import Scenario
from .sides import HttpSide, Side

IN_PROCESS = "in-process"


class InProcessSides:
    """A fresh in-process pair per scenario, all copied from one seeded template."""

    source = IN_PROCESS
    settle: Callable[[], None] | None = None  # a pair of its own: nothing to wait for

    def __init__(self) -> None:
        self._seeded: SeededData | None = None

    @contextmanager
    def pair(self) -> Iterator[tuple[Side, Side]]:
        if self._seeded is None:
            self._seeded = SeededData()
        pair = InProcessPair.start(self._seeded)
        try:
            yield pair.legacy, pair.extracted
        finally:
            pair.close()

    def close(self) -> None:
        if self._seeded is not None:
            self._seeded.close()


DEFAULT_SETTLE_SECONDS = 1.0


class UrlSides:
    """Two deployed sides. They share their data (the sync), so each side makes its own, and
    they take turns per scenario, ``settle_seconds`` apart for the sync to copy the writes."""

    def __init__(
        self, legacy_url: str, extracted_url: str, settle_seconds: float = DEFAULT_SETTLE_SECONDS
    ) -> None:
        self.source = f"{legacy_url} vs {extracted_url}"
        self.settle_seconds = settle_seconds
        self._legacy = HttpSide("legacy", legacy_url)
        self._extracted = HttpSide("extracted", extracted_url)

    @contextmanager
    def pair(self) -> Iterator[tuple[Side, Side]]:
        yield self._legacy, self._extracted

    def settle(self) -> None:
        time.sleep(self.settle_seconds)

    def close(self) -> None:
        self._legacy.close()
        self._extracted.close()


def run_suite(
    scenarios: Iterable[Scenario],
    plan: Plan,
    sides: InProcessSides | UrlSides,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> ParityReport:
    """Every scenario on its own pair of sides; a report grouped by endpoint."""
    run = secrets.token_hex(4)
    results: list[ScenarioResult] = []
    for scenario in scenarios:
        with sides.pair() as (legacy, extracted):
            result = run_scenario(scenario, legacy, extracted, plan, run=run, settle=sides.settle)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return ParityReport(sides.source, results)
