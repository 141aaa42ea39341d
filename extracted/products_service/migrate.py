"""products_service's Alembic migrations, run programmatically (CLI and tests call `upgrade`)."""

from __future__ import annotations

from pathlib import Path

from extracted.common import migrations

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "products_alembic_version"


def upgrade(database_url: str, revision: str = "head") -> None:
    migrations.upgrade(MIGRATIONS_DIR, database_url, version_table=VERSION_TABLE, revision=revision)
