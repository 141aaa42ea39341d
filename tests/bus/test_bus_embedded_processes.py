"""The embedded bus is safe for several processes on one machine: no message is claimed twice."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from pathlib import Path

import pytest
from bus_support import claim_all, event

from extracted.common.bus import EmbeddedBus

pytestmark = pytest.mark.e2e  # real processes


def test_three_processes_in_one_group_split_the_stream_without_claiming_anything_twice(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bus.db"
    with EmbeddedBus(path) as bus:
        bus.subscribe("g", ["order"])
        published = [event("order", str(n % 10), n) for n in range(600)]
        for start in range(0, 600, 50):
            bus.publish(published[start : start + 50])

    # spawn, not fork: each child opens its own SQLite connection, as a real process would.
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        results = pool.starmap(claim_all, [(str(path), "g", f"p{n}") for n in range(3)])

    claimed = Counter(event_id for ids in results for event_id in ids)
    assert set(claimed) == {e.id for e in published}
    assert max(claimed.values()) == 1
    with EmbeddedBus(path) as bus:
        assert bus.info("g")[0].pending == 0
