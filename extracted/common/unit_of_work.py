"""One write: a session whose commit is real, or (dry run) a flush that is rolled back at the end.

Events are staged with the write and written to the service's `outbox` table in the SAME
transaction (the relay publishes them later: `strangler events relay SERVICE`), so a rolled-back
write announces nothing and a crash after the commit loses nothing. A dry-run (shadowed) write
writes no outbox row. After the commit the events also go to the in-process publisher, for
observers inside the process (tests); the durable path is the outbox.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from extracted.common.bus.outbox import write_to_outbox
from extracted.common.events import Event, EventPublisher, NullPublisher
from extracted.common.upstream import DRY_RUN_HEADER


def is_dry_run(headers: Mapping[str, str]) -> bool:
    """The router's mirror of a write (`X-Strangler-Shadow: 1`)."""
    return headers.get(DRY_RUN_HEADER, "").strip() == "1"


class UnitOfWork:
    """A session plus the events its commit will write to the outbox."""

    def __init__(self, session: Session, publisher: EventPublisher, *, dry_run: bool) -> None:
        self.session = session
        self.dry_run = dry_run
        self.publisher: EventPublisher = NullPublisher() if dry_run else publisher
        self._pending: list[Event] = []

    def stage(self, event: Event) -> None:
        self._pending.append(event)

    def commit(self) -> None:
        """Commit with the staged events in the outbox (or, in a dry run, only flush)."""
        events, self._pending = self._pending, []
        if self.dry_run:
            # Keep the transaction open: the whole request is rolled back when it ends.
            self.session.flush()
            return
        write_to_outbox(self.session, events)
        self.session.commit()
        self.publisher.publish(events)

    def rollback(self) -> None:
        self._pending = []
        self.session.rollback()


@contextmanager
def unit_of_work(
    sessions: sessionmaker[Session], publisher: EventPublisher, *, dry_run: bool
) -> Iterator[UnitOfWork]:
    """A UnitOfWork whose uncommitted (or dry-run) work is rolled back when the block ends."""
    with sessions() as session:
        try:
            yield UnitOfWork(session, publisher, dry_run=dry_run)
        finally:
            session.rollback()
