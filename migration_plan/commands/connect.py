"""How the flag commands reach the flags: options, output, the control (admin API or store)."""

from __future__ import annotations

import asyncio
import getpass
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import httpx
import typer
from rich.console import Console

from migration_plan.plan import PlanError, load_plan
from migration_plan.state.control import (
    AdminControl,
    Control,
    ControlError,
    DirectControl,
    FlipRefused,
    admin_from_env,
)

T = TypeVar("T")

DirectOption = Annotated[
    bool, typer.Option("--direct", help="Work on the state store, not a running router.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (recorded in history).")]
ActorOption = Annotated[
    str | None, typer.Option("--actor", help="Who (default $USER@host; recorded in history).")
]


def out() -> Console:
    # Not a terminal (a pipe, a test runner): wide enough that tables keep one line per row.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 220)


def fail(message: str, code: int = 1) -> NoReturn:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def default_actor(environ: dict[str, str] | None = None) -> str:
    env = environ if environ is not None else dict(os.environ)
    user = env.get("USER") or env.get("LOGNAME")
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
    return f"{user}@{socket.gethostname()}"


def var_dir() -> Path:
    return Path(os.environ.get("STRANGLER_VAR_DIR") or "var")


@dataclass(frozen=True, slots=True)
class AdminAccess:
    """How the commands reach a router's admin API: the network unless `transport` says
    otherwise (tests pass an httpx.ASGITransport over an in-process router as CliRunner's obj)."""

    transport: httpx.AsyncBaseTransport | None = None


def admin_access(ctx: typer.Context) -> AdminAccess:
    """The AdminAccess the command line was given as its context object, else the network."""
    given = ctx.find_object(AdminAccess)
    return given if given is not None else AdminAccess()


def open_control(direct: bool, access: AdminAccess | None = None) -> Control:
    """The admin API when a router is known (env or var/stack.json), else the store directly."""
    environ = dict(os.environ)
    admin = None if direct else admin_from_env(environ, var_dir())
    if admin is not None:
        url, token, source = admin
        transport = (access or AdminAccess()).transport
        return AdminControl(url, token, source, transport=transport)
    return direct_control(environ, note="" if direct else "no running router found")


def direct_control(environ: dict[str, str], note: str = "") -> DirectControl:
    from migration_plan.stack.locate import resolve_plan
    from migration_plan.state import build_state
    from migration_plan.state.evidence import read_parity_results
    from migration_plan.state.settings import StateSettings

    try:
        settings = StateSettings.from_env(environ)
    except ValueError as exc:
        fail(f"invalid state store settings: {exc}")
    if settings.STRANGLER_STATE == "memory":
        fail(
            "STRANGLER_STATE=memory keeps flips inside one router process: there is no store "
            "to work on; start the router (`strangler up`) or use STRANGLER_STATE=file|redis"
        )
    plan_path = resolve_plan(None, environ, Path.cwd())
    try:
        plan = load_plan(plan_path, environ)
    except PlanError as exc:
        fail(f"the plan is not usable:\n{exc}")
    return DirectControl(
        plan,
        build_state(settings, one_shot=True),
        settings,
        read_parity_results(environ),
        note=note,
    )


def run(
    direct: bool, action: Callable[[Control], Awaitable[T]], access: AdminAccess | None = None
) -> T:
    """Open the control, run `action`, close; a ControlError ends the command (exit 1)."""

    async def main() -> T:
        control = open_control(direct, access)
        try:
            return await action(control)
        finally:
            await control.aclose()

    try:
        return asyncio.run(main())
    except FlipRefused as exc:
        lines = "\n".join(f"  - {p}" for p in exc.problems)
        fail(
            f"{exc.route}: flip refused (nothing changed):\n{lines}\n"
            "Gather the evidence, or override with --force --reason (recorded as forced)."
        )
    except ControlError as exc:
        fail(str(exc))
