"""Writes the router proxied lately, by resource: a shadow comparison of a resource written
within the window may compare the service before the data sync caught up (docs/sync.md), so it
is counted `in_flight`, not `mismatched`.

Resources are the path's first segment after `/api` (`products`, `orders`, `auth`); an order
write also changes stock, so it marks `products` too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

ALSO_CHANGES = {"orders": ("products",)}


def resource_of(path: str) -> str:
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if parts and parts[0] == "api":
        parts = parts[1:]
    return parts[0] if parts else ""


class RecentWrites:
    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._written: dict[str, float] = {}

    def wrote(self, path: str) -> None:
        resource, now = resource_of(path), self._clock()
        for name in (resource, *ALSO_CHANGES.get(resource, ())):
            self._written[name] = now

    def recent(self, path: str) -> bool:
        at = self._written.get(resource_of(path))
        return at is not None and self._clock() - at < self.window_s
