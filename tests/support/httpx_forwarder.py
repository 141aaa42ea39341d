"""Test forwarder on httpx: give it a transport (ASGITransport, WSGITransport, MockTransport).

Kept out of router/ so it does not ship: measured about three times slower than aiohttp there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from router.forwarding import (
    UpstreamConnectError,
    UpstreamError,
    UpstreamRequest,
    UpstreamResponse,
    UpstreamTimeout,
)
from router.types import Headers


class _HttpxResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.headers: Headers = [
            (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in response.headers.raw
        ]

    async def chunks(self) -> AsyncIterator[bytes]:
        if self._response.is_stream_consumed:  # built in memory (MockTransport handlers)
            if self._response.content:
                yield self._response.content
            return
        try:
            async for chunk in self._response.aiter_raw():
                yield chunk
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout("timed out reading the response body") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"response body failed: {exc!r}") from exc

    async def aclose(self) -> None:
        await self._response.aclose()


class HttpxForwarder:
    """Forwarder over an httpx.AsyncClient; pass `transport` (or a whole `client`) in tests."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._transport = transport
        self._client = client
        self._owns_client = client is None

    async def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, follow_redirects=False)

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        if self._client is None:
            await self.start()
        assert self._client is not None
        # Built directly (not client.build_request) so the client's default headers are not added.
        outgoing = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.body,
            extensions={"timeout": httpx.Timeout(request.timeout).as_dict()},
        )
        try:
            response = await self._client.send(outgoing, stream=True)
        except httpx.ConnectError as exc:
            raise UpstreamConnectError(f"cannot connect to {request.url}: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"{request.url} did not answer in {request.timeout}s") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"{request.url} failed: {exc!r}") from exc
        return _HttpxResponse(response)
