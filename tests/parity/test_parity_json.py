"""Structural comparison of JSON bodies: every kind of deviation, and what each rule removes."""

from __future__ import annotations

import pytest

from migration_plan.parity import (
    MISSING,
    Comparison,
    Difference,
    ObservedResponse,
    ParityRules,
    compare_responses,
)

pytestmark = pytest.mark.unit

NO_HEADERS = ParityRules(headers=())

PRODUCT = {
    "category": "books",
    "created_at": "Fri, 27 Nov 2026 04:34:17 GMT",
    "description": "A novel.",
    "id": 1,
    "name": "The Fig Tree",
    "price": "19.99",
    "sku": "BOOK-0001",
    "stock": 12,
    "updated_at": "Fri, 27 Nov 2026 04:34:17 GMT",
}


def compare(
    legacy: object, extracted: object, rules: ParityRules = NO_HEADERS, status: int = 200
) -> Comparison:
    return compare_responses(
        ObservedResponse.from_json(status, legacy),
        ObservedResponse.from_json(status, extracted),
        rules,
    )


def only(comparison: Comparison) -> Difference:
    assert len(comparison.differences) == 1, comparison.summary()
    return comparison.differences[0]


def page(items: list[dict[str, object]], total: int | None = None) -> dict[str, object]:
    return {
        "items": items,
        "page": 1,
        "per_page": 20,
        "total": len(items) if total is None else total,
    }


def products(count: int) -> list[dict[str, object]]:
    return [{**PRODUCT, "id": i, "sku": f"BOOK-{i:04d}"} for i in range(1, count + 1)]


def test_identical_bodies_match() -> None:
    assert compare(PRODUCT, dict(PRODUCT)).matched


def test_key_order_and_whitespace_do_not_matter_because_json_is_compared_structurally() -> None:
    legacy = ObservedResponse(200, {"Content-Type": "application/json"}, b'{"a": 1, "b": [1, 2]}')
    extracted = ObservedResponse(200, {"content-type": "application/json"}, b'{"b":[1,2],"a":1}\n')
    assert compare_responses(legacy, extracted).matched


def test_a_money_string_with_a_different_format_is_a_value_difference() -> None:
    difference = only(compare(PRODUCT, {**PRODUCT, "price": "19.990"}))
    assert difference == Difference("/price", "value", "19.99", "19.990")


def test_money_as_a_number_instead_of_a_string_is_a_type_difference() -> None:
    assert only(compare(PRODUCT, {**PRODUCT, "price": 19.99})) == Difference(
        "/price", "type", "19.99", 19.99
    )


def test_a_datetime_in_another_format_is_a_value_difference() -> None:
    difference = only(compare(PRODUCT, {**PRODUCT, "created_at": "2026-11-27T04:34:17+00:00"}))
    assert (difference.path, difference.kind) == ("/created_at", "value")


def test_a_field_the_service_leaves_out_is_reported_missing_at_its_pointer() -> None:
    extracted = {k: v for k, v in PRODUCT.items() if k != "description"}
    assert only(compare(PRODUCT, extracted)) == Difference(
        "/description", "missing", "A novel.", MISSING
    )


def test_a_field_the_service_adds_is_reported_extra_at_its_pointer() -> None:
    assert only(compare(PRODUCT, {**PRODUCT, "version": 2})) == Difference(
        "/version", "extra", MISSING, 2
    )


def test_an_integer_and_a_float_of_equal_value_are_the_same_json_number() -> None:
    assert compare({"stock": 12}, {"stock": 12.0}).matched


def test_a_bool_is_never_equal_to_an_integer() -> None:
    assert only(compare({"ok": True}, {"ok": 1})).kind == "type"
    assert only(compare({"n": 0}, {"n": False})).kind == "type"


def test_a_numeric_string_is_not_an_integer() -> None:
    assert only(compare({"page": 1}, {"page": "1"})) == Difference("/page", "type", 1, "1")


def test_null_and_a_missing_field_are_different() -> None:
    assert only(compare({"a": None}, {})).kind == "missing"
    assert only(compare({"a": None}, {"a": "x"})).kind == "type"


def test_a_different_status_is_reported_even_when_bodies_match() -> None:
    comparison = compare_responses(
        ObservedResponse.from_json(200, PRODUCT), ObservedResponse.from_json(201, PRODUCT)
    )
    assert comparison.differences == (Difference("status", "status", 200, 201),)


def test_a_different_error_envelope_is_reported_field_by_field() -> None:
    legacy = {"error": {"code": "not_found", "message": "Product 7 not found"}}
    extracted = {"detail": "Not Found"}
    comparison = compare(legacy, extracted, status=404)
    assert {(d.path, d.kind) for d in comparison.differences} == {
        ("/error", "missing"),
        ("/detail", "extra"),
    }


def test_an_error_message_that_differs_is_reported_at_its_pointer() -> None:
    legacy = {"error": {"code": "validation_error", "message": "email is required"}}
    extracted = {"error": {"code": "validation_error", "message": "Field required"}}
    assert only(compare(legacy, extracted, status=422)).path == "/error/message"


def test_a_wrong_pagination_total_is_reported() -> None:
    assert only(compare(page(products(2), 53), page(products(2), 52))) == Difference(
        "/total", "value", 53, 52
    )


def test_lists_are_compared_by_position_so_a_different_order_is_reported() -> None:
    items = products(3)
    comparison = compare(page(items), page(list(reversed(items))))
    paths = {d.path for d in comparison.differences}
    assert "/items/0/id" in paths and "/items/2/id" in paths
    assert "/items/1/id" not in paths


def test_a_shorter_list_reports_its_length_and_the_missing_elements() -> None:
    items = products(3)
    comparison = compare({"items": items}, {"items": items[:2]})
    assert comparison.differences == (
        Difference("/items", "length", 3, 2),
        Difference("/items/2", "missing", items[2], MISSING),
    )


def test_a_longer_list_reports_its_length_and_the_extra_elements() -> None:
    comparison = compare([1], [1, 2, 3])
    assert [(d.path, d.kind) for d in comparison.differences] == [
        ("", "length"),
        ("/1", "extra"),
        ("/2", "extra"),
    ]


def test_a_difference_at_the_root_has_the_empty_pointer() -> None:
    assert only(compare([1], {"a": 1})) == Difference("", "type", [1], {"a": 1})


def test_pointers_escape_slash_and_tilde_in_keys() -> None:
    legacy = {"a/b": {"m~n": 1}}
    extracted = {"a/b": {"m~n": 2}}
    assert only(compare(legacy, extracted)).path == "/a~1b/m~0n"


def test_an_ignore_rule_on_an_escaped_key_uses_the_escaped_pointer() -> None:
    rules = ParityRules(ignore=("/a~1b",), headers=())
    assert compare({"a/b": 1, "c": 1}, {"a/b": 2, "c": 1}, rules).matched


def test_two_nans_are_equal_because_both_sides_said_the_same_thing() -> None:
    legacy = ObservedResponse(200, {}, b'{"x": NaN}')
    assert compare_responses(legacy, legacy).matched
    assert compare_responses(legacy, ObservedResponse(200, {}, b'{"x": NaN} ')).matched


# --- ignore


def test_ignoring_a_top_level_field_removes_only_that_field() -> None:
    rules = ParityRules(ignore=("/created_at",), headers=())
    extracted = {**PRODUCT, "created_at": "later", "updated_at": "later"}
    assert only(compare(PRODUCT, extracted, rules)).path == "/updated_at"


def test_ignoring_with_a_one_segment_wildcard_covers_every_list_element_and_nothing_else() -> None:
    rules = ParityRules(ignore=("/items/*/id",), headers=())
    legacy = page(products(3))
    extracted = page([{**p, "id": 100 + i, "sku": "X"} for i, p in enumerate(products(3))])
    comparison = compare(legacy, extracted, rules)
    assert {d.path for d in comparison.differences} == {
        "/items/0/sku",
        "/items/1/sku",
        "/items/2/sku",
    }


def test_ignoring_with_a_double_wildcard_covers_the_field_at_any_depth() -> None:
    rules = ParityRules(ignore=("/**/updated_at",), headers=())
    legacy = {"updated_at": "a", "order": {"items": [{"updated_at": "b", "quantity": 1}]}}
    extracted = {"updated_at": "x", "order": {"items": [{"updated_at": "y", "quantity": 2}]}}
    assert only(compare(legacy, extracted, rules)).path == "/order/items/0/quantity"


def test_an_ignored_field_that_is_missing_or_extra_is_ignored_too() -> None:
    rules = ParityRules(ignore=("/**/created_at",), headers=())
    assert compare({"created_at": "a", "id": 1}, {"id": 1}, rules).matched
    assert compare({"id": 1}, {"id": 1, "created_at": "a"}, rules).matched


def test_ignoring_a_field_does_not_hide_a_list_length_difference_around_it() -> None:
    rules = ParityRules(ignore=("/items/*/id",), headers=())
    comparison = compare(page(products(2), 2), page(products(1), 2), rules)
    assert ("/items", "length") in {(d.path, d.kind) for d in comparison.differences}


def test_ignoring_an_object_ignores_everything_below_it() -> None:
    rules = ParityRules(ignore=("/meta",), headers=())
    assert compare({"meta": {"a": [1, {"b": 2}]}, "x": 1}, {"meta": "gone", "x": 1}, rules).matched


# --- unordered


def test_an_unordered_list_paired_by_key_accepts_any_order() -> None:
    rules = ParityRules(unordered={"/items": "id"}, headers=())
    items = products(5)
    assert compare(page(items), page(items[::-1]), rules).matched


def test_an_unordered_list_paired_by_key_still_reports_a_changed_element_at_its_legacy_index() -> (
    None
):
    rules = ParityRules(unordered={"/items": "id"}, headers=())
    items = products(3)
    changed = [dict(p) for p in items[::-1]]
    changed[0]["price"] = "20.00"  # the element with id 3, which is at legacy index 2
    assert only(compare(page(items), page(changed), rules)) == Difference(
        "/items/2/price", "value", "19.99", "20.00"
    )


def test_an_unordered_list_paired_by_key_reports_unpaired_elements_and_the_length() -> None:
    rules = ParityRules(unordered={"/items": "id"}, headers=())
    items = products(3)
    comparison = compare({"items": items}, {"items": [items[2], items[0]]}, rules)
    assert [(d.path, d.kind) for d in comparison.differences] == [
        ("/items", "length"),
        ("/items/1", "missing"),
    ]
    comparison = compare({"items": items[:1]}, {"items": [items[1], items[0]]}, rules)
    assert [(d.path, d.kind) for d in comparison.differences] == [
        ("/items", "length"),
        ("/items/0", "extra"),
    ]


def test_pairing_by_key_does_not_confuse_a_numeric_key_with_its_string_or_bool() -> None:
    rules = ParityRules(unordered={"/xs": "k"}, headers=())
    comparison = compare({"xs": [{"k": 1}]}, {"xs": [{"k": "1"}]}, rules)
    assert [d.kind for d in comparison.differences] == ["missing", "extra"]
    assert not compare({"xs": [{"k": 1}]}, {"xs": [{"k": True}]}, rules).matched


def test_an_unordered_multiset_accepts_any_order_but_not_different_counts() -> None:
    rules = ParityRules(unordered={"/tags": None}, headers=())
    assert compare({"tags": ["a", "b", "a"]}, {"tags": ["a", "a", "b"]}, rules).matched
    comparison = compare({"tags": ["a", "b", "a"]}, {"tags": ["a", "b", "b"]}, rules)
    assert [(d.path, d.kind, d.legacy, d.extracted) for d in comparison.differences] == [
        ("/tags/2", "missing", "a", MISSING),
        ("/tags/2", "extra", MISSING, "b"),
    ]


def test_a_multiset_honours_ignore_rules_inside_its_elements() -> None:
    rules = ParityRules(unordered={"/items": None}, ignore=("/items/*/id",), headers=())
    legacy = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    extracted = [{"id": 9, "name": "b"}, {"id": 8, "name": "a"}]
    assert compare({"items": legacy}, {"items": extracted}, rules).matched


def test_unordered_applies_only_to_the_lists_it_names() -> None:
    rules = ParityRules(unordered={"/tags": None}, headers=())
    assert not compare({"other": [1, 2]}, {"other": [2, 1]}, rules).matched


def test_unordered_patterns_take_wildcards() -> None:
    rules = ParityRules(unordered={"/orders/*/items": "product_id"}, headers=())
    lines = [{"product_id": 1, "quantity": 2}, {"product_id": 2, "quantity": 1}]
    legacy = {"orders": [{"items": lines}]}
    extracted = {"orders": [{"items": lines[::-1]}]}
    assert compare(legacy, extracted, rules).matched


# --- numeric tolerance


def test_numeric_tolerance_accepts_numbers_within_it_and_reports_those_beyond() -> None:
    rules = ParityRules(numeric_tolerance=0.01, headers=())
    assert compare({"score": 0.5}, {"score": 0.509}, rules).matched
    assert only(compare({"score": 0.5}, {"score": 0.52}, rules)).path == "/score"


def test_numeric_tolerance_never_applies_to_strings() -> None:
    rules = ParityRules(numeric_tolerance=1.0, headers=())
    assert only(compare({"price": "19.99"}, {"price": "19.990"}, rules)).kind == "value"
    assert only(compare({"price": "19.99"}, {"price": "20.00"}, rules)).kind == "value"


def test_numeric_tolerance_never_makes_a_bool_a_number() -> None:
    rules = ParityRules(numeric_tolerance=1.0, headers=())
    assert only(compare({"ok": True}, {"ok": 1}, rules)).kind == "type"
    assert only(compare({"ok": True}, {"ok": False}, rules)).kind == "value"


def test_without_tolerance_a_tiny_float_difference_is_reported() -> None:
    assert only(compare({"x": 0.1 + 0.2}, {"x": 0.3})).kind == "value"


def test_a_huge_integer_beyond_float_range_does_not_crash_the_tolerance() -> None:
    rules = ParityRules(numeric_tolerance=0.5, headers=())
    assert only(compare({"x": 10**400}, {"x": 1.0}, rules)).kind == "value"
