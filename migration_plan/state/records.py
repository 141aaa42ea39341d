"""Flip records and overrides as JSON-ready dicts, and back (pure; shared by every store)."""

from __future__ import annotations

from typing import Any

from migration_plan.plan import Mode
from router.routing import RouteOverride
from router.runtime import FlipRecord, StateStoreUnavailable


def override_to_dict(override: RouteOverride) -> dict[str, Any]:
    return {"mode": override.mode.value, "canary_percent": override.canary_percent}


def override_from_dict(data: Any, where: str) -> RouteOverride:
    try:
        percent = data.get("canary_percent")
        return RouteOverride(Mode(data["mode"]), None if percent is None else float(percent))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise StateStoreUnavailable(f"{where}: unreadable override {data!r}") from exc


def record_to_dict(record: FlipRecord) -> dict[str, Any]:
    data = record.as_dict()
    data["overridden"] = list(record.overridden)
    return data


def record_from_dict(data: Any) -> FlipRecord | None:
    """A stored record, or None when it cannot be read (history is shown, never rewritten)."""
    if not isinstance(data, dict):
        return None
    try:
        return FlipRecord(
            at=str(data["at"]),
            actor=str(data["actor"]),
            reason=str(data["reason"]),
            route=str(data["route"]),
            before=dict(data["before"]),
            after=dict(data["after"]),
            forced=bool(data.get("forced", False)),
            overridden=tuple(str(p) for p in data.get("overridden", ())),
        )
    except (KeyError, TypeError, ValueError):
        return None
