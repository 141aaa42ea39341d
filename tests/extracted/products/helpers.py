"""Small steps the products tests repeat."""

from __future__ import annotations

from typing import Any

import httpx

AUTH = "http://auth.test"
ADMIN = {"Authorization": "Bearer admin"}
USER = {"Authorization": "Bearer user"}


def auth_answer(request: httpx.Request) -> httpx.Response:
    """What auth_service's /api/auth/me answers for the two known tokens, or its 401s."""
    token = request.headers.get("Authorization", "")
    user = {"created_at": "Fri, 27 Nov 2026 04:34:17 GMT", "email": "a@x.io", "name": "A"}
    if token == "Bearer admin":
        return httpx.Response(200, json={**user, "id": 1, "is_admin": True})
    if token == "Bearer user":
        return httpx.Response(200, json={**user, "id": 2, "is_admin": False})
    parts = token.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        error = {"code": "unauthorized", "message": "Authentication required"}
        return httpx.Response(401, json={"error": error})
    error = {"code": "invalid_token", "message": "Invalid or expired token"}
    return httpx.Response(401, json={"error": error})


def product_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sku": "BOOK-0001",
        "name": "The Fig Tree",
        "description": "A novel.",
        "category": "books",
        "price": "19.99",
        "stock": 12,
    }
    body.update(overrides)
    return body


async def create_product(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/products", json=product_body(**overrides), headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def error(status_code: int, code: str, message: str, **details: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = {"code": code, "message": message}
    if details:
        envelope["details"] = details
    return {"error": envelope}
