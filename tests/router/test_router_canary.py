"""Sticky canaries: consistent hashing keeps users on a side and only ever moves them forward."""

from __future__ import annotations

import pytest

from router.canary import BUCKETS, bucket, goes_to_service, sticky_key

pytestmark = pytest.mark.unit

KEYS = [f"token=user-{i}" for i in range(10_000)]


@pytest.mark.parametrize("percent", [1, 5, 10, 25, 50, 75, 99])
def test_the_share_sent_to_the_service_is_within_one_percent_of_the_target(percent: float) -> None:
    share = sum(goes_to_service(k, percent) for k in KEYS) / len(KEYS) * 100
    assert abs(share - percent) <= 1.0


def test_zero_and_a_hundred_percent_are_exact() -> None:
    assert not any(goes_to_service(k, 0) for k in KEYS)
    assert all(goes_to_service(k, 100) for k in KEYS)


def test_a_user_sent_to_the_service_stays_there_as_the_percentage_grows() -> None:
    steps = [0, 0.5, 1, 2.5, 5, 10, 20, 33.3, 50, 75, 90, 100]
    for key in KEYS:
        sides = [goes_to_service(key, p) for p in steps]
        # once True, never False again: legacy -> extracted only
        assert sides == sorted(sides), key


def test_buckets_are_stable_and_in_range() -> None:
    assert bucket("token=abc") == bucket("token=abc")
    assert all(0 <= bucket(k) < BUCKETS for k in KEYS[:100])


def test_the_bearer_token_is_the_default_key() -> None:
    headers = {"authorization": "Bearer s3cret"}
    assert sticky_key("token", headers, "1.2.3.4") == "token=s3cret"


def test_without_a_key_the_client_address_decides() -> None:
    assert sticky_key("token", {}, "1.2.3.4") == "client_ip=1.2.3.4"
    assert sticky_key("token", {"authorization": "Basic x"}, "1.2.3.4") == "client_ip=1.2.3.4"
    assert sticky_key("header:X-User", {}, "1.2.3.4") == "client_ip=1.2.3.4"
    assert sticky_key("cookie:sid", {"cookie": "other=1"}, "1.2.3.4") == "client_ip=1.2.3.4"


def test_header_and_cookie_keys_are_read_by_name() -> None:
    headers = {"x-user": "u-7", "cookie": "a=1; sid=abc; b=2"}
    assert sticky_key("header:X-User", headers, "ip") == "header:X-User=u-7"
    assert sticky_key("cookie:sid", headers, "ip") == "cookie:sid=abc"
    assert sticky_key("client_ip", headers, "9.9.9.9") == "client_ip=9.9.9.9"
