"""The live pair: `strangler up` (the sync running), every route forced to extracted."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from migration_plan.plan import load_plan
from tests.stack.test_stack_up_e2e import PINNING, RunningUp, free_base_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LiveStack:
    router: str  # every route forced to extracted: the extracted side
    monolith: str  # the legacy side, straight to the monolith


@contextmanager
def running_pair(tmp: Path) -> Iterator[LiveStack]:
    env = {k: v for k, v in os.environ.items() if k not in PINNING}
    port = free_base_port()
    env.update({"ROUTER_PORT": str(port), "STRANGLER_VAR_DIR": str(tmp / "var")})
    up = RunningUp(env, port, tmp / "var")
    try:
        components = up.wait_ready()
        assert "sync" in components  # the sides share their data, as a deployed pair does
        record = json.loads(up.state_file.read_text())
        plan = load_plan(ROOT / "migration_plan" / "plan.yaml", env)
        for endpoint in plan.endpoints:
            flipped = httpx.post(
                f"http://127.0.0.1:{port}/_strangler/routes/flip",
                headers={"Authorization": f"Bearer {record['admin_token']}"},
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
        yield LiveStack(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}")
    finally:
        up.finish()
