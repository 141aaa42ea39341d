"""What an endpoint needs, as typed dependencies: the saga, who is calling, the dry-run flag."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from extracted.common.unit_of_work import is_dry_run
from extracted.orders_service.runtime import Runtime
from extracted.orders_service.saga import OrderSaga
from extracted.orders_service.upstreams import Caller


def runtime(request: Request) -> Runtime:
    wired: Runtime = request.app.state.runtime
    return wired


def saga(request: Request) -> OrderSaga:
    return runtime(request).wired().saga


async def caller(request: Request) -> Caller:
    """Who is calling, from auth_service (401 without a call when there is no bearer token)."""
    return await runtime(request).wired().auth.caller(request.headers.get("Authorization"))


def dry_run(request: Request) -> bool:
    """The router's mirror of a write (`X-Strangler-Shadow: 1`)."""
    return is_dry_run(request.headers)


def query(request: Request) -> dict[str, str]:
    """Query parameters with the first of a repeated name winning, as Werkzeug's `args.get`."""
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, value)
    return params


SagaDep = Annotated[OrderSaga, Depends(saga)]
CallerDep = Annotated[Caller, Depends(caller)]
DryRunDep = Annotated[bool, Depends(dry_run)]
QueryDep = Annotated[dict[str, str], Depends(query)]
