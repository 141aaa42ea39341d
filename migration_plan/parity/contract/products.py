"""Products and stock: list (filters, sort, pagination), get, create, patch, verify.

Whatever a scenario writes it created first (``new_product``): the sides share their data, so a
seeded product is only read, and a new product's own category keeps its listing to this side.
"""

from __future__ import annotations

from ..scenario import Capture, Scenario, Step
from .steps import ADMIN, ALICE, call, created, login, new_product

LIST = "GET /api/products"
GET = "GET /api/products/{id}"
CREATE = "POST /api/products"
PATCH = "PATCH /api/products/{id}"
VERIFY = "POST /api/stock/verify"

NEW_PRODUCT = {
    "sku": "PARITY-{run}",
    "name": " Parity Widget {run} ",
    "category": "tools-{run}",
    "price": " 12.50 ",
    "stock": 5,
}


def listing(expect: int = 200, **query: str) -> Step:
    return call(LIST, query=query, expect=expect)


# Listings read only the seeded catalogue: a category of the seed, or a name only the seed has.
# On shared sides every run's products are listed too, and the monolith also holds the rows the
# legacy side created, which the sync does not copy to the service that owns the table.
LISTING = Scenario(
    "the product list filters, sorts and pages",
    (
        listing(category="toys"),
        listing(category="toys", page="2", per_page="5"),
        listing(category="toys", page="100"),
        listing(category="electronics", per_page="100"),
        listing(q="fig"),
        listing(q="  FIG "),
        listing(q="%"),
        listing(category="books", sort="-price"),
        listing(category="garden", q="e", sort="name", per_page="3", page="2"),
        listing(category="kitchen", sort="-name"),
        listing(category="toys", sort="price"),
        listing(category="books", sort="-created_at"),
        listing(category="", q="fig"),
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
)

PRODUCT_SCENARIOS = (
    Scenario(
        "a product by id",
        (
            call(GET, "/api/products/1", expect=200),
            call(GET, "/api/products/50", expect=200),
            call(GET, "/api/products/999999999", expect=404),
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
            call(LIST, query={"category": "tools-{run}"}, expect=200),
            call(LIST, query={"q": "widget {run}"}, expect=200),
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
            new_product("patched", stock=8, price="10.00"),
            call(
                PATCH,
                "/api/products/{patched_id}",
                json={"price": "11.00", "stock": 3, "sku": "IGNORED"},
                auth="admin",
                captures=(
                    Capture("updated_at", "/updated_at", map_id=True, fields=("updated_at",)),
                ),
                expect=200,
            ),
            call(GET, "/api/products/{patched_id}", expect=200),
            call(
                PATCH,
                "/api/products/{patched_id}",
                json={"description": None, "name": "Renamed"},
                auth="admin",
                captures=(
                    Capture("updated_at_2", "/updated_at", map_id=True, fields=("updated_at",)),
                ),
                expect=200,
            ),
            call(GET, "/api/products/{patched_id}", expect=200),
            call(LIST, query={"category": "patched-{run}"}, expect=200),
        ),
    ),
    Scenario(
        "patching a product: auth, existence, then fields",
        (
            login(ALICE),
            login(ADMIN, "admin"),
            new_product("refused", stock=1),
            call(PATCH, "/api/products/{refused_id}", json={"stock": 1}, expect=401),
            call(PATCH, "/api/products/{refused_id}", json={"stock": 1}, auth="token", expect=403),
            call(PATCH, "/api/products/999999999", json={"stock": 1}, auth="admin", expect=404),
            call(PATCH, "/api/products/999999999", content=b"x", auth="admin", expect=404),
            call(PATCH, "/api/products/{refused_id}", content=b"x", auth="admin", expect=400),
            call(PATCH, "/api/products/{refused_id}", json={}, auth="admin", expect=422),
            call(PATCH, "/api/products/{refused_id}", json={"sku": "X"}, auth="admin", expect=422),
            call(
                PATCH, "/api/products/{refused_id}", json={"name": None}, auth="admin", expect=422
            ),
            call(PATCH, "/api/products/{refused_id}", json={"name": ""}, auth="admin", expect=422),
            call(
                PATCH,
                "/api/products/{refused_id}",
                json={"price": "1.999"},
                auth="admin",
                expect=422,
            ),
            call(PATCH, "/api/products/{refused_id}", json={"stock": -1}, auth="admin", expect=422),
            call(
                PATCH, "/api/products/{refused_id}", json={"stock": 1.0}, auth="admin", expect=422
            ),
            call(
                GET,
                "/api/products/{refused_id}",
                expect=200,
                name="refused patches changed nothing",
            ),
        ),
    ),
    Scenario(
        "stock verify: enough, short, unknown, repeated, and refused bodies",
        (
            login(ADMIN, "admin"),
            new_product("counted", stock=7),
            call(
                VERIFY, json={"items": [{"product_id": "{counted_id}", "quantity": 2}]}, expect=200
            ),
            call(
                VERIFY, json={"items": [{"product_id": "{counted_id}", "quantity": 8}]}, expect=200
            ),
            call(VERIFY, json={"items": [{"product_id": 999999999, "quantity": 1}]}, expect=200),
            call(VERIFY, json={"items": [{"product_id": 1, "quantity": 1}]}, expect=200),
            call(
                VERIFY,
                json={
                    "items": [
                        {"product_id": "{counted_id}", "quantity": 4},
                        {"product_id": 1, "quantity": 1},
                        {"product_id": "{counted_id}", "quantity": 4},
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
