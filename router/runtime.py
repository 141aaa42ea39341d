"""Runtime route flips layered over the plan, and their history (who, when, why, before, after).

`RuntimeState` is the port; `InMemoryRuntimeState` serves one process. A file or Redis store can
implement the same protocol to share flips between workers and restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from router.routing import RouteOverride


@dataclass(frozen=True, slots=True)
class FlipRecord:
    """One change of a route flag at runtime."""

    at: str
    actor: str
    reason: str
    route: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    forced: bool = False  # a refused transition or gate let through with --force
    overridden: tuple[str, ...] = ()  # what was refused, when forced

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class StateStoreUnavailable(Exception):
    """The shared state store cannot be read or written; nothing was changed."""


def new_record(
    route: str,
    override: RouteOverride,
    *,
    actor: str,
    reason: str,
    before: Mapping[str, Any],
    forced: bool = False,
    overridden: Sequence[str] = (),
) -> FlipRecord:
    """The history entry of one flip, stamped now; every store builds its records here."""
    return FlipRecord(
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        actor=actor,
        reason=reason,
        route=route,
        before=dict(before),
        after={"mode": override.mode.value, "canary_percent": override.canary_percent},
        forced=forced,
        overridden=tuple(overridden),
    )


class RuntimeState(Protocol):
    """Where runtime overrides and their history live."""

    async def overrides(self) -> Mapping[str, RouteOverride]: ...

    async def flip(
        self,
        route: str,
        override: RouteOverride,
        *,
        actor: str,
        reason: str,
        before: Mapping[str, Any],
        forced: bool = False,
        overridden: Sequence[str] = (),
    ) -> FlipRecord: ...

    async def history(self) -> list[FlipRecord]: ...

    async def record(self, record: FlipRecord) -> None:
        """Append to history without touching overrides (a plan-file change of a route's mode)."""
        ...


class InMemoryRuntimeState:
    """Overrides for one process (flips do not survive a restart nor reach other workers)."""

    def __init__(self) -> None:
        self._overrides: dict[str, RouteOverride] = {}
        self._history: list[FlipRecord] = []
        self._lock = asyncio.Lock()

    async def overrides(self) -> Mapping[str, RouteOverride]:
        return dict(self._overrides)

    async def flip(
        self,
        route: str,
        override: RouteOverride,
        *,
        actor: str,
        reason: str,
        before: Mapping[str, Any],
        forced: bool = False,
        overridden: Sequence[str] = (),
    ) -> FlipRecord:
        async with self._lock:
            self._overrides[route] = override
            record = new_record(
                route,
                override,
                actor=actor,
                reason=reason,
                before=before,
                forced=forced,
                overridden=overridden,
            )
            self._history.append(record)
            return record

    async def history(self) -> list[FlipRecord]:
        return list(self._history)

    async def record(self, record: FlipRecord) -> None:
        async with self._lock:
            self._history.append(record)
