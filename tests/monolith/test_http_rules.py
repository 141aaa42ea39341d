"""General rules: Flask's HTML 404/405, OPTIONS/HEAD, request bodies, 413, 500, JSON output."""

from __future__ import annotations

import httpx
import pytest
from flask import Flask
from werkzeug.exceptions import MethodNotAllowed, NotFound

from .support import Api, bearer, error

pytestmark = pytest.mark.integration

NOT_FOUND_HTML = NotFound().get_body().encode()


@pytest.mark.parametrize(
    "path",
    ["/", "/api", "/api/nothing", "/api/products/", "/api/products/abc", "/api/products/-1",
     "/api/products/1/", "/api/orders/", "/api/orders/+1", "/api/users/1.0", "/api/auth/me/"],
)  # fmt: skip
def test_unknown_paths_and_trailing_slashes_are_flasks_html_404(
    client: httpx.Client, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == NOT_FOUND_HTML


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/products/1", {"GET", "HEAD", "OPTIONS", "PATCH"}),
        ("PUT", "/api/products", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("GET", "/api/auth/login", {"OPTIONS", "POST"}),
        ("POST", "/api/auth/me", {"GET", "HEAD", "OPTIONS"}),
        ("GET", "/api/orders/1/cancel", {"OPTIONS", "POST"}),
        ("PATCH", "/api/orders", {"GET", "HEAD", "OPTIONS", "POST"}),
    ],
)
def test_a_wrong_method_is_flasks_html_405_with_allow(
    client: httpx.Client, method: str, path: str, allowed: set[str]
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == MethodNotAllowed().get_body().encode()
    assert set(response.headers["allow"].split(", ")) == allowed


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/products", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("/api/products/5", {"GET", "HEAD", "OPTIONS", "PATCH"}),
        ("/api/stock/verify", {"OPTIONS", "POST"}),
        ("/api/auth/logout", {"OPTIONS", "POST"}),
        ("/api/users/3", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_options_answers_200_with_an_empty_body_and_allow(
    client: httpx.Client, path: str, allowed: set[str]
) -> None:
    response = client.options(path)
    assert response.status_code == 200
    assert response.content == b""
    assert set(response.headers["allow"].split(", ")) == allowed


def test_head_is_get_without_a_body(client: httpx.Client) -> None:
    get = client.get("/api/products")
    head = client.head("/api/products")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == get.headers["content-length"]


def test_json_is_rendered_by_flask_with_sorted_keys(client: httpx.Client) -> None:
    response = client.get("/api/products")
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"items":[],"page":1,"per_page":20,"total":0}\n'


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"not json", b"[]", b'"text"', b"null", b"42", b"\xff\xfe", b'{"a": NaN'],
)
def test_a_body_that_is_not_a_json_object_is_a_400(client: httpx.Client, content: bytes) -> None:
    response = client.post(
        "/api/auth/login", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error(response) == {
        "code": "bad_request",
        "message": "Request body must be a JSON object",
    }


def test_json_is_read_whatever_the_content_type_says(api: Api) -> None:
    api.register("text@example.com")
    response = api.client.post(
        "/api/auth/login",
        content=b'{"email": "text@example.com", "password": "password123"}',
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 200


def test_a_body_over_one_mebibyte_is_a_413(api: Api) -> None:
    admin = api.admin_token()
    big = b'{"items": [' + b" " * (1024 * 1024) + b"]}"
    for path, headers in (("/api/stock/verify", {}), ("/api/products", bearer(admin))):
        response = api.client.post(path, content=big, headers=headers)
        assert response.status_code == 413
        assert error(response) == {
            "code": "payload_too_large",
            "message": "Request body is too large",
        }


def test_a_body_of_exactly_one_mebibyte_is_read(client: httpx.Client) -> None:
    body = b'{"items": []' + b" " * (1024 * 1024 - 13) + b"}"
    assert len(body) == 1024 * 1024
    response = client.post("/api/stock/verify", content=body)
    assert response.status_code == 422


def test_an_unexpected_exception_is_a_500_envelope_without_a_trace(app: Flask) -> None:
    def explode() -> str:
        raise RuntimeError("secret detail")

    app.add_url_rule("/boom", view_func=explode)
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://m") as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "Internal server error"}
    }
    assert b"secret" not in response.content
