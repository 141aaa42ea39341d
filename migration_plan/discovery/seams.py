"""Seams by dynamic analysis: run representative requests through the real monolith in-process
and record, per endpoint, the tables its SQL reads and writes (SQLAlchemy `before_cursor_execute`).

Limits (say them wherever the result is shown): only the code paths these requests take are seen
(error branches, rare filters and other data may touch other tables); raw SQL built outside the
engine, triggers and the database's own cascades are invisible; the run uses SQLite.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migration_plan.discovery.routes import flask_path
from migration_plan.discovery.sql_tables import tables_in
from migration_plan.plan import Plan

LIMITS = (
    "dynamic analysis of one run of representative requests on SQLite: only the code paths those "
    "requests took are seen (error branches and other data may touch other tables)"
)
FAST_HASH = "pbkdf2:sha256:1000"


@dataclass(slots=True)
class Access:
    """What one endpoint did during the run."""

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    statuses: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Seam:
    """One endpoint's table access, and the tables it touches that another service owns."""

    route: str
    service: str | None
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    statuses: tuple[int, ...]
    foreign_reads: tuple[tuple[str, str], ...]  # (table, owner)
    foreign_writes: tuple[tuple[str, str], ...]
    unowned: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "service": self.service,
            "reads": list(self.reads),
            "writes": list(self.writes),
            "statuses": list(self.statuses),
            "cross_domain": {
                "reads": [{"table": t, "owner": o} for t, o in self.foreign_reads],
                "writes": [{"table": t, "owner": o} for t, o in self.foreign_writes],
            },
            "unowned_tables": list(self.unowned),
        }


def seams(plan: Plan, accesses: dict[str, Access]) -> list[Seam]:
    """Pure: the observed access of each endpoint against the plan's table ownership.

    A table owned by the plan's legacy upstream (the monolith's own outbox, say) is nobody
    else's: touching it is not a cross-domain access."""
    found = []
    for route, access in accesses.items():
        endpoint = plan.endpoint(route)
        service = endpoint.service if endpoint else None
        foreign_reads, foreign_writes = [], []
        for table in sorted(access.reads | access.writes):
            owner = plan.tables.get(table)
            if owner is None or owner == plan.legacy or owner == service:
                continue
            if table in access.writes:
                foreign_writes.append((table, owner))
            else:
                foreign_reads.append((table, owner))
        found.append(
            Seam(
                route=endpoint.route if endpoint else route,
                service=service,
                reads=tuple(sorted(access.reads)),
                writes=tuple(sorted(access.writes)),
                statuses=tuple(access.statuses),
                foreign_reads=tuple(foreign_reads),
                foreign_writes=tuple(foreign_writes),
                unowned=tuple(
                    sorted(t for t in access.reads | access.writes if t not in plan.tables)
                ),
            )
        )
    return sorted(found, key=lambda s: s.route)


def observe_monolith(
    script: Callable[[Any, dict[str, str]], None] | None = None,
) -> dict[str, Access]:
    """Build the monolith on a fresh SQLite file (migrated, demo data), run `script` (default:
    `representative_requests`) through its test client, and return each endpoint's access."""
    from flask import request
    from sqlalchemy import event

    from legacy_monolith.app import create_app
    from legacy_monolith.db import engine_of
    from legacy_monolith.migrate import upgrade
    from legacy_monolith.seed import seed

    accesses: dict[str, Access] = {}
    current: list[Access | None] = [None]
    with tempfile.TemporaryDirectory(prefix="strangler-seams-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'seams.db'}"
        upgrade(url)
        seed(url, password_hash_method=FAST_HASH)
        app = create_app({"DATABASE_URL": url, "PASSWORD_HASH_METHOD": FAST_HASH, "TESTING": True})
        engine = engine_of(app)

        def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            access = current[0]
            if access is not None:
                reads, writes = tables_in(statement)
                access.reads |= reads
                access.writes |= writes

        @app.before_request
        def _enter() -> None:
            rule = request.url_rule
            if rule is not None:
                route = f"{request.method} {flask_path(rule.rule)}"
                current[0] = accesses.setdefault(route, Access())

        @app.after_request
        def _leave(response: Any) -> Any:
            if current[0] is not None:
                current[0].statuses.append(response.status_code)
            return response

        @app.teardown_request
        def _done(_exc: BaseException | None) -> None:
            current[0] = None

        event.listen(engine, "before_cursor_execute", on_execute)
        try:
            with app.test_client() as client:
                (script or representative_requests)(client, {})
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
            engine.dispose()
    return accesses


def representative_requests(client: Any, _state: dict[str, str]) -> None:
    """One successful call of every public endpoint, as a client would make them."""
    from legacy_monolith.seed import ADMIN, CUSTOMER_PASSWORD, CUSTOMERS

    def login(email: str, password: str) -> dict[str, str]:
        response = client.post("/api/auth/login", json={"email": email, "password": password})
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    client.post(
        "/api/auth/register",
        json={"email": "seams@example.com", "password": "seams-password", "name": "Seams"},
    )
    admin = login(ADMIN[0], ADMIN[2])
    alice = login(CUSTOMERS[0][0], CUSTOMER_PASSWORD)
    me = client.get("/api/auth/me", headers=alice).get_json()
    client.get(f"/api/users/{me['id']}", headers=alice)
    client.get("/api/products?per_page=5", headers=alice)
    client.get("/api/products/1")
    created = client.post(
        "/api/products",
        headers=admin,
        json={"sku": "SEAMS-1", "name": "Seam", "category": "tools", "price": "9.99", "stock": 5},
    ).get_json()
    client.patch(f"/api/products/{created['id']}", headers=admin, json={"stock": 7})
    client.post("/api/stock/verify", json={"items": [{"product_id": 1, "quantity": 1}]})
    order = client.post(
        "/api/orders", headers=alice, json={"items": [{"product_id": 1, "quantity": 1}]}
    ).get_json()
    client.get("/api/orders", headers=alice)
    client.get(f"/api/orders/{order['id']}", headers=alice)
    client.post(f"/api/orders/{order['id']}/cancel", headers=alice)
    client.post("/api/auth/logout", headers=alice)
