"""Route matching and path normalisation: one lookup, most specific wins, unmatched is legacy."""

from __future__ import annotations

import pytest

from migration_plan.plan import Mode, parse_plan
from router.normalise import BadPath, normalise_path
from router.routing import RouteOverride, compile_table

pytestmark = pytest.mark.unit

PLAN = parse_plan(
    """\
version: 1
upstreams: {legacy: {url: "http://l"}, products: {url: "http://p"}, orders: {url: "http://o"}}
legacy: legacy
endpoints:
  - {route: "GET /api/products", phase: 1, service: products}
  - {route: "GET /api/products/{id}", phase: 1, service: products}
  - {route: "GET /api/products/featured", phase: 1, service: orders}
  - {route: "PATCH /api/products/{id}", phase: 1, service: products, mode: extracted}
  - {route: "GET /api/orders/{id}/items/{item}", phase: 1, service: orders}
  - {route: "GET /api/orders/{id}/items/first", phase: 1, service: products}
  - {route: "GET /api/{kind}/special", phase: 1, service: orders}
  - {route: "GET /", phase: 1, service: products}
""",
    "plan.yaml",
)
TABLE = compile_table(PLAN)


def route_of(method: str, path: str) -> str | None:
    flag = TABLE.match(method, path)
    return None if flag is None else flag.route


def test_a_static_path_matches_its_own_route() -> None:
    assert route_of("GET", "/api/products") == "GET /api/products"
    assert route_of("GET", "/") == "GET /"


def test_a_template_matches_any_single_segment() -> None:
    assert route_of("GET", "/api/products/17") == "GET /api/products/{id}"
    assert route_of("GET", "/api/orders/3/items/9") == "GET /api/orders/{id}/items/{item}"


def test_a_static_segment_beats_a_parameter_at_the_same_position() -> None:
    assert route_of("GET", "/api/products/featured") == "GET /api/products/featured"
    assert route_of("GET", "/api/orders/3/items/first") == "GET /api/orders/{id}/items/first"


def test_matching_backtracks_when_the_static_branch_leads_nowhere() -> None:
    # "products" is a static child of /api, but only {kind}/special ends in "special".
    assert route_of("GET", "/api/products/special") == "GET /api/products/{id}"
    assert route_of("GET", "/api/things/special") == "GET /api/{kind}/special"


def test_the_method_is_part_of_the_route() -> None:
    assert route_of("PATCH", "/api/products/4") == "PATCH /api/products/{id}"
    assert route_of("DELETE", "/api/products/4") is None
    assert route_of("POST", "/api/products") is None


def test_head_follows_the_get_route() -> None:
    assert route_of("HEAD", "/api/products/4") == "GET /api/products/{id}"


@pytest.mark.parametrize(
    "path",
    ["/api/products/", "/api/products/1/2", "/api", "/nope", "/api/orders/1"],
)
def test_unmatched_paths_belong_to_the_legacy_catch_all(path: str) -> None:
    assert route_of("GET", path) is None


@pytest.mark.parametrize(
    "raw", [b"/api/products%2F1", b"/api/orders/1%2fitems/2", b"/api%5Cproducts/1", b"/api\\x"]
)
def test_an_encoded_slash_or_a_backslash_is_refused_not_guessed(raw: bytes) -> None:
    # A backend decodes %2F into a segment boundary the router never saw: refuse, as Envoy's
    # path_with_escaped_slashes_action REJECT_REQUEST does.
    with pytest.raises(BadPath):
        normalise_path(raw)


def test_overrides_change_the_flag_without_touching_the_plan() -> None:
    table = compile_table(PLAN, {"GET /api/products/{id}": RouteOverride(Mode.CANARY, 25)})
    flag = table.match("GET", "/api/products/1")
    assert flag is not None and flag.mode is Mode.CANARY and flag.canary_percent == 25
    assert flag.overridden
    assert PLAN.endpoints[1].mode is Mode.LEGACY


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (b"/api/products/%31", "/api/products/1"),
        (b"/api//products/1", "/api/products/1"),
        (b"/api/x/../products/1", "/api/products/1"),
        (b"/api/./products/./1", "/api/products/1"),
        (b"/api/x/%2e%2e/products/1", "/api/products/1"),
        (b"/api/x/%2E%2E/products/1", "/api/products/1"),
        (b"/../../api/products/1", "/api/products/1"),
        (b"/api/%7Euser", "/api/~user"),
        (b"/api/caf%C3%A9", "/api/caf%C3%A9"),
        (b"/api/caf%c3%a9", "/api/caf%C3%A9"),
        (b"/api/%2e%2E%2fx", None),
        (b"/api/a%3Bb;c", "/api/a;b;c"),
        (b"/api/%253e", "/api/%253e"),
        (b"/api/a%20b", "/api/a%20b"),
        (b"/api/%3F", "/api/%3F"),
        (b"/api/products/", "/api/products/"),
        (b"/api/products/1/..", "/api/products/"),
        (b"//", "/"),
    ],
)
def test_paths_are_normalised_before_matching(raw: bytes, normal: str | None) -> None:
    if normal is None:
        with pytest.raises(BadPath):
            normalise_path(raw)
    else:
        assert normalise_path(raw) == normal


@pytest.mark.parametrize(
    "raw",
    [
        b"api/x",
        b"/api/%zz",
        b"/api/%4",
        b"/a\x00b",
        b"/caf\xc3\xa9",
        b"/a%00b",
        b"/a%0Ab",
        b"/api/%C0%AE%C0%AE/x",  # overlong UTF-8 for '.'
        b"/api/%E0%80%AE",
        b"/api/%FF",
    ],
)
def test_malformed_paths_are_refused(raw: bytes) -> None:
    with pytest.raises(BadPath):
        normalise_path(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"/api/products/%31",
        b"/api//products/1",
        b"/api/x/../products/1",
        b"/api/%2e%2e/api/products/1",
    ],
)
def test_every_spelling_of_a_path_reaches_the_same_route(raw: bytes) -> None:
    assert route_of("GET", normalise_path(raw)) == "GET /api/products/{id}"
