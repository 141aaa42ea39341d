"""Errors the router makes itself: the monolith's envelope with the request id."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from router_fakes import ADMIN_TOKEN, FuncTransport, call_asgi, endpoint

from router.settings import RouterSettings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def raise_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


def raise_protocol(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("garbage", request=request)


ROUTES = {
    "http://orders.test": FuncTransport(raise_timeout),
    "http://products.test": FuncTransport(raise_protocol),
}


def envelope(body: Any, code: str) -> None:
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    if code == "payload_too_large":  # the contract's own envelope: the id is in X-Request-ID
        assert set(body["error"]) == {"code", "message"}
    else:
        assert body["error"]["request_id"]


async def test_an_unreachable_upstream_is_a_502_envelope(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/x", service="down", mode="extracted")) as rig:
        response = await rig.client.get("/api/x", headers={"x-request-id": "e-1"})
        metrics = rig.app.metrics.render()[0].decode()
    assert response.status_code == 502
    envelope(response.json(), "bad_gateway")
    assert response.json()["error"]["request_id"] == "e-1"
    assert response.headers["x-request-id"] == "e-1"
    assert response.headers["x-strangler-side"] == "extracted"
    assert 'strangler_router_upstream_errors_total{kind="connect",upstream="down"} 1.0' in metrics


async def test_an_upstream_timeout_is_a_504_envelope(rig_factory: Any) -> None:
    async with rig_factory(
        endpoint("GET /api/x", service="orders", mode="extracted"), routes=ROUTES
    ) as rig:
        response = await rig.client.get("/api/x")
    assert response.status_code == 504
    envelope(response.json(), "gateway_timeout")


async def test_a_broken_upstream_answer_is_a_502_envelope(rig_factory: Any) -> None:
    async with rig_factory(endpoint("GET /api/x", mode="extracted"), routes=ROUTES) as rig:
        response = await rig.client.get("/api/x")
    assert response.status_code == 502
    envelope(response.json(), "bad_gateway")


async def test_a_body_over_the_cap_is_a_413_whether_declared_or_streamed(rig_factory: Any) -> None:
    settings = RouterSettings(max_body_bytes=1000, admin_token=ADMIN_TOKEN, reload_interval=0)
    async with rig_factory(endpoint("POST /api/x", mode="extracted"), settings=settings) as rig:
        declared = await rig.client.post("/api/x", content=b"x" * 1001)
        streamed = await call_asgi(
            rig.app,
            "POST",
            b"/api/x",
            headers=[(b"transfer-encoding", b"chunked")],
            body=[b"x" * 600, b"x" * 600],
        )
        fits = await rig.client.post("/api/x", content=b"x" * 1000)
    assert declared.status_code == 413
    envelope(declared.json(), "payload_too_large")
    assert streamed.status == 413
    envelope(streamed.json(), "payload_too_large")
    assert fits.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-length", b"3"), (b"transfer-encoding", b"chunked")],
        [(b"content-length", b"3"), (b"content-length", b"4")],
        [(b"content-length", b"x")],
    ],
)
async def test_ambiguous_framing_is_a_400_and_never_forwarded(
    rig_factory: Any, headers: list[tuple[bytes, bytes]]
) -> None:
    async with rig_factory("") as rig:
        response = await call_asgi(rig.app, "POST", b"/api/x", headers=headers, body=[b"abc"])
    assert response.status == 400
    envelope(response.json(), "bad_request")
    assert rig.transport.calls == []


async def test_a_malformed_path_is_a_400(rig_factory: Any) -> None:
    async with rig_factory("") as rig:
        response = await call_asgi(rig.app, "GET", b"/api/%zz")
    assert response.status == 400
    envelope(response.json(), "bad_request")
    assert rig.transport.calls == []
