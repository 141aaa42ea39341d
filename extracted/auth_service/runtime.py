"""Everything a request of auth_service needs, wired once per app (see app.create_app)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request

from extracted.auth_service.accounts import PasswordPolicy
from extracted.auth_service.settings import AuthSettings
from extracted.auth_service.tokens import Caller, TokenResolver
from extracted.common.database import Database
from extracted.common.deps import DryRun
from extracted.common.events import EventPublisher
from extracted.common.unit_of_work import UnitOfWork, unit_of_work


@dataclass
class AuthRuntime:
    settings: AuthSettings
    database: Database
    publisher: EventPublisher
    passwords: PasswordPolicy
    tokens: TokenResolver


def get_runtime(request: Request) -> AuthRuntime:
    return cast(AuthRuntime, request.app.state.runtime)


RuntimeDep = Annotated[AuthRuntime, Depends(get_runtime)]


def get_uow(runtime: RuntimeDep, dry_run: DryRun) -> Iterator[UnitOfWork]:
    with unit_of_work(runtime.database.sessions, runtime.publisher, dry_run=dry_run) as uow:
        yield uow


async def get_caller(request: Request, runtime: RuntimeDep, dry_run: DryRun) -> Caller:
    return await runtime.tokens.resolve(request.headers.get("Authorization"), dry_run=dry_run)


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
CallerDep = Annotated[Caller, Depends(get_caller)]
