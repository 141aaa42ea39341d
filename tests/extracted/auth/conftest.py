"""auth_service in-process: migrated database (SQLite, or PostgreSQL for `postgres` variants),
an in-memory publisher, and a respx router standing in for the legacy monolith."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import respx

from extracted.auth_service.app import create_app
from extracted.auth_service.migrate import upgrade
from extracted.auth_service.settings import AuthSettings
from extracted.common.events import InMemoryPublisher

LEGACY = "http://legacy.test"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'auth.db'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(database_url: str) -> AuthSettings:
    return AuthSettings(
        database_url=database_url,
        password_hash_method="pbkdf2:sha256:1000",
        legacy_url=LEGACY,
        http_retries=0,
    )


@pytest.fixture
def publisher() -> InMemoryPublisher:
    return InMemoryPublisher()


@pytest.fixture
def legacy() -> respx.MockRouter:
    """The monolith's introspection endpoint (each test mocks it) and its logout."""
    router = respx.MockRouter(assert_all_called=False, base_url=LEGACY)
    router.post("/api/auth/logout", name="logout").respond(204)
    return router


@pytest.fixture
async def client(
    settings: AuthSettings, publisher: InMemoryPublisher, legacy: respx.MockRouter
) -> AsyncIterator[httpx.AsyncClient]:
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(legacy.async_handler))
    app = create_app(settings, client=upstream, publisher=publisher)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as http:
        yield http
    await upstream.aclose()
    app.state.runtime.database.dispose()
