"""Orders: place (201, 409 shortage, 422s), list, get (owner, someone else), cancel (200, 409).

Each scenario orders products it created, as users it registered: the sides share their data
(the sync copies each side's writes to the other), so a seeded product's stock or a seeded
user's order list is whatever earlier runs left.
"""

from __future__ import annotations

from ..scenario import Scenario
from .steps import ADMIN, ALICE, call, created, login, new_product, new_user

PLACE = "POST /api/orders"
LIST = "GET /api/orders"
GET = "GET /api/orders/{id}"
CANCEL = "POST /api/orders/{id}/cancel"
PRODUCT = "GET /api/products/{id}"
UNKNOWN = "999999999"  # no product, order or user id a run reaches


def items(*lines: tuple[object, object]) -> dict[str, object]:
    return {"items": [{"product_id": p, "quantity": q} for p, q in lines]}


ORDER_SCENARIOS = (
    Scenario(
        "a buyer places an order, reads it, lists it and cancels it",
        (
            login(ADMIN, "admin"),
            new_product("hammer", stock=5, price="12.50"),
            new_product("nails", stock=40, price="0.15"),
            *new_user("buyer"),
            call(
                PLACE,
                json=items(("{hammer_id}", 2), ("{nails_id}", 30)),
                auth="token",
                captures=created("order", "created_at"),
                expect=201,
            ),
            call(PRODUCT, "/api/products/{hammer_id}", expect=200, name="stock was taken"),
            call(GET, "/api/orders/{order_id}", auth="token", expect=200),
            call(LIST, auth="token", expect=200),
            call(LIST, auth="token", query={"per_page": "1", "page": "2"}, expect=200),
            call(CANCEL, "/api/orders/{order_id}/cancel", auth="token", expect=200),
            call(PRODUCT, "/api/products/{hammer_id}", expect=200, name="stock came back"),
            call(PRODUCT, "/api/products/{nails_id}", expect=200, name="all of it"),
            call(CANCEL, "/api/orders/{order_id}/cancel", auth="token", expect=409),
            call(GET, "/api/orders/{order_id}", auth="token", expect=200),
            call(LIST, auth="token", expect=200, name="the cancelled order is listed"),
        ),
    ),
    Scenario(
        "placing an order: auth, then the body, then the stock",
        (
            login(ALICE),  # every order here is refused: alice's orders stay as they are
            login(ADMIN, "admin"),
            new_product("short", stock=7),
            call(PLACE, json=items((1, 1)), expect=401),
            call(PLACE, json=items((1, 1)), headers={"Authorization": "Bearer nope"}, expect=401),
            call(PLACE, json=items(("{short_id}", 8)), auth="token", expect=409),
            call(PLACE, json=items(("{short_id}", 1), (int(UNKNOWN), 2)), auth="token", expect=409),
            call(
                PRODUCT, "/api/products/{short_id}", expect=200, name="a refused order took nothing"
            ),
            call(PLACE, content=b"{", auth="token", expect=400),
            call(PLACE, json={}, auth="token", expect=422),
            call(PLACE, json={"items": "1"}, auth="token", expect=422),
            call(PLACE, json={"items": []}, auth="token", expect=422),
            call(PLACE, json=items(*[(n, 1) for n in range(1, 52)]), auth="token", expect=422),
            call(PLACE, json=items((1, 1), (1, 2)), auth="token", expect=422),
            call(PLACE, json=items((1, 0)), auth="token", expect=422),
            call(PLACE, json=items((1, "1")), auth="token", expect=422),
            call(PLACE, json=items((False, 1)), auth="token", expect=422),
            call(PLACE, json=items((1, None)), auth="token", expect=422),
            call(PLACE, json={"items": [[1, 1]]}, auth="token", expect=422),
        ),
    ),
    Scenario(
        "orders are visible to their owner and to admins only",
        (
            login(ADMIN, "admin"),
            new_product("visible", stock=3),
            *new_user("owner"),
            *new_user("other", "other"),
            call(
                PLACE,
                json=items(("{visible_id}", 1)),
                auth="token",
                captures=created("order", "created_at"),
                expect=201,
            ),
            call(LIST, auth="token", expect=200),
            call(LIST, auth="other", expect=200, name="someone else's list is empty"),
            call(LIST, auth="admin", expect=200, name="an admin's list is its own"),
            call(LIST, expect=401),
            call(LIST, auth="token", query={"per_page": "0"}, expect=422),
            call(GET, "/api/orders/{order_id}", auth="token", expect=200),
            call(GET, "/api/orders/{order_id}", auth="other", expect=404),
            call(GET, f"/api/orders/{UNKNOWN}", auth="token", expect=404),
            call(GET, "/api/orders/{order_id}", auth="admin", expect=200),
            call(GET, "/api/orders/{order_id}", expect=401),
            call(CANCEL, "/api/orders/{order_id}/cancel", auth="other", expect=404),
            call(CANCEL, f"/api/orders/{UNKNOWN}/cancel", auth="token", expect=404),
            call(CANCEL, "/api/orders/{order_id}/cancel", expect=401),
            call(CANCEL, "/api/orders/{order_id}/cancel", auth="admin", expect=200),
            call(CANCEL, "/api/orders/{order_id}/cancel", auth="token", expect=409),
        ),
    ),
    Scenario(
        "an order of several lines is cancelled and every line's stock comes back",
        (
            login(ADMIN, "admin"),
            new_product("bolt", stock=9, price="0.99"),
            new_product("gear", stock=2, price="149.00"),
            *new_user("fitter"),
            call(
                PLACE,
                json=items(("{bolt_id}", 9), ("{gear_id}", 2)),
                auth="token",
                captures=created("order", "created_at"),
                expect=201,
            ),
            call(PRODUCT, "/api/products/{bolt_id}", expect=200, name="sold out"),
            call(PLACE, json=items(("{gear_id}", 1)), auth="token", expect=409),
            call(CANCEL, "/api/orders/{order_id}/cancel", auth="token", expect=200),
            call(PRODUCT, "/api/products/{bolt_id}", expect=200),
            call(PRODUCT, "/api/products/{gear_id}", expect=200),
            call(LIST, auth="token", expect=200),
        ),
    ),
    Scenario(
        "orders from before the extraction read as the monolith's",
        (
            login(ALICE),
            login(ADMIN, "admin"),
            call(GET, "/api/orders/1", auth="token", expect=200),
            call(GET, "/api/orders/2", auth="token", expect=200),
            call(GET, "/api/orders/3", auth="token", expect=404),
            call(GET, "/api/orders/3", auth="admin", expect=200),
            call(LIST, auth="token", expect=200),
            call(CANCEL, "/api/orders/2/cancel", auth="token", expect=409),
            call(CANCEL, "/api/orders/3/cancel", auth="token", expect=404),
        ),
    ),
)
