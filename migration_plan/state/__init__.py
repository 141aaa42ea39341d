"""Runtime state stores behind the router's `RuntimeState` protocol: file, Redis, memory."""

from __future__ import annotations

from collections.abc import Mapping

from migration_plan.state.file_store import FileStateStore
from migration_plan.state.redis_store import RedisStateStore
from migration_plan.state.settings import StateSettings
from router.runtime import InMemoryRuntimeState, RuntimeState, StateStoreUnavailable


def build_state(settings: StateSettings, *, one_shot: bool = False) -> RuntimeState:
    """The store the settings name (nothing is connected until first use). `one_shot`: for a
    read or two and `aclose()`, not a long-lived process (Redis: no change listener)."""
    if settings.STRANGLER_STATE == "redis":
        return RedisStateStore(
            settings.REDIS_URL, settings.STRANGLER_STATE_PREFIX, listen=not one_shot
        )
    if settings.STRANGLER_STATE == "memory":
        return InMemoryRuntimeState()
    return FileStateStore(settings.state_path)


def state_from_env(environ: Mapping[str, str]) -> RuntimeState:
    return build_state(StateSettings.from_env(environ))


__all__ = [
    "FileStateStore",
    "RedisStateStore",
    "StateSettings",
    "StateStoreUnavailable",
    "build_state",
    "state_from_env",
]
