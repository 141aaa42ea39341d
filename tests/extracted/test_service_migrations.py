"""Each service's Alembic history builds exactly the tables its models describe."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

pytestmark = pytest.mark.integration

SERVICES = ["auth", "products", "orders"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/service.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.mark.parametrize("service", SERVICES)
def test_migrating_to_head_matches_the_models(service: str, fresh_url: str) -> None:
    migrate = importlib.import_module(f"extracted.{service}_service.migrate")
    models = importlib.import_module(f"extracted.{service}_service.models")
    migrate.upgrade(fresh_url)
    engine = sa.create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "version_table": migrate.VERSION_TABLE}
            )
            assert compare_metadata(context, models.Base.metadata) == []
    finally:
        engine.dispose()
