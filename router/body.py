"""The request body as a capped stream read from ASGI `receive`, optionally teed for a mirror."""

from __future__ import annotations

from collections.abc import AsyncIterator

from router.shadow import BodyTee
from router.types import Receive


class BodyTooLarge(Exception):
    """The body passed the router's size cap while streaming."""


class BodyTimeout(Exception):
    """The body did not arrive within the router's body deadline."""


class ClientDisconnected(Exception):
    """The client went away before its body was read."""


class RequestBody:
    """Reads the ASGI body once, enforcing `limit`; the first failure is kept in `error`."""

    def __init__(self, receive: Receive, limit: int, tee: BodyTee | None = None) -> None:
        self._receive = receive
        self._limit = limit
        self._tee = tee
        self._size = 0
        self.error: Exception | None = None

    async def stream(self) -> AsyncIterator[bytes]:
        try:
            while True:
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnected()
                chunk: bytes = message.get("body", b"")
                self._size += len(chunk)
                if self._size > self._limit:
                    raise BodyTooLarge()
                if self._tee is not None:
                    self._tee.feed(chunk)
                if chunk:
                    yield chunk
                if not message.get("more_body", False):
                    break
        except (BodyTooLarge, ClientDisconnected) as exc:
            self.error = exc
            if self._tee is not None:
                self._tee.abort()
            raise
        if self._tee is not None:
            self._tee.finish()

    async def read(self) -> bytes:
        """The whole body (used only where it must be replayed, and always under the cap)."""
        return b"".join([chunk async for chunk in self.stream()])
