"""Every mode, in-process: a Flask legacy and FastAPI services behind the router (httpx)."""

from __future__ import annotations

from typing import Any

import pytest
from router_fakes import call_asgi, endpoint

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


async def test_legacy_mode_forwards_to_the_monolith_with_side_and_route_headers(
    rig_factory: Any,
) -> None:
    async with rig_factory(endpoint("GET /api/echo/{id}")) as rig:
        response = await rig.client.get("/api/echo/7?x=1&y=%20")
    assert response.status_code == 200
    assert response.json()["side"] == "legacy"
    assert response.json()["query"] == "x=1&y=%20"
    assert response.headers["x-strangler-side"] == "legacy"
    assert response.headers["x-strangler-route"] == "GET /api/echo/{id}"


async def test_extracted_mode_forwards_to_the_service(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/echo/{id}", mode="extracted")) as rig:
        response = await rig.client.get("/api/echo/7")
    assert response.json()["side"] == "extracted"
    assert response.headers["x-strangler-side"] == "extracted"


async def test_unmatched_requests_go_to_legacy_as_the_catch_all(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/echo/{id}", mode="extracted")) as rig:
        response = await rig.client.get("/api/elsewhere")
        wrong_method = await rig.client.post("/api/echo/7", content=b"{}")
    assert response.json()["side"] == "legacy"
    assert response.headers["x-strangler-route"] == "*"
    assert wrong_method.json()["side"] == "legacy"


async def test_the_request_reaches_the_backend_with_the_normalised_path(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/echo/{id}", mode="extracted")) as rig:
        for raw in (
            b"/api/echo/%31",
            b"/api//echo/1",
            b"/api/x/../echo/1",
            b"/api/x/%2e%2e/echo/1",
        ):
            response = await call_asgi(rig.app, "GET", raw)
            assert response.json()["side"] == "extracted", raw
            assert response.json()["path"] == "/api/echo/1", raw


async def test_an_encoded_slash_is_refused_before_any_backend_sees_it(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/echo/{id}", mode="extracted")) as rig:
        response = await call_asgi(rig.app, "GET", b"/api/echo%2F1")
    assert response.status == 400
    assert "encoded slash" in response.json()["error"]["message"]
    assert rig.transport.calls == []


async def test_side_headers_can_be_turned_off(rig_factory: Any) -> None:
    from router_fakes import ADMIN_TOKEN

    from router.settings import RouterSettings

    settings = RouterSettings(side_headers=False, admin_token=ADMIN_TOKEN, reload_interval=0)
    async with rig_factory(endpoint("GET /api/echo/{id}"), settings=settings) as rig:
        response = await rig.client.get("/api/echo/7")
    assert "x-strangler-side" not in response.headers
    assert "x-strangler-route" not in response.headers


async def test_canary_splits_users_by_token_and_keeps_each_one_on_a_side(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/echo/{id}", mode="canary", canary_percent=30)) as rig:
        sides: dict[int, str] = {}
        for user in range(200):
            auth = {"authorization": f"Bearer token-{user}"}
            first = (await rig.client.get("/api/echo/1", headers=auth)).json()["side"]
            again = (await rig.client.get("/api/echo/2", headers=auth)).json()["side"]
            assert first == again
            sides[user] = first
    share = sum(1 for s in sides.values() if s == "extracted") / len(sides)
    assert 0.18 < share < 0.42


async def test_canary_without_a_token_uses_the_client_address(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/echo/{id}", mode="canary", canary_percent=50)) as rig:
        seen = {(await rig.client.get(f"/api/echo/{i}")).json()["side"] for i in range(20)}
    assert len(seen) == 1  # one client address: one side


async def test_canary_at_zero_and_a_hundred_percent_is_all_or_nothing(rig_factory: Any) -> None:
    async with rig_factory(
        endpoint("GET /api/a/{id}", mode="canary", canary_percent=0)
        + endpoint("GET /api/b/{id}", mode="canary", canary_percent=100)
    ) as rig:
        for user in range(30):
            auth = {"authorization": f"Bearer t{user}"}
            assert (await rig.client.get("/api/a/1", headers=auth)).json()["side"] == "legacy"
            assert (await rig.client.get("/api/b/1", headers=auth)).json()["side"] == "extracted"


async def test_request_bodies_are_forwarded_intact(rig_factory: Any) -> None:
    body = b'{"items": [' + b'{"product_id": 1, "quantity": 2},' * 2000 + b"{}]}"
    async with rig_factory(endpoint("POST /api/echo", mode="extracted")) as rig:
        response = await rig.client.post("/api/echo", content=body)
        chunked = await call_asgi(
            rig.app,
            "POST",
            b"/api/echo",
            headers=[(b"transfer-encoding", b"chunked")],
            body=[body[:100], body[100:5000], body[5000:]],
        )
    assert response.json()["body"].encode() == body
    assert chunked.json()["body"].encode() == body


async def test_forwarding_headers_reach_the_backend(rig_factory: Any) -> None:
    trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    async with rig_factory(endpoint("GET /api/echo/{id}", mode="extracted")) as rig:
        response = await rig.client.get(
            "/api/echo/1",
            headers={
                "x-request-id": "req-42",
                "traceparent": trace,
                "x-forwarded-for": "10.1.1.1",
                "connection": "x-drop-me",
                "x-drop-me": "1",
            },
        )
    seen = response.json()["headers"]
    assert seen["x-request-id"] == "req-42"
    assert response.headers["x-request-id"] == "req-42"
    assert seen["traceparent"].split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert seen["x-forwarded-for"] == "203.0.113.7"  # the peer: no proxy is trusted by default
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == "router.test"
    assert "x-drop-me" not in seen


async def test_duplicate_response_headers_survive_the_proxy(rig_factory: Any) -> None:
    async with rig_factory("") as rig:
        response = await rig.client.get("/anything")
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]


async def test_fallback_answers_an_idempotent_request_from_legacy_when_the_service_fails(
    rig_factory: Any,
) -> None:
    async with rig_factory(
        endpoint("GET /api/products/{id}", mode="extracted", fallback="true")
        + endpoint("GET /api/down/{id}", service="down", mode="extracted", fallback="true")
    ) as rig:
        rig.products.status = 503
        response = await rig.client.get("/api/products/5")
        unreachable = await rig.client.get("/api/down/1")
        snapshot = rig.app.stats.snapshot("GET /api/products/{id}")
    assert response.status_code == 200
    assert response.headers["x-strangler-side"] == "legacy"
    assert unreachable.status_code == 200 and unreachable.json()["side"] == "legacy"
    assert snapshot["fallbacks"] == 1
    assert rig.app.stats.snapshot("GET /api/down/{id}")["fallbacks"] == 1
    metrics = rig.app.metrics.render()[0].decode()
    assert 'strangler_router_fallbacks_total{route="GET /api/products/{id}"} 1.0' in metrics


async def test_fallback_is_not_used_for_writes(rig_factory: Any) -> None:
    async with rig_factory(
        endpoint("POST /api/down", service="down", mode="extracted", fallback="true")
    ) as rig:
        response = await rig.client.post("/api/down", content=b"{}")
    assert response.status_code == 502
    assert rig.app.stats.snapshot("POST /api/down")["fallbacks"] == 0


async def test_without_fallback_a_failing_service_answers_for_itself(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/products/{id}", mode="extracted")) as rig:
        rig.products.status = 503
        response = await rig.client.get("/api/products/5")
    assert response.status_code == 503
    assert response.headers["x-strangler-side"] == "extracted"


async def test_the_access_log_has_one_json_line_per_request(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/echo/{id}", mode="extracted")) as rig:
        await rig.client.get("/api/echo/3", headers={"x-request-id": "log-1"})
        (line,) = rig.log_lines()
    assert line["event"] == "request"
    assert line["request_id"] == "log-1"
    assert line["method"] == "GET" and line["path"] == "/api/echo/3"
    assert line["route"] == "GET /api/echo/{id}" and line["side"] == "extracted"
    assert line["status"] == 200 and line["latency_ms"] >= 0


async def test_a_client_cannot_mark_its_own_request_as_a_shadow_dry_run(rig_factory: Any) -> None:
    async with rig_factory(endpoint("POST /api/echo", mode="extracted")) as rig:
        response = await rig.client.post(
            "/api/echo", content=b"{}", headers={"x-strangler-shadow": "1"}
        )
    assert "x-strangler-shadow" not in response.json()["headers"]


async def test_head_requests_keep_the_declared_length_and_send_no_body(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/products/{id}")) as rig:
        get = await rig.client.get("/api/products/1")
        head = await rig.client.head("/api/products/1")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["x-strangler-route"] == "GET /api/products/{id}"


async def test_a_method_that_is_not_an_upper_case_token_is_refused(rig_factory: Any) -> None:
    # Werkzeug and Starlette compare methods case-sensitively; the router must not guess.
    async with rig_factory(endpoint("GET /api/echo/{id}", mode="extracted")) as rig:
        response = await call_asgi(rig.app, "get", b"/api/echo/1")
    assert response.status == 400
    assert rig.transport.calls == []
