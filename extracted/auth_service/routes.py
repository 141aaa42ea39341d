"""The contract's auth and users endpoints (docs/contract.md, "Endpoints")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from extracted.auth_service import accounts, serialize
from extracted.auth_service.models import User
from extracted.auth_service.runtime import CallerDep, RuntimeDep, UowDep
from extracted.common.deps import RawBody
from extracted.common.responses import ApiError, FlaskJSONResponse, not_found
from extracted.common.validation import MAX_ID, json_object

auth = APIRouter(prefix="/api/auth")
users = APIRouter(prefix="/api/users")


@auth.post("/register")
def register(body: RawBody, runtime: RuntimeDep, uow: UowDep) -> FlaskJSONResponse:
    user = accounts.register(uow, json_object(body), runtime.passwords)
    return FlaskJSONResponse(user, status_code=201)


@auth.post("/login")
def login(body: RawBody, runtime: RuntimeDep, uow: UowDep) -> FlaskJSONResponse:
    answer = accounts.login(
        uow, json_object(body), runtime.passwords, runtime.settings.token_ttl_seconds
    )
    return FlaskJSONResponse(answer)


# The caller is resolved (async, may introspect) before the session dependency opens.
@auth.post("/logout")
async def logout(caller: CallerDep, runtime: RuntimeDep, uow: UowDep) -> Response:
    await run_in_threadpool(accounts.logout, uow, caller.token, caller.id)
    if not uow.dry_run:
        await runtime.tokens.revoke_at_legacy(caller.token)
    # Flask labels even an empty 204 `text/html; charset=utf-8`; clients compare headers too.
    return Response(status_code=204, media_type="text/html; charset=utf-8")


@auth.get("/me")
async def me(caller: CallerDep) -> FlaskJSONResponse:
    return FlaskJSONResponse(caller.user)


@users.get("/{user_id:flaskint}")
def get_user(user_id: int, caller: CallerDep, uow: UowDep) -> FlaskJSONResponse:
    if not caller.is_admin and caller.id != user_id:
        raise ApiError(403, "forbidden", "You may only view your own account")
    row = uow.session.get(User, user_id) if 1 <= user_id <= MAX_ID else None
    if row is None:
        raise not_found("User", user_id)
    data: dict[str, Any] = serialize.user(row)
    return FlaskJSONResponse(data)
