"""The demo seed is deterministic and idempotent; bulk products too."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from legacy_monolith import create_app
from legacy_monolith.db import engine_of
from legacy_monolith.seed import SchemaMissing, seed

from .conftest import FAST_HASH

pytestmark = pytest.mark.integration


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = sa.create_engine(url)
    queries = {
        "users": "SELECT id, email, name, is_admin FROM users ORDER BY id",
        "products": "SELECT id, sku, name, category, price, stock FROM products ORDER BY id",
        "orders": "SELECT id, user_id, status, total FROM orders ORDER BY id",
        "order_items": "SELECT order_id, position, product_id, quantity, line_total "
        "FROM order_items ORDER BY id",
    }
    with engine.connect() as conn:
        result = {
            name: [tuple(row) for row in conn.execute(sa.text(q))] for name, q in queries.items()
        }
    engine.dispose()
    return result


def test_seeding_twice_gives_the_same_data(database_url: str) -> None:
    first = seed(database_url, password_hash_method=FAST_HASH)
    before = snapshot(database_url)
    second = seed(database_url, password_hash_method=FAST_HASH)
    assert first == second
    assert snapshot(database_url) == before
    assert (first.users, first.orders) == (4, 3)
    assert 40 <= first.products <= 60
    assert len({row[3] for row in before["products"]}) >= 4


def test_seeded_accounts_can_log_in_and_see_their_orders(database_url: str) -> None:
    seed(database_url, password_hash_method=FAST_HASH)
    app = create_app({"DATABASE_URL": database_url})
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://m") as client:
        admin = client.post(
            "/api/auth/login", json={"email": "admin@example.com", "password": "admin-password"}
        ).json()
        assert admin["user"]["is_admin"] is True
        for email in ("alice@example.com", "bob@example.com", "carol@example.com"):
            login = client.post("/api/auth/login", json={"email": email, "password": "password123"})
            assert login.status_code == 200
        token = login.json()["token"]
        alice = client.post(
            "/api/auth/login", json={"email": "alice@example.com", "password": "password123"}
        ).json()["token"]
        orders = client.get("/api/orders", headers={"Authorization": f"Bearer {alice}"}).json()
        assert [o["status"] for o in orders["items"]] == ["cancelled", "pending"]
        assert (
            client.get("/api/orders", headers={"Authorization": f"Bearer {token}"}).json()["total"]
            == 0
        )
        products = client.get("/api/products", params={"category": "books"}).json()
        assert products["items"][0]["sku"] == "BOOK-0001"
    engine_of(app).dispose()


def test_bulk_products_are_inserted_once_and_can_grow(database_url: str) -> None:
    seed(database_url, password_hash_method=FAST_HASH, bulk_products=25)
    done: list[int] = []
    report = seed(
        database_url, password_hash_method=FAST_HASH, bulk_products=30, progress=done.append
    )
    assert report.bulk_inserted == 5
    assert sum(done) == 30
    again = seed(database_url, password_hash_method=FAST_HASH, bulk_products=30)
    assert again.bulk_inserted == 0
    assert again.products == report.products
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM products WHERE sku LIKE 'BULK-%'"))
        assert count.scalar_one() == 30
    engine.dispose()


def test_seeding_a_database_without_tables_says_to_upgrade_first(tmp_path: Path) -> None:
    with pytest.raises(SchemaMissing, match="run `strangler db upgrade` first"):
        seed(f"sqlite:///{tmp_path}/empty.db")
