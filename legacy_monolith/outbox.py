"""Domain events, added to the caller's session so they commit (or not) with the change."""

from __future__ import annotations

import json
import uuid
from datetime import UTC
from typing import Any

from sqlalchemy.orm import Session

from legacy_monolith.clock import outbox_time, utcnow
from legacy_monolith.models import OutboxEvent, UserSession
from legacy_monolith.serialize import timestamp


def build_event(
    event_type: str, aggregate: str, aggregate_id: str | int, data: dict[str, Any]
) -> dict[str, Any]:
    """The event envelope of the contract's "Domain events" section."""
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "aggregate": aggregate,
        "aggregate_id": str(aggregate_id),
        "version": 1,
        "occurred_at": utcnow().replace(tzinfo=UTC).isoformat(),
        "data": data,
    }


def record(
    session: Session,
    event_type: str,
    aggregate: str,
    aggregate_id: str | int,
    data: dict[str, Any],
) -> OutboxEvent:
    """Stage one event; `payload` is the whole envelope so the relay can publish it verbatim."""
    event = build_event(event_type, aggregate, aggregate_id, data)
    row = OutboxEvent(
        id=event["id"],
        aggregate=aggregate,
        aggregate_id=event["aggregate_id"],
        type=event_type,
        payload=json.dumps(event, sort_keys=True, separators=(",", ":")),
        created_at=outbox_time(),
        published_at=None,
    )
    session.add(row)
    return row


def stock_changed(session: Session, product_id: int, stock: int) -> None:
    record(
        session, "stock.changed", "product", product_id, {"product_id": product_id, "stock": stock}
    )


def product_updated(session: Session, product_id: int, fields: list[str]) -> None:
    """Any PATCH: the fields given (the appliers copy the whole row, so names are enough)."""
    data = {"product_id": product_id, "fields": sorted(fields)}
    record(session, "product.updated", "product", product_id, data)


def session_event(session: Session, event_type: str, row: UserSession) -> None:
    """`session.created` / `session.revoked`: what lets a token work on the other side too."""
    data = {"token": row.token, "user_id": row.user_id, "expires_at": timestamp(row.expires_at)}
    record(session, event_type, "session", row.token, data)
