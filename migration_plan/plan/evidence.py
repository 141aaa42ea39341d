"""Evidence for gates (pure): the router's shadow counters and the CI parity suite's results.

The parity results file (`var/parity/results.json`, written by `strangler parity run`) is
`{"version": 1, "generated_at", "source", "endpoints": {"GET /api/products/{id}": {"status":
"pass"|"fail", "scenarios", "steps", "mismatches", "failures": [...]}}}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from migration_plan.plan.templates import parse_route


@dataclass(frozen=True, slots=True)
class ShadowEvidence:
    """Compared shadow requests of one route, and how many of them differed."""

    comparisons: int = 0
    mismatches: int = 0

    @property
    def mismatch_rate(self) -> float:
        return self.mismatches / self.comparisons if self.comparisons else 0.0


@dataclass(frozen=True, slots=True)
class ParityResult:
    """The CI parity suite's last verdict for one endpoint."""

    status: str
    scenarios: int = 0
    steps: int = 0
    mismatches: int = 0
    failures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParityResults:
    """A parsed results file; `problem` says why it could not be used (None when it could)."""

    endpoints: Mapping[tuple[str, tuple[str, ...]], ParityResult] = field(default_factory=dict)
    generated_at: str | None = None
    source: str = ""
    location: str = ""
    problem: str | None = None

    def result(self, route: str) -> ParityResult | None:
        """The result for `route`, however its parameters are named."""
        try:
            return self.endpoints.get(parse_route(route).key)
        except ValueError:
            return None


def parse_parity_results(data: Any, location: str = "") -> ParityResults:
    """Read the results format v1; anything else gives ParityResults with a `problem`."""
    if not isinstance(data, dict) or data.get("version") != 1:
        return ParityResults(location=location, problem=f"{location} is not parity results v1")
    raw = data.get("endpoints")
    if not isinstance(raw, dict):
        return ParityResults(location=location, problem=f"{location} has no 'endpoints' mapping")
    endpoints: dict[tuple[str, tuple[str, ...]], ParityResult] = {}
    for route, entry in raw.items():
        try:
            key = parse_route(str(route)).key
        except ValueError:
            continue
        if not isinstance(entry, dict) or entry.get("status") not in ("pass", "fail", "incomplete"):
            endpoints[key] = ParityResult(status="unreadable")
            continue
        failures = entry.get("failures") or []
        endpoints[key] = ParityResult(
            status=str(entry["status"]),
            scenarios=_int(entry.get("scenarios")),
            steps=_int(entry.get("steps")),
            mismatches=_int(entry.get("mismatches")),
            failures=tuple(str(f) for f in failures) if isinstance(failures, list) else (),
        )
    generated = data.get("generated_at")
    return ParityResults(
        endpoints=endpoints,
        generated_at=str(generated) if generated is not None else None,
        source=str(data.get("source", "")),
        location=location,
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
