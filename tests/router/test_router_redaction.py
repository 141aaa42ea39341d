"""Stored shadow evidence is redacted: /_strangler/mismatches and `strangler diffs` never show an
email, a token or a plan-sensitive value raw, and equal values keep equal marks."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from router_fakes import ADMIN_TOKEN, endpoint
from typer.testing import CliRunner

from migration_plan.cli import app as cli
from migration_plan.commands import flags
from migration_plan.parity.redact import MARK, default_redactor

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

SHADOW = "shadow: {timeout_seconds: 0.5, max_concurrency: 2, max_body_bytes: 100}\n"
PRODUCT = endpoint("GET /api/products/{id}", mode="shadow")
AUTH = {"authorization": f"Bearer {ADMIN_TOKEN}"}
EMAIL = "bob@example.com"
TOKEN = "tok-4f9a81c2e7"


async def stored_example(rig_factory: Any, endpoints: str, name: str) -> tuple[str, Any]:
    """One shadow mismatch (the service answers `name`), as the admin API serves it."""
    async with rig_factory(endpoints, shadow=SHADOW) as rig:
        rig.products.product_name = name
        await rig.client.get(
            "/api/products/3?email=alice@example.com",
            headers={"authorization": f"Bearer {TOKEN}", "cookie": f"session={TOKEN}"},
        )
        await rig.app.shadower.drain()
        served = await rig.client.get("/_strangler/mismatches", headers=AUTH)
    (example,) = served.json()["mismatches"]
    return served.text, example


async def test_no_email_or_token_is_served_raw_by_the_admin_api(rig_factory: Any) -> None:
    text, example = await stored_example(rig_factory, PRODUCT, EMAIL)
    for raw in (EMAIL, "alice@example.com", TOKEN):
        assert raw not in text
    (difference,) = example["differences"]
    assert difference == f'/name: "The Fig Tree" != "{default_redactor().mark(EMAIL)}"'
    # The token in the header and in the cookie is one value: one mark.
    headers = example["request_headers"]
    bearer = re.fullmatch(rf"Bearer ({MARK.pattern})", headers["authorization"])
    cookie = re.fullmatch(rf"session=({MARK.pattern})", headers["cookie"])
    assert bearer and cookie and bearer[1] == cookie[1]


async def test_a_plan_sensitive_field_is_stored_as_marks_that_still_compare(
    rig_factory: Any,
) -> None:
    sensitive = endpoint(
        "GET /api/products/{id}", mode="shadow", parity="{sensitive: [/name, /price]}"
    )
    text, example = await stored_example(rig_factory, sensitive, "The Fog Tree")
    assert "Fig Tree" not in text and "Fog Tree" not in text and "19.99" not in text
    redactor = default_redactor()
    (difference,) = example["differences"]
    fig, fog = redactor.mark("The Fig Tree"), redactor.mark("The Fog Tree")
    assert difference == f'/name: "{fig}" != "{fog}"'
    legacy, extracted = (json.loads(example[side]["body"]) for side in ("legacy", "extracted"))
    assert legacy["price"] == extracted["price"] == redactor.mark("19.99")  # equal, so it matched
    assert legacy["name"] != extracted["name"]


async def test_strangler_diffs_prints_no_email_or_token(
    rig_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, example = await stored_example(rig_factory, PRODUCT, EMAIL)
    # An example stored raw (an older router) is redacted on its way to the terminal too.
    raw = {**example, "differences": [f'/name: "x" != "{EMAIL}"', f"/token: Bearer {TOKEN}"]}
    monkeypatch.setattr(flags, "run", lambda direct, action, access: [raw])
    for args in ([], ["--json"]):
        result = CliRunner().invoke(cli, ["diffs", "GET /api/products/{id}", *args])
        assert result.exit_code == 0, result.output
        assert EMAIL not in result.output and TOKEN not in result.output
        assert default_redactor().mark(EMAIL) in result.output
