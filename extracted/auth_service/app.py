"""auth_service's app factory: `uvicorn extracted.auth_service.app:create_app --factory`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from extracted.auth_service import routes
from extracted.auth_service.accounts import PasswordPolicy
from extracted.auth_service.runtime import AuthRuntime
from extracted.auth_service.settings import AuthSettings
from extracted.auth_service.tokens import LegacyMonolith, TokenResolver
from extracted.common.app import build_service_app
from extracted.common.database import Database
from extracted.common.events import EventPublisher, InMemoryPublisher
from extracted.common.upstream import make_client


def create_app(
    settings: AuthSettings | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    publisher: EventPublisher | None = None,
) -> FastAPI:
    """Build auth_service. Nothing connects here: the engine is lazy, the client opens on startup.

    A passed-in `client` is used as is (tests hand in one over respx or ASGITransport, which run no
    lifespan); without one, the app opens its own on startup and closes it on shutdown.
    """
    settings = settings or AuthSettings()
    database = Database(settings.database_url)
    tokens = TokenResolver(database.sessions, None, settings.introspection_cache_seconds)

    def connect(http: httpx.AsyncClient) -> None:
        if settings.legacy_url:
            tokens.legacy = LegacyMonolith(
                "legacy monolith", settings.legacy_url, http, retries=settings.http_retries
            )

    if client is not None:
        connect(client)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        own = make_client(settings.http_timeout_seconds) if client is None else None
        if own is not None:
            connect(own)
        try:
            yield
        finally:
            if own is not None:
                await own.aclose()
            database.dispose()

    async def database_ready() -> bool:
        return await run_in_threadpool(database.ping)

    async def legacy_ready() -> bool:
        # Only introspection needs the monolith; without LEGACY_URL there is nothing to wait for.
        if tokens.legacy is None:
            return not settings.legacy_url
        try:
            response = await tokens.legacy.client.get(tokens.legacy.base_url + "/api/auth/me")
        except httpx.HTTPError:
            return False
        return response.status_code < 500

    app = build_service_app(
        "auth_service",
        [routes.auth, routes.users],
        {"database": database_ready, "legacy": legacy_ready},
        lifespan=lifespan,
        max_body_bytes=settings.max_body_bytes,
    )
    app.state.runtime = AuthRuntime(
        settings=settings,
        database=database,
        # Durable events go to the outbox (UnitOfWork); this in-process publisher only tells
        # observers inside the process (tests pass their own).
        publisher=publisher if publisher is not None else InMemoryPublisher(),
        passwords=PasswordPolicy.for_method(settings.password_hash_method),
        tokens=tokens,
    )
    return app
