"""Fixtures for the monolith: a migrated database on SQLite (always) and PostgreSQL; a client."""

from __future__ import annotations

import shutil
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


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test copies it (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "monolith.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite_file: Path) -> str:
    """A freshly migrated, empty monolith database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "monolith.db"
        shutil.copy(migrated_sqlite_file, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    upgrade(url)
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
