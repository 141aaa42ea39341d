"""Order arithmetic as the monolith does it: Decimal cents, half-up, per line then summed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def cents(amount: Decimal | str) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    """One order line, priced from the reservation products_service made for it."""

    position: int
    product_id: int
    name: str
    unit_price: Decimal
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return cents(self.unit_price * self.quantity)


def priced_lines(
    requested: Sequence[tuple[int, int]], reserved: Iterable[Mapping[str, Any]]
) -> list[Line]:
    """The client's lines, in the client's order, with the names and prices products reserved at.

    Raises KeyError if the reservation lacks a requested product (products broke its contract).
    """
    by_product = {int(item["product_id"]): item for item in reserved}
    return [
        Line(
            position=position,
            product_id=product_id,
            name=str(by_product[product_id]["name"]),
            unit_price=cents(str(by_product[product_id]["unit_price"])),
            quantity=quantity,
        )
        for position, (product_id, quantity) in enumerate(requested)
    ]


def total(lines: Iterable[Line]) -> Decimal:
    return cents(sum((line.line_total for line in lines), Decimal("0")))
