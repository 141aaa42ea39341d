"""The order saga across the real auth, products and orders apps: counted, not assumed.

After every failure the invariants are checked by counting rows: no order without stock taken,
no stock taken without an order, never a double decrement.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from .conftest import AUTH, ORDERS, PRODUCTS, Stack, bearer, login
from .network import answer, path_is, refuse

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

LINES = {"items": [{"product_id": 1, "quantity": 2}, {"product_id": 12, "quantity": 1}]}


def orders_count(stack: Stack) -> int:
    value = stack.scalar("orders", "SELECT count(*) FROM orders")
    assert isinstance(value, int)
    return value


def held_or_confirmed(stack: Stack) -> int:
    value = stack.scalar(
        "products", "SELECT count(*) FROM reservations WHERE status IN ('held', 'confirmed')"
    )
    assert isinstance(value, int)
    return value


def snapshot(stack: Stack) -> dict[str, Any]:
    return {
        "stock": (stack.stock(1), stack.stock(12)),
        "orders": orders_count(stack),
        "holds": held_or_confirmed(stack),
    }


async def alice(stack: Stack) -> dict[str, str]:
    return bearer(await login(stack.client, AUTH, "alice@example.com"))


async def test_an_order_and_its_cancel_move_stock_on_products(stack: Stack) -> None:
    headers = await alice(stack)
    before = snapshot(stack)
    placed = await stack.client.post(f"{ORDERS}/api/orders", json=LINES, headers=headers)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert [(i["product_id"], i["quantity"]) for i in order["items"]] == [(1, 2), (12, 1)]
    product = (await stack.client.get(f"{PRODUCTS}/api/products/1")).json()
    assert order["items"][0]["unit_price"] == product["price"]
    assert order["items"][0]["name"] == product["name"]
    assert snapshot(stack) == {
        "stock": (before["stock"][0] - 2, before["stock"][1] - 1),
        "orders": before["orders"] + 1,
        "holds": before["holds"] + 1,
    }
    assert product["stock"] == before["stock"][0] - 2

    cancelled = await stack.client.post(
        f"{ORDERS}/api/orders/{order['id']}/cancel", headers=headers
    )
    assert cancelled.status_code == 200
    assert snapshot(stack) == {**before, "orders": before["orders"] + 1}
    assert [e.type for e in stack.orders_events.published] == ["order.created", "order.cancelled"]


async def test_products_failing_after_the_reservation_leaves_no_order_and_no_stock_taken(
    stack: Stack,
) -> None:
    headers = await alice(stack)
    before = snapshot(stack)
    # products dies right after taking the stock: confirm and release both fail.
    stack.network.faults.append(refuse(lambda r: r.url.path.endswith(("/confirm", "/release"))))
    response = await stack.client.post(f"{ORDERS}/api/orders", json=LINES, headers=headers)
    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "service_unavailable", "message": "products service is unavailable"}
    }
    assert orders_count(stack) == before["orders"]  # no order without...
    assert stack.stock(1) == before["stock"][0] - 2  # ...the hold is still on products
    pending = stack.scalar("orders", "SELECT count(*) FROM reservations WHERE state='releasing'")
    assert pending == 1

    stack.network.heal()  # products is back; the lifespan task (run here by hand) retries
    await stack.orders.state.runtime.wired().saga.recover()
    assert snapshot(stack) == before


async def test_an_orders_database_failure_after_the_reservation_gives_the_stock_back(
    stack: Stack,
) -> None:
    headers = await alice(stack)
    before = snapshot(stack)
    engine = stack.orders.state.runtime.database.engine

    def fail_order_insert(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ORDERS"):
            raise OperationalError(statement, {}, Exception("database is locked"))

    sa.event.listen(engine, "before_cursor_execute", fail_order_insert)
    try:
        response = await stack.client.post(f"{ORDERS}/api/orders", json=LINES, headers=headers)
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail_order_insert)
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "orders database is unavailable"
    assert snapshot(stack) == before


@pytest.mark.parametrize("status", [500, 404])
async def test_a_failing_confirm_deletes_the_order_and_gives_the_stock_back(
    stack: Stack, status: int
) -> None:
    headers = await alice(stack)
    before = snapshot(stack)
    stack.network.faults.append(answer(path_is("POST", "/confirm"), status))
    response = await stack.client.post(f"{ORDERS}/api/orders", json=LINES, headers=headers)
    assert response.status_code == 503
    assert snapshot(stack) == before
    assert stack.orders_events.published == []


async def test_a_reserve_whose_answer_is_lost_is_retried_without_a_double_decrement(
    stack: Stack,
) -> None:
    headers = await alice(stack)
    before = snapshot(stack)
    lost: list[bool] = []

    def lose_first_reserve(request: httpx.Request) -> bool:
        if request.method == "PUT" and not lost:
            lost.append(True)
            return True
        return False

    stack.network.lose_answers.append(lose_first_reserve)
    response = await stack.client.post(f"{ORDERS}/api/orders", json=LINES, headers=headers)
    assert response.status_code == 201
    reserves = [url for method, url in stack.network.log if method == "PUT"]
    assert len(reserves) == 2 and reserves[0] == reserves[1]  # same reservation id
    assert stack.stock(1) == before["stock"][0] - 2  # taken once


async def test_a_reserve_lost_on_every_attempt_is_released_by_id(stack: Stack) -> None:
    headers = await alice(stack)
    before = snapshot(stack)
    stack.network.lose_answers.append(path_is("PUT", ""))
    response = await stack.client.post(f"{ORDERS}/api/orders", json=LINES, headers=headers)
    assert response.status_code == 503
    assert snapshot(stack) == before
    released = stack.scalar("products", "SELECT count(*) FROM reservations WHERE status='released'")
    assert isinstance(released, int) and released >= 1


async def test_products_down_is_a_503_and_changes_nothing(stack: Stack) -> None:
    headers = await alice(stack)
    before = snapshot(stack)
    stack.network.faults.append(refuse(lambda r: r.url.host == "products.test"))
    response = await stack.client.post(f"{ORDERS}/api/orders", json=LINES, headers=headers)
    assert response.status_code == 503
    stack.network.heal()
    await stack.orders.state.runtime.wired().saga.recover()
    assert snapshot(stack) == before


async def test_auth_down_is_a_503(stack: Stack) -> None:
    headers = await alice(stack)
    stack.network.faults.append(refuse(lambda r: r.url.host == "auth.test"))
    response = await stack.client.get(f"{ORDERS}/api/orders", headers=headers)
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "auth service is unavailable"


async def test_concurrent_orders_for_the_last_unit_never_oversell(stack: Stack) -> None:
    engine = stack.engine("products")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE products SET stock = 1 WHERE id = 7"))
    engine.dispose()
    tokens = [await login(stack.client, AUTH, email) for email in
              ("alice@example.com", "bob@example.com", "carol@example.com")] * 3  # fmt: skip
    before = orders_count(stack)
    body = {"items": [{"product_id": 7, "quantity": 1}]}
    responses = await asyncio.gather(
        *(stack.client.post(f"{ORDERS}/api/orders", json=body, headers=bearer(t)) for t in tokens)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (len(tokens) - 1), [r.text for r in responses]
    assert stack.stock(7) == 0
    assert orders_count(stack) == before + 1
    shortage = next(r for r in responses if r.status_code == 409).json()
    assert shortage["error"]["details"]["shortages"] == [
        {"available": 0, "product_id": 7, "requested": 1}
    ]


async def test_a_dry_run_order_leaves_no_trace_on_either_service(stack: Stack) -> None:
    headers = await alice(stack)
    before = snapshot(stack)
    reservations = stack.scalar("products", "SELECT count(*) FROM reservations")
    response = await stack.client.post(
        f"{ORDERS}/api/orders", json=LINES, headers={**headers, "X-Strangler-Shadow": "1"}
    )
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert snapshot(stack) == before
    assert stack.scalar("products", "SELECT count(*) FROM reservations") == reservations
    assert stack.orders_events.published == []
    assert [e.type for e in stack.products_events.published] == []


async def test_cancelling_a_backfilled_monolith_order_gives_its_stock_back(stack: Stack) -> None:
    headers = await alice(stack)
    order = (await stack.client.get(f"{ORDERS}/api/orders/1", headers=headers)).json()
    assert order["status"] == "pending"
    stock = {i["product_id"]: stack.stock(i["product_id"]) for i in order["items"]}
    response = await stack.client.post(f"{ORDERS}/api/orders/1/cancel", headers=headers)
    assert response.status_code == 200
    for item in order["items"]:
        assert stack.stock(item["product_id"]) == stock[item["product_id"]] + item["quantity"]
