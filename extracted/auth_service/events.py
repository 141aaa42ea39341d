"""The domain events auth_service publishes (docs/contract.md, "Domain events")."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from extracted.auth_service.models import UserSession
from extracted.common.events import Event
from extracted.common.formats import http_datetime


def user_registered(user: dict[str, Any], password_hash: str) -> Event:
    # The hash travels so the data sync can let the user log in on the monolith too.
    return Event(
        "user.registered", "user", str(user["id"]), {**user, "password_hash": password_hash}
    )


def _session_data(row: UserSession) -> dict[str, Any]:
    # Datetimes in events are rendered like every datetime of the contract (HTTP-date, GMT).
    return {"expires_at": http_datetime(row.expires_at), "token": row.token, "user_id": row.user_id}


def session_created(row: UserSession) -> Event:
    # The monolith stores occurred_at as the session's created_at (LegacyBridge), so it is the
    # row's own whole second, not a moment later that may already be the next second.
    occurred_at = row.created_at.replace(tzinfo=UTC).isoformat()
    return Event(
        "session.created", "session", row.token, _session_data(row), occurred_at=occurred_at
    )


def session_revoked(row: UserSession) -> Event:
    return Event("session.revoked", "session", row.token, _session_data(row))
