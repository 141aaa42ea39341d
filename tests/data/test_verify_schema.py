"""`data verify` against a database the mapping does not describe: a clear error naming the
database, table and column and what the mapping should say, exit code 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from migration_plan.cli import app
from migration_plan.data import monolith_tables
from migration_plan.data.backfill import target_metadata
from migration_plan.data.verify import VerifyError, verify

pytestmark = pytest.mark.integration


def database(path: Path, metadata: sa.MetaData, *, drop: tuple[str, str] | None = None) -> str:
    """A SQLite file with `metadata`'s tables, one column dropped as another app's schema would."""
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    if drop is not None:
        with engine.begin() as conn:
            conn.execute(sa.text(f"ALTER TABLE {drop[0]} DROP COLUMN {drop[1]}"))
    engine.dispose()
    return url


def verify_urls(source: str, target: str) -> None:
    monolith, service = sa.create_engine(source), sa.create_engine(target)
    try:
        verify("products", monolith, service)
    finally:
        monolith.dispose()
        service.dispose()


def test_a_monolith_table_missing_a_column_names_it_and_the_mapping_line(tmp_path: Path) -> None:
    source = database(tmp_path / "m.db", monolith_tables.metadata, drop=("products", "category"))
    target = database(tmp_path / "p.db", target_metadata("products"))
    with pytest.raises(VerifyError) as caught:
        verify_urls(source, target)
    message = str(caught.value)
    assert f"the monolith database (sqlite:///{tmp_path / 'm.db'})" in message
    assert "has no column products.category" in message
    assert "migration_plan/data/monolith_tables.py maps" in message
    assert "remove sa.Column('category', ...) from products" in message
    assert "columns of products there: id, sku, name, description, price, stock" in message


def test_a_service_table_missing_a_column_names_the_services_models(tmp_path: Path) -> None:
    source = database(tmp_path / "m.db", monolith_tables.metadata)
    target = database(
        tmp_path / "p.db", target_metadata("products"), drop=("products", "description")
    )
    with pytest.raises(VerifyError, match="the products database .* no column products.descr"):
        verify_urls(source, target)
    with pytest.raises(VerifyError, match="extracted/products_service/models.py maps"):
        verify_urls(source, target)


def test_a_missing_table_is_named_with_the_tables_that_are_there(tmp_path: Path) -> None:
    source = database(tmp_path / "m.db", sa.MetaData())  # another app's (here: empty) database
    target = database(tmp_path / "p.db", target_metadata("products"))
    with pytest.raises(VerifyError, match="has no table 'products'.*tables there: none"):
        verify_urls(source, target)


def test_the_cli_exits_2_with_the_message_and_no_traceback(tmp_path: Path) -> None:
    source = database(tmp_path / "m.db", monolith_tables.metadata, drop=("products", "category"))
    target = database(tmp_path / "p.db", target_metadata("products"))
    result = CliRunner().invoke(
        app, ["data", "verify", "products", "--source-url", source, "--target-url", target]
    )
    assert result.exit_code == 2, result.output
    assert "has no column products.category" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, VerifyError)
