"""Service-issued tokens on monolith endpoints: auth_service's events applied to the monolith.

The monolith only reads its own `users` and `sessions` tables, so `user.registered`,
`session.created` and `session.revoked` are written there (SQLAlchemy Core on the monolith's
URL). Applying an event twice changes nothing. The data sync's `ToMonolith`
(migration_plan/data/sync.py) calls it for auth_service's events; in-process, attach it to an
`InMemoryPublisher`: `publisher.subscribe(LegacyBridge(url))`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from werkzeug.http import parse_date

from extracted.common.database import make_engine
from extracted.common.events import Event
from migration_plan.data.backfill import merge
from migration_plan.data.monolith_tables import sessions, users

HANDLED = ("user.registered", "session.created", "session.revoked")


class BridgeError(Exception):
    """An event the monolith's tables cannot take; the message names the event."""


def _naive_utc(value: str, field: str, event_type: str) -> datetime:
    """Event datetimes are HTTP-dates (as the contract renders them) or ISO 8601."""
    parsed = parse_date(value)
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise BridgeError(f"{event_type}: {field} {value!r} is not a datetime") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def _as_dict(event: Event | Mapping[str, Any]) -> Mapping[str, Any]:
    return event.as_dict() if isinstance(event, Event) else event


class LegacyBridge:
    """A subscriber: call it with each event; the ones it does not handle are ignored."""

    def __init__(self, monolith_database_url: str) -> None:
        self.engine = make_engine(monolith_database_url)
        self._handlers: dict[str, Callable[[Connection, Mapping[str, Any]], None]] = {
            "user.registered": self._user_registered,
            "session.created": self._session_created,
            "session.revoked": self._session_revoked,
        }

    def __call__(self, event: Event | Mapping[str, Any]) -> None:
        self.apply(event)

    def apply(self, event: Event | Mapping[str, Any]) -> bool:
        """Apply one event in its own transaction; False when it is not one the bridge handles."""
        envelope = _as_dict(event)
        handler = self._handlers.get(str(envelope.get("type")))
        if handler is None:
            return False
        with self.engine.begin() as conn:
            handler(conn, envelope)
        return True

    def close(self) -> None:
        self.engine.dispose()

    def _user_registered(self, conn: Connection, event: Mapping[str, Any]) -> None:
        data = event["data"]
        row = {
            "id": int(data["id"]),
            "email": data["email"],
            "name": data["name"],
            "password_hash": data["password_hash"],
            "is_admin": bool(data.get("is_admin", False)),
            "created_at": _naive_utc(data["created_at"], "created_at", event["type"]),
        }
        taken = conn.execute(
            sa.select(users.c.id).where(users.c.email == row["email"], users.c.id != row["id"])
        ).first()
        if taken is not None:
            raise BridgeError(
                f"user.registered {row['id']}: the monolith already has {row['email']!r} "
                f"as user {taken[0]}"
            )
        merge(conn, users, [row], ("id",), identity=("email",))

    def _session_created(self, conn: Connection, event: Mapping[str, Any]) -> None:
        data = event["data"]
        user_id = int(data["user_id"])
        if conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise BridgeError(
                f"session.created for user {user_id}, whom the monolith does not know: "
                "apply their user.registered first"
            )
        created = event.get("occurred_at") or data["expires_at"]
        row = {
            "token": data["token"],
            "user_id": user_id,
            "created_at": _naive_utc(created, "occurred_at", event["type"]),
            "expires_at": _naive_utc(data["expires_at"], "expires_at", event["type"]),
        }
        merge(conn, sessions, [row], ("token",))

    def _session_revoked(self, conn: Connection, event: Mapping[str, Any]) -> None:
        conn.execute(sa.delete(sessions).where(sessions.c.token == event["data"]["token"]))
