"""`strangler monolith serve`: run the legacy Flask monolith (Flask's server, or gunicorn)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from legacy_monolith.db import DatabaseUnavailable
from legacy_monolith.settings import MonolithSettings

monolith_app = typer.Typer(help="The legacy Flask monolith.", no_args_is_help=True)
stderr = Console(stderr=True)

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="SQLAlchemy URL; default: DATABASE_URL or var/monolith.db."
    ),
]


def fail(message: str) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def load_settings(**overrides: object) -> MonolithSettings:
    """Settings from the environment plus command-line overrides; bad values end the command."""
    try:
        return MonolithSettings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(f"invalid monolith settings: {problems}")


@contextmanager
def database_failures() -> Iterator[None]:
    """A bad URL or an unreachable database is a one-line message and exit 1, not a traceback."""
    try:
        yield
    except DatabaseUnavailable as exc:
        fail(str(exc))


def run_flask(host: str, port: int, database_url: str) -> None:
    from werkzeug.serving import run_simple

    from legacy_monolith import create_app

    run_simple(host, port, create_app({"DATABASE_URL": database_url}), threaded=True)


def run_gunicorn(host: str, port: int, database_url: str, workers: int) -> None:
    from legacy_monolith.gunicorn_conf import CONFIG

    os.environ["DATABASE_URL"] = database_url
    argv = [sys.executable, "-m", "gunicorn", "-c", CONFIG, "--bind", f"{host}:{port}"]
    argv += ["--workers", str(workers), "legacy_monolith:create_app()"]
    os.execv(sys.executable, argv)


# Tests replace these to check what would be served without opening a socket.
flask_server: Callable[[str, int, str], None] = run_flask
gunicorn_server: Callable[[str, int, str, int], None] = run_gunicorn


def serve(settings: MonolithSettings, *, gunicorn: bool = False, workers: int = 2) -> None:
    host, port, url = settings.MONOLITH_HOST, settings.MONOLITH_PORT, settings.database_url
    if gunicorn:
        gunicorn_server(host, port, url, workers)
    else:
        flask_server(host, port, url)


@monolith_app.command("serve")
def serve_command(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind; default MONOLITH_HOST.")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port; default MONOLITH_PORT.")] = None,
    gunicorn: Annotated[bool, typer.Option(help="Serve with gunicorn (production).")] = False,
    workers: Annotated[int, typer.Option(min=1, help="gunicorn worker processes.")] = 2,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Serve the monolith's HTTP API (run `strangler db upgrade` first)."""
    settings = load_settings(MONOLITH_HOST=host, MONOLITH_PORT=port, DATABASE_URL=database_url)
    typer.echo(f"Monolith: {settings.base_url}")
    serve(settings, gunicorn=gunicorn, workers=workers)


def register(app: typer.Typer) -> None:
    app.add_typer(monolith_app, name="monolith")
