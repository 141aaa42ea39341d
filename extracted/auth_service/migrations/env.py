"""Alembic environment for auth_service; the connection comes from `auth_service.migrate`."""

from extracted.auth_service.models import Base
from extracted.common.migrations import run_env

run_env(Base.metadata)
