"""The app factory: nothing connects at build time, the lifespan opens and closes what it owns,
/readyz reports the database and auth_service, and the sweeper expires reservations by itself."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
import respx
import sqlalchemy as sa

from extracted.common.database import make_engine
from extracted.products_service.app import create_app
from extracted.products_service.settings import ProductsSettings

from .helpers import create_product

pytestmark = pytest.mark.anyio


def test_building_the_app_connects_to_nothing() -> None:
    app = create_app(ProductsSettings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/x"))
    assert app.state.runtime.auth is None


async def test_the_lifespan_opens_its_own_client_and_readyz_reports_each_dependency(
    settings: ProductsSettings,
) -> None:
    app = create_app(settings.model_copy(update={"auth_service_url": "http://127.0.0.1:9"}))
    async with app.router.lifespan_context(app):
        assert app.state.runtime.auth is not None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://p.test") as http:
            response = await http.get("/readyz")
            health = await http.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"checks": {"auth": False, "database": True}, "status": "not ready"}
    assert health.json() == {"status": "ok"}


async def test_readyz_is_200_when_database_and_auth_answer(
    client: httpx.AsyncClient, auth: respx.MockRouter
) -> None:
    auth.get("/healthz").respond(200, json={"status": "ok"})
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_the_periodic_sweep_releases_expired_holds_without_any_request(
    client: httpx.AsyncClient, settings: ProductsSettings
) -> None:
    product = await create_product(client, stock=4)
    body = {"items": [{"product_id": product["id"], "quantity": 4}]}
    assert (await client.put("/internal/reservations/r", json=body)).status_code == 201
    engine = make_engine(settings.database_url)
    table = sa.table("reservations", sa.column("created_at", sa.DateTime))
    with engine.begin() as conn:
        old = conn.execute(sa.select(table.c.created_at)).scalar_one() - timedelta(seconds=60)
        conn.execute(sa.update(table).values(created_at=old))
    engine.dispose()

    swept = create_app(settings.model_copy(update={"reservation_ttl_seconds": 1}))
    async with swept.router.lifespan_context(swept):
        for _ in range(40):
            await asyncio.sleep(0.1)
            stock = (await client.get(f"/api/products/{product['id']}")).json()["stock"]
            if stock == 4:
                break
    assert stock == 4
