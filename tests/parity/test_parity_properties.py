"""Property tests: self-comparison, single mutations, and noise over many generated requests."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.http import http_date

from migration_plan.parity import (
    NoiseModel,
    ObservedResponse,
    ParityRules,
    compare_responses,
)
from migration_plan.parity.pointers import escape

pytestmark = pytest.mark.unit

NO_HEADERS = ParityRules(headers=())

keys = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S"]), max_size=6)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=30,
)


def respond(payload: object) -> ObservedResponse:
    return ObservedResponse.from_json(200, payload)


@given(json_values)
def test_any_json_value_compared_with_itself_matches(value: Any) -> None:
    assert compare_responses(respond(value), respond(value)).matched


@given(json_values)
def test_key_order_and_spacing_never_matter(value: Any) -> None:
    pretty = json.dumps(value, indent=2).encode()
    assert compare_responses(respond(value), ObservedResponse(200, {}, pretty), NO_HEADERS).matched


def all_pointers(value: Any, path: str = "") -> list[str]:
    found = [path]
    if type(value) is dict:
        for key, child in value.items():
            found += all_pointers(child, f"{path}/{escape(key)}")
    elif type(value) is list:
        for i, child in enumerate(value):
            found += all_pointers(child, f"{path}/{i}")
    return found


def parent_and_key(document: Any, pointer: str) -> tuple[Any, str | int]:
    segments = pointer.split("/")[1:]
    node = document
    for segment in segments[:-1]:
        node = node[int(segment)] if type(node) is list else node[unescape(segment)]
    last = segments[-1]
    return node, int(last) if type(node) is list else unescape(last)


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def different_value(value: Any) -> Any:
    """A value no rule-free comparison could consider equal to ``value``."""
    return value + "~changed" if type(value) is str else "~changed"


@given(json_values, st.data())
def test_a_single_replaced_value_is_reported_at_exactly_its_pointer(value: Any, data: Any) -> None:
    pointer = data.draw(st.sampled_from(all_pointers(value)), label="pointer")
    if pointer == "":
        mutated = different_value(value)
    else:
        mutated = json.loads(json.dumps(value))
        parent, key = parent_and_key(mutated, pointer)
        parent[key] = different_value(parent[key])
    comparison = compare_responses(respond(value), respond(mutated), NO_HEADERS)
    assert [d.path for d in comparison.differences] == [pointer]
    assert comparison.differences[0].kind in ("value", "type")


@given(json_values.filter(lambda v: type(v) is dict and bool(v)), st.data())
def test_a_single_removed_field_is_reported_missing_at_exactly_its_pointer(
    value: Any, data: Any
) -> None:
    fields = [p for p in all_pointers(value) if p and type(parent_and_key(value, p)[0]) is dict]
    pointer = data.draw(st.sampled_from(fields), label="pointer")
    mutated = json.loads(json.dumps(value))
    parent, key = parent_and_key(mutated, pointer)
    del parent[key]
    comparison = compare_responses(respond(value), respond(mutated), NO_HEADERS)
    assert [(d.path, d.kind) for d in comparison.differences] == [(pointer, "missing")]
    # and the other way round, the same field is an extra one
    comparison = compare_responses(respond(mutated), respond(value), NO_HEADERS)
    assert [(d.path, d.kind) for d in comparison.differences] == [(pointer, "extra")]


# --- identical implementations with random ids and timestamps

EPOCH = datetime(2026, 11, 27, 4, 34, 17, tzinfo=UTC)


def product(rng: random.Random, name: str, price: str, stock: int) -> dict[str, object]:
    created = EPOCH + timedelta(seconds=rng.randrange(10**6))
    return {
        "category": "books",
        "created_at": http_date(created),
        "description": "",
        "id": rng.randrange(1, 2**31),
        "name": name,
        "price": price,
        "sku": f"SKU-{name}",
        "stock": stock,
        "updated_at": http_date(created + timedelta(seconds=rng.randrange(100))),
    }


def implementation(request: tuple[str, int, str, int], rng: random.Random) -> ObservedResponse:
    """One deterministic app whose only nondeterminism is ids and timestamps."""
    name, count, price, stock = request
    if count == 0:
        return ObservedResponse.from_json(201, product(rng, name, price, stock))
    items = [product(rng, f"{name}{i}", price, stock + i) for i in range(count)]
    return ObservedResponse.from_json(
        200, {"items": items, "page": 1, "per_page": 20, "total": count}
    )


requests = st.tuples(
    st.text(min_size=1, max_size=8),
    st.integers(0, 20),
    st.from_regex(r"\A\d{1,4}\.\d\d\Z"),
    st.integers(0, 1000),
)


@cache
def trained_noise_model() -> NoiseModel:
    """Learned the Diffy way: the same requests sent twice to the legacy side."""
    model = NoiseModel()
    rng = random.Random(1)
    for request in [("warm", 0, "1.00", 1), ("warm", 3, "1.00", 1)]:
        model.observe(implementation(request, rng), implementation(request, rng))
    return model


IGNORE_RANDOM_FIELDS = ParityRules(ignore=("/**/id", "/**/created_at", "/**/updated_at"))

MANY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@MANY
@given(requests, st.randoms(use_true_random=False))
def test_identical_implementations_never_mismatch_once_noise_is_learned(
    request: tuple[str, int, str, int], rng: random.Random
) -> None:
    model = trained_noise_model()
    assert not model.too_noisy
    legacy, extracted = implementation(request, rng), implementation(request, rng)
    comparison = compare_responses(legacy, extracted, noise=model)
    assert comparison.matched, comparison.summary()
    assert compare_responses(legacy, extracted, IGNORE_RANDOM_FIELDS).matched


@settings(max_examples=200, deadline=None)
@given(requests, st.randoms(use_true_random=False))
def test_learned_noise_never_hides_a_changed_price(
    request: tuple[str, int, str, int], rng: random.Random
) -> None:
    name, count, price, stock = request
    legacy = implementation(request, rng)
    extracted = implementation((name, count, price + "0", stock), rng)
    comparison = compare_responses(legacy, extracted, noise=trained_noise_model())
    assert comparison.differences
    assert all(d.path.endswith("/price") and d.kind == "value" for d in comparison.differences)
