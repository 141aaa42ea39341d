"""`strangler db upgrade`: bring the monolith's database schema to the latest migration."""

from __future__ import annotations

import typer

from legacy_monolith.db import safe_url
from legacy_monolith.migrate import current_revision, upgrade
from migration_plan.commands.monolith import DatabaseUrlOption, database_failures, load_settings

db_app = typer.Typer(help="The monolith's database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(database_url: DatabaseUrlOption = None) -> None:
    """Apply the monolith's Alembic migrations (safe to repeat)."""
    url = load_settings(DATABASE_URL=database_url).database_url
    with database_failures():
        upgrade(url)
        revision = current_revision(url)
    typer.echo(f"{safe_url(url)} is at revision {revision}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
