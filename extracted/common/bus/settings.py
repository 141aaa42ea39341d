"""Which bus a process uses, read from the environment, and the one factory that builds it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from extracted.common.bus.embedded import EmbeddedBus
from extracted.common.bus.port import EventBus
from extracted.common.bus.redis_streams import DEFAULT_PREFIX, RedisBus
from extracted.common.settings import var_dir


class BusSettings(BaseSettings):
    # Field names are the variable names: an alias plus populate_by_name would also read a
    # variable named like the field (`path` would read $PATH).
    model_config = SettingsConfigDict(extra="ignore")

    event_bus: Literal["embedded", "redis"] = "embedded"
    event_bus_path: Path | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    event_bus_stream_prefix: str = DEFAULT_PREFIX
    event_bus_visibility_timeout_ms: int = Field(default=30_000, gt=0)
    event_bus_max_deliveries: int = Field(default=5, gt=0)

    def embedded_path(self) -> Path:
        # Resolved late: var_dir() creates the directory, which importing must not do.
        return self.event_bus_path if self.event_bus_path is not None else var_dir() / "bus.db"


def bus_from_settings(settings: BusSettings | None = None) -> EventBus:
    """The bus `EVENT_BUS` names; nothing connects until first use."""
    settings = settings or BusSettings()
    if settings.event_bus == "redis":
        return RedisBus(
            settings.redis_url,
            visibility_timeout_ms=settings.event_bus_visibility_timeout_ms,
            max_deliveries=settings.event_bus_max_deliveries,
            prefix=settings.event_bus_stream_prefix,
        )
    return EmbeddedBus(
        settings.embedded_path(),
        visibility_timeout_ms=settings.event_bus_visibility_timeout_ms,
        max_deliveries=settings.event_bus_max_deliveries,
    )
