"""What a comparison finds: one Difference per mismatch, and the Comparison that groups them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Final

from .redact import default_redactor


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


def render(
    value: object, limit: int = MAX_RENDERED, *, at: str = "", sensitive: bool = False
) -> str:
    """A value as JSON for humans, redacted as found at ``at`` (a pointer, ``header:<name>``,
    ``body`` or ``status``; see redact.py), cut short so one huge field cannot flood a log line.
    The one way a difference's values are printed, so none is ever printed raw."""
    if value is MISSING:
        return "<missing>"
    value = _redacted(value, at, sensitive)
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _redacted(value: object, at: str, sensitive: bool) -> object:
    redactor = default_redactor()
    if at.startswith("header:"):
        return redactor.header(at[len("header:") :], value) if isinstance(value, str) else value
    if at == "status":
        return value
    if at == "body":  # a bytes diff's excerpt: free text
        return redactor.text(value) if isinstance(value, str) else value
    return redactor.at(at, value, sensitive)


@dataclass(frozen=True, slots=True)
class Difference:
    """One mismatch: where (a JSON pointer, status, header:<name> or body), kind, both values."""

    path: str
    kind: str
    legacy: object
    extracted: object
    # The plan marks this place sensitive: both values print as marks (still compared raw).
    sensitive: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        # A key can be personal too (answers keyed by email): the place is redacted as text.
        where = default_redactor().text(self.path) if self.path else "(root)"
        legacy = render(self.legacy, at=self.path, sensitive=self.sensitive)
        extracted = render(self.extracted, at=self.path, sensitive=self.sensitive)
        if self.kind in (MISSING_KIND, EXTRA, TYPE, LENGTH):
            return f"{where}: {legacy} != {extracted} ({self.kind})"
        return f"{where}: {legacy} != {extracted}"


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
