"""products_service asking the real auth_service (in-process): admins write, others get 401/403."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from extracted.auth_service.app import create_app as create_auth
from extracted.auth_service.migrate import upgrade as upgrade_auth
from extracted.auth_service.settings import AuthSettings
from extracted.common.database import make_engine
from extracted.products_service.app import create_app
from extracted.products_service.settings import ProductsSettings

from .helpers import product_body

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

AUTH_URL = "http://auth.test"


@pytest.fixture
async def auth_http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite:///{tmp_path / 'auth.db'}"
    upgrade_auth(url)
    app = create_auth(
        AuthSettings(database_url=url, password_hash_method="pbkdf2:sha256:1000", legacy_url="")
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=AUTH_URL) as http:
        account = {"email": "root@example.com", "password": "correct horse", "name": "Root"}
        await http.post("/api/auth/register", json=account)
        await http.post("/api/auth/register", json={**account, "email": "user@example.com"})
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE users SET is_admin = true WHERE email = 'root@example.com'")
            )
        engine.dispose()
        yield http
    app.state.runtime.database.dispose()


@pytest.fixture
async def products(
    settings: ProductsSettings, auth_http: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"auth_service_url": AUTH_URL}), client=auth_http)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://products.test") as http:
        yield http
    app.state.runtime.database.dispose()


async def _token(auth_http: httpx.AsyncClient, email: str) -> dict[str, str]:
    login = await auth_http.post(
        "/api/auth/login", json={"email": email, "password": "correct horse"}
    )
    return {"Authorization": f"Bearer {login.json()['token']}"}


async def test_an_admin_token_from_auth_service_can_create_a_product(
    products: httpx.AsyncClient, auth_http: httpx.AsyncClient
) -> None:
    headers = await _token(auth_http, "root@example.com")
    response = await products.post("/api/products", json=product_body(), headers=headers)
    assert response.status_code == 201


async def test_auth_service_answers_pass_through(
    products: httpx.AsyncClient, auth_http: httpx.AsyncClient
) -> None:
    user = await _token(auth_http, "user@example.com")
    forbidden = await products.post("/api/products", json=product_body(), headers=user)
    assert forbidden.json() == {
        "error": {"code": "forbidden", "message": "Admin privileges required"}
    }
    for header, code in (("Bearer nope", "invalid_token"), ("Bearer a b", "unauthorized")):
        response = await products.patch(
            "/api/products/1", json={"stock": 1}, headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == code
