"""Header comparison over an allow-list: names case-insensitive, ``Allow`` as a set of methods,
``Set-Cookie`` as the set of cookies it sets with their attributes (the values are per-session
secrets each side mints for itself)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .difference import HEADER, MISSING, Difference

# Headers whose value is a comma-separated set: Flask builds Allow from a set, so order varies.
SET_VALUED = frozenset({"allow"})
# Headers whose whole value is case-insensitive (media types and charset names are, RFC 9110).
CASELESS = frozenset({"content-type"})


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


# Cookies arrive one per line (the router) or joined by ", " (httpx); a date has ", " too, so a
# split point is ", " followed by the next cookie's name and "=".
_COOKIE_SPLIT = re.compile(r"\n|,\s*(?=[!#$%&'*+\-.^_`|~0-9A-Za-z]+=)")


def _cookies(value: str) -> frozenset[tuple[str, frozenset[str]]]:
    cookies = set()
    for cookie in _COOKIE_SPLIT.split(value):
        first, *attributes = (part.strip() for part in cookie.split(";"))
        if not first:
            continue
        name = first.split("=", 1)[0]
        # Expires moves with the clock; Max-Age says the same thing steadily.
        kept = {a.lower() for a in attributes if a and not a.lower().startswith("expires=")}
        cookies.add((name, frozenset(kept)))
    return frozenset(cookies)


def _normalised(name: str, value: str) -> object:
    if name == "set-cookie":
        return _cookies(value)
    if name in SET_VALUED:
        return frozenset(part.strip().upper() for part in value.split(",") if part.strip())
    # Only spacing around parameters is insignificant ("text/html;charset=utf-8"); case is kept
    # except where the header's grammar says it does not matter.
    value = ";".join(part.strip() for part in value.split(";"))
    return value.lower() if name in CASELESS else value


def _shown(name: str, value: str) -> object:
    if name == "set-cookie":
        return "; ".join(sorted(f"{n} [{' '.join(sorted(a))}]" for n, a in _cookies(value)))
    if name in SET_VALUED:
        return ", ".join(sorted(part.strip().upper() for part in value.split(",") if part.strip()))
    return value


def compare_headers(
    legacy: Mapping[str, str], extracted: Mapping[str, str], names: tuple[str, ...]
) -> list[Difference]:
    """Differences in the allow-listed headers (``names`` already lower-cased)."""
    if not names:
        return []
    left, right = _lowered(legacy), _lowered(extracted)
    found: list[Difference] = []
    for name in names:
        a, b = left.get(name), right.get(name)
        if a is None and b is None:
            continue
        if a is None or b is None:
            found.append(
                Difference(
                    f"header:{name}",
                    HEADER,
                    MISSING if a is None else _shown(name, a),
                    MISSING if b is None else _shown(name, b),
                )
            )
        elif _normalised(name, a) != _normalised(name, b):
            found.append(Difference(f"header:{name}", HEADER, _shown(name, a), _shown(name, b)))
    return found
