"""The writes the router proxied, and the evidence that the data sync has applied them.

A shadow comparison that differs is `in_flight` only when the sync provably still owed a write
the answer could show when the service answered: that write's answer had come back through the
router after the sync's watermark (`migration_plan.state.watermark`: every write committed before
it is applied) as the router knew it when it asked the service, and less than `max_age_s` ago (a
sync further behind than that is itself a failure, so its differences count). Writes are kept by
the service whose route took them; which services' data an answer shows is the plan's
`shadow.reads` (an order shows stock and its user), and a service it does not list may show any
(every write counts). Without a watermark there is no evidence, and a difference is a mismatch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

WATERMARK_CACHE_S = 0.01  # a read this recent is fresh enough: older only means more in flight


class Watermark(Protocol):
    def read(self) -> float | None: ...


class RecentWrites:
    def __init__(
        self,
        max_age_s: float,
        watermark: Watermark | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_age_s = max_age_s
        self._watermark = watermark
        self._clock = clock  # wall clock: the sync's watermark is one too
        self._written: dict[str | None, float] = {}  # service (None: no route) -> last write
        self._cached: tuple[float, float | None] | None = None

    def wrote(self, service: str | None) -> None:
        """A write's answer arrived: whatever it committed is committed by now."""
        self._written[service] = self._clock()

    async def watermark(self) -> float | None:
        """The sync's watermark as published by now (read off the event loop, briefly cached)."""
        if self._watermark is None:
            return None
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < WATERMARK_CACHE_S:
            return self._cached[1]
        value = await asyncio.to_thread(self._watermark.read)
        self._cached = (now, value)
        return value

    def owed(self, watermark: float | None, shows: frozenset[str] | None = None) -> bool:
        """Whether the sync still owed, by `watermark`, a write answered so far to the services
        in `shows` (None: any write; a write through no route always counts)."""
        if watermark is None:
            return False
        now = self._clock()
        return any(
            written > watermark and now - written < self.max_age_s
            for service, written in self._written.items()
            if shows is None or service is None or service in shows
        )
