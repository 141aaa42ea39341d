"""Every validation message of POST /api/orders and of paging, exactly as the contract says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from extracted.orders_service.migrate import upgrade

from .fakes import FakeProducts, auth_header

pytestmark = pytest.mark.anyio


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Validation never reaches the database engine: SQLite only."""
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    upgrade(url)
    return url


ALICE = auth_header("alice-token")
MAX_ID = 2**63 - 1


def line(product_id: Any = 1, quantity: Any = 1) -> dict[str, Any]:
    return {"product_id": product_id, "quantity": quantity}


INVALID_BODIES = [
    ({}, "items", "items is required"),
    ({"items": None}, "items", "items is required"),
    ({"items": "1"}, "items", "items must be a list"),
    ({"items": {"product_id": 1}}, "items", "items must be a list"),
    ({"items": []}, "items", "items must not be empty"),
    ({"items": [line(i) for i in range(1, 52)]}, "items", "items must have at most 50 entries"),
    ({"items": [1]}, "items[0]", "items[0] must be an object"),
    ({"items": [line(), None]}, "items[1]", "items[1] must be an object"),
    ({"items": [{"quantity": 1}]}, "items[0].product_id", "items[0].product_id is required"),
    ({"items": [line(None)]}, "items[0].product_id", "items[0].product_id is required"),
    ({"items": [line("1")]}, "items[0].product_id", "items[0].product_id must be an integer"),
    ({"items": [line(True)]}, "items[0].product_id", "items[0].product_id must be an integer"),
    ({"items": [line(1.0)]}, "items[0].product_id", "items[0].product_id must be an integer"),
    (
        {"items": [line(0)]},
        "items[0].product_id",
        f"items[0].product_id must be between 1 and {MAX_ID}",
    ),
    (
        {"items": [line(MAX_ID + 1)]},
        "items[0].product_id",
        f"items[0].product_id must be between 1 and {MAX_ID}",
    ),
    ({"items": [{"product_id": 1}]}, "items[0].quantity", "items[0].quantity is required"),
    ({"items": [line(1, "2")]}, "items[0].quantity", "items[0].quantity must be an integer"),
    ({"items": [line(1, False)]}, "items[0].quantity", "items[0].quantity must be an integer"),
    ({"items": [line(1, 0)]}, "items[0].quantity", "items[0].quantity must be between 1 and 1000"),
    (
        {"items": [line(1, 1001)]},
        "items[0].quantity",
        "items[0].quantity must be between 1 and 1000",
    ),
    ({"items": [line(1), line(1)]}, "items[1].product_id", "items[1].product_id is a duplicate"),
    # The monolith checks every line's shape before it looks for duplicates.
    (
        {"items": [line(1), line(1), line("x")]},
        "items[2].product_id",
        "items[2].product_id must be an integer",
    ),
    ({"items": [line(2), line(1), line(2), line(1)]}, "items[2].product_id",
     "items[2].product_id is a duplicate"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field", "message"), INVALID_BODIES)
async def test_each_invalid_order_gets_the_contract_message(
    client: httpx.AsyncClient, products: FakeProducts, body: Any, field: str, message: str
) -> None:
    response = await client.post("/api/orders", json=body, headers=ALICE)
    assert response.status_code == 422
    assert response.json() == {
        "error": {"code": "validation_error", "message": message, "details": {"field": field}}
    }
    assert products.calls == []


@pytest.mark.parametrize(
    "content", [b"", b"not json", b"[1, 2]", b'"items"', b"null", b"{bad", b"\xff\xfe"]
)
async def test_a_body_that_is_not_a_json_object_is_400(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post("/api/orders", content=content, headers=ALICE)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "bad_request", "message": "Request body must be a JSON object"}
    }


async def test_the_body_is_json_whatever_the_content_type_says(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/orders",
        content=b'{"items": [{"product_id": 1, "quantity": 1}], "note": "ignored"}',
        headers={**ALICE, "Content-Type": "text/plain"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("page=0", "page", "page must be between 1 and 1000000"),
        ("page=1000001", "page", "page must be between 1 and 1000000"),
        ("page=abc", "page", "page must be an integer"),
        ("page=", "page", "page must be an integer"),
        ("per_page=0", "per_page", "per_page must be between 1 and 100"),
        ("per_page=101", "per_page", "per_page must be between 1 and 100"),
        ("per_page=1.5", "per_page", "per_page must be an integer"),
        ("page=-1", "page", "page must be between 1 and 1000000"),
        ("page=x&per_page=0", "page", "page must be an integer"),
    ],
)
async def test_paging_errors_name_the_parameter(
    client: httpx.AsyncClient, query: str, field: str, message: str
) -> None:
    response = await client.get(f"/api/orders?{query}", headers=ALICE)
    assert response.status_code == 422
    assert response.json() == {
        "error": {"code": "validation_error", "message": message, "details": {"field": field}}
    }


async def test_a_body_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/orders", content=b" " * (1024 * 1024 + 1), headers=ALICE)
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": "Request body is too large",
    }
