"""The router's admin API enforces the same gates as the CLI: no ungated flip to canary or
extracted without force, and every route reports its next gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from plan_support import PRODUCT, build_router, client_for, parity_file, shadow_traffic

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def flip(mode: str, **extra: object) -> dict[str, object]:
    return {"route": PRODUCT, "mode": mode, "reason": "r", "actor": "a", **extra}


async def test_an_ungated_flip_is_refused_with_409_and_force_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARITY_RESULTS_PATH", str(tmp_path / "none.json"))
    app = build_router()
    async with app.running(), client_for(app) as client:
        skipped = await client.post("/_strangler/routes/flip", json=flip("extracted"))
        assert skipped.status_code == 409
        assert skipped.json()["error"]["message"] == (
            "gate: cannot move GET /api/products/{id} from legacy to extracted: "
            "the next allowed stage is shadow"
        )
        assert (
            await client.post("/_strangler/routes/flip", json=flip("shadow"))
        ).status_code == 200
        early = await client.post("/_strangler/routes/flip", json=flip("canary", percent=5))
        assert early.status_code == 409
        message = early.json()["error"]["message"]
        assert "needs 3 shadow comparisons, has 0" in message
        assert "parity result for GET /api/products/{id} is missing" in message
        forced = await client.post(
            "/_strangler/routes/flip", json=flip("canary", percent=5, force=True)
        )
        assert forced.status_code == 200 and forced.json()["forced"] is True
        bad = await client.post("/_strangler/routes/flip", json=flip("legacy", force="yes"))
        assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("force:")
        history = (await client.get("/_strangler/history")).json()["history"]
    assert [r["forced"] for r in history] == [False, True]
    assert len(history[1]["overridden"]) == 2


async def test_routes_report_the_next_gate_from_live_counters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = parity_file(tmp_path / "results.json", {PRODUCT: "pass"})
    monkeypatch.setenv("PARITY_RESULTS_PATH", str(results))
    app = build_router()
    async with app.running(), client_for(app) as client:
        await client.post("/_strangler/routes/flip", json=flip("shadow"))

        async def gate() -> dict[str, object]:
            routes = (await client.get("/_strangler/routes")).json()["routes"]
            return next(r["gate"] for r in routes if r["route"] == PRODUCT)

        assert await gate() == {
            "next": "canary",
            "open": False,
            "problems": ["needs 3 shadow comparisons, has 0"],
        }
        await shadow_traffic(app, 3)
        assert await gate() == {"next": "canary", "open": True, "problems": []}
        response = await client.post("/_strangler/routes/flip", json=flip("canary", percent=10))
        assert response.status_code == 200 and response.json()["forced"] is False


async def test_shadow_evidence_from_before_a_rollback_does_not_open_the_gate_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = parity_file(tmp_path / "results.json", {PRODUCT: "pass"})
    monkeypatch.setenv("PARITY_RESULTS_PATH", str(results))
    app = build_router()
    async with app.running(), client_for(app) as client:
        await client.post("/_strangler/routes/flip", json=flip("shadow"))
        await shadow_traffic(app, 3)
        moves = [flip("canary", percent=10), flip("legacy"), flip("shadow")]
        for move in moves:
            assert (await client.post("/_strangler/routes/flip", json=move)).status_code == 200
        again = await client.post("/_strangler/routes/flip", json=flip("canary", percent=10))
        assert again.status_code == 409
        assert "needs 3 shadow comparisons, has 0" in again.json()["error"]["message"]
        await shadow_traffic(app, 3)  # a new episode's own evidence opens it
        assert (
            await client.post("/_strangler/routes/flip", json=flip("canary", percent=10))
        ).status_code == 200
