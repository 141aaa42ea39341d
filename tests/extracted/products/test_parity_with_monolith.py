"""products_service answers exactly as the real monolith (in-process) on the requests both can judge
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
    ("GET", "/api/products/", {}, None),
    ("GET", "/api/products/abc", {}, None),
    ("GET", "/api/products/-1", {}, None),
    ("GET", "/api/products/1.5", {}, None),
    ("GET", "/api/products/99999999999999999999", {}, None),
    ("GET", "/api/products/0", {}, None),
    ("GET", "/api/products/7", {}, None),
    ("GET", "/api/stock/verify", {}, None),
    ("DELETE", "/api/products", {}, None),
    ("PUT", "/api/products/3", {}, None),
    ("OPTIONS", "/api/products", {}, None),
    ("OPTIONS", "/api/products/3", {}, None),
    ("OPTIONS", "/api/stock/verify", {}, None),
    ("HEAD", "/api/products", {}, None),
    ("HEAD", "/api/products/3", {}, None),
    ("GET", "/api/products", {}, None),
    ("GET", "/api/products?page=0", {}, None),
    ("GET", "/api/products?page=%201", {}, None),
    ("GET", "/api/products?per_page=101&page=2", {}, None),
    ("GET", "/api/products?page=-0", {}, None),
    ("GET", "/api/products?page=1&page=abc", {}, None),
    ("GET", "/api/products?page=abc&page=1", {}, None),
    ("GET", "/api/products?page", {}, None),
    ("GET", "/api/products?per_page=%EF%BC%95", {}, None),
    ("GET", "/api/products?sort=bogus", {}, None),
    ("GET", "/api/products?q=" + "x" * 101, {}, None),
    ("GET", "/api/products?page=2&per_page=5&q=a&category=b&sort=-price", {}, None),
    ("POST", "/api/products", {}, b"{"),
    ("POST", "/api/products", {"Authorization": "Token x"}, b"{}"),
    ("PATCH", "/api/products/1", {}, b"{}"),
    ("POST", "/api/stock/verify", {}, b""),
    ("POST", "/api/stock/verify", {}, b'{"items": "x"}'),
    ("POST", "/api/stock/verify", {}, b'{"items": [{"product_id": 1, "quantity": true}]}'),
    ("POST", "/api/stock/verify", {}, b'{"items": [{"product_id": 5, "quantity": 2}]}'),
    ("POST", "/api/stock/verify", {"Content-Type": "text/plain"}, b'{"items": [{}]}'),
    ("GET", "/openapi.json", {}, None),
    ("POST", "/api/stock/verify", {}, BIG),
    ("POST", "/api/products", {}, BIG),
    ("GET", "/api/products", {}, BIG),
    ("DELETE", "/api/products", {}, BIG),
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
