"""Apply each event once: the consumer records the event id in its own database, in the same
transaction as the effect, so a redelivered or republished event changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
        return self.handle_many([event])[0]

    def handle_many(self, events: Sequence[Event]) -> list[bool]:
        """Apply a batch in ONE transaction (one commit instead of one per event); for each
        event, whether it ran. Any failure rolls the whole batch back and raises."""
        try:
            with self.sessions.begin() as session:
                seen = self._seen(session, [event.id for event in events])
                applied: list[bool] = []
                for event in events:
                    if event.id in seen:  # also a duplicate within this very batch
                        applied.append(False)
                        continue
                    seen.add(event.id)
                    session.execute(
                        sa.insert(self.table).values(
                            consumer=self.consumer,
                            event_id=event.id,
                            processed_at=datetime.now(UTC).replace(tzinfo=None),
                        )
                    )
                    self.effect(session, event)
                    applied.append(True)
        except IntegrityError:
            # A concurrent delivery of the same event committed first: that one applied it.
            if len(events) == 1:
                with self.sessions() as session:
                    if self._seen(session, [events[0].id]):
                        return [False]
            raise
        return applied

    def _seen(self, session: Session, event_ids: list[str]) -> set[str]:
        query = sa.select(self.table.c.event_id).where(
            self.table.c.consumer == self.consumer, self.table.c.event_id.in_(event_ids)
        )
        return set(session.execute(query).scalars())
