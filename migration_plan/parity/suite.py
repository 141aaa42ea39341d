"""Run a set of scenarios on fresh in-process sides (one copy per scenario) or on two URLs."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from migration_plan.plan import Plan
from migration_plan.state.watermark import SyncWatermark

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
DEFAULT_SYNC_TIMEOUT_SECONDS = 15.0


class UrlSides:
    """Two deployed sides. They share their data (the sync), so each side makes its own, and
    they take turns per scenario: after a turn, the other side's turn waits for the sync.

    With the sync's ``watermark`` (the state store the stack shares, docs/sync.md) a turn ends
    when the watermark passes it: every write of the turn has then been applied on the other
    side, however long the sync took. A fixed ``settle_seconds`` is only a guess: a sync slower
    than it lets both sides mint the same new id, and the sync then merges one side's row over
    the other's. Without a watermark (none published), or once one has not passed a turn
    within ``sync_timeout_s`` (no sync runs), the turns are ``settle_seconds`` apart."""

    def __init__(
        self,
        legacy_url: str,
        extracted_url: str,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        watermark: SyncWatermark | None = None,
        sync_timeout_s: float = DEFAULT_SYNC_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = f"{legacy_url} vs {extracted_url}"
        self.settle_seconds = settle_seconds
        self.sync_timeout_s = sync_timeout_s
        self._watermark = watermark
        self._clock = clock
        self._legacy = HttpSide("legacy", legacy_url)
        self._extracted = HttpSide("extracted", extracted_url)
        self.waited_for_sync = 0  # turns that ended on the watermark
        self.sync_timed_out = False  # a turn the watermark never passed: blind from then on

    @property
    def follows_sync(self) -> bool:
        return self._watermark is not None and not self.sync_timed_out

    @contextmanager
    def pair(self) -> Iterator[tuple[Side, Side]]:
        yield self._legacy, self._extracted

    def settle(self) -> None:
        if not self.follows_sync or not self._wait_for_sync():
            time.sleep(self.settle_seconds)

    def _wait_for_sync(self) -> bool:
        """Wait until every write committed so far has been applied; whether it was seen."""
        assert self._watermark is not None
        turn_ended = self._clock()
        deadline = turn_ended + self.sync_timeout_s
        while True:
            caught_up_to = self._watermark.read()
            if caught_up_to is None and self.waited_for_sync == 0:
                self._watermark = None  # nothing published here: no sync to follow
                return False
            if caught_up_to is not None and caught_up_to >= turn_ended:
                self.waited_for_sync += 1
                return True
            if self._clock() >= deadline:
                self.sync_timed_out = True
                return False
            time.sleep(0.02)

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
