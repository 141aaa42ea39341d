"""The consumers by name, and the idempotent handler each runs in its own database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from extracted.common.bus.idempotent import IdempotentHandler, processed_events_table
from extracted.common.database import make_engine
from extracted.common.events import Event
from extracted.common.settings import sqlite_url
from extracted.consumers import analytics, inventory, notifications


@dataclass(frozen=True)
class Consumer:
    name: str
    streams: tuple[str, ...]
    metadata: sa.MetaData
    effect: Callable[[Session, Event], None]

    def database_url(self) -> str:
        return sqlite_url(f"consumer-{self.name}.db")


CONSUMERS: dict[str, Consumer] = {
    c.name: c
    for c in (
        Consumer("inventory", ("order",), inventory.metadata, inventory.apply),
        Consumer("notifications", ("order",), notifications.metadata, notifications.apply),
        Consumer("analytics", ("order",), analytics.metadata, analytics.apply),
    )
}


def build_handler(
    consumer: Consumer, url: str | None = None
) -> tuple[IdempotentHandler, sa.Engine]:
    """The consumer's handler over its own database (tables created if missing), and its engine."""
    engine = make_engine(url or consumer.database_url())
    processed = consumer.metadata.tables.get("processed_events")
    if processed is None:
        processed = processed_events_table(consumer.metadata)
    consumer.metadata.create_all(engine)
    handler = IdempotentHandler(sessionmaker(engine), consumer.effect, consumer.name, processed)
    return handler, engine
