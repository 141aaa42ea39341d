"""orders_service in-process over a migrated database, with respx standing in for auth/products."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import respx
import sqlalchemy as sa
from fastapi import FastAPI

from extracted.common.events import InMemoryPublisher
from extracted.orders_service.app import create_app
from extracted.orders_service.migrate import upgrade
from extracted.orders_service.settings import OrdersSettings

from .fakes import AUTH, PRODUCTS, FakeProducts, fake_auth


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'orders.db'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(database_url: str) -> OrdersSettings:
    return OrdersSettings(
        database_url=database_url,
        auth_service_url=AUTH,
        products_service_url=PRODUCTS,
        http_timeout_seconds=0.3,
        http_retries=2,
    )


@pytest.fixture
def publisher() -> InMemoryPublisher:
    return InMemoryPublisher()


@pytest.fixture
def upstream() -> respx.MockRouter:
    """Every call orders_service makes; an unmatched one fails the test loudly."""
    return respx.MockRouter(assert_all_called=False)


@pytest.fixture
def auth_route(upstream: respx.MockRouter) -> respx.Route:
    return fake_auth(upstream)


@pytest.fixture
def products(upstream: respx.MockRouter) -> FakeProducts:
    fake = FakeProducts()
    fake.install(upstream)
    return fake


@pytest.fixture
async def app(
    settings: OrdersSettings,
    publisher: InMemoryPublisher,
    upstream: respx.MockRouter,
    auth_route: respx.Route,
    products: FakeProducts,
) -> AsyncIterator[FastAPI]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(upstream.async_handler))
    application = create_app(settings, client=http, publisher=publisher)
    yield application
    await http.aclose()
    application.state.runtime.database.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orders.test") as http:
        yield http


@pytest.fixture
def db(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


def count(engine: sa.Engine, table: str, where: str = "") -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}")).scalar_one())
