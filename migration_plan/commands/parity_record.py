"""`strangler parity record CORPUS --output DIR`: a capture corpus as scenario files to review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from migration_plan.parity.corpus import CorpusError, read_corpus
from migration_plan.parity.record import Grouping, record
from migration_plan.parity.scenario_files import (
    DEFAULT_FOLDER,
    SUFFIXES,
    ScenarioFileError,
    parse_scenario_texts,
)

stdout = Console()


def record_command(
    corpus: Annotated[Path, typer.Argument(help="A JSONL capture corpus (ROUTER_CAPTURE_PATH).")],
    output: Annotated[Path, typer.Option("--output", help="The folder to write the files to.")],
    by: Annotated[
        str, typer.Option("--by", help="One scenario per endpoint, or per session (token).")
    ] = "endpoint",
    login: Annotated[
        str,
        typer.Option("--login", help="The template that logs a recorded token's user in."),
    ] = "login",
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates",
            help="Scenario files whose templates the recorded files use (default: the "
            "package's contract scenarios), to check that they load.",
        ),
    ] = None,
) -> None:
    """Write one scenario file per endpoint (or session) of the corpus, redacted, for review."""
    if by not in ("endpoint", "session"):
        stdout.print(f"[red]error:[/red] --by is endpoint or session, not {by!r}")
        raise typer.Exit(2)
    grouping: Grouping = "endpoint" if by == "endpoint" else "session"
    if not corpus.is_file():
        stdout.print(f"[red]error:[/red] {corpus} is not a file")
        raise typer.Exit(2)
    try:
        files = record(read_corpus(corpus), str(corpus), grouping, login)
    except CorpusError as error:
        stdout.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    if not files:
        stdout.print(f"[red]error:[/red] {corpus} holds no captured request")
        raise typer.Exit(2)
    existing = [output / f.name for f in files if (output / f.name).exists()]
    if existing:
        stdout.print(f"[red]error:[/red] would overwrite {', '.join(map(str, existing))}")
        raise typer.Exit(2)
    folder = templates or DEFAULT_FOLDER
    known = sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES) if folder.is_dir() else []
    try:  # the files must load as written (with the templates they use), or none is written
        parse_scenario_texts(
            [(str(p), p.read_text(encoding="utf-8")) for p in known]
            + [(str(output / f.name), f.text) for f in files]
        )
    except ScenarioFileError as error:
        stdout.print("[red]error:[/red] the recorded files would not load; nothing written:")
        stdout.print(str(error), markup=False, highlight=False)
        raise typer.Exit(2) from None
    output.mkdir(parents=True, exist_ok=True)
    for file in files:
        (output / file.name).write_text(file.text, encoding="utf-8")
        stdout.print(f"wrote {output / file.name} ({file.steps} steps)", highlight=False)
    stdout.print(
        f"{len(files)} scenario file(s) from {sum(f.steps for f in files)} request(s): review "
        "them (marks stand for emails and secrets), then add them to the plan's scenario folder"
    )
