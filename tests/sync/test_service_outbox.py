"""Services stage their events in the outbox, in the write's transaction; a dry run writes none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from extracted.common.database import make_engine
from extracted.common.events import Event, InMemoryPublisher
from extracted.common.unit_of_work import unit_of_work
from extracted.products_service.migrate import upgrade

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    url = f"sqlite:///{tmp_path / 'products.db'}"
    upgrade(url)
    return make_engine(url)


def outbox(engine: sa.Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT type, payload FROM outbox ORDER BY created_at"))
        return [{"type": r.type, **json.loads(r.payload)} for r in rows]


def event(n: int) -> Event:
    return Event("stock.changed", "product", "1", {"product_id": 1, "stock": n})


def test_a_commit_writes_its_events_to_the_outbox_in_order(engine: sa.Engine) -> None:
    publisher = InMemoryPublisher()
    with unit_of_work(sessionmaker(engine), publisher, dry_run=False) as uow:
        uow.stage(event(1))
        uow.stage(event(2))
        uow.commit()
    assert [row["data"] for row in outbox(engine)] == [
        {"product_id": 1, "stock": 1},
        {"product_id": 1, "stock": 2},
    ]
    assert [e.data["stock"] for e in publisher.published] == [1, 2]


def test_a_dry_run_writes_and_publishes_nothing(engine: sa.Engine) -> None:
    publisher = InMemoryPublisher()
    with unit_of_work(sessionmaker(engine), publisher, dry_run=True) as uow:
        uow.stage(event(3))
        uow.commit()
    assert outbox(engine) == [] and publisher.published == []


def test_a_rolled_back_write_leaves_no_event(engine: sa.Engine) -> None:
    with unit_of_work(sessionmaker(engine), InMemoryPublisher(), dry_run=False) as uow:
        uow.stage(event(4))
        uow.rollback()
    assert outbox(engine) == []
