"""products_service tables: products (the monolith's columns), reservations, reservation_items.

Revision ID: products_0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "products_0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", Id, nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("sku", name="uq_products_sku"),
    )
    op.create_index("ix_products_category", "products", ["category"])
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reservations"),
    )
    op.create_index("ix_reservations_status", "reservations", ["status"])
    op.create_index("ix_reservations_created_at", "reservations", ["created_at"])
    op.create_table(
        "reservation_items",
        sa.Column("id", Id, nullable=False),
        sa.Column("reservation_id", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reservation_items"),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name="fk_reservation_items_reservation_id_reservations",
        ),
    )
    op.create_index("ix_reservation_items_reservation_id", "reservation_items", ["reservation_id"])


def downgrade() -> None:
    op.drop_index("ix_reservation_items_reservation_id", table_name="reservation_items")
    op.drop_table("reservation_items")
    op.drop_index("ix_reservations_created_at", table_name="reservations")
    op.drop_index("ix_reservations_status", table_name="reservations")
    op.drop_table("reservations")
    op.drop_index("ix_products_category", table_name="products")
    op.drop_table("products")
