"""Who is calling: a bearer token looked up locally first, then (on a miss) at the monolith.

A positive introspection is cached as a local session for INTROSPECTION_CACHE_SECONDS, so a logout
on the monolith reaches this service within that time. A logout here is remembered
(`revoked_tokens`): the monolith accepts the token until the sync applies the logout there, and
asking it meanwhile would bring the token back (a `me` after logout answered 200). A monolith that
cannot answer is a 503, not a 401: a valid user must not be told their token is bad because a
dependency is down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from werkzeug.http import parse_date

from extracted.auth_service import serialize
from extracted.auth_service.models import RevokedToken, User, UserSession
from extracted.common.bearer import bearer_token
from extracted.common.formats import utcnow
from extracted.common.responses import ApiError, invalid_token, unauthorized, unavailable
from extracted.common.upstream import UpstreamService

log = logging.getLogger("extracted.auth_service")

# A user created from an introspection answer cannot log in here until the sync brings its hash.
UNUSABLE_PASSWORD_HASH = "!"


@dataclass(frozen=True)
class Caller:
    """The authenticated user: the token and the User JSON the contract shows."""

    token: str
    user: dict[str, Any]

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def is_admin(self) -> bool:
        return bool(self.user["is_admin"])


class LegacyMonolith(UpstreamService):
    """The monolith as an upstream; its outage reads "legacy monolith is unavailable"."""

    def down(self) -> ApiError:
        return unavailable("legacy monolith")


class TokenResolver:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        legacy: LegacyMonolith | None,
        cache_seconds: int,
    ) -> None:
        self.sessions = sessions
        self.legacy = legacy
        self.cache_seconds = cache_seconds

    async def resolve(self, authorization: str | None, *, dry_run: bool = False) -> Caller:
        token = bearer_token(authorization)
        if token is None:
            raise unauthorized()
        user = await run_in_threadpool(self.local_user, token)
        if user is not None:
            return Caller(token, user)
        if self.legacy is None:
            raise invalid_token()
        user = await self.introspect(self.legacy, token)
        if not dry_run and self.cache_seconds > 0:
            await run_in_threadpool(self.remember, token, user)
        return Caller(token, user)

    def local_user(self, token: str) -> dict[str, Any] | None:
        """The token's user as this service knows it; None to ask the monolith. A token logged
        out here is refused outright: the monolith may accept it until the sync tells it."""
        with self.sessions() as session:
            if session.get(RevokedToken, token) is not None:
                raise invalid_token()
            row = session.execute(
                select(User)
                .join(UserSession, UserSession.user_id == User.id)
                .where(UserSession.token == token, UserSession.expires_at > utcnow())
            ).scalar_one_or_none()
            return serialize.user(row) if row is not None else None

    async def introspect(self, legacy: LegacyMonolith, token: str) -> dict[str, Any]:
        response = await legacy.call(
            "GET", "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code == 401:
            raise invalid_token()
        if response.status_code != 200:
            log.warning("monolith introspection answered %s", response.status_code)
            raise legacy.down()
        user = _user_json(response)
        if user is None:
            log.warning("monolith introspection answered an unexpected body")
            raise legacy.down()
        return user

    async def revoke_at_legacy(self, token: str) -> None:
        """Best effort: log the token out on the monolith too, so re-introspection cannot bring
        it back before the data sync applies `session.revoked`."""
        if self.legacy is None:
            return
        try:
            await self.legacy.call(
                "POST", "/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
            )
        except ApiError:
            log.warning("monolith logout failed; session.revoked will reach it through the sync")

    def remember(self, token: str, user: dict[str, Any]) -> None:
        """Cache the answer: upsert the user's public fields and a short-lived session row."""
        now = utcnow()
        created_at = parse_date(user["created_at"])
        assert created_at is not None  # checked by _user_json
        with self.sessions() as session:
            row = session.get(User, user["id"])
            if row is None:
                row = User(id=user["id"], password_hash=UNUSABLE_PASSWORD_HASH)
                session.add(row)
            row.email = user["email"]
            row.name = user["name"]
            row.is_admin = user["is_admin"]
            row.created_at = created_at.astimezone(UTC).replace(tzinfo=None)
            cached = session.get(UserSession, token)
            until = now + timedelta(seconds=self.cache_seconds)
            if cached is None:
                cached = UserSession(token=token, user_id=user["id"], created_at=now)
                session.add(cached)
                cached.expires_at = until
            elif cached.expires_at is None or cached.expires_at < until:
                cached.expires_at = until
            # else the data sync brought the monolith's own row meanwhile: never cut its expiry
            # to the cache's (no event tells the monolith, so data verify would differ for good)
            try:
                session.commit()
            except IntegrityError:
                # A concurrent introspection cached it first, or the email belongs to another
                # local id (the data sync will reconcile); the answer itself is still good.
                session.rollback()
                log.info("introspection cache for user %s skipped", user["id"])


def _user_json(response: httpx.Response) -> dict[str, Any] | None:
    """The User of a 200 introspection answer, or None when it is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    valid = (
        isinstance(body.get("id"), int)
        and not isinstance(body.get("id"), bool)
        and isinstance(body.get("email"), str)
        and isinstance(body.get("name"), str)
        and isinstance(body.get("is_admin"), bool)
        and isinstance(body.get("created_at"), str)
        and parse_date(body["created_at"]) is not None
    )
    if not valid:
        return None
    return {key: body[key] for key in ("created_at", "email", "id", "is_admin", "name")}
