"""Flask's own routing answers: unknown paths, trailing slashes, bad ids (HTML 404), wrong
methods (HTML 405 with ``Allow``), OPTIONS and HEAD. Each step is filed under the plan endpoint
whose path it is nearest to, so it runs on that endpoint's service."""

from __future__ import annotations

from ..scenario import Scenario, Step
from .steps import call


def step405(endpoint: str, method: str, path: str) -> Step:
    return Step(endpoint, method, path, compare_headers=("allow",), expect=405)


def option(endpoint: str, path: str) -> Step:
    return Step(endpoint, "OPTIONS", path, compare_headers=("allow",), expect=200)


def head(endpoint: str, path: str) -> Step:
    return Step(endpoint, "HEAD", path, expect=200)


ROUTING_SCENARIOS = (
    Scenario(
        "unknown routes, trailing slashes and bad ids are Flask's HTML 404",
        (
            call("GET /api/products", "/api/products/", expect=404),
            call("GET /api/products", "/api/nope", expect=404),
            call("GET /api/products/{id}", "/api/products/abc", expect=404),
            call("GET /api/products/{id}", "/api/products/-1", expect=404),
            call("GET /api/products/{id}", "/api/products/1/", expect=404),
            call("GET /api/auth/me", "/api/auth/me/", expect=404),
            call("GET /api/auth/me", "/api/auth/nope", expect=404),
            call("GET /api/users/{id}", "/api/users/abc", expect=404),
            call("GET /api/orders", "/api/orders/", expect=404),
            call("GET /api/orders/{id}", "/api/orders/abc", expect=404),
            call("POST /api/orders/{id}/cancel", "/api/orders/1/cancel/", expect=404),
        ),
    ),
    Scenario(
        "a wrong method on a known path is Flask's HTML 405 with Allow",
        (
            call(
                "GET /api/products/{id}", "/api/products/1", compare_headers=("allow",), expect=200
            ),
            step405("GET /api/products/{id}", "DELETE", "/api/products/1"),
            step405("GET /api/products", "PUT", "/api/products"),
            step405("POST /api/stock/verify", "GET", "/api/stock/verify"),
            step405("POST /api/auth/login", "GET", "/api/auth/login"),
            step405("GET /api/auth/me", "POST", "/api/auth/me"),
            step405("GET /api/users/{id}", "DELETE", "/api/users/1"),
            step405("GET /api/orders", "DELETE", "/api/orders"),
            step405("POST /api/orders/{id}/cancel", "GET", "/api/orders/1/cancel"),
        ),
    ),
    Scenario(
        "OPTIONS and HEAD on known paths",
        (
            option("GET /api/products", "/api/products"),
            option("GET /api/products/{id}", "/api/products/1"),
            option("POST /api/auth/login", "/api/auth/login"),
            option("GET /api/orders", "/api/orders"),
            head("GET /api/products/{id}", "/api/products/1"),
            head("GET /api/products", "/api/products"),
        ),
    ),
)
