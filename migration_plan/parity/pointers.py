"""JSON pointers (RFC 6901) and the wildcard patterns the parity rules are written in.

A pattern is a pointer whose segments may be ``*`` (exactly one segment) or ``**`` (any number of
segments, including none): ``/items/*/id``, ``/**/updated_at``. Wildcards are whole segments only,
so a key that merely contains ``*`` never turns a pattern into a wildcard by accident.
"""

from __future__ import annotations

import re

ONE_SEGMENT = "*"
ANY_SEGMENTS = "**"

_BAD_ESCAPE = re.compile(r"~(?![01])")


def escape(segment: str) -> str:
    """Escape one key for use in a pointer: ``~`` -> ``~0``, ``/`` -> ``~1`` (order matters)."""
    if "~" in segment:
        segment = segment.replace("~", "~0")
    if "/" in segment:
        segment = segment.replace("/", "~1")
    return segment


def unescape(segment: str) -> str:
    """Undo :func:`escape` (``~1`` first would turn ``~01`` into ``/`` instead of ``~1``)."""
    return segment.replace("~1", "/").replace("~0", "~")


def split(pointer: str) -> list[str]:
    """The escaped segments of a pointer; ``""`` (the whole document) has none."""
    return pointer.split("/")[1:] if pointer else []


def join(segments: list[str]) -> str:
    """The pointer made of already-escaped segments."""
    return "".join("/" + segment for segment in segments)


def generalise_indices(pointer: str) -> str:
    """``/items/3/id`` -> ``/items/*/id``: counts per field add up over every element."""
    if not pointer.startswith("/"):
        return pointer  # status, header:<name>, body
    return join(["*" if segment.isdigit() else segment for segment in split(pointer)])


def check_pattern(pattern: str) -> str:
    """Return the pattern if it is well formed, else raise ValueError naming what is wrong."""
    if pattern and not pattern.startswith("/"):
        raise ValueError(f"pointer pattern {pattern!r} must be empty or start with '/'")
    if _BAD_ESCAPE.search(pattern):
        raise ValueError(
            f"pointer pattern {pattern!r} has a '~' not followed by 0 or 1 "
            "(write '~0' for '~' and '~1' for '/')"
        )
    for segment in split(pattern):
        if "*" in segment and segment not in (ONE_SEGMENT, ANY_SEGMENTS):
            raise ValueError(
                f"pointer pattern {pattern!r}: segment {segment!r} mixes '*' with other text; "
                "wildcards are whole segments ('*' for one, '**' for any number)"
            )
    return pattern


def pattern_regex(pattern: str) -> str:
    """Regex source matching exactly the escaped pointers the pattern stands for."""
    parts: list[str] = []
    for segment in split(pattern):
        if segment == ANY_SEGMENTS:
            parts.append("(?:/[^/]*)*")
        elif segment == ONE_SEGMENT:
            parts.append("/[^/]*")
        else:
            parts.append("/" + re.escape(segment))
    return "".join(parts)


def compile_patterns(
    patterns: tuple[str, ...] | list[str], *, subtrees: bool = False
) -> re.Pattern[str] | None:
    """One regex for a set of patterns (use ``fullmatch``); None when there are none.

    With ``subtrees`` it also matches every pointer below a match, so one ``fullmatch`` answers
    "is this pointer or any ancestor covered" (ancestors are exactly the prefixes ending before
    a ``/``). DOTALL because keys may contain newlines.
    """
    if not patterns:
        return None
    alternatives = "|".join(f"(?:{pattern_regex(p)})" for p in patterns)
    return re.compile(f"(?:{alternatives})(?:/.*)?" if subtrees else alternatives, re.DOTALL)


class PointerMatcher:
    """A compiled pattern set with a bounded memo of answers.

    Wildcard regexes backtrack (``**`` then a subtree suffix), and the same pointers recur on
    every request to an endpoint ("/items/3/id"), so remembering answers makes the hot path a
    dict lookup. The memo is cleared when full so hostile, ever-new keys cannot grow it.
    """

    __slots__ = ("regex", "_memo", "_limit")

    def __init__(self, regex: re.Pattern[str] | None, limit: int = 4096) -> None:
        self.regex = regex
        self._memo: dict[str, bool] = {}
        self._limit = limit

    def __bool__(self) -> bool:
        return self.regex is not None

    def matches(self, pointer: str) -> bool:
        answer = self._memo.get(pointer)
        if answer is None:
            answer = self.regex is not None and self.regex.fullmatch(pointer) is not None
            if len(self._memo) >= self._limit:
                self._memo.clear()
            self._memo[pointer] = answer
        return answer
