"""The outbox and relay on PostgreSQL: no rowid there, so order rests on created_at alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from bus_support import Consumer, event

from extracted.common.bus import (
    EmbeddedBus,
    OutboxRelay,
    consume_once,
    outbox_table,
    write_to_outbox,
)

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
