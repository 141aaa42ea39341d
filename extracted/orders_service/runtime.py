"""One place wires orders_service: database, store, upstream clients, saga, publisher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from extracted.common.database import Database
from extracted.common.events import EventPublisher
from extracted.common.upstream import UpstreamService
from extracted.orders_service.saga import OrderSaga
from extracted.orders_service.settings import OrdersSettings
from extracted.orders_service.store import OrderStore
from extracted.orders_service.upstreams import Auth, Products


@dataclass(frozen=True)
class Wired:
    client: httpx.AsyncClient
    auth: Auth
    products: Products
    saga: OrderSaga


class Runtime:
    """The app's dependencies; the HTTP side is bound once a client exists (given, or startup's)."""

    def __init__(
        self, settings: OrdersSettings, database: Database, publisher: EventPublisher
    ) -> None:
        self.settings = settings
        self.database = database
        self.publisher = publisher
        self.store = OrderStore(database.sessions)
        self._wired: Wired | None = None

    def bind(self, client: httpx.AsyncClient) -> Wired:
        settings = self.settings

        def upstream(name: str, url: str) -> UpstreamService:
            return UpstreamService(
                name,
                url,
                client,
                retries=settings.http_retries,
                attempt_timeout=settings.http_timeout_seconds,
            )

        products = Products(upstream("products", settings.products_service_url))
        saga = OrderSaga(
            self.store,
            products,
            self.publisher,
            stale_after=timedelta(seconds=settings.saga_stale_seconds),
        )
        auth = Auth(upstream("auth", settings.auth_service_url))
        self._wired = Wired(client, auth, products, saga)
        return self._wired

    @property
    def bound(self) -> bool:
        return self._wired is not None

    def unbind(self) -> None:
        self._wired = None

    def wired(self) -> Wired:
        if self._wired is None:
            raise RuntimeError(
                "orders_service has no HTTP client: pass create_app(client=...) or run its lifespan"
            )
        return self._wired
