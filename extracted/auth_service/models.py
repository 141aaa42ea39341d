"""auth_service's own tables: the monolith's `users` and `sessions`, column for column."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from extracted.common.bus.idempotent import processed_events_table
from extracted.common.bus.outbox import outbox_table
from extracted.common.models import Id, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)


class UserSession(Base):
    """A bearer token: issued here, synced from the monolith, or cached after introspection."""

    __tablename__ = "sessions"

    token: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    user_id: Mapped[int] = mapped_column(Id, sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime)


class RevokedToken(Base):
    """A token logged out here. Until the sync has applied the logout to the monolith, the
    monolith still accepts the token, and introspection would bring it back (and cache it):
    a token listed here is refused without asking the monolith."""

    __tablename__ = "revoked_tokens"

    token: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(sa.DateTime)


# The transactional outbox and the processed-event ids (migration 0002): written by
# UnitOfWork.commit and by consumers, in the same transaction as the change.
outbox = outbox_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
