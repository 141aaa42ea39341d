"""The error envelope: ApiError and its handlers (routing 404/405 stay Flask's HTML)."""

from __future__ import annotations

from typing import IO, Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
)
from werkzeug.wsgi import LimitedStream

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


# How much of a request body left unread is read and discarded after the answer, so the
# connection stays usable. Past it gunicorn closes the connection (the router caps bodies lower).
DRAIN_LIMIT_BYTES = 16 * 1024 * 1024
_DRAIN_CHUNK = 64 * 1024


def _too_large(_error: RequestEntityTooLarge) -> tuple[Response, int]:
    return _render(ApiError(413, "payload_too_large", "Request body is too large"))


def drain_unread_body(response: Response) -> Response:
    """An answer given before the body was read (a 401 or 404 comes before the body, a 413
    instead of it) leaves the body in the socket. gunicorn drains only 64 KiB of it and then
    closes the connection it has just announced as keep-alive, so the client's next request on
    it is lost. Read the rest here, bounded."""
    length = request.content_length
    if length is not None and length > DRAIN_LIMIT_BYTES:
        return response
    stream: IO[bytes] | LimitedStream
    try:
        # The request's own bounded stream knows how much of the body was read already.
        stream = request.stream
    except RequestEntityTooLarge:  # refused before any of it was read
        if length is None:
            return response
        stream = LimitedStream(request.environ["wsgi.input"], length)
    drained = 0
    try:
        while drained <= DRAIN_LIMIT_BYTES:
            chunk = stream.read(_DRAIN_CHUNK)
            if not chunk:
                break
            drained += len(chunk)
    except (OSError, ValueError, HTTPException):  # the client went away, or past the limit
        pass
    return response


def register_error_handlers(app: Flask) -> None:
    app.after_request(drain_unread_body)
    app.register_error_handler(ApiError, _render)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    # Routing never raises a bare 400; anything that does is about the request body.
    app.register_error_handler(BadRequest, lambda _e: _render(bad_body()))
    # Flask has already logged the original exception by the time this runs.
    app.register_error_handler(
        InternalServerError,
        lambda _e: _render(ApiError(500, "internal_error", "Internal server error")),
    )
