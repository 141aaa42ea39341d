"""The outbox relay: publish unpublished outbox rows in the order they were written, then mark them.

Crash-safe by ordering, not by locks: rows are marked only after the bus has taken them, so a
crash between the two publishes the batch again on restart (a duplicate, never a loss), and
consumers drop duplicates by event id (see `IdempotentHandler`). Run ONE relay per outbox: two
relays would each publish the same rows, and interleave them.

Order: `created_at`, then insertion order (SQLite's rowid) or the id elsewhere. Per aggregate this
is the commit order as long as the business transaction locks the aggregate before it writes the
outbox, which every update of an aggregate does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import sqlalchemy as sa

from extracted.common.bus.outbox import event_from_row
from extracted.common.bus.port import BusUnavailable, EventBus

log = logging.getLogger("extracted.common.bus.relay")


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class OutboxRelay:
    def __init__(
        self,
        engine: sa.Engine,
        bus: EventBus,
        batch_size: int = 100,
        table: sa.Table | str = "outbox",
        clock: Callable[[], datetime] = _utcnow,
        origin: str = "",
    ) -> None:
        self.engine = engine
        self.bus = bus
        self.batch_size = batch_size
        self._table = table
        self._clock = clock
        self.origin = origin  # stamped on every event this relay publishes (see Event.origin)

    @property
    def table(self) -> sa.Table:
        # Reflected by name on first use, so the relay reads whichever outbox the database has
        # (the monolith's has no `version` column; the bus's own helper does).
        if isinstance(self._table, str):
            self._table = sa.Table(self._table, sa.MetaData(), autoload_with=self.engine)
        return self._table

    def _order(self) -> list[sa.ColumnElement[object]]:
        table = self.table
        tiebreak = (
            sa.literal_column("rowid") if self.engine.dialect.name == "sqlite" else table.c.id
        )
        return [table.c.created_at, tiebreak]

    def unpublished(self) -> int:
        table = self.table
        query = sa.select(sa.func.count()).select_from(table).where(table.c.published_at.is_(None))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def relay_once(self) -> int:
        """Publish the next batch; how many rows it sent. Raises BusUnavailable, keeping rows."""
        table = self.table
        query = (
            sa.select(table).where(table.c.published_at.is_(None)).order_by(*self._order())
        ).limit(self.batch_size)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        if not rows:
            return 0
        events = [event_from_row(row) for row in rows]
        if self.origin:
            events = [replace(event, origin=self.origin) for event in events]
        self.bus.publish(events)
        self.mark_published([str(row["id"]) for row in rows])
        return len(rows)

    def mark_published(self, ids: list[str]) -> None:
        table = self.table
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(table).where(table.c.id.in_(ids)).values(published_at=self._clock())
            )

    def drain(self) -> int:
        """Relay until the outbox has nothing unpublished; how many rows that took."""
        total = 0
        while sent := self.relay_once():
            total += sent
        return total

    def run(
        self,
        stop: threading.Event,
        idle_s: float = 0.1,
        max_backoff_s: float = 5.0,
        max_idle_s: float | None = None,
    ) -> None:
        """Relay until `stop` is set, backing off while the bus or the database is unreachable.

        An empty outbox is looked at again after `idle_s`, doubling up to `max_idle_s` (default:
        `idle_s`) while it stays empty: quick in a burst of writes, cheap when nothing happens.
        A row that cannot be read (OutboxRowInvalid) stops the relay: skipping it would break the
        aggregate's order, so it needs a person.
        """
        backoff = idle_s
        idle, longest_idle = idle_s, max(idle_s, max_idle_s or idle_s)
        while not stop.is_set():
            try:
                sent = self.relay_once()
            except (BusUnavailable, sa.exc.OperationalError) as error:
                log.warning("outbox relay: retrying in %.1fs: %s", backoff, error)
                stop.wait(backoff)
                backoff = min(backoff * 2, max_backoff_s)
                continue
            backoff = idle_s
            if sent == 0:
                stop.wait(idle)
                idle = min(idle * 2, longest_idle)
            else:
                idle = idle_s
