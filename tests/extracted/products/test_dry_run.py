"""Shadowed writes (`X-Strangler-Shadow: 1`) answer as the real write would, and leave no trace."""

from __future__ import annotations

import httpx
import pytest

from extracted.common.events import InMemoryPublisher

from .helpers import ADMIN, create_product, product_body

pytestmark = pytest.mark.anyio

SHADOW = {"X-Strangler-Shadow": "1"}


def reservation(product_id: int, quantity: int) -> dict[str, object]:
    return {"items": [{"product_id": product_id, "quantity": quantity}]}


async def test_a_shadowed_create_answers_201_but_stores_and_publishes_nothing(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    response = await client.post("/api/products", json=product_body(), headers={**ADMIN, **SHADOW})
    assert response.status_code == 201
    assert response.json()["sku"] == "BOOK-0001"
    assert publisher.published == []
    assert (await client.get("/api/products")).json()["total"] == 0
    await create_product(client)  # the SKU was never taken


async def test_a_shadowed_patch_answers_with_the_change_but_changes_nothing(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    product = await create_product(client)
    url = f"/api/products/{product['id']}"
    response = await client.patch(
        url, json={"stock": 1, "name": "New"}, headers={**ADMIN, **SHADOW}
    )
    assert response.status_code == 200
    assert (response.json()["stock"], response.json()["name"]) == (1, "New")
    assert (await client.get(url)).json() == product
    assert len(publisher.published) == 1


async def test_a_shadowed_reservation_takes_no_stock_and_is_not_recorded(
    client: httpx.AsyncClient, publisher: InMemoryPublisher
) -> None:
    product = await create_product(client, stock=5)
    shadow = await client.put(
        "/internal/reservations/r-1", json=reservation(product["id"], 5), headers=SHADOW
    )
    assert shadow.status_code == 201
    assert shadow.json()["status"] == "held"
    assert (await client.get(f"/api/products/{product['id']}")).json()["stock"] == 5
    assert len(publisher.published) == 1
    real = await client.put("/internal/reservations/r-1", json=reservation(product["id"], 5))
    assert real.status_code == 201


async def test_a_shadowed_release_leaves_no_tombstone_and_gives_nothing_back(
    client: httpx.AsyncClient,
) -> None:
    product = await create_product(client, stock=5)
    await client.put("/internal/reservations/held", json=reservation(product["id"], 2))
    release = await client.post("/internal/reservations/held/release", headers=SHADOW)
    assert release.json()["status"] == "released"
    tombstone = await client.post("/internal/reservations/ghost/release", headers=SHADOW)
    assert tombstone.status_code == 200
    assert (await client.get(f"/api/products/{product['id']}")).json()["stock"] == 3
    late = await client.put("/internal/reservations/ghost", json=reservation(product["id"], 1))
    assert late.status_code == 201
    confirm = await client.post("/internal/reservations/held/confirm", headers=SHADOW)
    assert confirm.json()["status"] == "confirmed"
    assert (await client.post("/internal/reservations/held/confirm")).json()[
        "status"
    ] == "confirmed"
