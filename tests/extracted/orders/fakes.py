"""Stand-ins for auth_service and products_service, as respx routes over small in-memory state.

Products keeps stock and reservations the way the contract's internal endpoints describe them,
so tests can count what was taken and given back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx

AUTH = "http://auth.test"
PRODUCTS = "http://products.test"

USERS = {
    "alice-token": {"id": 2, "is_admin": False, "email": "alice@example.com", "name": "Alice"},
    "bob-token": {"id": 3, "is_admin": False, "email": "bob@example.com", "name": "Bob"},
    "admin-token": {"id": 1, "is_admin": True, "email": "admin@example.com", "name": "Admin"},
}


def envelope(status: int, code: str, message: str, details: Any = None) -> httpx.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return httpx.Response(status, json={"error": error})


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def fake_auth(router: respx.MockRouter) -> respx.Route:
    def me(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        user = USERS.get(token)
        if user is None:
            return envelope(401, "invalid_token", "Invalid or expired token")
        return httpx.Response(200, json={**user, "created_at": "Fri, 27 Nov 2026 04:34:17 GMT"})

    return router.get(f"{AUTH}/api/auth/me").mock(side_effect=me)


@dataclass
class FakeProducts:
    """products_service's reservation endpoints over a dict of stock."""

    stock: dict[int, int] = field(default_factory=lambda: {1: 10, 2: 5, 3: 0})
    names: dict[int, tuple[str, str]] = field(
        default_factory=lambda: {
            1: ("The Fig Tree", "19.99"),
            2: ("Seams", "5.05"),
            3: ("Kite", "1.00"),
        }
    )
    reservations: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    routes: dict[str, respx.Route] = field(default_factory=dict)

    def install(self, router: respx.MockRouter) -> dict[str, respx.Route]:
        base = re.escape(PRODUCTS)
        self.routes = {
            "reserve": router.put(url__regex=rf"{base}/internal/reservations/(?P<rid>[^/]+)$").mock(
                side_effect=self.reserve
            ),
            "confirm": router.post(
                url__regex=rf"{base}/internal/reservations/(?P<rid>[^/]+)/confirm$"
            ).mock(side_effect=self.confirm),
            "release": router.post(
                url__regex=rf"{base}/internal/reservations/(?P<rid>[^/]+)/release$"
            ).mock(side_effect=self.release),
        }
        return self.routes

    def _note(self, step: str, request: httpx.Request, rid: str) -> None:
        self.calls.append((step, rid, dict(request.headers)))

    def reserve(self, request: httpx.Request, rid: str) -> httpx.Response:
        self._note("reserve", request, rid)
        existing = self.reservations.get(rid)
        if existing is not None:
            if existing["status"] == "released":
                return envelope(409, "invalid_state", f"Reservation {rid} is released")
            return httpx.Response(200, json=existing)
        items = json.loads(request.content)["items"]
        shortages = [
            {"available": self.stock.get(i["product_id"], 0), "product_id": i["product_id"],
             "requested": i["quantity"]}
            for i in items
            if self.stock.get(i["product_id"], 0) < i["quantity"]
        ]  # fmt: skip
        if shortages:
            return envelope(
                409, "insufficient_stock", "Insufficient stock", {"shortages": shortages}
            )
        for item in items:
            self.stock[item["product_id"]] -= item["quantity"]
        body = {
            "reservation_id": rid,
            "status": "held",
            "items": [
                {
                    "product_id": i["product_id"],
                    "quantity": i["quantity"],
                    "name": self.names[i["product_id"]][0],
                    "unit_price": self.names[i["product_id"]][1],
                }
                for i in items
            ],
        }
        self.reservations[rid] = body
        return httpx.Response(201, json=body)

    def confirm(self, request: httpx.Request, rid: str) -> httpx.Response:
        self._note("confirm", request, rid)
        reservation = self.reservations.get(rid)
        if reservation is None or reservation["status"] == "released":
            return envelope(409, "invalid_state", f"Reservation {rid} is not held")
        reservation["status"] = "confirmed"
        return httpx.Response(200, json=reservation)

    def release(self, request: httpx.Request, rid: str) -> httpx.Response:
        self._note("release", request, rid)
        reservation = self.reservations.get(rid)
        if reservation is None:  # a tombstone, so a late reserve with this id is refused
            self.reservations[rid] = {"reservation_id": rid, "status": "released", "items": []}
            return httpx.Response(200, json=self.reservations[rid])
        if reservation["status"] != "released":
            for item in reservation["items"]:
                self.stock[item["product_id"]] += item["quantity"]
            reservation["status"] = "released"
        return httpx.Response(200, json=reservation)

    def steps(self, step: str) -> list[str]:
        return [rid for name, rid, _ in self.calls if name == step]

    def held_units(self) -> int:
        return sum(
            item["quantity"]
            for r in self.reservations.values()
            if r["status"] != "released"
            for item in r["items"]
        )
