"""Stock: pure shortage arithmetic, plus the conditional UPDATEs that take and return it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from legacy_monolith.models import Product
from legacy_monolith.validation import LineRequest


@dataclass(frozen=True)
class Shortage:
    product_id: int
    requested: int
    available: int

    def as_json(self) -> dict[str, int]:
        return {
            "available": self.available,
            "product_id": self.product_id,
            "requested": self.requested,
        }


def requested_totals(lines: Iterable[LineRequest]) -> dict[int, int]:
    """Quantity per product, summed, in the order products first appear (dicts keep order)."""
    totals: dict[int, int] = {}
    for line in lines:
        totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    return totals


def shortages(requested: Mapping[int, int], available: Mapping[int, int]) -> list[Shortage]:
    """Products whose stock is below what is asked; unknown products have 0 available."""
    return [
        Shortage(product_id, quantity, available.get(product_id, 0))
        for product_id, quantity in requested.items()
        if available.get(product_id, 0) < quantity
    ]


def current_stock(session: Session, product_ids: Iterable[int]) -> dict[int, int]:
    ids = list(product_ids)
    rows = session.execute(select(Product.id, Product.stock).where(Product.id.in_(ids)))
    return {product_id: stock for product_id, stock in rows}


def take(session: Session, requested: Mapping[int, int]) -> list[Shortage]:
    """Decrement every product by its quantity, or report the shortages (the caller rolls back).

    Each UPDATE only succeeds while `stock >= q`, so of two concurrent orders for the last unit the
    second one's UPDATE matches no row. Updating in id order keeps PostgreSQL's row locks from
    deadlocking two orders that name the same products in different orders.
    """
    short: set[int] = set()
    for product_id in sorted(requested):
        quantity = requested[product_id]
        result = session.execute(
            update(Product)
            .where(Product.id == product_id, Product.stock >= quantity)
            .values(stock=Product.stock - quantity)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            short.add(product_id)
    if not short:
        return []
    # A failed UPDATE changed nothing, so this is the stock the client could have had.
    available = current_stock(session, short)
    return shortages({p: q for p, q in requested.items() if p in short}, available)


def give_back(session: Session, quantities: Mapping[int, int]) -> None:
    for product_id in sorted(quantities):
        session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(stock=Product.stock + quantities[product_id])
            .execution_options(synchronize_session=False)
        )
