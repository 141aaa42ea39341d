"""The forwarding seam: one conformance suite, run against both Forwarder implementations.

The backend is a real aiohttp.web server on 127.0.0.1, so both clients speak real HTTP.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from router.aiohttp_forwarder import AiohttpForwarder
from router.forwarding import (
    Forwarder,
    UpstreamConnectError,
    UpstreamRequest,
    UpstreamTimeout,
)
from tests.support.httpx_forwarder import HttpxForwarder

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def backend_app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "raw_path": request.raw_path,
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "length": len(body),
                "body": body.decode("latin-1"),
                "peer_port": request.transport.get_extra_info("peername")[1]
                if request.transport
                else None,
            }
        )

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for i in range(int(request.query.get("n", "5"))):
            await response.write(f"chunk-{i};".encode())
            await asyncio.sleep(float(request.query.get("gap", "0.01")))
        await response.write_eof()
        return response

    async def cookies(request: web.Request) -> web.Response:
        response = web.Response(text="ok")
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        return response

    async def compressed(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(b"hello " * 100),
            headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"},
        )

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(text="late")

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="s")

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/echo/{tail:.*}", echo)
    app.router.add_get("/stream", stream)
    app.router.add_get("/cookies", cookies)
    app.router.add_get("/gzip", compressed)
    app.router.add_get("/slow", slow)
    app.router.add_get("/status/{code}", status)
    return app


@pytest.fixture
async def backend() -> AsyncIterator[str]:
    server = TestServer(backend_app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture(params=["aiohttp", "httpx"])
async def forwarder(request: pytest.FixtureRequest) -> AsyncIterator[Forwarder]:
    chosen: Forwarder = AiohttpForwarder() if request.param == "aiohttp" else HttpxForwarder()
    await chosen.start()
    try:
        yield chosen
    finally:
        await chosen.aclose()


async def fetch(
    forwarder: Forwarder, request: UpstreamRequest
) -> tuple[int, dict[str, Any], bytes]:
    response = await forwarder.send(request)
    try:
        body = b"".join([chunk async for chunk in response.chunks()])
    finally:
        await response.aclose()
    return response.status, dict(response.headers), body


async def test_status_headers_and_body_come_back(forwarder: Forwarder, backend: str) -> None:
    status, headers, body = await fetch(
        forwarder, UpstreamRequest("GET", f"{backend}/echo/a?x=1", [("x-custom", "yes")])
    )
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    seen = json.loads(body)
    assert seen["raw_path"] == "/echo/a?x=1"
    assert seen["headers"]["x-custom"] == "yes"


async def test_no_client_default_headers_are_added(forwarder: Forwarder, backend: str) -> None:
    _, _, body = await fetch(forwarder, UpstreamRequest("GET", f"{backend}/echo/a"))
    seen = json.loads(body)["headers"]
    assert "user-agent" not in seen
    assert "accept-encoding" not in seen


async def test_encoded_characters_in_the_path_are_sent_as_given(
    forwarder: Forwarder, backend: str
) -> None:
    _, _, body = await fetch(forwarder, UpstreamRequest("GET", f"{backend}/echo/a%2Fb/caf%C3%A9"))
    assert json.loads(body)["raw_path"] == "/echo/a%2Fb/caf%C3%A9"


async def test_a_streamed_request_body_arrives_whole(forwarder: Forwarder, backend: str) -> None:
    async def body() -> AsyncIterator[bytes]:
        for i in range(100):
            yield bytes([65 + i % 26]) * 1000

    status, _, data = await fetch(
        forwarder, UpstreamRequest("POST", f"{backend}/echo/up", [], body())
    )
    assert status == 200 and json.loads(data)["length"] == 100_000


async def test_a_declared_content_length_is_kept(forwarder: Forwarder, backend: str) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"abc"
        yield b"def"

    _, _, data = await fetch(
        forwarder,
        UpstreamRequest("PUT", f"{backend}/echo/up", [("content-length", "6")], body()),
    )
    seen = json.loads(data)
    assert seen["body"] == "abcdef" and seen["headers"]["content-length"] == "6"
    assert "transfer-encoding" not in seen["headers"]


async def test_the_response_body_streams_in_chunks(forwarder: Forwarder, backend: str) -> None:
    response = await forwarder.send(UpstreamRequest("GET", f"{backend}/stream?n=5&gap=0.05"))
    chunks = [chunk async for chunk in response.chunks()]
    await response.aclose()
    assert b"".join(chunks) == b"".join(f"chunk-{i};".encode() for i in range(5))
    assert len(chunks) >= 3  # arrived as written, not as one buffered body


async def test_repeated_response_headers_are_all_kept(forwarder: Forwarder, backend: str) -> None:
    response = await forwarder.send(UpstreamRequest("GET", f"{backend}/cookies"))
    await response.aclose()
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1", "b=2"]


async def test_compressed_bodies_pass_through_untouched(forwarder: Forwarder, backend: str) -> None:
    _, headers, body = await fetch(forwarder, UpstreamRequest("GET", f"{backend}/gzip"))
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == b"hello " * 100


async def test_error_statuses_are_answers_not_exceptions(
    forwarder: Forwarder, backend: str
) -> None:
    status, _, _ = await fetch(forwarder, UpstreamRequest("GET", f"{backend}/status/503"))
    assert status == 503


async def test_a_closed_port_is_a_connect_error(forwarder: Forwarder) -> None:
    with pytest.raises(UpstreamConnectError):
        await forwarder.send(UpstreamRequest("GET", "http://127.0.0.1:9/x", timeout=2))


async def test_a_slow_upstream_is_a_timeout(forwarder: Forwarder, backend: str) -> None:
    with pytest.raises(UpstreamTimeout):
        await forwarder.send(UpstreamRequest("GET", f"{backend}/slow", timeout=0.3))


async def test_connections_are_reused_across_requests(forwarder: Forwarder, backend: str) -> None:
    ports = set()
    for _ in range(5):
        _, _, body = await fetch(forwarder, UpstreamRequest("GET", f"{backend}/echo/k"))
        ports.add(json.loads(body)["peer_port"])
    assert len(ports) == 1  # one keep-alive connection served all five
