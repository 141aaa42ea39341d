"""Where discovery reads an app's routes (pure): an in-process app reference or an OpenAPI
document, as a CLI flag or a plan upstream spells it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from migration_plan.plan import Plan

APP_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
URL_PATTERN = re.compile(r"^https?://\S+$")
OPENAPI_SUFFIXES = (".json", ".yaml", ".yml")
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class DiscoveryError(ValueError):
    """An app or document discovery cannot read; the message says what, the caller says where."""


@dataclass(frozen=True, slots=True)
class Source:
    """`app`: "package.module:attr" (an app or a no-argument factory); `openapi`: a file or URL."""

    kind: Literal["app", "openapi"]
    location: str

    @property
    def is_url(self) -> bool:
        return bool(URL_PATTERN.match(self.location))


def parse_source(text: str) -> Source:
    """`pkg.mod:create_app` -> app; `openapi.json`, `api.yaml`, `https://...` -> openapi."""
    text = text.strip()
    if URL_PATTERN.match(text) or text.lower().endswith(OPENAPI_SUFFIXES):
        return Source("openapi", text)
    if APP_PATTERN.match(text):
        return Source("app", text)
    raise DiscoveryError(
        f"{text!r} is neither MODULE:APP (e.g. 'myapp.main:create_app') nor an OpenAPI document "
        "(a .json/.yaml/.yml file or an http(s) URL)"
    )


def parse_named(text: str) -> tuple[str, str]:
    """`NAME=VALUE` -> (NAME, VALUE), NAME fit to be a plan upstream."""
    name, sep, value = text.partition("=")
    if not sep or not value.strip():
        raise DiscoveryError(f"{text!r} is not NAME=VALUE")
    if not NAME_PATTERN.match(name):
        raise DiscoveryError(f"{name!r} is not a name (a letter, then letters, digits, _ or -)")
    return name, value.strip()


def plan_sources(plan: Plan) -> tuple[dict[str, Source], list[str]]:
    """Each upstream's source from its `app`/`openapi`, and the upstreams that have neither."""
    found: dict[str, Source] = {}
    missing: list[str] = []
    for name, upstream in plan.upstreams.items():
        if upstream.app is not None:
            found[name] = Source("app", upstream.app)
        elif upstream.openapi is not None:
            found[name] = Source("openapi", upstream.openapi)
        else:
            missing.append(name)
    return found, missing
