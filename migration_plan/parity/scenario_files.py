"""Scenario files: parity scenarios as YAML, validated and turned into ``Scenario`` objects.

    templates:                        # named, parameterised steps any file of the folder can use
      login:
        params: {email: ~, password: ~, as: token}     # ~: required; defaults may use ${earlier}
        steps:
          - endpoint: POST /api/auth/login
            json: {email: "${email}", password: "${password}"}
            captures: [{name: "${as}", pointer: /token}]
            expect: 200
            name: "login ${email|local}"
    scenarios:
      - name: alice reads herself
        steps:
          - use: login
            with: {email: alice@example.com, password: password123}
          - {endpoint: GET /api/auth/me, auth: token, expect: 200}

``${param}`` (with an optional ``|upper``, ``|title`` or ``|local`` filter) is filled when a
template is used; a string that is only ``${param}`` keeps the argument's type. ``{name}`` and
``{run}`` are left to the runner, exactly as in Python-built steps (scenario.py). A step may
also be ``hook: "module:function"`` (with ``with:`` keyword arguments) for what a file cannot
say; the function returns a Step or Steps. Every problem names file, line, scenario, step and
field, and nothing is loaded when there is one.
"""

from __future__ import annotations

import base64
import functools
import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from migration_plan.plan import Plan, parse_route

from .scenario import PLACEHOLDER, Capture, Scenario, ScenarioError, Step

SUFFIXES = (".yaml", ".yml")
PARAM = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([a-z]+))?\}")
FILTERS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "title": str.title,
    "local": lambda email: email.split("@")[0],
}
TYPE_TAG = re.compile(r"^([A-Z]\w*|str|int|bool|list|dict|tuple|none|function-\w+)(\[.*\])?$")
# libyaml when it is there: the worked example's files load in a tenth of the time
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 8  # templates using templates: deeper than this is a cycle
Location = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ScenarioProblem:
    """One thing wrong with a scenario file."""

    file: str
    line: int | None
    message: str
    scenario: str = ""
    step: int | None = None  # index in the file's list of steps (0-based, as written)
    field: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        parts = [where]
        if self.scenario:
            parts.append(f"scenario {self.scenario!r}")
        if self.step is not None:
            parts.append(f"step {self.step}")
        if self.field:
            parts.append(self.field)
        return ": ".join(parts) + f": {self.message}"


class ScenarioFileError(ValueError):
    """Scenario files that cannot be used; ``problems`` lists each located problem."""

    def __init__(self, problems: Sequence[ScenarioProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaptureSpec(_Strict):
    """``Capture``, as a file writes it."""

    name: StrictStr = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    pointer: StrictStr = Field(pattern=r"^(/.*)?$")
    map_id: bool = Field(default=False, strict=True)
    fields: tuple[StrictStr, ...] = ("id",)
    scope: tuple[StrictStr, ...] | None = None

    def build(self) -> Capture:
        return Capture(self.name, self.pointer, self.map_id, self.fields, self.scope)


class CreatesSpec(_Strict):
    """A new entity: its id as ``{<name>_id}`` and each stamp as ``{<name>_<stamp>}``, mapped
    (each side mints its own), as ``contract.steps.created`` builds them."""

    name: StrictStr = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    stamps: tuple[StrictStr, ...] = ()
    scope: tuple[StrictStr, ...] | None = None

    def build(self) -> tuple[Capture, ...]:
        captures = [Capture(f"{self.name}_id", "/id", map_id=True, scope=self.scope)]
        captures += [
            Capture(f"{self.name}_{s}", f"/{s}", map_id=True, fields=(s,), scope=self.scope)
            for s in self.stamps
        ]
        return tuple(captures)


class Piece(_Strict):
    """Part of a raw body: text (UTF-8) or base64, repeated ``times``."""

    text: StrictStr | None = None
    base64: StrictStr | None = None
    times: int = Field(default=1, ge=1, le=10_000_000, strict=True)

    def build(self) -> bytes:
        if (self.text is None) == (self.base64 is None):
            raise ValueError("a piece is either text or base64")
        data = self.text.encode() if self.text is not None else base64.b64decode(self.base64 or "")
        return data * self.times


class StepSpec(_Strict):
    """``Step``, as a file writes it; ``method`` and ``path`` default to the endpoint's own."""

    endpoint: StrictStr
    method: StrictStr | None = None
    path: StrictStr | None = None
    json_: Any = Field(default=None, alias="json")
    content: StrictStr | list[StrictStr | Piece] | None = None
    query: dict[StrictStr, StrictStr] = {}
    headers: dict[StrictStr, StrictStr] = {}
    auth: StrictStr | None = None
    creates: StrictStr | CreatesSpec | None = None
    captures: tuple[CaptureSpec, ...] = ()
    expect: StrictInt | None = Field(default=None, ge=100, le=599)
    compare_headers: tuple[StrictStr, ...] = ()
    name: StrictStr = ""
    templated: bool = Field(default=True, strict=True)

    def build(self) -> Step:
        try:
            route = parse_route(self.endpoint)
        except ValueError as error:
            raise _FieldError("endpoint", str(error)) from None
        path = self.path
        if path is None:
            if PLACEHOLDER.search(route.path):
                raise _FieldError("path", f"is required: {self.endpoint!r} has parameters")
            path = route.path
        if self.json_ is not None and self.content is not None:
            raise _FieldError("content", "a step sends json or content, not both")
        creates = CreatesSpec(name=self.creates) if isinstance(self.creates, str) else self.creates
        captures = (creates.build() if creates else ()) + tuple(c.build() for c in self.captures)
        return Step(
            self.endpoint,
            self.method or route.method,
            path,
            json=self.json_,
            content=self._content(),
            query=dict(self.query),
            headers=dict(self.headers),
            auth=self.auth,
            captures=captures,
            expect=self.expect,
            compare_headers=self.compare_headers,
            name=self.name,
            templated=self.templated,
        )

    def _content(self) -> bytes | None:
        if self.content is None or isinstance(self.content, str):
            return None if self.content is None else self.content.encode()
        try:
            return b"".join(p.encode() if isinstance(p, str) else p.build() for p in self.content)
        except ValueError as error:
            raise _FieldError("content", str(error)) from None


class UseSpec(_Strict):
    """A template's steps, with its parameters."""

    use: StrictStr
    with_: dict[StrictStr, Any] = Field(default_factory=dict, alias="with")


class HookSpec(_Strict):
    """Steps a Python function returns, for what a file cannot say."""

    hook: StrictStr = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    with_: dict[StrictStr, Any] = Field(default_factory=dict, alias="with")


class TemplateSpec(_Strict):
    params: dict[StrictStr, Any] = {}
    steps: list[dict[StrictStr, Any]] = Field(min_length=1)


class ScenarioSpec(_Strict):
    name: StrictStr = Field(min_length=1)
    description: StrictStr = ""
    steps: list[dict[StrictStr, Any]] = Field(min_length=1)


class ScenarioFile(_Strict):
    version: Literal[1] = 1
    templates: dict[StrictStr, TemplateSpec] = {}
    scenarios: list[ScenarioSpec] = []


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class _Source:
    """Where something was written: a file, its lines by data path, and a path inside it."""

    file: str
    lines: Mapping[Location, int]

    def line(self, path: Location) -> int | None:
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


@dataclass(frozen=True, slots=True)
class _Template:
    spec: TemplateSpec
    source: _Source
    name: str


@dataclass(slots=True)
class _Context:
    """The scenario being built, for problems' locations."""

    scenario: str
    step: int | None
    templates: Mapping[str, _Template]
    problems: list[ScenarioProblem]


def load_scenario_folder(folder: str | Path) -> tuple[Scenario, ...]:
    """Every scenario of the folder's ``*.yaml`` files, files in name order; templates defined
    in any of them can be used in all of them."""
    root = Path(folder)
    if not root.is_dir():
        raise ScenarioFileError([ScenarioProblem(str(root), None, "is not a scenario folder")])
    files = sorted(p for p in root.iterdir() if p.suffix in SUFFIXES and p.is_file())
    return load_scenario_files(files)


def load_scenario_files(paths: Iterable[str | Path]) -> tuple[Scenario, ...]:
    """The scenarios of these files, in order; templates are shared among them."""
    texts = []
    for path in paths:
        try:
            texts.append((str(path), Path(path).read_text(encoding="utf-8")))
        except OSError as error:
            raise ScenarioFileError(
                [ScenarioProblem(str(path), None, f"cannot read: {error}")]
            ) from None
    return parse_scenario_texts(texts)


def parse_scenario_texts(texts: Iterable[tuple[str, str]]) -> tuple[Scenario, ...]:
    """``(file name, YAML text)`` pairs to scenarios; raises ScenarioFileError with every
    problem found."""
    problems: list[ScenarioProblem] = []
    parsed: list[tuple[ScenarioFile, _Source]] = []
    for name, text in texts:
        document, lines, found = _compose(text, name)
        problems += found
        if found:
            continue
        source = _Source(name, lines)
        try:
            parsed.append((ScenarioFile.model_validate(document or {}), source))
        except ValidationError as error:
            problems += _located(error, source, (), _Context("", None, {}, []))
    templates: dict[str, _Template] = {}
    for file, source in parsed:
        for key, template in file.templates.items():
            if key in templates:
                earlier = templates[key].source
                problems.append(
                    _problem(
                        source,
                        ("templates", key),
                        f"template {key!r} is defined again (first in {earlier.file}:"
                        f"{earlier.line(('templates', key))})",
                    )
                )
            else:
                templates[key] = _Template(template, source, key)
    scenarios: list[Scenario] = []
    named: dict[str, str] = {}
    for file, source in parsed:
        for index, spec in enumerate(file.scenarios):
            where: Location = ("scenarios", index)
            context = _Context(spec.name, None, templates, problems)
            steps: list[Step] = []
            origins: list[int] = []  # the file's step index of each built step
            complete = True
            for number, entry in enumerate(spec.steps):
                context.step = number
                more = _entry(entry, source, (*where, "steps", number), context, 0)
                complete = complete and more is not None
                steps += more or []
                origins += [number] * len(more or [])
            context.step = None
            if spec.name in named:
                message = f"is the name of another scenario too ({named[spec.name]})"
                problems.append(_problem(source, (*where, "name"), message, context))
            named.setdefault(spec.name, f"{source.file}:{source.line((*where, 'name'))}")
            if complete:
                scenario = Scenario(spec.name, tuple(steps), spec.description)
                problems += _unknown_placeholders(scenario, origins, source, where)
                scenarios.append(scenario)
    if problems:
        raise ScenarioFileError(problems)
    return tuple(scenarios)


def _steps(
    entries: Sequence[Mapping[str, Any]],
    source: _Source,
    at: Location,
    context: _Context,
    args: Mapping[str, Any],
    depth: int,
) -> list[Step] | None:
    """A template's steps with its arguments, or None after adding problems."""
    steps: list[Step] = []
    ok = True
    for index, raw in enumerate(entries):
        where = (*at, index)
        try:
            entry = _fill(raw, args, source, where)
        except _TemplateError as error:
            context.problems.append(_problem(error.source, error.where, str(error), context))
            ok = False
            continue
        more = _entry(entry, source, where, context, depth)
        ok = ok and more is not None
        steps += more or []
    return steps if ok else None


def _entry(
    entry: Mapping[str, Any], source: _Source, where: Location, context: _Context, depth: int
) -> list[Step] | None:
    if not isinstance(entry, Mapping):
        context.problems.append(_problem(source, where, "a step must be a mapping", context))
        return None
    try:
        if "use" in entry:
            use = UseSpec.model_validate(entry)
            return _use(use, source, where, context, depth)
        if "hook" in entry:
            return _hook(HookSpec.model_validate(entry), source, where, context)
        return [StepSpec.model_validate(entry).build()]
    except ValidationError as error:
        context.problems += _located(error, source, where, context)
    except _FieldError as error:
        context.problems.append(_problem(source, (*where, error.field), str(error), context))
    except ScenarioError as error:
        context.problems.append(_problem(source, where, str(error), context))
    return None


def _use(
    use: UseSpec, source: _Source, where: Location, context: _Context, depth: int
) -> list[Step] | None:
    template = context.templates.get(use.use)
    if template is None:
        known = ", ".join(sorted(context.templates)) or "none"
        message = f"no template {use.use!r} (templates: {known})"
        context.problems.append(_problem(source, (*where, "use"), message, context))
        return None
    if depth >= MAX_DEPTH:
        message = f"templates use each other more than {MAX_DEPTH} deep (a cycle?)"
        context.problems.append(_problem(source, (*where, "use"), message, context))
        return None
    unknown = sorted(set(use.with_) - set(template.spec.params))
    if unknown:
        known = ", ".join(template.spec.params) or "none"
        message = f"{', '.join(unknown)}: not a parameter of {use.use!r} ({known})"
        context.problems.append(_problem(source, (*where, "with"), message, context))
        return None
    args: dict[str, Any] = {}
    for name, default in template.spec.params.items():
        if name in use.with_:
            args[name] = use.with_[name]
        elif default is None:
            message = f"{use.use!r} needs {name!r}"
            context.problems.append(_problem(source, (*where, "with"), message, context))
            return None
        else:  # a default may be made of the parameters before it
            try:
                args[name] = _fill(default, args, template.source, ("templates", template.name))
            except _TemplateError as error:
                context.problems.append(_problem(error.source, error.where, str(error), context))
                return None
    at: Location = ("templates", template.name, "steps")
    return _steps(template.spec.steps, template.source, at, context, args, depth + 1)


def _hook(hook: HookSpec, source: _Source, where: Location, context: _Context) -> list[Step] | None:
    module_name, _, function_name = hook.hook.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
        made = function(**hook.with_)
    except Exception as error:  # an import or a call that fails is the file's problem
        message = f"{hook.hook} failed: {type(error).__name__}: {error}"
        context.problems.append(_problem(source, (*where, "hook"), message, context))
        return None
    steps = [made] if isinstance(made, Step) else list(made)
    if not all(isinstance(step, Step) for step in steps):
        message = f"{hook.hook} must return a Step or Steps"
        context.problems.append(_problem(source, (*where, "hook"), message, context))
        return None
    return steps


def _fill(value: Any, args: Mapping[str, Any], source: _Source, where: Location) -> Any:
    """``value`` with ``${param}`` replaced; a string that is only ``${param}`` keeps its type."""
    if isinstance(value, str):
        whole = PARAM.fullmatch(value)
        if whole and not whole.group(2):
            return _arg(whole, args, source, where)
        return PARAM.sub(lambda match: str(_arg(match, args, source, where)), value)
    if isinstance(value, list):
        return [_fill(item, args, source, where) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, args, source, where) for key, item in value.items()}
    return value


def _arg(match: re.Match[str], args: Mapping[str, Any], source: _Source, where: Location) -> Any:
    name, filter_name = match.group(1), match.group(2)
    if name not in args:
        known = ", ".join(args) or "none"
        raise _TemplateError(source, where, f"${{{name}}} is not a parameter (parameters: {known})")
    if filter_name is None:
        return args[name]
    if filter_name not in FILTERS:
        options = ", ".join(FILTERS)
        raise _TemplateError(source, where, f"|{filter_name} is not a filter ({options})")
    return FILTERS[filter_name](str(args[name]))


class _TemplateError(ValueError):
    def __init__(self, source: _Source, where: Location, message: str) -> None:
        self.source, self.where = source, where
        super().__init__(message)


def _unknown_placeholders(
    scenario: Scenario, origins: Sequence[int], source: _Source, where: Location
) -> Iterator[ScenarioProblem]:
    """Each ``{name}`` a step uses before any earlier step captured it (``{run}`` is given)."""
    known = {"run"}
    for step, origin in zip(scenario.steps, origins, strict=True):
        used: list[str] = []
        if step.templated:
            texts = [
                step.path,
                *step.query.values(),
                *step.headers.values(),
                *strings_in(step.json),
            ]
            used = [m.group(1) for text in texts for m in PLACEHOLDER.finditer(text)]
        used += [step.auth] if step.auth else []
        for name in dict.fromkeys(used):
            if name not in known:
                captured = ", ".join(sorted(known))
                message = (
                    f"{step.label}: {{{name}}} is not captured by an earlier step "
                    f"(captured: {captured})"
                )
                at = (*where, "steps", origin)
                yield ScenarioProblem(source.file, source.line(at), message, scenario.name, origin)
        known |= {capture.name for capture in step.captures}


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (where placeholders and personal data can hide)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings_in(item)


def _problem(
    source: _Source, where: Location, message: str, context: _Context | None = None
) -> ScenarioProblem:
    return ScenarioProblem(
        source.file,
        source.line(where),
        message,
        context.scenario if context else "",
        context.step if context else None,
        _field(where),
    )


def _field(where: Location) -> str:
    """The field inside a step (``json.items[0]``), or the path within the file."""
    parts = list(where)
    if parts[:1] == ["scenarios"] and "steps" not in parts:  # the scenario is named already
        parts = parts[2:]
    if "steps" in parts:  # inside a step, its own fields say enough (the step index is shown)
        last = len(parts) - 1 - parts[::-1].index("steps")
        parts = parts[last + 2 :] if len(parts) > last + 1 else []
        if where and where[0] == "templates":
            parts = [f"template {where[1]} step {where[last + 1]}", *parts]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _located(
    error: ValidationError, source: _Source, prefix: Location, context: _Context
) -> list[ScenarioProblem]:
    problems = []
    for detail in error.errors():
        loc = [p for p in detail["loc"] if p != "[key]"]
        # a union's member name (str, Piece, ...) says nothing to the person who wrote the file
        loc = [p for p in loc if not (isinstance(p, str) and TYPE_TAG.match(p))]
        where = (*prefix, *loc)
        problems.append(_problem(source, where, _message(detail), context))
    return problems


def _message(detail: Any) -> str:
    kind = detail["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown key"
    message = str(detail["msg"])
    if message.startswith("Input should be"):
        return f"{detail.get('input')!r} should be" + message.removeprefix("Input should be")
    return message.removeprefix("Value error, ")


def _compose(text: str, name: str) -> tuple[Any, dict[Location, int], list[ScenarioProblem]]:
    """The document and the line of each data path, or the YAML error located."""
    loader = LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        lines: dict[Location, int] = {}
        duplicates: list[ScenarioProblem] = []
        _walk(node, (), lines, set(), duplicates, name)
        if duplicates:
            return None, {}, duplicates
        document = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = error.problem or error.context or "invalid YAML"
        return None, {}, [ScenarioProblem(name, mark.line + 1 if mark else None, reason)]
    except yaml.YAMLError as error:
        return None, {}, [ScenarioProblem(name, None, f"invalid YAML: {error}")]
    finally:
        loader.dispose()
    if not isinstance(document, dict):
        return None, {}, [ScenarioProblem(name, 1, "a scenario file is a mapping (scenarios: ..)")]
    return document, lines, []


def _walk(
    node: yaml.Node,
    path: Location,
    lines: dict[Location, int],
    seen: set[int],
    problems: list[ScenarioProblem],
    name: str,
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in seen:  # an alias of a node already walked: its lines are the anchor's
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in keys and key != "<<":  # YAML would silently keep the last one
                problems.append(ScenarioProblem(name, line, "duplicate key", field=_field(child)))
            keys.add(key)
            lines[child] = line
            _walk(value_node, child, lines, seen, problems, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, seen, problems, name)


def step_document(step: Step) -> dict[str, Any]:
    """A step as a file writes it (the inverse of ``StepSpec.build``): only what differs from
    the defaults, the id and stamps of a created entity as ``creates``."""
    route = parse_route(step.endpoint)
    document: dict[str, Any] = {"endpoint": step.endpoint}
    if step.method != route.method:
        document["method"] = step.method
    if step.path != route.path or PLACEHOLDER.search(route.path):
        document["path"] = step.path
    if step.json is not None:
        document["json"] = step.json
    if step.content is not None:
        document["content"] = _content_document(step.content)
    for key in ("query", "headers"):
        if getattr(step, key):
            document[key] = dict(getattr(step, key))
    if step.auth is not None:
        document["auth"] = step.auth
    creates, captures = _creates(step.captures)
    if creates is not None:
        document["creates"] = creates
    if captures:
        document["captures"] = [_capture_document(c) for c in captures]
    if step.expect is not None:
        document["expect"] = step.expect
    if step.compare_headers:
        document["compare_headers"] = list(step.compare_headers)
    if step.name:
        document["name"] = step.name
    if not step.templated:
        document["templated"] = False
    return document


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    document: dict[str, Any] = {"name": scenario.name}
    if scenario.description:
        document["description"] = scenario.description
    document["steps"] = [step_document(step) for step in scenario.steps]
    return document


def dump_scenarios(scenarios: Iterable[Scenario], header: str = "") -> str:
    """A scenario file's text; ``header`` becomes its leading comment."""
    text = yaml.safe_dump(
        {"version": 1, "scenarios": [scenario_document(s) for s in scenarios]},
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comment + text


def _content_document(content: bytes) -> str | list[dict[str, str]]:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return [{"base64": base64.b64encode(content).decode("ascii")}]


def _capture_document(capture: Capture) -> dict[str, Any]:
    document: dict[str, Any] = {"name": capture.name, "pointer": capture.pointer}
    if capture.map_id:
        document["map_id"] = True
    if capture.fields != ("id",):
        document["fields"] = list(capture.fields)
    if capture.scope is not None:
        document["scope"] = list(capture.scope)
    return document


def _creates(captures: tuple[Capture, ...]) -> tuple[Any, tuple[Capture, ...]]:
    """The leading captures ``creates`` says (an id and its stamps), and the rest."""
    if not captures or not captures[0].name.endswith("_id"):
        return None, captures
    first = captures[0]
    name = first.name.removesuffix("_id")
    if first != Capture(first.name, "/id", map_id=True, scope=first.scope):
        return None, captures
    stamps: list[str] = []
    for capture in captures[1:]:
        stamp = capture.name.removeprefix(f"{name}_")
        expected = Capture(f"{name}_{stamp}", f"/{stamp}", True, (stamp,), first.scope)
        if capture.name == stamp or capture != expected:
            break
        stamps.append(stamp)
    document: Any = name
    if stamps or first.scope is not None:
        document = {"name": name}
        if stamps:
            document["stamps"] = stamps
        if first.scope is not None:
            document["scope"] = list(first.scope)
    return document, captures[1 + len(stamps) :]


# The worked example's contract scenarios, used when the plan names no folder of its own.
DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "scenarios"


def scenario_folder(plan: Plan, plan_path: str | Path | None) -> Path:
    """The folder the plan's ``parity: {scenarios: ...}`` names, relative to the plan file;
    the package's own when it names none."""
    if plan.parity.scenarios is None:
        return DEFAULT_FOLDER
    folder = Path(plan.parity.scenarios)
    if not folder.is_absolute() and plan_path is not None:
        folder = Path(plan_path).resolve().parent / folder
    return folder


def plan_scenarios(plan: Plan, plan_path: str | Path | None) -> tuple[Scenario, ...]:
    """Every scenario of the plan's folder (loaded once per version of its files)."""
    folder = scenario_folder(plan, plan_path)
    if not folder.is_dir():
        where = f"{plan_path}: parity.scenarios" if plan_path else "parity.scenarios"
        raise ScenarioFileError([ScenarioProblem(str(folder), None, f"no such folder ({where})")])
    return _cached(str(folder), _versions(folder))


def _versions(folder: Path) -> tuple[tuple[str, int], ...]:
    files = sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())
    return tuple((p.name, p.stat().st_mtime_ns) for p in files)


@functools.lru_cache(maxsize=8)
def _cached(folder: str, versions: tuple[tuple[str, int], ...]) -> tuple[Scenario, ...]:
    return load_scenario_folder(folder)
