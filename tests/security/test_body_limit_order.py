"""The router's body cap does not change a contract: on the real stack, a body over the backends'
1 MiB limit is answered by the backend in its own order (401 before 413, 404 before 413), exactly
as the monolith answers it directly; only a body over the router's larger cap is the router's
413."""

from __future__ import annotations

import pytest

from .security_stack import Stack, raw_request

pytestmark = pytest.mark.e2e

# Over the backends' 1 MiB, under the router's 2 MiB: the parity suite's "bodies over 1 MiB".
OVER_THE_BACKENDS = b'{"items": [' + b'{"product_id": 1, "quantity": 1},' * 40000 + b"{}]}"
OVER_THE_ROUTER = b"x" * (2 * 1024 * 1024 + 1)
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("method", "path", "who", "status"),
    [
        ("POST", "/api/orders", None, 401),
        ("POST", "/api/orders", "admin", 413),
        ("POST", "/api/products", "admin", 413),
        ("PATCH", "/api/products/9999", "admin", 404),
        ("POST", "/api/auth/register", None, 413),
    ],
)
def test_a_body_over_the_backends_limit_gets_the_contracts_answer_through_the_router(
    stack: Stack, method: str, path: str, who: str | None, status: int
) -> None:
    headers = dict(JSON)
    if who is not None:  # the stack's user is the seeded admin: a customer's rights and more
        headers["Authorization"] = f"Bearer {stack.user_token}"
    routed = raw_request(stack.port, method, path, headers, OVER_THE_BACKENDS)
    direct = raw_request(stack.port + 1, method, path, headers, OVER_THE_BACKENDS)
    assert (routed.status, routed.json()) == (direct.status, direct.json())
    assert routed.status == status
    assert routed.headers.get("x-strangler-side") in {"legacy", "extracted"}  # a backend answered


def test_a_body_over_the_routers_cap_is_its_413_before_any_upstream(stack: Stack) -> None:
    answer = raw_request(stack.port, "POST", "/api/orders", JSON, OVER_THE_ROUTER)
    assert answer.status == 413
    assert answer.json() == {
        "error": {"code": "payload_too_large", "message": "Request body is too large"}
    }
    assert answer.headers["x-strangler-side"] == "router"  # no backend was asked
