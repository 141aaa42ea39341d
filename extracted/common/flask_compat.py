"""Make a FastAPI app answer like Flask where the contract depends on it.

Flask (Werkzeug) routing answers unknown paths with an HTML 404, a known path with the wrong method
with an HTML 405 and an `Allow` header, and OPTIONS on a known path with 200 and `Allow`; it never
redirects a trailing slash that was not declared. FastAPI does none of these by default, so this
middleware decides before routing, from the app's own route table.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from werkzeug.exceptions import MethodNotAllowed, NotFound

_HTML = [(b"content-type", b"text/html; charset=utf-8")]


class FlaskIntConvertor(Convertor[int]):
    """Werkzeug's `<int:...>`: `\\d+` (Unicode digits included, no sign), so `{id:flaskint}` matches
    exactly the spellings the monolith's routes match."""

    regex = r"\d+"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


def register_convertors() -> None:
    register_url_convertor("flaskint", FlaskIntConvertor())


def _allowed_methods(routes: list[BaseRoute], scope: Scope) -> set[str] | None:
    """Methods of the routes whose path matches, or None when no path matches."""
    methods: set[str] = set()
    found = False
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.NONE:
            continue
        found = True
        if isinstance(route, Route) and route.methods:
            methods |= route.methods
    return methods if found else None


class FlaskRoutingCompat:
    """ASGI middleware: Werkzeug's 404/405/OPTIONS behaviour in front of a Starlette router."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        methods = _allowed_methods(self.routes, scope)
        method = scope["method"]
        if methods is None:
            await _send(send, 404, NotFound().get_body().encode(), _HTML)
            return
        if "GET" in methods:
            methods.add("HEAD")  # Flask answers HEAD wherever GET is allowed
        if method in methods:
            if method == "HEAD" and "HEAD" not in _declared(self.routes, scope):
                await self.app({**scope, "method": "GET"}, receive, _without_body(send))
                return
            await self.app(scope, receive, send)
            return
        allowed = sorted(methods | {"OPTIONS"})
        headers = [*_HTML, (b"allow", ", ".join(allowed).encode())]
        if method == "OPTIONS":
            await _send(send, 200, b"", headers)
            return
        body = MethodNotAllowed(valid_methods=allowed).get_body()
        await _send(send, 405, body.encode(), headers)


def _declared(routes: list[BaseRoute], scope: Scope) -> set[str]:
    return {
        method
        for route in routes
        if isinstance(route, Route) and route.methods and route.matches(scope)[0] == Match.FULL
        for method in route.methods
    }


def _without_body(send: Send) -> Send:
    """HEAD: the GET answer's status and headers (Content-Length included), no body bytes."""

    async def head_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return head_send


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    head = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
