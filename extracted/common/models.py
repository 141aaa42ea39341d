"""What every service's tables have in common: the id type and how constraints are named.

Each service still declares its own `Base` over `service_metadata()`: the services keep separate
databases and separate Alembic histories, so one shared MetaData would mix their tables.
"""

from __future__ import annotations

import sqlalchemy as sa

# SQLite only autoincrements an INTEGER PRIMARY KEY; elsewhere ids are 64-bit, as in the monolith.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The migrations were written with these names; changing them changes every service's schema.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> sa.MetaData:
    """A fresh MetaData for one service's tables, named by the shared convention."""
    return sa.MetaData(naming_convention=NAMING_CONVENTION)
