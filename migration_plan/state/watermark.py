"""The data sync's watermark: a time up to which every committed write has been applied.

The sync publishes it; the router reads it to tell a difference the sync still owes (the write
came after the watermark) from a real one (the sync had applied it before the service answered).
It lives beside the route state (a JSON file next to it, or a Redis key under its prefix), so
`STRANGLER_STATE` decides for both. Times are wall-clock epoch seconds: the sync and the router
must share a clock (one host, or NTP-synchronised hosts).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError

from migration_plan.state.settings import StateSettings

WATERMARK_FILE = "sync_watermark.json"


class SyncWatermark(Protocol):
    def publish(self, caught_up_to: float) -> None:
        """Record that every write committed before `caught_up_to` has been applied."""
        ...

    def read(self) -> float | None:
        """The last published watermark; None when none is known (no sync has published)."""
        ...


class FileWatermark:
    """The watermark in a small JSON file, replaced atomically (readers never see half)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def publish(self, caught_up_to: float) -> None:
        data = json.dumps({"caught_up_to": caught_up_to, "published_at": time.time()})
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            temporary.write_text(data)
            os.replace(temporary, self.path)

    def read(self) -> float | None:
        try:
            data = json.loads(self.path.read_text())
            return float(data["caught_up_to"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # not published yet, or unreadable: no evidence either way


class RedisWatermark:
    """The watermark as one Redis key (connects on first use, like the state store)."""

    def __init__(self, url: str, key: str) -> None:
        self.key = key
        self._redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)

    def publish(self, caught_up_to: float) -> None:
        self._redis.set(self.key, repr(caught_up_to))

    def read(self) -> float | None:
        try:
            value = self._redis.get(self.key)
        except RedisError:  # an unreachable Redis is no evidence, never a crash of the reader
            return None
        return None if value is None else float(value)


def watermark_for(settings: StateSettings) -> SyncWatermark | None:
    """The watermark beside the route state; None for `memory` (nothing is shared)."""
    if settings.STRANGLER_STATE == "redis":
        return RedisWatermark(
            settings.REDIS_URL, settings.STRANGLER_STATE_PREFIX + "sync_watermark"
        )
    if settings.STRANGLER_STATE == "memory":
        return None
    return FileWatermark(settings.state_path.with_name(WATERMARK_FILE))
