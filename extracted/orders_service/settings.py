"""orders_service settings: its database, where it listens, and the two services it calls."""

from __future__ import annotations

from pydantic import Field

from extracted.common.settings import ServiceSettings, sqlite_url


class OrdersSettings(ServiceSettings):
    database_url: str = Field(
        default_factory=lambda: sqlite_url("orders.db"), alias="ORDERS_DATABASE_URL"
    )
    host: str = Field(default="127.0.0.1", alias="ORDERS_HOST")
    port: int = Field(default=8004, ge=1, le=65535, alias="ORDERS_PORT")
    auth_service_url: str = Field(default="http://127.0.0.1:8002", alias="AUTH_SERVICE_URL")
    products_service_url: str = Field(default="http://127.0.0.1:8003", alias="PRODUCTS_SERVICE_URL")
    # How often the lifespan task retries releases that failed, and resolves sagas left halfway
    # by a crash; a saga is only "left" once it is older than `saga_stale_seconds`, which must
    # exceed the longest a request can take (timeouts x attempts) and stay under products'
    # RESERVATION_TTL_SECONDS (300).
    compensation_interval_seconds: float = Field(
        default=30.0, gt=0, alias="ORDERS_COMPENSATION_INTERVAL_SECONDS"
    )
    saga_stale_seconds: float = Field(default=120.0, gt=0, alias="ORDERS_SAGA_STALE_SECONDS")
