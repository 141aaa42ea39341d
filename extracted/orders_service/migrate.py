"""orders_service's Alembic migrations, run programmatically (backfill, tests and deployment)."""

from __future__ import annotations

from pathlib import Path

from extracted.common import migrations

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "orders_alembic_version"


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` to `revision` (safe to repeat)."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(MIGRATIONS_DIR, database_url, version_table=VERSION_TABLE, revision=revision)
