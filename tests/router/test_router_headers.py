"""Proxy header rules: hop-by-hop, X-Forwarded-*, request ids, traceparent, body framing."""

from __future__ import annotations

import re

import pytest

from router.headers import (
    BadFraming,
    content_length,
    end_to_end,
    request_id,
    response_headers,
    traceparent,
    upstream_headers,
)

pytestmark = pytest.mark.unit

TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def test_hop_by_hop_headers_and_those_connection_lists_are_dropped() -> None:
    headers = [
        ("connection", "keep-alive, X-Secret-Hop"),
        ("keep-alive", "timeout=5"),
        ("te", "trailers"),
        ("trailer", "x"),
        ("transfer-encoding", "chunked"),
        ("upgrade", "h2c"),
        ("proxy-authorization", "Basic x"),
        ("proxy-connection", "keep-alive"),
        ("x-secret-hop", "1"),
        ("accept", "application/json"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]
    assert end_to_end(headers) == [
        ("accept", "application/json"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]
    assert response_headers(headers)[-1] == (b"set-cookie", b"b=2")


def test_the_servers_own_date_and_server_headers_are_not_doubled() -> None:
    headers = [("date", "Fri, 27 Nov 2026 04:34:17 GMT"), ("server", "Werkzeug"), ("etag", "x")]
    assert response_headers(headers) == [(b"etag", b"x")]


def test_forwarded_headers_from_an_untrusted_peer_are_replaced_and_set() -> None:
    out = dict(
        upstream_headers(
            [("host", "shop.example"), ("x-forwarded-for", "10.0.0.1"), ("x-forwarded-proto", "x")],
            client="203.0.113.7",
            scheme="https",
            request_id="rid-1",
            traceparent=TRACE,
        )
    )
    assert out["x-forwarded-for"] == "203.0.113.7"
    assert out["x-forwarded-proto"] == "https"
    assert out["x-forwarded-host"] == "shop.example"
    assert "host" not in out  # the client library sets the upstream's own Host
    assert out["x-request-id"] == "rid-1" and out["traceparent"] == TRACE


def test_a_sane_request_id_passes_through_and_a_missing_or_odd_one_is_created() -> None:
    assert request_id([("x-request-id", "abc-123")]) == "abc-123"
    created = request_id([])
    assert re.fullmatch(r"[0-9a-f]{32}", created)
    assert request_id([("x-request-id", "bad id\n")]) != "bad id\n"
    assert request_id([("x-request-id", "x" * 500)]) != "x" * 500


def test_a_valid_traceparent_keeps_its_trace_id_with_a_new_span_id() -> None:
    out = traceparent([("traceparent", TRACE)])
    assert TRACEPARENT.match(out)
    _, trace_id, span_id, flags = out.split("-")
    assert trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert span_id != "00f067aa0ba902b7" and flags == "01"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "garbage",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    ],
)
def test_a_missing_or_invalid_traceparent_starts_a_new_trace(value: str | None) -> None:
    out = traceparent([] if value is None else [("traceparent", value)])
    assert TRACEPARENT.match(out)
    assert out.split("-")[1] != "4bf92f3577b34da6a3ce929d0e0e4736"
    assert out.split("-")[1] != "0" * 32


def test_content_length_is_read_when_unambiguous() -> None:
    assert content_length([]) is None
    assert content_length([("content-length", "12")]) == 12
    assert content_length([("content-length", "12"), ("content-length", "12")]) == 12
    assert content_length([("content-length", "12, 12")]) == 12


@pytest.mark.parametrize(
    "headers",
    [
        [("content-length", "5"), ("transfer-encoding", "chunked")],
        [("content-length", "5"), ("content-length", "6")],
        [("content-length", "5, 6")],
        [("content-length", "-1")],
        [("content-length", "abc")],
        [("content-length", "")],
        [("content-length", "+5")],
    ],
)
def test_ambiguous_framing_is_refused(headers: list[tuple[str, str]]) -> None:
    with pytest.raises(BadFraming):
        content_length(headers)
