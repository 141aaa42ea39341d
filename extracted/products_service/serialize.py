"""Rows to JSON: Product exactly as the monolith renders it, and the internal Reservation."""

from __future__ import annotations

from typing import Any

from extracted.common.formats import http_datetime, money
from extracted.products_service.models import Product, Reservation


def product(row: Product) -> dict[str, Any]:
    return {
        "category": row.category,
        "created_at": http_datetime(row.created_at),
        "description": row.description,
        "id": row.id,
        "name": row.name,
        "price": money(row.price),
        "sku": row.sku,
        "stock": row.stock,
        "updated_at": http_datetime(row.updated_at),
    }


def page(items: list[dict[str, Any]], page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def reservation(row: Reservation) -> dict[str, Any]:
    return {
        "items": [
            {
                "name": item.name,
                "product_id": item.product_id,
                "quantity": item.quantity,
                "unit_price": money(item.unit_price),
            }
            for item in row.items
        ],
        "reservation_id": row.id,
        "status": row.status,
    }
