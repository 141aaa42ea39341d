"""Alembic environment for orders_service: the connection comes from `migrate.upgrade`."""

from extracted.common.migrations import run_env
from extracted.orders_service.models import Base

run_env(Base.metadata)
