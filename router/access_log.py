"""Structured JSON access log (structlog): one line per request, built after the response."""

from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO

import structlog


class AccessLog(Protocol):
    def info(self, event: str, **fields: Any) -> Any: ...

    def warning(self, event: str, **fields: Any) -> Any: ...


class LineWriter:
    """structlog's WriteLogger flushes every line (a syscall per request); this one leaves
    flushing to the stream's buffer and to the router, which flushes on a timer and at shutdown."""

    def __init__(self, stream: TextIO) -> None:
        self._write = stream.write

    def msg(self, message: str) -> None:
        self._write(message + "\n")

    info = warning = error = msg


def make_access_log(stream: TextIO | None = None) -> AccessLog:
    """A logger that writes `{"event": "request", ...}` lines to `stream` (stdout by default)."""
    logger: AccessLog = structlog.wrap_logger(
        LineWriter(stream or sys.stdout),
        processors=[
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
            structlog.processors.JSONRenderer(),
        ],
        cache_logger_on_first_use=True,
    )
    return logger


def make_event_log(stream: TextIO | None = None) -> AccessLog:
    """Operational events (plan reloads, flips, failures) in the same JSON shape, on stderr."""
    logger: AccessLog = structlog.wrap_logger(
        structlog.WriteLogger(stream or sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
            structlog.processors.JSONRenderer(),
        ],
    )
    return logger
