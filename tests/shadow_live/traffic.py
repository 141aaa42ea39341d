"""A reproducible mix of user traffic for a live stack: reads, registrations, logins, logouts,
orders, cancels, product creates and patches as admin, stock checks. Every request goes through
the router; the mix makes its own users and products, so it runs on any data the stack has."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

ADMIN = ("admin@example.com", "admin-password")


@dataclass
class Mix:
    """Send `total` requests through `base` (the router), drawn with a fixed seed."""

    base: str
    total: int = 1000
    seed: int = 11
    reads: int = 50  # weight of reads against 45 for the seven kinds of write together
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    latency_ms: dict[str, list[float]] = field(default_factory=dict)

    def run(self) -> None:
        rng = random.Random(self.seed)
        tag = uuid.uuid4().hex[:8]
        with httpx.Client(base_url=self.base, timeout=30) as client:
            self._client = client
            admin = self._login(*ADMIN)
            products = [self._new_product(admin, f"{tag}-{i}") for i in range(4)]
            customers: list[tuple[str, str]] = []  # (email, token)
            orders: list[tuple[str, int]] = []  # (token, order id) still pending
            while sum(self.sent.values()) < self.total:
                kind = rng.choices(
                    ["read", "register", "login", "logout", "order", "cancel", "create", "patch"],
                    weights=[self.reads, 6, 8, 5, 12, 5, 3, 6],
                )[0]
                if kind == "register" or not customers:
                    email = f"mix.{tag}.{len(customers)}@example.com"
                    self._call("POST", "/api/auth/register", json=_user(email))
                    customers.append((email, self._login(email, "mix-password-1")))
                elif kind == "login":
                    email, _ = rng.choice(customers)
                    customers.append((email, self._login(email, "mix-password-1")))
                elif kind == "logout" and len(customers) > 1:
                    email, token = customers.pop(rng.randrange(len(customers)))
                    orders = [(t, o) for t, o in orders if t != token]
                    self._call("POST", "/api/auth/logout", token=token)
                elif kind == "order":
                    _, token = rng.choice(customers)
                    items = [{"product_id": p, "quantity": rng.randint(1, 3)} for p in
                             rng.sample(products, rng.randint(1, 2))]  # fmt: skip
                    answer = self._call("POST", "/api/orders", token=token, json={"items": items})
                    if answer.status_code == 201:
                        orders.append((token, int(answer.json()["id"])))
                elif kind == "cancel" and orders:
                    token, order = orders.pop(rng.randrange(len(orders)))
                    self._call("POST", f"/api/orders/{order}/cancel", token=token)
                elif kind == "create":
                    products.append(self._new_product(admin, f"{tag}-{len(products)}"))
                elif kind == "patch":
                    change = rng.choice(
                        [{"price": f"{rng.randint(1, 99)}.{rng.randint(0, 99):02d}"},
                         {"name": f"Mix {rng.randint(0, 999)}"},
                         {"description": f"changed {rng.randint(0, 999)}"},
                         {"stock": rng.randint(50, 500)}]
                    )  # fmt: skip
                    self._call("PATCH", f"/api/products/{rng.choice(products)}", token=admin,
                               json=change)  # fmt: skip
                else:
                    self._read(rng, admin, customers, orders, products)

    def _read(
        self,
        rng: random.Random,
        admin: str,
        customers: list[tuple[str, str]],
        orders: list[tuple[str, int]],
        products: list[int],
    ) -> None:
        _, token = rng.choice(customers)
        choice = rng.randrange(7)
        if choice == 0:
            self._call("GET", "/api/products", params={"q": "mix", "per_page": "50"})
        elif choice == 1:
            self._call("GET", f"/api/products/{rng.choice(products)}")
        elif choice == 2:
            self._call("GET", "/api/orders", token=token)
        elif choice == 3 and orders:
            owner, order = rng.choice(orders)
            self._call("GET", f"/api/orders/{order}", token=owner)
        elif choice == 4:
            self._call("GET", "/api/auth/me", token=token)
        elif choice == 5:
            me = self._call("GET", "/api/auth/me", token=token)
            if me.status_code == 200:
                self._call("GET", f"/api/users/{me.json()['id']}", token=admin)
        else:
            items = [{"product_id": rng.choice(products), "quantity": 1}]
            self._call("POST", "/api/stock/verify", json={"items": items})

    def _login(self, email: str, password: str) -> str:
        answer = self._call("POST", "/api/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])

    def _new_product(self, admin: str, suffix: str) -> int:
        body = {"sku": f"MIX-{suffix}", "name": f"Mix {suffix}", "category": "mix",
                "price": "10.00", "stock": 100000, "description": "made by the mix"}  # fmt: skip
        answer = self._call("POST", "/api/products", token=admin, json=body)
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def _call(
        self, method: str, path: str, *, token: str | None = None, **options: object
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.perf_counter()
        answer = self._client.request(method, path, headers=headers, **options)  # type: ignore[arg-type]
        route = f"{method} {_template(path)}"
        self.latency_ms.setdefault(route, []).append((time.perf_counter() - started) * 1000)
        self.sent[route] += 1
        self.statuses[answer.status_code] += 1
        return answer


def _user(email: str) -> dict[str, str]:
    return {"email": email, "password": "mix-password-1", "name": "Mix User"}


def _template(path: str) -> str:
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))
