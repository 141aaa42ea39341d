"""Helpers for tests/plan: a small plan, parity results files, a router over a fake backend,
and a TCP proxy that can cut a connection to Redis and restore it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from pathlib import Path
from typing import Any

import httpx
import structlog

from migration_plan.plan import Plan, parse_plan
from router.app import RouterApp, create_app
from router.runtime import RuntimeState
from router.settings import RouterSettings
from tests.support.httpx_forwarder import HttpxForwarder

TOKEN = "plan-test-token"
PRODUCT = "GET /api/products/{id}"
ORDERS = "POST /api/orders"


def plan_text(gates: str = "{min_shadow_comparisons: 3, max_mismatch_rate: 0.0}") -> str:
    return f"""\
version: 1
upstreams:
  legacy: {{url: "http://legacy.test"}}
  products: {{url: "http://products.test"}}
  orders: {{url: "http://orders.test"}}
legacy: legacy
phases: {{1: all legacy, 3: products, 4: orders}}
gates: {gates}
endpoints:
  - {{route: "GET /api/products", phase: 3, service: products}}
  - {{route: "{PRODUCT}", phase: 3, service: products}}
  - {{route: "{ORDERS}", phase: 4, service: orders, dry_run: true}}
"""


def small_plan(**kwargs: Any) -> Plan:
    return parse_plan(plan_text(**kwargs), "plan.yaml")


def parity_file(path: Path, statuses: dict[str, str]) -> Path:
    """Write a results file in `strangler parity run`'s format."""
    endpoints = {
        route: {
            "status": status,
            "scenarios": 3,
            "steps": 7,
            "mismatches": 0 if status == "pass" else 2,
            "failures": [] if status == "pass" else ["step 2: /price differs"],
        }
        for route, status in statuses.items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "generated_at": "2026-11-27T05:00:00+00:00",
                "source": "test",
                "endpoints": endpoints,
            }
        )
    )
    return path


def backend(request: httpx.Request) -> httpx.Response:
    """legacy and products answer the same product; `?differ=1` makes the service differ."""
    side = "legacy" if request.url.host == "legacy.test" else "extracted"
    price = "2.00" if side == "extracted" and request.url.params.get("differ") else "1.00"
    return httpx.Response(200, json={"id": 1, "price": price}, headers={"x-side": side})


def build_router(
    runtime: RuntimeState | None = None,
    *,
    plan: Plan | None = None,
    reload_interval: float = 0,
) -> RouterApp:
    return create_app(
        plan or small_plan(),
        HttpxForwarder(transport=httpx.MockTransport(backend)),
        RouterSettings(admin_token=TOKEN, reload_interval=reload_interval, access_log=False),
        runtime=runtime,
        event_log=structlog.wrap_logger(structlog.WriteLogger(io.StringIO())),
    )


def client_for(app: RouterApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://router.test",
        headers={"authorization": f"Bearer {TOKEN}"},
    )


async def shadow_traffic(app: RouterApp, count: int, *, differ: bool = False) -> None:
    """`count` shadowed GETs of the product, waiting until each was compared."""
    query = "?differ=1" if differ else ""
    async with client_for(app) as client:
        for _ in range(count):
            response = await client.get(f"/api/products/1{query}")
            assert response.status_code == 200
    await app.shadower.drain()


class TcpProxy:
    """127.0.0.1:<port> -> target; `cut()` closes the listener and every connection."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()  # the same port: the clients' URL does not change

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update({writer, up_writer})
