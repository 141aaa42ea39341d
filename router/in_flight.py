"""Writes the router proxied, by resource, and the evidence that the data sync has applied them.

A shadow comparison that differs is `in_flight` only when the sync provably still owed a write
to that resource when the service was asked: the write's answer came back after the sync's
watermark (`migration_plan.state.watermark`: every write committed before it is applied) as the
router knew it then, and within `max_age_s` (a sync further behind than that is itself a failure,
so its differences count). Without a watermark there is no evidence, and a difference is a
mismatch.

Resources are the path's first segment after `/api` (`products`, `orders`, `auth`); an order
write also changes stock, so it marks `products` too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

ALSO_CHANGES = {"orders": ("products",)}
WATERMARK_CACHE_S = 0.01  # a read this recent is fresh enough: older only means more in flight


class Watermark(Protocol):
    def read(self) -> float | None: ...


def resource_of(path: str) -> str:
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if parts and parts[0] == "api":
        parts = parts[1:]
    return parts[0] if parts else ""


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
        self._written: dict[str, float] = {}
        self._cached: tuple[float, float | None] | None = None

    def wrote(self, path: str) -> None:
        """A write's answer arrived: whatever it committed is committed by now."""
        resource, now = resource_of(path), self._clock()
        for name in (resource, *ALSO_CHANGES.get(resource, ())):
            self._written[name] = now

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

    def owed(self, path: str, watermark: float | None) -> bool:
        """Whether the sync still owed a write to `path`'s resource at `watermark`."""
        written = self._written.get(resource_of(path))
        if written is None or watermark is None:
            return False
        return written > watermark and self._clock() - written < self.max_age_s
