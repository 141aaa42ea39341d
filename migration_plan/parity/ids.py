"""ID mapping: the same entity under a different id on each side, compared as equal.

When a step creates something, each side mints its own id. Later steps use each side's own id
(per-side captures); before comparing, the extracted answer gets the legacy id substituted where
the mapped id appears: under the capture's field names (``id``, ``order_id``...) and as a whole
word in ``/error/message`` (``Order 7 is not pending``). Nothing else is touched, so a quantity
that happens to equal an id is never rewritten.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .response import ObservedResponse


@dataclass(frozen=True, slots=True)
class MappedId:
    extracted: object
    legacy: object
    fields: tuple[str, ...]


@dataclass(slots=True)
class IdMap:
    """Extracted ids mapped to legacy ids, in the order the scenario learned them."""

    entries: list[MappedId] = field(default_factory=list)

    def learn(self, legacy: object, extracted: object, fields: tuple[str, ...]) -> None:
        # Equal values are kept too: a later "same on both sides" must override an older
        # mapping of that extracted value (two PATCHes a second apart, say).
        self.entries.append(MappedId(extracted, legacy, fields))

    def __bool__(self) -> bool:
        return any(entry.legacy != entry.extracted for entry in self.entries)

    def apply(self, response: ObservedResponse) -> ObservedResponse:
        """The extracted answer with mapped ids replaced by their legacy values."""
        if not self or not response.body:
            return response
        try:
            document = json.loads(response.body)
        except ValueError:
            return response
        rewritten = self._walk(document, None)
        if rewritten == document:
            return response
        body = json.dumps(rewritten, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        return ObservedResponse(response.status, response.headers, body)

    def _walk(self, value: Any, key: str | None) -> Any:
        if isinstance(value, dict):
            out = {k: self._walk(v, k) for k, v in value.items()}
            error = out.get("error")
            if key is None and isinstance(error, dict) and isinstance(error.get("message"), str):
                error["message"] = self._message(error["message"])
            return out
        if isinstance(value, list):
            return [self._walk(item, key) for item in value]
        for entry in reversed(self.entries):  # the latest mapping of a value wins
            if key in entry.fields and type(value) is type(entry.extracted):
                if value == entry.extracted:
                    return entry.legacy
        return value

    def _message(self, text: str) -> str:
        latest = {str(entry.extracted): str(entry.legacy) for entry in self.entries}
        for extracted, legacy in latest.items():
            if extracted == legacy:
                continue
            word = re.compile(rf"(?<![\w.-]){re.escape(extracted)}(?![\w.-])")
            text = word.sub(legacy, text)
        return text
