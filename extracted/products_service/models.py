"""products_service's own tables: the monolith's `products`, plus the saga's reservations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from extracted.common.bus.idempotent import processed_events_table
from extracted.common.bus.outbox import outbox_table
from extracted.common.models import Id, service_metadata

Money = sa.Numeric(12, 2)


class Base(DeclarativeBase):
    metadata = service_metadata()


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str] = mapped_column(sa.String(50), index=True)
    price: Mapped[Decimal] = mapped_column(Money)
    stock: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime)


class Reservation(Base):
    """Stock held for one order; the id is the caller's idempotency key.

    `held` -> `confirmed` -> `released`, or `held` -> `released`; a `released` row without items
    is a tombstone left by a release that arrived before its reservation.
    """

    __tablename__ = "reservations"

    id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime)

    items: Mapped[list[ReservationItem]] = relationship(
        order_by="ReservationItem.position", cascade="all, delete-orphan", lazy="selectin"
    )


class ReservationItem(Base):
    __tablename__ = "reservation_items"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    reservation_id: Mapped[str] = mapped_column(sa.ForeignKey("reservations.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    product_id: Mapped[int] = mapped_column(sa.BigInteger)
    quantity: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(200))
    unit_price: Mapped[Decimal] = mapped_column(Money)


# The transactional outbox and the processed-event ids (migration 0002): written by
# UnitOfWork.commit and by consumers, in the same transaction as the change.
outbox = outbox_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
