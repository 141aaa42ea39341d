"""The app factory: nothing connects at build time; /readyz reports the database and monolith."""

from __future__ import annotations

import httpx
import pytest
import respx

from extracted.auth_service.app import create_app
from extracted.auth_service.settings import AuthSettings

pytestmark = pytest.mark.anyio


def test_building_the_app_connects_to_nothing() -> None:
    create_app(AuthSettings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/x"))


async def test_the_lifespan_opens_its_own_client_and_readyz_reports_the_monolith(
    settings: AuthSettings,
) -> None:
    app = create_app(settings.model_copy(update={"legacy_url": "http://127.0.0.1:9"}))
    async with app.router.lifespan_context(app):
        assert app.state.runtime.tokens.legacy is not None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a.test") as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "checks": {"database": True, "legacy": False},
        "status": "not ready",
    }


async def test_readyz_is_200_when_the_database_and_the_monolith_answer(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    legacy.get("/api/auth/me").respond(401)
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"checks": {"database": True, "legacy": True}, "status": "ready"}


async def test_without_legacy_url_the_monolith_is_not_needed_for_readiness(
    settings: AuthSettings,
) -> None:
    app = create_app(settings.model_copy(update={"legacy_url": ""}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://a.test") as http:
        response = await http.get("/readyz")
    app.state.runtime.database.dispose()
    assert response.status_code == 200
