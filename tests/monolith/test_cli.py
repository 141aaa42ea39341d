"""`strangler db upgrade`, `seed` and `monolith serve`, through Typer's runner."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from migration_plan.cli import app
from migration_plan.commands import monolith

from .conftest import FAST_HASH

pytestmark = pytest.mark.integration

runner = CliRunner()


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "MONOLITH_HOST", "MONOLITH_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STRANGLER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PASSWORD_HASH_METHOD", FAST_HASH)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(monolith, "flask_server", lambda *args: calls.append(("flask", *args)))
    monkeypatch.setattr(
        monolith, "gunicorn_server", lambda *args: calls.append(("gunicorn", *args))
    )
    return calls


def count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        result: int = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return result


def test_db_upgrade_then_seed_twice_leaves_the_same_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    upgraded = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert upgraded.exit_code == 0, upgraded.output
    assert "is at revision 0001" in upgraded.output
    for _ in range(2):
        seeded = runner.invoke(app, ["seed", "--products", "40", "--database-url", url])
        assert seeded.exit_code == 0, seeded.output
        assert "4 users" in seeded.output
    assert count(url, "products") == 90
    assert count(url, "orders") == 3


def test_db_upgrade_uses_the_default_sqlite_file_in_the_var_dir(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "monolith.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["db", "upgrade", "--database-url", "nonsense"], "is not a database URL"),
        (["db", "upgrade", "--database-url", "postgresql+psycopg://u:pw@127.0.0.1:1/x"],
         "cannot use postgresql+psycopg://u:***@127.0.0.1:1/x"),
        (["seed", "--database-url", "nonsense"], "is not a database URL"),
    ],
)  # fmt: skip
def test_a_bad_or_unreachable_database_is_one_clear_line_and_exit_1(
    args: list[str], message: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_seed_before_upgrade_says_what_to_run(tmp_path: Path) -> None:
    result = runner.invoke(app, ["seed", "--database-url", f"sqlite:///{tmp_path}/none.db"])
    assert result.exit_code == 1
    assert "run `strangler db upgrade` first" in result.output


def test_monolith_serve_uses_flask_by_default_and_gunicorn_on_request(
    served: list[tuple[object, ...]], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    result = runner.invoke(app, ["monolith", "serve", "--port", "9123", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "Monolith: http://127.0.0.1:9123" in result.output
    result = runner.invoke(app, ["monolith", "serve", "--gunicorn", "--workers", "3"])
    assert result.exit_code == 0, result.output
    default_url = f"sqlite:///{tmp_path / 'var' / 'monolith.db'}"
    assert served == [
        ("flask", "127.0.0.1", 9123, url),
        ("gunicorn", "127.0.0.1", 8001, default_url, 3),
    ]


def test_bad_settings_are_reported_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONOLITH_PORT", "eighty")
    result = runner.invoke(app, ["monolith", "serve"])
    assert result.exit_code == 1
    assert "MONOLITH_PORT" in result.output
