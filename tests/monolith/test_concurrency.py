"""Two customers racing for the last unit: exactly one order wins, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from flask import Flask

from .support import Api, bearer

pytestmark = pytest.mark.integration

ROUNDS = 3


def race(app: Flask, requests: list[tuple[str, dict[str, Any]]]) -> list[int]:
    """Send each (token, body) from its own thread and client, released at the same instant."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)

    def place(index: int, token: str, body: dict[str, Any]) -> None:
        with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://m") as client:
            barrier.wait()
            statuses[index] = client.post(
                "/api/orders", json=body, headers=bearer(token)
            ).status_code

    threads = [
        threading.Thread(target=place, args=(i, token, body))
        for i, (token, body) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_two_orders_for_the_last_unit_give_one_201_and_one_409(app: Flask, api: Api) -> None:
    admin = api.admin_token()
    alice, bob = api.user_token("alice@example.com"), api.user_token("bob@example.com")
    for round_ in range(ROUNDS):
        last = api.product(admin, sku=f"LAST-{round_}", stock=1)["id"]
        body = {"items": [{"product_id": last, "quantity": 1}]}
        statuses = race(app, [(alice, body), (bob, body)])
        assert sorted(statuses) == [201, 409]
        assert api.stock_of(last) == 0


def test_orders_naming_shared_products_in_opposite_orders_do_not_deadlock(
    app: Flask, api: Api
) -> None:
    admin = api.admin_token()
    alice, bob = api.user_token("alice@example.com"), api.user_token("bob@example.com")
    a = api.product(admin, sku="A", stock=1)["id"]
    b = api.product(admin, sku="B", stock=1)["id"]
    forward = {"items": [{"product_id": a, "quantity": 1}, {"product_id": b, "quantity": 1}]}
    backward = {"items": [{"product_id": b, "quantity": 1}, {"product_id": a, "quantity": 1}]}
    statuses = race(app, [(alice, forward), (bob, backward)])
    assert sorted(statuses) == [201, 409]
    assert (api.stock_of(a), api.stock_of(b)) == (0, 0)


def test_two_concurrent_cancels_return_the_stock_once(app: Flask, api: Api) -> None:
    admin = api.admin_token()
    alice = api.user_token("alice@example.com")
    product = api.product(admin, stock=5)["id"]
    order = api.order(alice, (product, 2)).json()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def cancel(token: str) -> None:
        with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://m") as client:
            barrier.wait()
            path = f"/api/orders/{order['id']}/cancel"
            statuses.append(client.post(path, headers=bearer(token)).status_code)

    threads = [threading.Thread(target=cancel, args=(t,)) for t in (alice, admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 409]
    assert api.stock_of(product) == 5
