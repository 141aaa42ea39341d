"""One bus factory fixture, parametrized over both implementations, for the one contract suite."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from bus_support import BusFactory

from extracted.common.bus import EmbeddedBus, EventBus, RedisBus


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def bus_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_bus(bus_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[BusFactory]:
    """Buses over one shared store (like separate processes), or over an unreachable one."""
    created: list[EventBus] = []
    prefix = f"strangler-test:{uuid.uuid4().hex[:12]}:"
    url = request.getfixturevalue("redis_url") if bus_kind == "redis" else ""

    def factory(
        visibility_timeout_ms: int = 300, max_deliveries: int = 3, unreachable: bool = False
    ) -> EventBus:
        bus: EventBus
        if bus_kind == "redis":
            target = f"redis://127.0.0.1:{_closed_port()}/15" if unreachable else url
            bus = RedisBus(target, visibility_timeout_ms, max_deliveries, prefix=prefix)
        else:
            if unreachable:  # a path under a regular file can never be opened
                (tmp_path / "not-a-directory").write_text("")
                path = tmp_path / "not-a-directory" / "bus.db"
            else:
                path = tmp_path / "bus.db"
            bus = EmbeddedBus(path, visibility_timeout_ms, max_deliveries, poll_interval_ms=5)
        created.append(bus)
        return bus

    yield factory
    for bus in created:
        bus.close()
    if bus_kind == "redis":
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
