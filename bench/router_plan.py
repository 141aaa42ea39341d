"""A generated migration plan that points the router at the benchmark's backend."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from bench.cases import Backend, Options

BENCHED_ROUTE = "GET /api/products/{id}"
_counter = itertools.count()


def plan_document(legacy_url: str, service_url: str, *, shadow: bool) -> dict[str, object]:
    """Plan v1: the catch-all (legacy) is the target; the benched route is legacy or shadow mode."""
    return {
        "version": 1,
        "upstreams": {"legacy": {"url": legacy_url}, "products": {"url": service_url}},
        "legacy": "legacy",
        "endpoints": [
            {
                "route": BENCHED_ROUTE,
                "phase": 1,
                "service": "products",
                "mode": "shadow" if shadow else "legacy",
            }
        ],
    }


def router_env(backend: Backend, options: Options, *, shadow: bool) -> dict[str, str]:
    """Write the plan under the work dir; return the ROUTER_* variables that point at it."""
    plan = plan_document(
        f"http://127.0.0.1:{backend.port}",
        f"http://127.0.0.1:{backend.shadow_port}",
        shadow=shadow,
    )
    path = options.work_dir / f"plan-{next(_counter)}.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return {
        "ROUTER_PLAN": str(path),
        "ROUTER_HOST": "127.0.0.1",
        # The default (file) runtime-state store, but in the run's temp dir, not the repo's var/.
        "STRANGLER_VAR_DIR": str(options.work_dir),
        "ROUTER_ACCESS_LOG": "true" if options.router_access_log else "false",
    }
