"""The migration plan v1 as data: upstreams, phases, and one route flag per endpoint (no I/O)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from migration_plan.parity import ParityRules
from migration_plan.plan.hooks import HookError, resolve_hook
from migration_plan.plan.templates import SAFE_METHODS, RouteTemplate, parse_route

STICKY_KEY_PATTERN = re.compile(
    r"^(token|client_ip|header:[A-Za-z0-9!#$%&'*+.^_`|~-]+|cookie:[^\s;=,]+)$"
)


class Mode(StrEnum):
    """Where an endpoint's traffic goes."""

    LEGACY = "legacy"
    SHADOW = "shadow"
    CANARY = "canary"
    EXTRACTED = "extracted"


class TrailingSlash(StrEnum):
    """What the router does with the other spelling of a route: its path plus a trailing slash
    (the plan declares routes without one). docs/plan.md#trailing-slashes"""

    LEGACY = "legacy"  # not the route: the legacy catch-all answers it, as Werkzeug decides
    MATCH = "match"  # the route, by its flag, forwarded without the slash
    REDIRECT = "redirect"  # 308 from the router to the route's own spelling
    REFUSE = "refuse"  # 404 from the router, as Werkzeug's strict_slashes answers it


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Upstream(_Strict):
    """A backend the router forwards to."""

    url: str
    timeout_seconds: float = Field(default=10.0, gt=0, le=600, strict=True)
    # Where `strangler plan check` finds this side's routes (never used to serve traffic): `app`,
    # "package.module:app" (an app object, or a factory called with no arguments), or `openapi`,
    # its OpenAPI document (a .json/.yaml/.yml file relative to the plan file, or an http(s) URL).
    app: str | None = None
    openapi: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError(f"{value!r} is not an http(s) base URL like 'http://127.0.0.1:8001'")
        return value.rstrip("/")

    @field_validator("app")
    @classmethod
    def _app_reference(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$", value):
            raise ValueError(f"{value!r} is not 'package.module:app' (or ':create_app')")
        return value

    @field_validator("openapi")
    @classmethod
    def _openapi_location(cls, value: str) -> str:
        if not re.match(r"^https?://\S+$|^\S.*\.(json|ya?ml)$", value):
            raise ValueError(f"{value!r} is not an http(s) URL or a .json/.yaml/.yml file")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Upstream:
        if self.app is not None and self.openapi is not None:
            raise ValueError("give app or openapi, not both")
        return self


class ShadowSettings(_Strict):
    """Limits that keep mirrored traffic off the user's path."""

    timeout_seconds: float = Field(default=2.0, gt=0, le=600, strict=True)
    max_concurrency: int = Field(default=32, ge=1, le=100_000, strict=True)
    max_body_bytes: int = Field(default=65536, ge=0, le=64 * 1024 * 1024, strict=True)
    # service -> the other services whose data its answers also show (an order shows stock and
    # its user): a difference is in flight while the sync owes a write to any of them. A service
    # not listed is taken to read everything (the cautious default).
    reads: dict[str, tuple[str, ...]] = {}
    # Routes whose method is unsafe but whose answers commit nothing (a stock check is a POST):
    # their answers never make a later difference in flight.
    writes_nothing: tuple[str, ...] = ()
    # Whether a caller's credential means the same caller on both sides. `unknown` (the default,
    # for two apps that each issue their own tokens): a difference where exactly one side refused
    # the credential (401/403) is skipped as `credentials`, never a mismatch. `shared`: the sides
    # accept each other's (the worked example: the sync copies sessions both ways). `hook`:
    # `credentials_hook` ("module:function") maps the caller's Authorization value to the
    # service's for the mirror (None: not known there, the comparison is skipped as credentials).
    credentials: Literal["unknown", "shared", "hook"] = "unknown"
    credentials_hook: str | None = None

    @model_validator(mode="after")
    def _hook_with_hook(self) -> ShadowSettings:
        if (self.credentials == "hook") != (self.credentials_hook is not None):
            raise ValueError("credentials_hook is required with credentials: hook, and only then")
        return self


class GateSettings(_Strict):
    """Evidence an endpoint needs before it moves to canary or extracted."""

    min_shadow_comparisons: int = Field(default=200, ge=0, strict=True)
    max_mismatch_rate: float = Field(default=0.01, ge=0, le=1, strict=True)
    require_parity: bool = Field(default=True, strict=True)


class GateOverride(_Strict):
    """Per-endpoint changes to the plan's gates (unset fields keep the plan's value)."""

    min_shadow_comparisons: int | None = Field(default=None, ge=0, strict=True)
    max_mismatch_rate: float | None = Field(default=None, ge=0, le=1, strict=True)
    require_parity: bool | None = Field(default=None, strict=True)


class ProposedRule(_Strict):
    """A parity rule `strangler parity baseline` learned, kept for a person to review: nothing
    applies it. Accepting one means moving it into the endpoint's `parity:` block."""

    rule: Literal["ignore", "timestamps", "drop_header"]
    at: str  # a pointer pattern, or a header name for drop_header
    seconds: float | None = Field(default=None, strict=False)  # timestamps only
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _valid_as_a_rule(self) -> ProposedRule:
        if (self.seconds is None) != (self.rule != "timestamps"):
            raise ValueError(f"{self.rule}: seconds is for timestamps only, and required there")
        field = {"ignore": "ignore", "timestamps": "timestamps"}.get(self.rule, "headers")
        value: object = {self.at: self.seconds} if self.rule == "timestamps" else (self.at,)
        try:
            ParityRules.model_validate({field: value})  # the checks of the rule it would become
        except ValidationError as error:
            raise ValueError(error.errors()[0]["msg"].removeprefix("Value error, ")) from None
        return self


class ParitySuite(_Strict):
    """Where `strangler parity run`, `parity baseline` and the pytest plugin find the scenarios."""

    # A folder of scenario files (docs/parity.md), relative to the plan file; unset: the
    # package's own contract scenarios (migration_plan/scenarios, the worked example's).
    scenarios: str | None = Field(default=None, min_length=1)


class Endpoint(_Strict):
    """One route flag: which side answers an endpoint, and how it moves over."""

    route: str
    phase: int = Field(strict=True)
    service: str
    mode: Mode = Mode.LEGACY
    canary_percent: float | None = Field(default=None, ge=0, le=100, strict=True)
    sticky_key: str = "token"
    shadow_sample_rate: float = Field(default=1.0, ge=0, le=1, strict=True)
    dry_run: bool = Field(default=False, strict=True)
    fallback: bool = Field(default=False, strict=True)
    parity: ParityRules = Field(default_factory=ParityRules)  # what may differ in shadow
    gates: GateOverride = Field(default_factory=GateOverride)
    # Learned, never applied: the router and the comparison read `parity` only.
    parity_proposed: tuple[ProposedRule, ...] = ()

    @field_validator("route")
    @classmethod
    def _valid_route(cls, value: str) -> str:
        parse_route(value)  # raises ValueError with the reason
        return value

    @field_validator("sticky_key")
    @classmethod
    def _valid_sticky_key(cls, value: str) -> str:
        if not STICKY_KEY_PATTERN.match(value):
            raise ValueError(
                f"{value!r} is not one of token, client_ip, header:<Name>, cookie:<name>"
            )
        return value

    @property
    def template(self) -> RouteTemplate:
        return parse_route(self.route)


class Plan(_Strict):
    """The whole plan file, version 1."""

    version: Literal[1]
    upstreams: dict[str, Upstream]
    legacy: str
    phases: dict[int, str] = Field(default_factory=dict)
    shadow: ShadowSettings = Field(default_factory=ShadowSettings)
    endpoints: list[Endpoint] = Field(default_factory=list)
    gates: GateSettings = Field(default_factory=GateSettings)
    # table -> the upstream (service) that owns it once its phase is done; for data sync and seams
    tables: dict[str, str] = Field(default_factory=dict)
    trailing_slash: TrailingSlash = TrailingSlash.LEGACY
    parity: ParitySuite = Field(default_factory=ParitySuite)

    def gates_for(self, endpoint: Endpoint) -> GateSettings:
        """The plan's gates with the endpoint's own overrides applied."""
        changes = {k: v for k, v in endpoint.gates.model_dump().items() if v is not None}
        return self.gates.model_copy(update=changes)

    def endpoint(self, route: str) -> Endpoint | None:
        """The endpoint whose route is `route` (compared after normalising its spelling)."""
        wanted = parse_route(route).key
        for endpoint in self.endpoints:
            if endpoint.template.key == wanted:
                return endpoint
        return None


Path = tuple[str | int, ...]


def plan_problems(plan: Plan) -> list[tuple[Path, str]]:
    """Cross-field rules pydantic cannot see field by field; each problem names its field path."""
    problems: list[tuple[Path, str]] = []
    names = ", ".join(sorted(plan.upstreams)) or "(none)"
    if plan.legacy not in plan.upstreams:
        problems.append((("legacy",), f"{plan.legacy!r} is not a declared upstream ({names})"))
    seen: dict[tuple[str, tuple[str, ...]], int] = {}
    for index, endpoint in enumerate(plan.endpoints):
        where: Path = ("endpoints", index)
        key = endpoint.template.key
        if key in seen:
            problems.append(
                (
                    (*where, "route"),
                    f"{endpoint.route!r} duplicates endpoints[{seen[key]}] (same method and path)",
                )
            )
        else:
            seen[key] = index
        if endpoint.service not in plan.upstreams:
            problems.append(
                ((*where, "service"), f"{endpoint.service!r} is not a declared upstream ({names})")
            )
        elif endpoint.service == plan.legacy:
            problems.append(
                ((*where, "service"), f"{endpoint.service!r} is the legacy upstream, not a service")
            )
        if plan.phases and endpoint.phase not in plan.phases:
            known = ", ".join(str(p) for p in sorted(plan.phases))
            problems.append(
                ((*where, "phase"), f"{endpoint.phase} is not a declared phase ({known})")
            )
        if endpoint.mode is Mode.CANARY and endpoint.canary_percent is None:
            problems.append(
                ((*where, "canary_percent"), "is required when mode is canary (0..100)")
            )
    for table, owner in plan.tables.items():
        if owner not in plan.upstreams:
            problems.append((("tables", table), f"{owner!r} is not a declared upstream ({names})"))
    for service, reads in plan.shadow.reads.items():
        for name in (service, *reads):
            if name not in plan.upstreams:
                problems.append(
                    (("shadow", "reads", service), f"{name!r} is not a declared upstream ({names})")
                )
    if plan.shadow.credentials_hook is not None:
        try:
            resolve_hook(plan.shadow.credentials_hook)
        except HookError as error:
            problems.append((("shadow", "credentials_hook"), str(error)))
    for index, route in enumerate(plan.shadow.writes_nothing):
        where = ("shadow", "writes_nothing", index)
        quiet = plan.endpoint(route) if _parses(route) else None
        if quiet is None:
            problems.append((where, f"{route!r} is not an endpoint of the plan"))
        elif quiet.template.method in SAFE_METHODS:
            problems.append((where, f"{route!r}: a {quiet.template.method} writes nothing anyway"))
    return problems


def _parses(route: str) -> bool:
    try:
        parse_route(route)
    except ValueError:
        return False
    return True
