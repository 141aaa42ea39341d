"""Gates (pure): the evidence a route needs before more callers reach its service.

Evaluated here, and only here, for flips through the router's admin API and flips made directly on
the state store: enough shadow comparisons with a low enough mismatch rate, and the CI parity
suite's last recorded result green for the endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from migration_plan.plan.evidence import ParityResults, ShadowEvidence
from migration_plan.plan.model import GateSettings
from migration_plan.plan.transitions import Transition, transition_problem

PARITY_COMMAND = "strangler parity run"


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a flip may go ahead; `problems` say what is refused and what evidence is missing."""

    allowed: bool
    problems: tuple[str, ...] = ()
    forced: bool = False

    @property
    def message(self) -> str:
        return "; ".join(self.problems)


def gate_problems(
    route: str,
    gates: GateSettings,
    shadow: ShadowEvidence | None,
    parity: ParityResults | None,
) -> list[str]:
    """What evidence is missing for `route` to move to canary or extracted (empty: none)."""
    problems: list[str] = []
    if gates.min_shadow_comparisons > 0:
        if shadow is None:
            problems.append(
                f"needs {gates.min_shadow_comparisons} shadow comparisons, "
                "has none known (no router counters: is the router running?)"
            )
        elif shadow.comparisons < gates.min_shadow_comparisons:
            problems.append(
                f"needs {gates.min_shadow_comparisons} shadow comparisons, has {shadow.comparisons}"
            )
    if shadow is not None and shadow.comparisons and shadow.mismatch_rate > gates.max_mismatch_rate:
        problems.append(
            f"shadow mismatch rate {shadow.mismatch_rate:.2%} ({shadow.mismatches} of "
            f"{shadow.comparisons}) is above the allowed {gates.max_mismatch_rate:.2%}"
        )
    if gates.require_parity:
        problem = parity_problem(route, parity)
        if problem:
            problems.append(problem)
    return problems


def parity_problem(route: str, parity: ParityResults | None) -> str | None:
    if parity is None or parity.problem is not None:
        where = f" ({parity.problem})" if parity is not None and parity.problem else ""
        return f"parity result for {route} is missing: run `{PARITY_COMMAND}`{where}"
    result = parity.result(route)
    if result is None:
        return f"parity result for {route} is missing: run `{PARITY_COMMAND}`"
    if result.status != "pass":
        detail = f"; first failure: {result.failures[0]}" if result.failures else ""
        return (
            f"parity result for {route} is {result.status} ({result.mismatches} mismatches "
            f"in {result.scenarios} scenarios{detail}): fix it and re-run `{PARITY_COMMAND}`"
        )
    return None


def decide(
    transition: Transition,
    gates: GateSettings,
    shadow: ShadowEvidence | None,
    parity: ParityResults | None,
    *,
    force: bool = False,
) -> Decision:
    """The one decision for a flip: the transition rule, then the gates when exposure rises.

    `force` lets a refused flip through; the refusals are kept so history can say what was forced.
    """
    problems: list[str] = []
    refused = transition_problem(transition)
    if refused:
        problems.append(refused)
    elif transition.raises_exposure:
        problems.extend(gate_problems(transition.route, gates, shadow, parity))
    if not problems:
        return Decision(True)
    if force and not _needs_percent(refused):
        return Decision(True, tuple(problems), forced=True)
    return Decision(False, tuple(problems))


def _needs_percent(problem: str | None) -> bool:
    # not something --force can stand in for: there is no percent to apply
    return problem is not None and problem.startswith("a move to canary needs a percent")
