"""The pure core: validators, money arithmetic, shortages, bearer parsing, timestamps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from legacy_monolith import money, validation
from legacy_monolith.auth_context import bearer_token
from legacy_monolith.errors import ApiError
from legacy_monolith.serialize import timestamp
from legacy_monolith.stock import Shortage, requested_totals, shortages
from legacy_monolith.validation import LineRequest

pytestmark = pytest.mark.unit


def failure(call: Any) -> tuple[str, str]:
    with pytest.raises(ApiError) as caught:
        call()
    assert caught.value.status == 422
    assert caught.value.details is not None
    return caught.value.details["field"], caught.value.message


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01"), ("7", "7.00")],
)
def test_money_rounds_half_up_to_cents(amount: str, expected: str) -> None:
    assert money.money_string(Decimal(amount)) == expected


def test_line_and_order_totals_are_exact_decimals() -> None:
    lines = [money.line_total(Decimal("0.10"), 3), money.line_total(Decimal("0.20"), 1)]
    assert money.money_string(money.total(lines)) == "0.50"


def test_booleans_are_not_integers() -> None:
    assert failure(lambda: validation.integer(True, "stock", 0, 10)) == (
        "stock",
        "stock must be an integer",
    )
    assert validation.integer(0, "stock", 0, 10) == 0


@pytest.mark.parametrize("raw", ["1", "19.9", "19.99", "9999999.99", "0.5"])
def test_prices_of_the_contract_shape_are_accepted(raw: str) -> None:
    assert validation.price({"price": raw}) == Decimal(raw)


@pytest.mark.parametrize("raw", ["", ".5", "1.", "1.234", "12345678", "+1", "1,00", "٣"])
def test_prices_of_other_shapes_are_refused(raw: str) -> None:
    assert failure(lambda: validation.price({"price": raw}))[0] == "price"


def test_query_integers_accept_signs_only_to_report_the_range() -> None:
    assert validation.page_request({}) == validation.PageRequest(1, 20)
    assert validation.page_request({"page": "3", "per_page": "5"}).offset == 10
    assert failure(lambda: validation.page_request({"page": " 1"})) == (
        "page",
        "page must be an integer",
    )


def test_requested_totals_sum_repeats_in_first_appearance_order() -> None:
    lines = [LineRequest(3, 1), LineRequest(1, 2), LineRequest(3, 4)]
    assert list(requested_totals(lines).items()) == [(3, 5), (1, 2)]


def test_shortages_treat_unknown_products_as_zero_available() -> None:
    assert shortages({3: 5, 1: 2, 9: 1}, {3: 5, 1: 1}) == [Shortage(1, 2, 1), Shortage(9, 1, 0)]


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER  abc ", "abc"), (None, None),
     ("", None), ("Bearer", None), ("Basic abc", None), ("Bearer a b", None)],
)  # fmt: skip
def test_bearer_token_parsing(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_timestamps_are_http_dates_of_naive_utc() -> None:
    assert timestamp(datetime(2026, 11, 27, 4, 34, 17)) == "Fri, 27 Nov 2026 04:34:17 GMT"
