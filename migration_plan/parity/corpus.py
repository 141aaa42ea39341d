"""Capture corpus: one JSON line per sampled request and the legacy answer to it, redacted.

    {"version": 1, "at": "2026-11-27T05:00:00+00:00", "endpoint": "POST /api/auth/login",
     "method": "POST", "path": "/api/auth/login", "query": [["page", "2"]],
     "headers": {"content-type": "application/json", "authorization": "Bearer [redacted:1f0c9a2e]"},
     "body": {"json": {"email": "a@example.com", "password": "[redacted:5d41ab07]"}},
     "response": {"status": 200, "headers": {...},
                  "body": {"json": {"token": "[redacted:77e2c4f1]"}}}}

A body is ``null`` (empty), ``{"json": value}``, ``{"text": str}`` or ``{"base64": str}``.
Secrets never reach the file: the credentials of Authorization, Proxy-Authorization and X-Api-Key,
cookie values (names and Set-Cookie attributes stay, the parity engine compares those), and any
JSON field whose name looks secret (redact.SECRET_KEYS), as keyed marks (redact.py). Emails and
other personal values are kept: a replay sends these requests again and compares the answers
value by value, so a marked email would make every such request a different request. The file
is created 0600; it is test input, never printed (replay failures print redacted).
"""

from __future__ import annotations

import base64
import json
import queue
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .redact import default_redactor, secret_key_name
from .response import ObservedResponse
from .scenario import SideRequest

CORPUS_VERSION = 1
SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"}
)


class CorpusError(ValueError):
    """A corpus line that cannot be read; the message names the file and line."""


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    redactor = default_redactor()
    return {
        k.lower(): redactor.header(k, v) if k.lower() in SECRET_HEADERS or secret_key_name(k) else v
        for k, v in headers
    }


def redact_json(value: Any) -> Any:
    """Secret-named fields as marks at any depth; every other value kept for replay."""
    if isinstance(value, dict):
        return {
            key: default_redactor().mark(item) if secret_key_name(str(key)) else redact_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    return value


def encode_body(body: bytes) -> dict[str, Any] | None:
    """A body for the corpus: redacted JSON when it parses, else text, else base64."""
    if not body:
        return None
    try:
        return {"json": redact_json(json.loads(body))}
    except (ValueError, RecursionError):
        pass
    try:
        return {"text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}


def decode_body(encoded: Mapping[str, Any] | None) -> bytes:
    if not encoded:
        return b""
    if "json" in encoded:
        return json.dumps(encoded["json"], sort_keys=True, separators=(",", ":")).encode() + b"\n"
    if "text" in encoded:
        return str(encoded["text"]).encode("utf-8")
    return base64.b64decode(str(encoded["base64"]))


@dataclass(frozen=True, slots=True)
class CorpusEntry:
    """One recorded request and legacy's answer to it."""

    endpoint: str
    request: SideRequest
    response: ObservedResponse
    at: str = ""
    line: int = 0  # where it was read from (0 when built in memory)

    @classmethod
    def capture(
        cls,
        endpoint: str,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: Iterable[tuple[str, str]],
        body: bytes,
        response: ObservedResponse,
    ) -> CorpusEntry:
        """An entry with secrets already redacted (what a recorder writes)."""
        request = SideRequest(
            method=method,
            path=path,
            query=tuple(query),
            headers=tuple(sorted(redact_headers(headers).items())),
            body=decode_body(encode_body(body)),
        )
        redacted = ObservedResponse(
            response.status,
            redact_headers(response.headers.items()),
            decode_body(encode_body(response.body)),
        )
        return cls(endpoint, request, redacted, datetime.now(UTC).isoformat(timespec="seconds"))

    def to_line(self) -> str:
        document = {
            "version": CORPUS_VERSION,
            "at": self.at,
            "endpoint": self.endpoint,
            "method": self.request.method,
            "path": self.request.path,
            "query": [list(pair) for pair in self.request.query],
            "headers": redact_headers(self.request.headers),
            "body": encode_body(self.request.body),
            "response": {
                "status": self.response.status,
                "headers": redact_headers(self.response.headers.items()),
                "body": encode_body(self.response.body),
            },
        }
        return json.dumps(document, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_line(cls, text: str, where: str = "<corpus>", line: int = 0) -> CorpusEntry:
        try:
            document = json.loads(text)
            if document.get("version") != CORPUS_VERSION:
                raise ValueError(f"version {document.get('version')!r}, expected 1")
            answer = document["response"]
            return cls(
                endpoint=str(document["endpoint"]),
                request=SideRequest(
                    method=str(document["method"]),
                    path=str(document["path"]),
                    query=tuple((str(k), str(v)) for k, v in document.get("query", [])),
                    headers=tuple((str(k), str(v)) for k, v in document["headers"].items()),
                    body=decode_body(document.get("body")),
                ),
                response=ObservedResponse(
                    int(answer["status"]),
                    {str(k): str(v) for k, v in answer.get("headers", {}).items()},
                    decode_body(answer.get("body")),
                ),
                at=str(document.get("at", "")),
                line=line,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise CorpusError(f"{where}:{line}: not a corpus entry ({error})") from None


def read_corpus(path: Path) -> Iterator[CorpusEntry]:
    """Entries in file order; blank lines are skipped, a bad line is a CorpusError."""
    with path.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, start=1):
            if text.strip():
                yield CorpusEntry.from_line(text, str(path), number)


class CorpusRecorder:
    """Appends sampled entries to a JSONL file from a writer thread, never on the caller's path.

    ``offer`` is cheap and never blocks: past the sample rate, a full queue, or ``max_bytes``
    written, the entry is dropped and counted.
    """

    def __init__(
        self,
        path: Path,
        *,
        sample_rate: float = 0.01,
        max_bytes: int = 64 * 1024 * 1024,
        queue_size: int = 1024,
        sample: Callable[[], float] = random.random,
    ) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"capture sample rate must be in [0, 1], got {sample_rate}")
        self.path = path
        self.sample_rate = sample_rate
        self.max_bytes = max_bytes
        self._sample = sample
        self._queue: queue.Queue[CorpusEntry | None] = queue.Queue(maxsize=queue_size)
        self.recorded = 0
        self.dropped = 0
        self._written = path.stat().st_size if path.exists() else 0
        self._thread: threading.Thread | None = None

    def wants(self) -> bool:
        """Whether to capture the next request (decide before copying anything)."""
        if self.sample_rate <= 0.0 or self._written >= self.max_bytes:
            return False
        return self.sample_rate >= 1.0 or self._sample() < self.sample_rate

    def offer(self, entry: CorpusEntry) -> bool:
        if self._thread is None:
            self._thread = threading.Thread(target=self._write, name="corpus", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1
            return False
        return True

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600, exist_ok=True)  # real requests: readable by the stack only
        with self.path.open("a", encoding="utf-8") as out:
            while (entry := self._queue.get()) is not None:
                line = entry.to_line() + "\n"
                size = len(line.encode("utf-8"))
                if self._written + size > self.max_bytes:
                    self.dropped += 1
                    continue
                out.write(line)
                out.flush()
                self._written += size
                self.recorded += 1

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
