"""Events to and from the JSON text the buses and the outbox store (the contract's envelope)."""

from __future__ import annotations

import json
from typing import Any

from extracted.common.events import Event

ENVELOPE_KEYS = ("id", "type", "aggregate", "aggregate_id", "version", "occurred_at", "data")


def encode(event: Event) -> str:
    # Sorted and compact: the same bytes the monolith writes into its outbox payload.
    return json.dumps(event.as_dict(), sort_keys=True, separators=(",", ":"))


def decode(text: str | bytes) -> Event:
    envelope = json.loads(text)
    return from_envelope(envelope)


def from_envelope(envelope: dict[str, Any]) -> Event:
    missing = [key for key in ENVELOPE_KEYS if key not in envelope]
    if missing:
        raise ValueError(f"event envelope lacks {', '.join(missing)}: {envelope!r:.200}")
    return Event(
        id=str(envelope["id"]),
        type=str(envelope["type"]),
        aggregate=str(envelope["aggregate"]),
        aggregate_id=str(envelope["aggregate_id"]),
        version=int(envelope["version"]),
        occurred_at=str(envelope["occurred_at"]),
        data=dict(envelope["data"]),
        origin=str(envelope.get("origin") or ""),
    )
