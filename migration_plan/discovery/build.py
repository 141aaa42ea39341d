"""Build an app in-process from "package.module:attr" and read its route table (an I/O edge).

Any factory may prepare files or read a database URL from the environment, so imports and
factory calls run in a scratch environment: `STRANGLER_VAR_DIR` (this toolkit's convention) and
`DATABASE_URL` (the common one, e.g. Flask apps and Heroku) point into a throwaway folder, and the
working directory is importable, as it is for `uvicorn module:app`. Nothing else is set: an app
that needs more configuration to be built should be given as an OpenAPI document instead.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Set
from pathlib import Path
from typing import Any, Literal

from migration_plan.discovery.sources import DiscoveryError

SCRATCH_VARIABLES = ("STRANGLER_VAR_DIR", "DATABASE_URL")
Rules = list[tuple[str, Set[str]]]


@contextlib.contextmanager
def scratch_environment() -> Iterator[Path]:
    """A throwaway folder the factories may write in; the environment is restored after."""
    before = {name: os.environ.get(name) for name in SCRATCH_VARIABLES}
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    with tempfile.TemporaryDirectory(prefix="strangler-discover-") as tmp:
        os.environ["STRANGLER_VAR_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'discover.db'}"
        if added:
            sys.path.insert(0, cwd)
        try:
            yield Path(tmp)
        finally:
            if added and cwd in sys.path:
                sys.path.remove(cwd)
            for name, value in before.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def build_app(spec: str) -> Any:
    """The app `spec` names: the attribute itself when it is an app, else what calling it with
    no arguments returns (a factory)."""
    module_name, _, attribute = spec.partition(":")
    with scratch_environment():
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # any failure of the user's module is this reference's problem
            raise DiscoveryError(
                f"cannot import module {module_name!r}: {type(error).__name__}: {error}"
            ) from None
        target: Any = module
        for part in attribute.split("."):
            if not hasattr(target, part):
                raise DiscoveryError(f"module {module_name!r} has no attribute {attribute!r}")
            target = getattr(target, part)
        if _kind(target) is not None:
            return target
        if not callable(target):
            raise DiscoveryError(f"{spec!r} is neither an app nor a factory that makes one")
        try:
            app = target()
        except Exception as error:  # the factory's own failure, reported with its reference
            raise DiscoveryError(
                f"calling the factory {spec}() failed: {type(error).__name__}: {error}"
            ) from None
    if _kind(app) is None:
        raise DiscoveryError(
            f"{spec}() returned {type(app).__name__}, not a Flask app (url_map) or a "
            "FastAPI/Starlette app (routes)"
        )
    return app


def _kind(app: Any) -> Literal["flask", "starlette"] | None:
    # Checked before `callable`: WSGI and ASGI apps are callables too.
    if hasattr(getattr(app, "url_map", None), "iter_rules"):
        return "flask"
    if isinstance(getattr(app, "routes", None), list):
        return "starlette"
    return None


def app_rules(app: Any) -> tuple[Literal["flask", "starlette"], Rules]:
    """(the app's spelling of paths, its (raw path, methods) pairs)."""
    kind = _kind(app)
    if kind == "flask":
        rules: Rules = [
            (rule.rule, set(rule.methods or ()))
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
        ]
        return kind, rules
    if kind == "starlette":
        return kind, list(_walk(app.routes, ""))
    raise DiscoveryError(f"{type(app).__name__} is not a Flask or FastAPI/Starlette app")


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
