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
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kind: Literal["embedded", "redis"] = Field(default="embedded", alias="EVENT_BUS")
    path: Path | None = Field(default=None, alias="EVENT_BUS_PATH")
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", alias="REDIS_URL")
    stream_prefix: str = Field(default=DEFAULT_PREFIX, alias="EVENT_BUS_STREAM_PREFIX")
    visibility_timeout_ms: int = Field(
        default=30_000, gt=0, alias="EVENT_BUS_VISIBILITY_TIMEOUT_MS"
    )
    max_deliveries: int = Field(default=5, gt=0, alias="EVENT_BUS_MAX_DELIVERIES")

    def embedded_path(self) -> Path:
        # Resolved late: var_dir() creates the directory, which importing must not do.
        return self.path if self.path is not None else var_dir() / "bus.db"


def bus_from_settings(settings: BusSettings | None = None) -> EventBus:
    """The bus `EVENT_BUS` names; nothing connects until first use."""
    settings = settings or BusSettings()
    if settings.kind == "redis":
        return RedisBus(
            settings.redis_url,
            visibility_timeout_ms=settings.visibility_timeout_ms,
            max_deliveries=settings.max_deliveries,
            prefix=settings.stream_prefix,
        )
    return EmbeddedBus(
        settings.embedded_path(),
        visibility_timeout_ms=settings.visibility_timeout_ms,
        max_deliveries=settings.max_deliveries,
    )
