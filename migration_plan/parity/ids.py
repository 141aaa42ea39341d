"""ID mapping: the same entity under a different id on each side, compared as equal.

When a step creates something, each side mints its own id. Later steps use each side's own id
(per-side captures); before comparing, the extracted answer gets the legacy id substituted where
the mapped id appears: under the capture's field names (``id``) in answers of the endpoints in
its scope (``/api/orders...``: an order's ``id`` is not a product's), under the capture's own
name (``order_id``) anywhere, and as a whole word in ``/error/message`` within the scope
(``Order 7 is not pending``). Nothing else is touched, so a quantity or another entity's id that
happens to equal a mapped id is never rewritten.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .response import ObservedResponse

EVERYWHERE: tuple[str, ...] = ("/",)


@dataclass(frozen=True, slots=True)
class MappedId:
    extracted: object
    legacy: object
    fields: tuple[str, ...]
    scope: tuple[str, ...] = EVERYWHERE  # path prefixes of the endpoints it applies to

    def applies_to(self, path: str) -> bool:
        return any(
            path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in self.scope
        )


def resource_of(path: str) -> tuple[str, ...]:
    """The default scope of a capture: its endpoint's first two segments (``/api/orders``)."""
    return ("/" + "/".join(path.strip("/").split("/")[:2]),)


@dataclass(slots=True)
class IdMap:
    """Extracted ids mapped to legacy ids, in the order the scenario learned them."""

    entries: list[MappedId] = field(default_factory=list)

    def learn(
        self,
        legacy: object,
        extracted: object,
        fields: tuple[str, ...],
        scope: tuple[str, ...] = EVERYWHERE,
    ) -> None:
        # Equal values are kept too: a later "same on both sides" must override an older
        # mapping of that extracted value (two PATCHes a second apart, say).
        self.entries.append(MappedId(extracted, legacy, fields, scope))

    def __bool__(self) -> bool:
        return any(entry.legacy != entry.extracted for entry in self.entries)

    def apply(self, response: ObservedResponse, path: str = "/") -> ObservedResponse:
        """The extracted answer (of an endpoint at ``path``) with mapped ids replaced."""
        entries = [entry for entry in self.entries if entry.applies_to(path)]
        if not any(e.legacy != e.extracted for e in entries) or not response.body:
            return response
        try:
            document = json.loads(response.body)
        except ValueError:
            return response
        rewritten = _walk(entries, document, None)
        if rewritten == document:
            return response
        body = json.dumps(rewritten, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        return ObservedResponse(response.status, response.headers, body)


def _walk(entries: list[MappedId], value: Any, key: str | None) -> Any:
    if isinstance(value, dict):
        out = {k: _walk(entries, v, k) for k, v in value.items()}
        error = out.get("error")
        if key is None and isinstance(error, dict) and isinstance(error.get("message"), str):
            error["message"] = _message(entries, error["message"])
        return out
    if isinstance(value, list):
        return [_walk(entries, item, key) for item in value]
    for entry in reversed(entries):  # the latest mapping of a value wins
        if key in entry.fields and type(value) is type(entry.extracted):
            if value == entry.extracted:
                return entry.legacy
    return value


def _message(entries: list[MappedId], text: str) -> str:
    # Only an entity's own id (scoped) appears in its messages ("Order 7 not found").
    latest = {str(e.extracted): str(e.legacy) for e in entries if "id" in e.fields}
    for extracted, legacy in latest.items():
        if extracted == legacy:
            continue
        word = re.compile(rf"(?<![\w.-]){re.escape(extracted)}(?![\w.-])")
        text = word.sub(legacy, text)
    return text
