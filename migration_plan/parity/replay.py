"""Replay a capture corpus to the extracted side and compare with the same engine and rules.

The legacy answer is the recorded one by default; with a legacy side given, each request is
sent to legacy again too (needed whenever the data behind the recording is not the data the
sides hold now, e.g. replaying a production corpus in-process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from migration_plan.plan import Plan

from .compare import compare_responses
from .corpus import CorpusEntry
from .report import ParityReport
from .runner import ScenarioResult, StepResult, endpoint_of, rules_for
from .scenario import Scenario, Step
from .sides import Side

RECORDED = "recorded"


def replay(
    entries: Iterable[CorpusEntry],
    plan: Plan,
    extracted: Side,
    legacy: Side | None = None,
    *,
    source: str,
    name: str = "replay",
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> ParityReport:
    """One single-step scenario per entry (``<name>:<line>``), grouped by endpoint."""
    results: list[ScenarioResult] = []
    for index, entry in enumerate(entries):
        request = entry.request
        step = Step(entry.endpoint, request.method, request.path)
        scenario = Scenario(f"{name}:{entry.line or index + 1}", (step,))
        result = ScenarioResult(scenario)
        try:
            endpoint = endpoint_of(plan, entry.endpoint)
            expected = entry.response if legacy is None else legacy.send(request, endpoint)
            answer = extracted.send(request, endpoint)
        except Exception as error:  # one bad entry is a failure of its endpoint, not the run
            result.error = f"{type(error).__name__}: {error}"
            result.error_endpoint = entry.endpoint
        else:
            comparison = compare_responses(expected, answer, rules_for(step, endpoint))
            result.steps.append(
                StepResult(scenario.name, 0, step, request, expected, answer, comparison)
            )
        results.append(result)
        if on_result is not None:
            on_result(result)
    return ParityReport(source, results)
