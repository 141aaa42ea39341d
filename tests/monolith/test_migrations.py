"""The Alembic migration builds exactly the tables the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from legacy_monolith.db import DatabaseUnavailable
from legacy_monolith.migrate import current_revision, upgrade
from legacy_monolith.models import Base

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/nested/dir/monolith.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_upgrade_twice_reaches_head_and_matches_the_models(fresh_url: str) -> None:
    upgrade(fresh_url)
    upgrade(fresh_url)
    assert current_revision(fresh_url) == "0001"
    engine = sa.create_engine(fresh_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert {"users", "sessions", "products", "orders", "order_items", "outbox"} <= tables


def test_an_unusable_url_is_a_clear_error() -> None:
    with pytest.raises(DatabaseUnavailable, match="is not a database URL"):
        upgrade("definitely not a url")
    with pytest.raises(DatabaseUnavailable, match=r"cannot use postgresql\+psycopg://u:\*\*\*@"):
        upgrade("postgresql+psycopg://u:secret@127.0.0.1:1/x")
