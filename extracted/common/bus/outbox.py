"""The transactional outbox: events written in the business transaction, read back by the relay.

The table has the columns the monolith's `outbox` has (legacy_monolith/models.py), plus `version`;
`payload` is the whole event envelope as JSON, so the relay publishes it verbatim and a table
without `version` (the monolith's) reads the same.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from extracted.common.bus.codec import ENVELOPE_KEYS, encode, from_envelope
from extracted.common.events import Event


def outbox_table(metadata: sa.MetaData, name: str = "outbox") -> sa.Table:
    """The outbox table, to add to a service's own metadata (and its migrations)."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("aggregate", sa.String(50), nullable=False),
        sa.Column("aggregate_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, default=1),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("published_at", sa.DateTime, nullable=True, index=True),
    )


OUTBOX = outbox_table(sa.MetaData())

_clock_lock = threading.Lock()
_last_created_at = datetime.min


def _created_at() -> datetime:
    """Naive UTC with microseconds, strictly increasing in this process.

    The relay orders by `created_at`: two events of one aggregate staged in the same
    microsecond must still come out in the order they were written.
    """
    global _last_created_at
    with _clock_lock:
        now = datetime.now(UTC).replace(tzinfo=None)
        if now <= _last_created_at:
            now = _last_created_at + timedelta(microseconds=1)
        _last_created_at = now
        return now


def write_to_outbox(
    target: sa.Connection | Session, events: Sequence[Event], table: sa.Table = OUTBOX
) -> None:
    """Stage events in the caller's open transaction: they commit, or roll back, with the change."""
    if not events:
        return
    rows: list[dict[str, Any]] = []
    for event in events:
        row = {
            "id": event.id,
            "aggregate": event.aggregate,
            "aggregate_id": event.aggregate_id,
            "type": event.type,
            "version": event.version,
            "payload": encode(event),
            "created_at": _created_at(),
            "published_at": None,
        }
        rows.append({key: value for key, value in row.items() if key in table.c})
    target.execute(sa.insert(table), rows)


class OutboxRowInvalid(ValueError):
    """A row the relay cannot turn into an event; it stops there to keep the order."""


def event_from_row(row: sa.RowMapping) -> Event:
    """The event a row holds: its payload envelope, or (for a bare payload) its columns."""

    try:
        payload = json.loads(row["payload"])
    except (TypeError, ValueError) as error:
        raise OutboxRowInvalid(f"outbox row {row['id']}: payload is not JSON ({error})") from error
    if isinstance(payload, dict) and all(key in payload for key in ENVELOPE_KEYS):
        return from_envelope(payload)
    if not isinstance(payload, dict):
        raise OutboxRowInvalid(f"outbox row {row['id']}: payload is not a JSON object")
    created_at: datetime = row["created_at"]
    return Event(
        id=str(row["id"]),
        type=str(row["type"]),
        aggregate=str(row["aggregate"]),
        aggregate_id=str(row["aggregate_id"]),
        version=int(row.get("version") or 1),
        occurred_at=created_at.replace(tzinfo=UTC).isoformat(),
        data=payload,
    )
