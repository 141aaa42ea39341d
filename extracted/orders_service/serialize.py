"""Rows to the contract's Order and Page shapes, rendered exactly as the monolith renders them."""

from __future__ import annotations

from typing import Any

from extracted.common.formats import http_datetime, money
from extracted.orders_service.models import Order


def order(row: Order) -> dict[str, Any]:
    return {
        "created_at": http_datetime(row.created_at),
        "id": row.id,
        "items": [
            {
                "line_total": money(item.line_total),
                "name": item.product_name,
                "product_id": item.product_id,
                "quantity": item.quantity,
                "unit_price": money(item.unit_price),
            }
            for item in row.items
        ],
        "status": row.status,
        "total": money(row.total),
        "user_id": row.user_id,
    }


def page(items: list[dict[str, Any]], page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total}
