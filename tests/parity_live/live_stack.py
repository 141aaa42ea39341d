"""The live pair: `strangler up` (the sync running), every route forced to extracted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from migration_plan.plan import load_plan
from tests.live.stack import strangler_up

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LiveStack:
    router: str  # every route forced to extracted: the extracted side
    monolith: str  # the legacy side, straight to the monolith
    var: Path  # the stack's state: the sync publishes its watermark there


@contextmanager
def running_pair(tmp: Path) -> Iterator[LiveStack]:
    with strangler_up(tmp) as stack:
        plan = load_plan(ROOT / "migration_plan" / "plan.yaml", {})
        for endpoint in plan.endpoints:
            flipped = httpx.post(
                f"{stack.router}/_strangler/routes/flip",
                headers={"Authorization": f"Bearer {stack.admin_token}"},
                json={
                    "route": endpoint.route,
                    "mode": "extracted",
                    "reason": "live parity",
                    "actor": "tests/parity_live",
                    "force": True,
                },
                timeout=10,
            )
            assert flipped.status_code == 200, flipped.text
        yield LiveStack(stack.router, f"http://127.0.0.1:{stack.port + 1}", stack.var)
