"""The relay loop: patient with an unreachable bus or database, stopped by an unreadable row."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from bus_support import Producer, event

from extracted.common.bus import BusUnavailable, EmbeddedBus, OutboxRelay, write_to_outbox
from extracted.common.bus.outbox import OutboxRowInvalid
from extracted.common.events import Event


def run_until_drained(relay: OutboxRelay) -> threading.Thread:
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_s": 0.01})
    worker.start()
    try:
        for _ in range(300):
            if relay.unpublished() == 0 or not worker.is_alive():
                break
            stop.wait(0.01)
    finally:
        stop.set()
        worker.join()
    return worker


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

    run_until_drained(relay)

    assert bus.outages == 0
    assert relay.unpublished() == 0


class DatabaseBlipRelay(OutboxRelay):
    """Its database connection fails for the first `blips` batches."""

    blips = 2

    def relay_once(self) -> int:
        if self.blips:
            self.blips -= 1
            raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))
        return super().relay_once()


def test_the_running_relay_outlives_a_database_blip(tmp_path: Path) -> None:
    producer = Producer(tmp_path / "service.db")
    with producer.engine.begin() as conn:
        write_to_outbox(conn, [event()], producer.outbox)
    relay = DatabaseBlipRelay(producer.engine, EmbeddedBus(tmp_path / "bus.db"))

    run_until_drained(relay)

    assert (relay.blips, relay.unpublished()) == (0, 0)


def test_an_unreadable_row_stops_the_relay_naming_the_row(tmp_path: Path) -> None:
    producer = Producer(tmp_path / "service.db")
    with producer.engine.begin() as conn:
        write_to_outbox(conn, [event()], producer.outbox)
        conn.execute(sa.update(producer.outbox).values(payload="{not json", id="row-7"))
    relay = OutboxRelay(producer.engine, EmbeddedBus(tmp_path / "bus.db"))

    with pytest.raises(OutboxRowInvalid, match="outbox row row-7"):
        relay.relay_once()
    assert relay.unpublished() == 1


class Waits(threading.Event):
    """A stop event that records each wait and stops the loop after `count` of them."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0))
        if len(self.waits) >= self.count:
            self.set()
        return self.is_set()


class ScriptedRelay(OutboxRelay):
    """Sends what `batches` says, one batch per look at the outbox."""

    def __init__(self, batches: list[int]) -> None:
        self.batches = batches

    def relay_once(self) -> int:
        return self.batches.pop(0) if self.batches else 0


def test_an_idle_relay_looks_less_often_until_a_row_comes_and_then_quickly_again() -> None:
    stop = Waits(7)
    ScriptedRelay([0, 0, 0, 0, 3, 0, 0]).run(stop, idle_s=0.02, max_idle_s=0.1)
    assert stop.waits == [0.02, 0.04, 0.08, 0.1, 0.02, 0.04, 0.08]
