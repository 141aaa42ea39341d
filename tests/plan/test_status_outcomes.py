"""`strangler status` shows every shadow outcome per route: comparisons (with how many a plan rule
explained), and beside them what was no evidence either way (in flight, skipped by reason)."""

from __future__ import annotations

from typing import Any

import pytest

from migration_plan.commands.flags import _compared, _not_compared
from migration_plan.state.views import status_row

pytestmark = pytest.mark.unit


def view(**shadow: int) -> dict[str, Any]:
    counts = {"compared": 0, "mismatched": 0, **shadow}
    side = {"requests": 0, "errors": 0}
    return {
        "route": "GET /api/orders",
        "phase": 4,
        "service": "orders",
        "mode": "shadow",
        "canary_percent": None,
        "overridden": True,
        "stats": {"sides": {"legacy": side, "extracted": side}, "shadow": counts},
        "gate": None,
    }


def test_in_flight_and_skipped_are_shown_beside_the_comparisons_never_in_the_rate() -> None:
    row = status_row(
        view(compared=40, mismatched=2, explained=5, in_flight=7, too_large=1, failed=3)
    )
    shadow = row["shadow"]
    assert shadow["mismatch_rate"] == 2 / 40  # in-flight and skipped mirrors are not in it
    assert (shadow["explained"], shadow["in_flight"]) == (5, 7)
    assert shadow["skipped"] == {"too_large": 1, "failed": 3}
    assert _compared(shadow) == "40 (5 explained)"
    assert _not_compared(shadow) == "7 in flight, 1 too large, 3 failed"


def test_a_route_with_nothing_but_comparisons_shows_no_extra_text() -> None:
    shadow = status_row(view(compared=3))["shadow"]
    assert (_compared(shadow), _not_compared(shadow)) == ("3", "-")
