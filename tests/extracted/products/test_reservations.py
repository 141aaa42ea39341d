"""Internal reservations: idempotent, all or nothing, released once, tombstoned, expired."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from extracted.common.database import Database, make_engine
from extracted.common.events import InMemoryPublisher, NullPublisher
from extracted.products_service.reservations import expire

from .helpers import create_product

pytestmark = pytest.mark.anyio


def items(*pairs: tuple[int, int]) -> dict[str, Any]:
    return {"items": [{"product_id": p, "quantity": q} for p, q in pairs]}


async def stock_of(client: httpx.AsyncClient, product_id: int) -> int:
    level: int = (await client.get(f"/api/products/{product_id}")).json()["stock"]
    return level


async def test_reserve_takes_stock_and_returns_the_held_reservation(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    product = await create_product(client, stock=10, price="2.5")
    response = await client.put(
        "/internal/reservations/r-1", json=items((product["id"], 3), (product["id"], 1))
    )
    assert response.status_code == 201
    assert response.json() == {
        "items": [
            {
                "name": "The Fig Tree",
                "product_id": product["id"],
                "quantity": 4,
                "unit_price": "2.50",
            }
        ],
        "reservation_id": "r-1",
        "status": "held",
    }
    assert await stock_of(client, product["id"]) == 6
    assert publisher.published[-1].data == {"product_id": product["id"], "stock": 6}


async def test_repeating_a_reservation_returns_it_with_200_and_takes_nothing_more(
    client: httpx.AsyncClient,
) -> None:
    product = await create_product(client, stock=10)
    first = await client.put("/internal/reservations/r-1", json=items((product["id"], 3)))
    again = await client.put("/internal/reservations/r-1", json=items((product["id"], 3)))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert await stock_of(client, product["id"]) == 7


async def test_a_short_reservation_takes_nothing_at_all(client: httpx.AsyncClient) -> None:
    a = await create_product(client, sku="A", stock=5)
    b = await create_product(client, sku="B", stock=1)
    response = await client.put(
        "/internal/reservations/r-1", json=items((a["id"], 2), (b["id"], 2), (999, 1))
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "insufficient_stock",
            "details": {
                "shortages": [
                    {"available": 1, "product_id": b["id"], "requested": 2},
                    {"available": 0, "product_id": 999, "requested": 1},
                ]
            },
            "message": "Insufficient stock",
        }
    }
    assert await stock_of(client, a["id"]) == 5
    # Nothing was recorded either: the same id can be used once stock is there.
    retry = await client.put("/internal/reservations/r-1", json=items((a["id"], 2)))
    assert retry.status_code == 201


async def test_confirm_moves_held_to_confirmed_and_repeating_is_a_no_op(
    client: httpx.AsyncClient,
) -> None:
    product = await create_product(client, stock=10)
    await client.put("/internal/reservations/r-1", json=items((product["id"], 3)))
    for _ in range(2):
        response = await client.post("/internal/reservations/r-1/confirm")
        assert response.status_code == 200
        assert response.json()["status"] == "confirmed"
    assert await stock_of(client, product["id"]) == 7


async def test_confirm_of_an_unknown_reservation_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/internal/reservations/nope/confirm")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Reservation nope not found"}
    }


async def test_release_gives_stock_back_once(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    product = await create_product(client, stock=10)
    await client.put("/internal/reservations/r-1", json=items((product["id"], 3)))
    for _ in range(3):
        response = await client.post("/internal/reservations/r-1/release")
        assert response.status_code == 200
        assert response.json()["status"] == "released"
    assert await stock_of(client, product["id"]) == 10
    assert [e.data["stock"] for e in publisher.published] == [10, 7, 10]


async def test_releasing_a_confirmed_reservation_restores_its_stock(
    client: httpx.AsyncClient,
) -> None:
    product = await create_product(client, stock=10)
    await client.put("/internal/reservations/r-1", json=items((product["id"], 3)))
    await client.post("/internal/reservations/r-1/confirm")
    await client.post("/internal/reservations/r-1/release")
    assert await stock_of(client, product["id"]) == 10


async def test_a_released_reservation_cannot_be_reserved_or_confirmed_again(
    client: httpx.AsyncClient,
) -> None:
    product = await create_product(client, stock=10)
    await client.put("/internal/reservations/r-1", json=items((product["id"], 3)))
    await client.post("/internal/reservations/r-1/release")
    invalid = {"error": {"code": "invalid_state", "message": "Reservation r-1 is released"}}
    again = await client.put("/internal/reservations/r-1", json=items((product["id"], 3)))
    assert (again.status_code, again.json()) == (409, invalid)
    confirm = await client.post("/internal/reservations/r-1/confirm")
    assert (confirm.status_code, confirm.json()) == (409, invalid)
    assert await stock_of(client, product["id"]) == 10


async def test_releasing_an_unknown_id_leaves_a_tombstone_that_refuses_a_late_reserve(
    client: httpx.AsyncClient,
) -> None:
    product = await create_product(client, stock=10)
    response = await client.post("/internal/reservations/late/release")
    assert response.status_code == 200
    assert response.json() == {"items": [], "reservation_id": "late", "status": "released"}
    late = await client.put("/internal/reservations/late", json=items((product["id"], 3)))
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "invalid_state"
    assert await stock_of(client, product["id"]) == 10


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"", 400), (b"[]", 400), (b'{"items": []}', 422), (b'{"items": [{"product_id": 1}]}', 422)],
)
async def test_reserve_bodies_are_validated(
    client: httpx.AsyncClient, content: bytes, status: int
) -> None:
    response = await client.put("/internal/reservations/r-1", content=content)
    assert response.status_code == status


async def test_an_overlong_reservation_id_is_422(client: httpx.AsyncClient) -> None:
    response = await client.put("/internal/reservations/" + "r" * 129, json=items((1, 1)))
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "reservation_id"}


def _age_reservations(database_url: str, seconds: int) -> None:
    """Move every reservation's creation `seconds` into the past (the TTL clock is the DB row)."""
    engine = make_engine(database_url)
    table = sa.table("reservations", sa.column("id"), sa.column("created_at", sa.DateTime))
    with engine.begin() as conn:
        for ident, created_at in conn.execute(sa.select(table.c.id, table.c.created_at)).all():
            older = created_at - timedelta(seconds=seconds)
            conn.execute(sa.update(table).where(table.c.id == ident).values(created_at=older))
    engine.dispose()


async def test_held_reservations_past_the_ttl_are_released_on_the_next_reservation_call(
    client: httpx.AsyncClient, database_url: str
) -> None:
    product = await create_product(client, stock=10)
    await client.put("/internal/reservations/old", json=items((product["id"], 10)))
    short = await client.put("/internal/reservations/x", json=items((product["id"], 1)))
    assert short.status_code == 409
    _age_reservations(database_url, 301)
    fresh = await client.put("/internal/reservations/new", json=items((product["id"], 4)))
    assert fresh.status_code == 201
    assert await stock_of(client, product["id"]) == 6
    confirm = await client.post("/internal/reservations/old/confirm")
    assert confirm.status_code == 409


async def test_confirmed_reservations_never_expire(
    client: httpx.AsyncClient, database_url: str
) -> None:
    product = await create_product(client, stock=10)
    await client.put("/internal/reservations/a", json=items((product["id"], 2)))
    await client.put("/internal/reservations/b", json=items((product["id"], 3)))
    await client.post("/internal/reservations/b/confirm")
    _age_reservations(database_url, 301)
    database = Database(database_url)
    assert expire(database.sessions, NullPublisher(), 300) == 1
    assert expire(database.sessions, NullPublisher(), 300) == 0
    database.dispose()
    assert await stock_of(client, product["id"]) == 7


async def test_concurrent_reservations_for_the_last_units_never_oversell(
    client: httpx.AsyncClient,
) -> None:
    product = await create_product(client, stock=5)
    responses = await asyncio.gather(
        *(
            client.put(f"/internal/reservations/c-{n}", json=items((product["id"], 1)))
            for n in range(20)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 5 + [409] * 15
    assert await stock_of(client, product["id"]) == 0


async def test_concurrent_repeats_of_one_id_take_the_stock_once(
    client: httpx.AsyncClient,
) -> None:
    product = await create_product(client, stock=10)
    responses = await asyncio.gather(
        *(
            client.put("/internal/reservations/same", json=items((product["id"], 2)))
            for _ in range(10)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert await stock_of(client, product["id"]) == 8


async def test_concurrent_releases_give_back_once(client: httpx.AsyncClient) -> None:
    product = await create_product(client, stock=10)
    await client.put("/internal/reservations/r", json=items((product["id"], 4)))
    responses = await asyncio.gather(
        *(client.post("/internal/reservations/r/release") for _ in range(10))
    )
    assert {r.status_code for r in responses} == {200}
    assert await stock_of(client, product["id"]) == 10
