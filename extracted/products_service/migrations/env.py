"""Alembic environment for products_service; the connection comes from `migrate.upgrade`."""

from extracted.common.migrations import run_env
from extracted.products_service.models import Base

run_env(Base.metadata)
