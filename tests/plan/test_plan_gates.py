"""Pure model: allowed transitions, gates with their evidence messages, and the one decision."""

from __future__ import annotations

import pytest

from migration_plan.plan import GateSettings, Mode
from migration_plan.plan.evidence import ParityResults, ShadowEvidence, parse_parity_results
from migration_plan.plan.gates import decide, gate_problems
from migration_plan.plan.transitions import Transition, exposure, next_stage, transition_problem

pytestmark = pytest.mark.unit

ROUTE = "GET /api/products/{id}"
L, S, C, E = Mode.LEGACY, Mode.SHADOW, Mode.CANARY, Mode.EXTRACTED
GATES = GateSettings(min_shadow_comparisons=200, max_mismatch_rate=0.01, require_parity=True)


def results(status: str = "pass", route: str = ROUTE) -> ParityResults:
    return parse_parity_results(
        {
            "version": 1,
            "generated_at": "2026-11-27T05:00:00+00:00",
            "source": "ci",
            "endpoints": {
                route: {
                    "status": status,
                    "scenarios": 3,
                    "steps": 7,
                    "mismatches": 0 if status == "pass" else 2,
                    "failures": [] if status == "pass" else ["step 2: /price differs"],
                }
            },
        },
        "var/parity/results.json",
    )


GREEN = ShadowEvidence(comparisons=250, mismatches=1)


@pytest.mark.parametrize(
    ("current", "target", "current_percent", "target_percent"),
    [
        (L, S, None, None),
        (S, C, None, 5.0),
        (C, E, 50.0, None),
        (C, C, 5.0, 50.0),  # grow within canary
        (C, C, 50.0, 5.0),  # shrink within canary
        (S, L, None, None),
        (C, L, 20.0, None),
        (E, L, None, None),  # rollback to legacy, from anywhere
        (E, C, None, 10.0),  # stepping back lowers exposure
        (C, S, 5.0, None),
        (E, S, None, None),
    ],
)
def test_allowed_transitions(
    current: Mode, target: Mode, current_percent: float | None, target_percent: float | None
) -> None:
    assert (
        transition_problem(Transition(ROUTE, current, target, current_percent, target_percent))
        is None
    )


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (
            L,
            C,
            f"cannot move {ROUTE} from legacy to canary: the next allowed stage is shadow",
        ),
        (
            L,
            E,
            f"cannot move {ROUTE} from legacy to extracted: the next allowed stage is shadow",
        ),
        (
            S,
            E,
            f"cannot move {ROUTE} from shadow to extracted: the next allowed stage is canary",
        ),
        (L, L, "GET /api/products/{id} is already legacy"),
        (S, S, "GET /api/products/{id} is already shadow"),
        (E, E, "GET /api/products/{id} is already extracted"),
    ],
)
def test_skipping_a_stage_is_refused_naming_the_next_allowed_stage(
    current: Mode, target: Mode, message: str
) -> None:
    percent = 10.0 if target is C else None
    assert transition_problem(Transition(ROUTE, current, target, None, percent)) == message


def test_a_move_to_canary_needs_a_percent_and_a_same_percent_is_no_change() -> None:
    assert transition_problem(Transition(ROUTE, S, C)) == (
        "a move to canary needs a percent (--percent 0..100)"
    )
    assert transition_problem(Transition(ROUTE, C, C, 5.0, 5.0)) == (
        "GET /api/products/{id} is already canary at 5%"
    )


def test_stages_and_exposure() -> None:
    assert [next_stage(m) for m in (L, S, C, E)] == [S, C, E, None]
    assert [exposure(L, None), exposure(S, None), exposure(C, 25.0), exposure(E, None)] == [
        0.0,
        0.0,
        25.0,
        100.0,
    ]


def test_gates_open_with_enough_green_evidence() -> None:
    assert gate_problems(ROUTE, GATES, GREEN, results()) == []


def test_too_few_shadow_comparisons_says_how_many_are_needed_and_had() -> None:
    problems = gate_problems(ROUTE, GATES, ShadowEvidence(37, 0), results())
    assert problems == ["needs 200 shadow comparisons, has 37"]


def test_no_router_counters_is_missing_evidence() -> None:
    problems = gate_problems(ROUTE, GATES, None, results())
    assert problems == [
        "needs 200 shadow comparisons, has none known (no router counters: is the router running?)"
    ]


def test_a_mismatch_rate_above_the_threshold_is_refused_with_the_numbers() -> None:
    problems = gate_problems(ROUTE, GATES, ShadowEvidence(250, 8), results())
    assert problems == ["shadow mismatch rate 3.20% (8 of 250) is above the allowed 1.00%"]


def test_a_mismatch_rate_at_the_threshold_passes() -> None:
    assert gate_problems(ROUTE, GATES, ShadowEvidence(200, 2), results()) == []


def test_a_missing_parity_result_says_to_run_the_parity_suite() -> None:
    problems = gate_problems(ROUTE, GATES, GREEN, results(route="GET /api/orders"))
    assert problems == [
        "parity result for GET /api/products/{id} is missing: run `strangler parity run`"
    ]


def test_a_missing_results_file_names_where_it_looked() -> None:
    missing = ParityResults(location="var/parity/results.json", problem="no results at x.json")
    problems = gate_problems(ROUTE, GATES, GREEN, missing)
    assert problems == [
        "parity result for GET /api/products/{id} is missing: run `strangler parity run` "
        "(no results at x.json)"
    ]


def test_a_failed_parity_result_is_refused_with_its_first_failure() -> None:
    problems = gate_problems(ROUTE, GATES, GREEN, results("fail"))
    assert problems == [
        "parity result for GET /api/products/{id} is fail (2 mismatches in 3 scenarios; "
        "first failure: step 2: /price differs): fix it and re-run `strangler parity run`"
    ]


def test_parity_results_match_whatever_the_parameter_is_called() -> None:
    assert results(route="GET /api/products/{product_id}").result(ROUTE) is not None


def test_parity_is_not_needed_when_the_plan_says_so() -> None:
    gates = GATES.model_copy(update={"require_parity": False})
    assert gate_problems(ROUTE, gates, GREEN, None) == []


def test_unreadable_results_are_a_problem_not_a_crash() -> None:
    assert (
        parse_parity_results({"version": 2}, "r.json").problem == "r.json is not parity results v1"
    )
    assert parse_parity_results({"version": 1}, "r.json").problem == (
        "r.json has no 'endpoints' mapping"
    )


def test_decide_gates_only_moves_that_raise_exposure() -> None:
    weak = ShadowEvidence(3, 0)
    assert decide(Transition(ROUTE, L, S), GATES, None, None).allowed
    assert decide(Transition(ROUTE, E, L), GATES, None, None).allowed
    assert decide(Transition(ROUTE, C, C, 50.0, 5.0), GATES, weak, None).allowed
    refused = decide(Transition(ROUTE, C, C, 5.0, 50.0), GATES, weak, results())
    assert not refused.allowed and refused.problems == ("needs 200 shadow comparisons, has 3",)
    assert decide(Transition(ROUTE, S, C, None, 5.0), GATES, GREEN, results()).allowed
    assert decide(Transition(ROUTE, C, E, 5.0, None), GATES, GREEN, results()).allowed


def test_force_lets_a_refused_flip_through_and_keeps_what_it_overrode() -> None:
    decision = decide(Transition(ROUTE, L, E), GATES, None, None, force=True)
    assert decision.allowed and decision.forced
    assert decision.problems == (
        f"cannot move {ROUTE} from legacy to extracted: the next allowed stage is shadow",
    )
    plain = decide(Transition(ROUTE, L, S), GATES, None, None, force=True)
    assert plain.allowed and not plain.forced


def test_force_cannot_stand_in_for_a_missing_percent() -> None:
    decision = decide(Transition(ROUTE, S, C), GATES, GREEN, results(), force=True)
    assert not decision.allowed


def test_the_results_file_is_found_where_strangler_parity_run_writes_it() -> None:
    from migration_plan.parity.report import DEFAULT_RESULTS_PATH, RESULTS_PATH_SETTING
    from migration_plan.state.evidence import parity_results_path

    assert parity_results_path({}) == DEFAULT_RESULTS_PATH
    assert parity_results_path({RESULTS_PATH_SETTING: "/x/r.json"}).as_posix() == "/x/r.json"


# The whole matrix, as docs/plan.md's table states it: None = allowed, else the refusal's start.
MATRIX = {
    (L, L): "GET /api/products/{id} is already legacy",
    (L, S): None,
    (L, C): "cannot move",
    (L, E): "cannot move",
    (S, L): None,
    (S, S): "GET /api/products/{id} is already shadow",
    (S, C): None,
    (S, E): "cannot move",
    (C, L): None,
    (C, S): None,
    (C, C): None,  # a new percent
    (C, E): None,
    (E, L): None,
    (E, S): None,
    (E, C): None,
    (E, E): "GET /api/products/{id} is already extracted",
}


@pytest.mark.parametrize(("pair", "expected"), list(MATRIX.items()), ids=lambda v: str(v))
def test_every_transition_of_the_matrix(pair: tuple[Mode, Mode], expected: str | None) -> None:
    current, target = pair
    current_percent = 5.0 if current is C else None
    target_percent = 20.0 if target is C else None
    problem = transition_problem(
        Transition(ROUTE, current, target, current_percent, target_percent)
    )
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(expected)


@pytest.mark.parametrize(
    ("pair", "gated"),
    [
        ((L, S), False),
        ((S, C), True),
        ((C, E), True),
        ((E, C), False),
        ((C, L), False),
        ((S, L), False),
        ((E, L), False),
        ((C, S), False),
        ((E, S), False),
    ],
)
def test_only_moves_that_raise_exposure_are_gated(pair: tuple[Mode, Mode], gated: bool) -> None:
    current, target = pair
    transition = Transition(
        ROUTE, current, target, 5.0 if current is C else None, 20.0 if target is C else None
    )
    assert transition.raises_exposure is gated
