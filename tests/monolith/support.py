"""Helpers the monolith tests share: an HTTP shortcut object and error assertions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa

ADMIN_EMAIL, ADMIN_PASSWORD = "root@example.com", "root-password"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    """Shortcuts for the steps many tests share; every call goes through HTTP."""

    client: httpx.Client
    engine: sa.Engine

    def register(self, email: str, password: str = "password123", name: str = "Someone") -> Any:
        response = self.client.post(
            "/api/auth/register", json={"email": email, "password": password, "name": name}
        )
        assert response.status_code == 201, response.text
        return response.json()

    def login(self, email: str, password: str = "password123") -> str:
        response = self.client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def user_token(self, email: str = "alice@example.com") -> str:
        self.register(email)
        return self.login(email)

    def admin_token(self) -> str:
        self.register(ADMIN_EMAIL, ADMIN_PASSWORD, "Root")
        with self.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE users SET is_admin = true WHERE email = :e"), {"e": ADMIN_EMAIL}
            )
        return self.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    def product(self, admin: str, **fields: Any) -> Any:
        body: dict[str, Any] = {
            "sku": "SKU-1",
            "name": "The Fig Tree",
            "category": "books",
            "price": "19.99",
            "stock": 10,
            **fields,
        }
        response = self.client.post("/api/products", json=body, headers=bearer(admin))
        assert response.status_code == 201, response.text
        return response.json()

    def order(self, token: str, *items: tuple[int, int]) -> httpx.Response:
        body = {"items": [{"product_id": p, "quantity": q} for p, q in items]}
        return self.client.post("/api/orders", json=body, headers=bearer(token))

    def stock_of(self, product_id: int) -> int:
        with self.engine.connect() as conn:
            stock: int = conn.execute(
                sa.text("SELECT stock FROM products WHERE id = :i"), {"i": product_id}
            ).scalar_one()
        return stock

    def outbox_types(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT type FROM outbox ORDER BY created_at, type"))
            return [row[0] for row in rows]


def error(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == "application/json"
    return response.json()["error"]


def assert_validation(response: httpx.Response, field: str, message: str) -> None:
    assert response.status_code == 422, response.text
    assert error(response) == {
        "code": "validation_error",
        "message": message,
        "details": {"field": field},
    }
