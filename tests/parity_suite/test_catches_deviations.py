"""Proof that the suite catches deviations: a real products_service behind middleware that
changes one thing at a time must fail with the difference at the right JSON pointer, and
identical implementations that mint different ids and timestamps must never fail."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any
from unittest import mock

import pytest

from migration_plan.parity.contract import SCENARIOS
from migration_plan.parity.contract.steps import ADMIN, call, created, login
from migration_plan.parity.inprocess import InProcessPair, SeededData
from migration_plan.parity.report import ParityReport
from migration_plan.parity.response import ObservedResponse
from migration_plan.parity.runner import ScenarioResult, run_scenario
from migration_plan.parity.scenario import Scenario, SideRequest
from migration_plan.parity.sides import ClientSide
from migration_plan.plan import Endpoint, Plan

from .deviations import Deviate, on

pytestmark = pytest.mark.integration

PRODUCT = "/api/products/1"
NEW = {"sku": "DEV-1", "name": "Dev", "category": "tools", "price": "1.00", "stock": 1}

PROBE = Scenario(
    "products probe",
    (
        call("GET /api/products", query={"per_page": "5"}, expect=200),
        call("GET /api/products/{id}", PRODUCT, expect=200),
        call("GET /api/products/{id}", "/api/products/9999", expect=404),
        login(ADMIN, "admin"),
        call("POST /api/products", json=NEW, auth="admin", captures=created("p"), expect=201),
    ),
)


def iso_dates(status: int, document: Any) -> tuple[int, Any]:
    return status, {**document, "created_at": "2026-11-27T04:34:17Z"}


def money_as_number(status: int, document: Any) -> tuple[int, Any]:
    return status, {**document, "price": float(document["price"])}


def without_description(status: int, document: Any) -> tuple[int, Any]:
    return status, {k: v for k, v in document.items() if k != "description"}


def with_slug(status: int, document: Any) -> tuple[int, Any]:
    return status, {**document, "slug": "the-fig-tree"}


def created_as_ok(status: int, document: Any) -> tuple[int, Any]:
    return (200 if status == 201 else status), document


def total_plus_one(status: int, document: Any) -> tuple[int, Any]:
    return status, {**document, "total": document["total"] + 1}


def fastapi_errors(status: int, document: Any) -> tuple[int, Any]:
    return status, {"detail": document["error"]["message"]}


def reversed_items(status: int, document: Any) -> tuple[int, Any]:
    return status, {**document, "items": document["items"][::-1]}


# (name, middleware change, endpoint that must fail, pointer that must be reported)
DEVIATIONS = [
    ("date format", on("GET", PRODUCT, iso_dates), "GET /api/products/{id}", "/created_at"),
    ("money as a number", on("GET", PRODUCT, money_as_number), "GET /api/products/{id}", "/price"),
    (
        "a missing field",
        on("GET", PRODUCT, without_description),
        "GET /api/products/{id}",
        "/description",
    ),
    ("an extra field", on("GET", PRODUCT, with_slug), "GET /api/products/{id}", "/slug"),
    (
        "200 instead of 201",
        on("POST", "/api/products", created_as_ok),
        "POST /api/products",
        "status",
    ),
    (
        "pagination total",
        on("GET", "/api/products", total_plus_one),
        "GET /api/products",
        "/total",
    ),
    (
        "error envelope",
        on("GET", "/api/products/9999", fastapi_errors),
        "GET /api/products/{id}",
        "/error",
    ),
    (
        "list order",
        on("GET", "/api/products", reversed_items),
        "GET /api/products",
        "/items/0/id",
    ),
]


@pytest.fixture(scope="module")
def seeded() -> Iterator[SeededData]:
    data = SeededData()
    yield data
    data.close()


@pytest.fixture
def pair(seeded: SeededData) -> Iterator[InProcessPair]:
    started = InProcessPair.start(seeded)
    yield started
    started.close()


def run(pair: InProcessPair, plan: Plan, scenario: Scenario = PROBE) -> ScenarioResult:
    return run_scenario(scenario, pair.legacy, pair.extracted, plan, {"run": "x"})


def test_the_probe_matches_without_a_deviation(pair: InProcessPair, parity_plan: Plan) -> None:
    result = run(pair, parity_plan)
    assert result.passed, result.summary()


@pytest.mark.parametrize(
    ("name", "change", "endpoint", "pointer"), DEVIATIONS, ids=[d[0] for d in DEVIATIONS]
)
def test_a_deviation_fails_its_endpoint_at_the_right_pointer(
    pair: InProcessPair,
    parity_plan: Plan,
    name: str,
    change: Callable[..., Any],
    endpoint: str,
    pointer: str,
) -> None:
    pair.extracted.wrap("products", lambda app: Deviate(app, change))
    result = run(pair, parity_plan)
    report = ParityReport("in-process", [result]).as_results_file()["endpoints"]
    assert report[endpoint]["status"] == "fail", name
    failing = [step for step in result.steps if not step.passed]
    assert {step.endpoint for step in failing} == {endpoint}, result.summary()
    paths = {d.path for step in failing for d in step.comparison.differences}
    assert pointer in paths, f"{name}: expected {pointer} in {sorted(paths)}"
    assert report[endpoint]["failures"][0].startswith("products probe: ")


class SkewedMonolith:
    """A second monolith whose clock runs `offset` seconds ahead (different timestamps)."""

    MODULES = (
        "legacy_monolith.auth_context",
        "legacy_monolith.outbox",
        "legacy_monolith.api.auth",
        "legacy_monolith.api.orders",
        "legacy_monolith.api.products",
    )

    def __init__(self, side: ClientSide, offset: int) -> None:
        from datetime import timedelta

        from legacy_monolith.clock import utcnow

        self.name = "extracted"
        self._side = side
        self._now = lambda: utcnow() + timedelta(seconds=offset)

    def send(self, request: SideRequest, endpoint: Endpoint) -> ObservedResponse:
        with ExitStack() as patches:
            for module in self.MODULES:
                patches.enter_context(mock.patch(f"{module}.utcnow", self._now))
            return self._side.send(request, endpoint)

    def close(self) -> None:
        self._side.close()


def shift_ids(side: SkewedMonolith, plan: Plan, users: int, orders: int) -> None:
    """Mint `users` users and `orders` (cancelled) orders of carol's, so new ids differ."""
    steps = [
        call(
            "POST /api/auth/register",
            json={"email": f"x{n}@ex.io", "password": "12345678", "name": "x"},
        )
        for n in range(users)
    ]
    steps.append(login(("carol@example.com", "password123")))
    for n in range(orders):
        steps.append(
            call(
                "POST /api/orders",
                json={"items": [{"product_id": 1, "quantity": 1}]},
                auth="token",
                captures=created(f"o{n}"),
            )
        )
        steps.append(
            call("POST /api/orders/{id}/cancel", f"/api/orders/{{o{n}_id}}/cancel", auth="token")
        )
    warmup = Scenario("shift ids", tuple(steps))
    run_scenario(warmup, side, side, plan)


def monolith_twice(seeded: SeededData, plan: Plan, rounds: int) -> tuple[int, list[str]]:
    """Run every contract scenario `rounds` times, monolith vs a skewed monolith copy."""
    steps, failures = 0, []
    for _ in range(rounds):
        for scenario in SCENARIOS:
            a, b = InProcessPair.start(seeded), InProcessPair.start(seeded)
            try:
                other = SkewedMonolith(b.legacy, secrets.randbelow(7200) + 1)
                shift_ids(other, plan, secrets.randbelow(5) + 1, secrets.randbelow(5) + 1)
                result = run_scenario(scenario, a.legacy, other, plan, {"run": "same"})
            finally:
                a.close()
                b.close()
            steps += len(result.steps)
            failures += [] if result.passed else [result.summary()]
    return steps, failures


def test_identical_implementations_with_other_ids_and_clocks_never_differ(
    seeded: SeededData, parity_plan: Plan
) -> None:
    steps, failures = monolith_twice(seeded, parity_plan, rounds=1)
    assert steps > 200
    assert not failures, "\n".join(failures)


@pytest.mark.load
def test_a_thousand_requests_of_identical_implementations_never_differ(
    seeded: SeededData, parity_plan: Plan
) -> None:
    steps, failures = monolith_twice(seeded, parity_plan, rounds=5)
    assert steps >= 1000
    assert not failures, "\n".join(failures)
