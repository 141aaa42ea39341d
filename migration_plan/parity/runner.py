"""Run a scenario against two sides and compare each step with its endpoint's plan rules."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from migration_plan.plan import Endpoint, Plan

from .compare import compare_responses
from .difference import Comparison
from .ids import IdMap, owner_of, resource_of
from .pointers import split, unescape
from .redact import default_redactor
from .response import ObservedResponse
from .rules import ParityRules
from .scenario import JSON, Capture, Scenario, ScenarioError, SideRequest, Step, render
from .sides import Side


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step: what each side was asked and answered, and the comparison."""

    scenario: str
    index: int
    step: Step
    legacy_request: SideRequest
    legacy: ObservedResponse
    extracted: ObservedResponse
    comparison: Comparison
    problems: tuple[str, ...] = ()  # not differences: unmet expectations, failed captures

    @property
    def endpoint(self) -> str:
        return self.step.endpoint

    @property
    def passed(self) -> bool:
        return self.comparison.matched and not self.problems

    def first_line(self) -> str:
        """The first thing wrong, on one line (for results files and JUnit messages)."""
        if self.problems:
            return default_redactor().text(self.problems[0])
        if self.comparison.differences:
            return str(self.comparison.differences[0])
        return "match"

    def summary(self) -> str:
        head = f"step {self.index + 1} {self.step.label} [{self.endpoint}]"
        lines = [head]
        lines += [f"  {default_redactor().text(problem)}" for problem in self.problems]
        if not self.comparison.matched:
            lines += ["  " + line for line in self.comparison.summary().splitlines()]
        return "\n".join(lines)


@dataclass(slots=True)
class ScenarioResult:
    scenario: Scenario
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None  # the scenario stopped here (an exception, an unusable capture)
    error_endpoint: str | None = None  # the endpoint of the step it stopped at

    @property
    def passed(self) -> bool:
        return self.error is None and all(step.passed for step in self.steps)

    def failures(self) -> list[StepResult]:
        return [step for step in self.steps if not step.passed]

    def summary(self) -> str:
        """Readable diff summary per failing step (what a pytest assertion shows)."""
        lines = [f"scenario {self.scenario.name!r}: " + ("pass" if self.passed else "FAIL")]
        lines += [step.summary() for step in self.failures()]
        if self.error:  # an exception's text may quote a URL or a body
            lines.append(f"  stopped: {default_redactor().text(self.error)}")
        return "\n".join(lines)


class UnknownEndpoint(ScenarioError):
    """A step names a route the plan does not have."""


def rules_for(step: Step, endpoint: Endpoint) -> ParityRules:
    rules = endpoint.parity
    if step.compare_headers:
        rules = rules.model_copy(update={"headers": (*rules.headers, *step.compare_headers)})
    return rules


def learn_capture(
    ids: IdMap,
    capture: Capture,
    values: list[JSON],
    extracted: ObservedResponse,
    endpoint: Endpoint,
) -> None:
    """Map a captured extracted value to legacy's: under the capture's fields in its scope (a
    stamp only inside its own entity's objects) and under the capture's own name anywhere."""
    scope = capture.scope or resource_of(endpoint.template.path)
    try:
        document = json.loads(extracted.body)
    except ValueError:
        document = None
    ids.learn(values[0], values[1], capture.fields, scope, owner_of(document, capture.pointer))
    ids.learn(values[0], values[1], (capture.name,))


def endpoint_of(plan: Plan, route: str) -> Endpoint:
    endpoint = plan.endpoint(route)
    if endpoint is None:
        raise UnknownEndpoint(f"{route!r} is not an endpoint of the plan")
    return endpoint


def pointer_value(response: ObservedResponse, pointer: str) -> JSON:
    """The value at ``pointer`` of a JSON answer; KeyError saying where it stopped."""
    try:
        value: JSON = json.loads(response.body)
    except ValueError:
        raise KeyError(f"status {response.status} answer is not JSON") from None
    for segment in split(pointer):
        key = unescape(segment)
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            raise KeyError(f"status {response.status} answer has no {pointer}")
    return value


def side_tokens(run: str) -> tuple[str, str]:
    """The ``{run}`` of each side (legacy, extracted) for one run's shared token."""
    return f"l{run}", f"e{run}"


def run_scenario(
    scenario: Scenario,
    legacy: Side,
    extracted: Side,
    plan: Plan,
    variables: Mapping[str, JSON] | None = None,
    *,
    state: dict[str, dict[str, JSON]] | None = None,
    run: str | None = None,
    settle: Callable[[], None] | None = None,
) -> ScenarioResult:
    """Run every step on both sides in order; each side keeps its own captured values.

    ``variables`` start both sides alike; ``state`` (``{"legacy": {...}, "extracted": {...}}``)
    carries per-side values across calls and receives this run's captures. ``run`` makes
    ``{run}`` a token of each side's own (``l<run>``, ``e<run>``): on sides that share data (the
    sync copies each side's writes to the other) each side creates its own users and SKUs, and
    the extracted answers are compared with the tokens swapped back (``ids.py``).

    With ``settle`` the sides take turns: legacy runs the whole scenario, ``settle()`` (wait for
    the sync), then extracted, then ``settle()`` again; the answers are compared step by step as
    ever. Sides that share data need it: the sync merges the owner's rows into the other side by
    id, so a row one side created while the other was creating its own can be overwritten by
    the other's under the same id before the scenario reads it back.
    """
    if state is None:
        state = {"legacy": {}, "extracted": {}}
    for side in ("legacy", "extracted"):
        state.setdefault(side, {}).update(variables or {})
    ids = IdMap()
    if run is not None:
        state["legacy"]["run"], state["extracted"]["run"] = side_tokens(run)
        ids.learn_text(*side_tokens(run))
    if settle is not None:
        legacy = RecordedSide(legacy.name, answers_alone(scenario, legacy, plan, state["legacy"]))
        settle()
        try:
            return _compare_steps(scenario, legacy, extracted, plan, state, ids)
        finally:
            settle()
    return _compare_steps(scenario, legacy, extracted, plan, state, ids)


def answers_alone(
    scenario: Scenario, side: Side, plan: Plan, variables: Mapping[str, JSON]
) -> list[ObservedResponse | Exception]:
    """Every step on one side, as far as it gets: its answers, or the error it stopped with."""
    mine = dict(variables)
    answers: list[ObservedResponse | Exception] = []
    for index, step in enumerate(scenario.steps):
        where = f"{scenario.name!r} step {index + 1} ({step.label})"
        try:
            endpoint = endpoint_of(plan, step.endpoint)
            answer = side.send(render(step, mine, where), endpoint)
        except Exception as error:
            answers.append(error)
            return answers
        answers.append(answer)
        for capture in step.captures:
            try:
                mine[capture.name] = pointer_value(answer, capture.pointer)
            except KeyError:
                return answers  # the comparison stops at this step too
    return answers


class RecordedSide:
    """A side answering with what it answered before, in order (``answers_alone``)."""

    def __init__(self, name: str, answers: list[ObservedResponse | Exception]) -> None:
        self.name = name
        self._answers = iter(answers)

    def send(self, request: SideRequest, endpoint: Endpoint) -> ObservedResponse:
        answer = next(self._answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        pass


def _compare_steps(
    scenario: Scenario,
    legacy: Side,
    extracted: Side,
    plan: Plan,
    state: dict[str, dict[str, JSON]],
    ids: IdMap,
) -> ScenarioResult:
    result = ScenarioResult(scenario)
    for index, step in enumerate(scenario.steps):
        where = f"{scenario.name!r} step {index + 1} ({step.label})"
        sending = ""
        try:
            endpoint = endpoint_of(plan, step.endpoint)
            legacy_request = render(step, state["legacy"], where)
            extracted_request = render(step, state["extracted"], where)
            sending = f" the {legacy.name} side:"
            legacy_answer = legacy.send(legacy_request, endpoint)
            sending = f" the {extracted.name} side:"
            answers = (legacy_answer, extracted.send(extracted_request, endpoint))
        except Exception as error:  # a side that cannot answer stops the scenario, not the run
            result.error = f"{where}:{sending} {type(error).__name__}: {error}"
            result.error_endpoint = step.endpoint
            return result
        problems: list[str] = []
        if step.expect is not None and answers[0].status != step.expect:
            problems.append(
                f"legacy answered {answers[0].status}, the scenario expects {step.expect}"
            )
        for capture in step.captures:
            try:
                values = [pointer_value(answer, capture.pointer) for answer in answers]
            except KeyError as missing:
                problems.append(f"capture {{{capture.name}}}: {missing.args[0]}")
                continue
            state["legacy"][capture.name], state["extracted"][capture.name] = values
            if capture.map_id:
                learn_capture(ids, capture, values, answers[1], endpoint)
        extracted_answer = ids.apply(answers[1], endpoint.template.path)
        rules = rules_for(step, endpoint)
        comparison = compare_responses(answers[0], extracted_answer, rules)
        result.steps.append(
            StepResult(
                scenario.name,
                index,
                step,
                legacy_request,
                answers[0],
                answers[1],
                comparison,
                tuple(problems),
            )
        )
        if any(problem.startswith("capture") for problem in problems):
            # The failing step already counts against its endpoint: no error_endpoint.
            result.error = f"{where}: a later step needs a value this step did not give"
            return result
    return result
