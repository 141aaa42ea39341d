"""Pointer escaping, pattern syntax, and the validation of ParityRules."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from migration_plan.parity import ParityRules
from migration_plan.parity.pointers import escape, unescape

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("key", "escaped"),
    [("a/b", "a~1b"), ("m~n", "m~0n"), ("~1", "~01"), ("/~", "~1~0"), ("", ""), ("plain", "plain")],
)
def test_keys_are_escaped_per_rfc_6901_and_round_trip(key: str, escaped: str) -> None:
    assert escape(key) == escaped
    assert unescape(escaped) == key


@pytest.mark.parametrize(
    ("pattern", "pointer", "covered"),
    [
        ("/created_at", "/created_at", True),
        ("/created_at", "/items/0/created_at", False),
        ("/items/*/id", "/items/3/id", True),
        ("/items/*/id", "/items/3/sku", False),
        ("/items/*/id", "/items/3", False),
        ("/**/updated_at", "/updated_at", True),
        ("/**/updated_at", "/items/3/updated_at", True),
        ("/**/updated_at", "/items/3/updated_at_x", False),
        ("/items/**", "/items/3/price", True),
        ("/meta", "/meta/deep/leaf", True),
        ("/a~1b", "/a~1b", True),
        ("/a~1b", "/a/b", False),
        ("", "/anything/at/all", True),
    ],
)
def test_ignore_patterns_cover_exactly_the_pointers_they_name_and_their_subtrees(
    pattern: str, pointer: str, covered: bool
) -> None:
    assert ParityRules(ignore=(pattern,)).ignores(pointer) is covered


@pytest.mark.parametrize(
    ("pattern", "complaint"),
    [
        ("created_at", "must be empty or start with '/'"),
        ("/items/~2", "'~' not followed by 0 or 1"),
        ("/items/id*", "mixes '*' with other text"),
    ],
)
def test_a_malformed_ignore_pattern_is_refused_with_a_message_naming_it(
    pattern: str, complaint: str
) -> None:
    with pytest.raises(ValidationError) as error:
        ParityRules(ignore=(pattern,))
    message = str(error.value)
    assert repr(pattern) in message
    assert complaint in message
    assert "ignore" in message


def test_a_malformed_unordered_pattern_is_refused_with_a_message_naming_it() -> None:
    with pytest.raises(ValidationError, match="unordered: pointer pattern 'items'"):
        ParityRules(unordered={"items": "id"})


def test_an_empty_key_field_for_an_unordered_list_is_refused() -> None:
    with pytest.raises(ValidationError, match="key field for '/items' is empty"):
        ParityRules(unordered={"/items": ""})


@pytest.mark.parametrize("tolerance", [-0.01, float("inf"), float("nan")])
def test_a_negative_or_non_finite_numeric_tolerance_is_refused(tolerance: float) -> None:
    with pytest.raises(ValidationError, match="numeric_tolerance"):
        ParityRules(numeric_tolerance=tolerance)


def test_header_names_are_lower_cased_and_deduplicated() -> None:
    assert ParityRules(headers=("Content-Type", "ALLOW", "allow")).headers == (
        "content-type",
        "allow",
    )


def test_an_invalid_header_name_is_refused_with_its_name() -> None:
    with pytest.raises(ValidationError, match="'content type' is not a valid header name"):
        ParityRules(headers=("content type",))


def test_unknown_rule_fields_are_refused_so_typos_in_the_plan_file_surface() -> None:
    with pytest.raises(ValidationError, match="ignored"):
        ParityRules.model_validate({"ignored": ["/id"]})


def test_rules_are_frozen() -> None:
    rules = ParityRules()
    with pytest.raises(ValidationError):
        rules.numeric_tolerance = 1.0  # type: ignore[misc]


def test_rules_load_from_plain_plan_data() -> None:
    rules = ParityRules.model_validate(
        {
            "ignore": ["/**/created_at"],
            "unordered": {"/items": "id", "/tags": None},
            "numeric_tolerance": 0.001,
            "headers": ["Content-Type", "Allow"],
        }
    )
    assert rules.ignores("/items/2/created_at")
    assert rules.unordered_key("/items") == (True, "id")
    assert rules.unordered_key("/tags") == (True, None)
    assert rules.unordered_key("/other") == (False, None)
    assert rules.headers == ("content-type", "allow")


def test_a_copy_with_updated_patterns_uses_the_new_patterns() -> None:
    rules = ParityRules(ignore=("/id",))
    updated = rules.model_copy(update={"ignore": ("/sku",)})
    assert updated.ignores("/sku") and not updated.ignores("/id")
    assert rules.model_copy() == rules


def test_a_copy_with_an_invalid_update_is_refused() -> None:
    with pytest.raises(ValidationError, match="ignore"):
        ParityRules().model_copy(update={"ignore": ("sku",)})
