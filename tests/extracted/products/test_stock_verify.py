"""POST /api/stock/verify: could these items be ordered right now?"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import create_product

pytestmark = pytest.mark.anyio


async def test_enough_stock_is_ok_with_no_shortages(client: httpx.AsyncClient) -> None:
    product = await create_product(client, stock=5)
    response = await client.post(
        "/api/stock/verify", json={"items": [{"product_id": product["id"], "quantity": 5}]}
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True, "shortages": []}


async def test_repeats_are_summed_and_shortages_follow_first_appearance(
    client: httpx.AsyncClient,
) -> None:
    a = await create_product(client, sku="A", stock=3)
    b = await create_product(client, sku="B", stock=1)
    items = [
        {"product_id": 999, "quantity": 1},
        {"product_id": b["id"], "quantity": 1},
        {"product_id": a["id"], "quantity": 2},
        {"product_id": a["id"], "quantity": 2},
    ]
    response = await client.post("/api/stock/verify", json={"items": items})
    assert response.json() == {
        "ok": False,
        "shortages": [
            {"available": 0, "product_id": 999, "requested": 1},
            {"available": 3, "product_id": a["id"], "requested": 4},
        ],
    }


async def test_a_product_id_at_the_bound_is_an_unknown_product(client: httpx.AsyncClient) -> None:
    items = [{"product_id": 2**63 - 1, "quantity": 1}]
    response = await client.post("/api/stock/verify", json={"items": items})
    assert response.json()["shortages"] == [
        {"available": 0, "product_id": 2**63 - 1, "requested": 1}
    ]


ONE = {"product_id": 1, "quantity": 1}
ID_RANGE = "must be between 1 and 9223372036854775807"
QTY_RANGE = "must be between 1 and 1000"


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({}, "items", "is required"),
        ({"items": None}, "items", "is required"),
        ({"items": {}}, "items", "must be a list"),
        ({"items": []}, "items", "must not be empty"),
        ({"items": [ONE] * 101}, "items", "must have at most 100 entries"),
        ({"items": [5]}, "items[0]", "must be an object"),
        ({"items": [{"quantity": 1}]}, "items[0].product_id", "is required"),
        ({"items": [{**ONE, "product_id": True}]}, "items[0].product_id", "must be an integer"),
        ({"items": [{**ONE, "product_id": "1"}]}, "items[0].product_id", "must be an integer"),
        ({"items": [{**ONE, "product_id": 0}]}, "items[0].product_id", ID_RANGE),
        ({"items": [{**ONE, "product_id": 2**63}]}, "items[0].product_id", ID_RANGE),
        ({"items": [{"product_id": 1}]}, "items[0].quantity", "is required"),
        ({"items": [{**ONE, "quantity": 0}]}, "items[0].quantity", QTY_RANGE),
        ({"items": [{**ONE, "quantity": 1001}]}, "items[0].quantity", QTY_RANGE),
        ({"items": [ONE, {**ONE, "quantity": 1.0}]}, "items[1].quantity", "must be an integer"),
    ],
)
async def test_invalid_items_are_422(
    client: httpx.AsyncClient, body: dict[str, Any], field: str, problem: str
) -> None:
    response = await client.post("/api/stock/verify", json=body)
    assert response.status_code == 422
    message = f"{field} {problem}"
    assert response.json() == {
        "error": {"code": "validation_error", "details": {"field": field}, "message": message}
    }


async def test_a_malformed_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/stock/verify", content=b"[]")
    assert response.status_code == 400
