"""Production forwarder: one aiohttp ClientSession, pooled keep-alive, streamed bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from router.forwarding import (
    UpstreamConnectError,
    UpstreamError,
    UpstreamRequest,
    UpstreamResponse,
    UpstreamTimeout,
)
from router.types import Headers

# aiohttp would add these on its own; a proxy sends exactly what the client sent.
_SKIP_AUTO = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


@lru_cache(maxsize=64)
def _timeout(connect: float, read: float) -> aiohttp.ClientTimeout:
    """One timeout object per distinct (connect, read) pair: upstreams have a handful."""
    return aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read)


class _AiohttpResponse:
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.headers: Headers = [
            (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in response.raw_headers
        ]

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except TimeoutError as exc:
            raise UpstreamTimeout("timed out reading the response body") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamError(f"response body failed: {exc!r}") from exc

    async def aclose(self) -> None:
        self._response.release()


class AiohttpForwarder:
    """Forwarder over one shared aiohttp ClientSession (created in `start`, not at import)."""

    def __init__(self, pool_size: int = 256, connect_timeout: float = 3.0) -> None:
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._pool_size, limit_per_host=0, keepalive_timeout=30, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                skip_auto_headers=_SKIP_AUTO,
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        if self._session is None:  # served without a lifespan (uvicorn --lifespan off)
            await self.start()
        assert self._session is not None
        timeout = _timeout(min(self._connect_timeout, request.timeout), request.timeout)
        try:
            response = await self._session.request(
                request.method,
                URL(request.url, encoded=True),  # already normalised: do not re-quote
                headers=CIMultiDict(request.headers),
                data=request.body,
                allow_redirects=False,
                timeout=timeout,
                compress=None,
                auto_decompress=False,
            )
        except aiohttp.ClientConnectorError as exc:
            raise UpstreamConnectError(f"cannot connect to {request.url}: {exc.os_error}") from exc
        except TimeoutError as exc:
            raise UpstreamTimeout(f"{request.url} did not answer in {request.timeout}s") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamError(f"{request.url} failed: {exc!r}") from exc
        return _AiohttpResponse(response)
