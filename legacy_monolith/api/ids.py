"""Path ids: `<int:...>` matches any digits, but only ids the database can hold can exist."""

from __future__ import annotations

from legacy_monolith.validation import MAX_ID


def storable(ident: int) -> bool:
    return 1 <= ident <= MAX_ID
