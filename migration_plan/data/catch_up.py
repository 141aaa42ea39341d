"""The sync's watermark: the start of the newest check that found nothing owed anywhere.

A write committed before a check began is, at that check, an unpublished outbox row (counted
first), a message a sync group has not acknowledged (counted second: the relay publishes before it
marks the row, a consumer applies before it acknowledges), or already applied. So a check that
counts nothing, for every sync group, proves every earlier write applied on the other side; the
router then knows a difference seen after that time is real (docs/sync.md). One thread checks all
groups together, so the watermark trails the sync by about `every_s` plus its real lag.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from migration_plan.state.watermark import SyncWatermark

log = logging.getLogger(__name__)


class _Stream(Protocol):
    @property
    def pending(self) -> int: ...

    @property
    def lag(self) -> int | None: ...


class _Bus(Protocol):
    def info(self, group: str) -> Sequence[_Stream]: ...


class CatchUp:
    """Checks every sync group at once, every `every_s`, and publishes the watermark."""

    def __init__(
        self,
        groups: Iterable[str],
        outboxes: Sequence[Callable[[], int]],
        bus: _Bus,
        watermark: SyncWatermark,
        *,
        every_s: float = 0.02,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._groups = tuple(groups)
        self._outboxes = outboxes  # unpublished rows, one counter per source database
        self._bus = bus
        self._watermark = watermark
        self.every_s = every_s
        self._clock = clock
        self.published: float | None = None

    def check(self) -> bool:
        """One check; publishes its start time when nothing is owed. Whether it did."""
        started = self._clock()
        # Outboxes before the bus: a row moving from one to the other is seen in one of them.
        if any(count() > 0 for count in self._outboxes):
            return False
        for group in self._groups:
            if any(s.pending > 0 or s.lag is None or s.lag > 0 for s in self._bus.info(group)):
                return False
        if self.published is None or started > self.published:
            self.published = started
            self._watermark.publish(started)
        return True

    def run(self, stop: threading.Event, max_every_s: float | None = None) -> None:
        """Check until `stop`; a failed check (a database or the bus away) publishes nothing.
        With `max_every_s`, the pause doubles up to it while checks find nothing owed and one
        that finds something owed brings it back to `every_s`. The sync runs without: a read
        right after a write waits for the next check to count, so checks stay frequent."""
        pause = self.every_s
        while not stop.is_set():
            try:
                clean = self.check()
            except Exception as error:  # no watermark this round: the router sees no evidence
                log.debug("sync watermark check failed: %s", error)
                clean = False
            longest = self.every_s if max_every_s is None else max(max_every_s, self.every_s)
            pause = min(pause * 2, longest) if clean else self.every_s
            stop.wait(pause)
