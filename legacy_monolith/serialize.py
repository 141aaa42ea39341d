"""Rows to the contract's JSON shapes; datetimes as Flask renders them (HTTP-date, GMT)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from werkzeug.http import http_date

from legacy_monolith.models import Order, Product, User
from legacy_monolith.money import money_string


def timestamp(moment: datetime) -> str:
    """Stored datetimes are naive UTC; http_date would otherwise read them as local time."""
    return http_date(moment.replace(tzinfo=UTC))


def user(row: User) -> dict[str, Any]:
    return {
        "created_at": timestamp(row.created_at),
        "email": row.email,
        "id": row.id,
        "is_admin": row.is_admin,
        "name": row.name,
    }


def product(row: Product) -> dict[str, Any]:
    return {
        "category": row.category,
        "created_at": timestamp(row.created_at),
        "description": row.description,
        "id": row.id,
        "name": row.name,
        "price": money_string(row.price),
        "sku": row.sku,
        "stock": row.stock,
        "updated_at": timestamp(row.updated_at),
    }


def order(row: Order) -> dict[str, Any]:
    return {
        "created_at": timestamp(row.created_at),
        "id": row.id,
        "items": [
            {
                "line_total": money_string(item.line_total),
                "name": item.product_name,
                "product_id": item.product_id,
                "quantity": item.quantity,
                "unit_price": money_string(item.unit_price),
            }
            for item in row.items
        ],
        "status": row.status,
        "total": money_string(row.total),
        "user_id": row.user_id,
    }


def page(items: list[dict[str, Any]], page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total}
