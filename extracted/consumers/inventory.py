"""Stock bookkeeping for the orders side, which does not own stock: units committed per product.

`order.created` commits each line's quantity, `order.cancelled` gives it back; a ledger row per
(order, product, event type) keeps the history.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from extracted.common.events import Event

metadata = sa.MetaData()

committed = sa.Table(
    "committed_stock",
    metadata,
    sa.Column("product_id", sa.BigInteger, primary_key=True),
    sa.Column("units", sa.Integer, nullable=False),
)
ledger = sa.Table(
    "stock_ledger",
    metadata,
    sa.Column("order_id", sa.BigInteger, primary_key=True),
    sa.Column("product_id", sa.BigInteger, primary_key=True),
    sa.Column("type", sa.String(40), primary_key=True),
    sa.Column("delta", sa.Integer, nullable=False),
)

SIGN = {"order.created": 1, "order.cancelled": -1}


def apply(session: Session, event: Event) -> None:
    sign = SIGN.get(event.type)
    if sign is None:
        return
    order_id = int(event.data["id"])
    for item in event.data.get("items", []):
        product_id, delta = int(item["product_id"]), sign * int(item["quantity"])
        session.execute(
            sa.insert(ledger).values(
                order_id=order_id, product_id=product_id, type=event.type, delta=delta
            )
        )
        changed = session.execute(
            sa.update(committed)
            .where(committed.c.product_id == product_id)
            .values(units=committed.c.units + delta)
        )
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            session.execute(sa.insert(committed).values(product_id=product_id, units=delta))


def units(session: Session, product_id: int) -> int:
    value = session.scalar(sa.select(committed.c.units).where(committed.c.product_id == product_id))
    return int(value or 0)
