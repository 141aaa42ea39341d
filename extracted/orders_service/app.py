"""orders_service's app factory: `uvicorn extracted.orders_service.app:create_app --factory`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from extracted.common.app import ReadinessCheck, build_service_app
from extracted.common.database import Database
from extracted.common.events import EventPublisher, NullPublisher
from extracted.common.upstream import make_client
from extracted.orders_service.api import router
from extracted.orders_service.runtime import Runtime
from extracted.orders_service.saga import OrderSaga
from extracted.orders_service.settings import OrdersSettings

log = logging.getLogger("extracted.orders_service")


def create_app(
    settings: OrdersSettings | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    publisher: EventPublisher | None = None,
) -> FastAPI:
    """Build the service; nothing connects until startup or the first request.

    A given `client` is used as is and never closed here (httpx's ASGITransport runs no
    lifespan); otherwise startup opens one shared client and shutdown closes it.
    """
    settings = settings or OrdersSettings()
    runtime = Runtime(settings, Database(settings.database_url), publisher or NullPublisher())
    if client is not None:
        runtime.bind(client)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        own_client = None
        if not runtime.bound:
            own_client = make_client(settings.http_timeout_seconds)
            runtime.bind(own_client)
        recovery = asyncio.create_task(
            recover_forever(runtime.wired().saga, settings.compensation_interval_seconds)
        )
        try:
            yield
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery
            if own_client is not None:
                await own_client.aclose()
                runtime.unbind()
            runtime.database.dispose()

    app = build_service_app(
        "orders_service",
        [router],
        readiness=readiness_checks(runtime),
        lifespan=lifespan,
        max_body_bytes=settings.max_body_bytes,
    )
    app.state.runtime = runtime
    return app


async def recover_forever(saga: OrderSaga, interval_seconds: float) -> None:
    """The lifespan task: retry failed releases and finish sagas a crash left halfway."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await saga.recover()
        except Exception:  # the database may be down; the next round tries again
            log.exception("saga recovery round failed")


def readiness_checks(runtime: Runtime) -> dict[str, ReadinessCheck]:
    settings = runtime.settings

    async def database() -> bool:
        return await run_in_threadpool(runtime.database.ping)

    def answers(base_url: str) -> ReadinessCheck:
        async def check() -> bool:
            if not runtime.bound:
                return False
            try:
                async with asyncio.timeout(settings.http_timeout_seconds):
                    response = await runtime.wired().client.get(base_url.rstrip("/") + "/healthz")
            except (httpx.HTTPError, TimeoutError):
                return False
            return response.status_code == 200

        return check

    return {
        "database": database,
        "auth": answers(settings.auth_service_url),
        "products": answers(settings.products_service_url),
    }
