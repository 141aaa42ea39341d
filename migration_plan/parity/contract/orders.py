"""Orders: place (201, 409 shortage, 422s), list, get (owner, someone else), cancel (200, 409)."""

from __future__ import annotations

from ..scenario import Scenario
from .steps import ADMIN, ALICE, BOB, call, created, login

PLACE = "POST /api/orders"
LIST = "GET /api/orders"
GET = "GET /api/orders/{id}"
CANCEL = "POST /api/orders/{id}/cancel"
PRODUCT = "GET /api/products/{id}"


def items(*lines: tuple[object, object]) -> dict[str, object]:
    return {"items": [{"product_id": p, "quantity": q} for p, q in lines]}


ORDER_SCENARIOS = (
    Scenario(
        "alice places an order, reads it, lists it and cancels it",
        (
            login(ALICE),
            call(
                PLACE,
                json=items((3, 2), (21, 1)),
                auth="token",
                captures=created("order", "created_at"),
                expect=201,
            ),
            call(PRODUCT, "/api/products/3", expect=200, name="stock was taken"),
            call(GET, "/api/orders/{order_id}", auth="token", expect=200),
            call(LIST, auth="token", expect=200),
            call(LIST, auth="token", query={"per_page": "1", "page": "2"}, expect=200),
            call(CANCEL, "/api/orders/{order_id}/cancel", auth="token", expect=200),
            call(PRODUCT, "/api/products/3", expect=200, name="stock came back"),
            call(CANCEL, "/api/orders/{order_id}/cancel", auth="token", expect=409),
            call(GET, "/api/orders/{order_id}", auth="token", expect=200),
        ),
    ),
    Scenario(
        "placing an order: auth, then the body, then the stock",
        (
            login(ALICE),
            call(PLACE, json=items((1, 1)), expect=401),
            call(PLACE, json=items((1, 1)), headers={"Authorization": "Bearer nope"}, expect=401),
            call(PLACE, json=items((6, 8)), auth="token", expect=409),
            call(PLACE, json=items((1, 1), (9999, 2)), auth="token", expect=409),
            call(PRODUCT, "/api/products/1", expect=200, name="a refused order took nothing"),
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
            login(ALICE),
            login(ADMIN, "admin"),
            call(LIST, auth="token", expect=200),
            call(LIST, auth="admin", expect=200),
            call(LIST, expect=401),
            call(LIST, auth="token", query={"per_page": "0"}, expect=422),
            call(GET, "/api/orders/1", auth="token", expect=200),
            call(GET, "/api/orders/3", auth="token", expect=404),
            call(GET, "/api/orders/999", auth="token", expect=404),
            call(GET, "/api/orders/3", auth="admin", expect=200),
            call(GET, "/api/orders/1", expect=401),
            call(CANCEL, "/api/orders/3/cancel", auth="token", expect=404),
            call(CANCEL, "/api/orders/999/cancel", auth="token", expect=404),
            call(CANCEL, "/api/orders/2/cancel", auth="token", expect=409),
            call(CANCEL, "/api/orders/1/cancel", expect=401),
        ),
    ),
    Scenario(
        "bob cancels a backfilled pending order and its stock comes back",
        (
            login(BOB),
            call(PRODUCT, "/api/products/31", expect=200),
            call(CANCEL, "/api/orders/3/cancel", auth="token", expect=200),
            call(PRODUCT, "/api/products/31", expect=200),
            call(LIST, auth="token", expect=200),
        ),
    ),
)
