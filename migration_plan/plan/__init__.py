"""The migration plan, format v1: a pure model plus a YAML loader that locates every error."""

from migration_plan.plan.errors import PlanError, PlanProblem
from migration_plan.plan.loader import apply_env_overrides, env_var_for, load_plan, parse_plan
from migration_plan.plan.model import (
    Endpoint,
    GateOverride,
    GateSettings,
    Mode,
    Plan,
    ShadowSettings,
    TrailingSlash,
    Upstream,
    plan_problems,
)
from migration_plan.plan.templates import METHODS, Param, RouteTemplate, parse_route

__all__ = [
    "METHODS",
    "Endpoint",
    "GateOverride",
    "GateSettings",
    "Mode",
    "Param",
    "Plan",
    "PlanError",
    "PlanProblem",
    "RouteTemplate",
    "ShadowSettings",
    "TrailingSlash",
    "Upstream",
    "apply_env_overrides",
    "env_var_for",
    "load_plan",
    "parse_plan",
    "parse_route",
    "plan_problems",
]
