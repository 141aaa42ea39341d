"""The Redis Streams bus: XADD, consumer groups, XAUTOCLAIM redelivery, `<stream>.dead` streams.

Keys live under one prefix (`strangler:events:` by default): `<prefix><stream>` is a stream,
`<prefix><stream>.dead` its dead letters, `<prefix>_groups:<group>` the streams a group reads,
`<prefix>_dead_counts` and `<prefix>_errors` the bookkeeping for `info` and dead-letter reasons.
Durability once `publish` returns is the server's: run Redis with `appendonly yes` and
`appendfsync always` (or `everysec`, accepting up to a second of loss) for a real deployment.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis

from extracted.common.bus.codec import decode, encode
from extracted.common.bus.port import (
    BusUnavailable,
    DeadLetter,
    Delivery,
    EventBus,
    StreamInfo,
    UnknownGroup,
    dead_stream,
    stream_for,
)
from extracted.common.events import Event

DEFAULT_PREFIX = "strangler:events:"


@contextmanager
def _guard(url: str, everything: bool = False) -> Iterator[None]:
    """Connection failures as BusUnavailable; with `everything`, any refusal too (a server out
    of memory or read-only cannot take a publish either, and the outbox should retry it)."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise BusUnavailable(f"Redis bus at {url} is unreachable: {error}") from error
    except redis.RedisError as error:
        if not everything:
            raise
        raise BusUnavailable(f"Redis bus at {url} refused the write: {error}") from error


class RedisBus(EventBus):
    def __init__(
        self,
        url: str,
        visibility_timeout_ms: int = 30_000,
        max_deliveries: int = 5,
        prefix: str = DEFAULT_PREFIX,
        client: redis.Redis | None = None,
    ) -> None:
        super().__init__(visibility_timeout_ms, max_deliveries)
        self.url = url
        self.prefix = prefix
        # RESP2 pinned: redis-py 8 defaults to RESP3, whose stream replies have another shape.
        self._redis = client or redis.Redis.from_url(
            url, decode_responses=True, protocol=2, socket_connect_timeout=2
        )
        self._group_streams: dict[str, list[str]] = {}

    def _key(self, stream: str) -> str:
        return self.prefix + stream

    def _stream(self, key: str) -> str:
        return key[len(self.prefix) :]

    def close(self) -> None:
        self._redis.close()

    # -- producing --------------------------------------------------------------------------

    def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        with _guard(self.url, everything=True):
            # MULTI/EXEC: a batch lands whole or not at all (a dropped connection mid-way
            # leaves nothing, and the outbox relay sends the batch again).
            pipe = self._redis.pipeline(transaction=True)
            for event in events:
                pipe.xadd(
                    self._key(stream_for(event)), {"event": encode(event), "type": event.type}
                )
            pipe.execute()

    # -- consuming --------------------------------------------------------------------------

    def subscribe(self, group: str, streams: Sequence[str]) -> None:
        with _guard(self.url):
            for stream in streams:
                try:
                    self._redis.xgroup_create(self._key(stream), group, id="0", mkstream=True)
                except redis.ResponseError as error:
                    if "BUSYGROUP" not in str(error):
                        raise
            if streams:
                self._redis.sadd(self._key(f"_groups:{group}"), *streams)
        self._group_streams.pop(group, None)

    def _streams_of(self, group: str) -> list[str]:
        if group not in self._group_streams:
            with _guard(self.url):
                members = self._redis.smembers(self._key(f"_groups:{group}"))
            if not members:
                raise UnknownGroup(f"group {group!r} has no streams: call subscribe() first")
            self._group_streams[group] = sorted(str(member) for member in members)
        return self._group_streams[group]

    def read(self, group: str, consumer: str, count: int = 10, block_ms: int = 0) -> list[Delivery]:
        streams = self._streams_of(group)
        with _guard(self.url):
            out = self._claim_expired(group, consumer, streams, count)
            out += self._read_new(group, consumer, streams, count - len(out))
            if out or block_ms <= 0:
                return out
            # Block no longer than the visibility timeout, so a message left by a dead
            # consumer is claimed promptly even by a consumer waiting for new ones.
            block = min(block_ms, self.visibility_timeout_ms)
            woken = self._redis.xreadgroup(
                group, consumer, {self._key(s): ">" for s in streams}, count=1, block=block
            )
            out = self._deliveries(woken, consumer)
            return out + self._read_new(group, consumer, streams, count - len(out))

    def _read_new(
        self, group: str, consumer: str, streams: list[str], count: int
    ) -> list[Delivery]:
        out: list[Delivery] = []
        for stream in streams:
            if len(out) >= count:
                break
            reply = self._redis.xreadgroup(
                group, consumer, {self._key(stream): ">"}, count=count - len(out)
            )
            out += self._deliveries(reply, consumer)
        return out

    def _deliveries(self, reply: Any, consumer: str) -> list[Delivery]:
        return [
            Delivery(self._stream(key), message_id, decode(fields["event"]), 1, consumer)
            for key, messages in reply or []
            for message_id, fields in messages
        ]

    def _claim_expired(
        self, group: str, consumer: str, streams: list[str], count: int
    ) -> list[Delivery]:
        out: list[Delivery] = []
        for stream in streams:
            if len(out) >= count:
                break
            key = self._key(stream)
            _, claimed, _ = self._redis.xautoclaim(
                key, group, consumer, self.visibility_timeout_ms, "0-0", count=count - len(out)
            )
            if not claimed:
                continue
            # XAUTOCLAIM has just counted this delivery; the pending entry holds the total.
            pipe = self._redis.pipeline(transaction=False)
            for message_id, _fields in claimed:
                pipe.xpending_range(key, group, message_id, message_id, 1)
            pending = pipe.execute()
            for (message_id, fields), entry in zip(claimed, pending, strict=True):
                deliveries = int(entry[0]["times_delivered"]) if entry else self.max_deliveries
                if deliveries > self.max_deliveries:
                    self._bury(group, stream, message_id, fields, deliveries - 1)
                    continue
                out.append(
                    Delivery(stream, message_id, decode(fields["event"]), deliveries, consumer)
                )
        return out

    def _bury(
        self, group: str, stream: str, message_id: str, fields: dict[str, str], deliveries: int
    ) -> None:
        key, errors = self._key(stream), self._key("_errors")
        error_field = f"{group}:{stream}:{message_id}"
        reason = self._redis.hget(errors, error_field) or (
            f"not acknowledged after {deliveries} deliveries"
        )
        pipe = self._redis.pipeline(transaction=True)
        pipe.xadd(
            self._key(dead_stream(stream)),
            {
                "event": fields["event"],
                "group": group,
                "source_id": message_id,
                "deliveries": str(deliveries),
                "reason": str(reason),
            },
        )
        pipe.xack(key, group, message_id)
        pipe.hincrby(self._key("_dead_counts"), f"{group}:{stream}", 1)
        pipe.hdel(errors, error_field)
        pipe.execute()

    def ack(self, group: str, delivery: Delivery) -> None:
        self.ack_many(group, [delivery])

    def ack_many(self, group: str, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        by_stream: dict[str, list[str]] = {}
        for delivery in deliveries:
            by_stream.setdefault(delivery.stream, []).append(delivery.message_id)
        # Only a redelivered message can carry a recorded error.
        errors = [f"{group}:{d.stream}:{d.message_id}" for d in deliveries if d.deliveries > 1]
        with _guard(self.url):
            pipe = self._redis.pipeline(transaction=False)
            for stream, ids in by_stream.items():
                pipe.xack(self._key(stream), group, *ids)
            if errors:
                pipe.hdel(self._key("_errors"), *errors)
            pipe.execute()

    def nack(self, group: str, delivery: Delivery, reason: str = "") -> None:
        with _guard(self.url):
            pipe = self._redis.pipeline(transaction=True)
            if reason:
                field = f"{group}:{delivery.stream}:{delivery.message_id}"
                pipe.hset(self._key("_errors"), field, reason)
            # Backdate the entry's idle time so the next XAUTOCLAIM takes it at once; JUSTID
            # keeps the delivery counter as is (the next claim counts the redelivery).
            pipe.xclaim(
                self._key(delivery.stream),
                group,
                delivery.consumer,
                0,
                [delivery.message_id],
                idle=self.visibility_timeout_ms,
                justid=True,
            )
            pipe.execute()

    # -- observing --------------------------------------------------------------------------

    def info(self, group: str) -> list[StreamInfo]:
        streams = self._streams_of(group)
        out: list[StreamInfo] = []
        with _guard(self.url):
            dead_counts = self._redis.hgetall(self._key("_dead_counts"))
            for stream in streams:
                key = self._key(stream)
                groups = {g["name"]: g for g in self._redis.xinfo_groups(key)}
                entry = groups.get(group, {})
                lag = entry.get("lag")
                out.append(
                    StreamInfo(
                        stream=stream,
                        group=group,
                        length=int(self._redis.xlen(key)),
                        pending=int(entry.get("pending", 0)),
                        # Redis reports no lag after deletions in the stream; count it as 0.
                        lag=int(lag) if lag is not None else 0,
                        dead=int(dead_counts.get(f"{group}:{stream}", 0)),
                    )
                )
        return out

    def dead_letters(self, stream: str, count: int = 100) -> list[DeadLetter]:
        with _guard(self.url):
            # decode_responses=True: every key and value is a str.
            rows: list[tuple[str, dict[str, str]]] = self._redis.xrange(  # type: ignore[assignment]
                self._key(dead_stream(stream)), count=count
            )
        return [
            DeadLetter(
                stream=stream,
                group=fields["group"],
                message_id=fields["source_id"],
                event=decode(fields["event"]),
                deliveries=int(fields["deliveries"]),
                reason=fields["reason"],
            )
            for _dead_id, fields in rows
        ]
