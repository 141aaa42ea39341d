"""Sticky canaries: consistent hashing keeps users on a side and only ever moves them forward."""

from __future__ import annotations

import pytest

from router.canary import BUCKETS, bucket, goes_to_service, key_source, sticky_key

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


def test_any_authorization_scheme_is_a_credential_and_keeps_its_scheme_in_the_key() -> None:
    def key(value: str) -> str:
        return sticky_key("token", {"authorization": value}, "1.2.3.4")

    assert key("Token eyJhbGciOi.x.y") == "token=token eyJhbGciOi.x.y"
    assert key("Basic dTpw") == "token=basic dTpw"
    assert key("raw-api-key") == "token=raw-api-key"  # a scheme-less token, as some apps send
    # The scheme is case-insensitive and whitespace around and between does not count...
    assert key("  TOKEN \t eyJ.x.y  ") == key("token eyJ.x.y") == "token=token eyJ.x.y"
    # ...but the credential is case-sensitive, and another scheme is another caller.
    assert key("Token AbC") != key("Token abc")
    assert key("Token abc") != key("Basic abc")


def test_a_bearer_token_keeps_the_key_it_always_had_so_no_placed_caller_moves() -> None:
    assert sticky_key("token", {"authorization": "bearer  s3cret "}, "ip") == "token=s3cret"


def test_without_a_key_the_client_address_decides() -> None:
    assert sticky_key("token", {}, "1.2.3.4") == "client_ip=1.2.3.4"
    for empty in ("", "   ", "Bearer", "Bearer   ", "Token", "Negotiate"):
        assert sticky_key("token", {"authorization": empty}, "1.2.3.4") == "client_ip=1.2.3.4"
    assert sticky_key("header:X-User", {}, "1.2.3.4") == "client_ip=1.2.3.4"
    assert sticky_key("cookie:sid", {"cookie": "other=1"}, "1.2.3.4") == "client_ip=1.2.3.4"


def test_header_and_cookie_keys_are_read_by_name() -> None:
    headers = {"x-user": "u-7", "cookie": "a=1; sid=abc; b=2"}
    assert sticky_key("header:X-User", headers, "ip") == "header:X-User=u-7"
    assert sticky_key("cookie:sid", headers, "ip") == "cookie:sid=abc"
    assert sticky_key("client_ip", headers, "9.9.9.9") == "client_ip=9.9.9.9"


def test_the_source_of_a_key_is_its_spec_or_the_client_address() -> None:
    headers = {"authorization": "Token a=b", "cookie": "sid=x=y"}
    assert key_source(sticky_key("token", headers, "ip")) == "token"
    assert key_source(sticky_key("cookie:sid", headers, "ip")) == "cookie:sid"
    assert key_source(sticky_key("header:X-User", headers, "ip")) == "client_ip"
