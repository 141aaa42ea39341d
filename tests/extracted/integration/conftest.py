"""The monolith and the three services wired in-process over one network, on shared seed data.

The monolith is seeded (`legacy_monolith.seed`) and each service's database is backfilled from it
(`strangler data backfill`), so both sides start from the same rows and ids.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from a2wsgi import WSGIMiddleware
from fastapi import FastAPI
from flask import Flask

from extracted.auth_service.app import create_app as create_auth
from extracted.auth_service.settings import AuthSettings
from extracted.common.events import InMemoryPublisher
from extracted.orders_service.app import create_app as create_orders
from extracted.orders_service.settings import OrdersSettings
from extracted.products_service.app import create_app as create_products
from extracted.products_service.settings import ProductsSettings
from legacy_monolith import create_app as create_monolith
from legacy_monolith.db import engine_of
from legacy_monolith.migrate import upgrade as upgrade_monolith
from legacy_monolith.seed import seed
from migration_plan.data.backfill import backfill

from .network import Network

FAST_HASH = "pbkdf2:sha256:1000"
MONOLITH, AUTH, PRODUCTS, ORDERS = (
    "http://monolith.test",
    "http://auth.test",
    "http://products.test",
    "http://orders.test",
)

NewDatabase = Callable[[str], str]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """`new_database("orders")` -> the URL of a fresh database of the backend under test."""
    if request.param == "sqlite":
        yield lambda name: f"sqlite:///{tmp_path / name}.db"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make(name: str) -> str:
        database = f"strangler_t_{name}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        created.append(database)
        return admin_url.rsplit("/", 1)[0] + f"/{database}"

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for database in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Stack:
    network: Network
    client: httpx.AsyncClient  # the tests' own client; any host of the network
    monolith: Flask
    auth: FastAPI
    products: FastAPI
    orders: FastAPI
    urls: dict[str, str]  # database URL per side: monolith, auth, products, orders
    auth_events: InMemoryPublisher
    products_events: InMemoryPublisher
    orders_events: InMemoryPublisher

    def engine(self, side: str) -> sa.Engine:
        return sa.create_engine(self.urls[side])

    def scalar(self, side: str, sql: str, **params: object) -> object:
        engine = self.engine(side)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(sql), params).scalar()
        finally:
            engine.dispose()

    def stock(self, product_id: int, side: str = "products") -> int:
        value = self.scalar(side, "SELECT stock FROM products WHERE id = :id", id=product_id)
        assert isinstance(value, int)
        return value


@pytest.fixture
def seeded_urls(new_database: NewDatabase) -> dict[str, str]:
    urls = {side: new_database(side) for side in ("monolith", "auth", "products", "orders")}
    upgrade_monolith(urls["monolith"])
    seed(urls["monolith"], password_hash_method=FAST_HASH)
    for service in ("auth", "products", "orders"):
        backfill(service, urls["monolith"], urls[service])
    return urls


@pytest.fixture
async def stack(seeded_urls: dict[str, str]) -> AsyncIterator[Stack]:
    network = Network()
    shared = httpx.AsyncClient(transport=network, timeout=5)
    monolith = create_monolith(
        {"DATABASE_URL": seeded_urls["monolith"], "PASSWORD_HASH_METHOD": FAST_HASH}
    )
    events = {name: InMemoryPublisher() for name in ("auth", "products", "orders")}
    auth = create_auth(
        AuthSettings(
            database_url=seeded_urls["auth"],
            legacy_url=MONOLITH,
            password_hash_method=FAST_HASH,
        ),
        client=shared,
        publisher=events["auth"],
    )
    products = create_products(
        ProductsSettings(database_url=seeded_urls["products"], auth_service_url=AUTH),
        client=shared,
        publisher=events["products"],
    )
    orders = create_orders(
        OrdersSettings(
            database_url=seeded_urls["orders"],
            auth_service_url=AUTH,
            products_service_url=PRODUCTS,
            http_timeout_seconds=2.0,
            http_retries=2,
        ),
        client=shared,
        publisher=events["orders"],
    )
    wsgi = WSGIMiddleware(monolith)  # type: ignore[arg-type]
    network.hosts.update(
        {
            "monolith.test": httpx.ASGITransport(app=wsgi),
            "auth.test": httpx.ASGITransport(app=auth),
            "products.test": httpx.ASGITransport(app=products),
            "orders.test": httpx.ASGITransport(app=orders),
        }
    )
    async with httpx.AsyncClient(transport=network, timeout=30) as client:
        yield Stack(
            network,
            client,
            monolith,
            auth,
            products,
            orders,
            seeded_urls,
            events["auth"],
            events["products"],
            events["orders"],
        )
    await shared.aclose()
    # The monolith's threads may still be closing their sessions after the last answer went out:
    # let them finish before the pools are disposed, or a checked-out connection is left behind.
    wsgi.executor.shutdown(wait=True)
    for app in (auth, products, orders):
        app.state.runtime.database.dispose()
    engine_of(monolith).dispose()


async def login(
    client: httpx.AsyncClient, base: str, email: str, password: str = "password123"
) -> str:
    response = await client.post(
        f"{base}/api/auth/login", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
