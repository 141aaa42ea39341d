"""products_service's app factory: `uvicorn extracted.products_service.app:create_app --factory`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from extracted.common.app import build_service_app
from extracted.common.database import Database
from extracted.common.events import EventPublisher, InMemoryPublisher
from extracted.common.upstream import UpstreamService, make_client
from extracted.products_service import internal, reservations, routes
from extracted.products_service.runtime import ProductsRuntime
from extracted.products_service.settings import ProductsSettings

log = logging.getLogger("extracted.products_service")


def create_app(
    settings: ProductsSettings | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    publisher: EventPublisher | None = None,
) -> FastAPI:
    """Build products_service. Nothing connects here: the engine is lazy, the client opens on
    startup. A passed-in `client` is used as is (ASGITransport runs no lifespan)."""
    settings = settings or ProductsSettings()
    database = Database(settings.database_url)
    runtime = ProductsRuntime(
        settings=settings,
        database=database,
        # Durable events go to the outbox (UnitOfWork); this in-process publisher only tells
        # observers inside the process (tests pass their own).
        publisher=publisher if publisher is not None else InMemoryPublisher(),
    )

    def connect(http: httpx.AsyncClient) -> None:
        runtime.auth = UpstreamService(
            "auth", settings.auth_service_url, http, retries=settings.http_retries
        )

    if client is not None:
        connect(client)

    async def sweep_forever() -> None:
        interval = max(1.0, min(30.0, settings.reservation_ttl_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                await run_in_threadpool(
                    reservations.expire,
                    database.sessions,
                    runtime.publisher,
                    settings.reservation_ttl_seconds,
                )
            except Exception:  # a database hiccup must not end the sweeper
                log.exception("reservation sweep failed")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        own = make_client(settings.http_timeout_seconds) if client is None else None
        if own is not None:
            connect(own)
        sweeper = asyncio.create_task(sweep_forever())
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            if own is not None:
                await own.aclose()
            database.dispose()

    async def database_ready() -> bool:
        return await run_in_threadpool(database.ping)

    async def auth_ready() -> bool:
        if runtime.auth is None:
            return False
        try:
            response = await runtime.auth.client.get(runtime.auth.base_url + "/healthz")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    app = build_service_app(
        "products_service",
        [routes.router, internal.router],
        {"database": database_ready, "auth": auth_ready},
        lifespan=lifespan,
        max_body_bytes=settings.max_body_bytes,
    )
    app.state.runtime = runtime
    return app
