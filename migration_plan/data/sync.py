"""The data sync: monolith events -> service tables, service events -> monolith tables.

An event is a notification: the applier copies the aggregate's CURRENT rows from the side that
wrote it (the backfill's mappings, narrowed to one aggregate), so a duplicate, late or reordered
event leaves the same result, and an event need not carry every column (`stock.changed` has only
the stock). Only auth's events are applied from their data, by the LegacyBridge.

No echo: appliers write with SQLAlchemy Core, never through a unit of work or the monolith's
code, so a synced change writes no outbox row and is never announced again. The relays stamp
each event with its origin, and each applier takes only the other side's events.

Direction per table follows the current ownership (migration_plan/data/ownership.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from extracted.common.events import Event
from migration_plan.data import monolith_tables as m
from migration_plan.data.backfill import _advance_sequence, merge, target_metadata
from migration_plan.data.legacy_bridge import LegacyBridge
from migration_plan.data.mappings import IDENTITY, SERVICES, Copy, copies
from migration_plan.data.ownership import LEGACY, flows_to_monolith, flows_to_service

Owners = Callable[[], Mapping[str, str]]

# (service, service table) -> (aggregate, the monolith column that picks its rows in the copy)
_FROM_MONOLITH: dict[tuple[str, str], tuple[str, sa.ColumnElement[Any]]] = {
    ("auth", "users"): ("user", m.users.c.id),
    ("auth", "sessions"): ("session", m.sessions.c.token),
    ("products", "products"): ("product", m.products.c.id),
    ("products", "reservations"): ("order", m.orders.c.id),
    ("products", "reservation_items"): ("order", m.order_items.c.order_id),
    ("orders", "orders"): ("order", m.orders.c.id),
    ("orders", "order_items"): ("order", m.order_items.c.order_id),
    ("orders", "reservations"): ("order", m.orders.c.id),
}


@dataclass(frozen=True)
class Back:
    """One monolith table filled from a service's table, for one aggregate."""

    service: str
    table: str  # the same name on both sides
    aggregate: str
    column: str  # picks the aggregate's rows on both sides
    key: tuple[str, ...]


# Service -> monolith: the tables the monolith still reads. Auth's go through the LegacyBridge.
_TO_MONOLITH = (
    Back("products", "products", "product", "id", ("id",)),
    Back("orders", "orders", "order", "id", ("id",)),
    Back("orders", "order_items", "order", "order_id", ("id",)),
)
_BRIDGED = ("user.registered", "session.created", "session.revoked")


def _key(column: sa.ColumnElement[Any], aggregate_id: str) -> Any:
    return int(aggregate_id) if isinstance(column.type, sa.Integer) else aggregate_id


class FromMonolith:
    """Applies the monolith's events to one service's database (the effect of an
    IdempotentHandler over that database, whose `processed_events` it shares)."""

    def __init__(self, service: str, monolith: Engine, owners: Owners) -> None:
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}: expected one of {', '.join(SERVICES)}")
        self.service = service
        self.monolith = monolith
        self.owners = owners
        self.tables = target_metadata(service).tables

    def __call__(self, session: Session, event: Event) -> None:
        self.apply(session.connection(), event)

    def apply(self, conn: Connection, event: Event) -> int:
        """Copy the event's aggregate into the service; how many rows it wrote."""
        if event.origin != LEGACY:
            return 0
        owners = self.owners()
        written = 0
        for copy in copies(self.service):
            picked = _FROM_MONOLITH.get((self.service, copy.target))
            if picked is None or picked[0] != event.aggregate:
                continue
            if not flows_to_service(owners, copy.sources[0]):
                continue
            written += self._copy(conn, copy, picked[1], _key(picked[1], event.aggregate_id))
        return written

    def _copy(self, conn: Connection, copy: Copy, column: sa.ColumnElement[Any], key: Any) -> int:
        with self.monolith.connect() as source:
            rows = source.execute(copy.query.where(column == key)).mappings().all()
        table = self.tables[copy.target]
        if not rows:
            if copy.target == "sessions":  # a logout: the token is gone at the source
                conn.execute(sa.delete(table).where(table.c.token == key))
            return 0
        copied = [copy.row(dict(row)) for row in rows]
        inserted, updated = merge(conn, table, copied, copy.key, copy.identity)
        _advance_sequence(conn, table, copy)
        return inserted + updated


class ToMonolith:
    """Applies the services' events to the monolith's tables, for what each service owns."""

    def __init__(
        self,
        monolith_url: str,
        services: Mapping[str, Engine],
        owners: Owners,
        bridge: LegacyBridge | None = None,
    ) -> None:
        self.bridge = bridge or LegacyBridge(monolith_url)
        self.monolith = self.bridge.engine
        self.services = services
        self.owners = owners

    def __call__(self, event: Event) -> None:
        self.apply(event)

    def apply(self, event: Event) -> int:
        """Copy the event's aggregate into the monolith; how many rows it wrote."""
        origin = event.origin
        if origin == LEGACY or origin not in self.services:
            return 0
        owners = self.owners()
        if event.type in _BRIDGED:
            table = "users" if event.aggregate == "user" else "sessions"
            return int(flows_to_monolith(owners, table, origin) and self.bridge.apply(event))
        written = 0
        with self.monolith.begin() as conn:
            for back in _TO_MONOLITH:
                if back.service != origin or back.aggregate != event.aggregate:
                    continue
                if flows_to_monolith(owners, back.table, origin):
                    written += self._copy(conn, back, event.aggregate_id)
        return written

    def _copy(self, conn: Connection, back: Back, aggregate_id: str) -> int:
        target = m.metadata.tables[back.table]
        source_table = target_metadata(back.service).tables[back.table]
        columns = [source_table.c[c.name] for c in target.columns if c.name in source_table.c]
        picked = source_table.c[back.column]
        with self.services[back.service].connect() as source:
            query = sa.select(*columns).where(picked == _key(picked, aggregate_id))
            rows = [dict(row) for row in source.execute(query).mappings()]
        inserted, updated = merge(conn, target, rows, back.key, IDENTITY.get(back.table, ()))
        if inserted:
            _advance_sequence(conn, target, Copy(back.table, sa.select(), picked, back.key, ()))
        return inserted + updated

    def close(self) -> None:
        self.bridge.close()
