"""Register, log in, log out: the writes of auth_service, each one UnitOfWork."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from extracted.auth_service import events, serialize
from extracted.auth_service.models import RevokedToken, User, UserSession
from extracted.common import validation
from extracted.common.formats import utcnow
from extracted.common.responses import ApiError, validation_error
from extracted.common.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PasswordPolicy:
    """How hashes are made (the monolith's format) and the hash checked for unknown emails."""

    method: str
    dummy_hash: str

    @classmethod
    def for_method(cls, method: str) -> PasswordPolicy:
        # Checked against on unknown emails so a failed login costs the same either way.
        return cls(method, generate_password_hash("not-a-real-password", method=method))


def _email_taken() -> ApiError:
    return ApiError(409, "email_taken", "Email is already registered")


def _str(body: dict[str, Any], key: str, **options: Any) -> str:
    value = validation.string(body, key, **options)
    assert value is not None  # required fields raise instead of returning None
    return value


def register(uow: UnitOfWork, body: dict[str, Any], policy: PasswordPolicy) -> dict[str, Any]:
    email = _str(body, "email", max_length=254, allow_empty=True).lower()
    if not validation.EMAIL_RE.match(email):
        raise validation_error("email", "email is not a valid email address")
    password = _str(body, "password", allow_empty=True, strip=False)
    if len(password) < 8:
        raise validation_error("password", "password must be at least 8 characters")
    if len(password) > 128:
        raise validation_error("password", "password must be at most 128 characters")
    name = _str(body, "name", max_length=100)

    session = uow.session
    if session.execute(select(User.id).where(User.email == email)).first() is not None:
        raise _email_taken()
    user = User(
        email=email,
        name=name,
        password_hash=generate_password_hash(password, method=policy.method),
        is_admin=False,
        created_at=utcnow(),
    )
    session.add(user)
    try:
        session.flush()
        data = serialize.user(user)
        uow.stage(events.user_registered(data, user.password_hash))
        uow.commit()
    except IntegrityError:
        # Another request registered the same email between our check and our insert.
        uow.rollback()
        raise _email_taken() from None
    return data


def login(
    uow: UnitOfWork, body: dict[str, Any], policy: PasswordPolicy, ttl_seconds: int
) -> dict[str, Any]:
    email = _str(body, "email", allow_empty=True).lower()
    password = _str(body, "password", allow_empty=True, strip=False)

    session = uow.session
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    stored = user.password_hash if user else policy.dummy_hash
    if not check_password_hash(stored, password) or user is None:
        raise ApiError(401, "invalid_credentials", "Invalid email or password")

    now = utcnow()
    row = UserSession(
        token=secrets.token_urlsafe(32),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    session.add(row)
    uow.stage(events.session_created(row))
    uow.commit()
    return {"token": row.token, "user": serialize.user(user)}


def logout(uow: UnitOfWork, token: str, user_id: int) -> None:
    session = uow.session
    row = session.get(UserSession, token)
    revoked = row or UserSession(token=token, user_id=user_id, created_at=utcnow())
    if revoked.expires_at is None:
        # Known only through introspection and not cached: the monolith holds the real expiry.
        revoked.expires_at = utcnow()
    session.execute(delete(UserSession).where(UserSession.token == token))
    session.merge(RevokedToken(token=token, revoked_at=utcnow()))
    uow.stage(events.session_revoked(revoked))
    uow.commit()
