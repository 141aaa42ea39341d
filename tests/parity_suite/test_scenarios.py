"""Scenarios: placeholders per side, captures, id mapping, expectations, the plan's rules."""

from __future__ import annotations

import json
from itertools import count

import pytest

from migration_plan.parity.ids import IdMap, owner_of
from migration_plan.parity.response import ObservedResponse
from migration_plan.parity.runner import run_scenario
from migration_plan.parity.scenario import (
    Capture,
    Scenario,
    ScenarioError,
    SideRequest,
    Step,
    render,
)
from migration_plan.plan import Plan

from .fakes import FunctionSide, json_answer

pytestmark = pytest.mark.unit


def body_of(response: ObservedResponse) -> object:
    return json.loads(response.body)


def test_a_whole_string_placeholder_keeps_the_captured_type() -> None:
    step = Step("POST /api/orders", "POST", "/api/orders/{id}", json={"n": "{id}", "s": "#{id}"})
    request = render(step, {"id": 7}, "here")
    assert request.path == "/api/orders/7"
    assert json.loads(request.body) == {"n": 7, "s": "#7"}
    assert ("Content-Type", "application/json") in request.headers


def test_an_unknown_placeholder_names_the_step_and_what_was_captured() -> None:
    step = Step("GET /api/orders/{id}", "GET", "/api/orders/{order_id}")
    with pytest.raises(
        ScenarioError, match=r"here: no captured value \{order_id\} \(captured: x\)"
    ):
        render(step, {"x": 1}, "here")


def test_a_step_must_name_a_valid_route() -> None:
    with pytest.raises(ScenarioError, match="endpoint"):
        Step("FETCH /x", "GET", "/x")


def test_auth_sends_each_sides_own_token() -> None:
    step = Step("GET /api/auth/me", "GET", "/api/auth/me", auth="token")
    assert ("Authorization", "Bearer abc") in render(step, {"token": "abc"}, "x").headers


def test_id_map_substitutes_only_under_its_fields_and_in_error_messages() -> None:
    ids = IdMap()
    ids.learn(5, 7, ("id", "order_id"))
    answer = json_answer(
        409, {"id": 7, "quantity": 7, "error": {"message": "Order 7 is not pending", "code": "x7"}}
    )
    assert body_of(ids.apply(answer)) == {
        "id": 5,
        "quantity": 7,
        "error": {"message": "Order 5 is not pending", "code": "x7"},
    }


def test_the_latest_mapping_of_a_value_wins() -> None:
    ids = IdMap()
    ids.learn("b", "a", ("updated_at",))
    ids.learn("a", "a", ("updated_at",))  # later, both sides agree on "a"
    assert body_of(ids.apply(json_answer(200, {"updated_at": "a"}))) == {"updated_at": "a"}


def test_a_stamp_is_mapped_only_inside_its_own_entity() -> None:
    # Two products made a moment apart: legacy stamped both :00; extracted stamped the first
    # :01 and the second :01 too (the second's stamps agree). By value alone, the second's
    # "same on both sides" undid the first's mapping.
    ids = IdMap()
    ids.learn("16:38:00", "16:38:01", ("created_at",), owner=7)  # product 7 (extracted id)
    ids.learn("16:38:01", "16:38:01", ("created_at",), owner=8)
    first = ids.apply(json_answer(200, {"id": 7, "created_at": "16:38:01"}))
    second = ids.apply(json_answer(200, {"id": 8, "created_at": "16:38:01"}))
    listing = ids.apply(json_answer(200, {"items": [{"id": 7, "created_at": "16:38:01"}]}))
    assert body_of(first)["created_at"] == "16:38:00"
    assert body_of(second)["created_at"] == "16:38:01"
    assert body_of(listing)["items"][0]["created_at"] == "16:38:00"


def test_the_owner_of_a_captured_stamp_is_the_id_beside_it() -> None:
    answer = {"id": 7, "created_at": "x", "items": [{"id": 3, "stamp": "y"}]}
    assert owner_of(answer, "/created_at") == 7
    assert owner_of(answer, "/items/0/stamp") == 3
    assert owner_of(answer, "/id") is None  # an id is its own entity: mapped by value
    assert owner_of(None, "/created_at") is None


def test_an_unmapped_answer_is_returned_untouched() -> None:
    answer = ObservedResponse(200, {}, b"not json")
    assert IdMap().apply(answer) is answer


def creating_side(first_id: int) -> FunctionSide:
    ids = count(first_id)
    orders: dict[str, int] = {}

    def handle(request):  # type: ignore[no-untyped-def]
        if request.method == "POST":
            new = next(ids)
            orders[str(new)] = new
            return json_answer(201, {"id": new, "status": "pending"})
        order_id = request.path.rsplit("/", 1)[1]
        if order_id in orders:
            return json_answer(200, {"id": orders[order_id], "status": "pending"})
        return json_answer(404, {"error": {"message": f"Order {order_id} not found"}})

    return FunctionSide(handle)


PLACE_AND_READ = Scenario(
    "place and read",
    (
        Step("POST /api/orders", "POST", "/api/orders", json={"items": []},
             captures=(Capture("order_id", "/id", map_id=True),), expect=201),
        Step("GET /api/orders/{id}", "GET", "/api/orders/{order_id}", expect=200),
    ),
)  # fmt: skip


def test_each_side_uses_its_own_ids_and_mapped_ids_compare_equal(parity_plan: Plan) -> None:
    legacy, extracted = creating_side(4), creating_side(90)
    result = run_scenario(PLACE_AND_READ, legacy, extracted, parity_plan)
    assert result.passed, result.summary()
    assert [r.path for r in legacy.seen] == ["/api/orders", "/api/orders/4"]
    assert [r.path for r in extracted.seen] == ["/api/orders", "/api/orders/90"]


def test_an_unmet_expectation_fails_the_step(parity_plan: Plan) -> None:
    side = creating_side(1)
    scenario = Scenario("x", (Step("GET /api/orders/{id}", "GET", "/api/orders/1", expect=200),))
    result = run_scenario(scenario, side, creating_side(1), parity_plan)
    assert not result.passed
    assert result.steps[0].problems == ("legacy answered 404, the scenario expects 200",)


def test_a_failed_capture_stops_the_scenario_and_fails_that_step(parity_plan: Plan) -> None:
    side = FunctionSide(lambda request: json_answer(500, {"error": {}}))
    result = run_scenario(PLACE_AND_READ, side, side, parity_plan)
    assert len(result.steps) == 1 and not result.steps[0].passed
    assert result.error is not None and "did not give" in result.error
    assert "capture {order_id}: status 500 answer has no /id" in result.steps[0].problems


def test_steps_compare_with_their_endpoints_rules_from_the_plan(parity_plan: Plan) -> None:
    # POST /api/auth/login ignores /token in the plan; GET /api/auth/me ignores nothing.
    tokens = iter(["one", "two", "three", "four"])
    side = FunctionSide(lambda request: json_answer(200, {"token": next(tokens)}))
    scenario = Scenario(
        "rules",
        (
            Step("POST /api/auth/login", "POST", "/api/auth/login"),
            Step("GET /api/auth/me", "GET", "/api/auth/me"),
        ),
    )
    result = run_scenario(scenario, side, side, parity_plan)
    assert [step.passed for step in result.steps] == [True, False]
    [difference] = result.steps[1].comparison.differences
    assert (difference.path, difference.legacy, difference.extracted) == ("/token", "three", "four")
    assert "three" not in str(difference)  # printed, a token is only its redaction mark


def test_a_side_that_raises_stops_the_scenario_with_the_reason(parity_plan: Plan) -> None:
    def boom(request):  # type: ignore[no-untyped-def]
        raise ConnectionError("refused")

    result = run_scenario(PLACE_AND_READ, FunctionSide(boom), FunctionSide(boom), parity_plan)
    assert result.error is not None and "the fake side: ConnectionError: refused" in result.error
    assert not result.passed


def test_an_entitys_id_is_mapped_only_in_its_own_endpoints_answers() -> None:
    ids = IdMap()
    ids.learn(4, 10, ("id",), ("/api/orders",))  # an order: legacy 4, extracted 10
    ids.learn(4, 10, ("order_id",))
    products = json_answer(200, {"items": [{"id": 10, "order_id": 10}]})
    assert body_of(ids.apply(products, "/api/products")) == {"items": [{"id": 10, "order_id": 4}]}
    assert body_of(ids.apply(products, "/api/orders/{id}")) == {"items": [{"id": 4, "order_id": 4}]}
    refused = json_answer(404, {"error": {"message": "Product 10 not found"}})
    assert ids.apply(refused, "/api/products/{id}") is refused


def test_an_untemplated_step_keeps_its_braces_but_still_sends_the_token() -> None:
    step = Step("GET /api/auth/me", "GET", "/api/auth/me", headers={"X-A": "{A}"},
                json={"q": "{A}"}, auth="token", templated=False)  # fmt: skip
    request = render(step, {"token": "t"}, "x")
    assert ("X-A", "{A}") in request.headers and ("Authorization", "Bearer t") in request.headers
    assert json.loads(request.body) == {"q": "{A}"}


def test_run_tokens_differ_per_side_and_echoes_of_them_compare_equal(parity_plan: Plan) -> None:
    def echo(request: SideRequest) -> ObservedResponse:
        return json_answer(201, {"id": 1, "email": json.loads(request.body)["email"].lower()})

    legacy, extracted = FunctionSide(echo), FunctionSide(echo)
    scenario = Scenario(
        "echo",
        (Step("POST /api/auth/register", "POST", "/api/auth/register",
              json={"email": "Parity.{run}@X.io"}),),
    )  # fmt: skip
    result = run_scenario(scenario, legacy, extracted, parity_plan, run="ab12")
    assert result.passed, result.summary()
    assert json.loads(legacy.seen[0].body) == {"email": "Parity.lab12@X.io"}
    assert json.loads(extracted.seen[0].body) == {"email": "Parity.eab12@X.io"}


def test_a_token_swap_keeps_case_and_still_shows_other_differences() -> None:
    ids = IdMap()
    ids.learn_text("lab12", "eab12")
    answer = json_answer(200, {"sku": "EDGE-EAB12", "email": "p.eab12@x.org", "n": "lab12"})
    # The extracted side echoing legacy's own token is a difference too: it becomes eab12.
    assert body_of(ids.apply(answer)) == {
        "sku": "EDGE-LAB12",
        "email": "p.lab12@x.org",
        "n": "eab12",
    }


def test_with_settle_legacy_runs_the_whole_scenario_before_extracted(parity_plan: Plan) -> None:
    order: list[str] = []

    def noting(mark: str, side: FunctionSide) -> FunctionSide:
        return FunctionSide(lambda request: (order.append(mark), side.handler(request))[1])

    legacy, extracted = noting("L", creating_side(4)), noting("E", creating_side(90))
    result = run_scenario(
        PLACE_AND_READ, legacy, extracted, parity_plan, settle=lambda: order.append("|")
    )
    assert result.passed, result.summary()
    assert order == ["L", "L", "|", "E", "E", "|"]
