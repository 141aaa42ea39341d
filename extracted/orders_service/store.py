"""The orders database: each method is one short transaction (run in a worker thread by callers).

The saga's steps that touch the database live here; the HTTP steps live in `saga.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from extracted.common.bus.outbox import write_to_outbox
from extracted.common.events import Event
from extracted.common.formats import utcnow
from extracted.orders_service import serialize
from extracted.orders_service.models import (
    CANCELLED,
    CONFIRMED,
    CONFIRMING,
    PENDING,
    RELEASED,
    RELEASING,
    RESERVING,
    Order,
    OrderItem,
    Reservation,
)
from extracted.orders_service.pricing import Line, total

MAX_ID = 2**63 - 1


class NotPending(Exception):
    """The order was not pending when the cancel tried to change it."""


class SagaAbandoned(Exception):
    """The saga was compensated while its order was being written; the order was not kept."""


@dataclass(frozen=True)
class Cancelled:
    order: dict[str, Any]
    reservation_id: str | None


class OrderStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # --- the saga log ---------------------------------------------------------------------

    def begin_saga(self, reservation_id: str) -> None:
        """Written before products is asked, so a crash at any later point leaves a trace."""
        now = utcnow()
        with self.sessions.begin() as session:
            session.add(
                Reservation(
                    reservation_id=reservation_id,
                    state=RESERVING,
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                )
            )

    def nothing_taken(self, reservation_id: str) -> None:
        """products refused the reservation (short stock): the saga is over, nothing to undo."""
        with self.sessions.begin() as session:
            session.execute(
                update(Reservation)
                .where(
                    Reservation.reservation_id == reservation_id,
                    Reservation.state == RESERVING,
                )
                .values(state=RELEASED, updated_at=utcnow())
            )

    def record_release_attempt(self, reservation_id: str, error: str | None) -> None:
        """After asking products to release: `released` on success, else count the failure."""
        with self.sessions.begin() as session:
            row = session.get(Reservation, reservation_id)
            now = utcnow()
            if row is None:  # the saga row itself could not be written (database down then)
                row = Reservation(
                    reservation_id=reservation_id, attempts=0, created_at=now, updated_at=now
                )
                session.add(row)
            row.attempts = (row.attempts or 0) + 1
            row.state = RELEASED if error is None else RELEASING
            row.last_error = None if error is None else error[:500]
            row.updated_at = now

    def abandon_order(self, reservation_id: str) -> None:
        """Undo a saga's local half: delete its order (if any), mark its stock to go back."""
        with self.sessions.begin() as session:
            # Locked, so an order being committed for this saga right now is seen (and deleted).
            row = session.get(Reservation, reservation_id, with_for_update=True)
            if row is None:
                return
            if row.order_id is not None:
                session.execute(delete(OrderItem).where(OrderItem.order_id == row.order_id))
                session.execute(delete(Order).where(Order.id == row.order_id))
            row.order_id = None
            row.state = RELEASING
            row.updated_at = utcnow()

    def due_releases(self, limit: int = 100) -> list[str]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Reservation.reservation_id)
                    .where(Reservation.state == RELEASING)
                    .order_by(Reservation.updated_at)
                    .limit(limit)
                )
            )

    def stale_sagas(self, older_than: timedelta, limit: int = 100) -> list[tuple[str, str]]:
        """(reservation_id, state) of sagas a request started but never finished (a crash)."""
        cutoff: datetime = utcnow() - older_than
        with self.sessions() as session:
            rows = session.execute(
                select(Reservation.reservation_id, Reservation.state)
                .where(
                    Reservation.state.in_([RESERVING, CONFIRMING]),
                    Reservation.updated_at < cutoff,
                )
                .order_by(Reservation.updated_at)
                .limit(limit)
            )
            return [(rid, state) for rid, state in rows]

    # --- orders -----------------------------------------------------------------------------

    def create_order(
        self, user_id: int, lines: Sequence[Line], reservation_id: str, *, dry_run: bool
    ) -> dict[str, Any]:
        """Insert the pending order and tie it to its reservation; a dry run rolls it all back."""
        now = utcnow()
        with self.sessions() as session:
            order = Order(
                user_id=user_id,
                status=PENDING,
                total=total(lines),
                created_at=now,
                updated_at=now,
                items=[
                    OrderItem(
                        position=line.position,
                        product_id=line.product_id,
                        product_name=line.name,
                        unit_price=line.unit_price,
                        quantity=line.quantity,
                        line_total=line.line_total,
                    )
                    for line in lines
                ],
            )
            session.add(order)
            session.flush()
            if not dry_run:
                tied = session.execute(
                    update(Reservation)
                    .where(
                        Reservation.reservation_id == reservation_id,
                        Reservation.state == RESERVING,
                    )
                    .values(order_id=order.id, state=CONFIRMING, updated_at=now)
                )
                if tied.rowcount != 1:  # type: ignore[attr-defined]
                    # The saga was given up meanwhile (its stock is going back): no order.
                    session.rollback()
                    raise SagaAbandoned(reservation_id)
            data = serialize.order(order)
            if dry_run:
                session.rollback()
            else:
                session.commit()
            return data

    def confirmed(self, reservation_id: str) -> None:
        """confirming -> confirmed; not over a cancel that queued the release meanwhile.

        `order.created` goes to the outbox in this transaction: the order is announced once its
        stock is confirmed, whether by the request or by recovery, and only once.
        """
        with self.sessions.begin() as session:
            result = session.execute(
                update(Reservation)
                .where(
                    Reservation.reservation_id == reservation_id,
                    Reservation.state == CONFIRMING,
                )
                .values(state=CONFIRMED, updated_at=utcnow())
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return
            order_id = session.scalar(
                select(Reservation.order_id).where(Reservation.reservation_id == reservation_id)
            )
            row = None if order_id is None else session.get(Order, order_id)
            if row is not None:
                data = serialize.order(row)
                write_to_outbox(session, [Event("order.created", "order", str(row.id), data)])

    def list_orders(self, user_id: int, page: int, per_page: int) -> dict[str, Any]:
        with self.sessions() as session:
            mine = Order.user_id == user_id
            count = session.execute(select(func.count(Order.id)).where(mine)).scalar_one()
            rows = session.scalars(
                select(Order)
                .where(mine)
                .order_by(Order.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            ).all()
            return serialize.page([serialize.order(row) for row in rows], page, per_page, count)

    def get_order(self, order_id: int) -> dict[str, Any] | None:
        if not 1 <= order_id <= MAX_ID:  # matches the route but cannot be stored: not found
            return None
        with self.sessions() as session:
            row = session.get(Order, order_id)
            return None if row is None else serialize.order(row)

    def cancel(self, order_id: int, *, dry_run: bool) -> Cancelled:
        """pending -> cancelled, and the order's reservation queued for release, in one commit.

        Conditional, so of two concurrent cancels only one wins (the other gets NotPending).
        """
        now = utcnow()
        with self.sessions() as session:
            result = session.execute(
                update(Order)
                .where(Order.id == order_id, Order.status == PENDING)
                .values(status=CANCELLED, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                raise NotPending(order_id)
            reservation_id = session.scalars(
                select(Reservation.reservation_id).where(
                    Reservation.order_id == order_id,
                    Reservation.state.in_([CONFIRMING, CONFIRMED]),
                )
            ).first()
            if reservation_id is not None:
                session.execute(
                    update(Reservation)
                    .where(Reservation.reservation_id == reservation_id)
                    .values(state=RELEASING, updated_at=now)
                )
            row = session.get(Order, order_id, populate_existing=True)
            assert row is not None
            data = serialize.order(row)
            if dry_run:
                session.rollback()
            else:
                write_to_outbox(session, [Event("order.cancelled", "order", str(order_id), data)])
                session.commit()
            return Cancelled(data, reservation_id)
