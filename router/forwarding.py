"""The forwarding seam: the router speaks to backends only through this small protocol.

Production uses `AiohttpForwarder` (router/aiohttp_forwarder.py); tests may use `HttpxForwarder`
(tests/support/httpx_forwarder.py, not shipped) over in-process apps. Both pass the same
conformance suite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from router.types import Headers


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """One request to a backend; `body` is streamed (an async iterator) or given whole."""

    method: str
    url: str  # base URL + normalised path + query string
    headers: Headers = field(default_factory=list)
    body: AsyncIterator[bytes] | bytes | None = None
    timeout: float = 10.0  # seconds: connect, and each wait for the backend


class UpstreamResponse(Protocol):
    """A backend's answer whose body has not been read yet."""

    status: int
    headers: Headers  # lower-case names, duplicates kept, as received

    def chunks(self) -> AsyncIterator[bytes]:
        """The raw body (content-encoding untouched), as it arrives."""
        ...

    async def aclose(self) -> None:
        """Release the connection; safe to call twice."""
        ...


class Forwarder(Protocol):
    """Sends requests to backends."""

    async def start(self) -> None:
        """Open pools and clients (called on ASGI lifespan startup)."""
        ...

    async def aclose(self) -> None:
        """Close everything `start` opened."""
        ...

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        """Send and return once the status and headers arrived; raise UpstreamError on failure."""
        ...


class UpstreamError(Exception):
    """The backend could not be reached or did not answer properly."""

    kind = "protocol"
    status = 502


class UpstreamConnectError(UpstreamError):
    kind = "connect"
    status = 502


class UpstreamTimeout(UpstreamError):
    kind = "timeout"
    status = 504
