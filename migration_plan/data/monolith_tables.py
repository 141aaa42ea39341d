"""The monolith's tables as docs/contract.md lists them ("The monolith's database").

Declared here rather than imported from `legacy_monolith`, so the data tooling depends on the
database the monolith has, not on its code.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("email", sa.String(254)),
    sa.Column("name", sa.String(100)),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("is_admin", sa.Boolean),
    sa.Column("created_at", sa.DateTime),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token", sa.String(128), primary_key=True),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("created_at", sa.DateTime),
    sa.Column("expires_at", sa.DateTime),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("sku", sa.String(64)),
    sa.Column("name", sa.String(200)),
    sa.Column("description", sa.Text),
    sa.Column("category", sa.String(50)),
    sa.Column("price", sa.Numeric(12, 2)),
    sa.Column("stock", sa.Integer),
    sa.Column("created_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("status", sa.String(20)),
    sa.Column("total", sa.Numeric(14, 2)),
    sa.Column("created_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)

order_items = sa.Table(
    "order_items",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("order_id", sa.BigInteger),
    sa.Column("position", sa.Integer),
    sa.Column("product_id", sa.BigInteger),
    sa.Column("product_name", sa.String(200)),
    sa.Column("unit_price", sa.Numeric(12, 2)),
    sa.Column("quantity", sa.Integer),
    sa.Column("line_total", sa.Numeric(12, 2)),
)
