"""Settings every service shares; each service subclasses with its own fields and env names."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


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
