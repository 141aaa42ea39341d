"""Table ownership follows the endpoints' modes (pure)."""

from __future__ import annotations

import pytest

from migration_plan.data.ownership import flows_to_monolith, flows_to_service, table_owners

pytestmark = pytest.mark.unit

DECLARED = {"users": "auth", "products": "products", "orders": "orders", "outbox": "legacy"}


def routes(**modes: list[str]) -> list[dict[str, str]]:
    return [{"service": s, "mode": m} for s, ms in modes.items() for m in ms]


def test_a_table_stays_with_the_monolith_until_every_endpoint_of_its_service_is_extracted() -> None:
    owners = table_owners(DECLARED, routes(products=["extracted", "canary"], orders=["legacy"]))
    assert owners == {
        "users": "legacy",
        "products": "legacy",
        "orders": "legacy",
        "outbox": "legacy",
    }


def test_a_table_moves_with_its_last_endpoint() -> None:
    owners = table_owners(DECLARED, routes(products=["extracted", "extracted"], auth=["shadow"]))
    assert owners["products"] == "products" and owners["users"] == "legacy"


def test_a_service_without_endpoints_owns_nothing() -> None:
    assert table_owners({"products": "products"}, []) == {"products": "legacy"}


def test_data_flows_towards_whoever_does_not_own_it() -> None:
    owners = {"products": "products", "orders": "legacy"}
    assert flows_to_monolith(owners, "products", "products")
    assert not flows_to_service(owners, "products")
    assert flows_to_service(owners, "orders")
    assert not flows_to_monolith(owners, "orders", "orders")


def test_identity_tables_flow_both_ways_so_tokens_work_on_both_sides() -> None:
    owners = {"sessions": "legacy"}
    assert flows_to_service(owners, "sessions") and flows_to_monolith(owners, "sessions", "auth")
