"""products_service settings (environment variables; documented in the README's table)."""

from __future__ import annotations

from pydantic import Field

from extracted.common.settings import ServiceSettings, sqlite_url


class ProductsSettings(ServiceSettings):
    database_url: str = Field(
        default_factory=lambda: sqlite_url("products.db"), validation_alias="PRODUCTS_DATABASE_URL"
    )
    host: str = Field(default="127.0.0.1", validation_alias="PRODUCTS_HOST")
    port: int = Field(default=8003, ge=1, le=65535, validation_alias="PRODUCTS_PORT")
    auth_service_url: str = Field(
        default="http://127.0.0.1:8002", validation_alias="AUTH_SERVICE_URL"
    )
    reservation_ttl_seconds: int = Field(
        default=300, ge=1, validation_alias="RESERVATION_TTL_SECONDS"
    )
