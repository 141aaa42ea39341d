"""Backfill: the monolith's rows land in each service's tables; twice is the same as once."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from migration_plan.data.backfill import BackfillError, backfill
from migration_plan.data.mappings import legacy_reservation_id
from migration_plan.data.monolith_tables import sessions

from .conftest import NewDatabase, dump

# (service, [(service table, monolith table or None, ORDER BY)])
TABLES = {
    "auth": [("users", "users", "id"), ("sessions", "sessions", "token")],
    "products": [
        ("products", "products", "id"),
        ("reservations", None, "id"),
        ("reservation_items", None, "reservation_id, position"),
    ],
    "orders": [
        ("orders", "orders", "id"),
        ("order_items", "order_items", "id"),
        ("reservations", None, "reservation_id"),
    ],
}


def login_session(monolith_url: str) -> None:
    """A session row, so `sessions` has something to copy."""
    engine = sa.create_engine(monolith_url)
    with engine.begin() as conn:
        conn.execute(
            sessions.insert().values(
                token="tok-1",
                user_id=2,
                created_at=datetime(2026, 11, 27, 4),
                expires_at=datetime(2026, 11, 28, 4),
            )
        )
    engine.dispose()


@pytest.mark.parametrize("service", ["auth", "products", "orders"])
def test_backfilling_twice_gives_the_same_rows(
    service: str, monolith_url: str, new_database: NewDatabase
) -> None:
    login_session(monolith_url)
    target = new_database(service)

    first = backfill(service, monolith_url, target, batch_size=2)
    after_first = {t: dump(target, t, o) for t, _, o in TABLES[service]}
    second = backfill(service, monolith_url, target, batch_size=1000)
    after_second = {t: dump(target, t, o) for t, _, o in TABLES[service]}

    assert after_first == after_second
    assert {t: c.read for t, c in first.tables.items()} == {
        t: c.read for t, c in second.tables.items()
    }
    assert all(c.updated == 0 for c in first.tables.values())
    assert all(c.inserted == 0 and c.updated == c.read for c in second.tables.values())
    for table, source, order_by in TABLES[service]:
        assert first.tables[table].read == len(after_first[table])
        if source is not None:  # copied column for column
            assert after_first[table] == dump(monolith_url, source, order_by)


def test_the_seeded_data_set_arrives_whole(monolith_url: str, new_database: NewDatabase) -> None:
    counts = {}
    for service in ("auth", "products", "orders"):
        report = backfill(service, monolith_url, new_database(service))
        counts.update({f"{service}.{t}": c.read for t, c in report.tables.items()})
    assert counts == {
        "auth.users": 4,
        "auth.sessions": 0,
        "products.products": 50,
        "products.reservations": 3,
        "products.reservation_items": 3,  # the two pending orders' lines
        "orders.orders": 3,
        "orders.order_items": 4,
        "orders.reservations": 3,
    }


def test_a_rerun_brings_the_monolith_changes_over(
    monolith_url: str, new_database: NewDatabase
) -> None:
    products, orders = new_database("products"), new_database("orders")
    backfill("products", monolith_url, products)
    backfill("orders", monolith_url, orders)
    engine = sa.create_engine(monolith_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE products SET price = 1.50, stock = 77 WHERE id = 1"))
        conn.execute(sa.text("UPDATE orders SET status = 'cancelled' WHERE id = 1"))
    engine.dispose()

    backfill("products", monolith_url, products)
    backfill("orders", monolith_url, orders)

    [product] = [p for p in dump(products, "products", "id") if p["id"] == 1]
    assert (product["price"], product["stock"]) == (Decimal("1.50"), 77)
    [order] = [o for o in dump(orders, "orders", "id") if o["id"] == 1]
    assert order["status"] == "cancelled"
    legacy = legacy_reservation_id(1)
    holds = {r["id"]: r["status"] for r in dump(products, "reservations", "id")}
    saga = {r["reservation_id"]: r["state"] for r in dump(orders, "reservations", "order_id")}
    assert holds[legacy] == saga[legacy] == "released"


def test_monolith_orders_get_a_shared_legacy_reservation(
    monolith_url: str, new_database: NewDatabase
) -> None:
    products, orders = new_database("products"), new_database("orders")
    backfill("products", monolith_url, products)
    backfill("orders", monolith_url, orders)
    statuses = {o["id"]: o["status"] for o in dump(monolith_url, "orders", "id")}
    holds = {r["id"]: r["status"] for r in dump(products, "reservations", "id")}
    saga = {
        r["order_id"]: (r["reservation_id"], r["state"])
        for r in dump(orders, "reservations", "order_id")
    }
    for order_id, status in statuses.items():
        rid = legacy_reservation_id(order_id)
        expected = "confirmed" if status == "pending" else "released"
        assert holds[rid] == expected
        assert saga[order_id] == (rid, expected)
    items = dump(products, "reservation_items", "reservation_id, position")
    lines = [
        i for i in dump(monolith_url, "order_items", "id") if statuses[i["order_id"]] == "pending"
    ]
    assert sorted((i["reservation_id"], i["product_id"], i["quantity"]) for i in items) == sorted(
        (legacy_reservation_id(i["order_id"]), i["product_id"], i["quantity"]) for i in lines
    )


def test_ids_made_after_a_backfill_do_not_collide(
    monolith_url: str, new_database: NewDatabase
) -> None:
    target = new_database("products")
    backfill("products", monolith_url, target)
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        new_id = conn.execute(
            sa.text(
                "INSERT INTO products (sku, name, description, category, price, stock, "
                "created_at, updated_at) VALUES ('NEW-1', 'New', '', 'x', 1, 1, "
                "'2026-11-27 04:00:00', '2026-11-27 04:00:00') RETURNING id"
            )
        ).scalar_one()
    engine.dispose()
    assert new_id == 51


def test_a_missing_monolith_table_is_a_clear_error(new_database: NewDatabase) -> None:
    source = new_database("empty")
    engine = sa.create_engine(source)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(BackfillError) as caught:
        backfill("products", source, new_database("products"))
    assert str(caught.value) == (
        f"the monolith database at {source} has no table 'products': "
        "run `strangler db upgrade` first"
    )


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    with pytest.raises(BackfillError, match="there is no monolith database at"):
        backfill("auth", f"sqlite:///{missing}", f"sqlite:///{missing}.auth")
    assert not missing.exists()


def test_an_unknown_service_is_refused(monolith_url: str) -> None:
    with pytest.raises(BackfillError, match="unknown service 'billing'"):
        backfill("billing", monolith_url, monolith_url)
