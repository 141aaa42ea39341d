"""What `strangler up` prints once the stack is ready: the URLs, router first, and how to try it."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from migration_plan.stack.restarts import Restart
from migration_plan.stack.supervisor import Crashed, Event, Recovered, Restarted
from migration_plan.stack.wiring import Stack


def try_command(stack: Stack) -> str | None:
    return None if stack.try_path is None else f"curl -i {stack.router.url}{stack.try_path}"


def ready_table(stack: Stack) -> Table:
    table = Table(title="strangler stack", title_justify="left", show_edge=False)
    table.add_column("component", style="bold")
    table.add_column("url")
    table.add_column("ready check")
    for spec in stack.display_order:
        name = f"{spec.name} (front door)" if spec.name == stack.front else spec.name
        table.add_row(name, spec.url, spec.ready_path)
    return table


def ready_message(stack: Stack, state_file: Path, log_dir: Path) -> Group:
    lines = []
    command = try_command(stack)
    if command is not None:
        lines.append(
            Text.assemble("Try it: ", (command, "bold"), "  (see X-Strangler-Side: legacy)")
        )
    if stack.admin_url is not None:
        lines.append(Text(f"Admin API: {stack.admin_url}  (token in {state_file})"))
    lines += [Text(f"Logs: {log_dir}/<component>.log"), Text("Ctrl-C stops everything.")]
    return Group(ready_table(stack), Text(""), *lines)


def print_ready(console: Console, stack: Stack, state_file: Path, log_dir: Path) -> None:
    console.print(ready_message(stack, state_file, log_dir), soft_wrap=True, highlight=False)


def event_message(event: Event) -> str:
    """One line for a crash, a restart or a recovery, as `up` prints it."""
    if isinstance(event, Restarted):
        return f"{event.name} restarted (attempt {event.attempt}, pid {event.pid}) on {event.url}"
    if isinstance(event, Recovered):
        return (
            f"{event.name} is ready again (attempt {event.attempt}, "
            f"{event.seconds:.1f}s after the crash)"
        )
    return crash_message(event)


def crash_message(event: Crashed) -> str:
    died = f"{event.name} exited unexpectedly with {event.exit} after {event.uptime:.1f}s"
    decision = event.decision
    if isinstance(decision, Restart):
        return f"{died}; restarting it in {decision.delay:g}s (attempt {decision.attempt})"
    return (
        f"{died}; giving up on it: {decision.restarts} restarts within "
        f"{decision.window_seconds:g}s already (STRANGLER_RESTART_LIMIT)"
    )
