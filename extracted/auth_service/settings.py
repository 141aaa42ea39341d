"""auth_service settings (environment variables; README's Configuration table documents each)."""

from __future__ import annotations

from pydantic import Field

from extracted.common.settings import ServiceSettings, sqlite_url


class AuthSettings(ServiceSettings):
    database_url: str = Field(
        default_factory=lambda: sqlite_url("auth.db"), validation_alias="AUTH_DATABASE_URL"
    )
    host: str = Field(default="127.0.0.1", validation_alias="AUTH_HOST")
    port: int = Field(default=8002, ge=1, le=65535, validation_alias="AUTH_PORT")
    # Empty disables introspection: only tokens this service issued (or synced) are known.
    legacy_url: str = Field(default="http://127.0.0.1:8001", validation_alias="LEGACY_URL")
    introspection_cache_seconds: int = Field(
        default=30, ge=0, validation_alias="INTROSPECTION_CACHE_SECONDS"
    )
    token_ttl_seconds: int = Field(default=86400, ge=1, validation_alias="TOKEN_TTL_SECONDS")
    password_hash_method: str = Field(default="scrypt", validation_alias="PASSWORD_HASH_METHOD")
