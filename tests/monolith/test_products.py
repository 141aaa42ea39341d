"""The product catalogue endpoints: list (paging, filters, sort), read, create, update."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from .support import Api, assert_validation, bearer, error

pytestmark = pytest.mark.integration

SORT_MESSAGE = "sort must be one of: id, -id, name, -name, price, -price, created_at, -created_at"


@pytest.fixture
def admin(api: Api) -> str:
    return api.admin_token()


@pytest.fixture
def catalogue(api: Api, admin: str) -> list[dict[str, Any]]:
    rows = [
        ("B-1", "The Fig Tree", "books", "19.99"),
        ("B-2", "figs & more", "books", "5.50"),
        ("E-1", "Keyboard", "electronics", "49.00"),
        ("E-2", "Mouse 50%_off", "electronics", "5.50"),
        ("K-1", "apple corer", "kitchen", "7"),
    ]
    return [api.product(admin, sku=s, name=n, category=c, price=p) for s, n, c, p in rows]


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_create_product_returns_it_with_money_as_a_two_decimal_string(api: Api, admin: str) -> None:
    product = api.product(admin, price="7.5", description="  A novel.  ", stock=0)
    assert product["price"] == "7.50"
    assert product["description"] == "A novel."
    assert product["stock"] == 0
    assert product["created_at"] == product["updated_at"]
    assert set(product) == {"category", "created_at", "description", "id", "name", "price",
                            "sku", "stock", "updated_at"}  # fmt: skip
    fetched = api.client.get(f"/api/products/{product['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == product


def test_create_product_without_description_defaults_to_empty(api: Api, admin: str) -> None:
    assert api.product(admin, description=None)["description"] == ""


def test_creating_a_product_needs_a_token_then_an_admin_before_the_body(api: Api) -> None:
    user = api.user_token()
    anonymous = api.client.post("/api/products", content=b"not json")
    assert anonymous.status_code == 401
    assert error(anonymous)["code"] == "unauthorized"
    customer = api.client.post("/api/products", content=b"not json", headers=bearer(user))
    assert customer.status_code == 403
    assert error(customer) == {"code": "forbidden", "message": "Admin privileges required"}


def test_a_taken_sku_is_a_conflict(api: Api, admin: str) -> None:
    api.product(admin, sku="DUP")
    response = api.client.post(
        "/api/products",
        json={"sku": " DUP ", "name": "x", "category": "c", "price": "1", "stock": 1},
        headers=bearer(admin),
    )
    assert response.status_code == 409
    assert error(response) == {"code": "sku_taken", "message": "SKU is already in use"}


VALID = {"sku": "S", "name": "N", "description": "D", "category": "C", "price": "1.00", "stock": 1}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"sku": None}, "sku", "sku is required"),
        ({"sku": 1}, "sku", "sku must be a string"),
        ({"sku": "  "}, "sku", "sku must not be empty"),
        ({"sku": "s" * 65}, "sku", "sku must be at most 64 characters"),
        ({"name": None}, "name", "name is required"),
        ({"name": ""}, "name", "name must not be empty"),
        ({"name": "n" * 201}, "name", "name must be at most 200 characters"),
        ({"description": 3}, "description", "description must be a string"),
        ({"description": "d" * 2001}, "description", "description must be at most 2000 characters"),
        ({"category": None}, "category", "category is required"),
        ({"category": "c" * 51}, "category", "category must be at most 50 characters"),
        ({"price": None}, "price", "price is required"),
        ({"price": 19.99}, "price", "price must be a string"),
        ({"price": "19.999"}, "price", 'price must be a string like "19.99"'),
        ({"price": "-1.00"}, "price", 'price must be a string like "19.99"'),
        ({"price": "12345678"}, "price", 'price must be a string like "19.99"'),
        ({"price": "1e3"}, "price", 'price must be a string like "19.99"'),
        ({"price": "１９"}, "price", 'price must be a string like "19.99"'),
        ({"stock": None}, "stock", "stock is required"),
        ({"stock": True}, "stock", "stock must be an integer"),
        ({"stock": "5"}, "stock", "stock must be an integer"),
        ({"stock": 1.0}, "stock", "stock must be an integer"),
        ({"stock": -1}, "stock", "stock must be between 0 and 1000000"),
        ({"stock": 1_000_001}, "stock", "stock must be between 0 and 1000000"),
        ({"sku": "", "stock": -1}, "sku", "sku must not be empty"),
        ({"price": "x", "stock": -1}, "price", 'price must be a string like "19.99"'),
    ],
)  # fmt: skip
def test_create_product_reports_the_first_invalid_field(
    api: Api, admin: str, changes: dict[str, Any], field: str, message: str
) -> None:
    body = {**VALID, **changes}
    response = api.client.post("/api/products", json=body, headers=bearer(admin))
    assert_validation(response, field, message)


def test_the_largest_price_and_stock_are_accepted(api: Api, admin: str) -> None:
    product = api.product(admin, price="9999999.99", stock=1_000_000)
    assert (product["price"], product["stock"]) == ("9999999.99", 1_000_000)


def test_an_unknown_product_is_a_json_404(client: httpx.Client) -> None:
    response = client.get("/api/products/42")
    assert response.status_code == 404
    assert error(response) == {"code": "not_found", "message": "Product 42 not found"}


@pytest.mark.parametrize("ident", ["9223372036854775807", "9223372036854775808", "9" * 40])
def test_ids_beyond_64_bits_are_a_json_404_not_a_500(client: httpx.Client, ident: str) -> None:
    response = client.get(f"/api/products/{ident}")
    assert response.status_code == 404
    assert error(response)["message"] == f"Product {int(ident)} not found"


def test_list_products_defaults_to_the_first_page_of_20_by_id(
    client: httpx.Client, catalogue: list[dict[str, Any]]
) -> None:
    response = client.get("/api/products")
    assert response.json() == {"items": catalogue, "page": 1, "per_page": 20, "total": 5}


def test_paging_past_the_end_is_an_empty_page_with_the_total(
    client: httpx.Client, catalogue: list[dict[str, Any]]
) -> None:
    response = client.get("/api/products", params={"page": 2, "per_page": 3})
    assert names(response) == ["Mouse 50%_off", "apple corer"]
    empty = client.get("/api/products", params={"page": 1_000_000, "per_page": 100}).json()
    assert empty == {"items": [], "page": 1_000_000, "per_page": 100, "total": 5}


def test_q_is_a_case_insensitive_substring_with_wildcards_taken_literally(
    client: httpx.Client, catalogue: list[dict[str, Any]]
) -> None:
    assert names(client.get("/api/products", params={"q": "FIG"})) == [
        "The Fig Tree",
        "figs & more",
    ]
    assert names(client.get("/api/products", params={"q": "50%_"})) == ["Mouse 50%_off"]
    assert names(client.get("/api/products", params={"q": "%"})) == ["Mouse 50%_off"]
    assert client.get("/api/products", params={"q": ""}).json()["total"] == 5


def test_category_is_an_exact_match_and_total_counts_the_filtered_set(
    client: httpx.Client, catalogue: list[dict[str, Any]]
) -> None:
    response = client.get("/api/products", params={"category": "electronics", "per_page": 1})
    assert names(response) == ["Keyboard"]
    assert response.json()["total"] == 2
    assert client.get("/api/products", params={"category": "electr"}).json()["total"] == 0
    both = client.get("/api/products", params={"category": "books", "q": "tree"})
    assert names(both) == ["The Fig Tree"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("id", ["The Fig Tree", "figs & more", "Keyboard", "Mouse 50%_off", "apple corer"]),
        ("-id", ["apple corer", "Mouse 50%_off", "Keyboard", "figs & more", "The Fig Tree"]),
        # Code-point order: upper case sorts before lower case on every backend.
        ("name", ["Keyboard", "Mouse 50%_off", "The Fig Tree", "apple corer", "figs & more"]),
        ("-name", ["figs & more", "apple corer", "The Fig Tree", "Mouse 50%_off", "Keyboard"]),
        # Ties (5.50) are broken by id ascending in both directions.
        ("price", ["figs & more", "Mouse 50%_off", "apple corer", "The Fig Tree", "Keyboard"]),
        ("-price", ["Keyboard", "The Fig Tree", "apple corer", "figs & more", "Mouse 50%_off"]),
        ("created_at", ["The Fig Tree", "figs & more", "Keyboard", "Mouse 50%_off", "apple corer"]),
    ],
)
def test_sort_orders_with_ties_broken_by_id(
    client: httpx.Client, catalogue: list[dict[str, Any]], sort: str, expected: list[str]
) -> None:
    assert names(client.get("/api/products", params={"sort": sort})) == expected


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"page": "abc"}, "page", "page must be an integer"),
        ({"page": ""}, "page", "page must be an integer"),
        ({"page": "1.0"}, "page", "page must be an integer"),
        ({"page": "0"}, "page", "page must be between 1 and 1000000"),
        ({"page": "-3"}, "page", "page must be between 1 and 1000000"),
        ({"page": "1000001"}, "page", "page must be between 1 and 1000000"),
        ({"page": "9" * 30}, "page", "page must be between 1 and 1000000"),
        ({"per_page": "0"}, "per_page", "per_page must be between 1 and 100"),
        ({"per_page": "101"}, "per_page", "per_page must be between 1 and 100"),
        ({"per_page": "x"}, "per_page", "per_page must be an integer"),
        ({"q": "q" * 101}, "q", "q must be at most 100 characters"),
        ({"sort": "stock"}, "sort", SORT_MESSAGE),
        ({"sort": ""}, "sort", SORT_MESSAGE),
        ({"page": "x", "per_page": "x", "sort": "x"}, "page", "page must be an integer"),
        ({"per_page": "x", "q": "q" * 101}, "per_page", "per_page must be an integer"),
        ({"q": "q" * 101, "sort": "x"}, "q", "q must be at most 100 characters"),
    ],
)
def test_bad_list_queries_report_the_first_invalid_parameter(
    client: httpx.Client, params: dict[str, str], field: str, message: str
) -> None:
    assert_validation(client.get("/api/products", params=params), field, message)


def test_patch_updates_only_the_given_fields_and_ignores_sku(api: Api, admin: str) -> None:
    product = api.product(admin)
    with api.engine.begin() as conn:  # so that a new updated_at is visible at whole seconds
        conn.execute(sa.text("UPDATE products SET updated_at = '2020-01-01 00:00:00'"))
    response = api.client.patch(
        f"/api/products/{product['id']}",
        json={"price": "1.5", "sku": "NEW", "name": " Renamed ", "unknown": 1},
        headers=bearer(admin),
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["price"], body["sku"]) == ("Renamed", "1.50", product["sku"])
    assert body["stock"] == product["stock"]
    assert body["created_at"] == product["created_at"]
    assert body["updated_at"] != "Wed, 01 Jan 2020 00:00:00 GMT"


def test_patch_with_no_updatable_field_is_a_validation_error(api: Api, admin: str) -> None:
    product = api.product(admin)
    for body in ({}, {"sku": "X"}, {"name": None}):
        response = api.client.patch(
            f"/api/products/{product['id']}", json=body, headers=bearer(admin)
        )
        assert_validation(response, "body", "no updatable fields given")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": ""}, "name", "name must not be empty"),
        ({"description": "d" * 2001}, "description", "description must be at most 2000 characters"),
        ({"category": 5}, "category", "category must be a string"),
        ({"price": "abc"}, "price", 'price must be a string like "19.99"'),
        ({"stock": False}, "stock", "stock must be an integer"),
        ({"stock": -5, "name": ""}, "name", "name must not be empty"),
        ({"stock": -5, "price": "x"}, "price", 'price must be a string like "19.99"'),
    ],
)
def test_patch_reports_the_first_invalid_field_in_contract_order(
    api: Api, admin: str, body: dict[str, Any], field: str, message: str
) -> None:
    product = api.product(admin)
    response = api.client.patch(f"/api/products/{product['id']}", json=body, headers=bearer(admin))
    assert_validation(response, field, message)


def test_patch_checks_auth_then_existence_then_the_body(api: Api, admin: str) -> None:
    user = api.user_token()
    assert api.client.patch("/api/products/1", content=b"{").status_code == 401
    forbidden = api.client.patch("/api/products/1", content=b"{", headers=bearer(user))
    assert forbidden.status_code == 403
    missing = api.client.patch("/api/products/77", content=b"{", headers=bearer(admin))
    assert error(missing) == {"code": "not_found", "message": "Product 77 not found"}
    huge = api.client.patch(f"/api/products/{2**64}", json={}, headers=bearer(admin))
    assert huge.status_code == 404


def test_stock_events_follow_product_creation_and_stock_changes_only(api: Api, admin: str) -> None:
    product = api.product(admin, stock=4)
    path = f"/api/products/{product['id']}"
    api.client.patch(path, json={"name": "Other"}, headers=bearer(admin))
    api.client.patch(path, json={"stock": 4}, headers=bearer(admin))
    api.client.patch(path, json={"stock": 9}, headers=bearer(admin))
    with api.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT payload FROM outbox WHERE type = 'stock.changed' ORDER BY created_at")
        ).scalars()
        data = [json.loads(payload)["data"] for payload in rows]
    assert sorted(d["stock"] for d in data) == [4, 9]
    assert {d["product_id"] for d in data} == {product["id"]}


def outbox_events(api: Api) -> list[dict[str, Any]]:
    with api.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT payload FROM outbox ORDER BY created_at")).scalars()
        return [json.loads(payload) for payload in rows]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Other"},
        {"description": "Now described"},
        {"category": "garden"},
        {"price": "1.25"},
        {"stock": 4},  # the same level: only updated_at moves, and that must travel too
    ],
)
def test_every_patch_records_product_updated_with_the_fields_given(
    api: Api, admin: str, body: dict[str, Any]
) -> None:
    product = api.product(admin, stock=4)
    before = len(outbox_events(api))
    answer = api.client.patch(f"/api/products/{product['id']}", json=body, headers=bearer(admin))
    assert answer.status_code == 200, answer.text
    [event] = outbox_events(api)[before:]
    assert (event["type"], event["aggregate"], event["aggregate_id"]) == (
        "product.updated",
        "product",
        str(product["id"]),
    )
    assert event["data"] == {"product_id": product["id"], "fields": sorted(body)}


def test_a_patch_that_moves_the_stock_records_product_updated_and_stock_changed(
    api: Api, admin: str
) -> None:
    product = api.product(admin, stock=4)
    before = len(outbox_events(api))
    body = {"stock": 9, "price": "2.00"}
    api.client.patch(f"/api/products/{product['id']}", json=body, headers=bearer(admin))
    events = outbox_events(api)[before:]
    assert [(e["type"], e["data"]) for e in events] == [
        ("product.updated", {"product_id": product["id"], "fields": ["price", "stock"]}),
        ("stock.changed", {"product_id": product["id"], "stock": 9}),
    ]


def test_a_failing_outbox_write_rolls_the_patch_back(
    api: Api, admin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from legacy_monolith import outbox

    def broken_record(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the outbox write failed")

    product = api.product(admin, name="Kept")
    before = outbox_events(api)
    monkeypatch.setattr(outbox, "record", broken_record)
    path = f"/api/products/{product['id']}"
    answer = api.client.patch(path, json={"name": "Lost"}, headers=bearer(admin))
    assert answer.status_code == 500
    monkeypatch.undo()
    assert api.client.get(path).json() == product
    assert outbox_events(api) == before
