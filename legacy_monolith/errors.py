"""The error envelope: ApiError and its handlers (routing 404/405 stay Flask's HTML)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import BadRequest, InternalServerError, RequestEntityTooLarge

BAD_BODY = "Request body must be a JSON object"


class ApiError(Exception):
    """An error the contract names: status, code, exact message and optional details."""

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


def validation_error(field: str, message: str) -> ApiError:
    return ApiError(422, "validation_error", message, {"field": field})


def not_found(kind: str, ident: int) -> ApiError:
    return ApiError(404, "not_found", f"{kind} {ident} not found")


def bad_body() -> ApiError:
    return ApiError(400, "bad_request", BAD_BODY)


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "Authentication required")


def invalid_token() -> ApiError:
    return ApiError(401, "invalid_token", "Invalid or expired token")


def forbidden(message: str = "Admin privileges required") -> ApiError:
    return ApiError(403, "forbidden", message)


def _render(error: ApiError) -> tuple[Response, int]:
    return jsonify(error.envelope()), error.status


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _render)
    app.register_error_handler(
        RequestEntityTooLarge,
        lambda _e: _render(ApiError(413, "payload_too_large", "Request body is too large")),
    )
    # Routing never raises a bare 400; anything that does is about the request body.
    app.register_error_handler(BadRequest, lambda _e: _render(bad_body()))
    # Flask has already logged the original exception by the time this runs.
    app.register_error_handler(
        InternalServerError,
        lambda _e: _render(ApiError(500, "internal_error", "Internal server error")),
    )
