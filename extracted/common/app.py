"""Build a service app the same way every time: Flask-compatible edges, health, errors, limits."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extracted.common.flask_compat import FlaskRoutingCompat
from extracted.common.responses import ApiError, FlaskJSONResponse

log = logging.getLogger("extracted")

ReadinessCheck = Callable[[], Awaitable[bool]]


def build_service_app(
    title: str,
    routers: Sequence[APIRouter],
    readiness: dict[str, ReadinessCheck],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    max_body_bytes: int = 1024 * 1024,
    openapi_url: str | None = None,
) -> FastAPI:
    """A FastAPI app answering like the monolith: envelope errors, HTML 404/405, no slash redirects.

    `/healthz` says the process is up; `/readyz` runs each named readiness check. No OpenAPI
    route by default: the monolith answers `/openapi.json` with its HTML 404, so must a service.
    """
    app = FastAPI(
        title=title,
        docs_url=None,
        redoc_url=None,
        openapi_url=openapi_url,
        redirect_slashes=False,
        lifespan=lifespan,
        default_response_class=FlaskJSONResponse,
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> FlaskJSONResponse:
        return FlaskJSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> FlaskJSONResponse:
        results = {name: await check() for name, check in readiness.items()}
        ready = all(results.values())
        return FlaskJSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    for router in routers:
        app.include_router(router)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> Response:
        return exc.response()

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return ApiError(500, "internal_error", "Internal server error").response()

    app.add_middleware(BodyLimit, max_body_bytes=max_body_bytes)
    # FastAPI wraps included routers; the compat layer needs the plain routes to collect methods.
    routes = [*app.router.routes, *(route for router in routers for route in router.routes)]
    app.add_middleware(FlaskRoutingCompat, routes=routes)
    return app


class BodyLimit:
    """413 in the envelope for a body over the cap (declared or streamed) when the app reads it."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        too_long = (
            declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes
        )
        received = 0

        # Refused only when the body is read, as Flask does: a route that never reads it (a GET, a
        # logout, an auth failure checked before the body) answers as it would anyway.
        async def limited_receive() -> Message:
            nonlocal received
            if too_long:
                raise ApiError(413, "payload_too_large", "Request body is too large")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise ApiError(413, "payload_too_large", "Request body is too large")
            return message

        await self.app(scope, limited_receive, send)
