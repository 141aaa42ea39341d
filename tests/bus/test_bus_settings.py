"""Which bus the environment selects."""

from __future__ import annotations

from pathlib import Path

import pytest
from bus_support import event

from extracted.common.bus import (
    BusSettings,
    EmbeddedBus,
    RedisBus,
    bus_from_settings,
)
from extracted.common.events import EventPublisher

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
