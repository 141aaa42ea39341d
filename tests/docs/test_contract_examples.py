"""docs/contract.md shows an example of every response, and those examples are what the monolith
really answers: this test replays each example request on a freshly seeded monolith and compares.

After a deliberate contract change, rewrite the section with:
    UPDATE_CONTRACT_EXAMPLES=1 ./scripts/test tests/docs
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from legacy_monolith import create_app
from legacy_monolith.migrate import upgrade
from legacy_monolith.seed import seed

pytestmark = pytest.mark.integration

DOC = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
START, END = "<!-- examples:start -->", "<!-- examples:end -->"
FAST_HASH = "pbkdf2:sha256:1000"
HTTP_DATE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
SHOWN_DATE = "Fri, 27 Nov 2026 04:34:17 GMT"


@dataclass(frozen=True)
class Example:
    title: str
    method: str
    path: str
    body: Any = None
    auth: str | None = None  # "admin", "alice" or "bob": who is logged in


EXAMPLES = [
    Example("register", "POST", "/api/auth/register",
            {"email": "dora@example.com", "password": "password123", "name": "Dora"}),
    Example("register: email taken", "POST", "/api/auth/register",
            {"email": "alice@example.com", "password": "password123", "name": "Alice"}),
    Example("register: bad input", "POST", "/api/auth/register",
            {"email": "not-an-email", "password": "password123", "name": "Eve"}),
    Example("login", "POST", "/api/auth/login",
            {"email": "alice@example.com", "password": "password123"}),
    Example("login: bad credentials", "POST", "/api/auth/login",
            {"email": "alice@example.com", "password": "wrong-password"}),
    Example("me", "GET", "/api/auth/me", auth="alice"),
    Example("me: no token", "GET", "/api/auth/me"),
    Example("user by id (self)", "GET", "/api/users/2", auth="alice"),
    Example("user by id: someone else", "GET", "/api/users/1", auth="alice"),
    Example("products, filtered and sorted", "GET",
            "/api/products?category=books&sort=-price&per_page=2"),
    Example("products: per_page too large", "GET", "/api/products?per_page=500"),
    Example("product", "GET", "/api/products/1"),
    Example("product: unknown id", "GET", "/api/products/99999"),
    Example("create product (admin)", "POST", "/api/products",
            {"sku": "DOC-0001", "name": "Field Guide", "category": "books", "price": "12.50",
             "stock": 5}, auth="admin"),
    Example("create product: not admin", "POST", "/api/products",
            {"sku": "DOC-0002", "name": "x", "category": "books", "price": "1.00", "stock": 1},
            auth="alice"),
    Example("update product (admin)", "PATCH", "/api/products/1", {"price": "21.00"},
            auth="admin"),
    Example("stock verify", "POST", "/api/stock/verify",
            {"items": [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 1000}]}),
    Example("stock verify: bad quantity", "POST", "/api/stock/verify",
            {"items": [{"product_id": 1, "quantity": -1}]}),
    Example("place order", "POST", "/api/orders",
            {"items": [{"product_id": 3, "quantity": 2}]}, auth="alice"),
    Example("place order: stock short", "POST", "/api/orders",
            {"items": [{"product_id": 4, "quantity": 1000}]}, auth="alice"),
    Example("place order: malformed JSON", "POST", "/api/orders", b"{not json", auth="alice"),
    Example("own orders", "GET", "/api/orders?per_page=1", auth="alice"),
    Example("order (owner)", "GET", "/api/orders/{placed}", auth="alice"),
    Example("order: someone else's", "GET", "/api/orders/{placed}", auth="bob"),
    Example("cancel order", "POST", "/api/orders/{placed}/cancel", auth="alice"),
    Example("cancel order: not pending", "POST", "/api/orders/{placed}/cancel", auth="alice"),
    Example("logout", "POST", "/api/auth/logout", auth="alice"),
    Example("unknown route (Flask's HTML 404)", "GET", "/api/nope"),
    Example("wrong method (Flask's HTML 405)", "DELETE", "/api/products/1"),
]  # fmt: skip


def _stable(value: Any) -> Any:
    """Timestamps and tokens differ run to run; show them as fixed placeholders."""
    if isinstance(value, dict):
        return {k: ("<token>" if k == "token" else _stable(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str) and HTTP_DATE.match(value):
        return SHOWN_DATE
    return value


def render(client: httpx.Client) -> str:
    tokens = {
        who: client.post("/api/auth/login", json={"email": email, "password": password}).json()[
            "token"
        ]
        for who, email, password in (
            ("alice", "alice@example.com", "password123"),
            ("bob", "bob@example.com", "password123"),
            ("admin", "admin@example.com", "admin-password"),
        )
    }
    placed = ""
    parts = [START, ""]
    for example in EXAMPLES:
        path = example.path.replace("{placed}", placed)
        headers = {"Authorization": f"Bearer {tokens[example.auth]}"} if example.auth else {}
        if isinstance(example.body, bytes):
            response = client.request(example.method, path, content=example.body, headers=headers)
        else:
            response = client.request(example.method, path, json=example.body, headers=headers)
        if example.title == "place order":
            placed = str(response.json()["id"])
        parts.append(f"**{example.title}**: `{example.method} {path}` -> `{response.status_code}`")
        parts.append("")
        if response.headers.get("content-type", "").startswith("application/json"):
            shown = json.dumps(_stable(response.json()), indent=2, sort_keys=True)
            parts += ["```json", shown, "```", ""]
        elif response.content:
            allow = response.headers.get("allow")
            note = f" (`Allow` lists: {', '.join(sorted(allow.split(', ')))})" if allow else ""
            parts += [f"HTML body{note}:", "", "```html", response.text.rstrip(), "```", ""]
        else:
            parts += ["(empty body)", ""]
    parts.append(END)
    return "\n".join(parts)


@pytest.fixture
def monolith_client(tmp_path: Path) -> Iterator[httpx.Client]:
    url = f"sqlite:///{tmp_path / 'monolith.db'}"
    upgrade(url)
    seed(url, password_hash_method=FAST_HASH)
    app = create_app({"DATABASE_URL": url, "PASSWORD_HASH_METHOD": FAST_HASH})
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://monolith") as c:
        yield c


def test_the_contract_shows_what_the_monolith_really_answers(
    monolith_client: httpx.Client,
) -> None:
    text = DOC.read_text()
    assert START in text and END in text, f"{DOC} lost its {START} ... {END} markers"
    before, rest = text.split(START, 1)
    current, after = rest.split(END, 1)
    fresh = render(monolith_client)
    if os.environ.get("UPDATE_CONTRACT_EXAMPLES") == "1":
        DOC.write_text(before + fresh + after)
        return
    assert START + current + END == fresh, (
        "docs/contract.md examples differ from the monolith's answers; if the change is "
        "deliberate, run: UPDATE_CONTRACT_EXAMPLES=1 ./scripts/test tests/docs"
    )
