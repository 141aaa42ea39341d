"""Copy a service's data out of the monolith's database, in batches, idempotently.

`backfill("products", source_url, target_url)` upgrades the target schema, then copies every
mapped table (see `mappings`) in batches of `batch_size`, matching rows on their key: existing
rows are updated, missing ones inserted. Running it twice gives the same rows; running it after
the monolith changed brings the changes over. Rows deleted in the monolith are not deleted.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from extracted.common.database import make_engine
from migration_plan.data.mappings import SERVICES, Copy, copies

Progress = Callable[[str, int], None]


class BackfillError(Exception):
    """A database is unusable or lacks a table; the message says which and what to do."""


@dataclass
class TableCount:
    read: int = 0
    inserted: int = 0
    updated: int = 0


@dataclass
class BackfillReport:
    service: str
    tables: dict[str, TableCount] = field(default_factory=dict)


def safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def target_metadata(service: str) -> sa.MetaData:
    """The service's own table definitions (its models are imported only to write its side)."""
    models = importlib.import_module(f"extracted.{service}_service.models")
    metadata: sa.MetaData = models.Base.metadata
    return metadata


def upgrade_target(service: str, url: str) -> None:
    migrate = importlib.import_module(f"extracted.{service}_service.migrate")
    migrate.upgrade(url)


@contextmanager
def _reaching(url: str, role: str) -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        reason = str(exc.orig) if exc.orig is not None else str(exc)
        raise BackfillError(f"cannot use the {role} at {safe_url(url)}: {reason.strip()}") from exc


def _engine(url: str, role: str) -> Engine:
    try:
        return make_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise BackfillError(f"{url!r} is not a usable {role} URL: {exc}") from exc


def _sqlite_file(url: str) -> Path | None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None
    return Path(database)


def count_source_rows(source: Engine, copy: Copy) -> int:
    with source.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(copy.query.subquery())).scalar_one()
        )


def backfill(
    service: str,
    source_url: str,
    target_url: str,
    *,
    batch_size: int = 1000,
    progress: Progress | None = None,
    totals: Callable[[str, int], None] | None = None,
) -> BackfillReport:
    """Upgrade the target's schema, then copy each mapped table; per-table counts."""
    if service not in SERVICES:
        raise BackfillError(f"unknown service {service!r}: expected one of {', '.join(SERVICES)}")
    if batch_size < 1:
        raise BackfillError("batch size must be at least 1")
    plan = copies(service)
    source_file = _sqlite_file(source_url)
    if source_file is not None and not source_file.exists():
        raise BackfillError(
            f"there is no monolith database at {safe_url(source_url)}: "
            "run `strangler db upgrade` (and `strangler seed`) first"
        )
    target_file = _sqlite_file(target_url)
    if target_file is not None:
        target_file.parent.mkdir(parents=True, exist_ok=True)
    source = _engine(source_url, "monolith database")
    target = None
    try:
        with _reaching(source_url, "monolith database"):
            inspector = sa.inspect(source)
            for name in dict.fromkeys(name for copy in plan for name in copy.sources):
                if not inspector.has_table(name):
                    raise BackfillError(
                        f"the monolith database at {safe_url(source_url)} has no table "
                        f"{name!r}: run `strangler db upgrade` first"
                    )
            if totals is not None:
                for copy in plan:
                    totals(copy.target, count_source_rows(source, copy))
        with _reaching(target_url, f"{service}_service database"):
            upgrade_target(service, target_url)
        target = _engine(target_url, f"{service}_service database")
        tables = target_metadata(service).tables
        report = BackfillReport(service)
        for copy in plan:
            counts = report.tables.setdefault(copy.target, TableCount())
            with _reaching(target_url, f"{service}_service database"):
                for batch in _batches(source, copy, batch_size):
                    try:
                        with target.begin() as conn:
                            inserted, updated = merge(
                                conn, tables[copy.target], batch, copy.key, copy.identity
                            )
                    except IdCollision as collision:
                        raise BackfillError(f"{service}: {collision}") from None
                    counts.read += len(batch)
                    counts.inserted += inserted
                    counts.updated += updated
                    if progress is not None:
                        progress(copy.target, len(batch))
                with target.begin() as conn:
                    _advance_sequence(conn, tables[copy.target], copy)
        return report
    finally:
        source.dispose()
        if target is not None:
            target.dispose()


def _batches(source: Engine, copy: Copy, size: int) -> Iterator[list[dict[str, Any]]]:
    """Keyset pagination on the copy's cursor column: stable under concurrent inserts."""
    last: Any = None
    cursor_key = "__cursor__"
    query = copy.query.add_columns(copy.cursor.label(cursor_key)).order_by(copy.cursor)
    while True:
        page = query if last is None else query.where(copy.cursor > last)
        with source.connect() as conn:
            rows = conn.execute(page.limit(size)).mappings().all()
        if not rows:
            return
        last = rows[-1][cursor_key]
        yield [copy.row({k: v for k, v in row.items() if k != cursor_key}) for row in rows]


class IdCollision(Exception):
    """Both sides minted the same id for different entities: the row already there under that
    key names another entity (its identity columns differ), so it is never overwritten."""


def merge(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    key: tuple[str, ...],
    identity: tuple[str, ...] = (),
) -> tuple[int, int]:
    """Update the rows whose key exists, insert the others; (inserted, updated). With
    `identity` (columns that never change for an entity: a user's email, a product's SKU), an
    existing row whose identity differs raises IdCollision and nothing is written."""
    if not rows:
        return 0, 0
    key_columns = [table.c[name] for name in key]
    wanted = [tuple(row[name] for name in key) for row in rows]
    existing: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for start in range(0, len(wanted), 500):  # keep the IN list within every driver's limits
        chunk = wanted[start : start + 500]
        condition = (
            key_columns[0].in_([k[0] for k in chunk])
            if len(key_columns) == 1
            else sa.tuple_(*key_columns).in_(chunk)
        )
        found = sa.select(*key_columns, *(table.c[name] for name in identity)).where(condition)
        existing.update((tuple(r[: len(key)]), tuple(r[len(key) :])) for r in conn.execute(found))
    for row, k in zip(rows, wanted, strict=True):
        if k in existing and identity and existing[k] != tuple(row[name] for name in identity):
            here = dict(zip(identity, existing[k], strict=True))
            theirs = {name: row[name] for name in identity}
            raise IdCollision(
                f"{table.name} {dict(zip(key, k, strict=True))}: this database's row is another "
                f"entity ({here} here, {theirs} in the copy): both sides minted the same id; "
                "nothing was overwritten"
            )
    updates = [row for row, k in zip(rows, wanted, strict=True) if k in existing]
    inserts = [row for row, k in zip(rows, wanted, strict=True) if k not in existing]
    if inserts:
        conn.execute(table.insert(), inserts)
    if updates:
        values = [name for name in updates[0] if name not in key]
        statement = (
            table.update()
            .where(*(column == sa.bindparam(f"key_{column.name}") for column in key_columns))
            .values({name: sa.bindparam(f"new_{name}") for name in values})
        )
        conn.execute(
            statement,
            [
                {
                    **{f"key_{name}": row[name] for name in key},
                    **{f"new_{name}": row[name] for name in values},
                }
                for row in updates
            ],
        )
    return len(inserts), len(updates)


def _advance_sequence(conn: Connection, table: sa.Table, copy: Copy) -> None:
    """PostgreSQL: ids were inserted explicitly, so move the id sequence past them."""
    if conn.dialect.name != "postgresql":
        return  # SQLite picks max(rowid) + 1 by itself
    pk = list(table.primary_key.columns)
    if len(pk) != 1 or pk[0].name not in copy.key or not isinstance(pk[0].type, sa.Integer):
        return
    name, column = table.name, pk[0].name
    conn.execute(
        sa.text(
            f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
            f"COALESCE((SELECT max({column}) FROM {name}), 0) + 1, false)"
        )
    )
