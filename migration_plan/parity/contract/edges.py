"""Edges the contract's clarifications call out: body limits, case folding, money sums, limits."""

from __future__ import annotations

from ..scenario import Scenario
from .steps import ADMIN, ALICE, call, created, login, new_product, new_user

LINES = range(1, 51)


def fifty_price(n: int) -> str:
    """Prices whose cents add up to carries (no float sum of them is exact)."""
    return f"{n * 37 % 100}.{n * 53 % 100:02d}"


BIG = b'{"items": [' + b'{"product_id": 1, "quantity": 1},' * 40000 + b'{"product_id": 1}]}'

# Listings of the seeded catalogue only (see ``products.LISTING``), run before the suite writes.
SEARCH_EDGES = Scenario(
    "search folds case as SQL lower() does and treats % and _ literally",
    (
        call("GET /api/products", query={"q": "É"}, expect=200),
        call("GET /api/products", query={"q": "the "}, expect=200),
        call("GET /api/products", query={"q": "_"}, expect=200),
        call("GET /api/products", query={"q": "-"}, expect=200),
        call(
            "GET /api/products",
            query={"category": "garden", "sort": "name", "per_page": "100"},
            expect=200,
        ),
        call(
            "GET /api/products",
            query={"category": "books", "page": "2", "page_": "9", "per_page": "7"},
            expect=200,
        ),
    ),
)

EDGE_SCENARIOS = (
    Scenario(
        "bodies over 1 MiB are 413 after auth and existence",
        (
            login(ALICE),
            login(ADMIN, "admin"),
            call("POST /api/stock/verify", content=BIG, expect=413),
            call("POST /api/orders", content=BIG, auth="token", expect=413),
            call("POST /api/orders", content=BIG, expect=401),
            call("POST /api/products", content=BIG, auth="admin", expect=413),
            call(
                "PATCH /api/products/{id}",
                "/api/products/9999",
                content=BIG,
                auth="admin",
                expect=404,
            ),
            call("POST /api/auth/register", content=BIG, expect=413),
        ),
    ),
    Scenario(
        "a fifty-line order sums its money exactly, and the fifty-first line is refused",
        (
            login(ADMIN, "admin"),
            *[new_product(f"line{n}", 8, fifty_price(n), category="fifty") for n in LINES],
            *new_user("bulk"),
            call(
                "POST /api/orders",
                json={
                    "items": [
                        {"product_id": f"{{line{n}_id}}", "quantity": 7 - n % 7} for n in LINES
                    ]
                },
                auth="token",
                captures=created("order", "created_at"),
                expect=201,
            ),
            call("GET /api/orders/{id}", "/api/orders/{order_id}", auth="token", expect=200),
            call(
                "POST /api/stock/verify",
                json={"items": [{"product_id": f"{{line{n}_id}}", "quantity": 5} for n in LINES]},
                expect=200,
            ),
            call(
                "POST /api/orders",
                json={
                    "items": [
                        {"product_id": "{line1_id}", "quantity": 1000},
                        {"product_id": "{line2_id}", "quantity": 1},
                    ]
                },
                auth="token",
                expect=409,
            ),
            call(
                "POST /api/orders",
                json={
                    "items": [{"product_id": f"{{line{n}_id}}", "quantity": 1} for n in LINES]
                    + [{"product_id": 1, "quantity": 1}]
                },
                auth="token",
                expect=422,
                name="the fifty-first line",
            ),
        ),
    ),
    Scenario(
        "an admin creates a product with defaults and stripped strings, then patches its stock",
        (
            login(ADMIN, "admin"),
            call(
                "POST /api/products",
                json={
                    "sku": " EDGE-{run} ",
                    "name": "Edge",
                    "description": None,
                    "category": " edge-{run} ",
                    "price": "7",
                    "stock": 0,
                    "unknown": 1,
                },
                auth="admin",
                captures=created("product", "created_at", "updated_at"),
                expect=201,
            ),
            call(
                "POST /api/stock/verify",
                json={"items": [{"product_id": "{product_id}", "quantity": 1}]},
                expect=200,
            ),
            call(
                "PATCH /api/products/{id}",
                "/api/products/{product_id}",
                json={"stock": 3, "price": " 0.5 ", "description": "  d  "},
                auth="admin",
                captures=created("patched", "updated_at")[1:],
                expect=200,
            ),
            call("GET /api/products/{id}", "/api/products/{product_id}", expect=200),
        ),
    ),
)
