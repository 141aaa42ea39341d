"""The router records shadowed requests into a corpus when ROUTER_CAPTURE_PATH is set, and only
then; the corpus replays against the service with the same engine."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
import structlog

from migration_plan.parity.corpus import read_corpus
from migration_plan.parity.redact import MARK
from migration_plan.plan import parse_plan
from router.app import create_app
from router.settings import RouterSettings
from tests.support.httpx_forwarder import HttpxForwarder

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

PLAN = """
version: 1
upstreams:
  legacy: {url: "http://legacy.test"}
  products: {url: "http://products.test"}
legacy: legacy
endpoints:
  - {route: "GET /api/products/{id}", phase: 1, service: products, mode: shadow}
  - {route: "GET /api/products", phase: 1, service: products, mode: legacy}
"""


def backend(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"id": 1, "name": "The Fig Tree", "token": "t0k3n"})


async def route_three(settings: RouterSettings) -> None:
    quiet = structlog.wrap_logger(structlog.WriteLogger(io.StringIO()))
    app = create_app(
        parse_plan(PLAN, "plan.yaml"),
        HttpxForwarder(transport=httpx.MockTransport(backend)),
        settings,
        access_log=quiet,
        event_log=quiet,
    )
    async with app.running():
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r")
        async with client:
            for path in ("/api/products/1?x=1", "/api/products/2", "/api/products"):
                answer = await client.get(path, headers={"Authorization": "Bearer secret"})
                assert answer.status_code == 200
            await app.shadower.drain()


async def test_shadowed_requests_are_captured_redacted(tmp_path: Path) -> None:
    corpus = tmp_path / "capture.jsonl"
    await route_three(RouterSettings(reload_interval=0, capture_path=corpus, capture_sample_rate=1))
    entries = list(read_corpus(corpus))  # the legacy-mode route is not shadowed: not captured
    assert [(e.endpoint, e.request.path) for e in entries] == [
        ("GET /api/products/{id}", "/api/products/1"),
        ("GET /api/products/{id}", "/api/products/2"),
    ]
    assert entries[0].request.query == (("x", "1"),)
    assert MARK.search(dict(entries[0].request.headers)["authorization"])
    assert MARK.fullmatch(json.loads(entries[0].response.body)["token"])
    assert "secret" not in corpus.read_text()


async def test_capture_is_off_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    await route_three(RouterSettings(reload_interval=0))
    assert list(tmp_path.iterdir()) == []
