"""The router in front of the real monolith and the real auth_service, in-process.

Writes are shadowed as dry runs (`X-Strangler-Shadow: 1`): auth_service answers what it would have
done and keeps nothing. A token the monolith issued works through auth_service's introspection.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import structlog
from router_fakes import AsyncWSGITransport, HostTransport

from migration_plan.parity.redact import MARK, default_redactor
from migration_plan.plan import parse_plan
from router.app import RouterApp, create_app
from router.settings import RouterSettings
from tests.support.httpx_forwarder import HttpxForwarder

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

legacy_monolith = pytest.importorskip("legacy_monolith")
auth_app = pytest.importorskip("extracted.auth_service.app")

FAST_HASH = "pbkdf2:sha256:1000"
ALICE = {"email": "alice@example.com", "password": "correct horse", "name": "Alice"}


def plan_text(mode: str) -> str:
    return f"""\
version: 1
upstreams:
  legacy: {{url: "http://legacy.test"}}
  auth: {{url: "http://auth.test"}}
legacy: legacy
endpoints:
  - route: "POST /api/auth/register"
    phase: 2
    service: auth
    mode: {mode}
    dry_run: true
    parity: {{ignore: [/id, /created_at]}}
  - route: "POST /api/auth/login"
    phase: 2
    service: auth
    mode: {mode}
    dry_run: true
    parity: {{ignore: [/token]}}
  - {{route: "GET /api/auth/me", phase: 2, service: auth, mode: {mode}}}
"""


class Stack:
    def __init__(self, transports: dict[str, httpx.AsyncBaseTransport], urls: dict[str, str]):
        self.transports = transports
        self.urls = urls

    def count_users(self, side: str) -> int:
        engine = sa.create_engine(self.urls[side])
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one()
        engine.dispose()
        return int(count)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    from extracted.auth_service.migrate import upgrade as upgrade_auth
    from extracted.auth_service.settings import AuthSettings
    from legacy_monolith.db import engine_of
    from legacy_monolith.migrate import upgrade as upgrade_monolith

    urls = {
        "legacy": f"sqlite:///{tmp_path / 'monolith.db'}",
        "auth": f"sqlite:///{tmp_path / 'auth.db'}",
    }
    upgrade_monolith(urls["legacy"])
    upgrade_auth(urls["auth"])
    monolith = legacy_monolith.create_app(
        {"DATABASE_URL": urls["legacy"], "PASSWORD_HASH_METHOD": FAST_HASH}
    )
    monolith_transport = AsyncWSGITransport(monolith)
    # auth_service introspects monolith-issued tokens through the monolith's public API
    to_legacy = httpx.AsyncClient(
        transport=HostTransport({"http://legacy.test": monolith_transport})
    )
    auth = auth_app.create_app(
        AuthSettings(
            database_url=urls["auth"],
            legacy_url="http://legacy.test",
            password_hash_method=FAST_HASH,
            http_retries=0,
        ),
        client=to_legacy,
    )
    yield Stack(
        {
            "http://legacy.test": monolith_transport,
            "http://auth.test": httpx.ASGITransport(app=auth),
        },
        urls,
    )
    await to_legacy.aclose()
    auth.state.runtime.database.dispose()
    engine_of(monolith).dispose()


def router_over(stack: Stack, mode: str) -> RouterApp:
    quiet = structlog.wrap_logger(structlog.WriteLogger(io.StringIO()))
    return create_app(
        parse_plan(plan_text(mode), "plan.yaml"),
        HttpxForwarder(transport=HostTransport(dict(stack.transports))),
        RouterSettings(reload_interval=0),
        access_log=quiet,
        event_log=quiet,
    )


async def register_login_me(app: RouterApp) -> list[httpx.Response]:
    async with app.running():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router.test"
        ) as client:
            registered = await client.post("/api/auth/register", json=ALICE)
            login = await client.post(
                "/api/auth/login", json={"email": ALICE["email"], "password": ALICE["password"]}
            )
            token = login.json().get("token", "")
            me = await client.get("/api/auth/me", headers={"authorization": f"Bearer {token}"})
            await app.shadower.drain()
    return [registered, login, me]


async def test_shadowed_auth_writes_are_dry_runs_in_parity_with_the_monolith(stack: Any) -> None:
    app = router_over(stack, "shadow")
    registered, login, me = await register_login_me(app)
    assert registered.status_code == 201 and registered.headers["x-strangler-side"] == "legacy"
    assert login.status_code == 200 and me.json()["email"] == ALICE["email"]
    assert stack.count_users("legacy") == 1
    assert stack.count_users("auth") == 0  # the mirrored register was rolled back
    for route in ("POST /api/auth/register", "GET /api/auth/me"):
        shadow = app.stats.snapshot(route)["shadow"]
        assert shadow["compared"] == 1, (route, shadow)
        assert shadow["mismatched"] == 0, app.stats.mismatch_examples(route)
    # No data sync runs here, so auth_service never learnt Alice: shadowing shows exactly that.
    (example,) = app.stats.mismatch_examples("POST /api/auth/login")
    assert example["legacy"]["status"] == 200 and example["extracted"]["status"] == 401
    sent = json.loads(example["request_body"])
    assert MARK.fullmatch(sent["email"]) and MARK.fullmatch(sent["password"])
    assert sent["email"] == default_redactor().mark(ALICE["email"])  # equal values, equal marks
    assert "correct horse" not in str(example) and ALICE["email"] not in str(example)


async def test_extracted_auth_serves_writes_from_the_service(stack: Any) -> None:
    app = router_over(stack, "extracted")
    registered, login, me = await register_login_me(app)
    assert registered.status_code == 201 and registered.headers["x-strangler-side"] == "extracted"
    assert login.status_code == 200 and me.status_code == 200
    assert me.json()["email"] == ALICE["email"]
    assert stack.count_users("auth") == 1 and stack.count_users("legacy") == 0
