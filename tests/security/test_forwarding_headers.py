"""No client can lie to the backends about who it is: forwarding headers over real sockets."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from router.headers import TrustedProxies, forwarded_element, upstream_headers

from .edge_servers import echo_backend, router, seen_headers, send_raw

pytestmark = pytest.mark.e2e

LIES = (
    "X-Forwarded-For: 6.6.6.6\r\n"
    "X-Forwarded-Host: evil.example\r\n"
    "X-Forwarded-Proto: https\r\n"
    "Forwarded: for=6.6.6.6;proto=https;host=evil.example\r\n"
    "X-Real-IP: 6.6.6.6"
)


def get(port: int, extra: str = "", source: str = "127.0.0.1") -> dict[str, list[str]]:
    head = f"GET /api/anything HTTP/1.1\r\nHost: shop.test:{port}\r\nConnection: close\r\n{extra}"
    answer = send_raw(port, head, source=source)
    assert answer.status == 200, answer.body
    return seen_headers(answer)


def test_by_default_a_clients_forwarding_headers_are_replaced_not_extended(
    tmp_path: Path,
) -> None:
    with echo_backend() as legacy, router(tmp_path, legacy) as port:
        seen = get(port, LIES)
    assert seen["x-forwarded-for"] == ["127.0.0.1"]
    assert seen["x-real-ip"] == ["127.0.0.1"]
    assert seen["x-forwarded-proto"] == ["http"]
    assert seen["x-forwarded-host"] == [f"shop.test:{port}"]
    assert seen["forwarded"] == [f'for=127.0.0.1;proto=http;host="shop.test:{port}"']
    assert "6.6.6.6" not in repr(seen) and "evil.example" not in repr(seen)


def test_a_trusted_proxys_chain_is_extended(tmp_path: Path) -> None:
    trusted = ("127.0.0.0/8",)
    with echo_backend() as legacy, router(tmp_path, legacy, trusted_proxies=trusted) as port:
        seen = get(port, LIES)
    assert seen["x-forwarded-for"] == ["6.6.6.6, 127.0.0.1"]
    assert seen["x-real-ip"] == ["6.6.6.6"]
    assert seen["x-forwarded-proto"] == ["https"]
    assert seen["x-forwarded-host"] == ["evil.example"]
    assert seen["forwarded"] == [
        "for=6.6.6.6;proto=https;host=evil.example, "
        f'for=127.0.0.1;proto=http;host="shop.test:{port}"'
    ]


def test_a_peer_outside_the_trusted_set_is_replaced_even_when_some_proxies_are_trusted(
    tmp_path: Path,
) -> None:
    with echo_backend() as legacy, router(tmp_path, legacy, trusted_proxies=("127.0.0.1",)) as port:
        seen = get(port, LIES, source="127.0.0.2")  # all of 127/8 is loopback on Linux
    assert seen["x-forwarded-for"] == ["127.0.0.2"]
    assert seen["x-real-ip"] == ["127.0.0.2"]
    assert seen["forwarded"] == [f'for=127.0.0.2;proto=http;host="shop.test:{port}"']


def test_repeated_forwarding_headers_from_a_client_are_all_dropped(tmp_path: Path) -> None:
    with echo_backend() as legacy, router(tmp_path, legacy) as port:
        seen = get(
            port, "X-Forwarded-For: 6.6.6.6\r\nx-forwarded-for: 7.7.7.7\r\nX-REAL-IP: 6.6.6.6"
        )
    assert seen["x-forwarded-for"] == ["127.0.0.1"]
    assert seen["x-real-ip"] == ["127.0.0.1"]


def test_an_ipv6_client_is_quoted_in_forwarded_as_rfc_7239_says() -> None:
    assert forwarded_element("2001:db8::1", "http", "shop.example") == (
        'for="[2001:db8::1]";proto=http;host=shop.example'
    )
    out = dict(
        upstream_headers(
            [("host", "h")], client="::1", scheme="http", request_id="r", traceparent="t"
        )
    )
    assert out["forwarded"] == 'for="[::1]";proto=http;host=h'
    assert out["x-forwarded-for"] == "::1"


def test_the_trusted_set_matches_addresses_and_networks_of_both_families() -> None:
    trusted = TrustedProxies(["10.0.0.0/8", "::1", "192.0.2.7"])
    assert "10.1.2.3" in trusted and "::1" in trusted and "192.0.2.7" in trusted
    assert "192.0.2.8" not in trusted and "11.0.0.1" not in trusted
    assert "not-an-ip" not in trusted and None not in trusted
    assert "127.0.0.1" not in TrustedProxies()


def _monolith_sees(remote_addr: str, trusted: tuple[str, ...] = ("127.0.0.1", "::1")) -> Any:
    """What the monolith's request object makes of a lying client, seen from `remote_addr`."""
    from flask import Flask, jsonify, request

    from legacy_monolith.proxy_trust import TrustedProxyFix

    app = Flask(__name__)

    @app.get("/whoami")
    def whoami() -> Any:
        return jsonify(
            remote_addr=request.remote_addr,
            scheme=request.scheme,
            host=request.host,
            real_ip=request.headers.get("X-Real-IP"),
            forwarded=request.headers.get("Forwarded"),
        )

    app.wsgi_app = TrustedProxyFix(app.wsgi_app, trusted)  # type: ignore[method-assign]
    headers = {
        "X-Forwarded-For": "6.6.6.6",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
        "Forwarded": "for=6.6.6.6",
        "X-Real-IP": "6.6.6.6",
    }
    response = app.test_client().get(
        "/whoami", headers=headers, environ_base={"REMOTE_ADDR": remote_addr}
    )
    return response.get_json()


def test_the_monolith_believes_forwarding_headers_from_the_router_only() -> None:
    from_router = _monolith_sees("127.0.0.1")
    from_elsewhere = _monolith_sees("10.9.9.9")
    assert from_router["remote_addr"] == "6.6.6.6"  # the router vouches for what it sends
    assert from_router["scheme"] == "https" and from_router["host"] == "evil.example"
    assert from_elsewhere == {
        "remote_addr": "10.9.9.9",
        "scheme": "http",
        "host": "localhost",
        "real_ip": None,
        "forwarded": None,
    }


def test_the_monolith_app_is_wrapped_with_its_trusted_set_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from legacy_monolith import create_app
    from legacy_monolith.proxy_trust import TrustedProxyFix

    monkeypatch.setenv("MONOLITH_TRUSTED_PROXIES", "10.0.0.0/8")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"})
    assert isinstance(app.wsgi_app, TrustedProxyFix)
    assert app.wsgi_app.trusts("10.1.1.1") and not app.wsgi_app.trusts("127.0.0.1")


@pytest.fixture
def products_service(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """products_service launched with the argv `strangler up` uses; yields its URL and log file."""
    from migration_plan.stack.wiring import _uvicorn
    from tests.stack.test_stack_up_e2e import free_base_port

    port = free_base_port()
    log = tmp_path / "products.log"
    argv = _uvicorn(sys.executable, "extracted.products_service.app:create_app", port)
    env = {**os.environ, "STRANGLER_VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("FORWARDED_ALLOW_IPS", None)  # uvicorn's default: believe only 127.0.0.1
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield url, log
    finally:
        process.terminate()
        process.wait(15)


def access_lines(log: Path) -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in log.read_text().splitlines() if '"GET /api/' in line]
        if lines:
            return lines
        time.sleep(0.05)
    return []


def test_a_service_behind_the_router_logs_the_real_client_not_the_claimed_one(
    tmp_path: Path, products_service: tuple[str, Path]
) -> None:
    url, log = products_service
    with echo_backend() as legacy, router(tmp_path, legacy, url) as port:
        head = f"GET /api/products/999999 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n{LIES}"
        answer = send_raw(port, head)
    assert answer.headers["x-strangler-side"] == "extracted"
    (line,) = access_lines(log)
    assert "6.6.6.6" not in line
    assert line.split()[1].startswith("127.0.0.1:")  # the router's peer: this test's socket


def test_a_service_ignores_forwarding_headers_from_a_peer_that_is_not_the_router(
    products_service: tuple[str, Path],
) -> None:
    url, log = products_service
    port = int(url.rsplit(":", 1)[1])
    head = f"GET /api/products/999999 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n{LIES}"
    send_raw(port, head, source="127.0.0.2")
    (line,) = access_lines(log)
    assert "6.6.6.6" not in line
    assert line.split()[1].startswith("127.0.0.2:")
