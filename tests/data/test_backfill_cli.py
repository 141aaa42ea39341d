"""`strangler data backfill` through Typer's runner."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from migration_plan.cli import app

from .conftest import dump

runner = CliRunner()


@pytest.fixture
def service_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    urls = {s: f"sqlite:///{tmp_path / s}.db" for s in ("auth", "products", "orders")}
    for service, url in urls.items():
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", url)
    return urls


def test_backfill_all_fills_each_service_from_the_monolith(
    monolith_url: str, service_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", monolith_url)
    result = runner.invoke(app, ["data", "backfill", "all", "--batch-size", "7"])
    assert result.exit_code == 0, result.output
    assert "backfill" in result.output
    assert len(dump(service_urls["auth"], "users", "id")) == 4
    assert len(dump(service_urls["products"], "products", "id")) == 50
    assert len(dump(service_urls["orders"], "orders", "id")) == 3

    again = runner.invoke(app, ["data", "backfill", "all", "--source-url", monolith_url])
    assert again.exit_code == 0, again.output
    assert len(dump(service_urls["products"], "products", "id")) == 50


def test_one_service_into_a_named_database(monolith_url: str, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'elsewhere' / 'orders.db'}"
    result = runner.invoke(
        app, ["data", "backfill", "orders", "--source-url", monolith_url, "--target-url", target]
    )
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in dump(target, "orders", "id")] == [1, 2, 3]


def test_a_monolith_without_tables_ends_with_the_fix_to_run(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'm.db'}"
    engine = sa.create_engine(source)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE unrelated (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    result = runner.invoke(
        app,
        ["data", "backfill", "products", "--source-url", source,
         "--target-url", f"sqlite:///{tmp_path / 'p.db'}"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "has no table 'products'" in result.output
    assert "strangler db upgrade" in result.output


def test_a_target_url_names_one_service_only(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["data", "backfill", "all", "--target-url", f"sqlite:///{tmp_path / 'x.db'}"]
    )
    assert result.exit_code == 1
    assert "--target-url names one database" in result.output


def test_an_unknown_service_is_a_usage_error() -> None:
    result = runner.invoke(app, ["data", "backfill", "billing"])
    assert result.exit_code == 2
