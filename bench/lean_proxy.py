"""The floor: a bare raw-ASGI proxy over one shared aiohttp ClientSession (no routing, no metrics).

Run: LEAN_UPSTREAM=http://127.0.0.1:8001 uvicorn bench.lean_proxy:app
"""

from __future__ import annotations

import os
from typing import Any

import aiohttp

UPSTREAM = os.environ.get("LEAN_UPSTREAM", "http://127.0.0.1:8001")
HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"upgrade", b"host"}
session: aiohttp.ClientSession | None = None


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global session
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=256), auto_decompress=False
            )
            await send({"type": "lifespan.startup.complete"})
        assert session is not None
        await session.close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    url = (
        UPSTREAM
        + scope["raw_path"].decode()
        + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
    )
    headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k not in HOP_BY_HOP]
    assert session is not None
    async with session.request(scope["method"], url, headers=headers, data=body or None) as resp:
        payload = await resp.read()
        out = [(k, v) for k, v in resp.raw_headers if k.lower() not in HOP_BY_HOP]
        await send({"type": "http.response.start", "status": resp.status, "headers": out})
        await send({"type": "http.response.body", "body": payload})
