"""Route templates: `METHOD /path/{param}`, where `{name}` stands for exactly one path segment."""

from __future__ import annotations

import re
from dataclasses import dataclass

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # RFC 9110 9.2.1: they change nothing
_LITERAL = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@-]+$")
_PARAM = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")


@dataclass(frozen=True, slots=True)
class Param:
    """A `{name}` segment."""

    name: str


Segment = str | Param


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    """A parsed route: method plus path segments."""

    method: str
    path: str
    segments: tuple[Segment, ...]

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """Identity for duplicate detection: parameter names do not make two routes different."""
        return self.method, tuple("{}" if isinstance(s, Param) else s for s in self.segments)

    @property
    def is_static(self) -> bool:
        return not any(isinstance(s, Param) for s in self.segments)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def parse_route(route: str) -> RouteTemplate:
    """Parse `GET /api/products/{id}`; raise ValueError saying what is wrong."""
    parts = route.split(" ")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise ValueError(f"{route!r} must be 'METHOD /path', e.g. 'GET /api/products/{{id}}'")
    method, path = parts
    if method not in METHODS:
        raise ValueError(f"{route!r}: method {method!r} is not one of {', '.join(METHODS)}")
    if not path.startswith("/"):
        raise ValueError(f"{route!r}: the path must start with '/'")
    if path == "/":
        return RouteTemplate(method, path, ())
    if path.endswith("/"):
        raise ValueError(f"{route!r}: the path must not end with '/'")
    segments: list[Segment] = []
    names: set[str] = set()
    for raw in path[1:].split("/"):
        if raw == "":
            raise ValueError(f"{route!r}: empty path segment ('//')")
        param = _PARAM.match(raw)
        if param:
            name = param.group(1)
            if name in names:
                raise ValueError(f"{route!r}: parameter {{{name}}} appears twice")
            names.add(name)
            segments.append(Param(name))
        elif raw in (".", "..") or not _LITERAL.match(raw):
            raise ValueError(
                f"{route!r}: segment {raw!r} must be plain characters or a whole '{{name}}'"
            )
        else:
            segments.append(raw)
    return RouteTemplate(method, path, tuple(segments))
