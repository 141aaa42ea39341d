"""Calling another service over HTTP: one shared httpx.AsyncClient, timeouts always, retries only
for idempotent calls, and every failure turned into the contract's 503."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from extracted.common.responses import ApiError, unavailable

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
DRY_RUN_HEADER = "X-Strangler-Shadow"


def make_client(
    timeout_seconds: float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The pooled client a service keeps for its life (opened on startup, closed on shutdown)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds),
        transport=transport,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


class UpstreamService:
    """One dependency, by name and base URL: `await products.call("PUT", "/internal/...")`."""

    def __init__(
        self,
        name: str,
        base_url: str,
        client: httpx.AsyncClient,
        retries: int = 2,
        attempt_timeout: float | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.retries = retries
        # httpx's timeout bounds each phase (connect, each read...), so a slow drip can outlast it;
        # this bounds a whole attempt, and also holds for transports that ignore httpx timeouts.
        self.attempt_timeout = attempt_timeout

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send; retry transport errors and 5xx only when the method is idempotent.

        `idempotent=True` marks a POST that is idempotent by design (e.g. keyed by an id in the
        path) as safe to retry. Anything still failing is `503 service_unavailable` naming this
        dependency.
        """
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT
        attempts = 1 + (self.retries if idempotent else 0)
        for attempt in range(attempts):
            try:
                async with asyncio.timeout(self.attempt_timeout):
                    response = await self.client.request(
                        method, self.base_url + path, json=json, headers=headers
                    )
            except (httpx.TransportError, TimeoutError):  # timeouts, refused connections, pipes
                if attempt + 1 < attempts:
                    await asyncio.sleep(0.05 * 2**attempt)
                    continue
                raise self.down() from None
            if response.status_code >= 500:
                if attempt + 1 < attempts:
                    await asyncio.sleep(0.05 * 2**attempt)
                    continue
                raise self.down()
            return response
        raise self.down()  # pragma: no cover - the loop always returns or raises

    def down(self) -> ApiError:
        return unavailable(f"{self.name} service")
