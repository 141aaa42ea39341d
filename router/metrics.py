"""Prometheus metrics of the router (prometheus-client), multiprocess-safe for several workers."""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

# Methods outside this set share one label value, so clients cannot grow the series count.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RouterMetrics:
    """The router's metric families on a registry of its own (so tests can build many routers)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self._request_children: dict[tuple[str, str, str, str], tuple[Any, Any]] = {}
        self.requests = Counter(
            "strangler_router_requests",
            "Proxied requests by route template, side, method and status class.",
            ["route", "side", "method", "status_class"],
            registry=r,
        )
        self.latency = Histogram(
            "strangler_router_request_duration_seconds",
            "Time to the end of the proxied response, by route template and side.",
            ["route", "side"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.shadow_comparisons = Counter(
            "strangler_router_shadow_comparisons",
            "Shadowed requests whose two answers were compared, by route.",
            ["route"],
            registry=r,
        )
        self.shadow_outcomes = Counter(
            "strangler_router_shadow_outcomes",
            "Shadow comparisons by outcome: match, mismatch, or in_flight (the data sync still "
            "owed a write; never counted by the gates).",
            ["route", "outcome"],
            registry=r,
        )
        self.shadow_fields = Counter(
            "strangler_router_shadow_field_differences",
            "Compared shadow answers in which a field differed (array indices as *), by kind: "
            "missing, extra, type, value, length, status, header, or explained:<rule>. At most "
            "200 fields per route; the rest are counted as '(other fields)'.",
            ["route", "field", "kind"],
            registry=r,
        )
        self.shadow_mismatches = Counter(
            "strangler_router_shadow_mismatches",
            "Compared shadow requests whose answers differed, by route.",
            ["route"],
            registry=r,
        )
        self.shadow_dropped = Counter(
            "strangler_router_shadow_dropped",
            "Mirrors not sent or not compared, by route and reason.",
            ["route", "reason"],
            registry=r,
        )
        self.not_shadowable = Counter(
            "strangler_router_shadow_not_shadowable",
            "Writes on shadowed routes without dry_run, which are never mirrored.",
            ["route", "method"],
            registry=r,
        )
        self.fallbacks = Counter(
            "strangler_router_fallbacks",
            "Idempotent requests answered by legacy after the service failed.",
            ["route"],
            registry=r,
        )
        self.upstream_errors = Counter(
            "strangler_router_upstream_errors",
            "Failures talking to an upstream, by upstream and kind.",
            ["upstream", "kind"],
            registry=r,
        )
        self.in_flight = Gauge(
            "strangler_router_in_flight_requests",
            "Requests being proxied right now.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.state_store_up = Gauge(
            "strangler_state_store_up",
            "1 while the runtime state store answers; 0 while the last known state is served.",
            registry=r,
            multiprocess_mode="min",
        )
        self.state_store_up.set(1)
        self.plan_reloads = Counter(
            "strangler_router_plan_reloads",
            "Plan reloads that took effect.",
            registry=r,
        )
        self.plan_reload_failures = Counter(
            "strangler_router_plan_reload_failures",
            "Changed plans that failed validation (the last good plan kept serving).",
            registry=r,
        )

    def observe_request(
        self, route: str, side: str, method: str, status_class: str, seconds: float
    ) -> None:
        """Count one proxied request; labelled children are cached (labels() is the slow part)."""
        key = (route, side, method if method in _METHODS else "OTHER", status_class)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = (
                self.requests.labels(*key),
                self.latency.labels(route, side),
            )
        child[0].inc()
        child[1].observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text; merged over all workers when PROMETHEUS_MULTIPROC_DIR is set."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
