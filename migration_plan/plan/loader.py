"""Read a plan from YAML, validate it, and locate every problem at its file, line and field."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from migration_plan.parity import ParityRules
from migration_plan.plan.errors import PlanError, PlanProblem
from migration_plan.plan.model import (
    Endpoint,
    GateOverride,
    GateSettings,
    ParitySuite,
    Path,
    Plan,
    ShadowSettings,
    Upstream,
    plan_problems,
)

Lines = dict[tuple[str, ...], int]


def load_plan(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Plan:
    """Read and validate the plan at `path`; raise PlanError listing every located problem."""
    file = FilePath(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError([PlanProblem(str(file), None, "", f"cannot read the plan: {exc}")]) from exc
    return parse_plan(text, str(file), env=env)


def parse_plan(text: str, filename: str = "<plan>", env: Mapping[str, str] | None = None) -> Plan:
    """Validate plan YAML; `env` (default: none) may override upstream URLs."""
    name = filename
    data, lines, problems = _compose(text, name)
    if problems:
        raise PlanError(problems)
    if not isinstance(data, dict):
        raise PlanError(
            [PlanProblem(name, 1, "", "the plan must be a YAML mapping (version: 1 ...)")]
        )
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_from_validation(exc, name, lines, ())) from None
    located = [_locate(name, lines, path, message) for path, message in plan_problems(plan)]
    if located:
        raise PlanError(located)
    return apply_env_overrides(plan, env or {}, name, lines)


def locate(text: str, filename: str, path: Path, message: str) -> PlanProblem:
    """A problem at `path` of a valid plan's text (a gate refusing an edit), located like the
    loader's own errors: file, line and field."""
    _, lines, _ = _compose(text, filename)
    return _locate(filename, lines, path, message)


def env_var_for(upstream: str) -> str:
    """`products` -> `UPSTREAM_PRODUCTS_URL`."""
    return "UPSTREAM_" + re.sub(r"[^A-Za-z0-9]", "_", upstream).upper() + "_URL"


def apply_env_overrides(
    plan: Plan, env: Mapping[str, str], name: str = "<plan>", lines: Lines | None = None
) -> Plan:
    """Replace upstream URLs named by `UPSTREAM_<NAME>_URL` variables."""
    upstreams = dict(plan.upstreams)
    problems = []
    for key, upstream in plan.upstreams.items():
        url = env.get(env_var_for(key))
        if not url:
            continue
        try:
            # Only the URL changes: the rest (timeout, app, openapi) is the file's.
            upstreams[key] = Upstream.model_validate(
                {**upstream.model_dump(exclude_none=True), "url": url}
            )
        except ValidationError as exc:
            for problem in _from_validation(exc, name, lines or {}, ("upstreams", key)):
                message = f"{problem.message} (from {env_var_for(key)})"
                problems.append(PlanProblem(problem.file, problem.line, problem.field, message))
    if problems:
        raise PlanError(problems)
    return plan.model_copy(update={"upstreams": upstreams})


def _compose(text: str, name: str) -> tuple[Any, Lines, list[PlanProblem]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        lines: Lines = {}
        problems: list[PlanProblem] = []
        _walk(node, (), lines, problems, name)
        return loader.construct_document(node), lines, problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        return None, {}, [PlanProblem(name, line, "", f"invalid YAML: {reason}")]
    except yaml.YAMLError as exc:
        return None, {}, [PlanProblem(name, None, "", f"invalid YAML: {exc}")]
    finally:
        loader.dispose()


def _walk(
    node: yaml.Node, path: tuple[str, ...], lines: Lines, problems: list[PlanProblem], name: str
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                field = _field(child)
                problems.append(
                    PlanProblem(name, key_node.start_mark.line + 1, field, "duplicate key")
                )
                continue
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, problems, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, str(index)), lines, problems, name)


def _field(path: Path | tuple[str, ...]) -> str:
    out = ""
    for index, part in enumerate(path):
        previous = path[index - 1] if index else None
        is_index = isinstance(part, int) or (previous == "endpoints" and str(part).isdigit())
        if is_index and previous != "phases":
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _locate(name: str, lines: Lines, path: Path, message: str) -> PlanProblem:
    keys = tuple(str(p) for p in path)
    for end in range(len(keys), -1, -1):
        if keys[:end] in lines:
            return PlanProblem(name, lines[keys[:end]], _field(path), message)
    return PlanProblem(name, None, _field(path), message)


_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): Plan,
    ("upstreams", "*"): Upstream,
    ("shadow",): ShadowSettings,
    ("endpoints", "*"): Endpoint,
    ("endpoints", "*", "parity"): ParityRules,
    ("gates",): GateSettings,
    ("parity",): ParitySuite,
    ("endpoints", "*", "gates"): GateOverride,
}


def _model_at(path: tuple[str | int, ...]) -> type[BaseModel] | None:
    if len(path) >= 2 and path[0] in ("upstreams", "endpoints"):
        return _MODELS.get((str(path[0]), "*", *(str(p) for p in path[2:])))
    return _MODELS.get(tuple(str(p) for p in path))


def _from_validation(
    exc: ValidationError, name: str, lines: Lines, prefix: tuple[str | int, ...]
) -> list[PlanProblem]:
    problems = []
    for error in exc.errors():
        loc = (*prefix, *(p for p in error["loc"] if p != "[key]"))
        problems.append(_locate(name, lines, loc, _message(error, loc)))
    return problems


def _message(error: Any, loc: tuple[str | int, ...]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = f" (allowed: {', '.join(model.model_fields)})" if model else ""
        return f"unknown key{allowed}"
    if kind in ("enum", "literal_error"):
        expected = re.findall(r"'([^']*)'|(\d+)", str(error.get("ctx", {}).get("expected", "")))
        options = ", ".join(a or b for a, b in expected)
        return f"{value!r} is not one of {options}"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        # validators that name their own field would repeat it after the located field path
        return message.removeprefix("Value error, ").removeprefix(f"{loc[-1]}: " if loc else "")
    if message.startswith("Input should be"):
        return f"{value!r} should be" + message.removeprefix("Input should be")
    return message
