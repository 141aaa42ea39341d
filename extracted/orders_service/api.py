"""The public orders endpoints, exactly as docs/contract.md describes the monolith's."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask

from extracted.common.responses import ApiError, FlaskJSONResponse, validation_error
from extracted.common.validation import item_list, json_object, page_params
from extracted.orders_service.deps import CallerDep, DryRunDep, QueryDep, SagaDep
from extracted.orders_service.saga import OrderSaga, in_db

log = logging.getLogger("extracted.orders_service")

router = APIRouter()

MAX_LINES, MAX_QUANTITY = 50, 1000


def order_lines(body: dict[str, Any]) -> list[tuple[int, int]]:
    """`items`, checked as the monolith checks them: every line's shape first, then duplicates."""
    lines = item_list(body, max_entries=MAX_LINES, max_quantity=MAX_QUANTITY, unique=False)
    seen: set[int] = set()
    for index, (product_id, _quantity) in enumerate(lines):
        if product_id in seen:
            field = f"items[{index}].product_id"
            raise validation_error(field, f"{field} is a duplicate")
        seen.add(product_id)
    return lines


async def _retry_releases(saga: OrderSaga) -> None:
    try:
        await saga.retry_releases()
    except Exception:  # bookkeeping after the answer was sent: log, the lifespan task retries
        log.exception("retrying pending releases failed")


@router.post("/api/orders")
async def place_order(
    request: Request, saga: SagaDep, caller: CallerDep, dry_run: DryRunDep
) -> FlaskJSONResponse:
    try:
        lines = order_lines(json_object(await request.body()))
        response = FlaskJSONResponse(
            await saga.place(caller, lines, dry_run=dry_run), status_code=201
        )
    except ApiError as error:
        response = error.response()
    if not dry_run:
        # Compensations a failed release left behind are retried after each order request.
        response.background = BackgroundTask(_retry_releases, saga)
    return response


@router.get("/api/orders")
async def list_orders(saga: SagaDep, caller: CallerDep, query: QueryDep) -> FlaskJSONResponse:
    page, per_page = page_params(query)
    return FlaskJSONResponse(await in_db(saga.store.list_orders, caller.id, page, per_page))


@router.get("/api/orders/{order_id:flaskint}")
async def get_order(order_id: int, saga: SagaDep, caller: CallerDep) -> FlaskJSONResponse:
    return FlaskJSONResponse(await saga.visible(caller, order_id))


@router.post("/api/orders/{order_id:flaskint}/cancel")
async def cancel_order(
    order_id: int, saga: SagaDep, caller: CallerDep, dry_run: DryRunDep
) -> FlaskJSONResponse:
    return FlaskJSONResponse(await saga.cancel(caller, order_id, dry_run=dry_run))
