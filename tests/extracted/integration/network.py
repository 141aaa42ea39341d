"""An in-process network: hosts mapped to ASGI apps, with faults a test can inject per request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

# A fault looks at a request and returns an exception to raise, a response to answer with, or
# None to let the request through.
Fault = Callable[[httpx.Request], Exception | httpx.Response | None]


@dataclass
class Network(httpx.AsyncBaseTransport):
    hosts: dict[str, httpx.AsyncBaseTransport] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    # After forwarding: a request whose answer is lost on the way back (it was applied).
    lose_answers: list[Callable[[httpx.Request], bool]] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.method, str(request.url)))
        for fault in self.faults:
            outcome = fault(request)
            if isinstance(outcome, Exception):
                raise outcome
            if isinstance(outcome, httpx.Response):
                return outcome
        transport = self.hosts.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no host {request.url.host}", request=request)
        response = await transport.handle_async_request(request)
        if any(lost(request) for lost in self.lose_answers):
            await response.aread()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    def heal(self) -> None:
        self.faults.clear()
        self.lose_answers.clear()


def path_is(method: str, suffix: str) -> Callable[[httpx.Request], bool]:
    def matches(request: httpx.Request) -> bool:
        return request.method == method and request.url.path.endswith(suffix)

    return matches


def refuse(when: Callable[[httpx.Request], bool]) -> Fault:
    """The host is down for the matching requests."""

    def fault(request: httpx.Request) -> Exception | None:
        return httpx.ConnectError("connection refused", request=request) if when(request) else None

    return fault


def answer(when: Callable[[httpx.Request], bool], status: int) -> Fault:
    def fault(request: httpx.Request) -> httpx.Response | None:
        return httpx.Response(status, request=request) if when(request) else None

    return fault
