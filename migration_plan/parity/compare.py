"""compare_responses: status, allow-listed headers and body of two answers, rules, noise."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from .body_diff import diff_bytes
from .difference import STATUS, Comparison, Difference, Explained
from .headers import compare_headers
from .json_diff import diff_json
from .response import ObservedResponse
from .rules import ParityRules

if TYPE_CHECKING:
    from .noise import NoiseModel

DEFAULT_RULES = ParityRules()

NOT_JSON = object()  # what parse_json returns for a body that is not JSON


def parse_json(response: ObservedResponse) -> object:
    """The parsed body, or NOT_JSON. Parsing decides, whatever Content-Type claims."""
    body = response.body
    if not body:
        return NOT_JSON
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return NOT_JSON


def raw_differences(
    legacy: ObservedResponse,
    extracted: ObservedResponse,
    rules: ParityRules = DEFAULT_RULES,
    explained: list[Explained] | None = None,
) -> list[Difference]:
    """Every difference the rules do not remove, before any noise is taken out; what the rules
    explained goes to ``explained`` when given."""
    found: list[Difference] = []
    if legacy.status != extracted.status:
        found.append(Difference("status", STATUS, legacy.status, extracted.status))
    found += compare_headers(legacy.headers, extracted.headers, rules.headers)
    if legacy.body == extracted.body:
        return found  # identical bytes: nothing any rule could add
    a, b = parse_json(legacy), parse_json(extracted)
    if a is not NOT_JSON and b is not NOT_JSON:
        try:
            return found + diff_json(a, b, rules, explained)
        except RecursionError:
            pass  # absurdly deep documents: a bytes diff still says where they part ways
    return found + diff_bytes(legacy.body, extracted.body)


def compare_responses(
    legacy: ObservedResponse,
    extracted: ObservedResponse,
    rules: ParityRules = DEFAULT_RULES,
    noise: NoiseModel | None = None,
) -> Comparison:
    """Compare two answers to the same request. Pure: no I/O, no mutation of its arguments.
    Differences at a plan-sensitive pointer come marked, so no caller can print them raw."""
    explained: list[Explained] = []
    found = _marked(raw_differences(legacy, extracted, rules, explained), rules)
    if noise is None or not found or noise.too_noisy:
        # A model that calls too much noise cancels nothing: it must never hide a real change.
        return Comparison(differences=tuple(found), explained=tuple(explained))
    real: list[Difference] = []
    cancelled: list[Difference] = []
    for difference in found:
        (cancelled if noise.is_noise(difference.path) else real).append(difference)
    explained += [Explained(d.path, "noise") for d in cancelled]
    return Comparison(differences=tuple(real), noise=tuple(cancelled), explained=tuple(explained))


def marked_sensitive(comparison: Comparison, rules: ParityRules) -> Comparison:
    """`comparison` with every difference at a plan-sensitive pointer marked so, so it prints
    as marks (redact.py); what was compared is unchanged. `compare_responses` already does it."""
    return replace(comparison, differences=tuple(_marked(list(comparison.differences), rules)))


def _marked(found: list[Difference], rules: ParityRules) -> list[Difference]:
    if not rules.sensitive:
        return found
    return [
        replace(d, sensitive=True) if d.path.startswith("/") and rules.is_sensitive(d.path) else d
        for d in found
    ]
