"""Discovered routes and their one spelling (pure): Flask `<int:id>` and FastAPI `{id:flaskint}`
both become `{id}`, and the methods a framework adds by itself (HEAD, OPTIONS) are dropped."""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass

from migration_plan.plan.templates import parse_route

_FLASK_PARAM = re.compile(r"<(?:[A-Za-z_][A-Za-z0-9_]*(?:\([^)]*\))?:)?([A-Za-z_][A-Za-z0-9_]*)>")
_STARLETTE_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*):[A-Za-z_][A-Za-z0-9_]*\}")
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
IGNORED_SERVICE_PATHS = ("/healthz", "/readyz", "/openapi.json", "/docs", "/redoc")
IGNORED_SERVICE_PREFIXES = ("/internal/", "/static/")


@dataclass(frozen=True, slots=True)
class DiscoveredRoute:
    """One method on one path of a real app; `raw` is the app's own spelling."""

    method: str
    path: str
    raw: str
    source: str

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return parse_route(self.route).key


def flask_path(rule: str) -> str:
    """`/api/users/<int:user_id>` -> `/api/users/{user_id}`."""
    return _FLASK_PARAM.sub(lambda m: "{" + m.group(1) + "}", rule)


def starlette_path(path: str) -> str:
    """`/api/orders/{order_id:flaskint}` -> `/api/orders/{order_id}`."""
    return _STARLETTE_PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def explicit_methods(methods: Set[str]) -> list[str]:
    """The declared methods: HEAD and OPTIONS are added by the framework unless alone."""
    chosen = sorted(m for m in methods if m not in IMPLICIT_METHODS)
    return chosen or sorted(methods)


def ignored_service_path(path: str) -> bool:
    return path in IGNORED_SERVICE_PATHS or path.startswith(IGNORED_SERVICE_PREFIXES)


def routes_of(
    source: str, rules: Sequence[tuple[str, Set[str]]], normalise: str
) -> list[DiscoveredRoute]:
    """Pure: (raw path, methods) pairs -> routes; `normalise` is 'flask' or 'starlette'."""
    found: list[DiscoveredRoute] = []
    for raw, methods in rules:
        if "<path:" in raw or ":path}" in raw:
            continue  # spans several segments: no plan template can name it
        path = flask_path(raw) if normalise == "flask" else starlette_path(raw)
        for method in explicit_methods(methods):
            try:
                parse_route(f"{method} {path}")
            except ValueError:
                continue  # e.g. /static/<path:filename>: not an API endpoint
            found.append(DiscoveredRoute(method, path, raw, source))
    return found
