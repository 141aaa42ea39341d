"""Everything a request of products_service needs, wired once per app (see app.create_app)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from extracted.common.database import Database
from extracted.common.deps import DryRun
from extracted.common.events import EventPublisher
from extracted.common.responses import unavailable
from extracted.common.unit_of_work import UnitOfWork, unit_of_work
from extracted.common.upstream import UpstreamService
from extracted.products_service.admin import require_admin
from extracted.products_service.settings import ProductsSettings


@dataclass
class ProductsRuntime:
    settings: ProductsSettings
    database: Database
    publisher: EventPublisher
    auth: UpstreamService | None = field(default=None)


def get_runtime(request: Request) -> ProductsRuntime:
    return cast(ProductsRuntime, request.app.state.runtime)


RuntimeDep = Annotated[ProductsRuntime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.database.sessions() as session:
        yield session


def get_uow(runtime: RuntimeDep, dry_run: DryRun) -> Iterator[UnitOfWork]:
    with unit_of_work(runtime.database.sessions, runtime.publisher, dry_run=dry_run) as uow:
        yield uow


async def get_admin(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    if runtime.auth is None:  # only when the app was served without its lifespan
        raise unavailable("auth service")
    return await require_admin(runtime.auth, dict(request.headers))


SessionDep = Annotated[Session, Depends(get_session)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
AdminDep = Annotated[dict[str, Any], Depends(get_admin)]
