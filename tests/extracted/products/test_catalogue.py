"""Products: list (paging, filters, sort), read, create and patch, with the contract's answers."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from extracted.common.events import InMemoryPublisher

from .helpers import ADMIN, USER, create_product, product_body

pytestmark = pytest.mark.anyio

HTTP_DATE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")


def err(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["details"] = {"field": field}
    return {"error": error}


async def test_create_returns_the_product_with_money_and_http_dates(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    product = await create_product(client, price="5", name="  Fig  ")
    assert product["price"] == "5.00"
    assert product["name"] == "Fig"
    assert set(product) == {
        "category", "created_at", "description", "id", "name", "price", "sku", "stock",
        "updated_at",
    }  # fmt: skip
    assert HTTP_DATE.match(product["created_at"]) and HTTP_DATE.match(product["updated_at"])
    [event] = publisher.published
    assert (event.type, event.aggregate, event.aggregate_id) == (
        "stock.changed",
        "product",
        str(product["id"]),
    )
    assert event.data == {"product_id": product["id"], "stock": 12}


async def test_description_is_optional_and_defaults_to_empty(client: httpx.AsyncClient) -> None:
    body = product_body()
    del body["description"]
    response = await client.post("/api/products", json=body, headers=ADMIN)
    assert response.json()["description"] == ""


async def test_get_returns_the_product_and_unknown_or_huge_ids_are_json_404(
    client: httpx.AsyncClient,
) -> None:
    product = await create_product(client)
    assert (await client.get(f"/api/products/{product['id']}")).json() == product
    for ident in ("999", "0", "9223372036854775808", "9" * 30):
        response = await client.get(f"/api/products/{ident}")
        assert response.status_code == 404
        assert response.json() == err("not_found", f"Product {int(ident)} not found")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sku": None}, "sku", "sku is required"),
        ({"sku": 5}, "sku", "sku must be a string"),
        ({"sku": "   "}, "sku", "sku must not be empty"),
        ({"sku": "s" * 65}, "sku", "sku must be at most 64 characters"),
        ({"name": None}, "name", "name is required"),
        ({"name": "n" * 201}, "name", "name must be at most 200 characters"),
        ({"description": 3}, "description", "description must be a string"),
        ({"description": "d" * 2001}, "description", "description must be at most 2000 characters"),
        ({"category": ""}, "category", "category must not be empty"),
        ({"category": "c" * 51}, "category", "category must be at most 50 characters"),
        ({"price": None}, "price", "price is required"),
        ({"price": 19.99}, "price", "price must be a string"),
        ({"price": "19.999"}, "price", 'price must be a string like "19.99"'),
        ({"price": "-1"}, "price", 'price must be a string like "19.99"'),
        ({"price": "12345678"}, "price", 'price must be a string like "19.99"'),
        ({"price": "١٩.٩٩"}, "price", 'price must be a string like "19.99"'),
        ({"stock": None}, "stock", "stock is required"),
        ({"stock": True}, "stock", "stock must be an integer"),
        ({"stock": "5"}, "stock", "stock must be an integer"),
        ({"stock": 1.5}, "stock", "stock must be an integer"),
        ({"stock": -1}, "stock", "stock must be between 0 and 1000000"),
        ({"stock": 1_000_001}, "stock", "stock must be between 0 and 1000000"),
        ({"sku": None, "price": 1}, "sku", "sku is required"),
    ],
)
async def test_create_reports_the_first_invalid_field(
    client: httpx.AsyncClient, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = await client.post("/api/products", json=product_body(**overrides), headers=ADMIN)
    assert response.status_code == 422
    assert response.json() == err("validation_error", message, field)


async def test_a_taken_sku_is_409(client: httpx.AsyncClient) -> None:
    await create_product(client)
    response = await client.post("/api/products", json=product_body(), headers=ADMIN)
    assert response.status_code == 409
    assert response.json() == err("sku_taken", "SKU is already in use")


async def test_auth_is_checked_before_the_body(client: httpx.AsyncClient) -> None:
    no_token = await client.post("/api/products", content=b"{broken")
    assert no_token.status_code == 401
    assert no_token.json() == err("unauthorized", "Authentication required")
    bad_token = await client.post(
        "/api/products", content=b"{broken", headers={"Authorization": "Bearer nope"}
    )
    assert bad_token.status_code == 401
    assert bad_token.json() == err("invalid_token", "Invalid or expired token")
    not_admin = await client.post("/api/products", content=b"{broken", headers=USER)
    assert not_admin.status_code == 403
    assert not_admin.json() == err("forbidden", "Admin privileges required")
    admin = await client.post("/api/products", content=b"{broken", headers=ADMIN)
    assert admin.status_code == 400
    assert admin.json() == err("bad_request", "Request body must be a JSON object")


async def test_patch_changes_fields_and_ignores_sku(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    product = await create_product(client)
    response = await client.patch(
        f"/api/products/{product['id']}",
        json={"sku": "NEW", "price": "0.5", "name": " Renamed ", "unknown": 1},
        headers=ADMIN,
    )
    assert response.status_code == 200
    body = response.json()
    assert body == {**product, "name": "Renamed", "price": "0.50", "updated_at": body["updated_at"]}
    # The row changed, so the monolith must hear of it (no stock change: no stock.changed).
    [_, event] = publisher.published
    assert (event.type, event.aggregate, event.aggregate_id) == (
        "product.updated",
        "product",
        str(product["id"]),
    )
    assert event.data == {"product_id": product["id"], "fields": ["name", "price"]}


async def test_every_patch_publishes_product_updated_and_stock_changed_when_stock_moves(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    product = await create_product(client)
    url = f"/api/products/{product['id']}"
    await client.patch(url, json={"stock": 12}, headers=ADMIN)  # the same level: updated_at only
    assert [e.type for e in publisher.published[1:]] == ["product.updated"]
    response = await client.patch(url, json={"stock": 3}, headers=ADMIN)
    assert response.json()["stock"] == 3
    types = [e.type for e in publisher.published[1:]]
    assert types == ["product.updated", "product.updated", "stock.changed"]
    assert publisher.published[-1].data == {"product_id": product["id"], "stock": 3}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "body", "no updatable fields given"),
        ({"sku": "X", "name": None}, "body", "no updatable fields given"),
        ({"name": ""}, "name", "name must not be empty"),
        ({"stock": -1, "name": 5}, "name", "name must be a string"),
        ({"price": "x", "stock": "y"}, "price", 'price must be a string like "19.99"'),
        ({"stock": False}, "stock", "stock must be an integer"),
    ],
)
async def test_patch_validation_in_check_order(
    client: httpx.AsyncClient, body: dict[str, Any], field: str, message: str
) -> None:
    product = await create_product(client)
    response = await client.patch(f"/api/products/{product['id']}", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json() == err("validation_error", message, field)


async def test_patch_checks_auth_then_existence_then_the_body(client: httpx.AsyncClient) -> None:
    assert (await client.patch("/api/products/99", content=b"{")).status_code == 401
    assert (await client.patch("/api/products/99", content=b"{", headers=USER)).status_code == 403
    missing = await client.patch("/api/products/99", content=b"{", headers=ADMIN)
    assert missing.status_code == 404
    assert missing.json() == err("not_found", "Product 99 not found")
    oversized = b"x" * (1024 * 1024 + 1)
    big = await client.patch("/api/products/99", content=oversized, headers=ADMIN)
    assert big.status_code == 404
    product = await create_product(client)
    url = f"/api/products/{product['id']}"
    assert (await client.patch(url, content=oversized, headers=ADMIN)).status_code == 413
    huge = await client.patch("/api/products/99999999999999999999", json={}, headers=ADMIN)
    assert huge.json() == err("not_found", "Product 99999999999999999999 not found")


async def _catalogue(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    rows = [
        ("B-1", "banana split", "food", "3.50"),
        ("A-1", "Apple pie", "food", "3.50"),
        ("C-1", "cherry_tree", "garden", "120.00"),
        ("D-1", "Durian 100%", "food", "9.99"),
        ("E-1", "apple TREE", "garden", "45.00"),
    ]
    return [
        await create_product(client, sku=sku, name=name, category=category, price=price)
        for sku, name, category, price in rows
    ]


async def test_list_pages_in_id_order_with_total(client: httpx.AsyncClient) -> None:
    products = await _catalogue(client)
    response = await client.get("/api/products", params={"per_page": 2, "page": 2})
    assert response.json() == {
        "items": products[2:4],
        "page": 2,
        "per_page": 2,
        "total": 5,
    }
    past = await client.get("/api/products?page=9")
    assert past.json() == {"items": [], "page": 9, "per_page": 20, "total": 5}


BAN, APP, CHE, DUR, ATR = "banana split", "Apple pie", "cherry_tree", "Durian 100%", "apple TREE"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "APPLE"}, [APP, ATR]),
        ({"q": "  tree "}, [CHE, ATR]),
        ({"q": "_"}, [CHE]),
        ({"q": "%"}, [DUR]),
        ({"q": ""}, [BAN, APP, CHE, DUR, ATR]),
        ({"category": "garden"}, [CHE, ATR]),
        ({"category": "Garden"}, []),
        ({"category": "food", "q": "a"}, [BAN, APP, DUR]),
        ({"sort": "-id"}, [ATR, DUR, CHE, APP, BAN]),
        ({"sort": "name"}, [APP, DUR, ATR, BAN, CHE]),
        ({"sort": "-name"}, [CHE, BAN, ATR, DUR, APP]),
        ({"sort": "price"}, [BAN, APP, DUR, ATR, CHE]),
        ({"sort": "-price"}, [CHE, ATR, DUR, BAN, APP]),
        ({"sort": "created_at"}, [BAN, APP, CHE, DUR, ATR]),
    ],
)
async def test_list_filters_and_sorts_with_ties_broken_by_id(
    client: httpx.AsyncClient, params: dict[str, str], expected: list[str]
) -> None:
    await _catalogue(client)
    response = await client.get("/api/products", params=params)
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["items"]] == expected
    assert response.json()["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("page=0", "page", "page must be between 1 and 1000000"),
        ("page=1000001", "page", "page must be between 1 and 1000000"),
        ("page=-3", "page", "page must be between 1 and 1000000"),
        ("page=abc", "page", "page must be an integer"),
        ("page=%201", "page", "page must be an integer"),
        ("page=%2B1", "page", "page must be an integer"),
        ("page=1.0", "page", "page must be an integer"),
        ("page=", "page", "page must be an integer"),
        ("per_page=0", "per_page", "per_page must be between 1 and 100"),
        ("per_page=101", "per_page", "per_page must be between 1 and 100"),
        ("page=x&per_page=x", "page", "page must be an integer"),
        ("q=" + "x" * 101, "q", "q must be at most 100 characters"),
        (
            "sort=stock",
            "sort",
            "sort must be one of: id, -id, name, -name, price, -price, created_at, -created_at",
        ),
        ("sort=", "sort", "sort must be one of: id, -id, name, -name, price, -price, created_at, "
         "-created_at"),
        ("q=" + "x" * 101 + "&sort=bad", "q", "q must be at most 100 characters"),
    ],
)  # fmt: skip
async def test_list_query_errors_are_422_in_check_order(
    client: httpx.AsyncClient, query: str, field: str, message: str
) -> None:
    response = await client.get(f"/api/products?{query}")
    assert response.status_code == 422
    assert response.json() == err("validation_error", message, field)
