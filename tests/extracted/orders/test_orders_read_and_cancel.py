"""Listing, reading and cancelling orders: visibility, paging, state, and the stock going back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from extracted.common.events import InMemoryPublisher

from .conftest import count
from .fakes import FakeProducts, auth_header

pytestmark = pytest.mark.anyio

ALICE, BOB, ADMIN = (auth_header(t) for t in ("alice-token", "bob-token", "admin-token"))


async def place(client: httpx.AsyncClient, headers: dict[str, str], product_id: int = 1) -> Any:
    body = {"items": [{"product_id": product_id, "quantity": 1}]}
    response = await client.post("/api/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_list_holds_only_the_callers_orders_newest_first(
    client: httpx.AsyncClient,
) -> None:
    first = await place(client, ALICE)
    await place(client, BOB)
    second = await place(client, ALICE, product_id=2)
    await place(client, ADMIN)

    response = await client.get("/api/orders", headers=ALICE)
    assert response.status_code == 200
    assert response.json() == {"items": [second, first], "page": 1, "per_page": 20, "total": 2}
    admin = (await client.get("/api/orders", headers=ADMIN)).json()
    assert admin["total"] == 1  # admins too see only their own here


async def test_paging_slices_and_a_page_past_the_end_is_empty(client: httpx.AsyncClient) -> None:
    orders = [await place(client, ALICE) for _ in range(3)]
    page2 = (await client.get("/api/orders?page=2&per_page=2", headers=ALICE)).json()
    assert page2 == {"items": [orders[0]], "page": 2, "per_page": 2, "total": 3}
    past = (await client.get("/api/orders?page=9&per_page=2", headers=ALICE)).json()
    assert past == {"items": [], "page": 9, "per_page": 2, "total": 3}
    # A repeated parameter: the first one counts, as with Werkzeug's args.get.
    first = (await client.get("/api/orders?per_page=1&per_page=abc", headers=ALICE)).json()
    assert first["per_page"] == 1


async def test_reading_needs_a_token(client: httpx.AsyncClient) -> None:
    for path in ("/api/orders", "/api/orders/1"):
        response = await client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


async def test_an_order_is_visible_to_its_owner_and_admins_only(
    client: httpx.AsyncClient,
) -> None:
    order = await place(client, ALICE)
    path = f"/api/orders/{order['id']}"
    assert (await client.get(path, headers=ALICE)).json() == order
    assert (await client.get(path, headers=ADMIN)).json() == order
    other = await client.get(path, headers=BOB)
    assert other.status_code == 404
    assert other.json() == {
        "error": {"code": "not_found", "message": f"Order {order['id']} not found"}
    }


@pytest.mark.parametrize("ident", ["999", "0", str(2**63), "99999999999999999999999"])
async def test_unknown_or_unstorable_ids_are_the_json_404(
    client: httpx.AsyncClient, ident: str
) -> None:
    for method, path in (("GET", f"/api/orders/{ident}"), ("POST", f"/api/orders/{ident}/cancel")):
        response = await client.request(method, path, headers=ALICE)
        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "not_found", "message": f"Order {int(ident)} not found"}
        }


@pytest.mark.parametrize("path", ["/api/orders/abc", "/api/orders/-1", "/api/orders/"])
async def test_ids_the_route_does_not_match_are_flasks_html_404(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, headers=ALICE)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"


async def test_cancel_releases_the_reservation_and_publishes(
    client: httpx.AsyncClient,
    products: FakeProducts,
    publisher: InMemoryPublisher,
    db: sa.Engine,
) -> None:
    order = await place(client, ALICE)
    assert products.stock[1] == 9
    response = await client.post(f"/api/orders/{order['id']}/cancel", headers=ALICE)
    assert response.status_code == 200
    cancelled = response.json()
    assert cancelled == {**order, "status": "cancelled"}
    assert products.stock[1] == 10
    assert products.steps("release") == products.steps("reserve")
    assert [e.type for e in publisher.published] == ["order.created", "order.cancelled"]
    assert publisher.published[-1].data == cancelled
    assert count(db, "reservations", "WHERE state = 'released'") == 1

    again = await client.post(f"/api/orders/{order['id']}/cancel", headers=ALICE)
    assert again.status_code == 409
    assert again.json() == {
        "error": {"code": "invalid_state", "message": f"Order {order['id']} is not pending"}
    }
    assert products.stock[1] == 10  # never given back twice


async def test_only_the_owner_or_an_admin_may_cancel(
    client: httpx.AsyncClient, products: FakeProducts
) -> None:
    order = await place(client, ALICE)
    path = f"/api/orders/{order['id']}/cancel"
    assert (await client.post(path, headers=BOB)).status_code == 404
    assert products.stock[1] == 9
    response = await client.post(path, headers=ADMIN)
    assert response.status_code == 200
    assert response.json()["user_id"] == 2
    assert products.stock[1] == 10


async def test_a_cancel_while_products_is_down_stands_and_the_release_is_queued(
    client: httpx.AsyncClient, products: FakeProducts, db: sa.Engine
) -> None:
    order = await place(client, ALICE)
    products.routes["release"].mock(side_effect=httpx.ConnectError("refused"))
    response = await client.post(f"/api/orders/{order['id']}/cancel", headers=ALICE)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert products.stock[1] == 9  # not back yet
    assert count(db, "reservations", "WHERE state = 'releasing'") == 1

    products.routes["release"].mock(side_effect=products.release)
    await place(client, BOB, product_id=2)  # the next order request retries the release
    assert products.stock[1] == 10
    assert count(db, "reservations", "WHERE state = 'releasing'") == 0


async def test_a_dry_run_cancel_changes_nothing_anywhere(
    client: httpx.AsyncClient, products: FakeProducts, publisher: InMemoryPublisher
) -> None:
    order = await place(client, ALICE)
    response = await client.post(
        f"/api/orders/{order['id']}/cancel", headers={**ALICE, "X-Strangler-Shadow": "1"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert (await client.get(f"/api/orders/{order['id']}", headers=ALICE)).json() == order
    assert products.steps("release") == []
    assert [e.type for e in publisher.published] == ["order.created"]


async def test_wrong_methods_and_options_answer_as_flask(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/orders")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    options = await client.options("/api/orders/1/cancel")
    assert options.status_code == 200
    assert set(options.headers["allow"].split(", ")) == {"OPTIONS", "POST"}
