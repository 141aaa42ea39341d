"""orders_service's own tables: orders and their lines as in the monolith, plus the saga log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from extracted.common.bus.idempotent import processed_events_table
from extracted.common.bus.outbox import outbox_table
from extracted.common.models import Id, service_metadata

Money = sa.Numeric(12, 2)
MoneyTotal = sa.Numeric(14, 2)

PENDING, CANCELLED = "pending", "cancelled"


class Base(DeclarativeBase):
    metadata = service_metadata()


class Order(Base):
    """Same columns as the monolith's `orders`; `user_id` is auth_service's id (no foreign key)."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    total: Mapped[Decimal] = mapped_column(MoneyTotal)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime)

    items: Mapped[list[OrderItem]] = relationship(
        order_by="OrderItem.position", cascade="all, delete-orphan", lazy="selectin"
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer)
    product_id: Mapped[int] = mapped_column(sa.BigInteger)
    product_name: Mapped[str] = mapped_column(sa.String(200))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[int] = mapped_column(sa.Integer)
    line_total: Mapped[Decimal] = mapped_column(Money)


class Reservation(Base):
    """The saga log: one row per stock reservation asked of products_service.

    It is written *before* the reservation is asked for, so whatever happens next (a timeout, a
    database error, a crash) leaves something that says what to undo. `state`:

    * `reserving`  - asked (or about to ask); no order yet.
    * `confirming` - the order is committed; products has not confirmed yet.
    * `confirmed`  - done; the row keeps the order's reservation id (a cancel releases it).
    * `releasing`  - a pending compensation: the stock must go back; retried until products says so.
    * `released`   - done; the stock is back (or was never taken).
    """

    __tablename__ = "reservations"

    reservation_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    order_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True, nullable=True)
    state: Mapped[str] = mapped_column(sa.String(20), index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime)


RESERVING, CONFIRMING, CONFIRMED, RELEASING, RELEASED = (
    "reserving",
    "confirming",
    "confirmed",
    "releasing",
    "released",
)


# The transactional outbox and the processed-event ids (migration 0002): written by
# UnitOfWork.commit and by consumers, in the same transaction as the change.
outbox = outbox_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
