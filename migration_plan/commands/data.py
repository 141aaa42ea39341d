"""`strangler data backfill auth|products|orders|all`: the monolith's rows into the services."""

from __future__ import annotations

import importlib
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from migration_plan.commands.monolith import fail, load_settings
from migration_plan.data.backfill import BackfillError, BackfillReport, backfill, safe_url
from migration_plan.data.mappings import SERVICES

data_app = typer.Typer(
    help="Data of the migration: backfilling the services.", no_args_is_help=True
)
stdout = Console()

SETTINGS_CLASSES = {
    "auth": ("extracted.auth_service.settings", "AuthSettings"),
    "products": ("extracted.products_service.settings", "ProductsSettings"),
    "orders": ("extracted.orders_service.settings", "OrdersSettings"),
}


class Target(StrEnum):
    auth = "auth"
    products = "products"
    orders = "orders"
    all = "all"


def service_database_url(service: str) -> str:
    """The service's own database URL, from its settings (`AUTH_DATABASE_URL`, ...)."""
    module, name = SETTINGS_CLASSES[service]
    settings = getattr(importlib.import_module(module), name)()
    url: str = settings.database_url
    return url


def run_backfill(
    service: str, source_url: str, target_url: str, batch_size: int, console: Console
) -> BackfillReport:
    columns = (
        TextColumn(f"{service}: {{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, TaskID] = {}

        def total(table: str, rows: int) -> None:
            tasks[table] = progress.add_task(table, total=rows)

        def advance(table: str, rows: int) -> None:
            progress.advance(tasks[table], rows)

        return backfill(
            service,
            source_url,
            target_url,
            batch_size=batch_size,
            progress=advance,
            totals=total,
        )


def backfill_command(
    service: Annotated[Target, typer.Argument(help="The service to fill, or all three.")],
    source_url: Annotated[
        str | None,
        typer.Option("--source-url", help="The monolith's database; default: its DATABASE_URL."),
    ] = None,
    target_url: Annotated[
        str | None,
        typer.Option(
            "--target-url",
            help="The service's database; default: its *_DATABASE_URL. One service only.",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Rows per read and per write transaction.")
    ] = 1000,
) -> None:
    """Upgrade the service's schema, then copy its tables from the monolith (safe to repeat)."""
    services = list(SERVICES) if service is Target.all else [service.value]
    if target_url is not None and len(services) > 1:
        fail("--target-url names one database: give a single service with it, not `all`")
    source = source_url or load_settings().database_url
    summary = Table("service", "table", "read", "inserted", "updated", title="backfill")
    for name in services:
        target = target_url or service_database_url(name)
        stdout.print(f"{name}: {safe_url(source)} -> {safe_url(target)}", highlight=False)
        try:
            report = run_backfill(name, source, target, batch_size, stdout)
        except BackfillError as exc:
            fail(str(exc))
        for table, count in report.tables.items():
            summary.add_row(name, table, str(count.read), str(count.inserted), str(count.updated))
    stdout.print(summary)


def register(app: typer.Typer) -> None:
    data_app.command("backfill")(backfill_command)
    app.add_typer(data_app, name="data")
