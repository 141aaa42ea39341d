"""Domain events and the publisher port; the real bus arrives with data sync.

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

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "aggregate": self.aggregate,
            "aggregate_id": self.aggregate_id,
            "version": self.version,
            "occurred_at": self.occurred_at,
            "data": self.data,
        }


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
