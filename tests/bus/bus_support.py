"""Helpers for the bus tests: events, a producer database with an outbox, a consumer database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from extracted.common.bus import (
    EventBus,
    IdempotentHandler,
    OutboxRelay,
    outbox_table,
    processed_events_table,
)
from extracted.common.events import Event


class BusFactory(Protocol):
    def __call__(
        self, visibility_timeout_ms: int = 300, max_deliveries: int = 3, unreachable: bool = False
    ) -> EventBus: ...


def event(aggregate: str = "order", aggregate_id: str = "1", n: int = 0, **data: Any) -> Event:
    return Event(
        type=f"{aggregate}.changed",
        aggregate=aggregate,
        aggregate_id=aggregate_id,
        data={"n": n, **data},
    )


def sqlite_engine(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _wal(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        # No fsync per commit: these databases stand in for services, and tests need no power-loss
        # durability (the bus itself keeps synchronous=FULL).
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    return engine


class Producer:
    """A service database with an outbox (the bus's own table helper)."""

    def __init__(self, path: Path) -> None:
        self.engine = sqlite_engine(path)
        metadata = sa.MetaData()
        self.outbox = outbox_table(metadata)
        metadata.create_all(self.engine)


class Consumer:
    """A consumer database: processed event ids plus an `applied` log with no uniqueness, so a
    duplicate effect would show up as a second row."""

    def __init__(self, path: Path, name: str = "projector") -> None:
        self.engine = sqlite_engine(path)
        metadata = sa.MetaData()
        self.processed = processed_events_table(metadata)
        self.applied = sa.Table(
            "applied",
            metadata,
            sa.Column("pos", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("event_id", sa.String(36), nullable=False),
            sa.Column("aggregate_id", sa.String(64), nullable=False),
            sa.Column("n", sa.Integer, nullable=False),
        )
        metadata.create_all(self.engine)
        self.sessions = sessionmaker(self.engine)
        self.handler = IdempotentHandler(self.sessions, self.apply, name, self.processed)

    def apply(self, session: Session, event: Event) -> None:
        session.execute(
            sa.insert(self.applied).values(
                event_id=event.id, aggregate_id=event.aggregate_id, n=event.data["n"]
            )
        )

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(self.applied)).scalar())

    def rows(self) -> list[tuple[str, str, int]]:
        query = sa.select(self.applied.c.event_id, self.applied.c.aggregate_id, self.applied.c.n)
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query.order_by(self.applied.c.pos))]  # type: ignore[misc]


class CrashingRelay(OutboxRelay):
    """A relay that dies after publishing and before marking, whenever `crash()` says so."""

    def __init__(self, *args: Any, crash: Callable[[], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crash = crash
        self.crashes = 0

    def mark_published(self, ids: list[str]) -> None:
        if self.crash():
            self.crashes += 1
            raise RelayCrashed
        super().mark_published(ids)


class RelayCrashed(Exception):
    """Stands for the relay process dying between publish and mark."""


def claim_all(path: str, group: str, consumer: str) -> list[str]:
    """Run in a child process: read and ack until the group has nothing left; the event ids."""
    from extracted.common.bus import EmbeddedBus

    bus, ids = EmbeddedBus(path, poll_interval_ms=1), []
    while deliveries := bus.read(group, consumer, count=7, block_ms=50):
        ids += [delivery.event.id for delivery in deliveries]
        bus.ack_many(group, deliveries)
    bus.close()
    return ids
