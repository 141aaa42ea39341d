"""POST /api/stock/verify: a read-only answer to "could these be ordered now?"."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .support import Api, assert_validation

pytestmark = pytest.mark.integration

MAX_ID = 9223372036854775807


def verify(client: httpx.Client, items: Any) -> httpx.Response:
    return client.post("/api/stock/verify", json={"items": items})


def test_enough_stock_is_ok_with_no_shortages(api: Api) -> None:
    admin = api.admin_token()
    product = api.product(admin, stock=3)
    response = verify(api.client, [{"product_id": product["id"], "quantity": 3}])
    assert response.status_code == 200
    assert response.json() == {"ok": True, "shortages": []}
    assert api.stock_of(product["id"]) == 3


def test_repeated_products_are_summed_and_shortages_keep_first_appearance_order(
    api: Api,
) -> None:
    admin = api.admin_token()
    a = api.product(admin, sku="A", stock=5)["id"]
    b = api.product(admin, sku="B", stock=1)["id"]
    items = [
        {"product_id": 999, "quantity": 1},
        {"product_id": b, "quantity": 1},
        {"product_id": a, "quantity": 3},
        {"product_id": b, "quantity": 1},
        {"product_id": a, "quantity": 3},
    ]
    response = verify(api.client, items)
    assert response.json() == {
        "ok": False,
        "shortages": [
            {"available": 0, "product_id": 999, "requested": 1},
            {"available": 1, "product_id": b, "requested": 2},
            {"available": 5, "product_id": a, "requested": 6},
        ],
    }


def test_the_largest_product_id_is_valid_and_unknown(client: httpx.Client) -> None:
    response = verify(client, [{"product_id": MAX_ID, "quantity": 1}])
    assert response.json()["shortages"] == [{"available": 0, "product_id": MAX_ID, "requested": 1}]


@pytest.mark.parametrize(
    ("items", "field", "message"),
    [
        (None, "items", "items is required"),
        ({"product_id": 1}, "items", "items must be a list"),
        ("1,2", "items", "items must be a list"),
        ([], "items", "items must not be empty"),
        ([{"product_id": 1, "quantity": 1}] * 101, "items", "items must have at most 100 entries"),
        ([5], "items[0]", "items[0] must be an object"),
        ([{"quantity": 1}], "items[0].product_id", "items[0].product_id is required"),
        ([{"product_id": True, "quantity": 1}], "items[0].product_id",
         "items[0].product_id must be an integer"),
        ([{"product_id": "1", "quantity": 1}], "items[0].product_id",
         "items[0].product_id must be an integer"),
        ([{"product_id": 0, "quantity": 1}], "items[0].product_id",
         "items[0].product_id must be between 1 and 9223372036854775807"),
        ([{"product_id": MAX_ID + 1, "quantity": 1}], "items[0].product_id",
         "items[0].product_id must be between 1 and 9223372036854775807"),
        ([{"product_id": 1}], "items[0].quantity", "items[0].quantity is required"),
        ([{"product_id": 1, "quantity": 1.5}], "items[0].quantity",
         "items[0].quantity must be an integer"),
        ([{"product_id": 1, "quantity": -1}], "items[0].quantity",
         "items[0].quantity must be between 1 and 1000"),
        ([{"product_id": 1, "quantity": 1001}], "items[0].quantity",
         "items[0].quantity must be between 1 and 1000"),
        ([{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 0}],
         "items[1].quantity", "items[1].quantity must be between 1 and 1000"),
    ],
)  # fmt: skip
def test_bad_items_report_the_first_invalid_field(
    client: httpx.Client, items: Any, field: str, message: str
) -> None:
    assert_validation(verify(client, items), field, message)


def test_verify_allows_100_entries(client: httpx.Client) -> None:
    items = [{"product_id": 1, "quantity": 1}] * 100
    assert verify(client, items).json()["shortages"] == [
        {"available": 0, "product_id": 1, "requested": 100}
    ]
