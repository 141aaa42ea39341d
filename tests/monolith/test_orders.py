"""Orders: place (stock taken atomically), list, read, cancel (stock returned), and their events."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from .support import Api, assert_validation, bearer, error

pytestmark = pytest.mark.integration


@pytest.fixture
def shop(api: Api) -> dict[str, Any]:
    """An admin, two customers and three products (prices chosen to exercise rounding)."""
    admin = api.admin_token()
    return {
        "admin": admin,
        "alice": api.user_token("alice@example.com"),
        "bob": api.user_token("bob@example.com"),
        "fig": api.product(admin, sku="FIG", name="The Fig Tree", price="19.99", stock=10)["id"],
        "pen": api.product(admin, sku="PEN", name="Pen", price="0.35", stock=5)["id"],
        "mug": api.product(admin, sku="MUG", name="Mug", price="1", stock=1)["id"],
    }


def outbox_rows(api: Api) -> list[dict[str, Any]]:
    with api.engine.connect() as conn:
        payloads = conn.execute(sa.text("SELECT payload FROM outbox")).scalars()
        return [json.loads(payload) for payload in payloads]


def test_placing_an_order_returns_it_pending_with_copied_prices_and_takes_stock(
    api: Api, shop: dict[str, Any]
) -> None:
    response = api.order(shop["alice"], (shop["pen"], 3), (shop["fig"], 3))
    assert response.status_code == 201, response.text
    order = response.json()
    me = api.client.get("/api/auth/me", headers=bearer(shop["alice"])).json()
    assert set(order) == {"created_at", "id", "items", "status", "total", "user_id"}
    assert (order["status"], order["user_id"], order["total"]) == ("pending", me["id"], "61.02")
    assert order["items"] == [
        {"line_total": "1.05", "name": "Pen", "product_id": shop["pen"], "quantity": 3,
         "unit_price": "0.35"},
        {"line_total": "59.97", "name": "The Fig Tree", "product_id": shop["fig"], "quantity": 3,
         "unit_price": "19.99"},
    ]  # fmt: skip
    assert (api.stock_of(shop["pen"]), api.stock_of(shop["fig"])) == (2, 7)
    # Later price and name changes do not touch the order.
    api.client.patch(
        f"/api/products/{shop['fig']}",
        json={"price": "1.00", "name": "Renamed"},
        headers=bearer(shop["admin"]),
    )
    again = api.client.get(f"/api/orders/{order['id']}", headers=bearer(shop["alice"])).json()
    assert again == order


def test_an_order_writes_order_created_and_stock_changed_events(
    api: Api, shop: dict[str, Any]
) -> None:
    before = len(outbox_rows(api))
    order = api.order(shop["alice"], (shop["fig"], 2), (shop["mug"], 1)).json()
    events = outbox_rows(api)[before:]
    by_type = {e["type"]: e for e in events if e["type"] == "order.created"}
    assert by_type["order.created"]["data"] == order
    assert by_type["order.created"]["aggregate"] == "order"
    assert by_type["order.created"]["aggregate_id"] == str(order["id"])
    stock = sorted(
        (e["data"]["product_id"], e["data"]["stock"])
        for e in events
        if e["type"] == "stock.changed"
    )
    assert stock == sorted([(shop["fig"], 8), (shop["mug"], 0)])
    assert len(events) == 3


def test_a_short_order_is_a_conflict_that_changes_nothing(api: Api, shop: dict[str, Any]) -> None:
    before = outbox_rows(api)
    response = api.order(shop["alice"], (shop["fig"], 2), (999, 1), (shop["mug"], 2))
    assert response.status_code == 409
    assert error(response) == {
        "code": "insufficient_stock",
        "message": "Insufficient stock",
        "details": {
            "shortages": [
                {"available": 0, "product_id": 999, "requested": 1},
                {"available": 1, "product_id": shop["mug"], "requested": 2},
            ]
        },
    }
    assert (api.stock_of(shop["fig"]), api.stock_of(shop["mug"])) == (10, 1)
    assert outbox_rows(api) == before
    listing = api.client.get("/api/orders", headers=bearer(shop["alice"])).json()
    assert listing["total"] == 0


def test_an_order_for_exactly_the_remaining_stock_succeeds(api: Api, shop: dict[str, Any]) -> None:
    assert api.order(shop["alice"], (shop["mug"], 1)).status_code == 201
    assert api.stock_of(shop["mug"]) == 0
    assert api.order(shop["bob"], (shop["mug"], 1)).status_code == 409


def test_placing_an_order_needs_a_token_before_the_body(api: Api) -> None:
    assert error(api.client.post("/api/orders", content=b"{"))["code"] == "unauthorized"
    bad = api.client.post("/api/orders", content=b"{", headers=bearer("nope"))
    assert error(bad)["code"] == "invalid_token"


@pytest.mark.parametrize(
    ("items", "field", "message"),
    [
        (None, "items", "items is required"),
        ({}, "items", "items must be a list"),
        ([], "items", "items must not be empty"),
        ([{"product_id": n, "quantity": 1} for n in range(1, 52)], "items",
         "items must have at most 50 entries"),
        (["x"], "items[0]", "items[0] must be an object"),
        ([{"product_id": 1, "quantity": True}], "items[0].quantity",
         "items[0].quantity must be an integer"),
        ([{"product_id": 1, "quantity": -2}], "items[0].quantity",
         "items[0].quantity must be between 1 and 1000"),
        ([{"product_id": -1, "quantity": 1}], "items[0].product_id",
         "items[0].product_id must be between 1 and 9223372036854775807"),
        ([{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}],
         "items[1].product_id", "items[1].product_id is a duplicate"),
        # Every item's shape is checked before duplicates are looked for.
        ([{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 1},
          {"product_id": 2, "quantity": 0}], "items[2].quantity",
         "items[2].quantity must be between 1 and 1000"),
    ],
)  # fmt: skip
def test_bad_order_items_report_the_first_invalid_field(
    api: Api, shop: dict[str, Any], items: Any, field: str, message: str
) -> None:
    response = api.client.post("/api/orders", json={"items": items}, headers=bearer(shop["alice"]))
    assert_validation(response, field, message)


def test_orders_list_only_the_callers_own_newest_first_even_for_admins(
    api: Api, shop: dict[str, Any]
) -> None:
    first = api.order(shop["alice"], (shop["pen"], 1)).json()
    api.order(shop["bob"], (shop["pen"], 1))
    second = api.order(shop["alice"], (shop["fig"], 1)).json()
    mine = api.client.get("/api/orders", headers=bearer(shop["alice"]))
    assert mine.json() == {"items": [second, first], "page": 1, "per_page": 20, "total": 2}
    page2 = api.client.get(
        "/api/orders", params={"page": 2, "per_page": 1}, headers=bearer(shop["alice"])
    )
    assert page2.json()["items"] == [first]
    admin = api.client.get("/api/orders", headers=bearer(shop["admin"])).json()
    assert admin["total"] == 0


def test_orders_list_validates_paging_and_needs_auth(api: Api, shop: dict[str, Any]) -> None:
    assert error(api.client.get("/api/orders"))["code"] == "unauthorized"
    response = api.client.get(
        "/api/orders", params={"per_page": "1000"}, headers=bearer(shop["alice"])
    )
    assert_validation(response, "per_page", "per_page must be between 1 and 100")


def test_someone_elses_order_is_not_found_but_an_admin_sees_it(
    api: Api, shop: dict[str, Any]
) -> None:
    order = api.order(shop["alice"], (shop["pen"], 1)).json()
    path = f"/api/orders/{order['id']}"
    response = api.client.get(path, headers=bearer(shop["bob"]))
    assert response.status_code == 404
    assert error(response) == {"code": "not_found", "message": f"Order {order['id']} not found"}
    assert api.client.get(path, headers=bearer(shop["admin"])).json() == order
    for ident in (999, 2**63, 10**25):
        missing = api.client.get(f"/api/orders/{ident}", headers=bearer(shop["alice"]))
        assert error(missing)["message"] == f"Order {ident} not found"
    assert error(api.client.get(path))["code"] == "unauthorized"


def test_cancelling_returns_the_stock_once_and_then_is_an_invalid_state(
    api: Api, shop: dict[str, Any]
) -> None:
    order = api.order(shop["alice"], (shop["fig"], 4), (shop["mug"], 1)).json()
    before = len(outbox_rows(api))
    path = f"/api/orders/{order['id']}/cancel"
    response = api.client.post(path, headers=bearer(shop["alice"]))
    assert response.status_code == 200
    assert response.json() == {**order, "status": "cancelled"}
    assert (api.stock_of(shop["fig"]), api.stock_of(shop["mug"])) == (10, 1)
    events = outbox_rows(api)[before:]
    assert sorted(e["type"] for e in events) == [
        "order.cancelled",
        "stock.changed",
        "stock.changed",
    ]
    again = api.client.post(path, headers=bearer(shop["alice"]))
    assert again.status_code == 409
    assert error(again) == {
        "code": "invalid_state",
        "message": f"Order {order['id']} is not pending",
    }
    assert api.stock_of(shop["fig"]) == 10
    assert len(outbox_rows(api)) == before + 3


def test_cancel_is_for_the_owner_or_an_admin_only(api: Api, shop: dict[str, Any]) -> None:
    order = api.order(shop["alice"], (shop["pen"], 2)).json()
    path = f"/api/orders/{order['id']}/cancel"
    assert error(api.client.post(path))["code"] == "unauthorized"
    stranger = api.client.post(path, headers=bearer(shop["bob"]))
    assert error(stranger) == {"code": "not_found", "message": f"Order {order['id']} not found"}
    assert api.stock_of(shop["pen"]) == 3
    assert api.client.post(path, headers=bearer(shop["admin"])).json()["status"] == "cancelled"
    assert (
        api.client.post(f"/api/orders/{2**64}/cancel", headers=bearer(shop["admin"])).status_code
        == 404
    )


def test_a_failure_after_the_stock_is_taken_rolls_back_order_stock_and_events(
    api: Api, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from legacy_monolith import outbox

    def broken_record(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the outbox write failed")

    before = outbox_rows(api)
    monkeypatch.setattr(outbox, "record", broken_record)
    response = api.order(shop["alice"], (shop["fig"], 1))
    assert response.status_code == 500
    assert error(response) == {"code": "internal_error", "message": "Internal server error"}
    assert api.stock_of(shop["fig"]) == 10
    monkeypatch.undo()
    assert outbox_rows(api) == before
    assert api.client.get("/api/orders", headers=bearer(shop["alice"])).json()["total"] == 0


def test_big_orders_total_beyond_twelve_digits(api: Api, shop: dict[str, Any]) -> None:
    admin = shop["admin"]
    ids = [
        api.product(admin, sku=f"GOLD-{n}", price="9999999.99", stock=1000)["id"] for n in range(50)
    ]
    response = api.order(shop["alice"], *[(i, 1000) for i in ids])
    assert response.status_code == 201, response.text
    assert response.json()["total"] == "499999999500.00"
    assert response.json()["items"][0]["line_total"] == "9999999990.00"
