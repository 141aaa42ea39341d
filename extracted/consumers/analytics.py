"""Counters per product: orders, units and revenue placed, and units cancelled."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from extracted.common.events import Event

metadata = sa.MetaData()

counters = sa.Table(
    "product_counters",
    metadata,
    sa.Column("product_id", sa.BigInteger, primary_key=True),
    sa.Column("orders", sa.Integer, nullable=False, default=0),
    sa.Column("units", sa.Integer, nullable=False, default=0),
    sa.Column("revenue", sa.Numeric(14, 2), nullable=False, default=0),
    sa.Column("cancelled_units", sa.Integer, nullable=False, default=0),
)


def apply(session: Session, event: Event) -> None:
    if event.type not in ("order.created", "order.cancelled"):
        return
    for item in event.data.get("items", []):
        product_id, quantity = int(item["product_id"]), int(item["quantity"])
        if _missing(session, product_id):
            session.execute(
                sa.insert(counters).values(
                    product_id=product_id, orders=0, units=0, revenue=0, cancelled_units=0
                )
            )
        c = counters.c
        if event.type == "order.created":
            values = {
                "orders": c.orders + 1,
                "units": c.units + quantity,
                "revenue": c.revenue + Decimal(str(item["line_total"])),
            }
        else:
            values = {"cancelled_units": c.cancelled_units + quantity}
        session.execute(sa.update(counters).where(c.product_id == product_id).values(values))


def _missing(session: Session, product_id: int) -> bool:
    found = session.execute(
        sa.select(counters.c.product_id).where(counters.c.product_id == product_id)
    )
    return found.first() is None
