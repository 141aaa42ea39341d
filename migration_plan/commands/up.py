"""`strangler up`: a stack file's processes on this machine, in the foreground (default: the
worked example on SQLite with demo data)."""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from migration_plan.commands import COMMAND_MODULES
from migration_plan.plan import PlanError, load_plan
from migration_plan.stack import locate, ports, state
from migration_plan.stack.display import crash_message, event_message, print_ready
from migration_plan.stack.from_file import (
    Inputs,
    build_from_file,
    map_upstreams,
    plan_upstream_owner,
)
from migration_plan.stack.prepare import Step, selected
from migration_plan.stack.restarts import GiveUp, RestartPolicy
from migration_plan.stack.run_steps import StepFailed, run_stages
from migration_plan.stack.settings import RestartSettings
from migration_plan.stack.stackfile import StackProblem, load_stack_file
from migration_plan.stack.supervisor import ComponentFailed, Crashed, Event, Supervisor
from migration_plan.stack.wiring import Stack, overridden_upstreams

console = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def fail(message: str, detail: str = "") -> NoReturn:
    stderr.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    if detail:
        stderr.print(detail, markup=False, soft_wrap=True)
    raise typer.Exit(1)


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM ends `up` exactly as Ctrl-C does: through KeyboardInterrupt and the cleanup."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


def describe_stack(
    router_port: int | None, plan: Path | None, stack_file: Path | None, *, need_plan: bool
) -> Stack:
    environ = dict(os.environ)
    cwd = Path.cwd()
    var_dir = (cwd / environ.get("STRANGLER_VAR_DIR", "var")).resolve()
    plan_path = locate.resolve_plan(plan, environ, cwd)
    stack_path = locate.resolve_stack(stack_file, environ, cwd)
    try:
        described = load_stack_file(stack_path)
    except StackProblem as exc:
        # 2, as for a bad option: the file given is unusable and nothing was started.
        stderr.print(
            "[bold red]error:[/] the stack file is not usable (set STRANGLER_STACK or --stack):",
            soft_wrap=True,
        )
        stderr.print(str(exc), markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    try:
        owner = plan_upstream_owner(described)
        upstreams: dict[str, str] | None = None
        if need_plan and owner is not None and owner.plan_upstreams is not None:
            targets = owner.plan_upstreams
            upstreams = map_upstreams(
                load_plan(plan_path, env={}), targets.legacy, targets.services
            )
            for variable in overridden_upstreams(upstreams, environ):
                console.print(
                    f"[yellow]note:[/] {variable}={environ[variable]} (yours) overrides the stack's"
                )
        inputs = Inputs(
            environ=environ,
            var_dir=var_dir,
            python=sys.executable,
            strangler=locate.strangler_argv(),
            plan_path=plan_path,
            admin_token=environ.get("ROUTER_ADMIN_TOKEN") or secrets.token_urlsafe(32),
            router_port=router_port,
        )
        return build_from_file(described, inputs, name=str(stack_path), upstreams=upstreams)
    except ports.StackConfigError as exc:
        fail(str(exc))
    except PlanError as exc:
        fail(f"the router's plan is not usable (set ROUTER_PLAN or --plan):\n{exc}")


def prepare(stack: Stack, *, seed: bool, backfill: bool) -> None:
    def done(step: Step, seconds: float) -> None:
        console.print(f"  [green]ok[/] {step.name} [dim]({seconds:.1f}s)[/]")

    stages = selected(stack, seed=seed, backfill=backfill)
    if not stages:
        return
    console.print("Preparing (idempotent steps)...")
    try:
        run_stages(stages, stack.var_dir / "logs" / "prepare.log", done=done)
    except StepFailed as exc:
        fail(str(exc), exc.tail)


def restart_policy() -> RestartPolicy:
    try:
        return RestartSettings.from_env(os.environ).policy()
    except ports.StackConfigError as exc:
        fail(str(exc))


def report(event: Event, vital: frozenset[str]) -> None:
    """Crashes and restarts between the components' lines; a give-up loudly, with its log."""
    if isinstance(event, Crashed) and isinstance(event.decision, GiveUp):
        if event.name in vital:  # the stack stops; `run` reports it as a failure
            return
        stderr.print(
            f"[bold red]error:[/] {crash_message(event)}; the rest keeps serving", soft_wrap=True
        )
        if event.tail:
            stderr.print(f"--- last lines of {event.log_path} ---", soft_wrap=True)
            stderr.print(event.tail, markup=False, soft_wrap=True)
        return
    console.print(event_message(event), style="yellow", markup=False, soft_wrap=True)


def run(stack: Stack, *, timeout: float, grace: float, quiet: bool, policy: RestartPolicy) -> int:
    """Start, wait for readiness, serve until Ctrl-C/SIGTERM, restarting what dies (the router
    given up on stops the stack); always stop everything. 1 if anything was given up on."""
    log_dir = stack.var_dir / "logs"
    state_file = state.state_path(stack.var_dir)
    record: dict[str, Any] = {}

    def notify(event: Event) -> None:
        # The record first: whoever reads the printed line finds the new pid and counts there.
        if record:
            state.write_state(state_file, state.with_health(record, supervisor.health()))
        report(event, stack.vital)

    supervisor = Supervisor(
        log_dir, None if quiet else console, policy=policy, vital=stack.vital, notify=notify
    )
    code = 0
    try:
        console.print("Starting " + ", ".join(c.name for c in stack.components) + "...")
        supervisor.start_all(stack.components)
        record.update(state.describe(stack, os.getpid(), supervisor.pids()))
        state.write_state(state_file, state.with_health(record, supervisor.health()))
        supervisor.wait_ready(timeout)
        print_ready(console, stack, state_file, log_dir)
        failure = supervisor.watch()
        if failure is not None:
            raise failure
    except ComponentFailed as exc:
        stderr.print(f"[bold red]error:[/] {exc}; stopping the others", soft_wrap=True)
        if exc.tail:
            stderr.print(f"--- last lines of {exc.log_path} ---", soft_wrap=True)
            stderr.print(exc.tail, markup=False, soft_wrap=True)
        code = 1
    except KeyboardInterrupt:
        console.print()
    finally:
        # A second Ctrl-C must not abandon half-stopped children; stopping is bounded by `grace`.
        previous = (
            signal.signal(signal.SIGINT, signal.SIG_IGN),
            signal.signal(signal.SIGTERM, signal.SIG_IGN),
        )
        given_up = supervisor.given_up()
        console.print(f"Stopping the stack (up to {grace:g}s)...")
        started = time.monotonic()
        killed = supervisor.stop(grace)
        state.remove_state(state_file, os.getpid())
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
        if killed:
            console.print(f"Killed after {grace:g}s: {', '.join(killed)}")
        console.print(f"Stopped ({time.monotonic() - started:.1f}s).")
    if given_up and not code:
        stderr.print(
            f"[bold red]error:[/] given up on while the stack ran: {', '.join(given_up)} "
            f"(logs in {log_dir})",
            soft_wrap=True,
        )
        code = 1
    return code


def preflight(stack: Stack, *, serving: bool) -> None:
    """Refuse before anything starts: missing components, a stack already up, a busy port."""
    modules = list(stack.modules)
    if serving:
        modules += [c.module for c in stack.components if c.module]
    missing = locate.missing_modules(modules)
    if missing:
        fail("these components cannot be imported here:\n  " + "\n  ".join(missing))
    if not serving:
        return
    running = state.running_stack(state.state_path(stack.var_dir))
    if running is not None:
        fail(
            f"a stack is already running from {stack.var_dir} (pid {running['pid']}, "
            f"router {running.get('router_url')}); stop it first (Ctrl-C in its terminal)"
        )
    try:
        ports.check_ports_free(
            ports.PortAssignment(c.name, c.port, c.port_variable) for c in stack.display_order
        )
    except ports.StackConfigError as exc:
        left = state.orphans(state.state_path(stack.var_dir))
        if left:
            groups = " ".join(f"-{pid}" for pid in left.values())
            fail(
                f"{exc}\nA previous stack's components still run ({', '.join(left)}) although its "
                f"`strangler up` is gone; stop them with: kill -TERM -- {groups}"
            )
        fail(str(exc))


def up_command(
    router_port: Annotated[
        int | None,
        typer.Option(help="The router's port (default ROUTER_PORT or 8000); the others follow."),
    ] = None,
    seed: Annotated[bool, typer.Option(help="Insert the monolith's demo data.")] = True,
    backfill: Annotated[
        bool, typer.Option(help="Copy the monolith's data into the services' databases.")
    ] = True,
    plan: Annotated[
        Path | None, typer.Option(help="The router's plan (default ROUTER_PLAN).")
    ] = None,
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds each component has to become ready.")
    ] = 60.0,
    grace: Annotated[
        float, typer.Option(min=0, help="Seconds to stop before SIGKILL on shutdown.")
    ] = 10.0,
    quiet: Annotated[
        bool, typer.Option(help="Components' output only to var/logs/<name>.log.")
    ] = False,
    stack_file: Annotated[
        Path | None,
        typer.Option(
            "--stack",
            help="The stack file: components, ports, readiness, environment, preparation "
            "(default STRANGLER_STACK, else the worked example's migration_plan/stack.yaml).",
        ),
    ] = None,
    prepare_only: Annotated[
        bool, typer.Option(help="Only the stack file's `prepare` steps, then exit.")
    ] = False,
) -> None:
    """Run a stack file's components on this machine (default: the worked example's monolith,
    services and router, with demo data)."""
    stack = describe_stack(router_port, plan, stack_file, need_plan=not prepare_only)
    if backfill and "data" not in COMMAND_MODULES:
        console.print("[yellow]note:[/] no `strangler data` command here; skipping the backfill")
        backfill = False
    policy = restart_policy()
    preflight(stack, serving=not prepare_only)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    # Started from a script (`./scripts/up &`), SIGINT arrives ignored; Ctrl-C must still stop us.
    previous_int = signal.signal(signal.SIGINT, _interrupt)
    try:
        prepare(stack, seed=seed, backfill=backfill)
        if prepare_only:
            return
        code = run(stack, timeout=timeout, grace=grace, quiet=quiet, policy=policy)
    except KeyboardInterrupt:
        code = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("up")(up_command)
