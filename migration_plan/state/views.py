"""Route views as the CLI shows them (pure): finding an endpoint, one status row."""

from __future__ import annotations

import difflib
from typing import Any

from migration_plan.plan import Mode, parse_route
from migration_plan.plan.transitions import exposure
from migration_plan.state.control import ControlError


def resolve_route(routes: list[dict[str, Any]], wanted: str) -> dict[str, Any]:
    """The route view for `wanted` (parameter names may differ); unknown: suggest (difflib)."""
    names = [str(r["route"]) for r in routes]
    try:
        key = parse_route(wanted).key
    except ValueError:
        key = None
    for view in routes:
        if key is not None and parse_route(str(view["route"])).key == key:
            return view
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ControlError(
        f"unknown endpoint {wanted!r}{hint} (`strangler status` lists them; "
        'quote it: "GET /api/products/{id}")'
    )


# Mirrors that never became a comparison, by reason (router/stats.py ShadowStats).
SKIPPED = ("sampled_out", "not_shadowable", "too_large", "dropped", "failed", "credentials")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:g}%"


def _side(stats: dict[str, Any] | None, side: str) -> tuple[int, float]:
    if not stats:
        return 0, 0.0
    data = stats["sides"][side]
    requests = int(data["requests"])
    return requests, (data["errors"] / requests if requests else 0.0)


def status_row(view: dict[str, Any]) -> dict[str, Any]:
    """One endpoint's status as data (shared by the table and --json)."""
    mode = Mode(view["mode"])
    stats = view.get("stats")
    legacy_requests, legacy_errors = _side(stats, "legacy")
    extracted_requests, extracted_errors = _side(stats, "extracted")
    shadow = stats["shadow"] if stats else None
    compared = int(shadow["compared"]) if shadow else None
    mismatched = int(shadow["mismatched"]) if shadow else None
    return {
        "route": view["route"],
        "phase": view["phase"],
        "service": view["service"],
        "mode": mode.value,
        "canary_percent": view["canary_percent"] if mode is Mode.CANARY else None,
        "percent_extracted": exposure(mode, view["canary_percent"]),
        "overridden": view["overridden"],
        "requests": {"legacy": legacy_requests, "extracted": extracted_requests},
        "error_rate": {"legacy": legacy_errors, "extracted": extracted_errors},
        "shadow": None
        if shadow is None
        else {
            "comparisons": compared,
            "mismatches": mismatched,
            "mismatch_rate": (mismatched or 0) / compared if compared else 0.0,
            # Agreed under a plan rule (counted as comparisons): which rules, `diffs --summary`.
            "explained": int(shadow.get("explained", 0)),
            # Neither a match nor a mismatch, so never in the rate, and shown beside it.
            "in_flight": int(shadow.get("in_flight", 0)),
            "skipped": {k: int(shadow.get(k, 0)) for k in SKIPPED if shadow.get(k)},
        },
        "canary_keys": canary_keys(str(view.get("sticky_key", "token")), stats),
        "gate": view.get("gate"),
    }


CLIENT_IP = "client_ip"  # router/canary.py: the key a request without the sticky key falls to


def canary_keys(spec: str, stats: dict[str, Any] | None) -> dict[str, Any] | None:
    """Which key the route's canary decisions REALLY used: the configured one, or the client
    address because the request did not carry it. None before any canary decision."""
    counts = {str(k): int(v) for k, v in ((stats or {}).get("canary_keys") or {}).items()}
    decisions = sum(counts.values())
    if not decisions:
        return None
    keyed = counts.get(spec, 0)
    return {
        "key": spec,
        "decisions": decisions,
        "keyed": keyed,
        # By choice (`sticky_key: client_ip`) or because the request lacked the key.
        "client_address": counts.get(CLIENT_IP, 0) if spec != CLIENT_IP else 0,
        "other": decisions - keyed - (counts.get(CLIENT_IP, 0) if spec != CLIENT_IP else 0),
    }


def canary_keys_text(keys: dict[str, Any]) -> str:
    """`token: 0 of 120 decisions, client address: 120` (a key of its own: just the count)."""
    text = f"{keys['key']}: {keys['keyed']} of {keys['decisions']} decisions"
    if keys["key"] != CLIENT_IP:
        text += f", client address: {keys['client_address']}"
    if keys["other"]:
        text += f", an earlier key: {keys['other']}"
    return text


def mode_text(state: dict[str, Any]) -> str:
    mode = str(state.get("mode"))
    if mode == Mode.CANARY.value:
        return f"canary {_percent(state.get('canary_percent'))}"
    return mode
