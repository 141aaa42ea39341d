"""products_service in-process: a migrated database (SQLite, or PostgreSQL for `postgres`
variants), an in-memory publisher, and a respx router standing in for auth_service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import respx

from extracted.common.events import InMemoryPublisher
from extracted.products_service.app import create_app
from extracted.products_service.migrate import upgrade
from extracted.products_service.settings import ProductsSettings

from .helpers import AUTH, auth_answer


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'products.db'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(database_url: str) -> ProductsSettings:
    return ProductsSettings(database_url=database_url, auth_service_url=AUTH, http_retries=0)


@pytest.fixture
def publisher() -> InMemoryPublisher:
    return InMemoryPublisher()


@pytest.fixture
def auth() -> respx.MockRouter:
    """auth_service's /api/auth/me: `Bearer admin` is an admin, `Bearer user` is not."""
    router = respx.MockRouter(assert_all_called=False, base_url=AUTH)
    router.get("/api/auth/me").mock(side_effect=auth_answer)
    return router


@pytest.fixture
async def client(
    settings: ProductsSettings, publisher: InMemoryPublisher, auth: respx.MockRouter
) -> AsyncIterator[httpx.AsyncClient]:
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(auth.async_handler))
    app = create_app(settings, client=upstream, publisher=publisher)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://products.test") as http:
        yield http
    await upstream.aclose()
    app.state.runtime.database.dispose()
