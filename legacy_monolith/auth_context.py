"""Who is calling: bearer parsing, the session lookup, and the admin check."""

from __future__ import annotations

from flask import g, request
from sqlalchemy import select

from legacy_monolith.clock import utcnow
from legacy_monolith.db import get_session
from legacy_monolith.errors import forbidden, invalid_token, unauthorized
from legacy_monolith.models import User, UserSession


def bearer_token(header: str | None) -> str | None:
    """The token of `Bearer <token>` (scheme case-insensitive, as RFC 7235 says), else None."""
    if not header:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]


def current_token() -> str:
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise unauthorized()
    return token


def current_user() -> User:
    """The authenticated user of this request; 401 when the token is missing, unknown or expired."""
    if "current_user" in g:
        cached: User = g.current_user
        return cached
    token = current_token()
    row = (
        get_session()
        .execute(
            select(User)
            .join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.token == token, UserSession.expires_at > utcnow())
        )
        .scalar_one_or_none()
    )
    if row is None:
        raise invalid_token()
    g.current_user = row
    return row


def current_admin() -> User:
    user = current_user()
    if not user.is_admin:
        raise forbidden()
    return user
