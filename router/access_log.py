"""Structured JSON access log (structlog): one line per request, built after the response."""

from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO

import structlog


class AccessLog(Protocol):
    def info(self, event: str, **fields: Any) -> Any: ...

    def warning(self, event: str, **fields: Any) -> Any: ...


def make_access_log(stream: TextIO | None = None) -> AccessLog:
    """A logger that writes `{"event": "request", ...}` lines to `stream` (stdout by default)."""
    logger: AccessLog = structlog.wrap_logger(
        structlog.WriteLogger(stream or sys.stdout),
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
