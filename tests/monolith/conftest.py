"""Fixtures for the monolith: a migrated database on SQLite (always) and PostgreSQL; a client."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from flask import Flask

from legacy_monolith import create_app
from legacy_monolith.db import engine_of
from legacy_monolith.migrate import upgrade

from .support import Api

FAST_HASH = "pbkdf2:sha256:1000"
TABLES = ("outbox", "order_items", "orders", "products", "sessions", "users")


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test copies it (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "monolith.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """One migrated PostgreSQL database for the session; creating one per test costs ~1s each."""
    name = f"strangler_monolith_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres_admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite_file: Path) -> str:
    """A migrated monolith database with no rows (ids start at 1) on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "monolith.db"
        shutil.copy(migrated_sqlite_file, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("migrated_postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(
        {"DATABASE_URL": database_url, "PASSWORD_HASH_METHOD": FAST_HASH, "TOKEN_TTL_SECONDS": 3600}
    )
    yield app
    engine_of(app).dispose()


@pytest.fixture
def engine(app: Flask) -> sa.Engine:
    return engine_of(app)


@pytest.fixture
def client(app: Flask) -> Iterator[httpx.Client]:
    transport = httpx.WSGITransport(app=app)
    with httpx.Client(transport=transport, base_url="http://monolith.test") as client:
        yield client


@pytest.fixture
def api(client: httpx.Client, engine: sa.Engine) -> Api:
    return Api(client, engine)
