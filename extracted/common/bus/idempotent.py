"""Apply each event once: the consumer records the event id in its own database, in the same
transaction as the effect, so a redelivered or republished event changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
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
        try:
            with self.sessions.begin() as session:
                if self._seen(session, event.id):
                    return False
                session.execute(
                    sa.insert(self.table).values(
                        consumer=self.consumer,
                        event_id=event.id,
                        processed_at=datetime.now(UTC).replace(tzinfo=None),
                    )
                )
                self.effect(session, event)
        except IntegrityError:
            # A concurrent delivery of the same event committed first: that one applied it.
            with self.sessions() as session:
                if self._seen(session, event.id):
                    return False
            raise
        return True

    def _seen(self, session: Session, event_id: str) -> bool:
        query = sa.select(sa.literal(1)).where(
            self.table.c.consumer == self.consumer, self.table.c.event_id == event_id
        )
        return session.execute(query).first() is not None
