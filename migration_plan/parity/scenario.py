"""Scenarios: stateful sequences of HTTP steps, each naming the plan endpoint it exercises.

    Scenario("place and cancel", steps=(
        login("alice@example.com"),  # captures {token} per side
        Step("POST /api/orders", "POST", "/api/orders", auth="token",
             json={"items": [{"product_id": 1, "quantity": 1}]},
             captures=(Capture("order_id", "/id", map_id=True),), expect=201),
        Step("POST /api/orders/{id}/cancel", "POST", "/api/orders/{order_id}/cancel", auth="token"),
    ))

Strings in a step may hold ``{name}`` placeholders, filled per side from what earlier steps
captured on that side; a placeholder that is a whole JSON string keeps the captured value's type.
A capture with ``map_id`` whose two sides differ becomes an ID mapping: later answers of the
extracted side are compared with the legacy side's value substituted (see ``ids.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from migration_plan.plan import parse_route

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
JSON = Any  # a JSON-able value


class ScenarioError(ValueError):
    """A scenario that cannot run as written (unknown placeholder, bad route)."""


@dataclass(frozen=True, slots=True)
class Capture:
    """Take the value at ``pointer`` of a step's JSON answer (on each side) as ``{name}``."""

    name: str
    pointer: str
    map_id: bool = False  # differing values are the same entity: map extracted -> legacy
    fields: tuple[str, ...] = ("id",)  # keys under which a mapped value is substituted...
    scope: tuple[str, ...] | None = None  # ...in answers of endpoints under these path prefixes
    # (default: the capturing endpoint's first two segments, e.g. /api/orders). Under the
    # capture's own name (``order_id``) a mapped value is substituted everywhere.


@dataclass(frozen=True, slots=True)
class Step:
    """One request. ``endpoint`` is the plan route it exercises (its rules and its service)."""

    endpoint: str
    method: str
    path: str
    json: JSON = None
    content: bytes | None = None  # a raw body instead of ``json`` (malformed JSON, wrong type)
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: str | None = None  # name of a captured token: sends ``Authorization: Bearer {auth}``
    captures: tuple[Capture, ...] = ()
    expect: int | None = None  # the status legacy must answer (keeps a scenario honest)
    compare_headers: tuple[str, ...] = ()  # headers compared on top of the endpoint's rules
    name: str = ""
    templated: bool = True  # False: braces are literal (fuzzed text); ``auth`` still works

    def __post_init__(self) -> None:
        try:
            parse_route(self.endpoint)
        except ValueError as error:
            raise ScenarioError(f"step {self.label}: endpoint {error}") from None

    @property
    def label(self) -> str:
        return self.name or f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named sequence of steps run in order against both sides, each with its own state."""

    name: str
    steps: tuple[Step, ...]
    description: str = ""

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.endpoint for step in self.steps))


@dataclass(frozen=True, slots=True)
class SideRequest:
    """A step rendered for one side: everything an HTTP client needs."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @property
    def target(self) -> str:
        """Path and query, for humans."""
        if not self.query:
            return self.path
        return f"{self.path}?{urlencode(self.query)}"


def fill_text(text: str, variables: Mapping[str, JSON], where: str) -> str:
    """``text`` with each ``{name}`` replaced by the variable's value."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            known = ", ".join(sorted(variables)) or "none"
            raise ScenarioError(f"{where}: no captured value {{{name}}} (captured: {known})")
        return str(variables[name])

    return PLACEHOLDER.sub(value, text)


def fill_json(value: JSON, variables: Mapping[str, JSON], where: str) -> JSON:
    """A JSON body with placeholders filled; ``"{order_id}"`` alone keeps the captured type."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in variables:
            return variables[whole.group(1)]
        return fill_text(value, variables, where)
    if isinstance(value, list):
        return [fill_json(item, variables, where) for item in value]
    if isinstance(value, dict):
        return {key: fill_json(item, variables, where) for key, item in value.items()}
    return value


def render(step: Step, variables: Mapping[str, JSON], where: str) -> SideRequest:
    """The request one side receives for ``step``, with that side's captured values."""

    def fill(text: str) -> str:
        return fill_text(text, variables, where) if step.templated else text

    headers = {name: fill(value) for name, value in step.headers.items()}
    if step.auth is not None:
        headers["Authorization"] = "Bearer " + fill_text("{" + step.auth + "}", variables, where)
    body = b""
    if step.content is not None:
        body = step.content
    elif step.json is not None:
        document = fill_json(step.json, variables, where) if step.templated else step.json
        body = json.dumps(document).encode()
        headers.setdefault("Content-Type", "application/json")
    return SideRequest(
        method=step.method,
        path=fill(step.path),
        query=tuple((k, fill(v)) for k, v in step.query.items()),
        headers=tuple(headers.items()),
        body=body,
    )
