"""A seeded monolith database and empty service databases, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from legacy_monolith.migrate import upgrade as upgrade_monolith
from legacy_monolith.seed import seed

FAST_HASH = "pbkdf2:sha256:1000"
NewDatabase = Callable[[str], str]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """`new_database("orders")` -> the URL of a fresh, empty database of the backend under test."""
    if request.param == "sqlite":
        yield lambda name: f"sqlite:///{tmp_path / name}.db"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make(name: str) -> str:
        database = f"strangler_t_{name}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        created.append(database)
        return admin_url.rsplit("/", 1)[0] + f"/{database}"

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for database in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def monolith_url(new_database: NewDatabase) -> str:
    """The monolith's database, migrated and seeded with the demo data set."""
    url = new_database("monolith")
    upgrade_monolith(url)
    seed(url, password_hash_method=FAST_HASH)
    return url


def dump(url: str, table: str, order_by: str) -> list[dict[str, object]]:
    """Every row, typed by the reflected columns (so SQLite's datetimes compare as datetimes)."""
    engine = sa.create_engine(url)
    try:
        reflected = sa.Table(table, sa.MetaData(), autoload_with=engine)
        keys = [reflected.c[name.strip()] for name in order_by.split(",")]
        with engine.connect() as conn:
            rows = conn.execute(sa.select(reflected).order_by(*keys))
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()
