"""Before `data verify` reads a row: does each database have the tables and columns the mapping
names? A database the mapping does not describe (another app's, an unmigrated one) is answered
with what is missing and where the mapping says it, never with SQLAlchemy's traceback."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

MONOLITH_MAPPING = "migration_plan/data/monolith_tables.py"


def service_mapping(service: str) -> str:
    """Where the service's side of the mapping is declared (its models, read by backfill)."""
    return f"extracted/{service}_service/models.py"


class VerifyError(ValueError):
    """`data verify` cannot compare: the message names the database, table and column."""


def where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def check_columns(
    side: str, engine: Engine, table: sa.Table, columns: Iterable[str], mapping: str
) -> None:
    """Raise VerifyError unless `engine`'s database has `table` with every one of `columns`."""
    try:
        inspector = sa.inspect(engine)
        present_tables = set(inspector.get_table_names(schema=table.schema))
        if table.name not in present_tables:
            listed = ", ".join(sorted(present_tables)) or "none"
            raise VerifyError(
                f"the {side} database ({where(engine)}) has no table {table.name!r}, which "
                f"{mapping} maps (tables there: {listed}). Point verify at the right database "
                f"or migrate it; if the table has another name there, the mapping should name "
                f"it: sa.Table('<its name>', ...) for {table.name} in {mapping}"
            )
        present = [c["name"] for c in inspector.get_columns(table.name, schema=table.schema)]
    except sa.exc.SQLAlchemyError as exc:
        raise database_error(side, engine, table.name, exc) from None
    missing = [name for name in columns if name not in present]
    if missing:
        names = ", ".join(f"{table.name}.{name}" for name in missing)
        raise VerifyError(
            f"the {side} database ({where(engine)}) has no column {names}, which {mapping} "
            f"maps (columns of {table.name} there: {', '.join(present)}). Migrate the database, "
            f"or make the mapping say what it has: remove sa.Column({missing[0]!r}, ...) from "
            f"{table.name} in {mapping}, or rename it to the column that holds it"
        )


def database_error(side: str, engine: Engine, table: str, exc: Exception) -> VerifyError:
    """An error the database raised while verify read `table`, as one line without a trace."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return VerifyError(f"the {side} database ({where(engine)}) failed reading {table}: {detail}")
