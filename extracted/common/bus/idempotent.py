"""Apply each event once: the consumer records the event id in its own database, in the same
transaction as the effect, so a redelivered or republished event changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from extracted.common.events import Event

Effect = Callable[[Session, Event], None]


def processed_events_table(metadata: sa.MetaData, name: str = "processed_events") -> sa.Table:
    """Event ids a consumer has applied; `consumer` lets several handlers share one table."""
    return sa.Table(
        name,
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime, nullable=False),
    )


PROCESSED_EVENTS = processed_events_table(sa.MetaData())


class IdempotentHandler:
    """`handler(event)` runs `effect(session, event)` once per event id; True when it ran."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        effect: Effect,
        consumer: str,
        table: sa.Table = PROCESSED_EVENTS,
    ) -> None:
        self.sessions = sessions
        self.effect = effect
        self.consumer = consumer
        self.table = table

    def __call__(self, event: Event) -> bool:
        return self.handle_many([event])[0]

    def handle_many(self, events: Sequence[Event]) -> list[bool]:
        """Apply a batch in ONE transaction (one commit instead of one per event); for each
        event, whether it ran. Any failure rolls the whole batch back and raises."""
        with self.sessions.begin() as session:
            applied: list[bool] = []
            for event in events:
                claimed = self._claim(session, event.id)  # False: applied before, or just now
                if claimed:
                    self.effect(session, event)
                applied.append(claimed)
        return applied

    def _claim(self, session: Session, event_id: str) -> bool:
        """Record the id first thing in the transaction; whether it was new.

        Insert-or-ignore, not check-then-insert: on PostgreSQL a concurrent insert of the same
        id makes this one wait for the other's commit and then do nothing; on SQLite a write as
        the transaction's first statement waits for the lock, where a read first would fail with
        "database is locked" once another writer committed. (Needs SQLite 3.35+ for RETURNING.)
        """
        values = {
            "consumer": self.consumer,
            "event_id": event_id,
            "processed_at": datetime.now(UTC).replace(tzinfo=None),
        }
        dialect = session.get_bind().dialect.name
        if dialect in ("sqlite", "postgresql"):
            insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
            # RETURNING, not rowcount: psycopg reports -1 for a single INSERT here.
            statement = (
                insert(self.table)
                .values(values)
                .on_conflict_do_nothing()
                .returning(self.table.c.event_id)
            )
            return session.execute(statement).first() is not None
        # Elsewhere a race ends in IntegrityError: the delivery is nacked, and its redelivery
        # finds the id recorded.
        if self._seen(session, event_id):
            return False
        session.execute(sa.insert(self.table).values(values))
        return True

    def _seen(self, session: Session, event_id: str) -> bool:
        query = sa.select(sa.literal(1)).where(
            self.table.c.consumer == self.consumer, self.table.c.event_id == event_id
        )
        return session.execute(query).first() is not None
