"""`strangler seed`: the demo data set, plus optional bulk products (idempotent)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from legacy_monolith.db import safe_url
from legacy_monolith.seed import SeedReport, seed
from legacy_monolith.settings import MonolithSettings
from migration_plan.commands.monolith import DatabaseUrlOption, database_failures, load_settings


def seed_database(settings: MonolithSettings, bulk_products: int = 0) -> SeedReport:
    """Seed with a progress bar for bulk products; shared with `strangler up`."""
    columns = (TextColumn("bulk products"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=bulk_products == 0, transient=False) as progress:
        task = progress.add_task("bulk", total=bulk_products)
        with database_failures():
            return seed(
                settings.database_url,
                bulk_products=bulk_products,
                password_hash_method=settings.PASSWORD_HASH_METHOD,
                progress=lambda done: progress.advance(task, done),
            )


def seed_command(
    products: Annotated[
        int, typer.Option("--products", min=0, help="Also ensure N bulk products BULK-0000001..N.")
    ] = 0,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Insert the demo users, products and orders that are missing (twice = same data)."""
    settings = load_settings(DATABASE_URL=database_url)
    started = time.perf_counter()
    report = seed_database(settings, products)
    elapsed = time.perf_counter() - started
    typer.echo(
        f"{safe_url(settings.database_url)}: {report.users} users, {report.products} products, "
        f"{report.orders} orders ({report.bulk_inserted} bulk products inserted) in {elapsed:.1f}s"
    )


def register(app: typer.Typer) -> None:
    app.command("seed")(seed_command)
