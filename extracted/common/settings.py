"""Settings every service shares; each service subclasses with its own fields and env names."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


def var_dir() -> Path:
    """Where SQLite files and local state live: `STRANGLER_VAR_DIR` (default ./var)."""
    path = Path(os.environ.get("STRANGLER_VAR_DIR", "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def sqlite_url(name: str) -> str:
    return f"sqlite:///{var_dir() / name}"


class ServiceSettings(BaseSettings):
    """Fields common to all services. Env names are given per field in subclasses."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    http_timeout_seconds: float = 5.0
    http_retries: int = 2
    max_body_bytes: int = 1024 * 1024

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, AliasOnlyEnv(settings_cls), dotenv_settings, file_secret_settings)


class AliasOnlyEnv(EnvSettingsSource):
    """The environment, read by each field's env name only.

    `populate_by_name` lets code and tests say `database_url=...`; without this, it would also
    make the environment's `DATABASE_URL` (the monolith's) or `PORT` fill `database_url` / `port`
    of every service.
    """

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.config = {**self.config, "populate_by_name": False, "validate_by_name": False}
