"""The `strangler` command: one Typer app, one module per command group under `commands/`."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from migration_plan.commands import register_all
from migration_plan.stack.locate import anchor_defaults

app = typer.Typer(
    name="strangler",
    help="Migrate a monolith to services one endpoint at a time.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _anchor() -> None:
    """Migrate a monolith to services one endpoint at a time."""
    # Run from a subdirectory, the relative defaults would make a second var/ there.
    anchor_defaults(os.environ, Path.cwd())


register_all(app)


def main() -> None:
    app()
