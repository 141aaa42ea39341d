"""Plan coverage (pure): the plan against the monolith's routes and each service's routes."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from migration_plan.discovery.routes import DiscoveredRoute
from migration_plan.plan import Endpoint, Plan
from migration_plan.plan.templates import SAFE_METHODS as SAFE

MISSING_FROM_PLAN = "missing_from_plan"
NOT_IN_MONOLITH = "not_in_monolith"
NOT_IMPLEMENTED = "not_implemented"
TEMPLATE_MISMATCH = "template_mismatch"
METHOD_MISMATCH = "method_mismatch"
UNKNOWN_SERVICE = "unknown_service"
SIMILAR = 0.85  # difflib ratio above which two paths are one route spelled two ways

Key = tuple[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Finding:
    """One coverage problem; `where` is the plan entry or the app it was found in."""

    kind: str
    route: str
    where: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "route": self.route,
            "where": self.where,
            "message": self.message,
        }


def _shape(key: Key) -> str:
    return "/" + "/".join(key[1])


def _near(
    key: Key, candidates: Mapping[Key, DiscoveredRoute]
) -> tuple[str, DiscoveredRoute] | None:
    """A candidate with the same path and another method (a write for a write, a read for a
    read, when there is one), or the same method and a close path."""
    same_path = [r for k, r in candidates.items() if k[1] == key[1] and k[0] != key[0]]
    if same_path:
        alike = [r for r in same_path if (r.method in SAFE) == (key[0] in SAFE)]
        return METHOD_MISMATCH, (alike or same_path)[0]
    best: tuple[float, DiscoveredRoute] | None = None
    for other_key, route in candidates.items():
        if other_key[0] != key[0]:
            continue
        ratio = difflib.SequenceMatcher(None, _shape(key), _shape(other_key)).ratio()
        if ratio >= SIMILAR and (best is None or ratio > best[0]):
            best = (ratio, route)
    return (TEMPLATE_MISMATCH, best[1]) if best else None


def _mismatch(kind: str, endpoint: Endpoint, route: DiscoveredRoute, side: str) -> str:
    if kind == METHOD_MISMATCH:
        return (
            f"method mismatch: the plan says {endpoint.template.method} {endpoint.template.path}, "
            f"{side} has {route.method} {route.raw}"
        )
    return (
        f"template mismatch: the plan says {endpoint.route!r}, {side} has "
        f"{route.method} {route.raw} (normalised {route.route!r})"
    )


def check_coverage(
    plan: Plan,
    monolith: list[DiscoveredRoute],
    services: Mapping[str, list[DiscoveredRoute]],
    upstream_services: Mapping[str, str],
) -> list[Finding]:
    """Everything that keeps the plan from describing the real apps; empty when it does.

    `upstream_services` maps a plan upstream to the service whose routes implement it."""
    findings: list[Finding] = []
    legacy = {r.key: r for r in monolith}
    planned = {e.template.key: (i, e) for i, e in enumerate(plan.endpoints)}
    explained: set[Key] = set()  # plan entries that are a monolith route spelled differently
    claimed: set[Key] = set()  # monolith routes such an entry stands for

    for key, (index, endpoint) in planned.items():
        if key in legacy:
            continue
        free = {k: r for k, r in legacy.items() if k not in planned and k not in claimed}
        near = _near(key, free)
        if near is not None:
            kind, twin = near
            explained.add(key)
            claimed.add(twin.key)
            findings.append(
                Finding(
                    kind,
                    endpoint.route,
                    f"endpoints[{index}]",
                    _mismatch(kind, endpoint, twin, "the monolith"),
                )
            )

    for key, route in legacy.items():
        if key in planned or key in claimed:
            continue
        findings.append(
            Finding(
                MISSING_FROM_PLAN,
                route.route,
                "monolith",
                f"the monolith serves {route.method} {route.raw}, the plan has no endpoint for "
                f'it (add `route: "{route.route}"`)',
            )
        )

    for key, (index, endpoint) in planned.items():
        where = f"endpoints[{index}]"
        if key not in legacy and key not in explained:
            findings.append(
                Finding(
                    NOT_IN_MONOLITH,
                    endpoint.route,
                    where,
                    f"the monolith has no {endpoint.route}: nothing to strangle",
                )
            )
        service = upstream_services.get(endpoint.service)
        if service is None or service not in services:
            findings.append(
                Finding(
                    UNKNOWN_SERVICE,
                    endpoint.route,
                    where,
                    f"service {endpoint.service!r} is not an extracted service of this repository",
                )
            )
            continue
        implemented = {r.key: r for r in services[service]}
        if key in implemented:
            continue
        near = _near(key, implemented)
        if near is not None:
            kind, twin = near
            findings.append(
                Finding(
                    kind,
                    endpoint.route,
                    where,
                    _mismatch(kind, endpoint, twin, f"service {service!r}"),
                )
            )
        else:
            findings.append(
                Finding(
                    NOT_IMPLEMENTED,
                    endpoint.route,
                    where,
                    f"service {service!r} (upstream {endpoint.service!r}) does not implement "
                    f"{endpoint.route}",
                )
            )
    return findings
