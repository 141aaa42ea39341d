"""The sync's watermark: published only from checks that found nothing owed, in any outbox and
for any sync group."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from migration_plan.data.catch_up import CatchUp
from migration_plan.state.settings import StateSettings
from migration_plan.state.watermark import FileWatermark, watermark_for

pytestmark = pytest.mark.unit


@dataclass
class Stream:
    pending: int = 0
    lag: int | None = 0


@dataclass
class Bus:
    streams: dict[str, list[Stream]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def info(self, group: str) -> list[Stream]:
        self.asked.append(group)
        return self.streams.get(group, [Stream()])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1.0  # every check starts a second later
        return self.now


class Recorded:
    def __init__(self) -> None:
        self.published: list[float] = []

    def publish(self, caught_up_to: float) -> None:
        self.published.append(caught_up_to)

    def read(self) -> float | None:
        return self.published[-1] if self.published else None


def catch_up(bus: Bus, owed: list[int]) -> tuple[CatchUp, Recorded]:
    recorded = Recorded()
    up = CatchUp(("a", "b"), [lambda: owed[0]], bus, recorded, every_s=0, clock=Clock())
    return up, recorded


def test_a_check_that_finds_nothing_owed_publishes_its_start() -> None:
    up, recorded = catch_up(Bus(), [0])
    assert up.check() and up.check()
    assert recorded.published == [1001.0, 1002.0]


def test_an_unpublished_row_or_an_unacknowledged_message_anywhere_holds_it_back() -> None:
    owed = [1]
    bus = Bus()
    up, recorded = catch_up(bus, owed)
    assert not up.check()
    assert bus.asked == []  # the outboxes first: a row on its way to the bus is seen there
    owed[0] = 0
    bus.streams["b"] = [Stream(pending=1)]
    assert not up.check()  # b's consumer has not acknowledged a message
    bus.streams["b"] = [Stream(lag=None)]
    assert not up.check()  # a lag Redis cannot tell is not zero
    bus.streams["b"] = [Stream()]
    assert up.check()
    assert recorded.published == [1004.0]


def test_run_checks_until_stopped_and_survives_a_failing_check() -> None:
    stop = threading.Event()
    calls: list[int] = []

    def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database away")
        if len(calls) == 3:
            stop.set()
        return 0

    recorded = Recorded()
    CatchUp(("a",), [flaky], Bus(), recorded, every_s=0).run(stop)
    assert len(calls) == 3 and len(recorded.published) == 2


def test_the_watermark_sits_beside_the_route_state(tmp_path: Path) -> None:
    settings = StateSettings(STRANGLER_VAR_DIR=tmp_path)
    watermark = watermark_for(settings)
    assert isinstance(watermark, FileWatermark)
    assert watermark.path == tmp_path / "sync_watermark.json"
    assert watermark.read() is None
    watermark.publish(1234.5)
    assert watermark.read() == 1234.5
    assert watermark_for(StateSettings(STRANGLER_STATE="memory")) is None


class Pauses(threading.Event):
    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.pauses: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(round(float(timeout or 0), 3))
        if len(self.pauses) >= self.count:
            self.set()
        return self.is_set()


def test_checks_slow_down_while_nothing_is_owed_and_speed_up_when_something_is() -> None:
    owed = iter([0, 0, 0, 0, 1, 0])
    stop = Pauses(6)
    CatchUp(("a",), [lambda: next(owed)], Bus(), Recorded(), every_s=0.02).run(stop, 0.1)
    assert stop.pauses == [0.04, 0.08, 0.1, 0.1, 0.02, 0.04]
