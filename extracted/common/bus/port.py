"""The event bus port: publish durably, consume in groups, redeliver, dead-letter, report lag.

Streams are named per aggregate (`order`, `product`, `user`, `session`): the contract promises
order per aggregate, and one stream per aggregate keeps that order in the broker itself, where a
stream per event type would split `order.created` from `order.cancelled` for the same order.
Every dead message goes to the stream `<stream>.dead`, tagged with the group it died in.

Delivery is at least once. A stream is delivered in order, but competing consumers in one group
and redeliveries after a timeout can apply a later event before an earlier one: a consumer that
needs strict per-aggregate order runs alone in its group, or checks the state it updates.

The API is synchronous: the consumers are plain processes and SQLAlchemy sessions, and a blocking
`read(block_ms=...)` is all a worker loop needs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from extracted.common.events import Event

DEAD_SUFFIX = ".dead"


class BusError(Exception):
    """Any failure of the bus itself (not of a handler)."""


class BusUnavailable(BusError):
    """The broker cannot be reached or written; the caller keeps its data and retries later."""


class UnknownGroup(BusError):
    """`read` was called for a group this bus was never told about with `subscribe`."""


def stream_for(event: Event) -> str:
    """The stream an event goes to: its aggregate (see the module docstring for why)."""
    return event.aggregate


def dead_stream(stream: str) -> str:
    return stream + DEAD_SUFFIX


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message handed to one consumer; `deliveries` counts this delivery too (first is 1)."""

    stream: str
    message_id: str
    event: Event
    deliveries: int
    consumer: str


@dataclass(frozen=True, slots=True)
class DeadLetter:
    stream: str
    group: str
    message_id: str
    event: Event
    deliveries: int
    reason: str


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What a metrics exporter needs per (stream, group)."""

    stream: str
    group: str
    length: int  # messages in the stream
    pending: int  # delivered to the group, not acknowledged yet
    lag: int  # in the stream, not yet delivered to the group
    dead: int  # dead letters of this group for this stream


class EventBus(ABC):
    """Port for the two real buses (embedded SQLite, Redis Streams); fakes subclass it."""

    def __init__(self, visibility_timeout_ms: int = 30_000, max_deliveries: int = 5) -> None:
        if visibility_timeout_ms <= 0 or max_deliveries <= 0:
            raise ValueError("visibility_timeout_ms and max_deliveries must be positive")
        self.visibility_timeout_ms = visibility_timeout_ms
        self.max_deliveries = max_deliveries

    @abstractmethod
    def publish(self, events: Sequence[Event]) -> None:
        """Append the events to their streams, in order; they are durable once this returns.

        Raises BusUnavailable when the broker cannot take them (the outbox keeps them then).
        """

    @abstractmethod
    def subscribe(self, group: str, streams: Sequence[str]) -> None:
        """Create the group on each stream if missing (reading from the start); idempotent."""

    @abstractmethod
    def read(self, group: str, consumer: str, count: int = 10, block_ms: int = 0) -> list[Delivery]:
        """Up to `count` messages for this consumer: first those whose visibility timeout ran
        out (claimed from a dead or slow consumer), then new ones; waits up to `block_ms` for any.

        A message already delivered `max_deliveries` times is moved to `<stream>.dead` instead.
        """

    @abstractmethod
    def ack(self, group: str, delivery: Delivery) -> None:
        """The consumer has applied the message: never deliver it to this group again."""

    def ack_many(self, group: str, deliveries: Sequence[Delivery]) -> None:
        """`ack` for a batch; buses override it to pay one round trip or transaction."""
        for delivery in deliveries:
            self.ack(group, delivery)

    @abstractmethod
    def nack(self, group: str, delivery: Delivery, reason: str = "") -> None:
        """The consumer failed: make the message available for redelivery now (this counts)."""

    @abstractmethod
    def info(self, group: str) -> list[StreamInfo]:
        """Length, pending, lag and dead letters for each stream the group reads."""

    @abstractmethod
    def dead_letters(self, stream: str, count: int = 100) -> list[DeadLetter]:
        """The oldest `count` dead letters of a stream, for inspection or replay."""

    def close(self) -> None:
        """Release connections; the default has none."""
        return None

    def __enter__(self) -> EventBus:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
