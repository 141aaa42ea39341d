"""A seeded monolith and backfilled service databases (SQLite), an embedded bus, the appliers."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from extracted.common.bus import (
    EmbeddedBus,
    EventBus,
    IdempotentHandler,
    OutboxRelay,
    RedisBus,
    consume_once,
)
from extracted.common.database import make_engine
from legacy_monolith.app import create_app
from legacy_monolith.db import engine_of
from legacy_monolith.migrate import upgrade as upgrade_monolith
from legacy_monolith.seed import seed
from migration_plan.data.backfill import backfill
from migration_plan.data.sync import FromMonolith, ToMonolith

FAST_HASH = "pbkdf2:sha256:1000"
STREAMS = ("user", "session", "product", "order")
SERVICES = ("auth", "products", "orders")


@dataclass
class World:
    """The monolith, the three services' databases, one bus, and who owns which table."""

    monolith_url: str
    urls: dict[str, str]
    bus: EventBus
    owners: dict[str, str] = field(default_factory=dict)
    engines: dict[str, sa.Engine] = field(default_factory=dict)

    @property
    def monolith(self) -> sa.Engine:
        return self.engines["legacy"]

    def relay(self, source: str) -> int:
        engine = self.monolith if source == "legacy" else self.engines[source]
        return OutboxRelay(engine, self.bus, origin=source).drain()

    def handlers(self) -> dict[str, IdempotentHandler | ToMonolith]:
        found: dict[str, IdempotentHandler | ToMonolith] = {}
        for service in SERVICES:
            apply = FromMonolith(service, self.monolith, lambda: self.owners)
            sessions = sessionmaker(self.engines[service])
            found[f"sync-to-{service}"] = IdempotentHandler(sessions, apply, "sync-from-legacy")
        found["sync-to-legacy"] = ToMonolith(
            self.monolith_url, {s: self.engines[s] for s in SERVICES}, lambda: self.owners
        )
        return found

    def sync(self) -> None:
        """Relay every outbox, then let every sync group read until it is idle."""
        for source in ("legacy", *SERVICES):
            self.relay(source)
        handlers = self.handlers()
        try:
            for group, handle in handlers.items():
                self.bus.subscribe(group, STREAMS)
                many = handle.handle_many if isinstance(handle, IdempotentHandler) else None
                while consume_once(self.bus, group, "w1", handle, count=200, handle_many=many):
                    pass
        finally:
            bridge = handlers["sync-to-legacy"]
            assert isinstance(bridge, ToMonolith)
            bridge.close()

    def outbox_rows(self, name: str) -> int:
        with self.engines[name].connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one())


VISIBILITY_MS = 300


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def bus_kind() -> str:
    """Embedded unless a test module parametrizes it (see test_sync_delivery.py)."""
    return "embedded"


@pytest.fixture
def make_bus(bus_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """`make_bus()` -> a bus over this test's store; `make_bus(unreachable=True)` -> one whose
    broker is down (a closed port; for the embedded bus, a path that cannot be opened)."""
    created: list[EventBus] = []
    prefix = f"strangler-sync-test:{uuid.uuid4().hex[:12]}:"
    url = request.getfixturevalue("redis_url") if bus_kind == "redis" else ""

    def factory(unreachable: bool = False) -> EventBus:
        bus: EventBus
        if bus_kind == "redis":
            target = f"redis://127.0.0.1:{closed_port()}/15" if unreachable else url
            bus = RedisBus(target, VISIBILITY_MS, 5, prefix=prefix)
        elif unreachable:
            (tmp_path / "not-a-directory").write_text("")
            bus = EmbeddedBus(tmp_path / "not-a-directory" / "bus.db", VISIBILITY_MS, 5)
        else:
            bus = EmbeddedBus(tmp_path / "bus.db", VISIBILITY_MS, 5, poll_interval_ms=5)
        created.append(bus)
        return bus

    yield factory
    for bus in created:
        bus.close()
    if bus_kind == "redis":
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.fixture
def database_kind() -> str:
    """SQLite unless a test module parametrizes it (see test_sync_postgres.py)."""
    return "sqlite"


@pytest.fixture
def new_database(
    database_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """`new_database("orders")` -> the URL of a fresh, empty database of the backend under test."""
    if database_kind == "sqlite":
        yield lambda name: f"sqlite:///{tmp_path / name}.db"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make(name: str) -> str:
        database = f"strangler_sync_{name}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        created.append(database)
        return admin_url.rsplit("/", 1)[0] + f"/{database}"

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for database in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def world(make_bus: Any, new_database: Any) -> Iterator[World]:
    monolith_url = new_database("monolith")
    upgrade_monolith(monolith_url)
    seed(monolith_url, password_hash_method=FAST_HASH)
    urls = {service: new_database(service) for service in SERVICES}
    for service, url in urls.items():
        backfill(service, monolith_url, url)
    world = World(monolith_url, urls, make_bus())
    world.engines = {"legacy": make_engine(monolith_url)} | {
        service: make_engine(url) for service, url in urls.items()
    }
    # The monolith's seed wrote outbox rows too: they are old news to backfilled services.
    world.relay("legacy")
    for service in SERVICES:
        world.bus.subscribe(f"sync-to-{service}", STREAMS)
    world.sync()
    yield world
    for engine in world.engines.values():
        engine.dispose()


@pytest.fixture
def monolith(world: World) -> Iterator[httpx.Client]:
    app = create_app({"DATABASE_URL": world.monolith_url, "PASSWORD_HASH_METHOD": FAST_HASH})
    with httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://monolith.test"
    ) as client:
        yield client
    engine_of(app).dispose()


def login(client: httpx.Client, email: str = "alice@example.com") -> dict[str, str]:
    answer = client.post("/api/auth/login", json={"email": email, "password": "password123"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}
