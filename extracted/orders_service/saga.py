"""The order saga across the network: reserve on products -> order here -> confirm on products.

A saga-log row (`reservations`) is committed before products is asked, so every later failure
leaves a record of what to undo. Releases are idempotent on products, so repeating one is safe.

Failure -> what the client gets -> what is left afterwards:

* orders DB before reserving -> 503 orders database -> nothing taken.
* reserve short -> 409 insufficient_stock -> nothing taken (products is all or nothing).
* reserve timeout/5xx/down -> 503 products service -> released by id (its tombstone refuses a
  late reserve with that id).
* orders DB writing the order -> 503 orders database -> no order; released.
* confirm timeout/5xx/4xx -> 503 products service -> order deleted, then released.
* any of those releases -> (same answer) -> the row stays `releasing`: retried after the next
  order request and by the lifespan task; products' TTL releases a `held` one anyway.
* a crash between two steps -> (connection drops) -> a stale `reserving` row is released; a
  stale `confirming` one is confirmed (or, if products let it go, its order is deleted).
* orders DB after confirm -> 201 -> the row stays `confirming`; recovery re-confirms (a no-op).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from extracted.common.events import Event, EventPublisher
from extracted.common.responses import ApiError, not_found, unavailable
from extracted.orders_service.models import PENDING, RESERVING
from extracted.orders_service.pricing import Line, priced_lines
from extracted.orders_service.store import NotPending, OrderStore, SagaAbandoned
from extracted.orders_service.upstreams import Caller, Products, ReservationRefused

log = logging.getLogger("extracted.orders_service.saga")

P = ParamSpec("P")
T = TypeVar("T")


def database_down() -> ApiError:
    return unavailable("orders database")


async def in_db(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking store call off the event loop; database errors become our 503."""
    try:
        return await run_in_threadpool(function, *args, **kwargs)
    except SQLAlchemyError as exc:
        log.warning("orders database error: %s", exc)
        raise database_down() from exc


def invalid_state(order_id: int) -> ApiError:
    return ApiError(409, "invalid_state", f"Order {order_id} is not pending")


class OrderSaga:
    def __init__(
        self,
        store: OrderStore,
        products: Products,
        publisher: EventPublisher,
        stale_after: timedelta,
    ) -> None:
        self.store = store
        self.products = products
        self.publisher = publisher
        self.stale_after = stale_after

    # --- placing an order -------------------------------------------------------------------

    async def place(
        self, caller: Caller, requested: Sequence[tuple[int, int]], *, dry_run: bool
    ) -> dict[str, Any]:
        if dry_run:
            return await self._rehearse(caller, requested)
        reservation_id = str(uuid.uuid4())
        await in_db(self.store.begin_saga, reservation_id)  # nothing is taken before this
        try:
            reserved = await self.products.reserve(reservation_id, requested, dry_run=False)
        except ApiError as error:
            if error.code == "insufficient_stock":  # products took nothing
                await self._quietly(self.store.nothing_taken, reservation_id)
            else:  # a timeout may hide an applied reserve: release by id (products tombstones it)
                await self.release(reservation_id)
            raise
        try:
            lines = self._priced(requested, reserved)
            order = await in_db(
                self.store.create_order, caller.id, lines, reservation_id, dry_run=False
            )
        except SagaAbandoned:
            # Recovery took this request for a crashed one and is giving the stock back.
            await self._abandon(reservation_id)
            raise database_down() from None
        except BaseException:
            # No order was committed (or it is about to be deleted): give the stock back.
            await self._abandon(reservation_id)
            raise
        try:
            await self.products.confirm(reservation_id)
        except BaseException:
            await self._abandon(reservation_id)
            raise
        # If this write fails the saga stays `confirming`; recovery re-confirms (a no-op) later.
        await self._quietly(self.store.confirmed, reservation_id)
        self._announce(Event("order.created", "order", str(order["id"]), order))
        return order

    async def _rehearse(
        self, caller: Caller, requested: Sequence[tuple[int, int]]
    ) -> dict[str, Any]:
        """The dry run: products rolls its reservation back (it gets the header too) and so do we.

        The release at the end is a no-op on a products that honours the header, and gives the
        stock back on one that does not, so a shadowed order never keeps stock either way.
        """
        reservation_id = str(uuid.uuid4())
        try:
            reserved = await self.products.reserve(reservation_id, requested, dry_run=True)
            lines = self._priced(requested, reserved)
            return await in_db(
                self.store.create_order, caller.id, lines, reservation_id, dry_run=True
            )
        finally:
            try:
                await self.products.release(reservation_id, dry_run=True)
            except ApiError:
                log.warning("dry-run release of %s failed", reservation_id)

    def _announce(self, event: Event) -> None:
        """Tell in-process observers (the durable event is already in the outbox, see store.py);
        a failing publisher must not turn a done write into a 500
        (the client would retry and order twice)."""
        try:
            self.publisher.publish([event])
        except Exception:
            log.exception("publishing %s %s failed", event.type, event.aggregate_id)

    def _priced(
        self, requested: Sequence[tuple[int, int]], reserved: list[dict[str, Any]]
    ) -> list[Line]:
        try:
            return priced_lines(requested, reserved)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            log.error("products answered a reservation without the requested lines: %r", reserved)
            raise self.products.service.down() from None

    async def _abandon(self, reservation_id: str) -> None:
        """Compensate a saga whose reservation was made: no order, then no stock taken."""
        try:
            await in_db(self.store.abandon_order, reservation_id)
        except ApiError:
            # The order row may still exist and we cannot delete it: releasing now would leave
            # an order without stock. The saga row stays `reserving`/`confirming` and recovery
            # finishes it one way or the other once the database is back.
            log.error("could not abandon the order of reservation %s", reservation_id)
            return
        await self.release(reservation_id)

    async def release(self, reservation_id: str) -> bool:
        """Ask products to put the stock back; record the outcome (a failure is retried later)."""
        error: str | None = None
        try:
            await self.products.release(reservation_id)
        except ApiError as exc:
            error = getattr(exc, "detail", exc.message)
            log.warning("release of %s failed (%s); it will be retried", reservation_id, error)
        await self._quietly(self.store.record_release_attempt, reservation_id, error)
        return error is None

    async def _quietly(
        self, function: Callable[P, None], *args: P.args, **kwargs: P.kwargs
    ) -> None:
        """A bookkeeping write whose failure must not change the answer (recovery covers it)."""
        try:
            await in_db(function, *args, **kwargs)
        except ApiError:
            log.error("saga bookkeeping failed: %s", getattr(function, "__name__", function))

    # --- cancelling -------------------------------------------------------------------------

    async def cancel(self, caller: Caller, order_id: int, *, dry_run: bool) -> dict[str, Any]:
        """pending -> cancelled here first, then the stock back on products (queued if down).

        Cancelling first means no failure can leave a pending order whose stock was returned.
        """
        order = await self.visible(caller, order_id)
        if order["status"] != PENDING:
            raise invalid_state(order_id)
        try:
            cancelled = await in_db(self.store.cancel, order_id, dry_run=dry_run)
        except NotPending:
            raise invalid_state(order_id) from None
        if dry_run:
            # The answer does not depend on products (a failed release is queued, not reported),
            # so a shadowed cancel does not call it at all and cannot leave a trace there.
            return cancelled.order
        if cancelled.reservation_id is not None:
            await self.release(cancelled.reservation_id)
        self._announce(Event("order.cancelled", "order", str(order_id), cancelled.order))
        return cancelled.order

    async def visible(self, caller: Caller, order_id: int) -> dict[str, Any]:
        """The order if the caller owns it or is an admin; otherwise 404, so ids do not leak."""
        order = await in_db(self.store.get_order, order_id)
        if order is None or (order["user_id"] != caller.id and not caller.is_admin):
            raise not_found("Order", order_id)
        return order

    # --- recovery ---------------------------------------------------------------------------

    async def retry_releases(self, limit: int = 20) -> int:
        """Retry recorded compensations; how many went through."""
        done = 0
        for reservation_id in await in_db(self.store.due_releases, limit):
            done += await self.release(reservation_id)
        return done

    async def recover(self) -> None:
        """Retry compensations, and finish sagas a crashed request left halfway."""
        await self.retry_releases(limit=100)
        for reservation_id, state in await in_db(self.store.stale_sagas, self.stale_after):
            if state == RESERVING:
                # The request died between asking for stock and recording its order.
                await self.release(reservation_id)
                continue
            try:  # `confirming`: the order is committed; finish forward
                await self.products.confirm(reservation_id)
            except ReservationRefused:
                # products let it go (its TTL): the order cannot stand, and the client never
                # got a 201 for it (that only follows a successful confirm).
                await self._abandon(reservation_id)
                continue
            except ApiError:
                continue  # products is down: try again next round
            await self._quietly(self.store.confirmed, reservation_id)
