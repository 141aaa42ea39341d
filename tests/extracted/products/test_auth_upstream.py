"""Admin checks ask auth_service; its failures are 503 `auth service is unavailable`, no hang."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from extracted.common.upstream import make_client
from extracted.products_service.app import create_app
from extracted.products_service.settings import ProductsSettings

from .helpers import ADMIN, auth_answer, product_body

pytestmark = pytest.mark.anyio

UNAVAILABLE = {"error": {"code": "service_unavailable", "message": "auth service is unavailable"}}


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(500),
        httpx.Response(503, json=UNAVAILABLE),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"id": 1}),
        httpx.Response(404),
    ],
)
async def test_auth_failures_are_503(
    client: httpx.AsyncClient, auth: respx.MockRouter, failure: object
) -> None:
    route = auth.get("/api/auth/me")
    if isinstance(failure, Exception):
        route.side_effect = failure
    else:
        route.side_effect = None
        route.return_value = failure
    response = await client.post("/api/products", json=product_body(), headers=ADMIN)
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


async def test_auth_5xx_is_retried_because_the_call_is_idempotent(
    settings: ProductsSettings, auth: respx.MockRouter
) -> None:
    route = auth.get("/api/auth/me")
    admin = auth_answer(httpx.Request("GET", "http://auth.test", headers=ADMIN))
    route.side_effect = [httpx.Response(502), httpx.Response(502), admin]
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(auth.async_handler))
    app = create_app(settings.model_copy(update={"http_retries": 2}), client=upstream)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://p.test") as http:
        response = await http.post("/api/products", json=product_body(), headers=ADMIN)
    await upstream.aclose()
    app.state.runtime.database.dispose()
    assert response.status_code == 201
    assert route.call_count == 3


async def test_the_token_and_the_dry_run_header_are_passed_to_auth(
    client: httpx.AsyncClient, auth: respx.MockRouter
) -> None:
    headers = {**ADMIN, "X-Strangler-Shadow": "1"}
    await client.post("/api/products", json=product_body(), headers=headers)
    sent = auth.routes[0].calls.last.request
    assert sent.headers["Authorization"] == "Bearer admin"
    assert sent.headers["X-Strangler-Shadow"] == "1"


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A socket that accepts and never answers: a hung auth_service."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_a_slow_auth_service_is_503_after_the_timeout_not_a_hang(
    settings: ProductsSettings, silent_server: str
) -> None:
    fast = settings.model_copy(
        update={"auth_service_url": silent_server, "http_timeout_seconds": 0.2, "http_retries": 1}
    )
    upstream = make_client(fast.http_timeout_seconds)
    app = create_app(fast, client=upstream)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://p.test") as http:
        response = await asyncio.wait_for(
            http.post("/api/products", json=product_body(), headers=ADMIN), timeout=5
        )
    await upstream.aclose()
    app.state.runtime.database.dispose()
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


async def test_a_refused_connection_on_a_real_socket_is_503(settings: ProductsSettings) -> None:
    closed = settings.model_copy(
        update={"auth_service_url": "http://127.0.0.1:9", "http_timeout_seconds": 1}
    )
    upstream = make_client(closed.http_timeout_seconds)
    app = create_app(closed, client=upstream)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://p.test") as http:
        response = await http.patch("/api/products/1", json={"stock": 1}, headers=ADMIN)
    await upstream.aclose()
    app.state.runtime.database.dispose()
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


async def test_public_reads_do_not_need_auth(
    client: httpx.AsyncClient, auth: respx.MockRouter
) -> None:
    auth.get("/api/auth/me").side_effect = httpx.ConnectError("down")
    assert (await client.get("/api/products")).status_code == 200
    assert (await client.get("/api/products/1")).status_code == 404
