"""Responses the router makes itself, in the monolith's error envelope."""

from __future__ import annotations

import json
from typing import Any

from router.types import Send

REASONS = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    422: "validation_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


# Refusals the monolith makes too (docs/contract.md): the router's copy has exactly the contract's
# envelope, so an endpoint's answer does not change shape when the router answers first. The
# request id stays in the X-Request-ID header.
CONTRACT_SHAPED = frozenset({413})


async def send_bytes(
    send: Send, status: int, body: bytes, content_type: str, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_json(
    send: Send, status: int, payload: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    await send_bytes(send, status, body, "application/json", headers or [])


# Werkzeug's own routing 404 (`NotFound().get_body()`), which docs/contract.md keeps for every
# path the monolith has no rule for: a router refusal of such a path looks like legacy's.
NOT_FOUND_HTML = (
    b"<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    b"<p>The requested URL was not found on the server. If you entered the URL manually please "
    b"check your spelling and try again.</p>\n"
)


async def send_not_found(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    await send_bytes(send, 404, NOT_FOUND_HTML, "text/html; charset=utf-8", headers)


async def send_redirect(send: Send, location: str, headers: list[tuple[bytes, bytes]]) -> None:
    """308: the same method and body, at `location` (RFC 9110 section 15.4.9)."""
    location_header = (b"location", location.encode("latin-1"))
    await send_bytes(send, 308, b"", "text/plain; charset=utf-8", [location_header, *headers])


async def send_error(
    send: Send,
    status: int,
    message: str,
    request_id: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    code: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """`{"error": {"code", "message", "request_id", **details}}` with the request id echoed in a
    header. For CONTRACT_SHAPED statuses the body is the contract's `{"error": {"code",
    "message"}}`."""
    error: dict[str, Any] = {"code": code or REASONS.get(status, "error"), "message": message}
    error.update(details or {})
    if status not in CONTRACT_SHAPED:
        error["request_id"] = request_id
    envelope = {"error": error}
    extra = [(b"x-request-id", request_id.encode("latin-1")), *(headers or [])]
    await send_json(send, status, envelope, extra)
