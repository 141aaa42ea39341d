"""auth_service answers exactly as the real monolith (in-process) on the requests both can judge
without shared state: routing edges (HTML 404/405, OPTIONS, HEAD), bodies, validation, auth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from legacy_monolith.app import create_app as create_monolith
from legacy_monolith.migrate import upgrade as upgrade_monolith

pytestmark = pytest.mark.anyio

BIG = b"x" * (1024 * 1024 + 1)  # over the cap: 413 only where the body is read, as in Flask

REQUESTS = [
    ("GET", "/api/auth/unknown", {}, None),
    ("GET", "/api/auth/me/", {}, None),
    ("GET", "/api/auth/login", {}, None),
    ("DELETE", "/api/auth/me", {}, None),
    ("PUT", "/api/users/1", {}, None),
    ("OPTIONS", "/api/auth/me", {}, None),
    ("OPTIONS", "/api/auth/register", {}, None),
    ("OPTIONS", "/api/users/7", {}, None),
    ("OPTIONS", "/api/nowhere", {}, None),
    ("GET", "/api/users/abc", {}, None),
    ("GET", "/api/users/-1", {}, None),
    ("GET", "/api/users/1/", {}, None),
    ("GET", "/api/users/+1", {}, None),
    ("GET", "/api/users/1", {}, None),
    ("HEAD", "/api/auth/me", {}, None),
    ("GET", "/api/auth/me", {"Authorization": "Basic abc"}, None),
    ("GET", "/api/auth/me", {"Authorization": "Bearer"}, None),
    ("POST", "/api/auth/logout", {}, None),
    ("POST", "/api/auth/register", {}, b""),
    ("POST", "/api/auth/register", {}, b"{oops"),
    ("POST", "/api/auth/register", {}, b"[]"),
    ("POST", "/api/auth/register", {}, b'{"email": true}'),
    ("POST", "/api/auth/register", {}, b'{"email": "a@b.c", "password": "1234567"}'),
    ("POST", "/api/auth/register", {}, b'{"email": "a@b.c", "password": "12345678", "name": 1}'),
    ("POST", "/api/auth/login", {}, b'{"email": "x@y.z", "password": "whatever"}'),
    ("POST", "/api/auth/login", {}, b'{"email": 1}'),
    ("POST", "/api/auth/login", {"Content-Type": "text/plain"}, b'{"password": "x"}'),
    ("GET", "/openapi.json", {}, None),
    ("POST", "/api/auth/register", {}, BIG),
    ("POST", "/api/auth/logout", {}, BIG),
    ("GET", "/api/auth/me", {}, BIG),
    ("GET", "/api/nowhere", {}, BIG),
]


@pytest.fixture
def monolith(tmp_path: Path) -> Iterator[httpx.Client]:
    url = f"sqlite:///{tmp_path / 'monolith.db'}"
    upgrade_monolith(url)
    app = create_monolith({"DATABASE_URL": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://m.test") as http:
        yield http


def _allow(response: httpx.Response) -> set[str]:
    return {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}


@pytest.mark.parametrize(("method", "path", "headers", "content"), REQUESTS)
async def test_the_service_answers_as_the_monolith(
    client: httpx.AsyncClient,
    monolith: httpx.Client,
    method: str,
    path: str,
    headers: dict[str, str],
    content: bytes | None,
) -> None:
    expected = monolith.request(method, path, headers=headers, content=content)
    actual = await client.request(method, path, headers=headers, content=content)
    assert actual.status_code == expected.status_code
    assert actual.headers.get("content-type") == expected.headers.get("content-type")
    assert _allow(actual) == _allow(expected)
    if method == "HEAD":
        assert actual.content == expected.content == b""
        assert actual.headers["content-length"] == expected.headers["content-length"]
    elif expected.headers.get("content-type") == "application/json":
        assert actual.json() == expected.json()
    else:
        assert actual.content == expected.content
