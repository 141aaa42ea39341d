"""Sides that share data take turns; a turn ends when the sync's watermark has passed it."""

from __future__ import annotations

import time

from migration_plan.parity.suite import UrlSides


class Watermark:
    """A watermark that reaches `now + lag_s` only `lag_s` after each read began."""

    def __init__(self, lag_s: float | None, published: float | None = 0.0) -> None:
        self.lag_s = lag_s
        self.published = published
        self.reads = 0

    def publish(self, caught_up_to: float) -> None:
        self.published = caught_up_to

    def read(self) -> float | None:
        self.reads += 1
        if self.published is None:
            return None
        if self.lag_s is not None:
            return time.time() - self.lag_s  # the sync applies what is `lag_s` old
        return self.published  # a sync that stopped: the watermark stays where it was


def sides(watermark: Watermark | None, settle: float = 0.0, timeout: float = 2.0) -> UrlSides:
    return UrlSides("http://legacy", "http://extracted", settle, watermark, timeout)


def test_a_turn_waits_until_the_watermark_passes_it_however_long_the_sync_takes() -> None:
    pair = sides(Watermark(lag_s=0.3), settle=0.0)
    started = time.monotonic()
    pair.settle()
    assert time.monotonic() - started >= 0.3  # longer than the blind settle of 0 s
    assert pair.waited_for_sync == 1 and not pair.sync_timed_out


def test_a_caught_up_sync_ends_the_turn_at_once_rather_than_after_the_settle_guess() -> None:
    pair = sides(Watermark(lag_s=-1.0), settle=30.0)
    started = time.monotonic()
    pair.settle()
    assert time.monotonic() - started < 5.0
    assert pair.waited_for_sync == 1


def test_a_stopped_sync_is_followed_until_the_timeout_then_turns_are_settle_apart() -> None:
    watermark = Watermark(lag_s=None, published=1.0)  # published long ago, never again
    pair = sides(watermark, settle=0.0, timeout=0.2)
    pair.settle()
    assert pair.sync_timed_out and pair.waited_for_sync == 0
    reads = watermark.reads
    pair.settle()  # blind from now on: the watermark is not read again
    assert watermark.reads == reads
    assert not pair.follows_sync


def test_with_no_watermark_published_turns_are_settle_apart() -> None:
    watermark = Watermark(lag_s=0.0, published=None)
    pair = sides(watermark, settle=0.05)
    started = time.monotonic()
    pair.settle()
    assert time.monotonic() - started >= 0.05
    assert not pair.follows_sync and pair.waited_for_sync == 0
    assert not pair.sync_timed_out
