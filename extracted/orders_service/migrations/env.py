"""Alembic environment for orders_service: the connection comes from `migrate.upgrade` (no ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from extracted.orders_service.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        version_table=config.get_main_option("version_table") or "alembic_version",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; use migrate.upgrade()")
connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("run orders_service migrations through extracted.orders_service.migrate")
_run(connection)
