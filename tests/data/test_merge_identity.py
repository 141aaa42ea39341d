"""merge() by key, refusing to overwrite a row that is another entity under the same id."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from migration_plan.data.backfill import IdCollision, merge

pytestmark = pytest.mark.unit

METADATA = sa.MetaData()
PRODUCTS = sa.Table(
    "products",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String, unique=True),
    sa.Column("stock", sa.Integer),
)


@pytest.fixture
def conn() -> sa.Connection:
    engine = sa.create_engine("sqlite://")
    METADATA.create_all(engine)
    with engine.begin() as connection:
        connection.execute(PRODUCTS.insert(), [{"id": 7, "sku": "FIG-1", "stock": 3}])
    return engine.connect()


def rows(conn: sa.Connection) -> list[tuple[int, str, int]]:
    return [tuple(r) for r in conn.execute(sa.select(PRODUCTS).order_by(PRODUCTS.c.id))]


def test_the_same_entity_is_updated_and_a_new_one_inserted(conn: sa.Connection) -> None:
    copied = [{"id": 7, "sku": "FIG-1", "stock": 9}, {"id": 8, "sku": "OAK-1", "stock": 1}]
    assert merge(conn, PRODUCTS, copied, ("id",), ("sku",)) == (1, 1)
    assert rows(conn) == [(7, "FIG-1", 9), (8, "OAK-1", 1)]


def test_another_entity_under_the_same_id_is_refused_and_nothing_is_written(
    conn: sa.Connection,
) -> None:
    copied = [{"id": 8, "sku": "OAK-1", "stock": 1}, {"id": 7, "sku": "ELM-1", "stock": 5}]
    with pytest.raises(IdCollision, match=r"products \{'id': 7\}.*FIG-1.*ELM-1"):
        merge(conn, PRODUCTS, copied, ("id",), ("sku",))
    assert rows(conn) == [(7, "FIG-1", 3)]


def test_without_identity_columns_the_key_alone_decides(conn: sa.Connection) -> None:
    merge(conn, PRODUCTS, [{"id": 7, "sku": "ELM-1", "stock": 5}], ("id",))
    assert rows(conn) == [(7, "ELM-1", 5)]
