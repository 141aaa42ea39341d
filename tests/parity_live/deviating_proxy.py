"""A tiny HTTP proxy in a thread that forwards everything and changes one field of one endpoint."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "transfer-encoding", "content-length", "content-encoding", "date"}


def deviating_handler(client: httpx.Client, path: re.Pattern[str], field: str) -> type:
    """A handler forwarding through ``client``; a GET whose path matches gets ``field`` changed."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = [(k, v) for k, v in self.headers.items() if k.lower() != "host"]
            answer = client.request(self.command, self.path, headers=headers, content=body)
            content = answer.content
            if self.command == "GET" and path.fullmatch(self.path) and answer.status_code == 200:
                document = json.loads(content)
                document[field] = f"{document[field]} (deviated)"
                content = json.dumps(document).encode()
            self.send_response(answer.status_code)
            for name, value in answer.headers.multi_items():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _forward

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def deviating_proxy(upstream: str, path: str, field: str) -> Iterator[str]:
    """The proxy's base URL while it runs; ``path`` is a regular expression for the path."""
    client = httpx.Client(base_url=upstream, timeout=30)
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), deviating_handler(client, re.compile(path), field)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        client.close()
