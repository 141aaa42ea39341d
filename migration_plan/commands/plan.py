"""`strangler plan check|init|seams|diff`: the plan against the real apps and the runtime state."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.table import Table

from migration_plan.commands.connect import (
    DirectOption,
    JsonOption,
    admin_access,
    fail,
    out,
    run,
)
from migration_plan.plan import Mode, Plan, PlanError, Upstream, load_plan
from migration_plan.state.control import Control

if TYPE_CHECKING:
    from migration_plan.discovery.routes import DiscoveredRoute
    from migration_plan.discovery.sources import Source

PlanOption = Annotated[
    Path | None, typer.Option("--plan", help="The plan file (default ROUTER_PLAN).")
]
LEGACY_URL = "http://127.0.0.1:8001"


def _plan_path(option: Path | None) -> Path:
    from migration_plan.stack.locate import resolve_plan

    return resolve_plan(option, os.environ, Path.cwd())


def _load(option: Path | None, *, env: bool = True) -> Plan:
    path = _plan_path(option)
    try:
        return load_plan(path, dict(os.environ) if env else None)
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


def register(app: typer.Typer) -> None:
    plan_app = typer.Typer(help="The migration plan against the apps and the runtime state.")
    app.add_typer(plan_app, name="plan", no_args_is_help=True)

    @plan_app.command("check")
    def check_command(plan_file: PlanOption = None, json_output: JsonOption = False) -> None:
        """Compare the plan with the routes of the apps its upstreams name (`app:` or `openapi:`;
        exit 1 on problems): endpoints missing from the plan, unimplemented ones, template and
        method mismatches."""
        from migration_plan.discovery.apps import PlanSourceError, plan_routes
        from migration_plan.discovery.coverage import check_coverage

        # Without the UPSTREAM_<NAME>_URL overrides: check reads no URL, and an override
        # rebuilds the upstream from its url alone (its app/openapi would be lost).
        plan = _load(plan_file, env=False)
        path = _plan_path(plan_file)
        try:
            monolith, services = plan_routes(plan, path)
        except PlanSourceError as error:
            fail(f"{path}: {error}", code=2)
        lines = endpoint_lines(path)
        findings = [
            replace(f, where=_where(f.where, path, lines))
            for f in check_coverage(plan, monolith, services, {n: n for n in services})
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
        legacy: Annotated[
            str,
            typer.Option(
                "--legacy",
                help="The monolith: MODULE:APP (a Flask app or a no-argument factory), or its "
                "OpenAPI document (.json/.yaml file or http(s) URL).",
            ),
        ],
        services: Annotated[
            list[str] | None,
            typer.Option(
                "--service",
                help="NAME=MODULE:APP (a FastAPI/Starlette app or factory) or NAME=OPENAPI; "
                "repeat for each service, in phase order.",
            ),
        ] = None,
        urls: Annotated[
            list[str] | None,
            typer.Option(
                "--url",
                help="NAME=URL where the router reaches a side (legacy=... for the monolith); "
                f"default {LEGACY_URL} for legacy, then the next ports in --service order.",
            ),
        ] = None,
        output: Annotated[
            Path | None, typer.Option("--output", help="Where (default ROUTER_PLAN).")
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    ) -> None:
        """Write a plan skeleton from the discovered routes (every endpoint on legacy)."""
        from migration_plan.discovery.skeleton import plan_skeleton

        target = output or _plan_path(None)
        if target.exists() and not force:
            fail(f"{target} exists; choose --output FILE or pass --force to overwrite it")
        request = init_request(legacy, services or [], urls or [])
        monolith, found = discover_for_init(request)
        base = target.resolve().parent
        sources = {name: _relative(source, base) for name, source in request.sources.items()}
        text = plan_skeleton(monolith, found, request.urls, request.urls["legacy"], sources)
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
        ctx: typer.Context,
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

        where, rows = run(direct, action, admin_access(ctx))
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


@dataclass(frozen=True, slots=True)
class InitRequest:
    """`plan init`'s flags, checked: upstream -> source (`legacy` first), upstream -> URL."""

    sources: dict[str, Source]
    urls: dict[str, str]
    flags: dict[str, str]  # upstream -> the flag that named it, for errors


def init_request(legacy: str, services: list[str], urls: list[str]) -> InitRequest:
    """Parse the flags; a bad one fails with exit 2 naming the flag (nothing is written)."""
    from migration_plan.discovery.sources import DiscoveryError, parse_named, parse_source

    def bad(flag: str, message: str) -> NoReturn:
        fail(f"{flag}: {message}", code=2)

    try:
        sources = {"legacy": parse_source(legacy)}
    except DiscoveryError as error:
        bad("--legacy", str(error))
    flags = {"legacy": "--legacy"}
    for text in services:
        try:
            name, value = parse_named(text)
            if name in sources:
                raise DiscoveryError(
                    f"{name!r} is {'the monolith' if name == 'legacy' else 'given twice'}"
                )
            sources[name] = parse_source(value)
        except DiscoveryError as error:
            bad(f"--service {text}", str(error))
        flags[name] = f"--service {name}"
    first_port = int(LEGACY_URL.rsplit(":", 1)[1])
    chosen = {name: f"http://127.0.0.1:{first_port + i}" for i, name in enumerate(sources)}
    for text in urls:
        try:
            name, url = parse_named(text)
        except DiscoveryError as error:
            bad(f"--url {text}", str(error))
        if name not in sources:
            bad(f"--url {text}", f"{name!r} is not legacy or a --service ({', '.join(sources)})")
        try:
            chosen[name] = Upstream(url=url).url
        except ValidationError as error:
            bad(f"--url {text}", error.errors()[0]["msg"].removeprefix("Value error, "))
    return InitRequest(sources, chosen, flags)


def discover_for_init(
    request: InitRequest,
) -> tuple[list[DiscoveredRoute], dict[str, list[DiscoveredRoute]]]:
    """Every side's routes; one that cannot be read fails with exit 2 naming its flag."""
    from migration_plan.discovery.apps import MONOLITH, discover
    from migration_plan.discovery.sources import DiscoveryError

    found: dict[str, list[DiscoveredRoute]] = {}
    for name, source in request.sources.items():
        try:
            found[name] = discover(
                MONOLITH if name == "legacy" else name,
                source,
                service=name != "legacy",
                base=Path.cwd(),
            )
        except DiscoveryError as error:
            fail(f"{request.flags[name]}: {error}", code=2)
    return found.pop("legacy"), found


def _relative(source: Source, base: Path) -> tuple[str, str]:
    """(field, value) for the plan; a document file relative to the plan's folder, as the plan
    reads it."""
    if source.kind == "app" or source.is_url:
        return source.kind, source.location
    return source.kind, os.path.relpath(Path.cwd() / source.location, base)
