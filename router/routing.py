"""The route table: compiled once from the plan (plus runtime overrides), swapped whole, looked up.

Per method: a dict for static paths, and a segment trie for templates where a static segment beats
`{param}` at each position. Anything unmatched belongs to the legacy catch-all. A path with a
trailing slash is another spelling of the route without one; the plan's `trailing_slash` policy
says what it is (`resolve`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from migration_plan.parity import ParityRules
from migration_plan.plan import (
    Endpoint,
    Mode,
    Param,
    Plan,
    RouteTemplate,
    ShadowSettings,
    TrailingSlash,
    Upstream,
    parse_route,
)

REDIRECT, NOT_FOUND = 308, 404


@dataclass(frozen=True, slots=True)
class RouteOverride:
    """A runtime flip layered over the plan for one route."""

    mode: Mode
    canary_percent: float | None = None


@dataclass(frozen=True, slots=True)
class RouteFlag:
    """The effective flag of one endpoint: the plan's entry with any runtime override applied."""

    route: str
    template: RouteTemplate
    service: str
    mode: Mode
    canary_percent: float
    sticky_key: str
    shadow_sample_rate: float
    dry_run: bool
    fallback: bool
    phase: int
    overridden: bool = False
    parity: ParityRules = field(default_factory=ParityRules)


@dataclass(frozen=True, slots=True)
class Resolved:
    """What the router does with one request path: the route (None: the catch-all), the exact
    path it forwards (the one it decided on), or a status it answers itself instead."""

    flag: RouteFlag | None
    path: str
    answer: int | None = None  # REDIRECT (to `path`) or NOT_FOUND


@dataclass(slots=True)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    flag: RouteFlag | None = None


def _segments(path: str) -> list[str]:
    return [] if path == "/" else path[1:].split("/")


def _walk(node: _Node, segments: list[str], depth: int) -> RouteFlag | None:
    if depth == len(segments):
        return node.flag
    child = node.children.get(segments[depth])
    if child is not None:
        found = _walk(child, segments, depth + 1)
        if found is not None:
            return found
    if node.param is not None and segments[depth] != "":
        return _walk(node.param, segments, depth + 1)
    return None


@dataclass(frozen=True, slots=True)
class RouteTable:
    """Immutable once built; the router swaps in a new table instead of mutating this one."""

    plan: Plan
    flags: tuple[RouteFlag, ...]
    static: Mapping[str, Mapping[str, RouteFlag]]
    tries: Mapping[str, _Node]

    @property
    def upstreams(self) -> Mapping[str, Upstream]:
        return self.plan.upstreams

    @property
    def legacy(self) -> str:
        return self.plan.legacy

    @property
    def shadow(self) -> ShadowSettings:
        return self.plan.shadow

    def match(self, method: str, path: str) -> RouteFlag | None:
        """The most specific route for `method path`, or None (the legacy catch-all)."""
        found = self._match(method, path)
        if found is None and method == "HEAD":
            return self._match("GET", path)  # HEAD is GET without a body, on both sides
        return found

    def resolve(self, method: str, path: str) -> Resolved:
        """`match`, with the plan's `trailing_slash` policy for `/route/` when only `/route` is
        a route. The forwarded path is always the one decided on: `match` forwards `/route`
        (a Werkzeug legacy answers `/route/` 404 and a Starlette service would redirect it, so
        forwarding the slashed spelling would let the two sides give different answers)."""
        flag = self.match(method, path)
        policy = self.plan.trailing_slash
        if flag is not None or policy is TrailingSlash.LEGACY or not _slashed(path):
            return Resolved(flag, path)
        canonical = path.rstrip("/")  # normalise_path leaves at most one trailing slash
        flag = self.match(method, canonical)
        if flag is None:
            return Resolved(None, path)  # not a spelling of any route: the catch-all's
        if policy is TrailingSlash.MATCH:
            return Resolved(flag, canonical)
        if policy is TrailingSlash.REDIRECT:
            return Resolved(flag, canonical, REDIRECT)
        return Resolved(flag, path, NOT_FOUND)

    def _match(self, method: str, path: str) -> RouteFlag | None:
        static = self.static.get(method)
        if static is not None:
            flag = static.get(path)
            if flag is not None:
                return flag
        trie = self.tries.get(method)
        return None if trie is None else _walk(trie, _segments(path), 0)

    def flag(self, route: str) -> RouteFlag | None:
        """The flag of `route`, however its parameters are named (`{id}` or `{pid}`)."""
        try:
            key = parse_route(route).key
        except ValueError:
            return None
        for flag in self.flags:
            if flag.template.key == key:
                return flag
        return None


def _slashed(path: str) -> bool:
    return path.endswith("/") and path != "/"


def effective_flag(endpoint: Endpoint, override: RouteOverride | None) -> RouteFlag:
    mode = override.mode if override else endpoint.mode
    percent = endpoint.canary_percent
    if override is not None and override.canary_percent is not None:
        percent = override.canary_percent
    # Overridden means the runtime routes otherwise than the file says (what `plan diff` lists):
    # a rollback to the plan's own mode keeps its record but is no longer a difference.
    differs = mode is not endpoint.mode or (
        mode is Mode.CANARY and (percent or 0.0) != (endpoint.canary_percent or 0.0)
    )
    return RouteFlag(
        route=str(endpoint.template),
        template=endpoint.template,
        service=endpoint.service,
        mode=mode,
        canary_percent=percent or 0.0,
        sticky_key=endpoint.sticky_key,
        shadow_sample_rate=endpoint.shadow_sample_rate,
        dry_run=endpoint.dry_run,
        fallback=endpoint.fallback,
        phase=endpoint.phase,
        overridden=override is not None and differs,
        parity=endpoint.parity,
    )


def compile_table(plan: Plan, overrides: Mapping[str, RouteOverride] | None = None) -> RouteTable:
    """Build the lookup structures for `plan` with `overrides` (keyed by route) applied."""
    overrides = overrides or {}
    flags = tuple(effective_flag(e, overrides.get(str(e.template))) for e in plan.endpoints)
    static: dict[str, dict[str, RouteFlag]] = {}
    tries: dict[str, _Node] = {}
    for flag in flags:
        template = flag.template
        if template.is_static:
            static.setdefault(template.method, {})[template.path] = flag
            continue
        node = tries.setdefault(template.method, _Node())
        for segment in template.segments:
            if isinstance(segment, Param):
                node.param = node.param or _Node()
                node = node.param
            else:
                node = node.children.setdefault(segment, _Node())
        node.flag = flag
    return RouteTable(plan=plan, flags=flags, static=static, tries=tries)
