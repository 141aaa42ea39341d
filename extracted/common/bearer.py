"""The `Authorization: Bearer <token>` parse all services share, as the monolith does it."""

from __future__ import annotations


def bearer_token(header: str | None) -> str | None:
    """The token of `Bearer <token>` (scheme case-insensitive, exactly two parts), else None."""
    if not header:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]
