"""Which monolith tables fill which service tables, row by row (pure: no I/O here).

Besides the contract's mapping (auth <- users, sessions; products <- products; orders <- orders,
order_items), every monolith order gets a *legacy reservation*: a deterministic reservation id
shared by orders_service's saga log and products_service's reservations. A pending order's
stock was taken inside the monolith, so this confirmed reservation is what lets a cancel on
orders_service give that stock back through products (`POST .../release`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from migration_plan.data import monolith_tables as m

SERVICES = ("auth", "products", "orders")
LEGACY_NAMESPACE = uuid.UUID("5b3f0e4c-61a4-4c55-9f0e-0b5d5f2f1c8a")

Row = Mapping[str, Any]


def legacy_reservation_id(order_id: int) -> str:
    """The reservation that stands for a monolith order's stock (the same on every run)."""
    return str(uuid.uuid5(LEGACY_NAMESPACE, f"monolith-order:{order_id}"))


def as_is(row: Row) -> dict[str, Any]:
    return dict(row)


@dataclass(frozen=True)
class Copy:
    """One service table filled from a query over monolith tables.

    Rows are matched on `key` (the target's primary key, or a natural key when the target's id
    is its own): present ones are updated, missing ones inserted, so a second run changes nothing.
    """

    target: str
    query: sa.Select[Any]
    cursor: sa.ColumnElement[Any]  # unique, orders the source rows for batching
    key: tuple[str, ...]
    sources: tuple[str, ...]
    row: Callable[[Row], dict[str, Any]] = field(default=as_is)
    # Columns that never change for an entity: a row under the same key with other values is
    # another entity both sides gave one id, and merge() refuses to overwrite it.
    identity: tuple[str, ...] = ()


# Natural keys of the tables both sides create rows in (neither changes: docs/contract.md).
IDENTITY = {"users": ("email",), "products": ("sku",)}


def _plain(table: sa.Table, target: str | None = None) -> Copy:
    [pk] = table.primary_key.columns
    return Copy(
        target=target or table.name,
        query=sa.select(*table.columns),
        cursor=pk,
        key=(pk.name,),
        sources=(table.name,),
        identity=IDENTITY.get(table.name, ()),
    )


def _legacy_hold(row: Row) -> dict[str, Any]:
    return {
        "id": legacy_reservation_id(row["id"]),
        "status": "confirmed" if row["status"] == "pending" else "released",
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _legacy_hold_item(row: Row) -> dict[str, Any]:
    return {
        "reservation_id": legacy_reservation_id(row["order_id"]),
        "position": row["position"],
        "product_id": row["product_id"],
        "quantity": row["quantity"],
        "name": row["product_name"],
        "unit_price": row["unit_price"],
    }


def _legacy_saga_row(row: Row) -> dict[str, Any]:
    return {
        "reservation_id": legacy_reservation_id(row["id"]),
        "order_id": row["id"],
        "state": "confirmed" if row["status"] == "pending" else "released",
        "attempts": 0,
        "last_error": None,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def copies(service: str) -> tuple[Copy, ...]:
    """The copies for one service, parents before children (foreign keys)."""
    if service == "auth":
        return (_plain(m.users), _plain(m.sessions))
    if service == "products":
        orders = sa.select(m.orders.c.id, m.orders.c.status, m.orders.c.created_at,
                           m.orders.c.updated_at)  # fmt: skip
        pending_items = (
            sa.select(*m.order_items.columns)
            .join(m.orders, m.orders.c.id == m.order_items.c.order_id)
            .where(m.orders.c.status == "pending")
        )
        return (
            _plain(m.products),
            Copy("reservations", orders, m.orders.c.id, ("id",), ("orders",), _legacy_hold),
            Copy(
                "reservation_items",
                pending_items,
                m.order_items.c.id,
                ("reservation_id", "position"),
                ("orders", "order_items"),
                _legacy_hold_item,
            ),
        )
    if service == "orders":
        orders = sa.select(*m.orders.columns)
        return (
            _plain(m.orders),
            _plain(m.order_items),
            Copy(
                "reservations",
                orders,
                m.orders.c.id,
                ("reservation_id",),
                ("orders",),
                _legacy_saga_row,
            ),
        )
    raise ValueError(f"unknown service {service!r}: expected one of {', '.join(SERVICES)}")
