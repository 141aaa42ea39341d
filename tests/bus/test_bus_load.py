"""10,000 events: outbox -> crashing relay -> two consumers (one sometimes dies) -> applied once."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from bus_support import BusFactory, Consumer, CrashingRelay, Producer, RelayCrashed, event

from extracted.common.bus import EventBus, consume_once, write_to_outbox
from extracted.common.events import Event

pytestmark = pytest.mark.load

EVENTS, PER_TRANSACTION, AGGREGATES = 10_000, 20, 50


def produce(producer: Producer, written: list[Event]) -> None:
    counters: Counter[str] = Counter()
    for _ in range(EVENTS // PER_TRANSACTION):
        batch = []
        for _ in range(PER_TRANSACTION):
            aggregate_id = f"o{random.randrange(AGGREGATES)}"
            batch.append(event("order", aggregate_id, counters[aggregate_id]))
            counters[aggregate_id] += 1
        with producer.engine.begin() as conn:
            write_to_outbox(conn, batch, producer.outbox)
        written += batch


def relay_with_crashes(relay: CrashingRelay, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            if relay.relay_once() == 0:
                stop.wait(0.005)
        except RelayCrashed:
            continue  # a new relay process would start from the rows, as this one does


def consume(
    bus: EventBus, name: str, consumer: Consumer, dies: float, stop: threading.Event
) -> None:
    bus.subscribe("g", ["order"])
    # The dying consumer applies a batch at a time, the other one event at a time.
    batch = consumer.handler.handle_many if dies else None
    while not stop.is_set():
        if random.random() < dies:  # read a batch and vanish without acking any of it
            bus.read("g", f"{name}-dead", count=10)
            continue
        consume_once(bus, "g", name, consumer.handler, 100, 50, handle_many=batch)


def test_ten_thousand_events_survive_relay_crashes_and_dying_consumers_applied_exactly_once(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    random.seed(7)
    producer, consumer = Producer(tmp_path / "service.db"), Consumer(tmp_path / "consumer.db")
    relay_bus = make_bus(visibility_timeout_ms=500, max_deliveries=50)
    relay_bus.subscribe("g", ["order"])
    relay = CrashingRelay(
        producer.engine, relay_bus, batch_size=200, crash=lambda: random.random() < 0.1
    )
    stop, written = threading.Event(), []
    threads = [
        threading.Thread(target=produce, args=(producer, written)),
        threading.Thread(target=relay_with_crashes, args=(relay, stop)),
        threading.Thread(target=consume, args=(make_bus(500, 50), "c1", consumer, 0.0, stop)),
        threading.Thread(target=consume, args=(make_bus(500, 50), "c2", consumer, 0.02, stop)),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            if not threads[0].is_alive() and consumer.count() >= EVENTS:
                if relay.unpublished() == 0 and relay_bus.info("g")[0].pending == 0:
                    break
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    applied = Counter(event_id for event_id, _agg, _n in consumer.rows())
    assert len(written) == EVENTS
    assert set(applied) == {e.id for e in written}
    assert max(applied.values()) == 1
    assert relay.crashes > 0
    assert relay_bus.dead_letters("order") == []
