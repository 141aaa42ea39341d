"""Register, log in, log out, and "who am I" (also the services' token introspection)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from legacy_monolith import outbox, serialize, validation
from legacy_monolith.api.body import json_object
from legacy_monolith.auth_context import current_token, current_user
from legacy_monolith.clock import utcnow
from legacy_monolith.db import get_session
from legacy_monolith.errors import ApiError
from legacy_monolith.models import User, UserSession

blueprint = Blueprint("auth", __name__, url_prefix="/api/auth")


def _email_taken() -> ApiError:
    return ApiError(409, "email_taken", "Email is already registered")


@blueprint.post("/register")
def register() -> tuple[Response, int]:
    body = json_object()
    email = validation.email(body)
    password = validation.password(body)
    name = validation.string(body, "name", max_length=100)

    session = get_session()
    if session.execute(select(User.id).where(User.email == email)).first() is not None:
        raise _email_taken()
    method = current_app.config["PASSWORD_HASH_METHOD"]
    user = User(
        email=email,
        name=name,
        password_hash=generate_password_hash(password, method=method),
        is_admin=False,
        created_at=utcnow(),
    )
    session.add(user)
    try:
        session.flush()
        data = serialize.user(user)
        outbox.record(
            session,
            "user.registered",
            "user",
            user.id,
            {**data, "password_hash": user.password_hash},
        )
        session.commit()
    except IntegrityError:
        # Another request registered the same email between our check and our insert.
        session.rollback()
        raise _email_taken() from None
    return jsonify(data), 201


@blueprint.post("/login")
def login() -> Response:
    body = json_object()
    email = validation.string(body, "email", not_empty=False).lower()
    password = validation.string(body, "password", not_empty=False, strip=False)

    session = get_session()
    user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    # Hash something even for an unknown email, so timing does not tell which emails exist.
    stored = user.password_hash if user else current_app.config["DUMMY_PASSWORD_HASH"]
    if not check_password_hash(stored, password) or user is None:
        raise ApiError(401, "invalid_credentials", "Invalid email or password")

    now = utcnow()
    token = secrets.token_urlsafe(32)
    ttl = timedelta(seconds=current_app.config["TOKEN_TTL_SECONDS"])
    row = UserSession(token=token, user_id=user.id, created_at=now, expires_at=now + ttl)
    session.add(row)
    outbox.session_event(session, "session.created", row)
    session.commit()
    return jsonify({"token": token, "user": serialize.user(user)})


@blueprint.post("/logout")
def logout() -> Response:
    current_user()
    session = get_session()
    row = session.get(UserSession, current_token())
    session.execute(delete(UserSession).where(UserSession.token == current_token()))
    if row is not None:
        outbox.session_event(session, "session.revoked", row)
    session.commit()
    return Response(status=204)


@blueprint.get("/me")
def me() -> Response:
    return jsonify(serialize.user(current_user()))
