"""Measure the data sync: monolith writes -> outbox -> relay -> bus -> the services' tables.

Run from the repository root: `.venv/bin/python -m bench.sync_bench [--orders 1000] [--rate 50]`.
A seeded SQLite monolith and backfilled service databases in a temporary directory; the relay
and the `sync-to-orders` / `sync-to-products` appliers run on threads as `strangler events`
runs them. Reports relay throughput (events/s, draining a backlog) and end-to-end lag (p50/p99:
from the monolith's commit to the service's commit) per bus. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import redis
from sqlalchemy.orm import Session, sessionmaker

from extracted.common.bus import (
    EmbeddedBus,
    EventBus,
    IdempotentHandler,
    OutboxRelay,
    RedisBus,
    consume_once,
)
from extracted.common.database import make_engine
from extracted.common.events import Event
from legacy_monolith import outbox
from legacy_monolith.clock import utcnow
from legacy_monolith.migrate import upgrade as upgrade_monolith
from legacy_monolith.models import Order, OrderItem, Product
from legacy_monolith.seed import seed
from migration_plan.data.backfill import backfill
from migration_plan.data.sync import FromMonolith

REDIS_URL = "redis://127.0.0.1:6379/15"
STREAMS = ("user", "session", "product", "order")


COMMITTED: dict[str, float] = {}  # order id -> when its monolith transaction committed


def place_order(sessions: sessionmaker[Session], n: int) -> None:
    with sessions() as session:
        product = session.get(Product, 1 + n % 10)
        assert product is not None
        product.stock += 1  # keep it in stock; one taken below
        product.stock -= 1
        price = Decimal(product.price)
        now = utcnow()
        order = Order(user_id=2, status="pending", total=price, created_at=now, updated_at=now)
        order.items = [
            OrderItem(position=0, product_id=product.id, product_name=product.name,
                      unit_price=price, quantity=1, line_total=price)
        ]  # fmt: skip
        session.add(order)
        session.flush()
        outbox.record(session, "order.created", "order", order.id, {"id": order.id})
        outbox.stock_changed(session, product.id, product.stock)
        session.commit()
        COMMITTED[str(order.id)] = time.time()


def world(workdir: Path) -> tuple[str, dict[str, str]]:
    monolith = f"sqlite:///{workdir / 'monolith.db'}"
    upgrade_monolith(monolith)
    seed(monolith, password_hash_method="pbkdf2:sha256:1000")
    services = {s: f"sqlite:///{workdir / s}.db" for s in ("products", "orders")}
    for service, url in services.items():
        backfill(service, monolith, url)
    return monolith, services


def run(bus: EventBus, workdir: Path, orders: int, rate: float) -> None:
    monolith_url, services = world(workdir)
    monolith = make_engine(monolith_url)
    sessions = sessionmaker(monolith)
    relay = OutboxRelay(monolith, bus, batch_size=200, origin="legacy")

    # Throughput: a backlog of 2 events per order, drained by one relay.
    for n in range(orders):
        place_order(sessions, n)
    started = time.perf_counter()
    sent = relay.drain()
    throughput = sent / (time.perf_counter() - started)

    lags: list[float] = []
    stop = threading.Event()
    handlers: dict[str, IdempotentHandler] = {}
    for service, url in services.items():
        apply = FromMonolith(service, monolith, lambda: {})
        handlers[f"sync-to-{service}"] = IdempotentHandler(
            sessionmaker(make_engine(url)), apply, "sync-from-legacy"
        )
        bus.subscribe(f"sync-to-{service}", STREAMS)

    def consumer(group: str, handler: IdempotentHandler) -> None:
        def many(events: Sequence[Event]) -> None:
            handler.handle_many(events)
            if group == "sync-to-orders":
                now = time.time()
                # The monolith's occurred_at has whole seconds: time from the commit instead.
                lags.extend(
                    now - COMMITTED[e.aggregate_id] for e in events if e.type == "order.created"
                )

        while not stop.is_set():
            consume_once(bus, group, "bench", handler, count=200, block_ms=50, handle_many=many)

    # Catch up on the backlog first, then measure lag at a paced rate.
    threads = [threading.Thread(target=consumer, args=item) for item in handlers.items()]
    for thread in threads:
        thread.start()
    relay_thread = threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_s": 0.005})
    relay_thread.start()
    while len(lags) < orders:
        time.sleep(0.05)
    catch_up = len(lags)
    lags.clear()
    for n in range(orders, orders + int(rate * 10)):
        place_order(sessions, n)
        time.sleep(1 / rate)
    deadline = time.monotonic() + 30
    while len(lags) < int(rate * 10) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in [*threads, relay_thread]:
        thread.join()
    cuts = statistics.quantiles(lags, n=100) if len(lags) > 1 else [0.0] * 99
    print(
        f"  relay throughput {throughput:,.0f} events/s ({sent} events); "
        f"caught up on {catch_up} orders; lag at {rate:g} orders/s over {len(lags)} orders: "
        f"p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms"
    )
    monolith.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000, help="orders in the backlog run")
    parser.add_argument("--rate", type=float, default=50.0, help="orders per second for lag")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("embedded bus (SQLite):")
        run(
            EmbeddedBus(Path(tmp) / "bus.db", poll_interval_ms=5), Path(tmp), args.orders, args.rate
        )
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        print("redis: not reachable, skipped")
        return
    prefix = f"strangler-bench:{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as tmp:
        print("Redis Streams:")
        redis_bus = RedisBus(REDIS_URL, prefix=prefix)
        try:
            run(redis_bus, Path(tmp), args.orders, args.rate)
        finally:
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=prefix + "*"))
            if keys:
                client.delete(*keys)
            redis_bus.close()


if __name__ == "__main__":
    main()
