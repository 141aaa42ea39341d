"""Port assignment (pure) and the check that each port is free (one socket bind per port)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from migration_plan.stack.components import (
    EVENT_PROCESSES,
    HOST,
    MONOLITH,
    MONOLITH_OFFSET,
    ROUTER,
    SERVICES,
)

DEFAULT_ROUTER_PORT = 8000


class StackConfigError(Exception):
    """The stack cannot be described as configured; the message names the variable to change."""


@dataclass(frozen=True, slots=True)
class PortAssignment:
    """Where one component listens and which variable moves it."""

    component: str
    port: int
    variable: str


def read_port(environ: Mapping[str, str], variable: str) -> int | None:
    raw = environ.get(variable, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise StackConfigError(f"{variable}={raw!r} is not a port number (1..65535)")
    return int(raw)


def assign_ports(
    environ: Mapping[str, str], router_port: int | None = None
) -> dict[str, PortAssignment]:
    """The router on ROUTER_PORT (default 8000); the others on the next ports unless set one by one.

    `router_port` (the `--router-port` option) wins over ROUTER_PORT. The monolith is +1, then auth,
    products, orders, then the event processes' metrics ports (relay, sync, inventory,
    notifications, analytics: +5..+9); MONOLITH_PORT, AUTH_PORT, ... move one component alone.
    """
    if router_port is not None and not 1 <= router_port <= 65535:
        raise StackConfigError(f"--router-port {router_port} is not a port number (1..65535)")
    base = router_port or read_port(environ, "ROUTER_PORT") or DEFAULT_ROUTER_PORT
    wanted = [(ROUTER, "ROUTER_PORT", 0), (MONOLITH, "MONOLITH_PORT", MONOLITH_OFFSET)]
    wanted += [(s.name, s.port_variable, s.offset) for s in SERVICES]
    wanted += [(e.name, e.port_variable, e.offset) for e in EVENT_PROCESSES]
    ports: dict[str, PortAssignment] = {}
    for component, variable, offset in wanted:
        port = base if component == ROUTER else read_port(environ, variable) or base + offset
        if port > 65535:
            raise StackConfigError(
                f"{component} would listen on {port} (ROUTER_PORT {base} + {offset}); "
                f"lower ROUTER_PORT or set {variable}"
            )
        ports[component] = PortAssignment(component, port, variable)
    refuse_duplicates(ports.values())
    return ports


def refuse_duplicates(assignments: Iterable[PortAssignment]) -> None:
    seen: dict[int, PortAssignment] = {}
    for assignment in assignments:
        other = seen.setdefault(assignment.port, assignment)
        if other is not assignment:
            raise StackConfigError(
                f"{other.component} and {assignment.component} would both listen on port "
                f"{assignment.port}; change {assignment.variable} or {other.variable}"
            )


def port_is_free(port: int, host: str = HOST) -> bool:
    """True when a server could listen on host:port now (SO_REUSEADDR, as uvicorn binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
        return True


def busy_port_message(assignment: PortAssignment) -> str:
    alone = (
        ""
        if assignment.component == ROUTER
        else f"set {assignment.variable} to move {assignment.component} alone, or "
    )
    return (
        f"port {assignment.port} ({assignment.component}) is already in use on {HOST}; "
        f"stop what is using it, {alone}set ROUTER_PORT (or --router-port) to move the whole stack"
    )


def check_ports_free(assignments: Iterable[PortAssignment]) -> None:
    """Raise StackConfigError naming the first busy port and the variable that moves it."""
    for assignment in assignments:
        if not port_is_free(assignment.port):
            raise StackConfigError(busy_port_message(assignment))
