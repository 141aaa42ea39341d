"""Ambiguous body framings never smuggle a second request past the router, on the real stack.

Each attack hides a complete `PATCH` (as the admin, renaming a product to a fresh marker) where
one reading of the framing sees a body and another sees the next request. The router must refuse
the framing or read it one way only: afterwards no database may hold the marker, and the client
gets exactly one response.
"""

from __future__ import annotations

import json
import socket
import time
import uuid

import pytest

from .security_stack import Stack

pytestmark = pytest.mark.e2e

VICTIM_ID = 3


def hidden_patch(stack: Stack, marker: str) -> bytes:
    body = json.dumps({"name": marker}).encode()
    return (
        f"PATCH /api/products/{VICTIM_ID} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {stack.user_token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def framings(smuggled: bytes) -> dict[str, bytes]:
    chunk = f"{len(smuggled):x}\r\n".encode() + smuggled + b"\r\n0\r\n\r\n"
    head = b"POST /api/products HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    return {
        "CL.TE": head + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk,
        "TE.CL": head + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + chunk,
        "two Content-Lengths": head
        + b"Content-Length: 0\r\nContent-Length: "
        + str(len(smuggled)).encode()
        + b"\r\n\r\n"
        + smuggled,
        "a Content-Length list": head
        + b"Content-Length: 0, "
        + str(len(smuggled)).encode()
        + b"\r\n\r\n"
        + smuggled,
        "Content-Length with a sign": head + b"Content-Length: +0\r\n\r\n" + smuggled,
        "Content-Length in hex": head + b"Content-Length: 0x0\r\n\r\n" + smuggled,
        "TE with a space before the colon": head
        + b"Transfer-Encoding : chunked\r\nContent-Length: 0\r\n\r\n"
        + chunk,
        "TE obs-fold": head
        + b"Transfer-Encoding:\r\n chunked\r\nContent-Length: 0\r\n\r\n"
        + chunk,
        "TE xchunked": head + b"Transfer-Encoding: xchunked\r\n\r\n" + chunk,
        "TE chunked, identity": head + b"Transfer-Encoding: chunked, identity\r\n\r\n" + chunk,
        "TE twice": head
        + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"
        + chunk,
        "chunk size with junk": head + b"Transfer-Encoding: chunked\r\n\r\n0x0\r\n\r\n" + smuggled,
        "chunk extension": head + b"Transfer-Encoding: chunked\r\n\r\n0;ext=1\r\n\r\n" + smuggled,
        "bare LF": head.replace(b"\r\n", b"\n") + b"Content-Length: 0\n\n" + smuggled,
        "NUL in a header": head + b"X-A: a\x00b\r\nContent-Length: 0\r\n\r\n" + smuggled,
    }


def exchange(port: int, data: bytes) -> bytes:
    """Send `data`, then read everything the router answers until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def test_no_framing_smuggles_a_request_to_a_backend(stack: Stack) -> None:
    stack.flip("PATCH /api/products/{id}", "legacy")
    outcomes: dict[str, str] = {}
    for name in framings(b""):
        marker = f"smuggled-{uuid.uuid4().hex[:10]}"
        received = exchange(stack.port, framings(hidden_patch(stack, marker))[name])
        status_lines = [line for line in received.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]
        outcomes[name] = status_lines[0].decode() if status_lines else "closed"
        # Reading the hidden PATCH as the client's next request is no smuggling when the router
        # itself decided on it (and said so); a backend acting on it behind the router's back is.
        routed_by_router = b"x-strangler-route: PATCH /api/products/{id}" in received.lower()
        time.sleep(0.1)
        for database in ("monolith.db", "products.db"):
            if stack.name_in(database, VICTIM_ID) == marker:
                assert routed_by_router, (name, database, received[:400])
    print(f"{len(outcomes)} framings: {outcomes}")
    # CL+TE and conflicting lengths are ambiguous by definition: refused, not read one way.
    for name in ("CL.TE", "TE.CL", "two Content-Lengths", "a Content-Length list"):
        assert " 400 " in outcomes[name] + " ", outcomes
