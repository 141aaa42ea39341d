"""Real sockets for the edge tests: the router under uvicorn as `strangler router serve` runs it,
an echo backend that answers with the headers it received, and a byte-for-byte HTTP client."""

from __future__ import annotations

import http.client
import io
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import structlog

from router.app import create_app
from router.server import protocol_for
from router.settings import RouterSettings
from tests.router.test_router_sockets import serve


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        seen = {"path": self.path, "headers": [[k.lower(), v] for k, v in self.headers.items()]}
        body = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def echo_backend() -> Iterator[str]:
    """A backend answering every request with `{"path", "headers"}` as it received them."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def plan_for(legacy: str, service: str) -> str:
    return f"""\
version: 1
upstreams:
  legacy: {{url: "{legacy}", timeout_seconds: 5}}
  products: {{url: "{service}", timeout_seconds: 5}}
legacy: legacy
endpoints:
  - {{route: "GET /api/products/{{id}}", phase: 1, service: products, mode: extracted}}
"""


@contextmanager
def router(
    tmp_path: Path, legacy: str, service: str | None = None, **settings: Any
) -> Iterator[int]:
    """The router on a free port, configured as `strangler router serve` configures uvicorn."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(plan_for(legacy, service or legacy))
    log = structlog.wrap_logger(structlog.WriteLogger(io.StringIO()))
    router_settings = RouterSettings(reload_interval=0, **settings)
    app = create_app(
        plan,
        settings=router_settings,
        access_log=log,
        event_log=log,
    )
    # The options of migration_plan/commands/router.py: the router is the edge, so uvicorn must
    # not rewrite the client address from a header the client wrote.
    with serve(app, proxy_headers=False, http=protocol_for(router_settings)) as url:
        yield int(url.rsplit(":", 1)[1])


def send_raw(
    port: int, head: str, body: bytes = b"", *, source: str = "127.0.0.1", method: str = "GET"
) -> Answer:
    """Send `head` (request line and headers, no blank line) exactly as written, from `source`."""
    data = (head.rstrip("\r\n") + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection(("127.0.0.1", port), timeout=15, source_address=(source, 0)) as s:
        s.sendall(data)
        response = http.client.HTTPResponse(s, method=method)
        response.begin()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )


def seen_headers(answer: Answer) -> dict[str, list[str]]:
    """What the echo backend received, by header name."""
    seen: dict[str, list[str]] = {}
    for name, value in answer.json()["headers"]:
        seen.setdefault(name, []).append(value)
    return seen
