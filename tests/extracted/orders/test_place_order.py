"""POST /api/orders: the saga's happy path, every failure around the reservation, and dry run."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import respx
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from extracted.common.events import InMemoryPublisher
from extracted.orders_service.store import OrderStore

from .conftest import count
from .fakes import AUTH, FakeProducts, auth_header, envelope

pytestmark = pytest.mark.anyio

ALICE = auth_header("alice-token")
ORDER = {"items": [{"product_id": 2, "quantity": 2}, {"product_id": 1, "quantity": 3}]}


def reservation_state(db: sa.Engine) -> list[tuple[str, str, int | None]]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT reservation_id, state, order_id FROM reservations ORDER BY created_at")
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def test_an_order_takes_stock_through_a_confirmed_reservation(
    client: httpx.AsyncClient, products: FakeProducts, publisher: InMemoryPublisher, db: sa.Engine
) -> None:
    response = await client.post("/api/orders", json=ORDER, headers=ALICE)

    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    order = response.json()
    assert order["status"] == "pending"
    assert order["user_id"] == 2
    assert order["total"] == "70.07"
    assert order["items"] == [  # the client's order, priced from the reservation
        {"line_total": "10.10", "name": "Seams", "product_id": 2, "quantity": 2,
         "unit_price": "5.05"},
        {"line_total": "59.97", "name": "The Fig Tree", "product_id": 1, "quantity": 3,
         "unit_price": "19.99"},
    ]  # fmt: skip
    assert order["created_at"].endswith(" GMT")
    assert products.stock == {1: 7, 2: 3, 3: 0}
    [rid] = products.steps("reserve")
    assert products.steps("confirm") == [rid]
    assert products.reservations[rid]["status"] == "confirmed"
    assert reservation_state(db) == [(rid, "confirmed", order["id"])]
    assert [(e.type, e.aggregate_id, e.data) for e in publisher.published] == [
        ("order.created", str(order["id"]), order)
    ]
    got = await client.get(f"/api/orders/{order['id']}", headers=ALICE)
    assert got.json() == order


async def test_without_a_bearer_token_it_is_401_without_asking_auth(
    client: httpx.AsyncClient, auth_route: respx.Route
) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        response = await client.post("/api/orders", json=ORDER, headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "error": {"code": "unauthorized", "message": "Authentication required"}
        }
    assert auth_route.call_count == 0


async def test_auth_401_passes_through_in_the_same_envelope(
    client: httpx.AsyncClient, products: FakeProducts
) -> None:
    response = await client.post("/api/orders", json=ORDER, headers=auth_header("nope"))
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "invalid_token", "message": "Invalid or expired token"}
    }
    assert products.calls == []


async def test_auth_is_checked_before_the_body_as_the_monolith_does(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/orders", content=b"nonsense", headers=auth_header("x"))
    assert response.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(500)],
    ids=["refused", "timeout", "500"],
)
async def test_auth_down_is_503_after_retries(
    client: httpx.AsyncClient,
    upstream: respx.MockRouter,
    products: FakeProducts,
    failure: Exception | httpx.Response,
) -> None:
    route = upstream.get(f"{AUTH}/api/auth/me")
    if isinstance(failure, Exception):
        route.mock(side_effect=failure)
    else:
        route.mock(return_value=failure)
    response = await client.post("/api/orders", json=ORDER, headers=ALICE)
    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "service_unavailable", "message": "auth service is unavailable"}
    }
    assert route.call_count == 3  # GET is idempotent: two retries
    assert products.calls == []


async def test_a_slow_auth_is_503_within_the_timeouts(
    client: httpx.AsyncClient, upstream: respx.MockRouter
) -> None:
    async def slow(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    upstream.get(f"{AUTH}/api/auth/me").mock(side_effect=slow)
    started = time.monotonic()
    response = await client.get("/api/orders", headers=ALICE)
    assert response.status_code == 503
    assert time.monotonic() - started < 3 * 0.3 + 1  # three attempts of 0.3s, plus backoff


async def test_short_stock_is_409_with_the_shortages_and_nothing_kept(
    client: httpx.AsyncClient, products: FakeProducts, db: sa.Engine, publisher: InMemoryPublisher
) -> None:
    body = {"items": [{"product_id": 1, "quantity": 11}, {"product_id": 3, "quantity": 1},
                      {"product_id": 2, "quantity": 1}]}  # fmt: skip
    response = await client.post("/api/orders", json=body, headers=ALICE)
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "insufficient_stock",
            "message": "Insufficient stock",
            "details": {
                "shortages": [
                    {"available": 10, "product_id": 1, "requested": 11},
                    {"available": 0, "product_id": 3, "requested": 1},
                ]
            },
        }
    }
    assert products.stock == {1: 10, 2: 5, 3: 0}
    assert count(db, "orders") == 0
    assert [state for _, state, _ in reservation_state(db)] == ["released"]
    assert publisher.published == []


async def test_a_reserve_retried_after_a_timeout_reuses_the_reservation_id(
    client: httpx.AsyncClient, products: FakeProducts
) -> None:
    route = products.routes["reserve"]
    applied_then_lost: list[bool] = []

    def first_times_out(request: httpx.Request, rid: str) -> httpx.Response:
        response = products.reserve(request, rid)
        if not applied_then_lost:
            applied_then_lost.append(True)
            raise httpx.ReadTimeout("the reserve was applied but its answer was lost")
        return response

    route.mock(side_effect=first_times_out)
    response = await client.post("/api/orders", json=ORDER, headers=ALICE)
    assert response.status_code == 201
    first, second = products.steps("reserve")
    assert first == second
    assert products.stock == {1: 7, 2: 3, 3: 0}  # taken once


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(502)],
    ids=["refused", "timeout", "502"],
)
async def test_products_down_on_reserve_is_503_and_the_id_is_released(
    client: httpx.AsyncClient, products: FakeProducts, db: sa.Engine, failure: object
) -> None:
    route = products.routes["reserve"]
    if isinstance(failure, httpx.Response):
        route.mock(return_value=failure)
    else:
        route.mock(side_effect=failure)
    response = await client.post("/api/orders", json=ORDER, headers=ALICE)
    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "service_unavailable", "message": "products service is unavailable"}
    }
    assert route.call_count == 3
    rid = {r.request.url.path.rsplit("/", 1)[1] for r in route.calls}
    assert len(rid) == 1  # every retry used the same id
    assert products.steps("release") == list(rid)  # a late reserve with it is refused
    assert count(db, "orders") == 0
    assert [state for _, state, _ in reservation_state(db)] == ["released"]


async def test_a_slow_products_is_503_within_the_timeouts(
    client: httpx.AsyncClient, products: FakeProducts
) -> None:
    async def slow(_request: httpx.Request, rid: str) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(201)

    products.routes["reserve"].mock(side_effect=slow)
    started = time.monotonic()
    response = await client.post("/api/orders", json=ORDER, headers=ALICE)
    assert response.status_code == 503
    assert time.monotonic() - started < 3 * 0.3 + 1 + 0.5  # reserve attempts, then a release


async def test_a_database_error_after_the_reservation_releases_it_and_keeps_no_order(
    client: httpx.AsyncClient,
    products: FakeProducts,
    db: sa.Engine,
    monkeypatch: pytest.MonkeyPatch,
    publisher: InMemoryPublisher,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("INSERT INTO orders", {}, Exception("disk I/O error"))

    monkeypatch.setattr(OrderStore, "create_order", broken)
    response = await client.post("/api/orders", json=ORDER, headers=ALICE)
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "orders database is unavailable"
    [rid] = products.steps("reserve")
    assert products.steps("release") == [rid]
    assert products.stock == {1: 10, 2: 5, 3: 0}
    assert count(db, "orders") == 0
    assert publisher.published == []


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.Response(500), envelope(409, "invalid_state", "x")],
    ids=["refused", "500", "409"],
)
async def test_a_failing_confirm_deletes_the_order_and_releases_the_stock(
    client: httpx.AsyncClient,
    products: FakeProducts,
    db: sa.Engine,
    failure: object,
    publisher: InMemoryPublisher,
) -> None:
    route = products.routes["confirm"]
    if isinstance(failure, httpx.Response):
        route.mock(return_value=failure)
    else:
        route.mock(side_effect=failure)
    response = await client.post("/api/orders", json=ORDER, headers=ALICE)
    assert response.status_code == 503
    [rid] = products.steps("reserve")
    assert products.steps("release") == [rid]
    assert products.stock == {1: 10, 2: 5, 3: 0}
    assert count(db, "orders") == 0
    assert count(db, "order_items") == 0
    assert reservation_state(db) == [(rid, "released", None)]
    assert publisher.published == []


async def test_a_failed_release_is_recorded_and_retried_on_the_next_request(
    client: httpx.AsyncClient, products: FakeProducts, db: sa.Engine
) -> None:
    products.routes["confirm"].mock(side_effect=httpx.ConnectError("refused"))
    products.routes["release"].mock(side_effect=httpx.ConnectError("refused"))
    response = await client.post("/api/orders", json=ORDER, headers=ALICE)
    assert response.status_code == 503
    [rid] = products.steps("reserve")
    assert reservation_state(db) == [(rid, "releasing", None)]
    with db.connect() as conn:
        attempts, error = conn.execute(
            sa.text("SELECT attempts, last_error FROM reservations")
        ).one()
    # The saga's own release, then the retry that follows every order request's answer.
    assert attempts == 2 and error == "products service is unavailable"
    assert products.stock == {1: 7, 2: 3, 3: 0}  # still held on products (its TTL would free it)

    products.routes["confirm"].mock(side_effect=products.confirm)
    products.routes["release"].mock(side_effect=products.release)
    again = await client.post("/api/orders", json=ORDER, headers=ALICE)
    assert again.status_code == 201
    assert rid in products.steps("release")
    assert products.stock == {1: 7, 2: 3, 3: 0}  # the old hold back, the new order's taken
    states = dict((r, s) for r, s, _ in reservation_state(db))
    assert states[rid] == "released"


async def test_a_dry_run_passes_the_header_on_and_leaves_no_trace(
    client: httpx.AsyncClient, products: FakeProducts, db: sa.Engine, publisher: InMemoryPublisher
) -> None:
    headers = {**ALICE, "X-Strangler-Shadow": "1"}
    response = await client.post("/api/orders", json=ORDER, headers=headers)
    assert response.status_code == 201
    assert response.json()["total"] == "70.07"
    assert publisher.published == []
    assert count(db, "orders") == 0
    assert count(db, "reservations") == 0
    # Our fake ignores the header (takes stock for real): the closing release gives it back.
    assert products.stock == {1: 10, 2: 5, 3: 0}
    steps = [(name, headers.get("x-strangler-shadow")) for name, _, headers in products.calls]
    assert steps == [("reserve", "1"), ("release", "1")]


async def test_a_dry_run_reports_short_stock_like_the_real_write(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    body = {"items": [{"product_id": 3, "quantity": 1}]}
    response = await client.post(
        "/api/orders", json=body, headers={**ALICE, "X-Strangler-Shadow": "1"}
    )
    assert response.status_code == 409
    assert publisher.published == []


async def test_unknown_products_come_back_as_shortages(
    client: httpx.AsyncClient,
) -> None:
    body = {"items": [{"product_id": 99, "quantity": 1}]}
    response = await client.post("/api/orders", json=body, headers=ALICE)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["shortages"] == [
        {"available": 0, "product_id": 99, "requested": 1}
    ]


async def test_products_answering_without_the_lines_is_503_and_released(
    client: httpx.AsyncClient, products: FakeProducts
) -> None:
    def wrong(request: httpx.Request, rid: str) -> httpx.Response:
        products.reserve(request, rid)
        return httpx.Response(201, json={"reservation_id": rid, "status": "held", "items": []})

    products.routes["reserve"].mock(side_effect=wrong)
    response = await client.post("/api/orders", json=ORDER, headers=ALICE)
    assert response.status_code == 503
    assert products.stock == {1: 10, 2: 5, 3: 0}


async def test_a_failing_publisher_does_not_undo_a_placed_order(
    client: httpx.AsyncClient,
    products: FakeProducts,
    publisher: InMemoryPublisher,
    db: sa.Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(_events: object) -> None:
        raise RuntimeError("bus down")

    monkeypatch.setattr(publisher, "publish", broken)
    response = await client.post("/api/orders", json=ORDER, headers=ALICE)
    assert response.status_code == 201  # a 500 here would make the client order twice
    assert count(db, "orders") == 1
    assert products.stock == {1: 7, 2: 3, 3: 0}
