"""Rows to the contract's JSON shapes (User), exactly as the monolith renders them."""

from __future__ import annotations

from typing import Any

from extracted.auth_service.models import User
from extracted.common.formats import http_datetime


def user(row: User) -> dict[str, Any]:
    return {
        "created_at": http_datetime(row.created_at),
        "email": row.email,
        "id": row.id,
        "is_admin": row.is_admin,
        "name": row.name,
    }
