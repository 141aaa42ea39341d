"""The router in front of the real monolith and the real products_service, in-process.

Both get their own migrated SQLite database holding the same catalogue, as after a backfill.
Reads go through every mode; shadow mode compares the two with the parity engine.
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
products_app = pytest.importorskip("extracted.products_service.app")

CATALOGUE = [
    {
        "id": i,
        "sku": f"BOOK-000{i}",
        "name": name,
        "description": "A novel.",
        "category": "books",
        "price": Decimal("19.99") + i,
        "stock": 10 * i,
        "created_at": datetime(2026, 11, 27, 4, 34, 17),
        "updated_at": datetime(2026, 11, 27, 4, 34, 17),
    }
    for i, name in enumerate(["The Fig Tree", "Roots", "Canopy"], start=1)
]


def seed(url: str) -> None:
    engine = sa.create_engine(url)
    products = sa.Table("products", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(products.insert(), CATALOGUE)
    engine.dispose()


def plan_text(mode: str, percent: int = 0) -> str:
    return f"""\
version: 1
upstreams:
  legacy: {{url: "http://legacy.test"}}
  products: {{url: "http://products.test"}}
legacy: legacy
endpoints:
  - {{route: "GET /api/products", phase: 3, service: products, mode: {mode},
      canary_percent: {percent}}}
  - {{route: "GET /api/products/{{id}}", phase: 3, service: products, mode: {mode},
      canary_percent: {percent}}}
  - {{route: "POST /api/stock/verify", phase: 3, service: products, mode: {mode},
      canary_percent: {percent}, dry_run: true}}
"""


@pytest.fixture
async def apps(tmp_path: Path) -> AsyncIterator[dict[str, httpx.AsyncBaseTransport]]:
    from extracted.products_service.migrate import upgrade as upgrade_products
    from extracted.products_service.settings import ProductsSettings
    from legacy_monolith.db import engine_of
    from legacy_monolith.migrate import upgrade as upgrade_monolith

    monolith_url = f"sqlite:///{tmp_path / 'monolith.db'}"
    products_url = f"sqlite:///{tmp_path / 'products.db'}"
    upgrade_monolith(monolith_url)
    upgrade_products(products_url)
    seed(monolith_url)
    seed(products_url)
    monolith = legacy_monolith.create_app({"DATABASE_URL": monolith_url})
    auth = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(401)))
    service = products_app.create_app(
        ProductsSettings(
            database_url=products_url, auth_service_url="http://auth.test", http_retries=0
        ),
        client=auth,
    )
    yield {
        "http://legacy.test": AsyncWSGITransport(monolith),
        "http://products.test": httpx.ASGITransport(app=service),
    }
    await auth.aclose()
    service.state.runtime.database.dispose()
    engine_of(monolith).dispose()


def router_over(apps: dict[str, httpx.AsyncBaseTransport], mode: str, percent: int) -> RouterApp:
    quiet = structlog.wrap_logger(structlog.WriteLogger(io.StringIO()))
    return create_app(
        parse_plan(plan_text(mode, percent), "plan.yaml"),
        HttpxForwarder(transport=HostTransport(dict(apps))),
        RouterSettings(reload_interval=0),
        access_log=quiet,
        event_log=quiet,
    )


async def requests_through(app: RouterApp) -> list[httpx.Response]:
    async with app.running():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router.test"
        ) as client:
            responses = [
                await client.get("/api/products/2"),
                await client.get("/api/products?per_page=2&sort=-price"),
                await client.get("/api/products/99"),
                await client.post(
                    "/api/stock/verify", json={"items": [{"product_id": 1, "quantity": 500}]}
                ),
            ]
            await app.shadower.drain()
    return responses


@pytest.mark.parametrize(
    ("mode", "percent", "side"),
    [
        ("legacy", 0, "legacy"),
        ("extracted", 0, "extracted"),
        ("canary", 100, "extracted"),
        ("canary", 0, "legacy"),
        ("shadow", 0, "legacy"),
    ],
)
async def test_each_mode_serves_the_contract_from_the_side_it_names(
    apps: Any, mode: str, percent: int, side: str
) -> None:
    app = router_over(apps, mode, percent)
    product, page, missing, verify = await requests_through(app)
    for response in (product, page, missing, verify):
        assert response.headers["x-strangler-side"] == side
    assert product.status_code == 200
    assert product.json()["name"] == "Roots" and product.json()["price"] == "21.99"
    assert [p["id"] for p in page.json()["items"]] == [3, 2]
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "Product 99 not found"
    assert verify.json() == {
        "ok": False,
        "shortages": [{"available": 10, "product_id": 1, "requested": 500}],
    }


async def test_shadowing_the_real_service_finds_it_in_parity_with_the_monolith(apps: Any) -> None:
    app = router_over(apps, "shadow", 0)
    await requests_through(app)
    for route in ("GET /api/products/{id}", "GET /api/products", "POST /api/stock/verify"):
        shadow = app.stats.snapshot(route)["shadow"]
        assert shadow["mismatched"] == 0, app.stats.mismatch_examples(route)
    assert app.stats.snapshot("GET /api/products/{id}")["shadow"]["compared"] == 2
    assert app.stats.snapshot("POST /api/stock/verify")["shadow"]["compared"] == 1


async def test_unknown_routes_get_the_monoliths_html_404_through_the_router(apps: Any) -> None:
    app = router_over(apps, "extracted", 0)
    async with app.running():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router.test"
        ) as client:
            response = await client.get("/api/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-strangler-side"] == "legacy"
