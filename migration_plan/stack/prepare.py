"""The idempotent steps before the stack starts: schemas, demo data, backfill (pure argv)."""

from __future__ import annotations

from migration_plan.stack.components import MONOLITH, SERVICES, Stage, Step
from migration_plan.stack.wiring import Stack

# Each service's `migrate` module exposes `upgrade(database_url)`; there is no CLI for it.
SERVICE_UPGRADE = "import sys; from {module} import upgrade; upgrade(sys.argv[1])"


__all__ = ["Stage", "Step", "preparation", "selected"]


def selected(stack: Stack, *, seed: bool, backfill: bool) -> tuple[Stage, ...]:
    """The stack file's preparation stages that `up`'s options keep."""
    skipped = {name for name, keep in (("seed", seed), ("backfill", backfill)) if not keep}
    return tuple(stage.steps for stage in stack.prepare if stage.when not in skipped)


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
    if databases is None:
        raise ValueError("a stack read from a stack file prepares from its `prepare` stages")
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
