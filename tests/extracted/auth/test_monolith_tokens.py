"""A token the real monolith issued works on auth_service, through introspection (in-process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from a2wsgi import WSGIMiddleware

from extracted.auth_service.app import create_app
from extracted.auth_service.settings import AuthSettings
from extracted.common.database import make_engine
from legacy_monolith.app import create_app as create_monolith
from legacy_monolith.migrate import upgrade as upgrade_monolith

from .helpers import bearer

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

MONOLITH = "http://monolith.test"


@pytest.fixture
async def monolith(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite:///{tmp_path / 'monolith.db'}"
    upgrade_monolith(url)
    app = create_monolith({"DATABASE_URL": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    transport = httpx.ASGITransport(app=WSGIMiddleware(app))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=MONOLITH) as http:
        yield http


@pytest.fixture
async def service(
    settings: AuthSettings, monolith: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"legacy_url": MONOLITH}), client=monolith)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as http:
        yield http
    app.state.runtime.database.dispose()


async def test_a_monolith_token_works_on_the_service_and_stops_after_logout_and_cache_expiry(
    monolith: httpx.AsyncClient, service: httpx.AsyncClient, database_url: str
) -> None:
    account = {"email": "dana@example.com", "password": "correct horse", "name": "Dana"}
    user = (await monolith.post("/api/auth/register", json=account)).json()
    login = await monolith.post("/api/auth/login", json=account)
    token = login.json()["token"]

    me = await service.get("/api/auth/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json() == user
    own = await service.get(f"/api/users/{user['id']}", headers=bearer(token))
    assert own.json() == user

    assert (await monolith.post("/api/auth/logout", headers=bearer(token))).status_code == 204
    # Still cached here for INTROSPECTION_CACHE_SECONDS; once that passes, the logout shows.
    assert (await service.get("/api/auth/me", headers=bearer(token))).status_code == 200
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE sessions SET expires_at = '2000-01-01 00:00:00'"))
    engine.dispose()
    gone = await service.get("/api/auth/me", headers=bearer(token))
    assert gone.status_code == 401
    assert gone.json() == {
        "error": {"code": "invalid_token", "message": "Invalid or expired token"}
    }


async def test_an_unknown_token_is_refused_by_both(
    monolith: httpx.AsyncClient, service: httpx.AsyncClient
) -> None:
    expected = await monolith.get("/api/auth/me", headers=bearer("made-up"))
    actual = await service.get("/api/auth/me", headers=bearer("made-up"))
    assert (actual.status_code, actual.json()) == (expected.status_code, expected.json())


async def test_logging_out_on_the_service_logs_a_monolith_token_out_everywhere_at_once(
    monolith: httpx.AsyncClient, service: httpx.AsyncClient
) -> None:
    account = {"email": "erin@example.com", "password": "correct horse", "name": "Erin"}
    await monolith.post("/api/auth/register", json=account)
    token = (await monolith.post("/api/auth/login", json=account)).json()["token"]
    assert (await service.get("/api/auth/me", headers=bearer(token))).status_code == 200
    assert (await service.post("/api/auth/logout", headers=bearer(token))).status_code == 204
    assert (await service.get("/api/auth/me", headers=bearer(token))).status_code == 401
    assert (await monolith.get("/api/auth/me", headers=bearer(token))).status_code == 401
