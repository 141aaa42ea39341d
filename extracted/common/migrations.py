"""Run a service's own Alembic migrations (no alembic.ini) on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from extracted.common.database import make_engine


def upgrade(
    migrations_dir: Path, database_url: str, *, version_table: str, revision: str = "head"
) -> None:
    """Bring `database_url` to `revision` with the scripts in `migrations_dir`."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            config.attributes["version_table"] = version_table
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def run_env(metadata: MetaData) -> None:
    """The body of a service's `migrations/env.py`: online only, on the connection given above."""
    if context.is_offline_mode():
        raise SystemExit("offline (SQL script) migrations are not supported; call upgrade()")
    config = context.config
    connection: Connection | None = config.attributes.get("connection")
    if connection is None:
        raise SystemExit("run migrations through the service's migrate.upgrade(database_url)")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # Each service owns its database, but a shared one must not mix version rows.
        version_table=config.attributes.get("version_table", "alembic_version"),
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
