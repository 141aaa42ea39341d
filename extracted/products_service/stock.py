"""Stock: pure shortage arithmetic, plus the conditional UPDATEs that take and give it back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from extracted.common.events import Event
from extracted.common.responses import ApiError
from extracted.common.validation import MAX_ID
from extracted.products_service.models import Product


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


def requested_totals(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Quantity per product, summed, in the order products first appear (dicts keep order)."""
    totals: dict[int, int] = {}
    for product_id, quantity in pairs:
        totals[product_id] = totals.get(product_id, 0) + quantity
    return totals


def shortages(requested: Mapping[int, int], available: Mapping[int, int]) -> list[Shortage]:
    """Products whose stock is below what is asked; unknown products have 0 available."""
    return [
        Shortage(product_id, quantity, available.get(product_id, 0))
        for product_id, quantity in requested.items()
        if available.get(product_id, 0) < quantity
    ]


def insufficient(short: list[Shortage]) -> ApiError:
    return ApiError(
        409, "insufficient_stock", "Insufficient stock", {"shortages": [s.as_json() for s in short]}
    )


def current_stock(session: Session, product_ids: Iterable[int]) -> dict[int, int]:
    ids = [i for i in product_ids if i <= MAX_ID]  # larger ids cannot exist (nor be bound)
    if not ids:
        return {}
    rows = session.execute(select(Product.id, Product.stock).where(Product.id.in_(ids)))
    return {product_id: stock for product_id, stock in rows}


def take(session: Session, requested: Mapping[int, int]) -> list[Shortage]:
    """Decrement every product by its quantity, or report the shortages (the caller rolls back).

    Each UPDATE only succeeds while `stock >= q`, so of two concurrent takes of the last unit the
    second matches no row. Updating in id order keeps PostgreSQL's row locks from deadlocking two
    takes that name the same products in different orders.
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
    # A failed UPDATE changed nothing, so this is the stock the caller could have had.
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


def changed_events(session: Session, product_ids: Iterable[int]) -> list[Event]:
    """`stock.changed` for each product, with its stock as this transaction leaves it."""
    levels = current_stock(session, product_ids)
    return [stock_changed(product_id, level) for product_id, level in sorted(levels.items())]


def stock_changed(product_id: int, level: int) -> Event:
    return Event(
        "stock.changed", "product", str(product_id), {"product_id": product_id, "stock": level}
    )


def product_updated(product_id: int, fields: list[str]) -> Event:
    """Any PATCH: the fields given (the appliers copy the whole row, so names are enough)."""
    data = {"product_id": product_id, "fields": sorted(fields)}
    return Event("product.updated", "product", str(product_id), data)
