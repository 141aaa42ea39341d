"""Who owns each table right now (pure): the plan's `tables:` declaration, following the phases.

A table declared for a service moves to it once every endpoint of that service is `extracted`;
until then the monolith (`legacy`) is its system of record and changes flow monolith -> service.
The identity tables (`users`, `sessions`) flow both ways whatever the owner: a token issued on
either side must work on both while any auth endpoint can still be answered by either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

LEGACY = "legacy"
EXTRACTED = "extracted"
BOTH_WAYS = frozenset({"users", "sessions"})


def table_owners(
    declared: Mapping[str, str], routes: Iterable[Mapping[str, Any]]
) -> dict[str, str]:
    """table -> current owner (`legacy` or a service), from the plan's `tables:` and route views
    (each with `service` and `mode`, as `Control.routes()` gives them)."""
    modes: dict[str, list[str]] = {}
    for view in routes:
        modes.setdefault(str(view["service"]), []).append(str(view["mode"]))
    owners = {}
    for table, service in declared.items():
        moved = (
            service != LEGACY
            and bool(modes.get(service))
            and all(mode == EXTRACTED for mode in modes[service])
        )
        owners[table] = service if moved else LEGACY
    return owners


def flows_to_service(owners: Mapping[str, str], table: str) -> bool:
    """Monolith changes of `table` are applied to the service that will own it."""
    return table in BOTH_WAYS or owners.get(table, LEGACY) == LEGACY


def flows_to_monolith(owners: Mapping[str, str], table: str, service: str) -> bool:
    """`service`'s changes of `table` are applied to the monolith (which may still read it)."""
    return table in BOTH_WAYS or owners.get(table, LEGACY) == service
