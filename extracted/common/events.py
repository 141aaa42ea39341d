"""Domain events and the in-process publisher port; durable events go through the outbox.

Events have the shape given in docs/contract.md ("Domain events").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    aggregate: str
    aggregate_id: str
    data: dict[str, Any]
    version: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    # Who wrote it ("legacy", "auth", ...): stamped by the relay that publishes an outbox, so the
    # data sync never applies a change back to where it came from. Empty inside a producer.
    origin: str = ""

    def as_dict(self) -> dict[str, Any]:
        envelope: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "aggregate": self.aggregate,
            "aggregate_id": self.aggregate_id,
            "version": self.version,
            "occurred_at": self.occurred_at,
            "data": self.data,
        }
        if self.origin:
            envelope["origin"] = self.origin
        return envelope


class EventPublisher(Protocol):
    def publish(self, events: list[Event]) -> None: ...


class InMemoryPublisher:
    """Keeps what was published and hands it to in-process subscribers, in order."""

    def __init__(self) -> None:
        self.published: list[Event] = []
        self._subscribers: list[Any] = []

    def subscribe(self, handler: Any) -> None:
        self._subscribers.append(handler)

    def publish(self, events: list[Event]) -> None:
        for event in events:
            self.published.append(event)
            for handler in self._subscribers:
                handler(event)


class NullPublisher:
    """Publishes nothing: what a dry-run (shadowed) write uses."""

    def publish(self, events: list[Event]) -> None:
        return None
