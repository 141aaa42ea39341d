"""Contract smoke test: the same requests to the monolith and to the services, on the same data.

Both sides start from one seed (the services' databases are backfilled from the monolith's), so
ids, names, prices, stock and timestamps agree, and every answer must match: status, content type
and the JSON body compared structurally. The exceptions, each said where it is made:

* `token` values: each side issues its own random token at login.
* `created_at` of an order created during the test: each side stamps its own clock (they may be
  a second apart). Its `id` must still match: both sides continue the same sequence.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import AUTH, MONOLITH, ORDERS, PRODUCTS, Stack, bearer

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def service_for(path: str) -> str:
    """Where the router would send `path` once every endpoint is migrated."""
    if path.startswith(("/api/auth", "/api/users")):
        return AUTH
    if path.startswith("/api/orders"):
        return ORDERS
    return PRODUCTS


class Both:
    """Sends each request to both sides and asserts the answers are the same."""

    def __init__(self, stack: Stack) -> None:
        self.client = stack.client
        self.tokens: dict[str, tuple[str, str]] = {}  # name -> (monolith token, service token)

    async def send(
        self,
        method: str,
        path: str,
        *,
        as_user: str | None = None,
        json: Any = None,
        content: bytes | None = None,
        fresh_created_at: bool = False,
    ) -> tuple[httpx.Response, httpx.Response]:
        legacy_headers: dict[str, str] = {}
        service_headers: dict[str, str] = {}
        if as_user is not None:
            legacy_token, service_token = self.tokens[as_user]
            legacy_headers, service_headers = bearer(legacy_token), bearer(service_token)
        kwargs: dict[str, Any] = {"json": json} if content is None else {"content": content}
        legacy = await self.client.request(
            method, MONOLITH + path, headers=legacy_headers, **kwargs
        )
        service = await self.client.request(
            method, service_for(path) + path, headers=service_headers, **kwargs
        )
        where = f"{method} {path}"
        assert service.status_code == legacy.status_code, (
            f"{where}: {legacy.text} vs {service.text}"
        )
        legacy_type = legacy.headers.get("content-type", "")
        assert service.headers.get("content-type", "") == legacy_type, where
        if legacy_type == "application/json" and method != "HEAD":
            expected, actual = legacy.json(), service.json()
            if fresh_created_at:  # made on each side by its own clock
                expected, actual = _without_created_at(expected), _without_created_at(actual)
            assert actual == expected, where
        else:
            assert service.content == legacy.content, where
        return legacy, service

    async def login(self, name: str, email: str, password: str = "password123") -> None:
        body = {"email": email, "password": password}
        legacy, service = await self.send_login(body)
        assert legacy.status_code == 200, legacy.text
        self.tokens[name] = (legacy.json()["token"], service.json()["token"])

    async def send_login(self, body: dict[str, str]) -> tuple[httpx.Response, httpx.Response]:
        legacy = await self.client.post(f"{MONOLITH}/api/auth/login", json=body)
        service = await self.client.post(f"{AUTH}/api/auth/login", json=body)
        assert service.status_code == legacy.status_code, service.text
        strip = {"token": "<each side's own>"}
        left = {**legacy.json(), **strip} if legacy.status_code == 200 else legacy.json()
        right = {**service.json(), **strip} if service.status_code == 200 else service.json()
        assert right == left, "POST /api/auth/login"
        return legacy, service


def _without_created_at(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _without_created_at(v) for k, v in body.items() if k != "created_at"}
    if isinstance(body, list):
        return [_without_created_at(v) for v in body]
    return body


async def test_the_services_answer_exactly_as_the_monolith(stack: Stack) -> None:
    both = Both(stack)
    await both.login("alice", "alice@example.com")
    await both.login("bob", "bob@example.com")
    await both.login("admin", "admin@example.com", "admin-password")
    await both.send_login({"email": "alice@example.com", "password": "wrong-password"})
    await both.send_login({"email": "nobody@example.com", "password": "password123"})
    await both.send_login({"email": "alice@example.com"})

    # Who am I, and users.
    await both.send("GET", "/api/auth/me", as_user="alice")
    await both.send("GET", "/api/auth/me")
    await both.send("GET", "/api/users/2", as_user="alice")
    await both.send("GET", "/api/users/3", as_user="alice")
    await both.send("GET", "/api/users/3", as_user="admin")
    await both.send("GET", "/api/users/999", as_user="admin")

    # The catalogue, with filters, sorting, paging and their errors.
    for query in (
        "",
        "?category=books&sort=-price&per_page=5",
        "?q=FIG",
        "?q=fig&category=garden",
        "?page=2&per_page=7&sort=name",
        "?sort=-created_at&per_page=3",
        "?page=99",
        "?sort=bogus",
        "?page=0",
        "?per_page=abc",
    ):
        await both.send("GET", f"/api/products{query}")
    await both.send("GET", "/api/products/1")
    await both.send("GET", "/api/products/999")
    await both.send("GET", "/api/products/abc")
    await both.send(
        "POST",
        "/api/stock/verify",
        json={"items": [{"product_id": 1, "quantity": 3}, {"product_id": 999, "quantity": 1}]},
    )

    # Orders: reading what the seed made.
    await both.send("GET", "/api/orders", as_user="alice")
    await both.send("GET", "/api/orders?per_page=1&page=2", as_user="alice")
    await both.send("GET", "/api/orders/1", as_user="alice")
    await both.send("GET", "/api/orders/3", as_user="alice")  # bob's: not visible
    await both.send("GET", "/api/orders/3", as_user="admin")
    await both.send("GET", "/api/orders/999", as_user="alice")
    await both.send("GET", "/api/orders/abc", as_user="alice")
    await both.send("GET", "/api/orders")

    # Orders: placing one, and every way of not placing one.
    order = {"items": [{"product_id": 1, "quantity": 2}, {"product_id": 21, "quantity": 1}]}
    placed, _ = await both.send(
        "POST", "/api/orders", as_user="alice", json=order, fresh_created_at=True
    )
    assert placed.status_code == 201
    new_id = placed.json()["id"]
    await both.send("GET", "/api/products/1")  # the same stock left on both sides
    await both.send("GET", "/api/products/21")
    too_many = {"items": [{"product_id": 2, "quantity": 1000}, {"product_id": 999, "quantity": 1}]}
    await both.send("POST", "/api/orders", as_user="alice", json=too_many)
    await both.send("POST", "/api/orders", json=order)
    await both.send("POST", "/api/orders", as_user="alice", content=b"not json")
    await both.send("POST", "/api/orders", as_user="alice", json={"items": []})
    duplicate = {"items": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 1}]}
    await both.send("POST", "/api/orders", as_user="alice", json=duplicate)
    await both.send("POST", "/api/orders", as_user="alice", json={"items": [{"quantity": 1}]})

    await both.send("GET", f"/api/orders/{new_id}", as_user="alice", fresh_created_at=True)
    await both.send("GET", "/api/orders", as_user="alice", fresh_created_at=True)

    # Cancelling: the new order, then again, a seeded one, someone else's.
    await both.send("POST", f"/api/orders/{new_id}/cancel", as_user="alice", fresh_created_at=True)
    await both.send("POST", f"/api/orders/{new_id}/cancel", as_user="alice")
    await both.send("POST", "/api/orders/1/cancel", as_user="alice")
    await both.send("POST", "/api/orders/2/cancel", as_user="alice")  # cancelled by the seed
    await both.send("POST", "/api/orders/3/cancel", as_user="alice")  # bob's
    for product_id in (1, 21, 2, 13):
        await both.send("GET", f"/api/products/{product_id}")

    # Flask's routing answers, and the body limit.
    await both.send("DELETE", "/api/orders", as_user="alice")
    await both.send("POST", "/api/orders/1", as_user="alice")
    await both.send("OPTIONS", "/api/orders/1/cancel")
    await both.send("HEAD", "/api/orders", as_user="alice")
    await both.send("GET", "/api/orders/", as_user="alice")
    await both.send("POST", "/api/orders", as_user="alice", content=b" " * (1024 * 1024 + 1))
    await both.send("POST", "/api/orders", content=b" " * (1024 * 1024 + 1))

    # Logging out ends the token on both sides.
    await both.send("POST", "/api/auth/logout", as_user="bob")
    await both.send("GET", "/api/auth/me", as_user="bob")
