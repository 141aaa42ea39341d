"""The monolith's wire formats, reproduced: money strings and Flask's default datetime rendering."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from werkzeug.http import http_date

CENTS = Decimal("0.01")


def money(value: Decimal | int | str) -> str:
    """Two decimals, rounded half-up, as a string: what clients of the monolith depend on."""
    return str(Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP))


def http_datetime(value: datetime) -> str:
    """Render as Flask's default JSON provider does (RFC 822, GMT, whole seconds).

    Datetimes are stored naive in UTC, as in the monolith.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return http_date(value)


def utcnow() -> datetime:
    """Naive UTC 'now', whole seconds: what both sides store."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
