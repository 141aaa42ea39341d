"""A canary splits callers by their credential whatever its scheme, and says which key it really
used: an app whose requests carry no such key is split by client address, and status shows it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import build_rig
from router_fakes import ADMIN_TOKEN, endpoint
from typer.testing import CliRunner

from migration_plan.cli import app as cli
from migration_plan.commands.connect import AdminAccess

pytestmark = [pytest.mark.integration]

ROUTE = "GET /api/echo/{id}"
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


async def side_of(client: httpx.AsyncClient, authorization: str | None = None) -> str:
    headers = {"authorization": authorization} if authorization else {}
    return str((await client.get("/api/echo/1", headers=headers)).json()["side"])


async def canary_keys(client: httpx.AsyncClient) -> dict[str, int]:
    routes = (await client.get("/_strangler/routes", headers=ADMIN)).json()["routes"]
    view = next(r for r in routes if r["route"] == ROUTE)
    assert view["sticky_key"] == "token"
    return dict(view["stats"]["canary_keys"])


@pytest.mark.anyio
async def test_a_token_scheme_request_is_split_by_its_credential(rig_factory: Any) -> None:
    async with rig_factory(endpoint(ROUTE, mode="canary", canary_percent=50)) as rig:
        sides: dict[int, str] = {}
        for user in range(60):  # one client address, sixty callers
            credential = f"Token eyJ.user-{user}.sig"
            sides[user] = await side_of(rig.client, credential)
            # the same token always lands on the same side, however the scheme is spelled
            assert await side_of(rig.client, credential.replace("Token", "token")) == sides[user]
        keys = await canary_keys(rig.client)
    assert set(sides.values()) == {"legacy", "extracted"}  # two tokens, two sides
    assert keys == {"token": 120}


@pytest.mark.anyio
async def test_requests_without_a_credential_are_counted_as_keyed_by_the_client_address(
    rig_factory: Any,
) -> None:
    async with rig_factory(endpoint(ROUTE, mode="canary", canary_percent=50)) as rig:
        for _ in range(5):
            await side_of(rig.client)
        await side_of(rig.client, "Token abc")
        keys = await canary_keys(rig.client)
    assert keys == {"client_ip": 5, "token": 1}


def test_status_shows_that_every_decision_fell_back_to_the_client_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, *_ = build_rig(endpoint(ROUTE, mode="canary", canary_percent=50))

    async def traffic() -> None:
        async with app.running():
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
            async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
                for _ in range(120):
                    await side_of(client, "  ")  # an app that sends no credential at all

    asyncio.run(traffic())
    via = AdminAccess(httpx.ASGITransport(app=app))  # the CLI's way to the router
    monkeypatch.setenv("STRANGLER_ADMIN_URL", "http://router.test/_strangler/")
    monkeypatch.setenv("ROUTER_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("STRANGLER_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(cli, ["status"], obj=via)
    assert result.exit_code == 0, result.output
    assert (
        f"{ROUTE}: token: 0 of 120 decisions, client address: 120 "
        "(no request carried the token key: split by client address)"
    ) in result.output
    report = json.loads(CliRunner().invoke(cli, ["status", "--json"], obj=via).output)
    row = next(r for r in report["endpoints"] if r["route"] == ROUTE)
    assert row["canary_keys"] == {
        "key": "token",
        "decisions": 120,
        "keyed": 0,
        "client_address": 120,
        "other": 0,
    }
