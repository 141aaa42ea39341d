"""The sync's watermark: the start of the newest check that found nothing owed anywhere.

A write committed before a check began is, at that check, an unpublished outbox row (counted
first), a message a sync group has not acknowledged (counted second: the relay publishes before it
marks the row, a consumer applies before it acknowledges), or already applied. So a check that
counts nothing, for every sync group, proves every earlier write applied on the other side; the
router then knows a difference on data written before that time is real (docs/sync.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from migration_plan.state.watermark import SyncWatermark


class _Stream(Protocol):
    @property
    def pending(self) -> int: ...

    @property
    def lag(self) -> int | None: ...


class _Bus(Protocol):
    def info(self, group: str) -> Sequence[_Stream]: ...


class CatchUp:
    """Checks, for each sync group's loop, whether anything is owed; publishes the watermark."""

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
        self._groups = frozenset(groups)
        self._outboxes = outboxes  # unpublished rows, one counter per source database
        self._bus = bus
        self._watermark = watermark
        self._every_s = every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._checked: dict[str, float] = {}
        self._clean: dict[str, float] = {}
        self.published: float | None = None

    def check(self, group: str) -> None:
        """One check for `group` (at most every `every_s`); called from the group's own loop."""
        started = self._clock()
        with self._lock:
            if started - self._checked.get(group, float("-inf")) < self._every_s:
                return
            self._checked[group] = started
        # Outboxes before the bus: a row moving from one to the other is seen in one of them.
        if any(count() > 0 for count in self._outboxes):
            return
        if any(s.pending > 0 or s.lag is None or s.lag > 0 for s in self._bus.info(group)):
            return
        with self._lock:
            self._clean[group] = started
            if self._clean.keys() < self._groups:
                return  # some group has not had a clean check yet
            watermark = min(self._clean.values())
            if self.published is not None and watermark <= self.published:
                return
            self.published = watermark
        self._watermark.publish(watermark)
