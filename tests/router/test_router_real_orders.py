"""The whole stack in-process behind the router: monolith, auth, products and orders services.

Orders go through shadow (a dry-run saga that leaves no trace in any service) and extracted mode.
Tokens are the monolith's; the services learn who the caller is through auth_service.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import structlog
from router_fakes import AsyncWSGITransport, HostTransport

from migration_plan.plan import parse_plan
from router.app import RouterApp, create_app
from router.settings import RouterSettings
from tests.support.httpx_forwarder import HttpxForwarder

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

legacy_monolith = pytest.importorskip("legacy_monolith")
pytest.importorskip("extracted.auth_service.app")
pytest.importorskip("extracted.products_service.app")
pytest.importorskip("extracted.orders_service.app")

FAST_HASH = "pbkdf2:sha256:1000"
PRODUCT = {
    "id": 1,
    "sku": "BOOK-0001",
    "name": "The Fig Tree",
    "description": "A novel.",
    "category": "books",
    "price": Decimal("19.99"),
    "stock": 12,
    "created_at": datetime(2026, 11, 27, 4, 34, 17),
    "updated_at": datetime(2026, 11, 27, 4, 34, 17),
}
ORDER = {"items": [{"product_id": 1, "quantity": 3}]}


def plan_text(mode: str) -> str:
    return f"""\
version: 1
upstreams:
  legacy: {{url: "http://legacy.test"}}
  orders: {{url: "http://orders.test"}}
legacy: legacy
endpoints:
  - route: "POST /api/orders"
    phase: 4
    service: orders
    mode: {mode}
    dry_run: true
    parity: {{ignore: [/id, /created_at]}}
  - {{route: "GET /api/orders", phase: 4, service: orders, mode: {mode}}}
  - {{route: "GET /api/orders/{{id}}", phase: 4, service: orders, mode: {mode}}}
"""


class Stack:
    def __init__(self, transports: dict[str, httpx.AsyncBaseTransport], urls: dict[str, str]):
        self.transports = transports
        self.urls = urls

    def scalar(self, side: str, sql: str) -> Any:
        engine = sa.create_engine(self.urls[side])
        with engine.connect() as conn:
            value = conn.execute(sa.text(sql)).scalar_one()
        engine.dispose()
        return value


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    from extracted.auth_service.app import create_app as auth_app
    from extracted.auth_service.migrate import upgrade as upgrade_auth
    from extracted.auth_service.settings import AuthSettings
    from extracted.orders_service.app import create_app as orders_app
    from extracted.orders_service.migrate import upgrade as upgrade_orders
    from extracted.orders_service.settings import OrdersSettings
    from extracted.products_service.app import create_app as products_app
    from extracted.products_service.migrate import upgrade as upgrade_products
    from extracted.products_service.settings import ProductsSettings
    from legacy_monolith.db import engine_of
    from legacy_monolith.migrate import upgrade as upgrade_monolith

    urls = {
        name: f"sqlite:///{tmp_path / name}.db" for name in ("legacy", "auth", "products", "orders")
    }
    for name, upgrade in (
        ("legacy", upgrade_monolith),
        ("auth", upgrade_auth),
        ("products", upgrade_products),
        ("orders", upgrade_orders),
    ):
        upgrade(urls[name])
    for name in ("legacy", "products"):
        engine = sa.create_engine(urls[name])
        table = sa.Table("products", sa.MetaData(), autoload_with=engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [PRODUCT])
        engine.dispose()

    monolith = legacy_monolith.create_app(
        {"DATABASE_URL": urls["legacy"], "PASSWORD_HASH_METHOD": FAST_HASH}
    )
    # One client for every service-to-service call, resolved in-process by host.
    mesh = HostTransport({"http://legacy.test": AsyncWSGITransport(monolith)})
    client = httpx.AsyncClient(transport=mesh)
    auth = auth_app(
        AuthSettings(database_url=urls["auth"], legacy_url="http://legacy.test", http_retries=0),
        client=client,
    )
    products = products_app(
        ProductsSettings(
            database_url=urls["products"], auth_service_url="http://auth.test", http_retries=0
        ),
        client=client,
    )
    orders = orders_app(
        OrdersSettings(
            database_url=urls["orders"],
            auth_service_url="http://auth.test",
            products_service_url="http://products.test",
            http_retries=0,
        ),
        client=client,
    )
    mesh.routes["http://auth.test"] = httpx.ASGITransport(app=auth)
    mesh.routes["http://products.test"] = httpx.ASGITransport(app=products)
    mesh.routes["http://orders.test"] = httpx.ASGITransport(app=orders)
    yield Stack(dict(mesh.routes), urls)
    await client.aclose()
    for app in (auth, products, orders):
        app.state.runtime.database.dispose()
    engine_of(monolith).dispose()


def router_over(stack: Stack, mode: str) -> RouterApp:
    quiet = structlog.wrap_logger(structlog.WriteLogger(io.StringIO()))
    return create_app(
        parse_plan(plan_text(mode), "plan.yaml"),
        HttpxForwarder(transport=HostTransport(dict(stack.transports))),
        RouterSettings(reload_interval=0),
        access_log=quiet,
        event_log=quiet,
    )


async def monolith_token(client: httpx.AsyncClient) -> dict[str, str]:
    user = {"email": "alice@example.com", "password": "correct horse", "name": "Alice"}
    assert (await client.post("/api/auth/register", json=user)).status_code == 201
    login = await client.post("/api/auth/login", json={k: user[k] for k in ("email", "password")})
    return {"authorization": f"Bearer {login.json()['token']}"}


async def test_a_shadowed_order_is_a_dry_run_saga_in_parity_with_the_monolith(stack: Any) -> None:
    app = router_over(stack, "shadow")
    async with app.running():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router.test"
        ) as client:
            auth = await monolith_token(client)
            empty = await client.get("/api/orders", headers=auth)
            await app.shadower.drain()  # compare the empty lists before the monolith has an order
            placed = await client.post("/api/orders", json=ORDER, headers=auth)
            await app.shadower.drain()
    assert empty.json()["items"] == []
    assert placed.status_code == 201 and placed.headers["x-strangler-side"] == "legacy"
    assert placed.json()["total"] == "59.97"
    for route in ("GET /api/orders", "POST /api/orders"):
        shadow = app.stats.snapshot(route)["shadow"]
        assert shadow["compared"] == 1, (route, shadow)
        assert shadow["mismatched"] == 0, app.stats.mismatch_examples(route)
    assert stack.scalar("legacy", "SELECT stock FROM products WHERE id = 1") == 9
    # the mirrored saga left no trace: no order, no reservation, stock untouched
    assert stack.scalar("orders", "SELECT count(*) FROM orders") == 0
    assert stack.scalar("products", "SELECT count(*) FROM reservations") == 0
    assert stack.scalar("products", "SELECT stock FROM products WHERE id = 1") == 12


async def test_extracted_orders_are_placed_and_read_by_the_service(stack: Any) -> None:
    app = router_over(stack, "extracted")
    async with app.running():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router.test"
        ) as client:
            auth = await monolith_token(client)
            placed = await client.post("/api/orders", json=ORDER, headers=auth)
            read = await client.get(f"/api/orders/{placed.json()['id']}", headers=auth)
    assert placed.status_code == 201 and placed.headers["x-strangler-side"] == "extracted"
    assert read.status_code == 200 and read.json()["items"][0]["line_total"] == "59.97"
    assert stack.scalar("products", "SELECT stock FROM products WHERE id = 1") == 9
    assert stack.scalar("legacy", "SELECT stock FROM products WHERE id = 1") == 12
