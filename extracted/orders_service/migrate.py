"""Run orders_service's Alembic migrations programmatically (backfill, tests, deployment)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from extracted.common.database import make_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Its own version table, so a database shared with another service's schema keeps both apart.
    config.set_main_option("version_table", "alembic_version_orders")
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` to `revision` (safe to repeat)."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


if __name__ == "__main__":
    from extracted.orders_service.settings import OrdersSettings

    upgrade(OrdersSettings().database_url)
