"""A real HTTP proxy in front of one side that can change its JSON answers: the injected
deviations the live tests must catch. Set the switch's `deviation` while it runs; None passes
all."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

# (method, path, status, document) -> (status, document)
Deviation = Callable[[str, str, int, Any], tuple[int, Any]]
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "date", "server"}


@dataclass
class Switch:
    url: str  # where the proxy listens
    deviation: Deviation | None = None


def _handler(client: httpx.Client, switch: Switch) -> type[BaseHTTPRequestHandler]:

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP]
            answer = client.request(self.command, self.path, headers=headers, content=body)
            status, content = answer.status_code, answer.content
            deviation = switch.deviation
            if deviation is not None and content:
                try:
                    document = json.loads(content)
                except ValueError:
                    document = None
                if document is not None:
                    path = self.path.split("?", 1)[0]
                    status, document = deviation(self.command, path, status, document)
                    content = json.dumps(document).encode()
            self.send_response(status)
            for name, value in answer.headers.multi_items():
                if name.lower() not in HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _forward

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Forward


@contextmanager
def deviating_proxy(
    target: str, port: int = 0, deviation: Deviation | None = None
) -> Iterator[Switch]:
    """Listen on 127.0.0.1:`port` (0: any free one), forward to `target`; the yielded switch
    picks the deviation."""
    with httpx.Client(base_url=target, timeout=30) as client:
        switch = Switch("", deviation)
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(client, switch))
        switch.url = f"http://127.0.0.1:{server.server_address[1]}"
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield switch
        finally:
            server.shutdown()
            server.server_close()


def changed_field(path: str, field: str) -> Deviation:
    """A GET whose path matches the regular expression `path` and answers 200 gets `field`
    changed (a string gains " (deviated)")."""
    pattern = re.compile(path)

    def change(method: str, where: str, status: int, document: Any) -> tuple[int, Any]:
        if method == "GET" and pattern.fullmatch(where) and status == 200:
            document[field] = f"{document[field]} (deviated)"
        return status, document

    return change


def wrong_order_total(method: str, path: str, status: int, page: Any) -> tuple[int, Any]:
    """GET /api/orders: the page's `total` counts one order too many, and every listed order's
    total is off by a cent."""
    if (method, path) == ("GET", "/api/orders") and isinstance(page, dict):
        page["total"] = int(page.get("total", 0)) + 1
        for order in page.get("items", []):
            order["total"] = f"{float(order['total']) + 0.01:.2f}"
    return status, page


def price_as_number(method: str, path: str, status: int, product: Any) -> tuple[int, Any]:
    """GET /api/products/{id}: the price is a JSON number, not the contract's string."""
    if method == "GET" and path.startswith("/api/products/") and isinstance(product, dict):
        if "price" in product:
            product["price"] = float(product["price"])
    return status, product


def me_without_name(method: str, path: str, status: int, user: Any) -> tuple[int, Any]:
    """GET /api/auth/me: the user's `name` key is missing."""
    if (method, path) == ("GET", "/api/auth/me") and isinstance(user, dict):
        user.pop("name", None)
    return status, user


def register_says_200(method: str, path: str, status: int, user: Any) -> tuple[int, Any]:
    """POST /api/auth/register: 200 instead of 201."""
    if (method, path) == ("POST", "/api/auth/register") and status == 201:
        return 200, user
    return status, user
