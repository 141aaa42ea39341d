"""Admin-only writes: auth_service says who the caller is; products never reads tokens itself."""

from __future__ import annotations

from typing import Any

from extracted.common.responses import ApiError, unauthorized
from extracted.common.upstream import DRY_RUN_HEADER, UpstreamService


async def require_admin(auth: UpstreamService, headers: dict[str, str]) -> dict[str, Any]:
    """The caller's User when they are an admin; auth's 401s pass through unchanged, auth down is
    503 `auth service is unavailable`."""
    authorization = headers.get("authorization")
    if not authorization:
        # No credentials at all: the answer cannot depend on auth_service, so do not ask it.
        raise unauthorized()
    forwarded = {"Authorization": authorization}
    if DRY_RUN_HEADER.lower() in headers:
        forwarded[DRY_RUN_HEADER] = headers[DRY_RUN_HEADER.lower()]
    response = await auth.call("GET", "/api/auth/me", headers=forwarded)
    if response.status_code == 401:
        raise _passed_through(response) or unauthorized()
    user = _json_object(response) if response.status_code == 200 else None
    if user is None or not isinstance(user.get("is_admin"), bool):
        raise auth.down()
    if not user["is_admin"]:
        raise ApiError(403, "forbidden", "Admin privileges required")
    return user


def _json_object(response: Any) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _passed_through(response: Any) -> ApiError | None:
    """auth_service's own 401 envelope, re-raised as is."""
    body = _json_object(response)
    error = body.get("error") if body else None
    if not isinstance(error, dict):
        return None
    code, message = error.get("code"), error.get("message")
    if not isinstance(code, str) or not isinstance(message, str):
        return None
    return ApiError(401, code, message)
