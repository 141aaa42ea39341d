"""The noise baseline's proposal logic and its text edit of the plan file (pure, no sides)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migration_plan.parity import compare_responses
from migration_plan.parity.baseline import EndpointNoise, EndpointProposal, propose, with_proposals
from migration_plan.parity.compare import raw_differences
from migration_plan.parity.response import ObservedResponse
from migration_plan.plan import PlanError, parse_plan
from migration_plan.plan.model import ProposedRule

pytestmark = pytest.mark.unit

PLAN = (Path(__file__).resolve().parents[2] / "migration_plan" / "plan.yaml").read_text()
LOGIN = "POST /api/auth/login"


def answer(body: object, status: int = 200, **headers: str) -> ObservedResponse:
    return ObservedResponse(status, {"content-type": "application/json", **headers},
                            json.dumps(body).encode())  # fmt: skip


def learned(*pairs: tuple[ObservedResponse, ObservedResponse]) -> EndpointNoise:
    noise = EndpointNoise()
    for a, b in pairs:
        noise.model.observe(a, b)
        noise.differences += raw_differences(a, b)
    return noise


def test_a_minted_token_is_a_proposed_ignore_and_a_timestamp_a_tolerance() -> None:
    pairs = [
        (
            answer({"token": f"t{i}a", "name": "Pat", "at": "2026-12-02T10:00:00", "n": 1}),
            answer({"token": f"t{i}b", "name": "Pat", "at": "2026-12-02T10:00:01.5", "n": 1}),
        )
        for i in range(3)
    ]
    proposal = propose(LOGIN, learned(*pairs))
    assert proposal.unstable == ""
    assert proposal.rules == (
        ProposedRule(rule="timestamps", at="/at", seconds=2.0,
                     reason="differs between two legacy answers by up to 1.500 s"),
        ProposedRule(rule="ignore", at="/token",
                     reason="differs between two legacy answers in 3 of 3 observations: "
                     "values minted per call"),
    )  # fmt: skip


def test_list_indices_are_generalised_and_stable_fields_get_nothing() -> None:
    a = answer({"items": [{"id": 1, "ref": "x"}, {"id": 2, "ref": "y"}], "total": 2})
    b = answer({"items": [{"id": 1, "ref": "p"}, {"id": 2, "ref": "q"}], "total": 2})
    assert [(r.rule, r.at) for r in propose(LOGIN, learned((a, b))).rules] == [
        ("ignore", "/items/*/ref")
    ]
    assert propose(LOGIN, learned((a, a))).rules == ()


def test_header_noise_is_a_proposed_drop_header() -> None:
    a, b = answer({"n": 1}, location="/x/1"), answer({"n": 1}, location="/x/2")
    assert [(r.rule, r.at) for r in propose(LOGIN, learned((a, b))).rules] == [
        ("drop_header", "location")
    ]


def test_a_differing_status_or_whole_body_makes_the_endpoint_unstable_not_a_rule() -> None:
    status = propose(LOGIN, learned((answer({"n": 1}), answer({"n": 1}, status=409))))
    assert status.rules == () and "status" in status.unstable
    most = propose(LOGIN, learned((answer({"a": 1, "b": 2}), answer({"a": 3, "b": 4}))))
    assert most.rules == () and "fields" in most.unstable


def proposal(*rules: ProposedRule) -> dict[str, EndpointProposal]:
    return {LOGIN: EndpointProposal(LOGIN, 3, rules)}


TOKEN = ProposedRule(rule="ignore", at="/session", reason="minted")


def test_proposals_are_inserted_under_the_endpoint_keeping_every_other_line() -> None:
    text = with_proposals(PLAN, "plan.yaml", proposal(TOKEN))
    added = [line for line in text.splitlines() if line not in PLAN.splitlines()]
    assert added[0].startswith("    parity_proposed:  # learned by `strangler parity baseline`")
    assert added[1:] == ['      - {rule: "ignore", at: "/session", reason: "minted"}']
    assert len(text.splitlines()) == len(PLAN.splitlines()) + 2  # comments all still there
    plan = parse_plan(text)
    login = plan.endpoint(LOGIN)
    assert login is not None and login.parity_proposed == (TOKEN,)
    before = parse_plan(PLAN).endpoint(LOGIN)
    assert before is not None and login.parity.model_dump() == before.parity.model_dump()


def test_a_second_baseline_replaces_the_first_and_none_removes_it() -> None:
    first = with_proposals(PLAN, "plan.yaml", proposal(TOKEN))
    other = ProposedRule(rule="timestamps", at="/at", seconds=1.0, reason="clock")
    second = with_proposals(first, "plan.yaml", proposal(other))
    assert parse_plan(second).endpoint(LOGIN).parity_proposed == (other,)  # type: ignore[union-attr]
    assert with_proposals(second, "plan.yaml", proposal()) == PLAN


def test_the_last_endpoint_of_the_file_takes_proposals_too() -> None:
    route = "POST /api/orders/{id}/cancel"
    text = with_proposals(PLAN, "plan.yaml", {route: EndpointProposal(route, 1, (TOKEN,))})
    assert parse_plan(text).endpoint(route).parity_proposed == (TOKEN,)  # type: ignore[union-attr]


def test_a_proposal_that_would_not_load_raises_and_returns_no_text() -> None:
    bad = ProposedRule.model_construct(rule="ignore", at="session", seconds=None, reason="x")
    with pytest.raises(PlanError, match=r"plan.yaml:\d+: endpoints\[1\].parity_proposed\[0\]"):
        with_proposals(PLAN, "plan.yaml", proposal(bad))


def test_a_proposed_ignore_cancels_nothing_in_a_comparison() -> None:
    plan = parse_plan(with_proposals(PLAN, "plan.yaml", proposal(TOKEN)))
    rules = plan.endpoint(LOGIN).parity  # type: ignore[union-attr]
    comparison = compare_responses(answer({"session": "a"}), answer({"session": "b"}), rules)
    assert [d.path for d in comparison.differences] == ["/session"]
