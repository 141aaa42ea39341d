"""The contract suite as data: scenarios covering every endpoint of the plan, success and errors.

Run them with ``strangler parity run`` or, in tests, with the pytest plugin's ``run_scenario``.
Written against the seed (``legacy_monolith.seed``): users 1 admin, 2 alice, 3 bob, 4 carol;
products 1..50; orders 1 (alice, pending), 2 (alice, cancelled), 3 (bob, pending). Values a side
mints (tokens, new ids, their timestamps) are captured per side.

The seed is only read. On deployed sides the data is shared (the sync copies each side's writes
to the other) and outlives a run, so whatever a scenario writes it created first, from each
side's own ``{run}`` token: its users (``new_user``), its products with their own stock
(``new_product``), the orders of those. Listings read a seeded category (or a name only the seed
has) and run first: the monolith also keeps the rows the legacy side created, which the sync
does not copy to a service that owns the table.
"""

from __future__ import annotations

from ..scenario import Scenario
from .auth import AUTH_SCENARIOS
from .edges import EDGE_SCENARIOS, SEARCH_EDGES
from .orders import ORDER_SCENARIOS
from .products import LISTING, PRODUCT_SCENARIOS
from .routing import ROUTING_SCENARIOS

SCENARIOS: tuple[Scenario, ...] = (
    LISTING,
    SEARCH_EDGES,
    *AUTH_SCENARIOS,
    *PRODUCT_SCENARIOS,
    *ORDER_SCENARIOS,
    *ROUTING_SCENARIOS,
    *EDGE_SCENARIOS,
)


def scenarios_for(endpoint: str | None = None) -> tuple[Scenario, ...]:
    """Every contract scenario, or those with a step exercising ``endpoint`` (a plan route)."""
    if endpoint is None:
        return SCENARIOS
    return tuple(s for s in SCENARIOS if endpoint in s.endpoints)


__all__ = ["SCENARIOS", "scenarios_for"]
