"""Rules that normalise instead of ignoring: the value is still checked in a spelling-free form,
and every comparison a rule decided says which rule did. Headers a client acts on are compared."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from migration_plan.parity import ObservedResponse, ParityRules, compare_responses

pytestmark = pytest.mark.unit


def answer(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> ObservedResponse:
    return ObservedResponse(
        status=status,
        headers={"content-type": "application/json", **(headers or {})},
        body=json.dumps(body).encode(),
    )


def explained(rules: ParityRules, legacy: object, extracted: object) -> list[str]:
    result = compare_responses(answer(legacy), answer(extracted), rules)
    assert result.matched, result.summary()
    return [str(e) for e in result.explained]


def differences(rules: ParityRules, legacy: object, extracted: object) -> list[str]:
    return [str(d) for d in compare_responses(answer(legacy), answer(extracted), rules).differences]


STAMPS = ParityRules(timestamps={"/created_at": 0, "/items/*/at": 1.5})


@pytest.mark.parametrize(
    ("legacy", "extracted"),
    [
        ("2026-11-27T04:34:17+00:00", "2026-11-27T04:34:17Z"),
        ("2026-11-27T04:34:17", "2026-11-27T04:34:17.000000+00:00"),
        ("Fri, 27 Nov 2026 04:34:17 GMT", "2026-11-27T04:34:17Z"),
        ("2026-11-27T05:34:17+01:00", "2026-11-27T04:34:17Z"),
    ],
)
def test_timestamps_compare_as_instants_whatever_their_spelling(
    legacy: str, extracted: str
) -> None:
    assert explained(STAMPS, {"created_at": legacy}, {"created_at": extracted}) == [
        "/created_at: explained by timestamps /created_at"
    ]


def test_a_timestamp_rule_still_catches_another_instant_and_a_non_timestamp() -> None:
    late = differences(
        STAMPS, {"created_at": "2026-11-27T04:34:17Z"}, {"created_at": "2026-11-27T04:34:18Z"}
    )
    assert late == ['/created_at: "2026-11-27T04:34:17Z" != "2026-11-27T04:34:18Z"']
    garbage = differences(STAMPS, {"created_at": "2026-11-27T04:34:17Z"}, {"created_at": "soon"})
    assert len(garbage) == 1
    within = {"items": [{"at": "2026-11-27T04:34:17Z"}]}
    assert explained(STAMPS, within, {"items": [{"at": "2026-11-27T04:34:18.4Z"}]}) == [
        "/items/0/at: explained by timestamps /items/*/at"
    ]


def test_declared_equivalent_values_agree_there_and_nowhere_else() -> None:
    rules = ParityRules(equivalent={"/description": [None, ""]})
    assert explained(rules, {"description": None}, {"description": ""}) == [
        "/description: explained by equivalent /description"
    ]
    assert differences(rules, {"description": None}, {"description": "x"}) != []
    assert differences(rules, {"name": None}, {"name": ""}) != []  # another field
    typed = ParityRules(equivalent={"/flag": [0, "0"]})
    assert differences(typed, {"flag": False}, {"flag": "0"}) != []  # False is not 0 in JSON


def test_order_numbers_and_ignores_say_which_rule_explained_them() -> None:
    rules = ParityRules(unordered={"/tags": None}, numeric_tolerance=0.01, ignore=["/token"])
    legacy = {"tags": ["a", "b"], "total": 1.0, "token": "x"}
    extracted = {"tags": ["b", "a"], "total": 1.005, "token": "y"}
    assert sorted(explained(rules, legacy, extracted)) == [
        "/tags: explained by unordered",
        "/token: explained by ignore",
        "/total: explained by numeric_tolerance",
    ]
    assert explained(rules, legacy, legacy) == []  # nothing differed: a plain match


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"timestamps": {"/at": -1}}, "must be a number of seconds >= 0"),
        ({"timestamps": {"at": 1}}, "must be empty or start with '/'"),
        ({"equivalent": {"/x": [None]}}, "name at least two values"),
        ({"equivalent": {"/x": [None, {}]}}, "values must be JSON scalars"),
    ],
)
def test_a_malformed_rule_is_refused_naming_it(rules: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ParityRules.model_validate(rules)


def test_the_headers_a_client_acts_on_are_compared_by_default() -> None:
    rules = ParityRules()
    moved = compare_responses(
        answer({}, 201, {"location": "/api/orders/3"}),
        answer({}, 201, {"location": "/orders/3"}),
        rules,
    )
    assert [str(d) for d in moved.differences] == [
        'header:location: "/api/orders/3" != "/orders/3"'
    ]
    cached = compare_responses(
        answer({}), answer({}, headers={"cache-control": "max-age=60"}), rules
    )
    assert [d.path for d in cached.differences] == ["header:cache-control"]
    only_type = ParityRules(headers=["content-type"])  # an endpoint may narrow the list
    assert compare_responses(
        answer({}), answer({}, headers={"cache-control": "no-store"}), only_type
    ).matched


def test_cookies_compare_by_name_and_attributes_not_by_their_minted_values() -> None:
    rules = ParityRules()
    stamp = "Expires=Fri, 27 Nov 2026 04:34:17 GMT"
    legacy = answer({}, headers={"set-cookie": f"sid=abc; Path=/; HttpOnly, theme=dark; {stamp}"})
    later = "Expires=Sat, 28 Nov 2026 04:34:17 GMT"
    same = answer({}, headers={"set-cookie": f"theme=light; {later}\nsid=xyz; HttpOnly; Path=/"})
    assert compare_responses(legacy, same, rules).matched
    unsafe = answer({}, headers={"set-cookie": "sid=xyz; Path=/\ntheme=dark"})
    [difference] = compare_responses(legacy, unsafe, rules).differences
    assert difference.path == "header:set-cookie"  # HttpOnly is gone: a client acts on that
