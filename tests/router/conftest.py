"""Router test fixtures: fake backends in-process, a router built over them, a raw ASGI caller."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import structlog
from router_fakes import (
    ADMIN_TOKEN,
    LEGACY,
    ORDERS,
    PRODUCTS,
    AsyncWSGITransport,
    HostTransport,
    ServiceControl,
    fake_legacy,
    fake_service,
    plan_yaml,
)

from migration_plan.plan import parse_plan
from router.app import RouterApp, create_app
from router.settings import RouterSettings
from router.shadow import Comparator, parity_comparator
from tests.support.httpx_forwarder import HttpxForwarder


@dataclass
class Rig:
    """A router over fake backends, plus the handles a test needs."""

    app: RouterApp
    client: httpx.AsyncClient
    transport: HostTransport
    products: ServiceControl
    orders: ServiceControl
    access_log: io.StringIO
    extra: dict[str, Any] = field(default_factory=dict)

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.access_log.getvalue().splitlines() if line]


def build_rig(
    endpoints: str,
    *,
    shadow: str = "",
    settings: RouterSettings | None = None,
    comparator: Comparator = parity_comparator,
    routes: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> tuple[RouterApp, HostTransport, ServiceControl, ServiceControl, io.StringIO]:
    products, orders = ServiceControl(), ServiceControl()
    transport = HostTransport(
        {
            LEGACY: AsyncWSGITransport(fake_legacy()),
            PRODUCTS: httpx.ASGITransport(app=fake_service("extracted", products)),
            ORDERS: httpx.ASGITransport(app=fake_service("extracted", orders)),
            **(routes or {}),
        }
    )
    stream = io.StringIO()
    log = structlog.wrap_logger(
        structlog.WriteLogger(stream), processors=[structlog.processors.JSONRenderer()]
    )
    app = create_app(
        parse_plan(plan_yaml(endpoints, shadow), "plan.yaml"),
        HttpxForwarder(transport=transport),
        settings or RouterSettings(admin_token=ADMIN_TOKEN, reload_interval=0),
        comparator=comparator,
        access_log=log,
        event_log=structlog.wrap_logger(structlog.WriteLogger(io.StringIO())),
    )
    return app, transport, products, orders, stream


@pytest.fixture
def rig_factory() -> Callable[..., Any]:
    """`async with rig_factory(endpoints_yaml) as rig:` — a started router and a client."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def make(endpoints: str, **kwargs: Any) -> AsyncIterator[Rig]:
        app, transport, products, orders, stream = build_rig(endpoints, **kwargs)
        async with app.running():
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 5555)),
                base_url="http://router.test",
            ) as client:
                yield Rig(app, client, transport, products, orders, stream)

    return make
