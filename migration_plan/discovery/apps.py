"""Build the real apps and read their route tables (the I/O edge of discovery).

The monolith is built with a throwaway SQLite URL (nothing connects: its factory is lazy); each
service is built with its own factory and settings, whose engines are lazy too.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from migration_plan.discovery.routes import DiscoveredRoute, ignored_service_path, routes_of
from migration_plan.stack.components import SERVICES

MONOLITH = "monolith"


def monolith_routes() -> list[DiscoveredRoute]:
    """Every endpoint of the monolith's Flask `url_map` (static files left out)."""
    from legacy_monolith.app import create_app

    with tempfile.TemporaryDirectory(prefix="strangler-discover-") as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{Path(tmp) / 'discover.db'}"})
        rules = [
            (rule.rule, set(rule.methods or ()))
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
        ]
    return routes_of(MONOLITH, rules, "flask")


def service_routes(name: str) -> list[DiscoveredRoute]:
    """The public endpoints of one extracted service (`auth`, `products`, `orders`)."""
    service = next((s for s in SERVICES if s.name == name), None)
    if service is None:
        known = ", ".join(s.name for s in SERVICES)
        raise LookupError(f"no extracted service named {name!r} (known: {known})")
    module = importlib.import_module(f"{service.package}.app")
    with _scratch_var_dir():
        app = module.create_app()
    rules = [(path, methods) for path, methods in _walk(app.routes, "")]
    public = [(p, m) for p, m in rules if not ignored_service_path(p)]
    return routes_of(service.name, public, "starlette")


@contextlib.contextmanager
def _scratch_var_dir() -> Iterator[None]:
    """Services' factories prepare their SQLite folder under STRANGLER_VAR_DIR (engines stay lazy):
    point it at a throwaway folder so discovery leaves nothing behind."""
    before = os.environ.get("STRANGLER_VAR_DIR")
    with tempfile.TemporaryDirectory(prefix="strangler-discover-") as tmp:
        os.environ["STRANGLER_VAR_DIR"] = tmp
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("STRANGLER_VAR_DIR", None)
            else:
                os.environ["STRANGLER_VAR_DIR"] = before


def all_service_routes() -> dict[str, list[DiscoveredRoute]]:
    return {s.name: service_routes(s.name) for s in SERVICES}


def _walk(routes: Iterable[Any], prefix: str) -> Iterable[tuple[str, set[str]]]:
    """Plain routes, mounts and (newer FastAPI) included routers, with their prefixes."""
    for route in routes:
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", None)
        if methods and isinstance(path, str):
            yield prefix + path, set(methods)
            continue
        original = getattr(route, "original_router", None)
        if original is not None:
            context = getattr(route, "include_context", None)
            inner = getattr(context, "prefix", "") or ""
            yield from _walk(original.routes, prefix + inner)
            continue
        children = getattr(route, "routes", None)
        if children is not None and isinstance(path, str):
            yield from _walk(children, prefix + path)
