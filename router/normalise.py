"""Path normalisation before matching: one spelling per path, the one the backends will act on.

Werkzeug (under gunicorn) and Starlette (under uvicorn) both percent-decode the whole path once
and route on the result. So the router does the same: decode every escape, refuse what would
decode into something ambiguous, remove dot segments (RFC 3986 section 5.2.4) and empty segments,
then re-encode canonically. It matches on that spelling and forwards exactly that spelling, so the
backend's own decoding yields the path the router decided on.

Refused (400), as Envoy's `path_with_escaped_slashes_action: REJECT_REQUEST` does: an encoded
slash or backslash (`%2F`, `%5C`; a backend would turn it into a segment boundary the router never
saw), a raw backslash, NUL and other control characters, and escapes that are not valid UTF-8
(overlong forms such as `%C0%AE` are how a decoder gets talked into a `.`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_ALLOWED = re.compile(rb"^[\x21-\x7e]*$")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
# Kept literal when re-encoding: unreserved, sub-delims, ':' and '@' (RFC 3986 `pchar`) and '/'.
_SAFE = "/!$&'()*+,;=:@-._~"


class BadPath(ValueError):
    """A request target that cannot be normalised safely."""


def _decode(raw_path: bytes) -> str:
    if not raw_path.startswith(b"/"):
        raise BadPath("the request path must start with '/'")
    if _BAD_ESCAPE.search(raw_path) or not _ALLOWED.match(raw_path):
        raise BadPath("the request path has a malformed percent-escape or a raw control byte")
    if b"\\" in raw_path:
        raise BadPath("the request path has a backslash")
    for match in _ESCAPE.finditer(raw_path):
        if match.group(1).upper() in (b"2F", b"5C"):
            raise BadPath("the request path has an encoded slash or backslash (%2F, %5C)")
    decoded = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw_path)
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPath("the request path's escapes are not valid UTF-8") from None
    if _CONTROL.search(text):
        raise BadPath("the request path has an encoded control character")
    return text


def normalise_path(raw_path: bytes) -> str:
    """Return the canonical spelling of a raw (still percent-encoded) request path."""
    decoded = _decode(raw_path)
    segments = decoded.split("/")
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
    path = "/" + "/".join(quote(segment, safe=_SAFE) for segment in output)
    if ends_with_slash and output:
        path += "/"
    return path


# The router's own namespace, compared case-insensitively and with any trailing slash: a
# spelling that only looks different must not be forwarded (with the caller's Authorization).
ADMIN_PREFIX = "/_strangler"
METRICS = "/metrics"


def is_reserved(path: str) -> bool:
    """True for a normalised path in the router's own namespace (never forwarded)."""
    folded = path.casefold()
    return (
        folded == ADMIN_PREFIX
        or folded.startswith(ADMIN_PREFIX + "/")
        or folded.rstrip("/") == METRICS
    )


def request_path(scope: Mapping[str, Any]) -> str | BadPath:
    """The normalised path of an ASGI HTTP scope, or the reason it cannot have one."""
    raw_path: bytes = scope.get("raw_path") or quote(scope["path"]).encode("ascii")
    raw_path = raw_path.split(b"?", 1)[0]  # some clients put the query in raw_path
    try:
        return normalise_path(raw_path)
    except BadPath as exc:
        return exc
