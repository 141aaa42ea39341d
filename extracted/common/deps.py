"""FastAPI dependencies every service needs: the raw body and the dry-run flag."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from extracted.common.unit_of_work import is_dry_run


async def raw_body(request: Request) -> bytes:
    """The body bytes, parsed later by `validation.json_object` whatever the Content-Type says."""
    return await request.body()


def dry_run(request: Request) -> bool:
    return is_dry_run(request.headers)


RawBody = Annotated[bytes, Depends(raw_body)]
DryRun = Annotated[bool, Depends(dry_run)]
