"""Edge limits over real sockets, served with the protocol class `router serve` uses."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import uvicorn

from router.app import create_app
from router.server import protocol_for
from router.settings import RouterSettings
from tests.router.test_router_sockets import plan_text, quiet
from tests.support.polling import eventually

pytestmark = [pytest.mark.e2e]


def _serve(tmp_path: Path, settings: RouterSettings) -> tuple[uvicorn.Server, int]:
    import threading

    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_text("http://127.0.0.1:9", "http://127.0.0.1:9"))
    app = create_app(plan, settings=settings, **quiet())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, http=protocol_for(settings))
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    eventually(lambda: server.started, 10, "uvicorn started", every=0.02)
    return server, sock.getsockname()[1]


def _exchange(port: int, data: bytes, wait: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        try:
            conn.sendall(data)
        except OSError:
            pass  # refused mid-send: the answer is still readable
        chunks = b""
        while chunk := conn.recv(65536):
            chunks += chunk
        return chunks


def test_the_edge_refuses_long_lines_big_heads_and_slow_heads(tmp_path: Path) -> None:
    settings = RouterSettings(reload_interval=0, header_timeout=0.5)
    server, port = _serve(tmp_path, settings)
    try:
        long_line = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        assert _exchange(port, long_line).startswith(b"HTTP/1.1 414")
        many = b"GET /_strangler/healthz HTTP/1.1\r\nHost: x\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n"
        assert _exchange(port, many).startswith(b"HTTP/1.1 431")
        big = (
            b"GET /_strangler/healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
            + b"b" * (4 << 20)
            + b"\r\n\r\n"
        )
        started = time.monotonic()
        assert _exchange(port, big).startswith(b"HTTP/1.1 431")
        assert time.monotonic() - started < 3
        fine = _exchange(
            port, b"GET /_strangler/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert fine.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert _exchange(port, b"GET /_strangler/healthz HTTP/1.1\r\nHost: x\r\n").startswith(
            b"HTTP/1.1 408"
        )
        assert 0.3 < time.monotonic() - started < 3
    finally:
        server.should_exit = True
