"""Path normalisation before matching: one spelling per path, so none reaches another backend.

Percent-decode unreserved characters only (RFC 3986 section 6.2.2.2), upper-case the hex of what
stays encoded, collapse repeated slashes, and remove dot segments (section 5.2.4). `%2F` stays
encoded, so it never becomes a segment boundary.
"""

from __future__ import annotations

import re

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_ALLOWED = re.compile(rb"^[\x21-\x7e]*$")


class BadPath(ValueError):
    """A request target that cannot be normalised safely."""


def _decode_unreserved(match: re.Match[bytes]) -> bytes:
    byte = int(match.group(1), 16)
    return bytes([byte]) if byte in _UNRESERVED else b"%" + match.group(1).upper()


def normalise_path(raw_path: bytes) -> str:
    """Return the canonical spelling of a raw (still percent-encoded) request path."""
    if not raw_path.startswith(b"/"):
        raise BadPath("the request path must start with '/'")
    if _BAD_ESCAPE.search(raw_path) or not _ALLOWED.match(raw_path):
        raise BadPath("the request path has a malformed percent-escape or a raw control byte")
    decoded = _ESCAPE.sub(_decode_unreserved, raw_path).decode("ascii")
    segments = [s for s in decoded.split("/")]
    ends_with_slash = decoded.endswith("/") or segments[-1] in (".", "..")
    output: list[str] = []
    for segment in segments:
        if segment in ("", "."):
            continue
        if segment == "..":
            if output:
                output.pop()
            continue
        output.append(segment)
    path = "/" + "/".join(output)
    if ends_with_slash and output:
        path += "/"
    return path
