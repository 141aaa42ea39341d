"""The `strangler` command: one Typer app, one module per command group under `commands/`."""

from __future__ import annotations

import typer

from migration_plan.commands import register_all

app = typer.Typer(
    name="strangler",
    help="Migrate a monolith to services one endpoint at a time.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
register_all(app)


def main() -> None:
    app()
