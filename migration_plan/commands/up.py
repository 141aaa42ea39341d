"""`strangler up`: for now the monolith alone, on SQLite with demo data, in the foreground."""

from __future__ import annotations

import typer

from legacy_monolith.migrate import upgrade
from migration_plan.commands import monolith
from migration_plan.commands.seed import seed_database


def up_command() -> None:
    """Migrate and seed the monolith's database, then serve it and print its URL."""
    settings = monolith.load_settings()
    with monolith.database_failures():
        upgrade(settings.database_url)
    seed_database(settings)
    typer.echo(f"Monolith: {settings.base_url}")
    monolith.serve(settings)


def register(app: typer.Typer) -> None:
    app.command("up")(up_command)
