"""Every write of a synced table announces itself in its own transaction, so with the sync
running `data verify` is clean within the sync's lag: each write endpoint of the plan and each
writable field, sent through the router, on SQLite and on PostgreSQL, in both directions.

* monolith -> services: every endpoint `legacy`, so the monolith answers and owns the tables;
* services -> monolith: every endpoint `extracted`, so the services answer and own their tables
  (ownership computed from the plan's `tables:` as the sync does).

Each case writes while the sync is held, checks the event types its transaction put in the
outboxes and that `data verify` sees the write (so the case tests something), then lets the sync
go and waits for a clean verify. Before
product.updated, a PATCH of anything but the stock (or of the stock at its current level) left
the other side's row stale for good.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import structlog
from a2wsgi import WSGIMiddleware
from sqlalchemy.orm import sessionmaker

import migration_plan
from extracted.common.bus import IdempotentHandler, OutboxRelay, consume_once
from extracted.common.bus.outbox import event_from_row
from extracted.common.events import Event, NullPublisher
from extracted.common.unit_of_work import unit_of_work
from extracted.products_service import catalogue
from migration_plan.data.ownership import table_owners
from migration_plan.data.sync import FromMonolith, ToMonolith
from migration_plan.data.verify import verify
from migration_plan.plan import Plan, parse_plan
from router.app import RouterApp, create_app
from router.settings import RouterSettings
from tests.support.httpx_forwarder import HttpxForwarder

from .conftest import FAST_HASH, SERVICES, STREAMS, World

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

# How long a write may take to reach the other side here (a shared 2-core machine, PostgreSQL
# included); the sync itself polls every 20 ms.
LAG_BUDGET_S = 10.0
PLAN_FILE = Path(migration_plan.__file__).parent / "plan.yaml"
ORIGINS = {name: f"http://{name}.test" for name in ("legacy", *SERVICES)}
AGED = "2026-01-01 00:00:00"  # the seeded products' updated_at, so a same-second write shows
ADMIN = ("admin@example.com", "admin-password")
ALICE = ("alice@example.com", "password123")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def plan_in(mode: str) -> Plan:
    """The repository's plan with every endpoint in `mode`, its upstreams the in-process apps."""
    text = re.sub(r"\bmode: \w+", f"mode: {mode}", PLAN_FILE.read_text(encoding="utf-8"))
    env = {f"UPSTREAM_{name.upper()}_URL": origin for name, origin in ORIGINS.items()}
    plan = parse_plan(text, str(PLAN_FILE), env=env)
    assert {e.mode.value for e in plan.endpoints} == {mode}
    return plan


def owners_under(plan: Plan) -> dict[str, str]:
    routes = [{"service": e.service, "mode": e.mode.value} for e in plan.endpoints]
    return table_owners(plan.tables, routes)


# --- the sync, running in a thread -----------------------------------------------------------


class RunningSync:
    """The relays and the four sync groups in a loop, as `strangler events relay all` and
    `strangler events consume sync` run them; `held()` pauses it between two passes."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.relays = [
            OutboxRelay(world.monolith if s == "legacy" else world.engines[s], world.bus, origin=s)
            for s in ("legacy", *SERVICES)
        ]
        self.handlers = world.handlers()
        for group in self.handlers:
            world.bus.subscribe(group, STREAMS)
        self.stop = threading.Event()
        self.turn = threading.Lock()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="sync", daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                with self.turn:
                    self._pass()
                self.stop.wait(0.02)
        except BaseException as error:  # surfaced by the test that waits for a clean verify
            self.error = error

    def _pass(self) -> None:
        for relay in self.relays:
            relay.drain()
        for group, handle in self.handlers.items():
            many = handle.handle_many if isinstance(handle, IdempotentHandler) else None
            while consume_once(self.world.bus, group, "w1", handle, count=200, handle_many=many):
                pass

    @contextmanager
    def held(self) -> Iterator[None]:
        with self.turn:
            yield

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        bridge = self.handlers["sync-to-legacy"]
        assert isinstance(bridge, ToMonolith)
        bridge.close()


def dirty(world: World) -> set[str]:
    """The tables `data verify` finds different, as `service.table`."""
    return {
        f"{service}.{table.table}"
        for service in SERVICES
        for table in verify(service, world.monolith, world.engines[service])
        if not table.clean
    }


def wait_clean(world: World, sync: RunningSync) -> float:
    """Seconds until `data verify` is clean for every service; fails past the budget."""
    start = time.monotonic()
    while True:
        left = dirty(world)
        elapsed = time.monotonic() - start
        if not left:
            return elapsed
        if sync.error is not None:
            raise AssertionError(f"the sync stopped: {sync.error!r}") from sync.error
        if elapsed > LAG_BUDGET_S:
            raise AssertionError(f"still different after {LAG_BUDGET_S}s: {sorted(left)}")
        time.sleep(0.02)


# --- the apps behind the router ----------------------------------------------------------------


class HostTransport(httpx.AsyncBaseTransport):
    """Each request to the in-process app of its origin."""

    def __init__(self, routes: dict[str, httpx.AsyncBaseTransport]) -> None:
        self.routes = routes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = f"{request.url.scheme}://{request.url.host}"
        if origin not in self.routes:
            raise httpx.ConnectError(f"connection refused: {origin}", request=request)
        return await self.routes[origin].handle_async_request(request)


@dataclass
class Stack:
    world: World
    sync: RunningSync
    client: httpx.AsyncClient  # the router's
    mode: str  # every endpoint's: legacy or extracted
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    async def login(self, who: tuple[str, str]) -> dict[str, str]:
        body = {"email": who[0], "password": who[1]}
        answer = await self.client.post("/api/auth/login", json=body)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    async def token(self, who: tuple[str, str]) -> dict[str, str]:
        if who[0] not in self.tokens:
            self.tokens[who[0]] = await self.login(who)
        return self.tokens[who[0]]


def age_products(world: World) -> None:
    for engine in (world.monolith, world.engines["products"]):
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE products SET updated_at = :at"), {"at": AGED})


@pytest.fixture(
    params=["legacy", "extracted"], ids=["monolith-to-services", "services-to-monolith"]
)
async def stack(request: pytest.FixtureRequest, world: World) -> AsyncIterator[Stack]:
    from extracted.auth_service.app import create_app as auth_app
    from extracted.auth_service.settings import AuthSettings
    from extracted.orders_service.app import create_app as orders_app
    from extracted.orders_service.settings import OrdersSettings
    from extracted.products_service.app import create_app as products_app
    from extracted.products_service.settings import ProductsSettings
    from legacy_monolith.app import create_app as monolith_app
    from legacy_monolith.db import engine_of

    mode = str(request.param)
    plan = plan_in(mode)
    world.owners.update(owners_under(plan))
    age_products(world)

    monolith = monolith_app({"DATABASE_URL": world.monolith_url, "PASSWORD_HASH_METHOD": FAST_HASH})
    mesh = HostTransport({ORIGINS["legacy"]: httpx.ASGITransport(app=WSGIMiddleware(monolith))})
    calls = httpx.AsyncClient(transport=mesh)  # service-to-service, resolved in-process
    common: dict[str, Any] = {"auth_service_url": ORIGINS["auth"], "http_retries": 0}
    services = {
        "auth": auth_app(
            AuthSettings(
                database_url=world.urls["auth"],
                legacy_url=ORIGINS["legacy"],
                password_hash_method=FAST_HASH,
                http_retries=0,
            ),
            client=calls,
        ),
        "products": products_app(
            ProductsSettings(database_url=world.urls["products"], **common), client=calls
        ),
        "orders": orders_app(
            OrdersSettings(
                database_url=world.urls["orders"],
                products_service_url=ORIGINS["products"],
                **common,
            ),
            client=calls,
        ),
    }
    for name, app in services.items():
        mesh.routes[ORIGINS[name]] = httpx.ASGITransport(app=app)

    quiet = structlog.wrap_logger(structlog.WriteLogger(io.StringIO()))
    router: RouterApp = create_app(
        plan,
        HttpxForwarder(transport=HostTransport(dict(mesh.routes))),
        RouterSettings(reload_interval=0),
        access_log=quiet,
        event_log=quiet,
    )
    sync = RunningSync(world)
    sync.thread.start()
    try:
        async with router.running():
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=router), base_url="http://router.test"
            ) as client:
                yield Stack(world, sync, client, mode)
    finally:
        sync.close()
        await calls.aclose()
        for app in services.values():
            app.state.runtime.database.dispose()
        engine_of(monolith).dispose()


# --- the writes ----------------------------------------------------------------------------------

Prepare = Callable[[Stack], Awaitable[dict[str, Any]]]
Write = Callable[[Stack, dict[str, Any]], Awaitable[None]]


async def nothing(_stack: Stack) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    route: str  # the plan's endpoint
    write: Write
    events: frozenset[str]  # the event types its transaction(s) put in the outboxes
    touches: frozenset[str]  # what `data verify` sees different before the sync runs
    prepare: Prepare = nothing
    # auth_service's logout also revokes at the monolith at once, so nothing differs there
    touches_when_extracted: frozenset[str] | None = None

    def differs(self, mode: str) -> frozenset[str]:
        if mode == "extracted" and self.touches_when_extracted is not None:
            return self.touches_when_extracted
        return self.touches


def expect(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status, (answer.status_code, answer.text)


def patch(body: dict[str, Any]) -> Write:
    async def write(stack: Stack, _: dict[str, Any]) -> None:
        headers = await stack.token(ADMIN)
        expect(await stack.client.patch("/api/products/1", json=body, headers=headers), 200)

    return write


async def patch_stock_to_its_level(stack: Stack, ready: dict[str, Any]) -> None:
    answer = await stack.client.get("/api/products/1")
    expect(answer, 200)
    await patch({"stock": answer.json()["stock"]})(stack, ready)


def create_product(body: dict[str, Any]) -> Write:
    async def write(stack: Stack, _: dict[str, Any]) -> None:
        headers = await stack.token(ADMIN)
        expect(await stack.client.post("/api/products", json=body, headers=headers), 201)

    return write


async def register(stack: Stack, _: dict[str, Any]) -> None:
    body = {"email": "newcomer@example.com", "name": "  Newcomer  ", "password": "a long secret"}
    expect(await stack.client.post("/api/auth/register", json=body), 201)


async def login(stack: Stack, _: dict[str, Any]) -> None:
    await stack.login(ALICE)


async def a_session(stack: Stack) -> dict[str, Any]:
    return {"headers": await stack.login(ALICE)}


async def logout(stack: Stack, ready: dict[str, Any]) -> None:
    expect(await stack.client.post("/api/auth/logout", headers=ready["headers"]), 204)


async def verify_stock(stack: Stack, _: dict[str, Any]) -> None:
    body = {"items": [{"product_id": 1, "quantity": 1}]}
    expect(await stack.client.post("/api/stock/verify", json=body), 200)


def order(lines: list[tuple[int, int]]) -> Write:
    async def write(stack: Stack, _: dict[str, Any]) -> None:
        items = [{"product_id": p, "quantity": q} for p, q in lines]
        headers = await stack.token(ALICE)
        expect(await stack.client.post("/api/orders", json={"items": items}, headers=headers), 201)

    return write


async def an_order(stack: Stack) -> dict[str, Any]:
    items = [{"product_id": 4, "quantity": 2}]
    headers = await stack.token(ALICE)
    answer = await stack.client.post("/api/orders", json={"items": items}, headers=headers)
    expect(answer, 201)
    return {"order_id": answer.json()["id"]}


async def cancel(stack: Stack, ready: dict[str, Any]) -> None:
    headers = await stack.token(ALICE)
    answer = await stack.client.post(f"/api/orders/{ready['order_id']}/cancel", headers=headers)
    expect(answer, 200)


NEW_PRODUCT = {"sku": "T-9", "name": "Brand new", "category": "toys", "price": "5.50", "stock": 7}
EVERY_FIELD = {
    "name": "All",
    "description": "of it",
    "category": "kitchen",
    "price": "1",
    "stock": 3,
}
PRODUCTS = frozenset({"products.products"})
ORDER_TABLES = frozenset({"orders.orders", "orders.order_items", "products.products"})


def events(*types: str) -> frozenset[str]:
    return frozenset(types)


UPDATED, BOTH = events("product.updated"), events("product.updated", "stock.changed")
PATCH = "PATCH /api/products/{id}"

CASES: dict[str, Case] = {
    "register": Case(
        "POST /api/auth/register", register, events("user.registered"), frozenset({"auth.users"})
    ),
    "login": Case(
        "POST /api/auth/login", login, events("session.created"), frozenset({"auth.sessions"})
    ),
    "logout": Case(
        "POST /api/auth/logout",
        logout,
        events("session.revoked"),
        frozenset({"auth.sessions"}),
        a_session,
        touches_when_extracted=frozenset(),
    ),
    "product-create": Case(
        "POST /api/products",
        create_product({**NEW_PRODUCT, "description": "made by the test"}),
        events("stock.changed"),
        PRODUCTS,
    ),
    "product-create-no-description": Case(  # description defaults to ""
        "POST /api/products", create_product(NEW_PRODUCT), events("stock.changed"), PRODUCTS
    ),
    "patch-name": Case(PATCH, patch({"name": "Renamed"}), UPDATED, PRODUCTS),
    "patch-description": Case(PATCH, patch({"description": "At last"}), UPDATED, PRODUCTS),
    "patch-category": Case(PATCH, patch({"category": "garden"}), UPDATED, PRODUCTS),
    "patch-price": Case(PATCH, patch({"price": "123.45"}), UPDATED, PRODUCTS),
    "patch-stock": Case(PATCH, patch({"stock": 4321}), BOTH, PRODUCTS),
    # only updated_at moves: before product.updated this one wrote no event at all
    "patch-stock-same-level": Case(PATCH, patch_stock_to_its_level, UPDATED, PRODUCTS),
    "patch-every-field": Case(PATCH, patch(EVERY_FIELD), BOTH, PRODUCTS),
    "stock-verify": Case("POST /api/stock/verify", verify_stock, events(), frozenset()),  # a read
    "order": Case(
        "POST /api/orders", order([(2, 1)]), events("order.created", "stock.changed"), ORDER_TABLES
    ),
    "order-two-lines": Case(
        "POST /api/orders",
        order([(3, 2), (5, 1)]),
        events("order.created", "stock.changed"),
        ORDER_TABLES,
    ),
    "order-cancel": Case(
        "POST /api/orders/{id}/cancel",
        cancel,
        events("order.cancelled", "stock.changed"),
        frozenset({"orders.orders", "products.products"}),
        an_order,
    ),
}


def unpublished(world: World) -> set[str]:
    """The event types waiting in every outbox (the monolith's and the services')."""
    found: set[str] = set()
    for engine in world.engines.values():
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT type FROM outbox WHERE published_at IS NULL"))
            found.update(row[0] for row in rows)
    return found


def test_every_write_endpoint_of_the_plan_has_a_case() -> None:
    writes = {e.route for e in plan_in("legacy").endpoints if not e.route.startswith("GET ")}
    assert {case.route for case in CASES.values()} == writes


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_write_through_the_router_leaves_data_verify_clean_within_the_lag(
    stack: Stack, name: str
) -> None:
    case = CASES[name]
    ready = await case.prepare(stack)
    await stack.token(ADMIN)
    await stack.token(ALICE)
    wait_clean(stack.world, stack.sync)  # the logins and the preparation are synced

    with stack.sync.held():
        assert unpublished(stack.world) == set()
        await case.write(stack, ready)
        assert unpublished(stack.world) == case.events
        assert dirty(stack.world) == case.differs(stack.mode)

    assert wait_clean(stack.world, stack.sync) <= LAG_BUDGET_S


# --- product.updated applied twice, or late: the appliers copy current rows ----------------------


def product_events(engine: sa.Engine, origin: str) -> list[Event]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT * FROM outbox WHERE type = 'product.updated' ORDER BY created_at")
        ).mappings()
        return [replace(event_from_row(row), origin=origin) for row in rows]


def test_product_updated_from_the_monolith_applied_again_or_late_changes_nothing(
    world: World, monolith: httpx.Client
) -> None:
    answer = monolith.post("/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}
    for body in ({"name": "First"}, {"name": "Second", "price": "2.00"}):
        assert monolith.patch("/api/products/1", json=body, headers=headers).status_code == 200
    world.sync()
    assert dirty(world) == set()
    first, second = product_events(world.monolith, "legacy")
    apply = FromMonolith("products", world.monolith, lambda: world.owners)
    for event in (second, second, first):  # a duplicate, then a late one
        with world.engines["products"].begin() as conn:
            assert apply.apply(conn, event) == 1
    assert dirty(world) == set()


def test_product_updated_from_products_service_applied_again_or_late_changes_nothing(
    world: World,
) -> None:
    world.owners["products"] = "products"
    sessions = sessionmaker(world.engines["products"])
    for body in ({"description": "First"}, {"category": "garden", "stock": 1}):
        with unit_of_work(sessions, NullPublisher(), dry_run=False) as uow:
            catalogue.update(uow, catalogue.load(uow.session, 1), body)
    world.sync()
    assert dirty(world) == set()
    first, second = product_events(world.engines["products"], "products")
    sources = {service: world.engines[service] for service in SERVICES}
    apply = ToMonolith(world.monolith_url, sources, lambda: world.owners)
    try:
        for event in (second, second, first):
            assert apply.apply(event) == 1
    finally:
        apply.close()
    assert dirty(world) == set()
