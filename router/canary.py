"""Sticky canary assignment by consistent hashing.

A key hashes to a bucket in [0, 10000); the request goes to the service when the bucket is below
`percent * 100`. Buckets never move, so raising the percentage only ever moves a user from legacy to
extracted, never back and forth.
"""

from __future__ import annotations

import hashlib

BUCKETS = 10_000
CLIENT_IP = "client_ip"
# A lone word that names a scheme carries no credential (`Authorization: Negotiate`); any other
# lone word is taken for a scheme-less token, which some apps send.
_SCHEMES = frozenset({"basic", "bearer", "digest", "hoba", "mutual", "negotiate", "ntlm", "token"})


def bucket(key: str) -> int:
    """Stable bucket of `key` (independent of process, seed and Python version)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def goes_to_service(key: str, percent: float) -> bool:
    return bucket(key) < percent * 100


def sticky_key(spec: str, headers: dict[str, str], client: str) -> str:
    """The key `spec` names (token, client_ip, header:<Name>, cookie:<name>); else the client.

    The key reads `<source>=<value>`; `key_source` gives back which source decided."""
    value: str | None = None
    if spec == "token":
        value = credential(headers.get("authorization", ""))
    elif spec.startswith("header:"):
        value = headers.get(spec[7:].lower()) or None
    elif spec.startswith("cookie:"):
        value = _cookie(headers.get("cookie", ""), spec[7:])
    return f"{spec}={value}" if value else f"{CLIENT_IP}={client}"


def key_source(key: str) -> str:
    """What decided a key `sticky_key` made: its spec, or `client_ip` (by choice or fallback)."""
    return key.partition("=")[0]  # no spec contains '=' (the plan's pattern forbids it)


def credential(authorization: str) -> str | None:
    """The caller's credential in an Authorization value, whatever its scheme; None if none.

    The scheme is case-insensitive (RFC 9110 section 11.1), the credential is not. A Bearer
    credential stands alone, so the buckets of callers a canary already placed never move; any
    other scheme stays part of the key (`Token abc` and `Basic abc` are different callers).
    """
    parts = authorization.split(None, 1)  # any run of whitespace, around and between
    if not parts:
        return None
    scheme, rest = parts[0], parts[1].strip() if len(parts) > 1 else ""
    if not rest:
        return None if scheme.lower() in _SCHEMES else scheme
    if scheme.lower() == "bearer":
        return rest
    return f"{scheme.lower()} {rest}"


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name and value:
            return value
    return None
