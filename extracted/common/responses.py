"""JSON responses rendered the way Flask renders them, and the shared error envelope."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


class FlaskJSONResponse(Response):
    """Sorted keys, compact separators, trailing newline: Flask's DefaultJSONProvider output."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return (json.dumps(content, sort_keys=True, separators=(",", ":")) + "\n").encode()


class ApiError(Exception):
    """An error the contract names: rendered as {"error": {"code", "message"[, "details"]}}."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}

    def response(self) -> FlaskJSONResponse:
        return FlaskJSONResponse(self.envelope(), status_code=self.status)


def validation_error(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", message, {"field": field})


def not_found(kind: str, ident: int) -> ApiError:
    return ApiError(404, "not_found", f"{kind} {ident} not found")


def unavailable(dependency: str) -> ApiError:
    return ApiError(503, "service_unavailable", f"{dependency} is unavailable")


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "Authentication required")


def invalid_token() -> ApiError:
    return ApiError(401, "invalid_token", "Invalid or expired token")
