"""Sticky canary assignment by consistent hashing.

A key hashes to a bucket in [0, 10000); the request goes to the service when the bucket is below
`percent * 100`. Buckets never move, so raising the percentage only ever moves a user from legacy to
extracted, never back and forth.
"""

from __future__ import annotations

import hashlib

BUCKETS = 10_000


def bucket(key: str) -> int:
    """Stable bucket of `key` (independent of process, seed and Python version)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def goes_to_service(key: str, percent: float) -> bool:
    return bucket(key) < percent * 100


def sticky_key(spec: str, headers: dict[str, str], client: str) -> str:
    """The key `spec` names (token, client_ip, header:<Name>, cookie:<name>); else the client."""
    value: str | None = None
    if spec == "token":
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        value = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    elif spec.startswith("header:"):
        value = headers.get(spec[7:].lower()) or None
    elif spec.startswith("cookie:"):
        value = _cookie(headers.get("cookie", ""), spec[7:])
    return f"{spec}={value}" if value else f"client_ip={client}"


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name and value:
            return value
    return None
