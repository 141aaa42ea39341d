"""The monolith's settings, read from the environment once per app (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MonolithSettings(BaseSettings):
    """Every knob of the monolith; the README's Configuration table documents each one."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore")

    STRANGLER_VAR_DIR: Path = Path("./var")
    # None means "SQLite in STRANGLER_VAR_DIR"; see `database_url`.
    DATABASE_URL: str | None = None
    TOKEN_TTL_SECONDS: int = Field(default=86400, ge=1)
    PASSWORD_HASH_METHOD: str = "scrypt"
    MONOLITH_HOST: str = "127.0.0.1"
    MONOLITH_PORT: int = Field(default=8001, ge=1, le=65535)
    SECRET_KEY: str = "dev-not-secret"
    MAX_CONTENT_LENGTH: int = Field(default=1024 * 1024, ge=1)
    # Comma-separated IPs/CIDRs whose X-Forwarded-* are believed: the router, on this machine.
    MONOLITH_TRUSTED_PROXIES: str = "127.0.0.1,::1"

    @property
    def trusted_proxies(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.MONOLITH_TRUSTED_PROXIES.split(",") if p.strip())

    @property
    def database_url(self) -> str:
        if self.DATABASE_URL:
            return self.DATABASE_URL
        return f"sqlite:///{self.STRANGLER_VAR_DIR / 'monolith.db'}"

    @property
    def base_url(self) -> str:
        return f"http://{self.MONOLITH_HOST}:{self.MONOLITH_PORT}"
