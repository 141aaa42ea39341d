"""A trailing slash is another spelling of a route; the plan's `trailing_slash` policy decides what
it is, and the router decides on exactly the path it forwards (or answers it itself)."""

from __future__ import annotations

from typing import Any

import pytest
from router_fakes import call_asgi, endpoint, plan_yaml
from werkzeug.exceptions import NotFound

from migration_plan.plan import PlanError, TrailingSlash, parse_plan
from router.routing import compile_table

ROUTE = "GET /api/echo/{id}"


def policy(name: str) -> str:
    """A top-level plan line (plan_yaml puts its `shadow` text at the top level)."""
    return f"trailing_slash: {name}\n"


def table(name: str) -> Any:
    return compile_table(parse_plan(plan_yaml(endpoint(ROUTE), policy(name)), "plan.yaml"))


@pytest.mark.unit
def test_legacy_is_the_default_and_keeps_the_slashed_spelling_off_the_route() -> None:
    plan = parse_plan(plan_yaml(endpoint(ROUTE)), "plan.yaml")
    assert plan.trailing_slash is TrailingSlash.LEGACY
    resolved = compile_table(plan).resolve("GET", "/api/echo/7/")
    assert (resolved.flag, resolved.path, resolved.answer) == (None, "/api/echo/7/", None)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "path", "answer"),
    [("match", "/api/echo/7", None), ("redirect", "/api/echo/7", 308), ("refuse", None, 404)],
)
def test_each_policy_decides_the_slashed_spelling_of_a_route(
    name: str, path: str | None, answer: int | None
) -> None:
    resolved = table(name).resolve("GET", "/api/echo/7/")
    assert resolved.flag is not None and resolved.flag.route == ROUTE
    assert (resolved.path, resolved.answer) == (path or "/api/echo/7/", answer)


@pytest.mark.unit
@pytest.mark.parametrize("name", [p.value for p in TrailingSlash])
def test_a_slashed_path_that_spells_no_route_stays_with_the_catch_all(name: str) -> None:
    for path in ("/api/elsewhere/", "/api/echo/", "/api/echo/7/8/"):
        resolved = table(name).resolve("GET", path)
        assert (resolved.flag, resolved.path, resolved.answer) == (None, path, None), path
    assert table(name).resolve("GET", "/api/echo/7").path == "/api/echo/7"  # unslashed: as is


@pytest.mark.unit
def test_head_follows_the_get_route_in_its_slashed_spelling_too() -> None:
    resolved = table("match").resolve("HEAD", "/api/echo/7/")
    assert resolved.flag is not None and resolved.flag.route == ROUTE


@pytest.mark.unit
def test_an_unknown_policy_is_an_error_naming_the_field() -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(plan_yaml(endpoint(ROUTE), policy("strict")), "plan.yaml")
    assert str(caught.value) == (
        "plan.yaml:9: trailing_slash: 'strict' is not one of legacy, match, redirect, refuse"
    )


@pytest.mark.integration
@pytest.mark.anyio
async def test_by_default_an_extracted_routes_slashed_spelling_is_never_served_by_the_service(
    rig_factory: Any,
) -> None:
    async with rig_factory(endpoint(ROUTE, mode="extracted")) as rig:
        response = await rig.client.get("/api/echo/7/")
    assert response.headers["x-strangler-route"] == "*"
    assert response.json()["side"] == "legacy"  # legacy's answer, whatever it is (Werkzeug: 404)
    assert rig.products.seen == []


@pytest.mark.integration
@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["extracted", "legacy"])
async def test_match_routes_the_slashed_spelling_by_the_flag_and_forwards_the_routes_own(
    rig_factory: Any, mode: str
) -> None:
    async with rig_factory(endpoint(ROUTE, mode=mode), shadow=policy("match")) as rig:
        response = await call_asgi(rig.app, "GET", b"/api/echo/7/", query=b"x=1")
    assert response.header("x-strangler-route") == ROUTE
    assert response.json()["side"] == mode
    assert (response.json()["path"], response.json()["query"]) == ("/api/echo/7", "x=1")


@pytest.mark.integration
@pytest.mark.anyio
async def test_redirect_answers_308_to_the_routes_own_spelling_without_asking_a_backend(
    rig_factory: Any,
) -> None:
    routes = endpoint(ROUTE, mode="extracted") + endpoint("POST /api/echo", mode="extracted")
    async with rig_factory(routes, shadow=policy("redirect")) as rig:
        read = await rig.client.get("/api/echo/7/?x=1&y=%20")
        write = await rig.client.post("/api/echo/", content=b"{}")
        followed = await rig.client.get(read.headers["location"])
        calls = rig.transport.calls
    assert (read.status_code, read.headers["location"]) == (308, "/api/echo/7?x=1&y=%20")
    assert (write.status_code, write.headers["location"]) == (308, "/api/echo")  # 308 keeps POST
    assert read.headers["x-strangler-side"] == "router"
    assert read.headers["x-strangler-route"] == ROUTE
    assert followed.json()["side"] == "extracted"
    assert calls == [("http://products.test", "/api/echo/7?x=1&y=%20")]  # the followed one only


@pytest.mark.integration
@pytest.mark.anyio
async def test_refuse_answers_werkzeugs_own_404_without_asking_a_backend(rig_factory: Any) -> None:
    async with rig_factory(endpoint(ROUTE, mode="extracted"), shadow=policy("refuse")) as rig:
        response = await rig.client.get("/api/echo/7/")
        plain = await rig.client.get("/api/echo/7")
        stats = rig.app.stats.snapshot(ROUTE)["sides"]
    assert response.status_code == 404
    assert response.text == NotFound().get_body()
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-strangler-side"] == "router"
    assert plain.json()["side"] == "extracted"
    # The router's refusals are left out of the per-side counters the gates read.
    assert (stats["legacy"]["requests"], stats["extracted"]["requests"]) == (0, 1)
