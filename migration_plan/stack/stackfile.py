"""The stack file: which processes `strangler up` runs, read from YAML and located on error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Lines = dict[tuple[str, ...], int]
NAME = r"^[a-z][a-z0-9_-]*$"
# `{name}` or `{kind:argument}`; `{{` and `}}` are literal braces.
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_]+)(?::([^{}]*))?\}|[{}]")
# What a placeholder may name, and where: `{strangler}` is the CLI's argv (one or more items),
# so it stands alone as one item of a command.
SIMPLE = frozenset({"python", "host", "var_dir", "plan", "admin_token", "port", "url"})
NAMED = frozenset({"port", "url", "var"})
ARGV_ONLY = "strangler"
# Parts of a pydantic error location that name a union's member or a key, not a field.
UNION_TAGS = frozenset({"[key]", "int", "OffsetPort"})


class StackProblem(Exception):
    """A stack file that cannot be used: every problem found, each with file, line and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BasePort(_Strict):
    """Where the front component listens; every `offset` port counts from here."""

    variable: str = "ROUTER_PORT"
    default: int = Field(default=8000, ge=1, le=65535)


class OffsetPort(_Strict):
    """`base + offset`, unless `variable` is set in the environment (it moves this one alone)."""

    offset: int = Field(ge=0)
    variable: str | None = None


class Variable(_Strict):
    """A value read from the environment, else `default` (placeholders allowed)."""

    env: str
    default: str = ""


class PlanUpstreams(_Strict):
    """Give this component `UPSTREAM_<NAME>_URL` for each upstream of the migration plan: the
    plan's legacy upstream is `legacy`, any other is the one of `services` its name starts with
    (`products_service` -> `products`). A variable the caller set wins."""

    legacy: str
    services: list[str] = []


class Component(_Strict):
    name: str = Field(pattern=NAME)
    command: list[str] = Field(min_length=1)
    port: int | OffsetPort
    ready: str  # path on the component's URL answering 2xx when ready
    env: dict[str, str] = {}
    module: str | None = None  # importable module checked before anything starts
    vital: bool = False  # given up on (after the restarts), it stops the whole stack
    plan_upstreams: PlanUpstreams | None = None

    @field_validator("ready")
    @classmethod
    def _ready_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must be a path starting with / (not {value!r})")
        return value

    @field_validator("port")
    @classmethod
    def _port_range(cls, value: int | OffsetPort) -> int | OffsetPort:
        if isinstance(value, int) and not 1 <= value <= 65535:
            raise ValueError("must be a port number (1..65535) or {offset: N, variable: NAME}")
        return value


class Step(_Strict):
    name: str = Field(min_length=1)
    command: list[str] = Field(min_length=1)
    env: dict[str, str] = {}
    module: str | None = None


class Stage(_Strict):
    """Steps run side by side (they must not touch the same data); stages run in order."""

    steps: list[Step] = Field(min_length=1)
    # Skipped by `up --no-seed` / `--no-backfill`.
    when: Literal["seed", "backfill"] | None = None


class StackFile(_Strict):
    version: Literal[1]
    base_port: BasePort = BasePort()
    front: str  # the component printed first, recorded as `router_url` in var/stack.json
    admin_path: str | None = None  # the front's admin API (the router's `/_strangler/`)
    try_path: str | None = None  # a request worth trying once ready, printed as a curl
    variables: dict[str, Variable] = {}
    env: dict[str, str] = {}  # every component and every step
    prepare: list[Stage] = []
    components: list[Component] = Field(min_length=1)


def load_stack_file(path: Path) -> StackFile:
    """Read and validate `path`; raise StackProblem naming file, line and field of each error."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StackProblem([f"{name}: cannot read the stack file: {exc.strerror or exc}"]) from exc
    return parse_stack_file(text, name)


def parse_stack_file(text: str, name: str = "<stack>") -> StackFile:
    data, lines = _compose(text, name)
    if not isinstance(data, dict):
        raise StackProblem([f"{name}:1: the stack file must be a mapping (version: 1 ...)"])
    try:
        stack = StackFile.model_validate(data)
    except ValidationError as exc:
        raise StackProblem(
            [
                _locate(name, lines, tuple(p for p in e["loc"] if p not in UNION_TAGS), _message(e))
                for e in exc.errors()
                if not _other_member(e)
            ]
        ) from None
    problems = [_locate(name, lines, loc, message) for loc, message in _references(stack)]
    if problems:
        raise StackProblem(problems)
    return stack


def placeholders(value: str) -> Iterator[tuple[str, str | None]]:
    """(kind, argument) of each placeholder in `value`; a stray brace is ("{", None)."""
    for match in PLACEHOLDER.finditer(value):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            yield token, None
        else:
            yield match.group(1), match.group(2)


def _references(stack: StackFile) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Unknown components, variables and placeholders, each at its field (pure)."""
    names = [c.name for c in stack.components]
    for index, component in enumerate(stack.components):
        if component.name in names[:index]:
            yield ("components", index, "name"), f"{component.name!r} is named twice"
    known = {"port": set(names), "url": set(names), "var": set(stack.variables)}

    def check(loc: tuple[str | int, ...], value: str, *, argv: bool, own: bool) -> Iterator[Any]:
        if argv and value == "{" + ARGV_ONLY + "}":
            return
        for kind, argument in placeholders(value):
            if argument is None and kind in ("{", "}"):
                yield loc, f"a lone {kind!r} in {value!r} (write {kind * 2} for a literal brace)"
            elif argument is None and kind in SIMPLE and (own or kind not in ("port", "url")):
                continue
            elif argument is not None and kind in NAMED and argument in known[kind]:
                continue
            elif argument is not None and kind in NAMED:
                choices = ", ".join(sorted(known[kind])) or "none defined"
                yield loc, f"{{{kind}:{argument}}} names no {_what(kind)} ({choices})"
            else:
                yield loc, f"unknown placeholder {{{kind}}} in {value!r} ({_allowed(argv, own)})"

    if stack.front not in names:
        yield ("front",), f"names no component ({', '.join(names)})"
    for key, variable in stack.variables.items():
        yield from check(("variables", key, "default"), variable.default, argv=False, own=False)
    for key, value in stack.env.items():
        yield from check(("env", key), value, argv=False, own=False)
    for s, stage in enumerate(stack.prepare):
        for i, step in enumerate(stage.steps):
            at: tuple[str | int, ...] = ("prepare", s, "steps", i)
            for n, item in enumerate(step.command):
                yield from check((*at, "command", n), item, argv=True, own=False)
            for key, value in step.env.items():
                yield from check((*at, "env", key), value, argv=False, own=False)
    for c, component in enumerate(stack.components):
        for n, item in enumerate(component.command):
            yield from check(("components", c, "command", n), item, argv=True, own=True)
        for key, value in component.env.items():
            yield from check(("components", c, "env", key), value, argv=False, own=True)
        upstreams = component.plan_upstreams
        if upstreams is not None:
            at = ("components", c, "plan_upstreams")
            targets: list[tuple[tuple[str | int, ...], str]] = [((*at, "legacy"), upstreams.legacy)]
            targets += [((*at, "services", n), t) for n, t in enumerate(upstreams.services)]
            for loc, target in targets:
                if target not in names:
                    yield loc, f"{target!r} names no component ({', '.join(names)})"


def _what(kind: str) -> str:
    return "variable" if kind == "var" else "component"


def _allowed(argv: bool, own: bool) -> str:
    simple = sorted(SIMPLE if own else SIMPLE - {"port", "url"})
    names = [f"{{{s}}}" for s in simple] + ["{port:NAME}", "{url:NAME}", "{var:NAME}"]
    if argv:
        names.append("{strangler} as a whole item")
    return "allowed: " + ", ".join(names)


def _compose(text: str, name: str) -> tuple[Any, Lines]:
    """The document and the line of every key path; duplicate keys are refused."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: Lines = {}
        problems: list[str] = []
        _walk(node, (), lines, problems, name)
        if problems:
            raise StackProblem(problems)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        raise StackProblem([f"{where}: invalid YAML: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise StackProblem([f"{name}: invalid YAML: {exc}"]) from None
    finally:
        loader.dispose()


def _walk(
    node: yaml.Node, path: tuple[str, ...], lines: Lines, problems: list[str], name: str
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen and key != "<<":
                problems.append(
                    f"{name}:{key_node.start_mark.line + 1}: {_field(child)}: duplicate key"
                )
                continue
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, problems, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, str(index)), lines, problems, name)


def _field(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int) or str(part).isdigit():
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _locate(name: str, lines: Lines, loc: tuple[str | int, ...], message: str) -> str:
    keys = tuple(str(p) for p in loc)
    line = next((lines[keys[:end]] for end in range(len(keys), -1, -1) if keys[:end] in lines), 0)
    where = f"{name}:{line}" if line else name
    field = _field(loc)
    return f"{where}: {field}: {message}" if field else f"{where}: {message}"


def _other_member(error: Any) -> bool:
    """An error of the union member the value was not meant for: `port: {...}` is no int,
    `port: abc` no mapping; one message is enough."""
    last, value = error["loc"][-1], error.get("input")
    return (last == "int" and isinstance(value, dict)) or (
        last == "OffsetPort" and not isinstance(value, dict)
    )


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model whose fields are allowed at `loc` (indexes and dict keys are wildcards)."""
    shape = tuple("*" if isinstance(p, int) or p not in _FIELDS else p for p in loc)
    return _MODELS.get(shape)


_FIELDS = {"base_port", "variables", "prepare", "steps", "components", "port", "plan_upstreams"}
_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): StackFile,
    ("base_port",): BasePort,
    ("variables", "*"): Variable,
    ("prepare", "*"): Stage,
    ("prepare", "*", "steps", "*"): Step,
    ("components", "*"): Component,
    ("components", "*", "port"): OffsetPort,
    ("components", "*", "plan_upstreams"): PlanUpstreams,
}


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        model = _model_at(tuple(p for p in error["loc"] if p not in UNION_TAGS)[:-1])
        return f"unknown key (allowed: {', '.join(model.model_fields)})" if model else "unknown key"
    return str(error["msg"]).removeprefix("Value error, ")
