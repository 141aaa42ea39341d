"""Input checks with the contract's exact messages (docs/contract.md, "Validation messages").

Each check raises the 422 `validation_error` for the first failure, naming the field path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from extracted.common.responses import ApiError, validation_error

MAX_ID = 2**63 - 1
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# ASCII digits and a full match, as the monolith checks (`\d` would take other scripts' digits).
PRICE_RE = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")
QUERY_INT_RE = re.compile(r"-?[0-9]+")
SORTS = ("id", "-id", "name", "-name", "price", "-price", "created_at", "-created_at")

_MISSING = object()


def json_object(raw: bytes) -> dict[str, Any]:
    """Parse a body as a JSON object whatever its Content-Type says, as the monolith does."""
    try:
        value = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise ApiError(400, "bad_request", "Request body must be a JSON object")
    return value


def _present(body: Mapping[str, Any], key: str, field: str, required: bool) -> Any:
    value = body.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise validation_error(field, f"{field} is required")
        return _MISSING
    return value


def string(
    body: Mapping[str, Any],
    key: str,
    *,
    field: str | None = None,
    required: bool = True,
    max_length: int | None = None,
    allow_empty: bool = False,
    strip: bool = True,
) -> str | None:
    """A string field; None when optional and absent."""
    field = field or key
    value = _present(body, key, field, required)
    if value is _MISSING:
        return None
    if not isinstance(value, str):
        raise validation_error(field, f"{field} must be a string")
    if strip:
        value = value.strip()
    if not allow_empty and not value:
        raise validation_error(field, f"{field} must not be empty")
    if max_length is not None and len(value) > max_length:
        raise validation_error(field, f"{field} must be at most {max_length} characters")
    return value


def integer(
    body: Mapping[str, Any],
    key: str,
    *,
    field: str | None = None,
    required: bool = True,
    low: int | None = None,
    high: int | None = None,
) -> int | None:
    """A JSON integer (booleans and numeric strings are not integers)."""
    field = field or key
    value = _present(body, key, field, required)
    if value is _MISSING:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation_error(field, f"{field} must be an integer")
    _check_range(field, value, low, high)
    return value


def _check_range(field: str, value: int, low: int | None, high: int | None) -> None:
    if (low is not None and value < low) or (high is not None and value > high):
        raise validation_error(field, f"{field} must be between {low} and {high}")


def price(body: Mapping[str, Any], key: str = "price", *, required: bool = True) -> Decimal | None:
    value = _present(body, key, key, required)
    if value is _MISSING:
        return None
    # The monolith reports a non-string as a type error and a bad string as a shape error.
    if not isinstance(value, str):
        raise validation_error(key, f"{key} must be a string")
    if not PRICE_RE.fullmatch(value.strip()):
        raise validation_error(key, f'{key} must be a string like "19.99"')
    return Decimal(value.strip())


def query_int(params: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = params.get(key)
    if raw is None:
        return default
    # The monolith's spelling: optional minus and ASCII digits, nothing else (no spaces, "+", "_").
    if not QUERY_INT_RE.fullmatch(raw):
        raise validation_error(key, f"{key} must be an integer")
    value = int(raw)
    _check_range(key, value, low, high)
    return value


def page_params(params: Mapping[str, str]) -> tuple[int, int]:
    return (
        query_int(params, "page", 1, 1, 1_000_000),
        query_int(params, "per_page", 20, 1, 100),
    )


def item_list(
    body: Mapping[str, Any], *, max_entries: int, max_quantity: int, unique: bool
) -> list[tuple[int, int]]:
    """`items: [{product_id, quantity}]` as (product_id, quantity) pairs, checked in order."""
    items = _present(body, "items", "items", True)
    if not isinstance(items, list):
        raise validation_error("items", "items must be a list")
    if not items:
        raise validation_error("items", "items must not be empty")
    if len(items) > max_entries:
        raise validation_error("items", f"items must have at most {max_entries} entries")
    seen: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for index, item in enumerate(items):
        prefix = f"items[{index}]"
        if not isinstance(item, dict):
            raise validation_error(prefix, f"{prefix} must be an object")
        product_id = integer(item, "product_id", field=f"{prefix}.product_id", low=1, high=MAX_ID)
        quantity = integer(item, "quantity", field=f"{prefix}.quantity", low=1, high=max_quantity)
        assert product_id is not None and quantity is not None
        if unique and product_id in seen:
            field = f"{prefix}.product_id"
            raise validation_error(field, f"{field} is a duplicate")
        seen.add(product_id)
        pairs.append((product_id, quantity))
    return pairs
