"""Bytewise comparison of bodies that are not JSON (Flask's HTML 404/405 pages, empty bodies)."""

from __future__ import annotations

from .difference import BYTES, Difference

WINDOW = 24  # bytes shown either side of the first difference


def first_difference(a: bytes, b: bytes) -> int:
    """Offset of the first differing byte (the shorter length if one is a prefix of the other)."""
    common = min(len(a), len(b))
    if a[:common] == b[:common]:
        return common
    low, high = 0, common
    # Binary search on prefix equality (slices compare in C, faster than a Python byte loop).
    # Invariant: a[:low] == b[:low] and a[:high] != b[:high].
    while high - low > 1:
        middle = (low + high) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle
    # Here a[:low] == b[:low] and a[:low + 1] != b[:low + 1].
    return low


def _excerpt(body: bytes, offset: int) -> str:
    start = max(0, offset - WINDOW)
    window = body[start : offset + WINDOW].decode("utf-8", errors="backslashreplace")
    before = "…" if start > 0 else ""
    after = "…" if offset + WINDOW < len(body) else ""
    return f"{len(body)} bytes, at {offset}: {before}{window}{after}"


def diff_bytes(legacy: bytes, extracted: bytes) -> list[Difference]:
    """One ``body``/``bytes`` difference with lengths, first differing offset and a small window."""
    if legacy == extracted:
        return []
    offset = first_difference(legacy, extracted)
    return [Difference("body", BYTES, _excerpt(legacy, offset), _excerpt(extracted, offset))]
