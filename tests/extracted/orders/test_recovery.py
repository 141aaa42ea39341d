"""What a crash or a dead dependency leaves behind is finished later: the lifespan task's job."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import sqlalchemy as sa
from fastapi import FastAPI

from extracted.common.formats import utcnow
from extracted.orders_service.app import create_app
from extracted.orders_service.pricing import priced_lines
from extracted.orders_service.saga import OrderSaga
from extracted.orders_service.settings import OrdersSettings

from .conftest import count
from .fakes import AUTH, PRODUCTS, FakeProducts, auth_header

pytestmark = pytest.mark.anyio

ALICE = auth_header("alice-token")


def saga_of(app: FastAPI) -> OrderSaga:
    saga: OrderSaga = app.state.runtime.wired().saga
    return saga


def age_all_sagas(db: sa.Engine, seconds: int = 3600) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.text("UPDATE reservations SET updated_at = :t"),
            {"t": utcnow() - timedelta(seconds=seconds)},
        )


async def test_a_crash_after_reserving_is_released_once_the_saga_is_stale(
    app: FastAPI, client: httpx.AsyncClient, products: FakeProducts, db: sa.Engine
) -> None:
    saga = saga_of(app)
    saga.store.begin_saga("11111111-1111-4111-8111-111111111111")
    await saga.products.reserve("11111111-1111-4111-8111-111111111111", [(1, 4)], dry_run=False)
    assert products.stock[1] == 6  # ...and the process died here

    await saga.recover()
    assert products.stock[1] == 6  # too young: it could be a request still in flight
    age_all_sagas(db)
    await saga.recover()
    assert products.stock[1] == 10
    assert count(db, "reservations", "WHERE state = 'released'") == 1


async def test_a_crash_after_the_order_commit_is_confirmed_forward(
    app: FastAPI, client: httpx.AsyncClient, products: FakeProducts, db: sa.Engine
) -> None:
    # A hard kill between the order commit and the confirm leaves exactly this state:
    saga = saga_of(app)
    rid = "22222222-2222-4222-8222-222222222222"
    saga.store.begin_saga(rid)
    reserved = await saga.products.reserve(rid, [(2, 2)], dry_run=False)
    order = saga.store.create_order(2, priced_lines([(2, 2)], reserved), rid, dry_run=False)
    age_all_sagas(db)

    await saga.recover()
    assert products.reservations[rid]["status"] == "confirmed"
    fetched = await client.get(f"/api/orders/{order['id']}", headers=ALICE)
    assert fetched.json() == order
    with db.connect() as conn:
        state = conn.execute(
            sa.text("SELECT state FROM reservations WHERE reservation_id = :r"), {"r": rid}
        ).scalar_one()
    assert state == "confirmed"


async def test_an_order_whose_hold_products_let_go_is_removed_by_recovery(
    app: FastAPI, client: httpx.AsyncClient, products: FakeProducts, db: sa.Engine
) -> None:
    saga = saga_of(app)
    rid = "33333333-3333-4333-8333-333333333333"
    saga.store.begin_saga(rid)
    reserved = await saga.products.reserve(rid, [(1, 1)], dry_run=False)
    saga.store.create_order(2, priced_lines([(1, 1)], reserved), rid, dry_run=False)
    products.reservations[rid]["status"] = "released"  # products' TTL released it
    products.stock[1] += 1
    age_all_sagas(db)

    await saga.recover()
    assert count(db, "orders") == 0
    assert products.stock[1] == 10


async def test_the_lifespan_task_retries_failed_releases(database_url: str, tmp_path: Path) -> None:
    settings = OrdersSettings(
        database_url=database_url,
        auth_service_url=AUTH,
        products_service_url=PRODUCTS,
        http_timeout_seconds=0.3,
        compensation_interval_seconds=0.05,
    )
    products = FakeProducts()
    with respx.mock(assert_all_called=False) as mock:  # the app's own client is mocked too
        products.install(mock)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            saga = saga_of(app)
            saga.store.begin_saga("44444444-4444-4444-8444-444444444444")
            await saga.products.reserve(
                "44444444-4444-4444-8444-444444444444", [(1, 3)], dry_run=False
            )
            saga.store.record_release_attempt("44444444-4444-4444-8444-444444444444", "down")
            for _ in range(100):
                if products.stock[1] == 10:
                    break
                await asyncio.sleep(0.02)
            assert products.stock[1] == 10
            client = app.state.runtime.wired().client
        assert client.is_closed  # startup's client is closed at shutdown
        assert not app.state.runtime.bound


async def test_readyz_checks_the_database_and_both_services(
    app: FastAPI, client: httpx.AsyncClient, upstream: respx.MockRouter
) -> None:
    auth = upstream.get(f"{AUTH}/healthz").mock(return_value=httpx.Response(200))
    upstream.get(f"{PRODUCTS}/healthz").mock(return_value=httpx.Response(200))
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "checks": {"auth": True, "database": True, "products": True},
        "status": "ready",
    }
    auth.mock(side_effect=httpx.ConnectError("refused"))
    not_ready = await client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["auth"] is False


async def test_an_app_without_a_client_or_lifespan_says_so(database_url: str) -> None:
    app = create_app(OrdersSettings(database_url=database_url))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://o.test") as client:
        response = await client.get("/api/orders", headers=ALICE)
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "Internal server error"}
    }
    app.state.runtime.database.dispose()


async def test_an_order_written_after_its_saga_was_given_up_is_not_kept(
    app: FastAPI,
    client: httpx.AsyncClient,
    products: FakeProducts,
    db: sa.Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = saga_of(app).store
    original = store.create_order

    def slow_writer(*args: Any, **kwargs: Any) -> Any:
        # Recovery decided this request had crashed just before its order got written.
        store.abandon_order(args[2])
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "create_order", slow_writer)
    response = await client.post(
        "/api/orders", json={"items": [{"product_id": 1, "quantity": 2}]}, headers=ALICE
    )
    assert response.status_code == 503
    assert count(db, "orders") == 0
    assert products.stock[1] == 10


async def test_a_late_confirm_does_not_undo_a_cancel(
    app: FastAPI, client: httpx.AsyncClient, products: FakeProducts, db: sa.Engine
) -> None:
    saga = saga_of(app)
    rid = "55555555-5555-4555-8555-555555555555"
    saga.store.begin_saga(rid)
    reserved = await saga.products.reserve(rid, [(1, 1)], dry_run=False)
    order = saga.store.create_order(2, priced_lines([(1, 1)], reserved), rid, dry_run=False)
    cancelled = saga.store.cancel(order["id"], dry_run=False)
    assert cancelled.reservation_id == rid
    saga.store.confirmed(rid)  # recovery's confirm landing after the cancel
    with db.connect() as conn:
        state = conn.execute(sa.text("SELECT state FROM reservations")).scalar_one()
    assert state == "releasing"
    await saga.retry_releases()
    assert products.stock[1] == 10
