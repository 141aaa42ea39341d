"""ID mapping: the same entity under a different id on each side, compared as equal.

When a step creates something, each side mints its own id. Later steps use each side's own id
(per-side captures); before comparing, the extracted answer gets the legacy id substituted where
the mapped id appears: under the capture's field names (``id``) in answers of the endpoints in
its scope (``/api/orders...``: an order's ``id`` is not a product's), under the capture's own
name (``order_id``) anywhere, and as a whole word in ``/error/message`` within the scope
(``Order 7 is not pending``). Nothing else is touched, so a quantity or another entity's id that
happens to equal a mapped id is never rewritten.

Mapped texts are run tokens: each side makes its own data from its own token (``{run}`` is
``l1a2b3c4`` on legacy, ``e1a2b3c4`` on extracted), so the emails, SKUs and names it echoes
differ by the token alone. In every string of the extracted answer the two tokens are swapped
(case kept: a SKU may be upper-cased), so ``parity.e1a2b3c4@x.io`` compares equal to
``parity.l1a2b3c4@x.io``, while any other difference, or the extracted side answering with
legacy's own data, still shows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .pointers import split, unescape
from .response import ObservedResponse

EVERYWHERE: tuple[str, ...] = ("/",)


@dataclass(frozen=True, slots=True)
class MappedId:
    extracted: object
    legacy: object
    fields: tuple[str, ...]
    scope: tuple[str, ...] = EVERYWHERE  # path prefixes of the endpoints it applies to
    # A value of one entity (a stamp), not an id: replaced only inside objects whose `id` is
    # this extracted id. Stamps have second resolution, so entities made a moment apart share
    # values: by value alone, a later product's mapping undid an earlier one's.
    owner: object = None

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
    texts: list[tuple[str, str]] = field(default_factory=list)  # (legacy, extracted) tokens

    def learn(
        self,
        legacy: object,
        extracted: object,
        fields: tuple[str, ...],
        scope: tuple[str, ...] = EVERYWHERE,
        owner: object = None,
    ) -> None:
        # Equal values are kept too: a later "same on both sides" must override an older
        # mapping of that extracted value (two PATCHes a second apart, say).
        self.entries.append(MappedId(extracted, legacy, fields, scope, owner))

    def learn_text(self, legacy: str, extracted: str) -> None:
        """Swap these two tokens wherever they appear in a string (any endpoint)."""
        if legacy != extracted:
            self.texts.append((legacy, extracted))

    def __bool__(self) -> bool:
        return bool(self.texts) or any(entry.legacy != entry.extracted for entry in self.entries)

    def apply(self, response: ObservedResponse, path: str = "/") -> ObservedResponse:
        """The extracted answer (of an endpoint at ``path``) with mapped ids replaced."""
        entries = [entry for entry in self.entries if entry.applies_to(path)]
        differing = any(e.legacy != e.extracted for e in entries)
        if not (differing or self.texts) or not response.body:
            return response
        try:
            document = json.loads(response.body)
        except ValueError:
            return response
        rewritten = _walk(entries, document, None, TokenSwap(self.texts), None)
        if rewritten == document:
            return response
        body = json.dumps(rewritten, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        return ObservedResponse(response.status, response.headers, body)


class TokenSwap:
    """Each mapped token replaced by the other side's, matched in any case, case kept."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._other: dict[str, str] = {}
        for legacy, extracted in pairs:
            self._other[extracted.lower()] = legacy
            self._other[legacy.lower()] = extracted
        alternatives = sorted(self._other, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)
            if alternatives
            else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        found = match.group(0)
        other = self._other[found.lower()]
        if len(other) != len(found):
            return other
        return "".join(o.upper() if f.isupper() else o for f, o in zip(found, other, strict=True))


def _walk(
    entries: list[MappedId], value: Any, key: str | None, swap: TokenSwap, owner: object
) -> Any:
    """`owner`: the (extracted) `id` of the innermost object around `value`."""
    if isinstance(value, dict):
        inner = value.get("id", owner)
        out = {k: _walk(entries, v, k, swap, inner) for k, v in value.items()}
        error = out.get("error")
        if key is None and isinstance(error, dict) and isinstance(error.get("message"), str):
            error["message"] = _message(entries, error["message"])
        return out
    if isinstance(value, list):
        return [_walk(entries, item, key, swap, owner) for item in value]
    if isinstance(value, str):
        value = swap(value)
    for entry in reversed(entries):  # the latest mapping of a value wins
        if key in entry.fields and type(value) is type(entry.extracted):
            if value == entry.extracted and (entry.owner is None or entry.owner == owner):
                return entry.legacy
    return value


def owner_of(document: Any, pointer: str) -> object:
    """The `id` beside the value at `pointer` (its entity), when that value is not an id."""
    *parents, last = [unescape(segment) for segment in split(pointer)] or [""]
    if last == "id":
        return None
    node = document
    for segment in parents:
        if isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        elif isinstance(node, dict) and segment in node:
            node = node[segment]
        else:
            return None
    return node.get("id") if isinstance(node, dict) else None


def _message(entries: list[MappedId], text: str) -> str:
    # Only an entity's own id (scoped) appears in its messages ("Order 7 not found").
    latest = {str(e.extracted): str(e.legacy) for e in entries if "id" in e.fields}
    for extracted, legacy in latest.items():
        if extracted == legacy:
            continue
        word = re.compile(rf"(?<![\w.-]){re.escape(extracted)}(?![\w.-])")
        text = word.sub(legacy, text)
    return text
