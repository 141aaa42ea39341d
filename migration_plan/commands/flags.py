"""Route flags from the terminal: status, flip, rollback, phase, history, diffs.

Each command talks to a running router's admin API (STRANGLER_ADMIN_URL + ROUTER_ADMIN_TOKEN,
else the `var/stack.json` that `strangler up` writes) or, with --direct or when no router runs,
to the state store itself (STRANGLER_STATE). Gates are decided by `migration_plan.plan.gates`
either way; see docs/plan.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from migration_plan.commands.connect import (
    ActorOption,
    AdminAccess,
    DirectOption,
    JsonOption,
    ReasonOption,
    admin_access,
    default_actor,
    fail,
    out,
    run,
)
from migration_plan.parity.redact import default_redactor
from migration_plan.plan import Mode
from migration_plan.plan.transitions import next_stage
from migration_plan.state.control import Control, ControlError, FlipRefused, FlipRequest
from migration_plan.state.views import canary_keys_text, mode_text, resolve_route, status_row


def register(app: typer.Typer) -> None:
    phase_app = typer.Typer(help="Move every endpoint of one phase.", no_args_is_help=True)

    @app.command("status")
    def status_command(
        ctx: typer.Context, json_output: JsonOption = False, direct: DirectOption = False
    ) -> None:
        """Every endpoint: phase, mode, % to extracted, traffic, shadow evidence, gate."""

        async def action(control: Control) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
            rows = [status_row(v) for v in await control.routes()]
            return control.where, await control.health(), rows

        where, health, rows = run(direct, action, admin_access(ctx))
        if json_output:
            payload = {"source": where, "health": health, "endpoints": rows}
            typer.echo(json.dumps(payload, indent=2))
            return
        console = out()
        rejected = health.get("plan")
        if isinstance(rejected, dict):  # a banner first: the table shows the plan still serving
            console.print(
                f"[bold red]plan rejected:[/] the last edit of {rejected.get('path')} is not "
                "serving; the last good plan is. Fix the file and save it again:"
            )
            for problem in rejected.get("problems", []):
                console.print(f"  {problem}", markup=False)
        table = Table(title=f"Route flags ({where})", title_justify="left")
        # The endpoint is what a reader copies into `flip`: never cut; the gate text folds.
        table.add_column(
            "endpoint", no_wrap=True, min_width=max((len(r["route"]) for r in rows), default=8)
        )
        for column in ("phase", "mode", "% extracted", "requests L/E"):
            table.add_column(column)
        for column in ("errors L/E", "shadow cmp", "mismatch", "not compared", "gate"):
            table.add_column(column)
        for row in rows:
            shadow = row["shadow"]
            gate = row["gate"] or {}
            if gate.get("next") is None:
                gate_text = "done"
            elif gate.get("open"):
                gate_text = f"open -> {gate['next']}"
            else:
                gate_text = f"blocked -> {gate['next']}: " + "; ".join(gate.get("problems", []))
            mode = row["mode"] + ("*" if row["overridden"] else "")
            table.add_row(
                row["route"],
                str(row["phase"]),
                mode,
                f"{row['percent_extracted']:g}%",
                f"{row['requests']['legacy']}/{row['requests']['extracted']}",
                f"{row['error_rate']['legacy']:.1%}/{row['error_rate']['extracted']:.1%}",
                _compared(shadow),
                "-" if shadow is None else f"{shadow['mismatch_rate']:.1%}",
                _not_compared(shadow),
                gate_text,
            )
        console.print(table)
        _print_canary_keys(rows)
        if any(row["overridden"] for row in rows):
            console.print("* overridden at runtime (see `strangler plan diff`)")
        if health.get("state_store"):
            console.print(
                "[bold yellow]warning:[/] the router cannot reach its state store and serves its "
                "last known state; flips will fail until it is back"
            )
        elif health.get("status") == "direct":
            console.print(
                "No router counters: working on the state store directly"
                + (f" ({health['note']})." if health.get("note") else "."),
                markup=False,
            )

    @app.command("flip")
    def flip_command(
        ctx: typer.Context,
        endpoint: Annotated[str, typer.Argument(help='e.g. "GET /api/products/{id}"')],
        to: Annotated[Mode, typer.Option("--to", help="The mode to move to.")],
        reason: ReasonOption,
        percent: Annotated[
            float | None, typer.Option(min=0, max=100, help="Canary percent (0..100).")
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="Override a refused transition or gate.")
        ] = False,
        actor: ActorOption = None,
        direct: DirectOption = False,
    ) -> None:
        """Move one endpoint: legacy -> shadow -> canary -> extracted (gated), or back."""
        if not reason.strip():
            fail("--reason must say why")
        if to is Mode.CANARY and percent is None:
            fail("--to canary needs --percent (0..100): how much traffic goes to the service", 2)
        if to is not Mode.CANARY and percent is not None:
            fail(f"--percent goes with --to canary only, not with --to {to.value}", 2)

        async def action(control: Control) -> tuple[str, dict[str, Any] | None]:
            view = resolve_route(await control.routes(), endpoint)
            if view["mode"] == to.value and (
                to is not Mode.CANARY or view["canary_percent"] == percent
            ):
                return view["route"], None  # already there: nothing to gather evidence for
            request = FlipRequest(
                view["route"], to, percent, reason.strip(), actor or default_actor(), force
            )
            return control.where, await control.flip(request)

        where, record = run(direct, action, admin_access(ctx))
        if record is None:
            state = {"mode": to.value, "canary_percent": percent}
            out().print(f"{where} is already {mode_text(state)}: nothing changed", markup=False)
            return
        _print_record(record, where)

    @app.command("rollback")
    def rollback_command(
        ctx: typer.Context,
        reason: ReasonOption,
        endpoint: Annotated[str | None, typer.Argument(help="One endpoint.")] = None,
        phase: Annotated[
            int | None, typer.Option("--phase", help="Every endpoint of a phase.")
        ] = None,
        all_endpoints: Annotated[bool, typer.Option("--all", help="Every endpoint.")] = False,
        actor: ActorOption = None,
        direct: DirectOption = False,
    ) -> None:
        """Send endpoints back to legacy at once (always allowed, never gated)."""
        chosen = sum(x for x in (endpoint is not None, phase is not None, all_endpoints))
        if chosen != 1:
            fail("name exactly one of ENDPOINT, --phase N or --all", 2)
        _move_many(
            admin_access(ctx),
            direct,
            lambda routes: _select(routes, endpoint, phase),
            lambda view: Mode.LEGACY if view["mode"] != Mode.LEGACY.value else None,
            None,
            reason,
            actor,
            force=False,
        )

    @phase_app.command("advance")
    def phase_advance(
        ctx: typer.Context,
        phase: Annotated[int, typer.Argument(help="The phase number.")],
        reason: ReasonOption,
        percent: Annotated[
            float,
            typer.Option(min=0, max=100, help="Canary percent for endpoints entering canary."),
        ] = 10.0,
        force: Annotated[bool, typer.Option("--force", help="Override refused gates.")] = False,
        actor: ActorOption = None,
        direct: DirectOption = False,
    ) -> None:
        """Move each endpoint of PHASE one stage forward (each one gated on its own)."""
        _move_many(
            admin_access(ctx),
            direct,
            lambda routes: _select(routes, None, phase),
            lambda view: next_stage(Mode(view["mode"])),
            percent,
            reason,
            actor,
            force=force,
        )

    @phase_app.command("rollback")
    def phase_rollback(
        ctx: typer.Context,
        phase: Annotated[int, typer.Argument(help="The phase number.")],
        reason: ReasonOption,
        actor: ActorOption = None,
        direct: DirectOption = False,
    ) -> None:
        """Send every endpoint of PHASE back to legacy."""
        _move_many(
            admin_access(ctx),
            direct,
            lambda routes: _select(routes, None, phase),
            lambda view: Mode.LEGACY if view["mode"] != Mode.LEGACY.value else None,
            None,
            reason,
            actor,
            force=False,
        )

    @app.command("history")
    def history_command(
        ctx: typer.Context,
        json_output: JsonOption = False,
        endpoint: Annotated[
            str | None, typer.Option("--endpoint", help="Only this endpoint.")
        ] = None,
        direct: DirectOption = False,
    ) -> None:
        """Every runtime flip: when, who, why, before -> after, forced or not."""

        async def action(control: Control) -> tuple[str, list[dict[str, Any]]]:
            records = await control.history()
            if endpoint is not None:
                route = resolve_route(await control.routes(), endpoint)["route"]
                records = [r for r in records if r["route"] == route]
            return control.where, records

        where, records = run(direct, action, admin_access(ctx))
        if json_output:
            typer.echo(json.dumps({"source": where, "history": records}, indent=2))
            return
        table = Table(title=f"History ({where})", title_justify="left")
        for column in ("at", "actor", "endpoint", "before", "after", "forced", "reason"):
            table.add_column(column)
        for r in records:
            table.add_row(
                r["at"],
                r["actor"],
                r["route"],
                mode_text(r["before"]),
                mode_text(r["after"]),
                "FORCED" if r.get("forced") else "",
                r["reason"],
            )
        out().print(table)

    @app.command("diffs")
    def diffs_command(
        ctx: typer.Context,
        endpoint: Annotated[
            str | None,
            typer.Argument(help='e.g. "GET /api/products/{id}" (every endpoint with --summary)'),
        ] = None,
        limit: Annotated[int, typer.Option(min=1, help="How many examples.")] = 5,
        summary: Annotated[
            bool,
            typer.Option(
                "--summary", help="How often each field differed, by kind (Diffy's view)."
            ),
        ] = False,
        json_output: JsonOption = False,
    ) -> None:
        """The latest shadow mismatches of ENDPOINT, with their differences (redacted); with
        --summary, per field and kind, in how many of the comparisons it differed."""
        if summary:
            _diff_summary(endpoint, json_output, admin_access(ctx))
            return
        if endpoint is None:
            fail("name an endpoint, or pass --summary for every endpoint's field counts")

        async def action(control: Control) -> list[dict[str, Any]]:
            route = resolve_route(await control.routes(), endpoint)["route"]
            examples = [m for m in await control.mismatches() if m.get("route") == route]
            return examples[:limit]

        # The router stores examples redacted; a last pass covers one that stored them before it
        # did (an older router, a state store written by hand): nothing prints raw.
        examples = default_redactor().scrub(run(False, action, admin_access(ctx)))
        if json_output:
            typer.echo(json.dumps({"mismatches": examples}, indent=2))
            return
        console = out()
        if not examples:
            console.print(f"No shadow mismatches recorded for {endpoint}.")
            return
        for example in examples:
            console.print(
                f"[bold]{example['method']} {example['url']}[/] "
                f"request {example.get('request_id', '')}: "
                f"legacy {example['legacy']['status']}, extracted {example['extracted']['status']}"
            )
            for difference in example.get("differences", []):
                console.print(f"  - {difference}", markup=False)
            for side in ("legacy", "extracted"):
                console.print(f"  {side}: {example[side]['body']}", markup=False)

    app.add_typer(phase_app, name="phase")


def _diff_summary(endpoint: str | None, json_output: bool, access: AdminAccess) -> None:
    async def action(control: Control) -> dict[str, Any]:
        counts = await control.diff_counts()
        if endpoint is None:
            return counts
        route = resolve_route(await control.routes(), endpoint)["route"]
        return {route: counts.get(route, {"compared": 0, "fields": []})}

    counts = run(False, action, access)
    if json_output:
        typer.echo(json.dumps({"routes": counts}, indent=2))
        return
    console = out()
    if not counts:
        console.print("No shadow comparisons yet.")
        return
    for route, data in counts.items():
        compared = int(data["compared"])
        fields = data["fields"]
        console.print(f"[bold]{route}[/]: {compared} compared", highlight=False)
        if not fields:
            console.print("  no field differed")
        for row in fields:
            console.print(
                f"  {row['where'] or '(root)'} {row['kind']}: {row['count']} of {compared}",
                markup=False,
                highlight=False,
            )


def _print_canary_keys(rows: list[dict[str, Any]]) -> None:
    """Which key each canary's decisions really used: a canary keyed on one client address
    sends everyone behind it to one side, whatever its percentage says."""
    keyed = [row for row in rows if row.get("canary_keys")]
    if not keyed:
        return
    console = out()
    console.print("canary sticky keys (decisions since the router started):")
    for row in keyed:
        keys = row["canary_keys"]
        warning = ""
        if keys["key"] != "client_ip" and keys["client_address"] == keys["decisions"]:
            warning = f" (no request carried the {keys['key']} key: split by client address)"
        console.print(
            f"  {row['route']}: {canary_keys_text(keys)}{warning}", markup=False, highlight=False
        )


def _compared(shadow: dict[str, Any] | None) -> str:
    if shadow is None:
        return "-"
    explained = f" ({shadow['explained']} explained)" if shadow.get("explained") else ""
    return f"{shadow['comparisons']}{explained}"


def _not_compared(shadow: dict[str, Any] | None) -> str:
    """What was mirrored or offered but is no evidence either way (the gates never count it)."""
    if shadow is None:
        return "-"
    parts = [f"{shadow['in_flight']} in flight"] if shadow.get("in_flight") else []
    parts += [f"{count} {reason.replace('_', ' ')}" for reason, count in shadow["skipped"].items()]
    return ", ".join(parts) or "-"


def _print_record(record: dict[str, Any], where: str) -> None:
    console = out()
    forced = " (FORCED)" if record.get("forced") else ""
    console.print(
        f"{record['route']}: {mode_text(record['before'])} -> {mode_text(record['after'])}"
        f"{forced} by {record['actor']}: {record['reason']}",
        markup=False,
    )
    for problem in record.get("overridden", []):
        console.print(f"  overrode: {problem}", markup=False)
    console.print(f"via the {where}", markup=False, style="dim")


def _select(
    routes: list[dict[str, Any]], endpoint: str | None, phase: int | None
) -> list[dict[str, Any]]:
    if endpoint is not None:
        return [resolve_route(routes, endpoint)]
    if phase is not None:
        chosen = [r for r in routes if r["phase"] == phase]
        if not chosen:
            phases = ", ".join(str(p) for p in sorted({r["phase"] for r in routes}))
            raise ControlError(f"no endpoint is in phase {phase} (phases with endpoints: {phases})")
        return chosen
    return routes


def _move_many(
    access: AdminAccess,
    direct: bool,
    select: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    target: Callable[[dict[str, Any]], Mode | None],
    percent: float | None,
    reason: str,
    actor: str | None,
    *,
    force: bool,
) -> None:
    """Flip each selected endpoint to its target; report each; exit 1 if any was refused."""
    if not reason.strip():
        fail("--reason must say why")
    who = actor or default_actor()

    async def action(control: Control) -> tuple[str, list[tuple[str, Any]]]:
        outcomes: list[tuple[str, Any]] = []
        for view in select(await control.routes()):
            mode = target(view)
            if mode is None:
                outcomes.append(("skipped", view))
                continue
            entering_canary = mode is Mode.CANARY and view["mode"] != Mode.CANARY.value
            request = FlipRequest(
                view["route"],
                mode,
                percent if entering_canary else None,
                reason.strip(),
                who,
                force,
            )
            try:
                outcomes.append(("flipped", await control.flip(request)))
            except FlipRefused as exc:
                outcomes.append(("refused", exc))
        return control.where, outcomes

    where, outcomes = run(direct, action, access)
    console = out()
    refused = 0
    for kind, value in outcomes:
        if kind == "flipped":
            _print_record(value, where)
        elif kind == "skipped":
            console.print(f"{value['route']}: already {value['mode']}, unchanged", markup=False)
        else:
            refused += 1
            console.print(f"{value.route}: refused:", markup=False)
            for problem in value.problems:
                console.print(f"  - {problem}", markup=False)
    if refused:
        fail(f"{refused} endpoint(s) refused; nothing else was changed for them")
