"""The outbox, relay and idempotent handler on PostgreSQL (no rowid; real concurrent writers)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from bus_support import Consumer, event
from sqlalchemy.orm import Session, sessionmaker

from extracted.common.bus import (
    EmbeddedBus,
    IdempotentHandler,
    OutboxRelay,
    consume_once,
    outbox_table,
    processed_events_table,
    write_to_outbox,
)
from extracted.common.events import Event

pytestmark = pytest.mark.postgres


def test_the_relay_keeps_write_order_on_postgres_even_within_one_transaction(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(postgres_url)
    metadata = sa.MetaData()
    table = outbox_table(metadata)
    metadata.create_all(engine)
    written = [event("order", "1", n) for n in range(50)]
    try:
        with engine.begin() as conn:  # one transaction: created_at differs only by microseconds
            write_to_outbox(conn, written, table)
        bus, consumer = EmbeddedBus(tmp_path / "bus.db"), Consumer(tmp_path / "consumer.db")
        bus.subscribe("g", ["order"])

        assert OutboxRelay(engine, bus, batch_size=8).drain() == 50
        while consume_once(bus, "g", "c1", consumer.handler, count=20):
            pass

        assert [row[0] for row in consumer.rows()] == [e.id for e in written]
        bus.close()
    finally:
        engine.dispose()


def test_concurrent_deliveries_of_one_event_apply_it_once_on_postgres(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    metadata = sa.MetaData()
    processed = processed_events_table(metadata)
    effects = sa.Table("effects", metadata, sa.Column("event_id", sa.String(36), nullable=False))
    metadata.create_all(engine)
    in_effect = threading.Event()

    def slow(session: Session, ev: Event) -> None:
        session.execute(sa.insert(effects).values(event_id=ev.id))
        in_effect.set()
        time.sleep(0.2)  # the other delivery's insert waits on this uncommitted id

    handler = IdempotentHandler(sessionmaker(engine), slow, "projector", processed)
    twice, results = event("order", "1"), []
    try:
        first = threading.Thread(target=lambda: results.append(handler(twice)))
        first.start()
        in_effect.wait(5)
        results.append(handler(twice))
        first.join()

        assert sorted(results) == [False, True]
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(effects)).scalar() == 1
    finally:
        engine.dispose()
