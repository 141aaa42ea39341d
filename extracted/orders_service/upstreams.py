"""The services orders_service calls: auth (who is calling), products (stock reservations)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from extracted.common.bearer import bearer_token
from extracted.common.responses import ApiError, unauthorized
from extracted.common.upstream import DRY_RUN_HEADER, UpstreamService


@dataclass(frozen=True)
class Caller:
    id: int
    is_admin: bool


def _json(response: httpx.Response, service: UpstreamService) -> Any:
    try:
        return response.json()
    except ValueError:
        raise service.down() from None


def _passed_through(response: httpx.Response, service: UpstreamService) -> ApiError:
    """An envelope error from the dependency, re-raised as ours with the same status and body."""
    body = _json(response, service)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or "code" not in error or "message" not in error:
        return service.down()
    return ApiError(
        response.status_code, str(error["code"]), str(error["message"]), error.get("details")
    )


class ReservationRefused(ApiError):
    """products answered a confirm/release with a 4xx: to the client, still a 503."""

    def __init__(self, service: str, reservation_id: str, step: str, status: int) -> None:
        super().__init__(503, "service_unavailable", f"{service} service is unavailable")
        self.detail = f"{step} of reservation {reservation_id} refused with {status}"


class Auth:
    def __init__(self, service: UpstreamService) -> None:
        self.service = service

    async def caller(self, authorization: str | None) -> Caller:
        """Introspect the bearer token with `GET /api/auth/me`; 401s pass through unchanged."""
        token = bearer_token(authorization)
        if token is None:
            raise unauthorized()
        response = await self.service.call(
            "GET", "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code == 401:
            raise _passed_through(response, self.service)
        if response.status_code != 200:
            raise self.service.down()
        user = _json(response, self.service)
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            raise self.service.down()
        return Caller(id=user["id"], is_admin=user.get("is_admin") is True)


class Products:
    """products_service's internal reservation API; every call is idempotent by reservation id."""

    def __init__(self, service: UpstreamService) -> None:
        self.service = service

    @staticmethod
    def _headers(dry_run: bool) -> dict[str, str] | None:
        return {DRY_RUN_HEADER: "1"} if dry_run else None

    async def reserve(
        self, reservation_id: str, items: Sequence[tuple[int, int]], *, dry_run: bool
    ) -> list[dict[str, Any]]:
        """Take the stock; the reserved items (with names and unit prices).

        409 `insufficient_stock` passes through with its shortages; anything else is 503.
        """
        response = await self.service.call(
            "PUT",
            f"/internal/reservations/{reservation_id}",
            json={"items": [{"product_id": p, "quantity": q} for p, q in items]},
            headers=self._headers(dry_run),
        )
        if response.status_code == 409:
            error = _passed_through(response, self.service)
            if error.code == "insufficient_stock":
                raise error
            raise self.service.down()  # e.g. invalid_state: our id was released meanwhile
        if response.status_code not in (200, 201):
            raise self.service.down()
        body = _json(response, self.service)
        reserved = body.get("items") if isinstance(body, dict) else None
        if not isinstance(reserved, list):
            raise self.service.down()
        return reserved

    async def confirm(self, reservation_id: str, *, dry_run: bool = False) -> None:
        """held -> confirmed. ReservationRefused if products no longer holds it (e.g. its TTL)."""
        await self._step(reservation_id, "confirm", dry_run)

    async def release(self, reservation_id: str, *, dry_run: bool = False) -> None:
        await self._step(reservation_id, "release", dry_run)

    async def _step(self, reservation_id: str, step: str, dry_run: bool) -> None:
        response = await self.service.call(
            "POST",
            f"/internal/reservations/{reservation_id}/{step}",
            headers=self._headers(dry_run),
            idempotent=True,  # keyed by the reservation id: repeating is a no-op
        )
        if 400 <= response.status_code < 500:
            raise ReservationRefused(self.service.name, reservation_id, step, response.status_code)
        if response.status_code != 200:
            raise self.service.down()
