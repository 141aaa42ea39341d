"""The same bare proxy over one shared httpx.AsyncClient: the evidence for choosing a transport.

Run: LEAN_UPSTREAM=http://127.0.0.1:8001 uvicorn bench.lean_httpx_proxy:app
"""

from __future__ import annotations

import os
from typing import Any

import httpx

UPSTREAM = os.environ.get("LEAN_UPSTREAM", "http://127.0.0.1:8001")
HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"upgrade", b"host"}
client: httpx.AsyncClient | None = None


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global client
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
            client = httpx.AsyncClient(base_url=UPSTREAM, limits=limits, timeout=30.0)
            await send({"type": "lifespan.startup.complete"})
        assert client is not None
        await client.aclose()
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    url = httpx.URL(scope["raw_path"].decode(), query=scope["query_string"])
    headers = [(k, v) for k, v in scope["headers"] if k not in HOP_BY_HOP]
    assert client is not None
    request = client.build_request(scope["method"], url, headers=headers, content=body)
    resp = await client.send(request, stream=True)
    try:
        # Raw bytes, as the aiohttp variant (auto_decompress=False) relays them.
        payload = b"".join([chunk async for chunk in resp.aiter_raw()])
    finally:
        await resp.aclose()
    out = [(k, v) for k, v in resp.headers.raw if k.lower() not in HOP_BY_HOP]
    await send({"type": "http.response.start", "status": resp.status_code, "headers": out})
    await send({"type": "http.response.body", "body": payload})
