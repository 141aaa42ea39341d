"""Command groups of the `strangler` CLI; each module exposes `register(app)`."""

from __future__ import annotations

import importlib

import typer

# Each name is a module in this package with a `register(app: typer.Typer) -> None`.
COMMAND_MODULES: tuple[str, ...] = (
    "db",
    "seed",
    "monolith",
    "up",
    "router",
    "data",
    "flags",
    "plan",
    "parity",
    "events",
)


def register_all(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(app)
