"""10,000 mixed monolith writes, a relay that keeps crashing between publish and mark: the
services end up with exactly the monolith's data (`data verify` clean)."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from extracted.common.bus import OutboxRelay
from extracted.common.database import make_engine
from migration_plan.data.verify import verify

from .conftest import World
from .load_writes import write

pytestmark = pytest.mark.load

WRITES = int(os.environ.get("SYNC_LOAD_WRITES", "10000"))
CHUNK = 1_000


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def bus_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class RelayCrashed(Exception):
    pass


class CrashingRelay(OutboxRelay):
    """Dies after publishing and before marking, at random: the next relay publishes again."""

    def __init__(self, world: World, rng: random.Random) -> None:
        super().__init__(world.monolith, world.bus, batch_size=200, origin="legacy")
        self.rng = rng

    def mark_published(self, ids: list[str]) -> None:
        if self.rng.random() < 0.3:
            raise RelayCrashed
        super().mark_published(ids)


def test_ten_thousand_writes_with_a_crashing_relay_leave_the_data_identical(
    world: World,
) -> None:
    rng = random.Random(20261127)
    writer = make_engine(world.monolith_url)

    @sa.event.listens_for(writer, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        # Durability of the test's own writes is not under test; their fsyncs would be.
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    sessions = sessionmaker(writer)
    pending: list[int] = []
    kinds: Counter[str] = Counter()
    crashes = 0
    started = time.monotonic()
    for start in range(0, WRITES, CHUNK):
        with sessions() as session:
            for n in range(start, start + CHUNK):
                kinds[write(session, rng, n, pending)] += 1
        while True:  # a supervisor restarting the relay after each crash
            try:
                if CrashingRelay(world, rng).relay_once() == 0:
                    break
            except RelayCrashed:
                crashes += 1
        world.sync()
    elapsed = time.monotonic() - started
    writer.dispose()

    assert crashes > 0 and sum(kinds.values()) == WRITES
    for service in ("auth", "products", "orders"):
        report = verify(service, world.monolith, world.engines[service])
        assert all(table.clean for table in report), report
    print(f"\n{WRITES} writes {dict(kinds)}, {crashes} relay crashes, {elapsed:.1f}s")
