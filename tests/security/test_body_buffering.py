"""Request bodies are read whole by the router before any upstream is asked (real sockets).

An oversized chunked body gets 413 with nothing sent upstream; a body trickling in gets 408 at
the body deadline and never holds an upstream worker; `Expect: 100-continue` is the router's to
answer, and a stuck upstream is cut at the upstream's deadline.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from router.app import create_app
from router.server import protocol_for
from router.settings import RouterSettings
from tests.router.test_router_sockets import quiet, serve

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


@asynccontextmanager
async def recording_upstream(
    stuck: float = 0.0,
) -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """An upstream that records every request it starts to receive (headers, body size)."""
    seen: list[dict[str, object]] = []

    async def handler(request: web.Request) -> web.Response:
        entry: dict[str, object] = {"path": request.path, "headers": dict(request.headers)}
        seen.append(entry)
        if stuck:
            await asyncio.sleep(stuck)
        entry["length"] = len(await request.read())
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), seen
    finally:
        await server.close()


def plan(tmp_path: Path, upstream: str, timeout: float = 5.0) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(
        f"""\
version: 1
upstreams:
  legacy: {{url: "{upstream}", timeout_seconds: {timeout}}}
  products: {{url: "{upstream}", timeout_seconds: {timeout}}}
legacy: legacy
endpoints:
  - {{route: "POST /api/echo", phase: 1, service: products, mode: extracted}}
"""
    )
    return path


@contextmanager
def router(plan_path: Path, settings: RouterSettings) -> Iterator[int]:
    """The router under uvicorn with the protocol `strangler router serve` uses."""
    app = create_app(plan_path, settings=settings, **quiet())
    with serve(app, http=protocol_for(settings)) as url:
        yield int(url.rsplit(":", 1)[1])


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


def read_response(conn: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := conn.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received:
                head, _, body = received.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    None,
                )
                if length is not None and len(body) >= length:
                    break
    except (TimeoutError, ConnectionResetError):
        pass
    return received


HEAD = b"POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"


async def test_a_chunked_body_over_the_cap_is_413_with_nothing_sent_upstream(
    tmp_path: Path,
) -> None:
    async with recording_upstream() as (url, seen):
        settings = RouterSettings(reload_interval=0, max_body_bytes=1024)
        with router(plan(tmp_path, url), settings) as port:

            def attack() -> bytes:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                    conn.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
                    for _ in range(8):  # 8 x 512 bytes: four times the cap
                        conn.sendall(b"200\r\n" + b"x" * 512 + b"\r\n")
                    conn.sendall(b"0\r\n\r\n")
                    return read_response(conn)

            response = await asyncio.to_thread(attack)
    assert status_of(response) == 413, response[:300]
    assert seen == []  # not a byte, not even the headers, reached the upstream


async def test_a_body_under_the_cap_arrives_whole_and_expect_is_not_forwarded(
    tmp_path: Path,
) -> None:
    async with recording_upstream() as (url, seen):
        with router(plan(tmp_path, url), RouterSettings(reload_interval=0)) as port:

            def send() -> bytes:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                    conn.sendall(HEAD + b"Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
                    interim = conn.recv(1024)  # the router itself says continue
                    conn.sendall(b"y" * 5000)
                    return interim + read_response(conn)

            response = await asyncio.to_thread(send)
    assert response.startswith(b"HTTP/1.1 100 Continue"), response[:200]
    assert b"HTTP/1.1 200" in response
    assert len(seen) == 1 and seen[0]["length"] == 5000
    headers = {str(k).lower() for k in seen[0]["headers"]}  # type: ignore[union-attr]
    assert "expect" not in headers


async def test_slow_bodies_get_408_at_the_deadline_and_never_hold_an_upstream(
    tmp_path: Path,
) -> None:
    async with recording_upstream() as (url, seen):
        settings = RouterSettings(reload_interval=0, body_timeout=0.6)
        with router(plan(tmp_path, url), settings) as port:

            def trickle() -> tuple[bytes, float]:
                started = time.monotonic()
                with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                    conn.sendall(HEAD + b"Content-Length: 100\r\n\r\n")
                    for _ in range(20):  # 1 byte every 0.2 s: would take 20 s in all
                        try:
                            conn.sendall(b"z")
                        except OSError:
                            break
                        conn.settimeout(0.2)
                        try:
                            first = conn.recv(65536)
                        except TimeoutError:
                            continue
                        return first, time.monotonic() - started
                return b"", time.monotonic() - started

            results = await asyncio.gather(*(asyncio.to_thread(trickle) for _ in range(12)))
    for response, took in results:
        assert status_of(response) == 408, response[:200]
        assert 0.4 < took < 4.0, took
    assert seen == []  # twelve slow clients: not one upstream request was started


async def test_a_stuck_upstream_is_cut_at_its_deadline_with_504(tmp_path: Path) -> None:
    async with recording_upstream(stuck=30) as (url, seen):
        with router(plan(tmp_path, url, timeout=0.5), RouterSettings(reload_interval=0)) as port:

            def send() -> tuple[bytes, float]:
                started = time.monotonic()
                with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                    conn.sendall(HEAD + b"Content-Length: 3\r\nExpect: 100-continue\r\n\r\n")
                    conn.recv(1024)
                    conn.sendall(b"abc")
                    return read_response(conn), time.monotonic() - started

            response, took = await asyncio.to_thread(send)
    assert status_of(response) == 504, response[:200]
    assert took < 3.0, took
    assert len(seen) == 1
