"""Shadow comparisons of two apps that each issue their own tokens: a difference that is only
the caller's credential (one side refused it) is skipped as `credentials`, not a mismatch, until
the plan says the credentials are shared or names a hook that swaps in the service's own."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from router_fakes import endpoint

from migration_plan.plan import PlanError, parse_plan

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

PRODUCT = endpoint("GET /api/products/{id}", mode="shadow")
ROUTE = "GET /api/products/{id}"


def shadow(credentials: str = "", hook: str = "") -> str:
    lines = ["shadow:", "  timeout_seconds: 0.5"]
    if credentials:
        lines.append(f"  credentials: {credentials}")
    if hook:
        lines.append(f'  credentials_hook: "{hook}"')
    return "\n".join(lines) + "\n"


async def shadow_of(rig: Any, headers: dict[str, str]) -> dict[str, int]:
    await rig.client.get("/api/products/3", headers=headers)
    await rig.app.shadower.drain()
    return dict(rig.app.stats.snapshot(ROUTE)["shadow"])


async def test_a_credential_only_one_side_accepts_is_skipped_until_the_plan_says(
    rig_factory: Any,
) -> None:
    async with rig_factory(PRODUCT, shadow=shadow()) as rig:
        rig.products.status = 401  # the service does not know legacy's token
        counts = await shadow_of(rig, {"Authorization": "Token legacy-jwt"})
    assert (counts["credentials"], counts["compared"], counts["mismatched"]) == (1, 0, 0)


async def test_without_a_credential_a_refusal_is_a_real_difference(rig_factory: Any) -> None:
    async with rig_factory(PRODUCT, shadow=shadow()) as rig:
        rig.products.status = 401
        counts = await shadow_of(rig, {})
    assert (counts["credentials"], counts["mismatched"]) == (0, 1)


async def test_with_shared_credentials_the_same_refusal_is_a_mismatch(rig_factory: Any) -> None:
    async with rig_factory(PRODUCT, shadow=shadow("shared")) as rig:
        rig.products.status = 401
        counts = await shadow_of(rig, {"Authorization": "Bearer shared-token"})
    assert (counts["credentials"], counts["mismatched"]) == (0, 1)


@pytest.fixture
def hook_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "token_map.py").write_text(
        textwrap.dedent(
            """
            KNOWN = {"Token legacy-1": "Bearer service-1"}

            def service_token(authorization):
                return KNOWN.get(authorization)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return "token_map:service_token"


async def test_a_hook_swaps_in_the_services_credential_for_the_mirror(
    rig_factory: Any, hook_module: str
) -> None:
    async with rig_factory(PRODUCT, shadow=shadow("hook", hook_module)) as rig:
        counts = await shadow_of(rig, {"Authorization": "Token legacy-1"})
        sent = rig.products.seen[-1]["headers"]
    assert sent["authorization"] == "Bearer service-1"
    assert (counts["compared"], counts["mismatched"], counts["credentials"]) == (1, 0, 0)


async def test_a_caller_the_hook_does_not_know_is_skipped_and_the_service_not_asked(
    rig_factory: Any, hook_module: str
) -> None:
    async with rig_factory(PRODUCT, shadow=shadow("hook", hook_module)) as rig:
        counts = await shadow_of(rig, {"Authorization": "Token stranger"})
        asked = len(rig.products.seen)
    assert (counts["credentials"], counts["compared"], asked) == (1, 0, 0)


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("shadow: {credentials: hook}\n", "credentials_hook is required with credentials: hook"),
        (
            'shadow: {credentials: hook, credentials_hook: "no_such_module_x:f"}\n',
            "shadow.credentials_hook: cannot import 'no_such_module_x'",
        ),
        (
            'shadow: {credentials: hook, credentials_hook: "not a hook"}\n',
            "shadow.credentials_hook: 'not a hook' must be 'package.module:function'",
        ),
    ],
)
def test_a_bad_credentials_setting_is_a_plan_error_naming_it(snippet: str, message: str) -> None:
    text = 'version: 1\nupstreams: {legacy: {url: "http://l.test"}}\nlegacy: legacy\n' + snippet
    with pytest.raises(PlanError) as info:
        parse_plan(text, "plan.yaml")
    assert message in str(info.value)
