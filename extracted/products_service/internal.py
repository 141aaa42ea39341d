"""Internal reservation endpoints for the order saga (not routed to clients)."""

from __future__ import annotations

from fastapi import APIRouter

from extracted.common.deps import RawBody
from extracted.common.responses import FlaskJSONResponse
from extracted.common.validation import json_object
from extracted.products_service import reservations
from extracted.products_service.runtime import RuntimeDep, UowDep

router = APIRouter(prefix="/internal/reservations")


def _sweep(runtime: RuntimeDep, dry_run: bool) -> None:
    # Opportunistic: expired holds go back before anyone competes for their stock. Never in a
    # dry run, which must leave no trace at all.
    if not dry_run:
        reservations.expire(
            runtime.database.sessions, runtime.publisher, runtime.settings.reservation_ttl_seconds
        )


@router.put("/{reservation_id}")
def reserve(
    reservation_id: str, body: RawBody, runtime: RuntimeDep, uow: UowDep
) -> FlaskJSONResponse:
    _sweep(runtime, uow.dry_run)
    reservation, created = reservations.reserve(uow, reservation_id, json_object(body))
    return FlaskJSONResponse(reservation, status_code=201 if created else 200)


@router.post("/{reservation_id}/confirm")
def confirm(reservation_id: str, runtime: RuntimeDep, uow: UowDep) -> FlaskJSONResponse:
    _sweep(runtime, uow.dry_run)
    return FlaskJSONResponse(reservations.confirm(uow, reservation_id))


@router.post("/{reservation_id}/release")
def release(reservation_id: str, runtime: RuntimeDep, uow: UowDep) -> FlaskJSONResponse:
    _sweep(runtime, uow.dry_run)
    return FlaskJSONResponse(reservations.release(uow, reservation_id))
