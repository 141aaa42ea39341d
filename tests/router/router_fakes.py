"""Fake backends for the router tests: a Flask 'legacy' and a FastAPI 'service', both echoing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flask
import httpx
from fastapi import FastAPI, Request, Response

LEGACY = "http://legacy.test"
PRODUCTS = "http://products.test"
ORDERS = "http://orders.test"
DOWN = "http://down.test"
ADMIN_TOKEN = "test-admin-token"


def plan_yaml(endpoints: str = "", shadow: str = "", extra_upstreams: str = "") -> str:
    return (
        "version: 1\n"
        "upstreams:\n"
        f"  legacy: {{url: '{LEGACY}', timeout_seconds: 5}}\n"
        f"  products: {{url: '{PRODUCTS}', timeout_seconds: 5}}\n"
        f"  orders: {{url: '{ORDERS}', timeout_seconds: 5}}\n"
        f"  down: {{url: '{DOWN}', timeout_seconds: 5}}\n"
        f"{extra_upstreams}"
        "legacy: legacy\n"
        "phases: {1: all legacy, 3: products, 4: orders}\n"
        f"{shadow}"
        "endpoints:\n"
        f"{endpoints or '  []'}"
    )


def echo(
    side: str, method: str, path: str, query: str, headers: Any, body: bytes
) -> dict[str, Any]:
    return {
        "side": side,
        "method": method,
        "path": path,
        "query": query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "body": body.decode("latin-1"),
    }


def fake_legacy() -> flask.Flask:
    """The monolith stand-in: answers every path with an echo; a few paths behave specially."""
    app = flask.Flask("fake_legacy")

    @app.get("/api/products/<int:pid>")
    def product(pid: int) -> Any:
        return {"id": pid, "name": "The Fig Tree", "price": "19.99"}

    @app.post("/api/refused")
    def refused() -> Any:
        return {"error": {"code": "conflict", "message": "Already there"}}, 409

    @app.route("/boom", methods=["GET"])
    def boom() -> Any:
        return {"error": {"code": "internal_error", "message": "Internal server error"}}, 500

    @app.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @app.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def anything(rest: str) -> Any:
        req = flask.request
        raw = req.environ.get("RAW_URI") or req.environ.get("REQUEST_URI") or req.path
        payload = echo(
            "legacy",
            req.method,
            raw.split("?")[0],
            req.query_string.decode(),
            req.headers,
            req.get_data(),
        )
        response = flask.jsonify(payload)
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        return response

    return app


@dataclass
class ServiceControl:
    """What a test makes the fake service do."""

    delay: float = 0.0
    status: int = 200
    product_name: str = "The Fig Tree"
    seen: list[dict[str, Any]] = field(default_factory=list)
    release: asyncio.Event | None = None


def fake_service(name: str, control: ServiceControl) -> FastAPI:
    """An extracted service stand-in (FastAPI): legacy's answers, unless told otherwise."""
    app = FastAPI()

    @app.get("/api/products/{pid}")
    async def product(pid: int, request: Request) -> Response:
        control.seen.append({"path": request.url.path, "headers": dict(request.headers)})
        if control.release is not None:
            await control.release.wait()
        if control.delay:
            await asyncio.sleep(control.delay)
        body = {"id": pid, "name": control.product_name, "price": "19.99"}
        return Response(
            json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n",
            status_code=control.status,
            media_type="application/json",
        )

    @app.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def anything(rest: str, request: Request) -> Response:
        body = await request.body()
        control.seen.append({"path": request.url.path, "headers": dict(request.headers)})
        if control.delay:
            await asyncio.sleep(control.delay)
        raw = request.scope.get("raw_path", b"").decode("latin-1").split("?")[0]
        payload = echo(name, request.method, raw, request.url.query, request.headers, body)
        return Response(
            json.dumps(payload), status_code=control.status, media_type="application/json"
        )

    return app


class HostTransport(httpx.AsyncBaseTransport):
    """Sends each request to the in-process app of its origin; other origins fail to connect."""

    def __init__(self, routes: dict[str, httpx.AsyncBaseTransport]) -> None:
        self.routes = routes
        self.calls: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = f"{request.url.scheme}://{request.url.host}"
        self.calls.append((origin, request.url.raw_path.decode()))
        transport = self.routes.get(origin)
        if transport is None:
            raise httpx.ConnectError(f"connection refused: {origin}", request=request)
        return await transport.handle_async_request(request)


class FuncTransport(httpx.AsyncBaseTransport):
    """A transport from a plain (possibly async) handler function."""

    def __init__(self, handler: Callable[[httpx.Request], Any]) -> None:
        self.handler = handler

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        result = self.handler(request)
        if asyncio.iscoroutine(result):
            result = await result
        assert isinstance(result, httpx.Response)
        return result


class AsyncWSGITransport(httpx.AsyncBaseTransport):
    """httpx's WSGITransport is sync-only; run it in a worker thread for the async forwarder."""

    def __init__(self, app: Any) -> None:
        self._sync = httpx.WSGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        sync_request = httpx.Request(
            request.method, request.url, headers=request.headers, content=body
        )

        def run() -> httpx.Response:
            response = self._sync.handle_request(sync_request)
            response.read()
            return response

        response = await asyncio.to_thread(run)
        return httpx.Response(
            response.status_code, headers=response.headers.raw, content=response.content
        )


def endpoint(route: str, service: str = "products", **fields: Any) -> str:
    """One plan endpoint line (flow style) for `plan_yaml`."""
    extra = "".join(f", {k}: {v}" for k, v in fields.items())
    return f'  - {{route: "{route}", phase: 3, service: {service}{extra}}}\n'


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def json(self) -> Any:
        return json.loads(self.body)


async def call_asgi(
    app: Any,
    method: str,
    raw_path: bytes,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: list[bytes] | None = None,
    query: bytes = b"",
) -> RawResponse:
    """Drive the ASGI app with an exact raw path (no client-side normalisation)."""
    chunks = list(body or [b""])
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": query,
        "headers": [(b"host", b"router.test"), *(headers or [])],
        "client": ("198.51.100.1", 4000),
        "server": ("router.test", 80),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    hdrs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
    return RawResponse(start["status"], hdrs, data)
