"""The real stack for the attack tests: `strangler up` once per session, and a raw HTTP client."""

from __future__ import annotations

import http.client
import json
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.live.stack import strangler_up
from tests.stack.test_stack_up_e2e import RunningUp


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def raw_request(
    port: int, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> Answer:
    """One request with `target` sent byte for byte: no client library tidies it first."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )


@dataclass
class Stack:
    up: RunningUp
    port: int
    var: Path
    admin_token: str
    user_token: str

    def flip(self, route: str, mode: str) -> None:
        response = httpx.post(
            f"http://127.0.0.1:{self.port}/_strangler/routes/flip",
            headers={"Authorization": f"Bearer {self.admin_token}"},
            json={"route": route, "mode": mode, "reason": "bypass corpus", "actor": "test"},
            timeout=10,
        )
        if response.status_code == 409:  # the gates want evidence: this test is about routing
            response = httpx.post(
                f"http://127.0.0.1:{self.port}/_strangler/routes/flip",
                headers={"Authorization": f"Bearer {self.admin_token}"},
                json={
                    "route": route,
                    "mode": mode,
                    "reason": "bypass corpus",
                    "actor": "test",
                    "force": True,
                },
                timeout=10,
            )
        assert response.status_code == 200, response.text

    def name_in(self, database: str, product_id: int) -> str:
        with sqlite3.connect(self.var / database, timeout=10) as conn:
            row = conn.execute("SELECT name FROM products WHERE id = ?", (product_id,)).fetchone()
        return str(row[0])

    def set_name_behind_the_sync(self, database: str, product_id: int, name: str) -> None:
        with sqlite3.connect(self.var / database, timeout=10) as conn:
            conn.execute("UPDATE products SET name = ? WHERE id = ?", (name, product_id))


@contextmanager
def running_stack(tmp: Path) -> Iterator[Stack]:
    """`strangler up` in `tmp` on free ports, the sync included, with an admin user's token."""
    with strangler_up(tmp) as stack:
        login = httpx.post(
            f"http://127.0.0.1:{stack.port + 1}/api/auth/login",
            json={"email": "admin@example.com", "password": "admin-password"},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        yield Stack(stack.up, stack.port, stack.var, stack.admin_token, login.json()["token"])
