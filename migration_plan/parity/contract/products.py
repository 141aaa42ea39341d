"""Products and stock: list (filters, sort, pagination), get, create, patch, verify."""

from __future__ import annotations

from ..scenario import Capture, Scenario, Step
from .steps import ADMIN, ALICE, call, created, login

LIST = "GET /api/products"
GET = "GET /api/products/{id}"
CREATE = "POST /api/products"
PATCH = "PATCH /api/products/{id}"
VERIFY = "POST /api/stock/verify"

NEW_PRODUCT = {
    "sku": "PARITY-{run}",
    "name": " Parity Widget ",
    "category": "tools",
    "price": " 12.50 ",
    "stock": 5,
}


def listing(expect: int = 200, **query: str) -> Step:
    return call(LIST, query=query, expect=expect)


PRODUCT_SCENARIOS = (
    Scenario(
        "the product list filters, sorts and pages",
        (
            listing(),
            listing(page="2", per_page="5"),
            listing(page="100"),
            listing(per_page="100"),
            listing(q="fig"),
            listing(q="  FIG "),
            listing(q="%"),
            listing(category="books", sort="-price"),
            listing(category="garden", q="e", sort="name", per_page="3", page="2"),
            listing(sort="-name"),
            listing(sort="price"),
            listing(sort="-created_at"),
            listing(category=""),
            listing(category="nope"),
            listing(422, sort="bogus"),
            listing(422, page="0"),
            listing(422, page="abc"),
            listing(422, page=""),
            listing(422, page="-3"),
            listing(422, page="99999999999999999999"),
            listing(422, per_page="101"),
            listing(422, per_page="1.5"),
            listing(422, q="x" * 101),
        ),
    ),
    Scenario(
        "a product by id",
        (
            call(GET, "/api/products/1", expect=200),
            call(GET, "/api/products/50", expect=200),
            call(GET, "/api/products/9999", expect=404),
            call(GET, "/api/products/99999999999999999999", expect=404),
        ),
    ),
    Scenario(
        "an admin creates a product, which then reads and lists like the others",
        (
            login(ADMIN, "admin"),
            call(
                CREATE,
                json=NEW_PRODUCT,
                auth="admin",
                captures=created("product", "created_at", "updated_at"),
                expect=201,
            ),
            call(GET, "/api/products/{product_id}", expect=200),
            call(LIST, query={"category": "tools"}, expect=200),
            call(CREATE, json=NEW_PRODUCT, auth="admin", expect=409, name="same sku again"),
        ),
    ),
    Scenario(
        "creating a product: auth first, then each field in order",
        (
            login(ALICE),
            login(ADMIN, "admin"),
            call(CREATE, json=NEW_PRODUCT, expect=401),
            call(CREATE, json=NEW_PRODUCT, auth="token", expect=403),
            call(CREATE, content=b"nope", auth="token", expect=403),
            call(CREATE, content=b"nope", auth="admin", expect=400),
            call(CREATE, json={**NEW_PRODUCT, "sku": None}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "sku": "  "}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "name": 5}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "description": 5}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "category": ""}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "price": 12.5}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "price": "12.505"}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "price": "12345678"}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "stock": True}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "stock": "5"}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "stock": 1000001}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "stock": -1}, auth="admin", expect=422),
            call(CREATE, json={**NEW_PRODUCT, "sku": "BOOK-0001"}, auth="admin", expect=409),
        ),
    ),
    Scenario(
        "an admin patches a product",
        (
            login(ADMIN, "admin"),
            call(
                PATCH,
                "/api/products/2",
                json={"price": "11.00", "stock": 3, "sku": "IGNORED"},
                auth="admin",
                captures=(
                    Capture("updated_at", "/updated_at", map_id=True, fields=("updated_at",)),
                ),
                expect=200,
            ),
            call(GET, "/api/products/2", expect=200),
            call(
                PATCH,
                "/api/products/2",
                json={"description": None, "name": "Renamed"},
                auth="admin",
                captures=(
                    Capture("updated_at_2", "/updated_at", map_id=True, fields=("updated_at",)),
                ),
                expect=200,
            ),
            call(GET, "/api/products/2", expect=200),
        ),
    ),
    Scenario(
        "patching a product: auth, existence, then fields",
        (
            login(ALICE),
            login(ADMIN, "admin"),
            call(PATCH, "/api/products/2", json={"stock": 1}, expect=401),
            call(PATCH, "/api/products/2", json={"stock": 1}, auth="token", expect=403),
            call(PATCH, "/api/products/9999", json={"stock": 1}, auth="admin", expect=404),
            call(PATCH, "/api/products/9999", content=b"x", auth="admin", expect=404),
            call(PATCH, "/api/products/2", content=b"x", auth="admin", expect=400),
            call(PATCH, "/api/products/2", json={}, auth="admin", expect=422),
            call(PATCH, "/api/products/2", json={"sku": "X"}, auth="admin", expect=422),
            call(PATCH, "/api/products/2", json={"name": None}, auth="admin", expect=422),
            call(PATCH, "/api/products/2", json={"name": ""}, auth="admin", expect=422),
            call(PATCH, "/api/products/2", json={"price": "1.999"}, auth="admin", expect=422),
            call(PATCH, "/api/products/2", json={"stock": -1}, auth="admin", expect=422),
            call(PATCH, "/api/products/2", json={"stock": 1.0}, auth="admin", expect=422),
        ),
    ),
    Scenario(
        "stock verify: enough, short, unknown, repeated, and refused bodies",
        (
            call(VERIFY, json={"items": [{"product_id": 1, "quantity": 2}]}, expect=200),
            call(VERIFY, json={"items": [{"product_id": 6, "quantity": 8}]}, expect=200),
            call(VERIFY, json={"items": [{"product_id": 9999, "quantity": 1}]}, expect=200),
            call(
                VERIFY,
                json={
                    "items": [
                        {"product_id": 6, "quantity": 4},
                        {"product_id": 1, "quantity": 1},
                        {"product_id": 6, "quantity": 4},
                    ]
                },
                expect=200,
            ),
            call(VERIFY, json={"items": []}, expect=422),
            call(VERIFY, json={"items": {"product_id": 1}}, expect=422),
            call(VERIFY, json={}, expect=422),
            call(VERIFY, json={"items": [5]}, expect=422),
            call(VERIFY, json={"items": [{"product_id": 1, "quantity": 0}]}, expect=422),
            call(VERIFY, json={"items": [{"product_id": 1, "quantity": 1001}]}, expect=422),
            call(VERIFY, json={"items": [{"product_id": True, "quantity": 1}]}, expect=422),
            call(VERIFY, json={"items": [{"product_id": 0, "quantity": 1}]}, expect=422),
            call(VERIFY, json={"items": [{"product_id": 2**63, "quantity": 1}]}, expect=422),
            call(VERIFY, json={"items": [{"product_id": 1, "quantity": 1}] * 101}, expect=422),
            call(VERIFY, content=b"", expect=400),
        ),
    ),
)
