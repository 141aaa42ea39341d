"""One side's answer to a request, as the comparison engine sees it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ObservedResponse:
    """Status, headers (any case) and raw body; the engine never mutates or re-reads anything."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def from_json(
        cls, status: int, payload: object, headers: Mapping[str, str] | None = None
    ) -> ObservedResponse:
        """A JSON answer rendered as Flask's default provider does (sorted, compact, newline)."""
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        merged = {"Content-Type": "application/json"}
        if headers:
            # Caller's headers win, whatever case they spell the name in.
            lowered = {name.lower() for name in headers}
            merged = {k: v for k, v in merged.items() if k.lower() not in lowered}
            merged.update(headers)
        return cls(status=status, headers=merged, body=body)
