"""Small pure validators that produce the contract's exact messages (first failure wins)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from legacy_monolith.errors import validation_error

EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PRICE_SHAPE = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")
QUERY_INTEGER = re.compile(r"-?[0-9]+")
MAX_ID = 2**63 - 1
SORT_KEYS = ("id", "-id", "name", "-name", "price", "-price", "created_at", "-created_at")


def required(body: Mapping[str, Any], key: str, path: str | None = None) -> Any:
    value = body.get(key)
    if value is None:
        raise validation_error(path or key, f"{path or key} is required")
    return value


def string(
    body: Mapping[str, Any],
    key: str,
    *,
    max_length: int | None = None,
    not_empty: bool = True,
    strip: bool = True,
) -> str:
    value = required(body, key)
    if not isinstance(value, str):
        raise validation_error(key, f"{key} must be a string")
    if strip:
        value = value.strip()
    if not_empty and not value:
        raise validation_error(key, f"{key} must not be empty")
    if max_length is not None and len(value) > max_length:
        raise validation_error(key, f"{key} must be at most {max_length} characters")
    return value


def integer(value: Any, path: str, low: int, high: int) -> int:
    if value is None:
        raise validation_error(path, f"{path} is required")
    # bool is a subclass of int in Python; the contract says true/false are not integers.
    if not isinstance(value, int) or isinstance(value, bool):
        raise validation_error(path, f"{path} must be an integer")
    if not low <= value <= high:
        raise validation_error(path, f"{path} must be between {low} and {high}")
    return value


def email(body: Mapping[str, Any]) -> str:
    value = string(body, "email", max_length=254, not_empty=False).lower()
    if not EMAIL_SHAPE.fullmatch(value):
        raise validation_error("email", "email is not a valid email address")
    return value


def password(body: Mapping[str, Any]) -> str:
    value = string(body, "password", strip=False, not_empty=False)
    if len(value) < 8:
        raise validation_error("password", "password must be at least 8 characters")
    if len(value) > 128:
        raise validation_error("password", "password must be at most 128 characters")
    return value


def price(body: Mapping[str, Any]) -> Decimal:
    value = string(body, "price", not_empty=False)
    if not PRICE_SHAPE.fullmatch(value):
        raise validation_error("price", 'price must be a string like "19.99"')
    return Decimal(value)


def query_integer(args: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = args.get(key)
    if raw is None:
        return default
    if not QUERY_INTEGER.fullmatch(raw):
        raise validation_error(key, f"{key} must be an integer")
    return integer(int(raw), key, low, high)


@dataclass(frozen=True)
class PageRequest:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_request(args: Mapping[str, str]) -> PageRequest:
    return PageRequest(
        page=query_integer(args, "page", 1, 1, 1_000_000),
        per_page=query_integer(args, "per_page", 20, 1, 100),
    )


def sort_key(args: Mapping[str, str]) -> str:
    value = args.get("sort", "id")
    if value not in SORT_KEYS:
        raise validation_error("sort", f"sort must be one of: {', '.join(SORT_KEYS)}")
    return value


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: int


def line_items(body: Mapping[str, Any], max_items: int, *, unique: bool) -> list[LineRequest]:
    """`items` as [{product_id, quantity}]; duplicates are checked after every item's shape."""
    value = required(body, "items")
    if not isinstance(value, list):
        raise validation_error("items", "items must be a list")
    if not value:
        raise validation_error("items", "items must not be empty")
    if len(value) > max_items:
        raise validation_error("items", f"items must have at most {max_items} entries")
    lines = []
    for index, item in enumerate(value):
        path = f"items[{index}]"
        if not isinstance(item, dict):
            raise validation_error(path, f"{path} must be an object")
        product_id = integer(item.get("product_id"), f"{path}.product_id", 1, MAX_ID)
        quantity = integer(item.get("quantity"), f"{path}.quantity", 1, 1000)
        lines.append(LineRequest(product_id, quantity))
    if unique:
        seen: set[int] = set()
        for index, line in enumerate(lines):
            if line.product_id in seen:
                path = f"items[{index}].product_id"
                raise validation_error(path, f"{path} is a duplicate")
            seen.add(line.product_id)
    return lines
