"""HTTP correctness at the edge, over real sockets: Host, absolute-form, admin 405/HEAD/Bearer,
the router's 413 in the contract's shape, and the monolith's keep-alive after its own 413."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from legacy_monolith.gunicorn_conf import CONFIG
from tests.stack.test_stack_up_e2e import free_base_port

from .edge_servers import echo_backend, router, seen_headers, send_raw

pytestmark = pytest.mark.e2e

TOKEN = "t0ken"


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[int]:
    with (
        echo_backend() as legacy,
        echo_backend() as service,
        router(tmp_path, legacy, service, admin_token=TOKEN, max_body_bytes=1000) as port,
    ):
        yield port


def test_a_request_without_host_is_a_400_envelope(edge: int) -> None:
    answer = send_raw(edge, "GET /api/x HTTP/1.1\r\nConnection: close")
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "bad_request"
    assert "Host" in answer.json()["error"]["message"]


def test_a_request_with_two_host_headers_is_a_400_envelope(edge: int) -> None:
    answer = send_raw(
        edge, "GET /api/x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: close"
    )
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "bad_request"


def test_an_http_1_0_request_without_host_is_still_served(edge: int) -> None:
    assert send_raw(edge, "GET /api/x HTTP/1.0").status == 200


def test_an_absolute_form_target_is_routed_on_its_path(edge: int) -> None:
    head = "GET http://shop.test/api/products/1 HTTP/1.1\r\nHost: shop.test\r\nConnection: close"
    answer = send_raw(edge, head)
    assert answer.status == 200
    assert answer.headers["x-strangler-side"] == "extracted"
    assert answer.headers["x-strangler-route"] == "GET /api/products/{id}"
    assert answer.json()["path"] == "/api/products/1"


def test_an_absolute_form_targets_authority_is_the_host_the_backend_is_told(edge: int) -> None:
    # RFC 9112 section 3.2.2: the target's authority wins over the Host header.
    head = (
        "GET http://shop.test:8080/api/products/1 HTTP/1.1\r\nHost: evil.test\r\nConnection: close"
    )
    seen = seen_headers(send_raw(edge, head))
    assert seen["x-forwarded-host"] == ["shop.test:8080"]
    assert 'host="shop.test:8080"' in seen["forwarded"][0]
    assert "evil.test" not in str(seen)


@pytest.mark.parametrize(
    "target",
    ["ftp://shop.test/api/products/1", "http://user@shop.test/api/products/1", "http:///api/x"],
)
def test_an_absolute_form_target_without_an_http_authority_is_refused(
    edge: int, target: str
) -> None:
    answer = send_raw(edge, f"GET {target} HTTP/1.1\r\nHost: shop.test\r\nConnection: close")
    assert answer.status == 400


def test_the_routers_413_is_exactly_the_contracts_envelope(edge: int) -> None:
    head = "POST /api/x HTTP/1.1\r\nHost: h\r\nX-Request-ID: big-1\r\nContent-Length: 1001"
    answer = send_raw(edge, head, b"x" * 1001, method="POST")
    assert answer.status == 413
    # docs/contract.md: exactly what the monolith answers; the id is in the header only.
    assert answer.json() == {
        "error": {"code": "payload_too_large", "message": "Request body is too large"}
    }
    assert answer.headers["x-request-id"] == "big-1"


def test_an_admin_405_names_the_allowed_methods(edge: int) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    flip = httpx.get(f"http://127.0.0.1:{edge}/_strangler/routes/flip", headers=auth)
    routes = httpx.delete(f"http://127.0.0.1:{edge}/_strangler/routes", headers=auth)
    assert flip.status_code == 405 and flip.headers["allow"] == "POST"
    assert routes.status_code == 405 and routes.headers["allow"] == "GET"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "beArer"])
def test_the_bearer_scheme_is_case_insensitive(edge: int, scheme: str) -> None:
    url = f"http://127.0.0.1:{edge}/_strangler/routes"
    assert httpx.get(url, headers={"Authorization": f"{scheme} {TOKEN}"}).status_code == 200
    assert httpx.get(url, headers={"Authorization": f"{scheme} wrong"}).status_code == 401


@pytest.mark.parametrize("probe", ["healthz", "readyz"])
def test_head_on_a_probe_is_200_without_a_body(edge: int, probe: str) -> None:
    answer = send_raw(
        edge, f"HEAD /_strangler/{probe} HTTP/1.1\r\nHost: h\r\nConnection: close", method="HEAD"
    )
    assert answer.status == 200
    assert answer.body == b""


def test_forwarding_headers_still_reach_a_backend_through_the_edge(edge: int) -> None:
    seen = seen_headers(send_raw(edge, "GET /api/x HTTP/1.1\r\nHost: h\r\nConnection: close"))
    assert seen["x-forwarded-for"] == ["127.0.0.1"]


@pytest.fixture
def monolith(tmp_path: Path) -> Iterator[int]:
    """The monolith under gunicorn with its real config, started the way `strangler up` does."""
    port = free_base_port()
    argv = [sys.executable, "-m", "gunicorn", "-c", CONFIG, "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", "1", "legacy_monolith:create_app()"]
    env = {**os.environ, "STRANGLER_VAR_DIR": str(tmp_path)}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "gunicorn down"
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(15)


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/api/auth/register", b"413"),  # instead of the body
        ("/api/orders", b"401"),  # before the body: no token
        ("/api/products/1/nothing-here", b"404"),  # no route reads it
    ],
)
def test_the_monolith_serves_the_next_request_on_a_kept_alive_connection_after_an_unread_body(
    monolith: int, target: str, status: bytes
) -> None:
    body = b'{"email": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    first = (
        b"POST %s HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % (target.encode(), len(body)) + body
    )
    second = b"GET /no-such-page HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n"
    received = b""
    with socket.create_connection(("127.0.0.1", monolith), timeout=10) as sock:
        sock.sendall(first + second)
        while chunk := sock.recv(65536):
            received += chunk
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", received) == [status, b"404"], received[:300]


def test_the_canary_sticky_token_reads_the_bearer_scheme_in_any_case() -> None:
    from router.canary import sticky_key

    keys = {sticky_key("token", {"authorization": f"{s} abc"}, "ip") for s in ("Bearer", "bEARER")}
    assert keys == {"token=abc"}
