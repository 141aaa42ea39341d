"""Money is Decimal, rounded half-up to cents, and leaves the app as a two-decimal string."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(unit_price: Decimal, quantity: int) -> Decimal:
    return cents(cents(unit_price) * quantity)


def total(line_totals: Iterable[Decimal]) -> Decimal:
    return cents(sum(line_totals, Decimal("0")))


def money_string(amount: Decimal) -> str:
    return format(cents(amount), "f")
