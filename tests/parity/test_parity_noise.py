"""The noise model: learning from two legacy answers, thresholds, and persistence."""

from __future__ import annotations

import json

import pytest

from migration_plan.parity import NoiseModel, ObservedResponse, ParityRules, compare_responses

pytestmark = pytest.mark.unit


def user(user_id: int, created_at: str, name: str = "Alice") -> ObservedResponse:
    return ObservedResponse.from_json(
        201,
        {
            "created_at": created_at,
            "email": "alice@example.com",
            "id": user_id,
            "is_admin": False,
            "name": name,
        },
    )


def order_page(ids: list[int], total: str = "59.97") -> ObservedResponse:
    line = {
        "line_total": total,
        "name": "Fig",
        "product_id": 1,
        "quantity": 3,
        "unit_price": "19.99",
    }
    orders = [
        {
            "created_at": "c",
            "id": i,
            "items": [line],
            "status": "pending",
            "total": total,
            "user_id": 2,
        }
        for i in ids
    ]
    return ObservedResponse.from_json(
        200, {"items": orders, "page": 1, "per_page": 20, "total": len(ids)}
    )


def learned_from_two_registrations() -> NoiseModel:
    model = NoiseModel()
    model.observe(
        user(7, "Fri, 27 Nov 2026 04:34:17 GMT"), user(8, "Fri, 27 Nov 2026 04:34:18 GMT")
    )
    return model


def test_an_empty_model_calls_nothing_noise() -> None:
    model = NoiseModel()
    assert model.observations == 0
    assert model.noisy_paths == frozenset()
    assert not model.is_noise("/id")
    assert not model.too_noisy
    assert model.noise_ratio("/id") == 0.0


def test_paths_that_differ_between_two_legacy_answers_are_learned_as_noise() -> None:
    model = learned_from_two_registrations()
    assert model.observations == 1
    assert model.noisy_paths == frozenset({"/id", "/created_at"})
    assert model.is_noise("/id") and model.is_noise("/created_at")
    assert not model.is_noise("/name")


def test_learned_noise_is_reported_separately_and_counted_while_real_differences_remain() -> None:
    model = learned_from_two_registrations()
    legacy = user(9, "Fri, 27 Nov 2026 04:35:00 GMT")
    extracted = user(10, "Fri, 27 Nov 2026 04:35:01 GMT", name="alice")
    comparison = compare_responses(legacy, extracted, noise=model)
    assert [d.path for d in comparison.differences] == ["/name"]
    assert sorted(d.path for d in comparison.noise) == ["/created_at", "/id"]
    assert not comparison.matched
    assert comparison.summary().splitlines()[0] == "1 difference, 2 explained by noise"


def test_a_field_only_the_service_adds_is_reported_even_beside_noisy_fields() -> None:
    model = learned_from_two_registrations()
    legacy = user(9, "x")
    extracted = ObservedResponse.from_json(
        201, {**json.loads(legacy.body), "created_at": "y", "updated_at": "z"}
    )
    comparison = compare_responses(legacy, extracted, noise=model)
    assert [(d.path, d.kind) for d in comparison.differences] == [("/updated_at", "extra")]


def test_array_indices_are_generalised_so_noise_learned_on_one_element_covers_all() -> None:
    model = NoiseModel()
    model.observe(order_page([3, 2, 1]), order_page([6, 5, 4]))
    assert model.noisy_paths == frozenset({"/items/*/id"})
    assert model.is_noise("/items/17/id")
    assert not model.is_noise("/items/17/total")


def test_noise_covers_the_subtree_below_a_noisy_pointer() -> None:
    model = NoiseModel()
    model.observe(
        ObservedResponse.from_json(200, {"trace": "abc", "x": 1}),
        ObservedResponse.from_json(200, {"trace": {"id": 1}, "x": 1}),
    )
    assert model.is_noise("/trace/id")


def test_status_and_header_noise_are_learned_by_name() -> None:
    model = NoiseModel(max_noise_ratio=1.0)
    rules = ParityRules(headers=("content-type", "etag"))
    model.observe(
        ObservedResponse.from_json(200, {"a": 1}, {"ETag": "1"}),
        ObservedResponse.from_json(200, {"a": 1}, {"ETag": "2"}),
        rules,
    )
    assert model.noisy_paths == frozenset({"header:etag"})
    assert model.is_noise("header:etag")
    assert not model.is_noise("header:content-type")


def test_a_path_counts_as_noise_only_after_min_noisy_observations() -> None:
    model = NoiseModel(min_noisy=2)
    model.observe(user(1, "a"), user(2, "a"))
    assert not model.is_noise("/id")
    model.observe(user(1, "a"), user(1, "a"))
    assert not model.is_noise("/id")
    model.observe(user(3, "a"), user(4, "a"))
    assert model.is_noise("/id")
    assert model.noise_ratio("/id") == pytest.approx(2 / 3)


def test_nothing_counts_as_noise_before_min_observations() -> None:
    model = NoiseModel(min_observations=3)
    model.observe(user(1, "a"), user(2, "b"))
    model.observe(user(1, "a"), user(2, "b"))
    assert model.noisy_paths == frozenset() and not model.is_noise("/id")
    model.observe(user(1, "a"), user(1, "a"))
    assert model.noisy_paths == frozenset({"/id", "/created_at"})


def test_noise_ratio_answers_for_a_concrete_pointer_through_its_generalised_pattern() -> None:
    model = NoiseModel()
    model.observe(order_page([1]), order_page([2]))
    model.observe(order_page([1]), order_page([1]))
    assert model.noise_ratio("/items/*/id") == 0.5
    assert model.noise_ratio("/items/0/id") == 0.5
    assert model.noise_ratio("/items/0/total") == 0.0


def test_a_model_where_most_of_the_body_is_noise_is_too_noisy_and_cancels_nothing() -> None:
    model = NoiseModel(max_noise_ratio=0.5)
    model.observe(
        ObservedResponse.from_json(200, {"a": 1, "b": 1, "c": 1}),
        ObservedResponse.from_json(200, {"a": 2, "b": 2, "c": 1}),
    )
    assert model.too_noisy  # 2 of 3 fields
    comparison = compare_responses(
        ObservedResponse.from_json(200, {"a": 1, "b": 1, "c": 1}),
        ObservedResponse.from_json(200, {"a": 5, "b": 1, "c": 1}),
        noise=model,
    )
    assert [d.path for d in comparison.differences] == ["/a"]
    assert comparison.noise == ()


def test_a_model_under_the_ratio_is_not_too_noisy() -> None:
    assert not learned_from_two_registrations().too_noisy  # 2 of 5 fields


def test_a_noisy_status_or_non_json_body_makes_the_model_too_noisy_whatever_the_ratio() -> None:
    status = NoiseModel(max_noise_ratio=1.0)
    status.observe(ObservedResponse.from_json(200, {}), ObservedResponse.from_json(201, {}))
    assert status.too_noisy
    body = NoiseModel(max_noise_ratio=1.0)
    body.observe(ObservedResponse(200, {}, b"<p>1</p>"), ObservedResponse(200, {}, b"<p>2</p>"))
    assert body.too_noisy
    assert compare_responses(
        ObservedResponse(200, {}, b"<p>1</p>"), ObservedResponse(200, {}, b"<p>x</p>"), noise=body
    ).differences


def test_observing_honours_the_rules_so_an_unordered_list_is_not_learned_as_noise() -> None:
    rules = ParityRules(unordered={"/items": "id"})
    model = NoiseModel()
    model.observe(order_page([1, 2]), order_page([2, 1]), rules)
    assert model.noisy_paths == frozenset()


def test_the_model_round_trips_through_a_plain_json_dict() -> None:
    model = NoiseModel(min_observations=2, min_noisy=1, max_noise_ratio=0.4)
    model.observe(user(1, "a"), user(2, "b"))
    model.observe(user(1, "a"), user(2, "a"))
    data = json.loads(json.dumps(model.to_dict()))
    restored = NoiseModel.from_dict(data)
    assert restored.to_dict() == model.to_dict()
    assert restored.noisy_paths == model.noisy_paths
    assert restored.too_noisy == model.too_noisy
    assert restored.is_noise("/created_at")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": 99},
        {"version": 1, "min_observations": 1},
        {
            "version": 1,
            "min_observations": 1,
            "min_noisy": 1,
            "max_noise_ratio": 0.5,
            "observations": 1,
            "noisy": {"/id": 2},
            "fields": [],
        },
    ],
)
def test_a_damaged_saved_model_is_refused_with_a_value_error(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="noise model"):
        NoiseModel.from_dict(data)


@pytest.mark.parametrize(
    "kwargs",
    [{"min_observations": 0}, {"min_noisy": 0}, {"max_noise_ratio": 1.5}],
)
def test_nonsense_thresholds_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="NoiseModel"):
        NoiseModel(**kwargs)  # type: ignore[arg-type]


def test_noise_is_learned_and_matched_on_escaped_pointers() -> None:
    model = NoiseModel(max_noise_ratio=1.0)
    model.observe(
        ObservedResponse.from_json(200, {"a/b": [{"~t": 1}], "c": 1}),
        ObservedResponse.from_json(200, {"a/b": [{"~t": 2}], "c": 1}),
    )
    assert model.noisy_paths == frozenset({"/a~1b/*/~0t"})
    assert model.is_noise("/a~1b/4/~0t")
    assert not model.is_noise("/a/b/4/~t")


def test_a_legacy_list_whose_length_varies_makes_the_model_too_noisy() -> None:
    model = NoiseModel()
    model.observe(order_page([3, 2, 1]), order_page([3, 2]))
    assert "/items/*" in model.noisy_paths  # the missing element covers every element field
    assert model.too_noisy
    comparison = compare_responses(
        order_page([3, 2]), order_page([3, 2], total="0.00"), noise=model
    )
    assert comparison.differences and not comparison.noise
