"""The Redis store: runtime state shared by several router replicas.

Keys under one prefix: `<prefix>overrides` (a hash route -> JSON override), `<prefix>history` (an
append-only list of JSON records) and the channel `<prefix>changes`. A flip writes the hash and the
list in one MULTI/EXEC and publishes on the channel; each replica's listener marks its cached
overrides stale on a message, and the router's sync loop (every ROUTER_RELOAD_INTERVAL) re-reads
them then: a flip reaches every replica well within a second. The cache is also re-read every
`refresh_seconds` and whenever the listener is down, so a missed message heals. While Redis does
not answer, `overrides()` raises StateStoreUnavailable and the router keeps its last known table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from migration_plan.state.records import (
    override_from_dict,
    override_to_dict,
    record_from_dict,
    record_to_dict,
)
from router.routing import RouteOverride
from router.runtime import FlipRecord, StateStoreUnavailable, new_record

DEFAULT_PREFIX = "strangler:state:"
LISTENER_RETRY_SECONDS = 0.5


class RedisStateStore:
    """`RuntimeState` in Redis with pub/sub change notifications and a periodic re-read."""

    def __init__(
        self,
        url: str,
        prefix: str = DEFAULT_PREFIX,
        *,
        refresh_seconds: float = 5.0,
        timeout_seconds: float = 1.0,
        listen: bool = True,
    ) -> None:
        self.url = url
        # A one-shot reader (a CLI, the sync's ownership re-read) does not listen: every read
        # goes to Redis, and no pub/sub task is left for its event loop to cancel on the way out
        # (cancelled mid-read, its pubsub.aclose() can wait forever: the sync hung there).
        self.listen = listen
        self.prefix = prefix
        self.refresh_seconds = refresh_seconds
        self._redis: Redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=timeout_seconds,
            socket_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 0),  # fail fast: the router serves its last state meanwhile
        )
        self._cache: dict[str, RouteOverride] = {}
        self._stale = True
        self._read_at = 0.0
        self._listening = False
        self._listener: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"RedisStateStore({self.url!r}, prefix={self.prefix!r})"

    @property
    def overrides_key(self) -> str:
        return self.prefix + "overrides"

    @property
    def history_key(self) -> str:
        return self.prefix + "history"

    @property
    def channel(self) -> str:
        return self.prefix + "changes"

    async def overrides(self) -> Mapping[str, RouteOverride]:
        if self.listen:
            self._start_listener()
        fresh = time.monotonic() - self._read_at < self.refresh_seconds
        if self._listening and not self._stale and fresh:
            return dict(self._cache)
        self._stale = False  # a message arriving during the read marks it stale again
        try:
            raw = await self._redis.hgetall(self.overrides_key)
        except (RedisError, OSError) as exc:
            self._stale = True
            raise StateStoreUnavailable(f"Redis at {self.url} does not answer: {exc}") from exc
        self._cache = {
            _text(k): override_from_dict(_json(v), self.overrides_key) for k, v in raw.items()
        }
        self._read_at = time.monotonic()
        return dict(self._cache)

    async def flip(
        self,
        route: str,
        override: RouteOverride,
        *,
        actor: str,
        reason: str,
        before: Mapping[str, Any],
        forced: bool = False,
        overridden: Sequence[str] = (),
    ) -> FlipRecord:
        record = new_record(
            route,
            override,
            actor=actor,
            reason=reason,
            before=before,
            forced=forced,
            overridden=overridden,
        )
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self.overrides_key, route, json.dumps(override_to_dict(override)))
                pipe.rpush(self.history_key, json.dumps(record_to_dict(record)))
                pipe.publish(self.channel, route)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise StateStoreUnavailable(
                f"Redis at {self.url} does not answer, nothing changed: {exc}"
            ) from exc
        self._cache[route] = override
        return record

    async def history(self) -> list[FlipRecord]:
        try:
            raw = await self._redis.lrange(self.history_key, 0, -1)
        except (RedisError, OSError) as exc:
            raise StateStoreUnavailable(f"Redis at {self.url} does not answer: {exc}") from exc
        records = (record_from_dict(_json(item)) for item in raw)
        return [r for r in records if r is not None]

    async def record(self, record: FlipRecord) -> None:
        """Append a history record only (a plan-file change: the plan, not an override, moved)."""
        try:
            await self._redis.rpush(self.history_key, json.dumps(record_to_dict(record)))
        except (RedisError, OSError) as exc:
            raise StateStoreUnavailable(f"Redis at {self.url} does not answer: {exc}") from exc

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise StateStoreUnavailable(f"Redis at {self.url} does not answer: {exc}") from exc

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self._redis.aclose()

    def _start_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        """Mark the cache stale on every change message; reconnect after an outage."""
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._listening = True
                self._stale = True  # changes made while we were not subscribed
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._stale = True
            except (RedisError, OSError):
                self._listening = False
                self._stale = True
            finally:
                self._listening = False
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(LISTENER_RETRY_SECONDS)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _json(value: str | bytes) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return None
