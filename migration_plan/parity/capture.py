"""Recording a corpus from a shadow path: the entry a mirror yields, and a recorder from env.

The router wires this in (``router/shadow.py``, settings ``ROUTER_CAPTURE_*`` in
``RouterSettings``): after a mirror's comparison, in the mirror task (off the user's path)::

    if self._recorder is not None and self._recorder.wants():
        self._recorder.offer(entry_from_mirror(mirror.route, mirror.method, mirror.url,
                                               mirror.headers, body, status, headers, legacy_body))

``recorder_from_env`` builds the same recorder from the environment for other hosts (None, i.e.
off, unless ``ROUTER_CAPTURE_PATH`` is set).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from .corpus import CorpusEntry, CorpusRecorder
from .response import ObservedResponse

CAPTURE_PATH = "ROUTER_CAPTURE_PATH"
CAPTURE_SAMPLE_RATE = "ROUTER_CAPTURE_SAMPLE_RATE"
CAPTURE_MAX_BYTES = "ROUTER_CAPTURE_MAX_BYTES"
DEFAULT_SAMPLE_RATE = 0.01
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def recorder_from_env(environ: Mapping[str, str]) -> CorpusRecorder | None:
    """A recorder when ``ROUTER_CAPTURE_PATH`` is set, else None (capture off)."""
    path = environ.get(CAPTURE_PATH, "").strip()
    if not path:
        return None
    try:
        rate = float(environ.get(CAPTURE_SAMPLE_RATE) or DEFAULT_SAMPLE_RATE)
        max_bytes = int(environ.get(CAPTURE_MAX_BYTES) or DEFAULT_MAX_BYTES)
    except ValueError as error:
        raise ValueError(f"{CAPTURE_SAMPLE_RATE}/{CAPTURE_MAX_BYTES}: {error}") from None
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"{CAPTURE_SAMPLE_RATE} must be between 0 and 1, got {rate}")
    return CorpusRecorder(Path(path), sample_rate=rate, max_bytes=max_bytes)


def entry_from_mirror(
    route: str,
    method: str,
    url: str,
    request_headers: Iterable[tuple[str, str]],
    request_body: bytes,
    status: int,
    response_headers: Iterable[tuple[str, str]],
    response_body: bytes,
) -> CorpusEntry:
    """A redacted corpus entry from what a shadow mirror holds (``url`` may be absolute)."""
    parts = urlsplit(url)
    headers = [(k, v) for k, v in request_headers if k.lower() != "host"]
    return CorpusEntry.capture(
        route,
        method,
        parts.path or "/",
        parse_qsl(parts.query, keep_blank_values=True),
        headers,
        request_body,
        ObservedResponse(status, dict(response_headers), response_body),
    )
