"""The route tables of the real apps, read from wherever a plan or a flag says they are (the I/O
edge of discovery): an app built in-process (build.py) or an OpenAPI document (openapi.py).

Nothing here names an app: the legacy side and each service come from the plan's `upstreams`
(`app:` or `openapi:`), or from `strangler plan init`'s flags.
"""

from __future__ import annotations

import os
from pathlib import Path

from migration_plan.discovery.build import app_rules, build_app
from migration_plan.discovery.openapi import openapi_rules, read_openapi
from migration_plan.discovery.routes import DiscoveredRoute, ignored_service_path, routes_of
from migration_plan.discovery.sources import DiscoveryError, Source, plan_sources
from migration_plan.plan import Plan, load_plan

MONOLITH = "monolith"
# A Starlette legacy app's own documentation routes are not endpoints to strangle.
FRAMEWORK_DOC_PATHS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")


def discover(name: str, source: Source, *, service: bool, base: Path) -> list[DiscoveredRoute]:
    """The routes of one side; a service's health, internal and documentation paths left out.

    `base` is the folder relative OpenAPI files are read from (the plan's, or the working one)."""
    if source.kind == "openapi":
        normalise, rules = "starlette", openapi_rules(read_openapi(source.location, base))
    else:
        normalise, rules = app_rules(build_app(source.location))
    if service:
        rules = [(p, m) for p, m in rules if not ignored_service_path(p)]
    elif normalise == "starlette":
        rules = [(p, m) for p, m in rules if p not in FRAMEWORK_DOC_PATHS]
    return routes_of(name, rules, normalise)


class PlanSourceError(DiscoveryError):
    """A plan upstream discovery cannot read; `field` is where (`upstreams.auth.app`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def plan_routes(
    plan: Plan, plan_file: Path, names: set[str] | None = None
) -> tuple[list[DiscoveredRoute], dict[str, list[DiscoveredRoute]]]:
    """The legacy upstream's routes and each service upstream's (`names`: only these services;
    default every service upstream). Raises PlanSourceError naming the upstream's field."""
    sources, missing = plan_sources(plan)
    # Every service an endpoint names must be discoverable; another (a service not written yet)
    # is read only if the plan says where.
    named = {e.service for e in plan.endpoints}
    wanted = [
        n
        for n in plan.upstreams
        if n != plan.legacy and (n in names if names is not None else n in named or n in sources)
    ]
    for name in (plan.legacy, *wanted):
        if name in missing:
            raise PlanSourceError(
                f"upstreams.{name}",
                "has neither `app` nor `openapi`, so its routes cannot be discovered (add "
                '`app: "package.module:create_app"` or `openapi: FILE-or-URL`; docs/plan.md)',
            )
    base = plan_file.parent
    legacy = _read(plan.legacy, MONOLITH, sources[plan.legacy], service=False, base=base)
    services = {n: _read(n, n, sources[n], service=True, base=base) for n in wanted}
    return legacy, services


def _read(
    upstream: str, label: str, source: Source, *, service: bool, base: Path
) -> list[DiscoveredRoute]:
    try:
        return discover(label, source, service=service, base=base)
    except DiscoveryError as error:
        raise PlanSourceError(f"upstreams.{upstream}.{source.kind}", str(error)) from None


# The functions other modules called before discovery read the plan: the same answers, for the
# plan at ROUTER_PLAN (default migration_plan/plan.yaml).


def _default_plan() -> tuple[Plan, Path]:
    from migration_plan.stack.locate import resolve_plan

    path = resolve_plan(None, os.environ, Path.cwd())
    return load_plan(path), path


def monolith_routes() -> list[DiscoveredRoute]:
    """Every endpoint of the legacy upstream (static files left out)."""
    plan, path = _default_plan()
    return plan_routes(plan, path, names=set())[0]


def service_routes(name: str) -> list[DiscoveredRoute]:
    """The public endpoints of one service upstream of the plan."""
    plan, path = _default_plan()
    if name == plan.legacy or name not in plan.upstreams:
        known = ", ".join(n for n in plan.upstreams if n != plan.legacy)
        raise LookupError(f"no service upstream named {name!r} in {path} (known: {known})")
    return plan_routes(plan, path, names={name})[1][name]


def all_service_routes() -> dict[str, list[DiscoveredRoute]]:
    plan, path = _default_plan()
    return plan_routes(plan, path)[1]
