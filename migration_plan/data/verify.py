"""Data parity between the monolith and one service: row counts and per-row checksums.

Compared are the tables both sides hold under one name (auth: users, sessions; products:
products; orders: orders, order_items), on the columns both have, keyed by the primary key.
Values are normalised before hashing (money to two decimals, datetimes to whole seconds, booleans
to 0/1), so SQLite and PostgreSQL rows of the same data hash the same.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from migration_plan.data import monolith_tables as m
from migration_plan.data.backfill import target_metadata
from migration_plan.data.verify_schema import (
    MONOLITH_MAPPING,
    VerifyError,
    check_columns,
    database_error,
    service_mapping,
)

__all__ = ["SHARED", "TableParity", "VerifyError", "verify"]

SHARED: dict[str, tuple[str, ...]] = {
    "auth": ("users", "sessions"),
    "products": ("products",),
    "orders": ("orders", "order_items"),
}


@dataclass
class TableParity:
    table: str
    monolith_rows: int
    service_rows: int
    only_in_monolith: list[str] = field(default_factory=list)
    only_in_service: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.only_in_monolith or self.only_in_service or self.different)


def _normal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat()
    return value


def _checksums(
    side: str, engine: Engine, table: sa.Table, columns: list[str], mapping: str
) -> dict[str, str]:
    key = [c.name for c in table.primary_key.columns]
    check_columns(side, engine, table, dict.fromkeys([*key, *columns]), mapping)
    query = sa.select(*(table.c[name] for name in columns)).order_by(*(table.c[k] for k in key))
    sums: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            for row in conn.execute(query).mappings():
                normal = {name: _normal(row[name]) for name in columns}
                text = json.dumps(normal, sort_keys=True, default=str)
                digest = hashlib.sha256(text.encode()).hexdigest()
                sums["/".join(str(row[k]) for k in key)] = digest
    except sa.exc.SQLAlchemyError as exc:  # what the schema check cannot see (types, rights)
        raise database_error(side, engine, table.name, exc) from None
    return sums


def verify(service: str, monolith: Engine, target: Engine) -> list[TableParity]:
    """Each shared table's parity (differing keys sorted, as text).

    Raises VerifyError, naming the database, table and column, when a database lacks what the
    mapping names or fails while being read."""
    if service not in SHARED:
        raise ValueError(f"unknown service {service!r}: expected one of {', '.join(SHARED)}")
    service_tables = target_metadata(service).tables
    report = []
    for name in SHARED[service]:
        ours, theirs = m.metadata.tables[name], service_tables[name]
        columns = [c.name for c in ours.columns if c.name in theirs.c]
        left = _checksums("monolith", monolith, ours, columns, MONOLITH_MAPPING)
        right = _checksums(service, target, theirs, columns, service_mapping(service))
        report.append(
            TableParity(
                table=name,
                monolith_rows=len(left),
                service_rows=len(right),
                only_in_monolith=sorted(left.keys() - right.keys()),
                only_in_service=sorted(right.keys() - left.keys()),
                different=sorted(k for k in left.keys() & right.keys() if left[k] != right[k]),
            )
        )
    return report
