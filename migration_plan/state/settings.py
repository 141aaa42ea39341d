"""Which runtime state store to use, from the environment (one BaseSettings class)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

STATE_FILE = "route_state.json"


class StateSettings(BaseSettings):
    """STRANGLER_STATE=file|redis|memory and where that store lives."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore")

    STRANGLER_STATE: Literal["file", "redis", "memory"] = "file"
    STRANGLER_STATE_PATH: Path | None = None
    STRANGLER_VAR_DIR: Path = Path("./var")
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    STRANGLER_STATE_PREFIX: str = "strangler:state:"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> StateSettings:
        known = {k: v for k, v in environ.items() if k in cls.model_fields}
        return cls.model_validate(known)

    @property
    def state_path(self) -> Path:
        return self.STRANGLER_STATE_PATH or self.STRANGLER_VAR_DIR / STATE_FILE

    @property
    def where(self) -> str:
        """Where the store lives, for messages."""
        if self.STRANGLER_STATE == "file":
            return str(self.state_path)
        if self.STRANGLER_STATE == "redis":
            return f"{self.REDIS_URL} (prefix {self.STRANGLER_STATE_PREFIX})"
        return "this process's memory"
