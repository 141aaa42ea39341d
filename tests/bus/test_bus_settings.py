"""Which bus the environment selects, and the relay loop's patience with an unreachable bus."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from bus_support import Producer, event

from extracted.common.bus import (
    BusSettings,
    BusUnavailable,
    EmbeddedBus,
    OutboxRelay,
    RedisBus,
    bus_from_settings,
    write_to_outbox,
)
from extracted.common.events import Event, EventPublisher

pytestmark = pytest.mark.unit


def test_the_default_bus_is_embedded_under_the_var_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STRANGLER_VAR_DIR", str(tmp_path))
    for name in ("EVENT_BUS", "EVENT_BUS_PATH"):
        monkeypatch.delenv(name, raising=False)

    bus = bus_from_settings()

    assert isinstance(bus, EmbeddedBus)
    assert bus.path == tmp_path / "bus.db"


def test_event_bus_redis_builds_a_redis_bus_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENT_BUS", "redis")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/3")
    monkeypatch.setenv("EVENT_BUS_VISIBILITY_TIMEOUT_MS", "1500")
    monkeypatch.setenv("EVENT_BUS_MAX_DELIVERIES", "7")
    monkeypatch.setenv("EVENT_BUS_STREAM_PREFIX", "shop:")

    bus = bus_from_settings()

    assert isinstance(bus, RedisBus)
    assert (bus.url, bus.prefix) == ("redis://127.0.0.1:6390/3", "shop:")
    assert (bus.visibility_timeout_ms, bus.max_deliveries) == (1500, 7)
    bus.close()


def test_an_unknown_bus_kind_is_rejected_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENT_BUS", "kafka")

    with pytest.raises(ValueError, match="event_bus"):
        BusSettings()


def test_every_bus_is_an_event_publisher(tmp_path: Path) -> None:
    publisher: EventPublisher = EmbeddedBus(tmp_path / "bus.db")
    publisher.publish([event()])


class FlakyBus(EmbeddedBus):
    """Unreachable for its first `outages` publishes."""

    def __init__(self, path: Path, outages: int) -> None:
        super().__init__(path)
        self.outages = outages

    def publish(self, events: Sequence[Event]) -> None:
        if self.outages:
            self.outages -= 1
            raise BusUnavailable("down for the test")
        super().publish(events)


def test_the_running_relay_backs_off_while_the_bus_is_down_and_then_delivers(
    tmp_path: Path,
) -> None:
    producer = Producer(tmp_path / "service.db")
    with producer.engine.begin() as conn:
        write_to_outbox(conn, [event(n=n) for n in range(3)], producer.outbox)
    bus = FlakyBus(tmp_path / "bus.db", outages=3)
    relay = OutboxRelay(producer.engine, bus)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_s": 0.01})
    worker.start()
    try:
        for _ in range(200):
            if relay.unpublished() == 0:
                break
            stop.wait(0.01)
    finally:
        stop.set()
        worker.join()

    assert bus.outages == 0
    assert relay.unpublished() == 0
