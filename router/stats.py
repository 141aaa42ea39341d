"""Per-route counters and sliding windows, in ONE place: the admin API, and later auto-rollback,
progressive canaries and a dashboard read from here. Mismatch examples are stored redacted
(migration_plan/parity/redact.py: keyed marks, so equal values still compare)."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from migration_plan.parity.pointers import generalise_indices
from migration_plan.parity.redact import Sensitive, default_redactor

SIDES = ("legacy", "extracted")
MAX_FIELDS_PER_ROUTE = 200  # distinct (field, kind) pairs kept per route; the rest is pooled
OTHER_FIELDS = "(other fields)"
MAX_KEY_SOURCES = 8  # distinct sticky-key sources kept per route (a plan reload may change it)
OTHER_SOURCES = "(other)"


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Credentials and cookie values as keyed marks, emails in any header too (redact.py)."""
    return default_redactor().headers(headers)


def redact_body(body: bytes, limit: int = 4096, sensitive: Sensitive | None = None) -> str:
    """JSON bodies with secret-named fields, plan-sensitive pointers and emails marked; other
    bodies as redacted text; cut to `limit` after redaction."""
    return default_redactor().body(body, limit, sensitive)


@dataclass(slots=True)
class SlidingWindow:
    """Recent (time, latency, error) samples; old ones fall out by age or count."""

    seconds: float = 60.0
    samples: deque[tuple[float, float, bool]] = field(default_factory=lambda: deque(maxlen=4096))

    def add(self, now: float, latency_ms: float, error: bool) -> None:
        self.samples.append((now, latency_ms, error))

    def summary(self, now: float) -> dict[str, float | int | None]:
        horizon = now - self.seconds
        while self.samples and self.samples[0][0] < horizon:
            self.samples.popleft()
        latencies = sorted(s[1] for s in self.samples)
        count = len(latencies)
        errors = sum(1 for s in self.samples if s[2])

        def pct(q: float) -> float | None:
            return round(latencies[min(count - 1, int(q * count))], 3) if count else None

        return {
            "requests": count,
            "errors": errors,
            "error_rate": round(errors / count, 4) if count else 0.0,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
        }


@dataclass(slots=True)
class SideStats:
    requests: int = 0
    errors: int = 0
    window: SlidingWindow = field(default_factory=SlidingWindow)


@dataclass(slots=True)
class ShadowStats:
    mirrored: int = 0
    compared: int = 0
    mismatched: int = 0
    dropped: int = 0  # over the concurrency cap
    not_shadowable: int = 0  # a write without dry_run
    too_large: int = 0  # request or response body over the cap
    sampled_out: int = 0
    failed: int = 0  # the service errored or timed out
    in_flight: int = 0  # differed while the sync still owed a write (not a comparison)
    explained: int = 0  # compared, and agreed under a plan rule (timestamps, ignore, ...)
    credentials: int = 0  # one side refused the caller's credential, the sides' own (skipped)


@dataclass(slots=True)
class RouteStats:
    sides: dict[str, SideStats] = field(default_factory=lambda: {s: SideStats() for s in SIDES})
    shadow: ShadowStats = field(default_factory=ShadowStats)
    fallbacks: int = 0
    mismatches: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=20))
    # (where, kind) -> in how many comparisons: Diffy's per-field view
    fields: Counter[tuple[str, str]] = field(default_factory=Counter)
    # canary decisions by what keyed them: the sticky key's spec, or `client_ip` when the
    # request carried no such key (a "50%" canary keyed on one address is not 50% of callers)
    key_sources: Counter[str] = field(default_factory=Counter)


class Stats:
    """Counters keyed by route template (`*` is the legacy catch-all)."""

    def __init__(self, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self._routes: dict[str, RouteStats] = {}
        self._window_seconds = window_seconds
        self._clock = clock

    def route(self, route: str) -> RouteStats:
        stats = self._routes.get(route)
        if stats is None:
            stats = self._routes[route] = RouteStats()
            for side in stats.sides.values():
                side.window.seconds = self._window_seconds
        return stats

    def record_request(self, route: str, side: str, latency_ms: float, error: bool) -> None:
        stats = self.route(route).sides[side]
        stats.requests += 1
        stats.errors += error
        stats.window.add(self._clock(), latency_ms, error)

    def record_shadow(self, route: str, outcome: str) -> None:
        shadow = self.route(route).shadow
        setattr(shadow, outcome, getattr(shadow, outcome) + 1)

    def reset_shadow(self, route: str) -> None:
        """Start a new shadow episode for `route`: the gate reads only comparisons made since the
        route last moved back (evidence from before a rollback says nothing about the fix)."""
        stats = self.route(route)
        stats.shadow = ShadowStats()
        stats.fields = Counter()

    def record_mismatch_example(self, route: str, example: dict[str, Any]) -> None:
        self.route(route).mismatches.appendleft(example)

    def record_fields(
        self,
        route: str,
        found: Iterable[tuple[str, str]],
        explained: Iterable[tuple[str, str]] = (),
    ) -> list[tuple[str, str]]:
        """Count one comparison's differences per field (array indices as `*`) and kind, and
        what rules explained (kind `explained:<rule>`); each field once per comparison. Returns
        the (field, kind) keys counted."""
        fields = self.route(route).fields
        keys = {(generalise_indices(where), kind) for where, kind in found}
        keys |= {(generalise_indices(where), f"explained:{rule}") for where, rule in explained}
        counted = []
        for key in sorted(keys):
            if key not in fields and len(fields) >= MAX_FIELDS_PER_ROUTE:
                key = (OTHER_FIELDS, key[1])  # bounded: one answer cannot grow it without end
            fields[key] += 1
            counted.append(key)
        return counted

    def field_counts(self, route: str) -> list[dict[str, Any]]:
        """The per-field counts of `route`, most frequent first."""
        stats = self.route(route)
        return [
            {"where": where, "kind": kind, "count": count}
            for (where, kind), count in sorted(
                stats.fields.items(), key=lambda item: (-item[1], item[0])
            )
        ]

    def record_canary_key(self, route: str, source: str) -> None:
        """Count one canary decision by the source of its sticky key (canary.key_source)."""
        sources = self.route(route).key_sources
        if source not in sources and len(sources) >= MAX_KEY_SOURCES:
            source = OTHER_SOURCES
        sources[source] += 1

    def record_fallback(self, route: str) -> None:
        self.route(route).fallbacks += 1

    def routes(self) -> list[str]:
        return sorted(self._routes)

    def snapshot(self, route: str) -> dict[str, Any]:
        stats = self.route(route)
        now = self._clock()
        return {
            "sides": {
                name: {"requests": s.requests, "errors": s.errors, "window": s.window.summary(now)}
                for name, s in stats.sides.items()
            },
            "shadow": {k: getattr(stats.shadow, k) for k in ShadowStats.__slots__},
            "fallbacks": stats.fallbacks,
            "canary_keys": dict(sorted(stats.key_sources.items())),
        }

    def mismatch_examples(self, route: str | None = None) -> list[dict[str, Any]]:
        routes = [route] if route else self.routes()
        return [example for r in routes for example in self.route(r).mismatches]
