"""Stock reservations for the order saga: reserve (idempotent), confirm, release, expire.

Every state change is a conditional UPDATE on the reservation's status, so a reservation's stock
is taken once and given back once however many callers (or sweeps) race on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from extracted.common import validation
from extracted.common.events import EventPublisher
from extracted.common.formats import utcnow
from extracted.common.responses import ApiError, validation_error
from extracted.common.unit_of_work import UnitOfWork, unit_of_work
from extracted.products_service import serialize, stock
from extracted.products_service.models import Product, Reservation, ReservationItem

HELD, CONFIRMED, RELEASED = "held", "confirmed", "released"
MAX_ITEMS = 100
MAX_ID_LENGTH = 128


def check_id(reservation_id: str) -> None:
    if not reservation_id.strip():
        raise validation_error("reservation_id", "reservation_id must not be empty")
    if len(reservation_id) > MAX_ID_LENGTH:
        message = f"reservation_id must be at most {MAX_ID_LENGTH} characters"
        raise validation_error("reservation_id", message)


def _not_found(reservation_id: str) -> ApiError:
    return ApiError(404, "not_found", f"Reservation {reservation_id} not found")


def _released(reservation_id: str) -> ApiError:
    return ApiError(409, "invalid_state", f"Reservation {reservation_id} is released")


def reserve(
    uow: UnitOfWork, reservation_id: str, body: Mapping[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Take the stock all or nothing; (reservation, created). A repeat returns the stored one."""
    check_id(reservation_id)
    pairs = validation.item_list(body, max_entries=MAX_ITEMS, max_quantity=1000, unique=False)
    requested = stock.requested_totals(pairs)
    session = uow.session
    existing = session.get(Reservation, reservation_id)
    if existing is not None:
        return _repeat(existing), False

    now = utcnow()
    row = Reservation(id=reservation_id, status=HELD, created_at=now, updated_at=now)
    session.add(row)
    try:
        # The id is claimed first: a concurrent reserve with the same id waits here, then fails.
        session.flush()
    except IntegrityError:
        uow.rollback()
        existing = session.get(Reservation, reservation_id)
        if existing is None:  # pragma: no cover - the winner's row exists once we can see it
            raise
        return _repeat(existing), False

    short = stock.take(session, requested)
    if short:
        uow.rollback()
        raise stock.insufficient(short)
    products = {
        p.id: p for p in session.scalars(select(Product).where(Product.id.in_(list(requested))))
    }
    for position, (product_id, quantity) in enumerate(requested.items()):
        product = products[product_id]
        row.items.append(
            ReservationItem(
                position=position,
                product_id=product_id,
                quantity=quantity,
                name=product.name,
                unit_price=product.price,
            )
        )
    for event in stock.changed_events(session, requested):
        uow.stage(event)
    uow.commit()
    return serialize.reservation(row), True


def _repeat(existing: Reservation) -> dict[str, Any]:
    if existing.status == RELEASED:
        raise _released(existing.id)
    return serialize.reservation(existing)


def _transition(session: Session, reservation_id: str, sources: tuple[str, ...], to: str) -> bool:
    """Move the reservation from one of `sources` to `to`; False when another caller did first."""
    result = session.execute(
        update(Reservation)
        .where(Reservation.id == reservation_id, Reservation.status.in_(sources))
        .values(status=to, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def confirm(uow: UnitOfWork, reservation_id: str) -> dict[str, Any]:
    check_id(reservation_id)
    session = uow.session
    _transition(session, reservation_id, (HELD,), CONFIRMED)
    session.expire_all()
    row = session.get(Reservation, reservation_id)
    if row is None:
        raise _not_found(reservation_id)
    if row.status == RELEASED:
        raise _released(reservation_id)
    uow.commit()
    return serialize.reservation(row)


def release(uow: UnitOfWork, reservation_id: str) -> dict[str, Any]:
    """Give the stock back once; an unknown id leaves a `released` tombstone."""
    check_id(reservation_id)
    session = uow.session
    if _transition(session, reservation_id, (HELD, CONFIRMED), RELEASED):
        session.expire_all()
        row = session.get(Reservation, reservation_id)
        assert row is not None
        _give_back(uow, row)
        uow.commit()
        return serialize.reservation(row)
    row = session.get(Reservation, reservation_id)
    if row is not None:
        return serialize.reservation(row)  # already released: a no-op
    now = utcnow()
    tombstone = Reservation(id=reservation_id, status=RELEASED, created_at=now, updated_at=now)
    session.add(tombstone)
    try:
        uow.commit()
    except IntegrityError:
        # A reserve (or release) with this id won the race: release what it holds now.
        uow.rollback()
        return release(uow, reservation_id)
    return serialize.reservation(tombstone)


def _give_back(uow: UnitOfWork, row: Reservation) -> None:
    quantities = {item.product_id: item.quantity for item in row.items}
    stock.give_back(uow.session, quantities)
    for event in stock.changed_events(uow.session, quantities):
        uow.stage(event)


def expire(
    sessions: sessionmaker[Session],
    publisher: EventPublisher,
    ttl_seconds: int,
    now: datetime | None = None,
) -> int:
    """Release `held` reservations older than the TTL; returns how many this call released."""
    cutoff = (now or utcnow()) - timedelta(seconds=ttl_seconds)
    with sessions() as session:
        stale = session.scalars(
            select(Reservation.id).where(
                Reservation.status == HELD, Reservation.created_at < cutoff
            )
        ).all()
    released = 0
    for reservation_id in stale:
        with unit_of_work(sessions, publisher, dry_run=False) as uow:
            # Conditional, so a confirm or release that got there first wins.
            if _transition(uow.session, reservation_id, (HELD,), RELEASED):
                row = uow.session.get(Reservation, reservation_id)
                assert row is not None
                _give_back(uow, row)
                uow.commit()
                released += 1
    return released
