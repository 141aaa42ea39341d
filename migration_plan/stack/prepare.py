"""The idempotent steps before the stack starts: schemas, demo data, backfill (pure argv)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from migration_plan.stack.components import MONOLITH, SERVICES
from migration_plan.stack.wiring import Stack

# Each service's `migrate` module exposes `upgrade(database_url)`; there is no CLI for it.
SERVICE_UPGRADE = "import sys; from {module} import upgrade; upgrade(sys.argv[1])"


@dataclass(frozen=True, slots=True)
class Step:
    """One command run to completion before anything serves; safe to repeat."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]


Stage = tuple[Step, ...]  # the steps of a stage touch different databases and run side by side


def preparation(
    stack: Stack,
    *,
    strangler: tuple[str, ...],
    python: str,
    seed: bool = True,
    backfill: bool = True,
) -> tuple[Stage, ...]:
    """Schemas first (all at once), then the monolith's demo data, then the backfill."""
    base = {"STRANGLER_VAR_DIR": str(stack.var_dir), "PYTHONUNBUFFERED": "1"}
    databases = stack.databases
    schemas: list[Step] = [
        Step(
            f"{MONOLITH}: db upgrade",
            (*strangler, "db", "upgrade"),
            {**base, "DATABASE_URL": databases.monolith},
        )
    ]
    schemas += [
        Step(
            f"{s.name}: migrations",
            (
                python,
                "-c",
                SERVICE_UPGRADE.format(module=s.migrations),
                databases.services[s.name],
            ),
            {**base, s.database_variable: databases.services[s.name]},
        )
        for s in SERVICES
    ]
    stages: list[Stage] = [tuple(schemas)]
    if seed:
        stages.append(
            (Step(f"{MONOLITH}: seed", (*strangler, "seed"), {**base, **databases.env()}),)
        )
    if backfill:
        stages.append(
            (
                Step(
                    "data backfill all",
                    (*strangler, "data", "backfill", "all"),
                    {**base, **databases.env()},
                ),
            )
        )
    return tuple(stages)
