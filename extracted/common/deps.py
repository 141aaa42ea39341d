"""FastAPI dependencies every service needs: the raw body, Flask-like query args, dry run."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from extracted.common.unit_of_work import is_dry_run


async def raw_body(request: Request) -> bytes:
    """The body bytes, parsed later by `validation.json_object` whatever the Content-Type says."""
    return await request.body()


def query_args(request: Request) -> dict[str, str]:
    """Query parameters as Flask's `request.args.get` sees them: the FIRST value of a repeated key
    (Starlette's `query_params.get` returns the last)."""
    args: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        args.setdefault(key, value)
    return args


def dry_run(request: Request) -> bool:
    return is_dry_run(request.headers)


RawBody = Annotated[bytes, Depends(raw_body)]
DryRun = Annotated[bool, Depends(dry_run)]
QueryArgs = Annotated[dict[str, str], Depends(query_args)]
