"""Prometheus metrics of the relays and consumers, served by each process on its own port.

Each relay or consumer process is a plain process (no router, no multiprocess directory), so it
serves its own registry with `prometheus_client.start_http_server` on `--metrics-port`; Prometheus
scrapes those ports (docs/sync.md lists them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from extracted.common.bus import EventBus, OutboxRelay
from extracted.common.events import Event

LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class EventMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.lag = Histogram(
            "strangler_event_lag_seconds",
            "From an event's occurred_at to its application by a consumer group.",
            ["group", "stream"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.applied = Counter(
            "strangler_events_handled", "Events a consumer group handled.", ["group", "stream"],
            registry=r,
        )  # fmt: skip
        self.published = Counter(
            "strangler_outbox_published", "Outbox rows a relay published.", ["source"], registry=r
        )
        self.unpublished = Gauge(
            "strangler_outbox_unpublished", "Outbox rows not yet published.", ["source"], registry=r
        )
        self.pending = Gauge(
            "strangler_stream_pending", "Delivered, not acknowledged.", ["group", "stream"],
            registry=r,
        )  # fmt: skip
        self.behind = Gauge(
            "strangler_stream_lag_messages", "In the stream, not yet delivered to the group.",
            ["group", "stream"], registry=r,
        )  # fmt: skip
        self.dead = Gauge(
            "strangler_stream_dead", "Dead letters of the group.", ["group", "stream"], registry=r
        )

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        start_http_server(port, addr=host, registry=self.registry)

    def handled(self, group: str, events: Sequence[Event], now: datetime | None = None) -> None:
        at = now or datetime.now(UTC)
        for event in events:
            self.applied.labels(group, event.aggregate).inc()
            self.lag.labels(group, event.aggregate).observe(max(0.0, lag_seconds(event, at)))

    def report_bus(self, bus: EventBus, group: str) -> None:
        for info in bus.info(group):
            self.pending.labels(group, info.stream).set(info.pending)
            self.behind.labels(group, info.stream).set(info.lag)
            self.dead.labels(group, info.stream).set(info.dead)


def lag_seconds(event: Event, now: datetime) -> float:
    occurred = datetime.fromisoformat(event.occurred_at)
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    return (now - occurred).total_seconds()


class CountingRelay(OutboxRelay):
    """An OutboxRelay that stamps its source as the origin, and counts what it publishes."""

    def __init__(
        self,
        engine: sa.Engine,
        bus: EventBus,
        metrics: EventMetrics,
        source: str,
        batch_size: int = 100,
    ) -> None:
        super().__init__(engine, bus, batch_size=batch_size, origin=source)
        self.metrics = metrics
        self.source = source
        self._checked = 0.0

    def relay_once(self) -> int:
        sent = super().relay_once()
        self.metrics.published.labels(self.source).inc(sent)
        if time.monotonic() - self._checked > 1.0:
            self._checked = time.monotonic()
            self.metrics.unpublished.labels(self.source).set(self.unpublished())
        return sent


def measured(
    handle: Callable[[Event], object], metrics: EventMetrics, group: str
) -> Callable[[Event], object]:
    def run(event: Event) -> object:
        result = handle(event)
        metrics.handled(group, [event])
        return result

    return run


def measured_many(
    handle_many: Callable[[Sequence[Event]], object], metrics: EventMetrics, group: str
) -> Callable[[Sequence[Event]], object]:
    def run(events: Sequence[Event]) -> object:
        result = handle_many(events)
        metrics.handled(group, events)
        return result

    return run
