"""Status, headers and non-JSON bodies; how differences render for humans."""

from __future__ import annotations

import json

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from migration_plan.parity import (
    MISSING,
    Comparison,
    Difference,
    ObservedResponse,
    ParityRules,
    compare_responses,
)
from migration_plan.parity.body_diff import first_difference

pytestmark = pytest.mark.unit

HTML = {"Content-Type": "text/html; charset=utf-8"}
NOT_FOUND_PAGE = NotFound().get_body().encode()


def test_from_json_renders_like_flask_with_a_json_content_type() -> None:
    response = ObservedResponse.from_json(201, {"b": 1, "a": [1, 2]})
    assert response.status == 201
    assert response.body == b'{"a":[1,2],"b":1}\n'
    assert response.headers == {"Content-Type": "application/json"}


def test_from_json_lets_the_callers_headers_win_in_any_case() -> None:
    response = ObservedResponse.from_json(200, {}, {"content-type": "application/problem+json"})
    assert response.headers == {"content-type": "application/problem+json"}


def test_header_names_are_compared_case_insensitively() -> None:
    legacy = ObservedResponse(404, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND_PAGE)
    extracted = ObservedResponse(404, {"content-type": "text/html; charset=utf-8"}, NOT_FOUND_PAGE)
    assert compare_responses(legacy, extracted).matched


def test_a_different_content_type_is_reported_as_a_header_difference() -> None:
    legacy = ObservedResponse.from_json(200, {"a": 1})
    extracted = ObservedResponse.from_json(200, {"a": 1}, {"Content-Type": "text/plain"})
    assert compare_responses(legacy, extracted).differences == (
        Difference("header:content-type", "header", "application/json", "text/plain"),
    )


def test_content_type_spacing_and_case_are_not_differences_but_parameters_are() -> None:
    def with_type(value: str) -> ObservedResponse:
        return ObservedResponse(404, {"Content-Type": value}, NOT_FOUND_PAGE)

    base = with_type("text/html; charset=utf-8")
    assert compare_responses(base, with_type("text/html;charset=UTF-8")).matched
    assert not compare_responses(base, with_type("text/html")).matched


def test_a_header_present_on_one_side_only_is_reported_with_a_missing_marker() -> None:
    legacy = ObservedResponse(200, {"Content-Type": "application/json"}, b"{}")
    extracted = ObservedResponse(200, {}, b"{}")
    assert compare_responses(legacy, extracted).differences == (
        Difference("header:content-type", "header", "application/json", MISSING),
    )


def test_headers_outside_the_allow_list_are_not_compared() -> None:
    legacy = ObservedResponse.from_json(200, {}, {"Date": "a", "Server": "Werkzeug/3.0"})
    extracted = ObservedResponse.from_json(200, {}, {"Date": "b", "Server": "uvicorn"})
    assert compare_responses(legacy, extracted).matched
    rules = ParityRules(headers=("content-type", "server"))
    assert [d.path for d in compare_responses(legacy, extracted, rules).differences] == [
        "header:server"
    ]


def test_an_empty_header_allow_list_compares_no_headers() -> None:
    legacy = ObservedResponse(200, {"Content-Type": "a"}, b"")
    extracted = ObservedResponse(200, {"Content-Type": "b"}, b"")
    assert compare_responses(legacy, extracted, ParityRules(headers=())).matched


def test_allow_is_compared_as_a_set_of_methods_because_flask_orders_it_arbitrarily() -> None:
    rules = ParityRules(headers=("content-type", "allow"))
    body = MethodNotAllowed(valid_methods=["GET", "POST"]).get_body().encode()
    legacy = ObservedResponse(405, {**HTML, "Allow": "GET, HEAD, OPTIONS, POST"}, body)
    shuffled = ObservedResponse(405, {**HTML, "allow": "POST,OPTIONS, get,HEAD"}, body)
    assert compare_responses(legacy, shuffled, rules).matched


def test_allow_with_a_different_set_of_methods_is_reported_sorted() -> None:
    rules = ParityRules(headers=("allow",))
    legacy = ObservedResponse(200, {"Allow": "POST, GET, HEAD, OPTIONS"}, b"")
    extracted = ObservedResponse(200, {"Allow": "GET, HEAD, OPTIONS"}, b"")
    assert compare_responses(legacy, extracted, rules).differences == (
        Difference("header:allow", "header", "GET, HEAD, OPTIONS, POST", "GET, HEAD, OPTIONS"),
    )


def test_flasks_html_404_page_matches_itself_bytewise() -> None:
    page = ObservedResponse(404, HTML, NOT_FOUND_PAGE)
    assert compare_responses(page, ObservedResponse(404, HTML, NOT_FOUND_PAGE)).matched


def test_a_json_404_instead_of_flasks_html_404_is_a_bytes_difference() -> None:
    legacy = ObservedResponse(404, HTML, NOT_FOUND_PAGE)
    extracted = ObservedResponse.from_json(404, {"detail": "Not Found"})
    comparison = compare_responses(legacy, extracted, ParityRules(headers=()))
    (difference,) = comparison.differences
    assert (difference.path, difference.kind) == ("body", "bytes")
    assert f"{len(NOT_FOUND_PAGE)} bytes, at 0:" in str(difference.legacy)


def test_a_bytes_difference_shows_the_first_differing_offset_and_a_small_window() -> None:
    legacy = NOT_FOUND_PAGE
    offset = legacy.index(b"Not Found</title>")
    extracted = legacy[:offset] + b"Gone!" + legacy[offset + len(b"Not Found") :]
    (difference,) = compare_responses(
        ObservedResponse(404, HTML, legacy), ObservedResponse(404, HTML, extracted)
    ).differences
    assert str(difference.legacy).startswith(f"{len(legacy)} bytes, at {offset}: ")
    assert "Not Found</title>" in str(difference.legacy)
    assert "Gone!</title>" in str(difference.extracted)
    assert len(str(difference.legacy)) < 100  # a window, not the page


def test_a_body_that_is_a_prefix_of_the_other_differs_at_the_shorter_length() -> None:
    assert first_difference(b"abc", b"abcdef") == 3
    (difference,) = compare_responses(
        ObservedResponse(200, {}, b"abc"), ObservedResponse(200, {}, b"abcdef")
    ).differences
    assert str(difference.legacy).startswith("3 bytes, at 3")
    assert str(difference.extracted).startswith("6 bytes, at 3")


@pytest.mark.parametrize(
    ("a", "b", "offset"),
    [(b"x", b"y", 0), (b"abcd", b"abce", 3), (b"a" * 1000 + b"b", b"a" * 1000 + b"c", 1000)],
)
def test_the_first_differing_offset_is_exact(a: bytes, b: bytes, offset: int) -> None:
    assert first_difference(a, b) == offset


def test_empty_bodies_match_and_an_empty_body_differs_from_a_json_one() -> None:
    empty = ObservedResponse(204, {}, b"")
    assert compare_responses(empty, ObservedResponse(204, {}, b"")).matched
    assert [
        d.kind for d in compare_responses(empty, ObservedResponse(204, {}, b"{}")).differences
    ] == ["bytes"]


def test_a_json_body_is_recognised_by_parsing_even_without_a_json_content_type() -> None:
    legacy = ObservedResponse(200, {"Content-Type": "text/plain"}, b'{"a": 1}')
    extracted = ObservedResponse(200, {"Content-Type": "text/plain"}, b'{"a":1}')
    assert compare_responses(legacy, extracted).matched


def test_a_body_labelled_json_that_does_not_parse_is_compared_bytewise() -> None:
    legacy = ObservedResponse(200, {"Content-Type": "application/json"}, b"{broken")
    extracted = ObservedResponse(200, {"Content-Type": "application/json"}, b"{broken!")
    assert [d.kind for d in compare_responses(legacy, extracted).differences] == ["bytes"]


# --- rendering


def test_a_difference_renders_as_pointer_and_json_values() -> None:
    assert str(Difference("/items/3/price", "value", "19.99", "19.990")) == (
        '/items/3/price: "19.99" != "19.990"'
    )


def test_a_missing_value_renders_as_a_marker_with_the_kind() -> None:
    assert str(Difference("/description", "missing", "A novel.", MISSING)) == (
        '/description: "A novel." != <missing> (missing)'
    )


def test_a_long_value_is_truncated_when_rendered() -> None:
    rendered = str(Difference("/description", "value", "x" * 500, "y"))
    assert len(rendered) < 100
    assert rendered.endswith('… != "y"')


def test_a_root_difference_renders_with_a_readable_location() -> None:
    assert str(Difference("", "type", [], {})).startswith("(root): [] != {}")


def test_the_summary_of_a_match_says_so_and_counts_noise() -> None:
    assert Comparison(()).summary() == "match"
    noise = (Difference("/id", "value", 1, 2),)
    assert Comparison((), noise).summary() == "match, 1 explained by noise"
    assert Comparison((), noise).matched


def test_the_summary_lists_differences_and_cuts_off_a_long_list() -> None:
    differences = tuple(Difference(f"/{i}", "value", i, i + 1) for i in range(30))
    lines = Comparison(differences).summary().splitlines()
    assert lines[0] == "30 differences"
    assert lines[1] == "  /0: 0 != 1"
    assert len(lines) == 22
    assert lines[-1] == "  … and 10 more"


def test_difference_values_are_plain_json_data_so_they_can_be_logged() -> None:
    (difference,) = compare_responses(
        ObservedResponse.from_json(200, {"a": [1, {"b": None}]}),
        ObservedResponse.from_json(200, {"a": "x"}),
    ).differences
    assert json.loads(json.dumps(difference.legacy)) == [1, {"b": None}]


def test_a_document_too_deep_to_walk_falls_back_to_a_bytes_difference() -> None:
    depth = 900  # parses, but walking it would exceed the interpreter's recursion limit
    legacy = ObservedResponse(200, {}, b"[" * depth + b"1" + b"]" * depth)
    extracted = ObservedResponse(200, {}, b"[" * depth + b"2" + b"]" * depth)
    (difference,) = compare_responses(legacy, extracted).differences
    assert (difference.path, difference.kind) == ("body", "bytes")
    assert f"at {depth}:" in str(difference.legacy)
