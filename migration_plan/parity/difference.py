"""What a comparison finds: one Difference per mismatch, and the Comparison that groups them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final


class _Missing:
    """The value on a side that has nothing at a path (distinct from JSON null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

# Difference.kind values.
VALUE: Final = "value"
TYPE: Final = "type"
MISSING_KIND: Final = "missing"
EXTRA: Final = "extra"
STATUS: Final = "status"
HEADER: Final = "header"
BYTES: Final = "bytes"
LENGTH: Final = "length"

MAX_RENDERED = 60


def render(value: object, limit: int = MAX_RENDERED) -> str:
    """A value as JSON for humans, cut short so one huge field cannot flood a log line."""
    if value is MISSING:
        return "<missing>"
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


@dataclass(frozen=True, slots=True)
class Difference:
    """One mismatch: where (a JSON pointer, status, header:<name> or body), kind, both values."""

    path: str
    kind: str
    legacy: object
    extracted: object

    def __str__(self) -> str:
        where = self.path if self.path else "(root)"
        if self.kind in (MISSING_KIND, EXTRA, TYPE, LENGTH):
            return f"{where}: {render(self.legacy)} != {render(self.extracted)} ({self.kind})"
        return f"{where}: {render(self.legacy)} != {render(self.extracted)}"


@dataclass(frozen=True, slots=True)
class Explained:
    """A place where the answers differ in spelling and a plan rule says they agree."""

    path: str
    rule: str  # ignore, timestamps, equivalent, unordered, numeric_tolerance, noise
    pattern: str = ""  # the rule's pointer pattern as the plan wrote it, when it has one

    def __str__(self) -> str:
        how = f"{self.rule} {self.pattern}" if self.pattern else self.rule
        return f"{self.path or '(root)'}: explained by {how}"


SUMMARY_LINES = 20


@dataclass(frozen=True, slots=True)
class Comparison:
    """Real differences, and those explained by learned noise (kept apart, for counting)."""

    differences: tuple[Difference, ...]
    noise: tuple[Difference, ...] = ()
    explained: tuple[Explained, ...] = ()  # what the plan's rules explained (noise included)

    @property
    def matched(self) -> bool:
        return not self.differences

    def summary(self, max_lines: int = SUMMARY_LINES) -> str:
        """A short multi-line diff: a headline, then at most ``max_lines`` differences."""
        noise = f", {len(self.noise)} explained by noise" if self.noise else ""
        if self.matched:
            return f"match{noise}"
        count = len(self.differences)
        lines = [f"{count} difference{'s' if count != 1 else ''}{noise}"]
        lines += [f"  {difference}" for difference in self.differences[:max_lines]]
        if count > max_lines:
            lines.append(f"  … and {count - max_lines} more")
        return "\n".join(lines)
