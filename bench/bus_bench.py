"""Measure the event bus: outbox relay throughput (events/s) and end-to-end lag (p50/p99).

Run from the repository root: `.venv/bin/python -m bench.bus_bench [--events 5000] [--rate 200]`.
Both buses run in-process on threads (producer, relay, consumer), each with its own SQLite file
and the engine settings the services use. Redis is skipped when it does not answer; it uses
db 15 under a unique key prefix, deleted afterwards. Prints numbers; never fails on a timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from extracted.common.bus import (
    BusUnavailable,
    EmbeddedBus,
    EventBus,
    IdempotentHandler,
    OutboxRelay,
    RedisBus,
    consume_once,
    outbox_table,
    processed_events_table,
    write_to_outbox,
)
from extracted.common.database import make_engine
from extracted.common.events import Event

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def _outbox_db(path: Path) -> tuple[sa.Engine, sa.Table]:
    engine, metadata = make_engine(f"sqlite:///{path}"), sa.MetaData()
    table = outbox_table(metadata)
    metadata.create_all(engine)
    return engine, table


def _event(n: int) -> Event:
    return Event(
        type="order.created",
        aggregate="order",
        aggregate_id=str(n % 100),
        data={"n": n, "t": time.time()},
    )


def relay_throughput(bus: EventBus, workdir: Path, events: int, batch_size: int) -> float:
    """Events/s for draining an outbox that already holds `events` rows."""
    engine, table = _outbox_db(workdir / "relay.db")
    for start in range(0, events, 100):
        with engine.begin() as conn:
            write_to_outbox(conn, [_event(n) for n in range(start, start + 100)], table)
    relay = OutboxRelay(engine, bus, batch_size=batch_size)
    started = time.perf_counter()
    sent = relay.drain()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return sent / elapsed


def end_to_end_lag(
    make_bus: Callable[[], EventBus], workdir: Path, events: int, rate: float
) -> tuple[list[float], float, float]:
    """Seconds from the business commit to the consumer's commit, for each event.

    One event per business transaction at `rate` per second; the relay polls every 5 ms, the
    consumer blocks in `read` (Redis wakes at once; the embedded bus polls every 10 ms) and
    applies what one read returns in one transaction (`IdempotentHandler.handle_many`).
    """
    engine, table = _outbox_db(workdir / "lag-producer.db")
    consumer_engine, metadata = (
        make_engine(f"sqlite:///{workdir / 'lag-consumer.db'}"),
        sa.MetaData(),
    )
    processed_events_table(metadata)
    metadata.create_all(consumer_engine)
    lags: list[float] = []
    applied_at: list[float] = []

    def record(_session: Session, event: Event) -> None:
        applied_at.append(time.perf_counter())
        lags.append(time.time() - float(event.data["t"]))

    handler = IdempotentHandler(sessionmaker(consumer_engine), record, "bench")
    relay_bus, consumer_bus = make_bus(), make_bus()
    consumer_bus.subscribe("bench", ["order"])
    stop = threading.Event()
    relay = OutboxRelay(engine, relay_bus, batch_size=200)

    def consume() -> None:
        while not stop.is_set():
            consume_once(
                consumer_bus, "bench", "c1", handler, 200, 100, handle_many=handler.handle_many
            )

    workers = [
        threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_s": 0.005}),
        threading.Thread(target=consume),
    ]
    for worker in workers:
        worker.start()
    try:
        started = time.perf_counter()
        for n in range(events):
            with engine.begin() as conn:
                write_to_outbox(conn, [_event(n)], table)
            pause = started + (n + 1) / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        produced = events / (time.perf_counter() - started)
        deadline = time.monotonic() + 60
        while len(lags) < events and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
        for bus in (relay_bus, consumer_bus):
            bus.close()
        engine.dispose()
        consumer_engine.dispose()
    applied = len(applied_at) / (applied_at[-1] - started) if applied_at else 0.0
    return lags, produced, applied


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="rows for the throughput run")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--lag-events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="business commits per second")
    args = parser.parse_args()

    prefix = f"strangler-bench:{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
        redis_up = True
    except redis.ConnectionError:
        redis_up = False

    print(
        f"relay run: {args.events} rows, batch {args.batch_size} | lag run: {args.lag_events}"
        f" events, one per business commit, offered at {args.rate:.0f}/s"
    )
    with tempfile.TemporaryDirectory(prefix="bus-bench-") as tmp:
        for kind in ("embedded", "redis"):
            if kind == "redis" and not redis_up:
                print(f"{kind:9} skipped: Redis is not answering at {REDIS_URL}")
                continue
            workdir = Path(tmp) / kind
            workdir.mkdir()

            def make_bus(kind: str = kind, workdir: Path = workdir) -> EventBus:
                if kind == "redis":
                    return RedisBus(REDIS_URL, prefix=prefix + "lag:")
                return EmbeddedBus(workdir / "bus.db")

            try:
                with (
                    RedisBus(REDIS_URL, prefix=prefix + "relay:")
                    if kind == "redis"
                    else EmbeddedBus(workdir / "relay-bus.db")
                ) as bus:
                    throughput = relay_throughput(bus, workdir, args.events, args.batch_size)
                lags, produced, applied = end_to_end_lag(
                    make_bus, workdir, args.lag_events, args.rate
                )
                lags.sort()
            except BusUnavailable as error:
                print(f"{kind:9} failed: {error}")
                continue
            print(
                f"{kind:9} relay {throughput:6.0f} events/s | lag over {len(lags)} events:"
                f" p50 {_percentile(lags, 50) * 1000:6.1f} ms"
                f"  p99 {_percentile(lags, 99) * 1000:6.1f} ms"
                f"  max {lags[-1] * 1000 if lags else 0:6.1f} ms"
                f" (committed {produced:.0f}/s, applied {applied:.0f}/s)"
            )
    if redis_up:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    client.close()


if __name__ == "__main__":
    main()
