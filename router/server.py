"""uvicorn's httptools protocol with the edge limits nginx has: request line, headers, header time.

uvicorn accepts any number and size of headers and waits for them without limit; the router is the
edge, so it refuses before the request becomes an ASGI call: 414 for a long request line, 431 for
too many or too large headers, 408 when the head does not arrive within the header timeout.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from router.settings import RouterSettings

# Room for the method, version and CRLFs around the counted URL and header bytes.
_HEAD_SLACK = 1024


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing; the status is on the protocol."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that counts the request head as it arrives and times its reading."""

    limits: RouterSettings | None = None  # set by `protocol_for`; None reads the environment

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = self.limits or _settings_from_environment()
        self._max_line = settings.max_request_line_bytes
        self._max_header_bytes = settings.max_header_bytes
        self._max_headers = settings.max_headers
        self._header_timeout = settings.header_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = False
        self._url_bytes = 0
        self._header_bytes = 0
        self._head_received = 0
        self._header_count = 0
        self._refusal: tuple[int, str] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head()  # a connection that never sends a byte is held only this long

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return  # already answered; the transport is closing
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(*self._refusal)
                return
            self._stop_head_timer()
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        # httptools hands over a header only once its value ends, so one endless header would
        # be buffered whole: count the raw bytes of an unfinished head as well (may overcount
        # by the tail of a pipelined previous request, which only makes the guard earlier).
        if self._in_head:
            self._head_received += len(data)
            if self._head_received > self._max_line + self._max_header_bytes + _HEAD_SLACK:
                self._refuse(431, "Request header fields too large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head()

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self._max_line:
            self._refusal = (414, "URI too long")
            raise _Refused()
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._header_bytes += len(name) + len(value) + 4  # ": " and CRLF, as on the wire
        if self._header_count > self._max_headers or self._header_bytes > self._max_header_bytes:
            self._refusal = (431, "Request header fields too large")
            raise _Refused()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_head_timer()
        if not self.url.startswith(b"/") and self.url != b"*":
            self._take_authority_from_target()
        super().on_headers_complete()

    def _take_authority_from_target(self) -> None:
        """RFC 9112 section 3.2.2: an absolute-form target's authority is the request's host and
        any Host header is ignored, so the backends and X-Forwarded-Host see that authority."""
        try:
            target = httptools.parse_url(self.url)
        except httptools.HttpParserInvalidURLError:
            target = None
        if target is None or target.schema not in (b"http", b"https") or not target.host:
            self._refusal = (400, "The request target is neither a path nor an http(s) URL")
            raise _Refused()
        if b"@" in self.url.split(b"/", 3)[2]:
            self._refusal = (400, "The request target carries userinfo")
            raise _Refused()
        if sum(name == b"host" for name, _ in self.headers) > 1:
            return  # two Host headers stay ambiguous: the app refuses them with 400
        authority = target.host if target.port is None else b"%s:%d" % (target.host, target.port)
        self.headers[:] = [(n, v) for n, v in self.headers if n != b"host"]
        self.headers.append((b"host", authority))

    def _start_head(self) -> None:
        self._in_head = True
        self._url_bytes = self._header_bytes = self._head_received = self._header_count = 0
        if self._head_timer is None and self._header_timeout > 0:
            self._head_timer = self.loop.call_later(self._header_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self._refuse(408, "Request header timeout")

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` outside ASGI and close: the parser's state is no longer usable."""
        self._refusal = (status, message)
        self._stop_head_timer()
        body = message.encode("ascii")
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(head))
        self.transport.close()


@cache
def _settings_from_environment() -> RouterSettings:
    # Read once per worker process, not once per connection.
    return RouterSettings()


def protocol_for(settings: RouterSettings) -> type[LimitedHttpToolsProtocol]:
    """A protocol class bound to `settings` (uvicorn builds one instance per connection).

    In-process servers only: worker processes cannot receive a class made at run time, so
    `--workers` passes `LimitedHttpToolsProtocol`, which reads ROUTER_* in each worker.
    """
    return type("RouterHttpProtocol", (LimitedHttpToolsProtocol,), {"limits": settings})
