"""Outbox -> relay -> bus -> idempotent consumer, on both buses: nothing lost, nothing twice."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from bus_support import BusFactory, Consumer, CrashingRelay, Producer, RelayCrashed, event
from sqlalchemy.orm import Session

from extracted.common.bus import (
    BusUnavailable,
    EventBus,
    OutboxRelay,
    consume_once,
    write_to_outbox,
)
from extracted.common.events import Event


def drain_consumer(bus: EventBus, consumer: Consumer, group: str = "g") -> None:
    while consume_once(bus, group, "c1", consumer.handler, count=50):
        pass


def test_the_relay_publishes_unpublished_rows_in_written_order_and_marks_them(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    producer, bus = Producer(tmp_path / "service.db"), make_bus()
    bus.subscribe("g", ["order"])
    written = [event("order", "1", n) for n in range(5)]
    with producer.engine.begin() as conn:
        write_to_outbox(conn, written[:3], producer.outbox)
    with producer.engine.begin() as conn:
        write_to_outbox(conn, written[3:], producer.outbox)
    relay = OutboxRelay(producer.engine, bus, batch_size=2)

    assert relay.drain() == 5

    assert [d.event for d in bus.read("g", "c1", count=10)] == written
    assert relay.unpublished() == 0
    with producer.engine.connect() as conn:
        stamps = conn.execute(sa.select(producer.outbox.c.published_at)).scalars().all()
    assert all(isinstance(stamp, datetime) for stamp in stamps)
    assert relay.relay_once() == 0


def test_events_of_a_rolled_back_transaction_never_reach_the_bus(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    producer, bus = Producer(tmp_path / "service.db"), make_bus()
    bus.subscribe("g", ["order"])
    with pytest.raises(RuntimeError), producer.engine.begin() as conn:
        write_to_outbox(conn, [event()], producer.outbox)
        raise RuntimeError("the business change failed")

    assert OutboxRelay(producer.engine, bus).drain() == 0
    assert bus.read("g", "c1") == []


def test_while_the_bus_is_down_the_outbox_keeps_rows_and_the_relay_delivers_all_when_it_returns(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    producer, consumer = Producer(tmp_path / "service.db"), Consumer(tmp_path / "consumer.db")
    down, up = make_bus(unreachable=True), make_bus()
    up.subscribe("g", ["order"])
    written = [event("order", str(n % 3), n) for n in range(20)]
    for start in range(0, 20, 5):  # business writes keep succeeding while the bus is down
        with producer.engine.begin() as conn:
            write_to_outbox(conn, written[start : start + 5], producer.outbox)
        with pytest.raises(BusUnavailable):
            OutboxRelay(producer.engine, down, batch_size=8).relay_once()

    assert OutboxRelay(producer.engine, down).unpublished() == 20
    assert OutboxRelay(producer.engine, up, batch_size=8).drain() == 20
    drain_consumer(up, consumer)

    assert [row[0] for row in consumer.rows()] == [e.id for e in written]


def test_a_relay_crash_between_publish_and_mark_republishes_and_each_effect_happens_once(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    producer, consumer, bus = (
        Producer(tmp_path / "service.db"),
        Consumer(tmp_path / "consumer.db"),
        make_bus(),
    )
    bus.subscribe("g", ["order"])
    written = [event("order", "1", n) for n in range(6)]
    with producer.engine.begin() as conn:
        write_to_outbox(conn, written, producer.outbox)
    crashes = iter([True, False, True, False, False, False])
    relay = CrashingRelay(producer.engine, bus, batch_size=4, crash=lambda: next(crashes))

    for _ in range(5):
        try:
            relay.drain()
            break
        except RelayCrashed:
            continue  # the "restarted" relay picks up where the rows say
    drain_consumer(bus, consumer)

    assert relay.crashes == 2
    assert bus.info("g")[0].length > len(written)  # duplicates really were published
    assert [row[0] for row in consumer.rows()] == [e.id for e in written]


def test_each_aggregate_keeps_its_order_through_outbox_relay_and_consumer(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    producer, consumer, bus = (
        Producer(tmp_path / "service.db"),
        Consumer(tmp_path / "consumer.db"),
        make_bus(),
    )
    bus.subscribe("g", ["order", "product"])
    written: list[Event] = []
    for n in range(30):  # interleaved aggregates over two streams, several per transaction
        written += [event("order", f"o{n % 4}", n), event("product", f"p{n % 3}", n)]
        if n % 3 == 2:
            with producer.engine.begin() as conn:
                write_to_outbox(conn, written[-6:], producer.outbox)
    OutboxRelay(producer.engine, bus, batch_size=7).drain()

    drain_consumer(bus, consumer)

    applied = consumer.rows()
    assert len(applied) == len(written)
    for aggregate_id in {e.aggregate_id for e in written}:
        ns = [n for _id, agg, n in applied if agg == aggregate_id]
        assert ns == sorted(ns)


def test_a_consumer_that_dies_before_acking_is_redelivered_elsewhere_and_applied_once(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    consumer = Consumer(tmp_path / "consumer.db")
    first, second = make_bus(visibility_timeout_ms=150), make_bus(visibility_timeout_ms=150)
    first.subscribe("g", ["order"])
    applied_then_died, never_applied = event("order", "1", 0), event("order", "1", 1)
    first.publish([applied_then_died, never_applied])

    deliveries = first.read("g", "dies", count=2)
    assert consumer.handler(deliveries[0].event) is True  # committed, then the process died
    time.sleep(0.2)
    redelivered = second.read("g", "c2", count=10)
    results = [consumer.handler(d.event) for d in redelivered]
    for delivery in redelivered:
        second.ack("g", delivery)

    assert [d.deliveries for d in redelivered] == [2, 2]
    assert results == [False, True]
    assert [row[0] for row in consumer.rows()] == [applied_then_died.id, never_applied.id]


def test_a_failing_effect_records_nothing_so_the_redelivery_applies_it(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    consumer, bus = Consumer(tmp_path / "consumer.db"), make_bus(visibility_timeout_ms=10_000)
    bus.subscribe("g", ["order"])
    bus.publish([event("order", "1")])
    calls = {"n": 0}
    apply = consumer.handler.effect

    def flaky(session: Session, ev: Event) -> None:
        apply(session, ev)  # the effect's write must be rolled back with the marker
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("downstream hiccup")

    consumer.handler.effect = flaky

    assert consume_once(bus, "g", "c1", consumer.handler) == 1
    assert consumer.rows() == []
    assert consume_once(bus, "g", "c1", consumer.handler) == 1
    assert len(consumer.rows()) == 1
    assert bus.info("g")[0].pending == 0


def test_the_relay_reads_the_monoliths_outbox_table_by_name(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    from legacy_monolith import outbox as monolith_outbox
    from legacy_monolith.models import Base

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'monolith.db'}")
    Base.metadata.create_all(engine)
    bus = make_bus()
    bus.subscribe("g", ["product", "order"])
    with Session(engine) as session, session.begin():
        # Same second, same aggregate: only insertion order can tell these apart.
        for stock in (5, 4, 3):
            monolith_outbox.stock_changed(session, 7, stock)
        monolith_outbox.record(session, "order.created", "order", 3, {"id": 3})

    assert OutboxRelay(engine, bus, batch_size=2).drain() == 4

    got = bus.read("g", "c1", count=10)
    assert [d.event.data.get("stock") for d in got if d.stream == "product"] == [5, 4, 3]
    order = next(d.event for d in got if d.stream == "order")
    assert (order.type, order.aggregate_id, order.version, order.data) == (
        "order.created",
        "3",
        1,
        {"id": 3},
    )


def test_a_row_whose_payload_is_bare_data_is_published_with_its_columns(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    producer, bus = Producer(tmp_path / "service.db"), make_bus()
    bus.subscribe("g", ["user"])
    with producer.engine.begin() as conn:
        conn.execute(
            sa.insert(producer.outbox).values(
                id="6f1c1b9e-0000-4000-8000-000000000001",
                aggregate="user",
                aggregate_id="42",
                type="user.registered",
                version=2,
                payload=json.dumps({"email": "a@example.com"}),
                created_at=datetime(2026, 11, 27, 4, 0, 0),
            )
        )

    OutboxRelay(producer.engine, bus).drain()

    [delivery] = bus.read("g", "c1")
    assert delivery.event == Event(
        id="6f1c1b9e-0000-4000-8000-000000000001",
        type="user.registered",
        aggregate="user",
        aggregate_id="42",
        version=2,
        occurred_at="2026-11-27T04:00:00+00:00",
        data={"email": "a@example.com"},
    )


def test_a_batch_is_applied_in_one_transaction_skipping_duplicates_within_and_before_it(
    tmp_path: Path,
) -> None:
    consumer = Consumer(tmp_path / "consumer.db")
    old, new = event("order", "1", 0), event("order", "1", 1)
    consumer.handler(old)

    assert consumer.handler.handle_many([old, new, new]) == [False, True, False]
    assert [row[0] for row in consumer.rows()] == [old.id, new.id]


def test_when_a_batch_fails_only_the_failing_event_is_nacked_and_the_rest_applied(
    make_bus: BusFactory, tmp_path: Path
) -> None:
    consumer, bus = Consumer(tmp_path / "consumer.db"), make_bus(visibility_timeout_ms=10_000)
    bus.subscribe("g", ["order"])
    good, bad, also_good = event("order", "1", 0), event("order", "2", 1), event("order", "3", 2)
    bus.publish([good, bad, also_good])
    apply = consumer.handler.effect

    def fails_on_bad(session: Session, ev: Event) -> None:
        if ev.id == bad.id:
            raise ValueError("bad event")
        apply(session, ev)

    consumer.handler.effect = fails_on_bad

    consume_once(bus, "g", "c1", consumer.handler, handle_many=consumer.handler.handle_many)

    assert [row[0] for row in consumer.rows()] == [good.id, also_good.id]
    [retry] = bus.read("g", "c1")
    assert (retry.event, retry.deliveries) == (bad, 2)


def test_write_to_outbox_takes_an_orm_session_and_commits_with_it(tmp_path: Path) -> None:
    producer = Producer(tmp_path / "service.db")
    written = [event("order", "1", n) for n in range(3)]
    with Session(producer.engine) as session:
        with session.begin():
            write_to_outbox(session, written[:2], producer.outbox)
        with pytest.raises(RuntimeError), session.begin():
            write_to_outbox(session, written[2:], producer.outbox)
            raise RuntimeError("rolled back")

    with producer.engine.connect() as conn:
        rows = conn.execute(sa.select(producer.outbox).order_by("created_at")).mappings().all()
    assert [(r["id"], r["version"], json.loads(r["payload"])) for r in rows] == [
        (e.id, 1, e.as_dict()) for e in written[:2]
    ]


def test_two_concurrent_deliveries_of_one_event_apply_it_once_without_an_error(
    tmp_path: Path,
) -> None:
    consumer = Consumer(tmp_path / "consumer.db")
    apply, in_effect = consumer.handler.effect, threading.Event()

    def slow(session: Session, ev: Event) -> None:
        apply(session, ev)
        in_effect.set()
        time.sleep(0.2)  # the other delivery arrives while this transaction is open

    consumer.handler.effect = slow
    twice = event("order", "1")
    results: list[bool] = []
    first = threading.Thread(target=lambda: results.append(consumer.handler(twice)))
    first.start()
    in_effect.wait(5)
    results.append(consumer.handler(twice))
    first.join()

    assert sorted(results) == [False, True]
    assert len(consumer.rows()) == 1
