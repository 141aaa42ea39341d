"""ASGI middleware that changes a real service's JSON answers, one deviation at a time."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Message = dict[str, Any]
# (method, path, status, document) -> (status, document); return them unchanged to pass through.
Change = Callable[[str, str, int, Any], tuple[int, Any]]


class Deviate:
    """Buffers each answer, lets `change` rewrite status and JSON body, and sends the result."""

    def __init__(self, app: Any, change: Change) -> None:
        self.app = app
        self.change = change

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        status, body = start["status"], b"".join(chunks)
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if document is not None:
            status, document = self.change(scope["method"], scope["path"], status, document)
            body = json.dumps(document).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def on(method: str, path: str, rewrite: Callable[[int, Any], tuple[int, Any]]) -> Change:
    """A change applied only to answers of `method path` (the exact path, not a template)."""

    def change(m: str, p: str, status: int, document: Any) -> tuple[int, Any]:
        if (m, p) == (method, path):
            return rewrite(status, document)
        return status, document

    return change
