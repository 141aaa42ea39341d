"""The sync's watermark: published only from checks that found nothing owed, for every group."""

from __future__ import annotations

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

    def info(self, group: str) -> list[Stream]:
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
    return CatchUp(("a", "b"), [lambda: owed[0]], bus, recorded, every_s=0, clock=Clock()), recorded


def test_the_watermark_is_the_oldest_groups_last_clean_check() -> None:
    up, recorded = catch_up(Bus(), [0])
    up.check("a")  # 1001: a is clean, b has not been checked
    assert recorded.published == []
    up.check("b")  # 1002
    assert recorded.published == [1001.0]
    up.check("a")  # 1003
    assert recorded.published == [1001.0, 1002.0]


def test_an_unpublished_outbox_row_or_an_unacknowledged_message_holds_it_back() -> None:
    owed = [1]
    bus = Bus()
    up, recorded = catch_up(bus, owed)
    up.check("a")
    up.check("b")
    assert recorded.published == []  # a row waits in an outbox
    owed[0] = 0
    bus.streams["b"] = [Stream(pending=1)]
    up.check("a")
    up.check("b")
    assert recorded.published == []  # b's consumer has not acknowledged it
    bus.streams["b"] = [Stream(lag=None)]
    up.check("b")
    assert recorded.published == []  # a lag Redis cannot tell is not zero
    bus.streams["b"] = [Stream()]
    up.check("b")  # 1006
    assert recorded.published == [1003.0]  # a's last clean check bounds it


def test_the_watermark_sits_beside_the_route_state(tmp_path: Path) -> None:
    settings = StateSettings(STRANGLER_VAR_DIR=tmp_path)
    watermark = watermark_for(settings)
    assert isinstance(watermark, FileWatermark)
    assert watermark.path == tmp_path / "sync_watermark.json"
    assert watermark.read() is None
    watermark.publish(1234.5)
    assert watermark.read() == 1234.5
    assert watermark_for(StateSettings(STRANGLER_STATE="memory")) is None
