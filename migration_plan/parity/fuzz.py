"""Differential fuzzing: hypothesis strategies of requests, valid and not, for every endpoint.

Each strategy draws a :class:`Step` (its plan endpoint, method, path, query, body and which
token it sends); :class:`FuzzTarget` sends it to both in-process sides and compares with the
endpoint's plan rules, so any difference is a finding that hypothesis shrinks to a minimal
request. Endpoints are fuzzed in groups (``GROUPS``) that share one pair of sides; groups that
write never read back what they created, whose timestamps each side stamps with its own clock
(a user registered a second boundary apart read back as admin differed by that second).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from migration_plan.plan import Plan

from .contract.steps import ADMIN, ALICE, login
from .inprocess import InProcessPair
from .runner import StepResult, run_scenario
from .scenario import JSON, Scenario, Step

MISSING = object()  # a field left out of the body

ODD_TEXT = st.sampled_from(
    ["", " ", "  x  ", "5", "-1", "1e3", "0x10", "null", "true", "é", "İ", "ß", "\u00a0", "a\x00b",
     "%", "_", "'; drop table users; --", "🙂", "ＡＢＣ", "١٢٣", "12.345", "19.99", " 7.5 "]
)  # fmt: skip
TEXT = st.one_of(ODD_TEXT, st.text(max_size=12), st.text(string.ascii_letters, max_size=300))
INTEGERS = st.one_of(
    st.integers(-3, 1002),
    st.sampled_from([0, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), 10**30]),
)
ANY_JSON: st.SearchStrategy[JSON] = st.recursive(
    st.one_of(st.none(), st.booleans(), INTEGERS, st.floats(allow_nan=False), TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
NO_ONES_IDS = st.sampled_from(
    ["0", "9999", "99999999999999999999", "abc", "-1", "1.0", "%31", "01"]
)
IDS = st.one_of(st.integers(1, 55).map(str), NO_ONES_IDS)
# Ids of seeded rows only, for groups that create rows of that kind: a row the group created was
# stamped by each side's own clock, so reading it back would compare clocks, not implementations.
SEEDED_USER_IDS = st.one_of(st.sampled_from(["1", "2", "3"]), NO_ONES_IDS)  # admin, alice, bob
SEEDED_PRODUCT_IDS = st.one_of(st.integers(1, 50).map(str), NO_ONES_IDS)  # the demo catalogue
HEADER_VALUES = st.one_of(  # what an HTTP client can put in a header: visible ASCII
    st.sampled_from(["", "Bearer", "bearer x", "BEARER  x", "Bearer a b", "Basic x", "Token x"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)
TOKENS = st.sampled_from(["alice", "admin", "alice", "admin", None, "garbage", "bare"])
ADMIN_MOSTLY = st.sampled_from(["admin", "admin", "admin", "alice", None, "garbage"])
WORD = st.text(string.ascii_letters + " -", min_size=1, max_size=20)


def field(valid: st.SearchStrategy[JSON]) -> st.SearchStrategy[object]:
    """Mostly valid values, sometimes any JSON at all, sometimes missing."""
    return st.one_of(valid, valid, ANY_JSON, st.just(MISSING))


def body(**fields: st.SearchStrategy[JSON]) -> st.SearchStrategy[JSON]:
    """An object of valid fields, or one with fields wrong or missing, or any JSON at all."""

    def build(values: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in values.items() if v is not MISSING}

    valid = st.fixed_dictionaries(fields)
    mutated = st.fixed_dictionaries({k: field(v) for k, v in fields.items()}).map(build)
    return st.one_of(valid, mutated, mutated, ANY_JSON)


def raw_or_json(document: st.SearchStrategy[JSON]) -> st.SearchStrategy[dict[str, Any]]:
    raw = st.sampled_from([b"", b"{", b"[]", b"null", b'"x"', b"\xff\xfe", b"{}"])
    return st.one_of(
        document.map(lambda d: {"json": d} if d is not None else {"content": b"null"}),
        document.map(lambda d: {"json": d} if d is not None else {"content": b"null"}),
        raw.map(lambda c: {"content": c}),
    )


def with_auth(token: str | None) -> dict[str, Any]:
    if token in ("alice", "admin"):
        return {"auth": token}
    if token == "garbage":
        return {"headers": {"Authorization": "Bearer garbage"}}
    if token == "bare":
        return {"headers": {"Authorization": "Bearer"}}
    return {}


EMAILS = st.one_of(
    st.text(string.ascii_lowercase, min_size=1, max_size=8).map(lambda s: f"{s}@example.com"),
    st.sampled_from(["alice@example.com", " ALICE@example.com", "a@b.c", "@x.y", "x@y", "a b@c.d"]),
)
PASSWORDS = st.text(string.ascii_letters + string.digits + " ", min_size=8, max_size=20)
PRICES = st.one_of(
    st.from_regex(r"\A\d{1,7}(\.\d{1,2})?\Z"),
    st.sampled_from(["19.99", " 1.50 ", "9999999.99", "1.999", "-1", "", "1e3", "٣.٠٠"]),
)
ITEM = body(product_id=st.integers(1, 52), quantity=st.integers(1, 1000))
GOOD_ITEM = st.fixed_dictionaries({"product_id": st.integers(1, 52), "quantity": st.integers(1, 9)})
ITEMS = st.one_of(st.lists(ITEM, max_size=4), st.lists(GOOD_ITEM, min_size=1, max_size=4), ANY_JSON)


def step(route: str, path: str, **options: Any) -> Step:
    # Drawn text is literal: "{A}" in a fuzzed header is a brace, not a placeholder.
    return Step(route, route.split(" ", 1)[0], path, templated=False, **options)


def auth_steps() -> st.SearchStrategy[Step]:
    register = raw_or_json(body(email=EMAILS, password=PASSWORDS | TEXT, name=WORD | TEXT)).map(
        lambda b: step("POST /api/auth/register", "/api/auth/register", **b)
    )
    login_ = raw_or_json(body(email=EMAILS, password=st.just("password123") | TEXT)).map(
        lambda b: step("POST /api/auth/login", "/api/auth/login", **b)
    )
    me = st.one_of(
        TOKENS.map(lambda t: step("GET /api/auth/me", "/api/auth/me", **with_auth(t))),
        HEADER_VALUES.map(
            lambda h: step("GET /api/auth/me", "/api/auth/me", headers={"Authorization": h})
        ),
    )
    user = st.tuples(SEEDED_USER_IDS, TOKENS).map(
        lambda a: step("GET /api/users/{id}", f"/api/users/{a[0]}", **with_auth(a[1]))
    )
    # Never alice's or admin's token: logging them out would change every later example.
    logout = st.one_of(
        st.sampled_from(["garbage", "bare", None]).map(with_auth),
        HEADER_VALUES.map(lambda h: {"headers": {"Authorization": h}}),
    ).map(lambda a: step("POST /api/auth/logout", "/api/auth/logout", **a))
    return st.one_of(register, login_, me, user, logout)


SORTS = ["id", "-id", "name", "-name", "price", "-price", "created_at", "-created_at"]
GOOD_QUERY = st.fixed_dictionaries(
    {},
    optional={
        "page": st.integers(1, 12).map(str),
        "per_page": st.integers(1, 100).map(str),
        "q": st.sampled_from(["", "fig", "E", "an", " Tree ", "%", "_"]),
        "category": st.sampled_from(["", "books", "garden", "toys", "nope"]),
        "sort": st.sampled_from(SORTS),
    },
)
ODD_QUERY = st.dictionaries(
    st.sampled_from(["page", "per_page", "q", "category", "sort", "other"]),
    st.one_of(TEXT.filter(lambda t: "\x00" not in t), INTEGERS.map(str), st.sampled_from(SORTS)),
    max_size=4,
)
QUERY = st.one_of(GOOD_QUERY, GOOD_QUERY, ODD_QUERY)


def read_steps() -> st.SearchStrategy[Step]:
    listing = QUERY.map(lambda q: step("GET /api/products", "/api/products", query=q))
    product = IDS.map(lambda i: step("GET /api/products/{id}", f"/api/products/{i}"))
    verify = raw_or_json(body(items=ITEMS)).map(
        lambda b: step("POST /api/stock/verify", "/api/stock/verify", **b)
    )
    orders = st.tuples(QUERY, TOKENS).map(
        lambda a: step("GET /api/orders", "/api/orders", query=a[0], **with_auth(a[1]))
    )
    order = st.tuples(IDS, TOKENS).map(
        lambda a: step("GET /api/orders/{id}", f"/api/orders/{a[0]}", **with_auth(a[1]))
    )
    return st.one_of(listing, product, verify, orders, order)


PRODUCT_FIELDS = {
    "name": WORD,
    "description": st.text(max_size=30),
    "category": st.sampled_from(["books", "garden", "tools"]),
    "price": PRICES,
    "stock": st.integers(0, 1_000_000),
}
SKUS = st.text(string.ascii_uppercase + string.digits + "-", min_size=1, max_size=10)


def patch_body() -> st.SearchStrategy[JSON]:
    """Any subset of the updatable fields, valid or not (an empty one is a 422 too)."""
    odd = {k: field(v) for k, v in PRODUCT_FIELDS.items()}
    subset = st.fixed_dictionaries({}, optional=odd).map(
        lambda d: {k: v for k, v in d.items() if v is not MISSING}
    )
    return st.one_of(st.fixed_dictionaries({}, optional=PRODUCT_FIELDS), subset, ANY_JSON)


def product_write_steps() -> st.SearchStrategy[Step]:
    create = st.tuples(
        raw_or_json(body(sku=SKUS | st.just("BOOK-0001"), **PRODUCT_FIELDS)), ADMIN_MOSTLY
    ).map(lambda a: step("POST /api/products", "/api/products", **a[0], **with_auth(a[1])))
    patch = st.tuples(SEEDED_PRODUCT_IDS, raw_or_json(patch_body()), ADMIN_MOSTLY).map(
        lambda a: step(
            "PATCH /api/products/{id}", f"/api/products/{a[0]}", **a[1], **with_auth(a[2])
        )
    )
    return st.one_of(create, patch)


def order_steps() -> st.SearchStrategy[Step]:
    place = st.tuples(raw_or_json(body(items=ITEMS)), TOKENS).map(
        lambda a: step("POST /api/orders", "/api/orders", **a[0], **with_auth(a[1]))
    )
    cancel = st.tuples(st.sampled_from(["1", "2", "3", "9999", "x"]), TOKENS).map(
        lambda a: step(
            "POST /api/orders/{id}/cancel", f"/api/orders/{a[0]}/cancel", **with_auth(a[1])
        )
    )
    return st.one_of(place, place, cancel)


GROUPS: dict[str, Callable[[], st.SearchStrategy[Step]]] = {
    "auth": auth_steps,
    "reads": read_steps,
    "product-writes": product_write_steps,
    "orders": order_steps,
}


class FuzzTarget:
    """Both sides of one in-process pair, logged in as alice and admin on each side."""

    def __init__(self, pair: InProcessPair, plan: Plan) -> None:
        self.pair = pair
        self.plan = plan
        self.state: dict[str, dict[str, JSON]] = {"legacy": {}, "extracted": {}}
        setup = Scenario("fuzz setup", (login(ALICE, "alice"), login(ADMIN, "admin")))
        result = run_scenario(setup, pair.legacy, pair.extracted, plan, state=self.state)
        if not result.passed:
            raise RuntimeError(f"fuzz setup failed:\n{result.summary()}")
        self.sent = 0

    def check(self, drawn: Step) -> StepResult:
        """Send one drawn step to both sides; the result says whether they matched."""
        self.sent += 1
        scenario = Scenario(f"fuzz {drawn.endpoint}", (drawn,))
        result = run_scenario(
            scenario, self.pair.legacy, self.pair.extracted, self.plan, state=self.state
        )
        if result.error:
            raise AssertionError(result.error)
        return result.steps[0]
