"""`strangler router serve`: run the routing proxy under uvicorn."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from migration_plan.plan import PlanError, load_plan

router_app = typer.Typer(help="The routing proxy.", no_args_is_help=True)
stderr = Console(stderr=True)


def fail(message: str) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=False)
    raise typer.Exit(1)


def run_uvicorn(**options: Any) -> None:
    import uvicorn

    uvicorn.run("router.app:create_app", factory=True, **options)


# Tests replace this to check what would be served without opening a socket.
uvicorn_server: Callable[..., None] = run_uvicorn


@router_app.command("serve")
def serve_command(
    plan: Annotated[
        Path | None, typer.Option(help="The migration plan (default ROUTER_PLAN).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Interface (default ROUTER_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ROUTER_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
) -> None:
    """Serve the router; the plan is checked first and reloaded whenever it changes."""
    from router.server import LimitedHttpToolsProtocol
    from router.settings import RouterSettings

    # The app factory runs in each worker and reads ROUTER_*; pass the options on through them.
    for name, value in (("ROUTER_PLAN", plan), ("ROUTER_HOST", host), ("ROUTER_PORT", port)):
        if value is not None:
            os.environ[name] = str(value)
    try:
        settings = RouterSettings()
    except ValidationError as exc:
        fail(f"invalid router settings: {exc}")
    try:
        load_plan(settings.plan, dict(os.environ))
    except PlanError as exc:
        fail(f"the plan is not usable:\n{exc}")
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker counts on its own; prometheus-client merges them through this directory.
        metrics_dir = tempfile.mkdtemp(prefix="strangler-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    typer.echo(f"Router: http://{settings.host}:{settings.port} (plan {settings.plan})")
    try:
        uvicorn_server(
            host=settings.host,
            port=settings.port,
            workers=workers,
            access_log=False,  # the router writes its own structured access log
            lifespan="on",
            # The router is the edge: the client address must be the peer's, not an
            # X-Forwarded-For a local client made up (it keys canaries and is appended to).
            proxy_headers=False,
            # Request-line/header limits and the header timeout (414/431/408); a class, not a
            # run-time one, so `--workers` processes can import it and read ROUTER_* themselves.
            http=LimitedHttpToolsProtocol,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def register(app: typer.Typer) -> None:
    app.add_typer(router_app, name="router")
