"""Sides: where a rendered request goes. Legacy and extracted, in-process or over HTTP."""

from __future__ import annotations

from typing import Protocol

import httpx

from migration_plan.plan import Endpoint

from .response import ObservedResponse
from .scenario import SideRequest

# Hop-by-hop and transport headers that say nothing about the contract.
_DROPPED = frozenset({"content-length", "date", "server", "connection", "transfer-encoding"})


class Side(Protocol):
    """One implementation of the contract. ``endpoint`` says which plan route is exercised."""

    name: str

    def send(self, request: SideRequest, endpoint: Endpoint) -> ObservedResponse: ...

    def close(self) -> None: ...


def observed(response: httpx.Response) -> ObservedResponse:
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _DROPPED}
    return ObservedResponse(response.status_code, headers, response.content)


def build(
    client: httpx.Client | httpx.AsyncClient, request: SideRequest, base: str = ""
) -> httpx.Request:
    return client.build_request(
        request.method,
        base + request.path,
        params=list(request.query) or None,
        headers=list(request.headers),
        content=request.body or None,
    )


class HttpSide:
    """A side behind a base URL (staging: the router with everything forced to one side)."""

    def __init__(self, name: str, base_url: str, *, timeout: float = 30.0) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout)

    def send(self, request: SideRequest, endpoint: Endpoint) -> ObservedResponse:
        return observed(self._client.send(build(self._client, request)))

    def close(self) -> None:
        self._client.close()


class ClientSide:
    """A side answered through any sync ``httpx.Client`` (a WSGITransport over the monolith)."""

    def __init__(self, name: str, client: httpx.Client) -> None:
        self.name = name
        self._client = client

    def send(self, request: SideRequest, endpoint: Endpoint) -> ObservedResponse:
        return observed(self._client.send(build(self._client, request)))

    def close(self) -> None:
        self._client.close()
