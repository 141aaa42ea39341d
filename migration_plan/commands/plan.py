"""`strangler plan check|init|seams|diff`: the plan against the real apps and the runtime state."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from migration_plan.commands.connect import (
    DirectOption,
    JsonOption,
    fail,
    out,
    run,
)
from migration_plan.plan import Mode, Plan, PlanError, load_plan
from migration_plan.state.control import Control

PlanOption = Annotated[
    Path | None, typer.Option("--plan", help="The plan file (default ROUTER_PLAN).")
]
LEGACY_URL = "http://127.0.0.1:8001"


def _plan_path(option: Path | None) -> Path:
    from migration_plan.stack.locate import resolve_plan

    return resolve_plan(option, os.environ, Path.cwd())


def _load(option: Path | None) -> Plan:
    path = _plan_path(option)
    try:
        return load_plan(path, dict(os.environ))
    except PlanError as exc:
        fail(f"the plan is not usable:\n{exc}")


def endpoint_lines(path: Path) -> dict[int, int]:
    """Index of each `endpoints:` entry -> its line in the plan file (for findings)."""
    import yaml

    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    for key, value in node.value:
        if key.value == "endpoints" and isinstance(value, yaml.SequenceNode):
            return {i: item.start_mark.line + 1 for i, item in enumerate(value.value)}
    return {}


def _where(where: str, path: Path, lines: dict[int, int]) -> str:
    """`endpoints[3]` -> `plan.yaml:57 endpoints[3]`."""
    if where.startswith("endpoints["):
        line = lines.get(int(where[len("endpoints[") : -1]))
        if line is not None:
            return f"{path.name}:{line} {where}"
    return where


def upstream_services(plan: Plan) -> dict[str, str]:
    """Plan upstream -> extracted service (`products`, `products_service`, `products-svc`...)."""
    from migration_plan.stack.components import SERVICES

    names = {s.name for s in SERVICES}
    mapping = {}
    for upstream in plan.upstreams:
        stem = upstream.lower().replace("-", "_").split("_", 1)[0]
        if upstream != plan.legacy and stem in names:
            mapping[upstream] = stem
    return mapping


def register(app: typer.Typer) -> None:
    plan_app = typer.Typer(help="The migration plan against the apps and the runtime state.")
    app.add_typer(plan_app, name="plan", no_args_is_help=True)

    @plan_app.command("check")
    def check_command(plan_file: PlanOption = None, json_output: JsonOption = False) -> None:
        """Compare the plan with the monolith's url_map and each service's routes (exit 1 on
        problems): endpoints missing from the plan, unimplemented ones, template and method
        mismatches."""
        from migration_plan.discovery.apps import all_service_routes, monolith_routes
        from migration_plan.discovery.coverage import check_coverage

        plan = _load(plan_file)
        monolith = monolith_routes()
        services = all_service_routes()
        path = _plan_path(plan_file)
        lines = endpoint_lines(path)
        findings = [
            replace(f, where=_where(f.where, path, lines))
            for f in check_coverage(plan, monolith, services, upstream_services(plan))
        ]
        if json_output:
            payload = {
                "plan": str(path),
                "ok": not findings,
                "monolith_endpoints": len(monolith),
                "findings": [f.as_dict() for f in findings],
            }
            typer.echo(json.dumps(payload, indent=2))
        elif findings:
            table = Table(title=f"{path}: {len(findings)} problem(s)", title_justify="left")
            for column in ("kind", "where", "endpoint", "problem"):
                table.add_column(column)
            for f in findings:
                table.add_row(f.kind, f.where, f.route, f.message)
            out().print(table)
        else:
            counts = ", ".join(f"{name} {len(r)}" for name, r in services.items())
            out().print(
                f"{path}: ok: {len(plan.endpoints)} endpoints cover the monolith's {len(monolith)};"
                f" each is implemented by its service ({counts} routes)",
                markup=False,
            )
        if findings:
            raise typer.Exit(1)

    @plan_app.command("init")
    def init_command(
        output: Annotated[
            Path | None, typer.Option("--output", help="Where (default ROUTER_PLAN).")
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    ) -> None:
        """Write a plan skeleton from the discovered routes (every endpoint on legacy)."""
        from migration_plan.discovery.apps import all_service_routes, monolith_routes
        from migration_plan.discovery.skeleton import plan_skeleton
        from migration_plan.stack.components import SERVICES

        target = output or _plan_path(None)
        if target.exists() and not force:
            fail(f"{target} exists; choose --output FILE or pass --force to overwrite it")
        urls = {s.name: f"http://127.0.0.1:{8000 + s.offset}" for s in SERVICES}
        text = plan_skeleton(monolith_routes(), all_service_routes(), urls, LEGACY_URL)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        out().print(f"wrote {target}; review it, then run `strangler plan check`", markup=False)

    @plan_app.command("seams")
    def seams_command(plan_file: PlanOption = None, json_output: JsonOption = False) -> None:
        """Tables each monolith endpoint reads and writes, seen by running representative
        requests through the monolith in-process; cross-domain access must be synced first."""
        from migration_plan.discovery.seams import LIMITS, observe_monolith, seams

        plan = _load(plan_file)
        found = seams(plan, observe_monolith())
        if json_output:
            payload = {"method": LIMITS, "endpoints": [s.as_dict() for s in found]}
            typer.echo(json.dumps(payload, indent=2))
            return
        table = Table(title="Seams (tables per endpoint)", title_justify="left")
        for column in ("endpoint", "service", "reads", "writes", "cross-domain"):
            table.add_column(column)
        for s in found:
            cross = [f"WRITES {t} ({o})" for t, o in s.foreign_writes]
            cross += [f"reads {t} ({o})" for t, o in s.foreign_reads]
            table.add_row(
                s.route,
                s.service or "-",
                ", ".join(s.reads),
                ", ".join(s.writes),
                "; ".join(cross),
            )
        console = out()
        console.print(table)
        console.print(f"Method: {LIMITS}.", markup=False)
        console.print(
            "Cross-domain writes must be synced to the owner (or moved to its API) before the "
            "endpoint leaves the monolith.",
            markup=False,
        )

    @plan_app.command("diff")
    def diff_command(
        plan_file: PlanOption = None,
        json_output: JsonOption = False,
        check: Annotated[
            bool, typer.Option("--check", help="Exit 1 when runtime and plan disagree.")
        ] = False,
        direct: DirectOption = False,
    ) -> None:
        """Where the runtime state (flips) and the plan file disagree."""
        plan = _load(plan_file)

        async def action(control: Control) -> tuple[str, list[dict[str, Any]]]:
            routes = await control.routes()
            history = await control.history()
            return control.where, plan_runtime_diff(plan, routes, history)

        where, rows = run(direct, action)
        if json_output:
            typer.echo(json.dumps({"source": where, "differences": rows}, indent=2))
        elif not rows:
            out().print(f"The runtime state matches the plan ({where}).", markup=False)
        else:
            table = Table(title=f"Runtime vs plan ({where})", title_justify="left")
            for column in ("endpoint", "plan", "runtime", "last flip"):
                table.add_column(column)
            for row in rows:
                table.add_row(row["route"], row["plan"], row["runtime"], row["last_flip"])
            console = out()
            console.print(table)
            console.print("Make the plan say what runs (or flip back) so a restart keeps it.")
        if check and rows:
            raise typer.Exit(1)


def _mode(mode: str, percent: float | None) -> str:
    return f"canary {percent or 0:g}%" if mode == Mode.CANARY.value else mode


def plan_runtime_diff(
    plan: Plan, routes: list[dict[str, Any]], history: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Pure: each route whose runtime mode (or canary percent) is not the plan file's."""
    rows = []
    for view in routes:
        endpoint = plan.endpoint(str(view["route"]))
        planned = (
            _mode(endpoint.mode.value, endpoint.canary_percent) if endpoint else "(not in plan)"
        )
        runtime = _mode(str(view["mode"]), view.get("canary_percent"))
        if planned == runtime:
            continue
        last = next((r for r in reversed(history) if r["route"] == view["route"]), None)
        last_flip = (
            f"{last['at']} by {last['actor']}{' (forced)' if last.get('forced') else ''}: "
            f"{last['reason']}"
            if last
            else ""
        )
        rows.append(
            {"route": view["route"], "plan": planned, "runtime": runtime, "last_flip": last_flip}
        )
    return rows
