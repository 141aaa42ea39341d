"""`strangler parity run` (the contract scenarios, with reports), `strangler parity baseline`
(legacy against legacy: proposed noise rules for review) and `strangler replay FILE`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from migration_plan.commands.parity_record import record_command
from migration_plan.parity.baseline import (
    KEY,
    BaselineError,
    EndpointProposal,
    LegacyPairSides,
    learn,
    propose,
    with_proposals,
)
from migration_plan.parity.contract import scenarios_for
from migration_plan.parity.corpus import CorpusError, read_corpus
from migration_plan.parity.inprocess import InProcessPair, SeededData
from migration_plan.parity.replay import RECORDED, replay
from migration_plan.parity.report import (
    DEFAULT_RESULTS_PATH,
    RESULTS_PATH_SETTING,
    ParityReport,
)
from migration_plan.parity.runner import ScenarioResult
from migration_plan.parity.scenario import Scenario
from migration_plan.parity.scenario_files import ScenarioFileError, plan_scenarios
from migration_plan.parity.sides import HttpSide, Side
from migration_plan.parity.suite import (
    DEFAULT_SETTLE_SECONDS,
    DEFAULT_SYNC_TIMEOUT_SECONDS,
    InProcessSides,
    UrlSides,
    run_suite,
)
from migration_plan.plan import Plan, PlanError, load_plan
from migration_plan.stack.locate import resolve_plan
from migration_plan.state.settings import StateSettings
from migration_plan.state.watermark import watermark_for

parity_app = typer.Typer(
    help="Parity: the contract scenarios against legacy and extracted.", no_args_is_help=True
)
stdout = Console()
IN_PROCESS = "in-process"

PlanOption = Annotated[
    Path | None, typer.Option("--plan", help="The migration plan (default ROUTER_PLAN).")
]
JunitOption = Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report.")]
MarkdownOption = Annotated[
    Path | None, typer.Option("--markdown", help="Write a Markdown summary.")
]


# Shared by `parity run` and `parity baseline`.
EndpointsOption = Annotated[
    list[str] | None,
    typer.Option("--endpoint", help="Only scenarios exercising this route (repeatable)."),
]


def _plan(option: Path | None) -> Plan:
    path = resolve_plan(option, os.environ, Path.cwd())
    try:
        return load_plan(path, dict(os.environ))
    except (PlanError, OSError) as error:
        stdout.print(f"[red]error:[/red] the plan {path} is not usable:\n{error}")
        raise typer.Exit(2) from None


def _scenarios(the_plan: Plan, option: Path | None) -> tuple[Scenario, ...]:
    """The scenarios of the folder the plan names (parity: {scenarios: DIR})."""
    try:
        return plan_scenarios(the_plan, resolve_plan(option, os.environ, Path.cwd()))
    except ScenarioFileError as error:
        stdout.print("[red]error:[/red] the scenario files are not usable:")
        stdout.print(str(error), markup=False, highlight=False)
        raise typer.Exit(2) from None


def results_path(option: Path | None) -> Path:
    """--results, else PARITY_RESULTS_PATH, else var/parity/results.json."""
    if option is not None:
        return option
    return Path(os.environ.get(RESULTS_PATH_SETTING) or DEFAULT_RESULTS_PATH)


def _progress(result: ScenarioResult) -> None:
    mark = "[green]✓[/green]" if result.passed else "[red]✗[/red]"
    stdout.print(f"{mark} {result.scenario.name}", highlight=False)


def show(report: ParityReport) -> None:
    """The per-endpoint table, then each failing step's diff."""
    table = Table(title=f"Parity ({report.source})")
    for column in ("endpoint", "status", "scenarios", "steps run", "mismatches"):
        table.add_column(column, justify="right" if column[0] in "sm" else "left")
    colours = {"pass": "green", "fail": "red", "incomplete": "yellow"}
    for route, endpoint in report.endpoints.items():
        colour = colours.get(endpoint.status, "red")
        table.add_row(
            route,
            f"[{colour}]{endpoint.status}[/{colour}]",
            str(len(endpoint.scenarios)),
            f"{len(endpoint.steps)} of {endpoint.planned}",
            str(endpoint.mismatches),
        )
    stdout.print(table)
    for route, endpoint in report.endpoints.items():
        if endpoint.passed:
            continue
        stdout.rule(f"[red]{route}[/red]")
        for step in endpoint.steps:
            if not step.passed:
                stdout.print(f"[bold]{step.scenario}[/bold]", highlight=False)
                stdout.print(step.summary(), highlight=False, markup=False)
        for line in endpoint.stopped + endpoint.not_run:
            stdout.print(line, highlight=False, markup=False)


def _say_how_turns_ended(sides: UrlSides) -> None:
    if sides.sync_timed_out:
        stdout.print(
            f"[yellow]the sync's watermark did not pass a turn within {sides.sync_timeout_s:g} s"
            f" (after {sides.waited_for_sync} that it did): later turns were "
            f"{sides.settle_seconds:g} s apart, and a difference may be sync lag[/yellow]"
        )
    elif sides.waited_for_sync:
        stdout.print(f"{sides.waited_for_sync} turns waited for the sync's watermark")
    else:
        stdout.print(
            f"no sync watermark found ({StateSettings.from_env(os.environ).where}): "
            f"turns were {sides.settle_seconds:g} s apart"
        )


def _write(report: ParityReport, junit: Path | None, markdown: Path | None) -> None:
    for path, text in ((junit, report.junit()), (markdown, report.markdown())):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            stdout.print(f"wrote {path}")


def run_command(
    junit: JunitOption = None,
    markdown: MarkdownOption = None,
    results: Annotated[
        Path | None,
        typer.Option(
            "--results",
            help=f"The per-endpoint results file gates read ({RESULTS_PATH_SETTING}, "
            f"default {DEFAULT_RESULTS_PATH}).",
        ),
    ] = None,
    legacy: Annotated[
        str | None, typer.Option("--legacy", help="Legacy base URL (default: in-process).")
    ] = None,
    extracted: Annotated[
        str | None, typer.Option("--extracted", help="Extracted base URL (with --legacy).")
    ] = None,
    endpoint: EndpointsOption = None,
    settle: Annotated[
        float,
        typer.Option(
            "--settle",
            min=0.0,
            help="With URLs and no sync watermark to follow: seconds between the sides' turns.",
        ),
    ] = DEFAULT_SETTLE_SECONDS,
    sync_timeout: Annotated[
        float,
        typer.Option(
            "--sync-timeout",
            min=0.0,
            help="With URLs: how long a turn waits for the sync's watermark (STRANGLER_STATE) "
            "to pass it before the run stops following the sync.",
        ),
    ] = DEFAULT_SYNC_TIMEOUT_SECONDS,
    plan: PlanOption = None,
) -> None:
    """Run the contract scenarios on both sides; non-zero exit on any mismatch."""
    if (legacy is None) != (extracted is None):
        stdout.print("[red]error:[/red] give both --legacy URL and --extracted URL, or neither")
        raise typer.Exit(2)
    the_plan = _plan(plan)
    every = _scenarios(the_plan, plan)
    scenarios = list(every) if not endpoint else []
    routes: list[str] = []
    for route in endpoint or []:
        wanted = the_plan.endpoint(route)
        if wanted is None:
            stdout.print(f"[red]error:[/red] {route!r} is not an endpoint of the plan")
            raise typer.Exit(2)
        routes.append(wanted.route)
        scenarios += [s for s in scenarios_for(wanted.route, every) if s not in scenarios]
    if not scenarios:
        stdout.print("[red]error:[/red] no contract scenario exercises those endpoints")
        raise typer.Exit(2)
    sides = (
        InProcessSides()
        if legacy is None
        else UrlSides(
            legacy,
            extracted or "",
            settle,
            watermark_for(StateSettings.from_env(os.environ)),
            sync_timeout,
        )
    )
    try:
        report = run_suite(scenarios, the_plan, sides, on_result=_progress)
    finally:
        sides.close()
    show(report)
    if isinstance(sides, UrlSides):
        _say_how_turns_ended(sides)
    path = results_path(results)
    # With --endpoint, other endpoints were only touched in passing: keep their earlier results.
    report.write_results(path, only=routes or None)
    stdout.print(f"wrote {path}")
    _write(report, junit, markdown)
    if not report.passed:
        statuses = [e.status for e in report.endpoints.values()]
        stdout.print(
            f"[red]{statuses.count('fail')} endpoint(s) differ, "
            f"{statuses.count('incomplete')} incomplete[/red]"
        )
        raise typer.Exit(1)
    stdout.print(f"[green]{len(report.endpoints)} endpoints match[/green]")


def replay_command(
    corpus: Annotated[Path, typer.Argument(help="A JSONL capture corpus.")],
    against: Annotated[
        str, typer.Option("--against", help="Extracted side: a base URL, or in-process.")
    ] = IN_PROCESS,
    legacy: Annotated[
        str | None,
        typer.Option(
            "--legacy",
            help="Legacy answers: recorded, a base URL, or in-process (send again). Default: "
            "recorded against a URL; in-process against in-process, whose seeded data is not "
            "the data the corpus was recorded on.",
        ),
    ] = None,
    results: Annotated[
        Path | None, typer.Option("--results", help="Write a per-endpoint results file.")
    ] = None,
    junit: JunitOption = None,
    markdown: MarkdownOption = None,
    plan: PlanOption = None,
) -> None:
    """Replay each captured request and report parity per endpoint (non-zero on a mismatch)."""
    the_plan = _plan(plan)
    if legacy is None:
        legacy = IN_PROCESS if against == IN_PROCESS else RECORDED
    if not corpus.is_file():
        stdout.print(f"[red]error:[/red] {corpus} is not a file")
        raise typer.Exit(2)
    seeded: SeededData | None = None
    pair: InProcessPair | None = None
    closers: list[Side] = []
    try:
        if IN_PROCESS in (against, legacy):
            seeded = SeededData()
            pair = InProcessPair.start(seeded)
        extracted_side: Side = (
            pair.extracted if against == IN_PROCESS and pair else HttpSide("extracted", against)
        )
        legacy_side: Side | None = None
        if legacy == IN_PROCESS and pair:
            legacy_side = pair.legacy
        elif legacy != RECORDED:
            legacy_side = HttpSide("legacy", legacy)
        closers = [s for s in (extracted_side, legacy_side) if isinstance(s, HttpSide)]
        source = f"{corpus} ({legacy}) vs {against}"
        try:
            report = replay(
                read_corpus(corpus), the_plan, extracted_side, legacy_side, source=source
            )
        except CorpusError as error:
            stdout.print(f"[red]error:[/red] {error}")
            raise typer.Exit(2) from None
    finally:
        for side in closers:
            side.close()
        if pair is not None:
            pair.close()
        if seeded is not None:
            seeded.close()
    show(report)
    if results is not None:
        report.write_results(results)
        stdout.print(f"wrote {results}")
    _write(report, junit, markdown)
    if not report.passed:
        raise typer.Exit(1)


def baseline_command(
    legacy: Annotated[str, typer.Option("--legacy", help="Legacy base URL (side A).")],
    legacy_b: Annotated[
        str | None,
        typer.Option("--legacy-b", help="A second legacy instance (side B; default: --legacy)."),
    ] = None,
    runs: Annotated[
        int, typer.Option("--runs", min=1, help="Run the scenarios this many times (pairs).")
    ] = 1,
    endpoint: EndpointsOption = None,
    settle: Annotated[
        float,
        typer.Option("--settle", min=0.0, help="Seconds between the sides' turns per scenario."),
    ] = 0.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the proposals; leave the plan file alone.")
    ] = False,
    plan: PlanOption = None,
) -> None:
    """Learn what differs between two legacy answers; write it as proposed rules for review."""
    path = resolve_plan(plan, os.environ, Path.cwd())
    the_plan = _plan(path)
    text = path.read_text(encoding="utf-8")
    scenarios = list(_scenarios(the_plan, path))
    routes: list[str] = []
    if endpoint:
        for route in endpoint:
            wanted = the_plan.endpoint(route)
            if wanted is None:
                stdout.print(f"[red]error:[/red] {route!r} is not an endpoint of the plan")
                raise typer.Exit(2)
            routes.append(wanted.route)
        scenarios = [s for s in scenarios if any(r in s.endpoints for r in routes)]
    sides = LegacyPairSides(legacy, legacy_b or legacy, settle)
    try:
        learned = learn(scenarios, the_plan, sides, runs, on_result=_progress)
    finally:
        sides.close()
    proposals = {
        route: propose(route, noise)
        for route, noise in learned.endpoints.items()
        if not endpoint or route in routes
    }
    _show_proposals(proposals, learned.stopped)
    if dry_run:
        stdout.print("--dry-run: the plan file is unchanged")
        return
    try:
        changed = with_proposals(text, str(path), proposals, dict(os.environ))
    except (BaselineError, PlanError) as error:
        stdout.print(f"[red]error:[/red] {path} left unchanged; the proposals would not load:")
        stdout.print(str(error), markup=False, highlight=False)
        raise typer.Exit(2) from None
    if path.read_text(encoding="utf-8") != text:
        stdout.print(f"[red]error:[/red] {path} changed while the baseline ran; run it again")
        raise typer.Exit(2)
    temporary = path.with_name(f".{path.name}.baseline")
    temporary.write_text(changed, encoding="utf-8")
    temporary.replace(path)  # one atomic swap: the router's reload never reads half a file
    count = sum(len(p.rules) for p in proposals.values())
    stdout.print(f"wrote {count} proposed rule(s) under {KEY}: in {path} (not applied)")


def _show_proposals(proposals: dict[str, EndpointProposal], stopped: list[str]) -> None:
    for route, proposal in proposals.items():
        head = f"{route} ({proposal.observations} pairs)"
        if proposal.unstable:
            stdout.print(f"[yellow]{head}: unstable[/yellow] {proposal.unstable}", highlight=False)
        elif not proposal.rules:
            stdout.print(f"{head}: stable, nothing to propose", highlight=False, markup=False)
        else:
            stdout.print(f"[bold]{head}[/bold]", highlight=False)
        for rule in proposal.rules:
            seconds = f" {rule.seconds:g} s" if rule.seconds is not None else ""
            line = f"  propose {rule.rule} {rule.at}{seconds}: {rule.reason}"
            stdout.print(line, highlight=False, markup=False)
    for line in stopped:
        stdout.print(f"[yellow]stopped[/yellow] {line}", highlight=False)
    stdout.print(
        f"Proposals are never applied: review each, then move the ones you accept from {KEY}: "
        "into the endpoint's parity: (ignore: [..], timestamps: {pointer: seconds}, or headers: "
        "without a drop_header's name).",
        highlight=False,
        markup=False,
    )


def register(app: typer.Typer) -> None:
    parity_app.command("run")(run_command)
    parity_app.command("baseline")(baseline_command)
    parity_app.command("record")(record_command)
    app.add_typer(parity_app, name="parity")
    app.command("replay")(replay_command)
