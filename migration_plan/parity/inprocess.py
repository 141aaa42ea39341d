"""Both sides in-process on one fresh seeded copy: the monolith and the three services wired.

The monolith is seeded (``legacy_monolith.seed``) once into a template directory and each
service's database is backfilled from it (``migration_plan.data.backfill``), as
``tests/extracted/integration`` does; every :class:`InProcessPair` then runs on its own copy of
those files, so scenarios never see each other's writes.

The legacy side is the monolith through ``httpx.WSGITransport``. The extracted side sends each
request through ``httpx.ASGITransport`` to the service the plan names for the endpoint; the
services reach each other (and auth_service reaches the monolith for token introspection) over
an in-process :class:`ServiceNetwork`.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from migration_plan.plan import Endpoint

from .response import ObservedResponse
from .scenario import SideRequest
from .sides import ClientSide, build, observed

FAST_HASH = "pbkdf2:sha256:1000"  # the seed's passwords are public; hashing need not be slow
DATABASES = ("monolith", "auth", "products", "orders")
HOSTS = {
    "legacy": "monolith.parity",
    "auth": "auth.parity",
    "products": "products.parity",
    "orders": "orders.parity",
}


def url_of(host: str) -> str:
    return f"http://{host}"


class SeededData:
    """A template directory: the seeded monolith and the services backfilled from it."""

    def __init__(self, directory: Path | None = None) -> None:
        from legacy_monolith.migrate import upgrade
        from legacy_monolith.seed import seed
        from migration_plan.data.backfill import backfill

        self._owned = directory is None
        self.directory = (
            Path(tempfile.mkdtemp(prefix="parity-seed-")) if directory is None else directory
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        monolith = self.url("monolith")
        upgrade(monolith)
        seed(monolith, password_hash_method=FAST_HASH)
        for service in ("auth", "products", "orders"):
            backfill(service, monolith, self.url(service))

    def url(self, name: str, directory: Path | None = None) -> str:
        return f"sqlite:///{(directory or self.directory) / name}.db"

    def copy(self) -> Path:
        """A fresh directory holding a copy of every database."""
        target = Path(tempfile.mkdtemp(prefix="parity-run-"))
        for name in DATABASES:
            shutil.copyfile(self.directory / f"{name}.db", target / f"{name}.db")
        return target

    def close(self) -> None:
        if self._owned:
            shutil.rmtree(self.directory, ignore_errors=True)


class SyncTransport(httpx.AsyncBaseTransport):
    """An async face on a sync transport, so async services can call the WSGI monolith."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        sync = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        response = self._inner.handle_request(sync)
        content = response.read()
        return httpx.Response(response.status_code, headers=response.headers, content=content)


@dataclass
class ServiceNetwork(httpx.AsyncBaseTransport):
    """Hosts mapped to in-process transports; an unknown host is a refused connection."""

    hosts: dict[str, httpx.AsyncBaseTransport] = field(default_factory=dict)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.hosts.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no host {request.url.host}", request=request)
        return await transport.handle_async_request(request)


class ExtractedSide:
    """The three services in-process; each request goes to the plan's service for its endpoint.

    Its API is synchronous (one private event loop), so hypothesis, the CLI and plain pytest
    tests drive it the same way.
    """

    name = "extracted"

    def __init__(self, network: ServiceNetwork, apps: dict[str, Any], cleanup: list[Any]) -> None:
        self.network = network
        self.apps = apps
        self._cleanup = cleanup
        self._runner = asyncio.Runner()
        self._client = self._runner.run(self._open())

    async def _open(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.network, timeout=30)

    def wrap(self, service: str, middleware: Callable[[Any], Any]) -> None:
        """Put ASGI middleware in front of one service (tests inject deviations this way)."""
        self.network.hosts[HOSTS[service]] = httpx.ASGITransport(app=middleware(self.apps[service]))

    def send(self, request: SideRequest, endpoint: Endpoint) -> ObservedResponse:
        host = HOSTS.get(endpoint.service)
        if host is None:
            raise LookupError(
                f"{endpoint.route}: service {endpoint.service!r} is not one of "
                f"{', '.join(sorted(HOSTS))}; in-process parity cannot reach it"
            )
        return self._runner.run(self._send(request, url_of(host)))

    async def _send(self, request: SideRequest, base: str) -> ObservedResponse:
        response = await self._client.send(build(self._client, request, base))
        return observed(response)

    def close(self) -> None:
        for closer in self._cleanup:
            result = closer()
            if asyncio.iscoroutine(result):
                self._runner.run(result)
        self._runner.run(self._client.aclose())
        self._runner.close()


@dataclass
class InProcessPair:
    """Legacy and extracted sides on one fresh copy of the seeded data."""

    legacy: ClientSide
    extracted: ExtractedSide
    directory: Path
    monolith: Any  # the Flask app, for tests that look inside

    @classmethod
    def start(cls, seeded: SeededData) -> InProcessPair:
        from extracted.auth_service.app import create_app as create_auth
        from extracted.auth_service.settings import AuthSettings
        from extracted.common.events import InMemoryPublisher
        from extracted.orders_service.app import create_app as create_orders
        from extracted.orders_service.settings import OrdersSettings
        from extracted.products_service.app import create_app as create_products
        from extracted.products_service.settings import ProductsSettings
        from legacy_monolith import create_app as create_monolith

        directory = seeded.copy()
        url = {name: seeded.url(name, directory) for name in DATABASES}
        monolith = create_monolith(
            {"DATABASE_URL": url["monolith"], "PASSWORD_HASH_METHOD": FAST_HASH}
        )
        wsgi = httpx.WSGITransport(app=monolith)
        legacy = ClientSide(
            "legacy", httpx.Client(transport=wsgi, base_url=url_of(HOSTS["legacy"]))
        )
        network = ServiceNetwork({HOSTS["legacy"]: SyncTransport(wsgi)})
        shared = httpx.AsyncClient(transport=network, timeout=10)
        apps = {
            "auth": create_auth(
                AuthSettings(
                    database_url=url["auth"],
                    legacy_url=url_of(HOSTS["legacy"]),
                    password_hash_method=FAST_HASH,
                ),
                client=shared,
                publisher=InMemoryPublisher(),
            ),
            "products": create_products(
                ProductsSettings(
                    database_url=url["products"], auth_service_url=url_of(HOSTS["auth"])
                ),
                client=shared,
                publisher=InMemoryPublisher(),
            ),
            "orders": create_orders(
                OrdersSettings(
                    database_url=url["orders"],
                    auth_service_url=url_of(HOSTS["auth"]),
                    products_service_url=url_of(HOSTS["products"]),
                    http_timeout_seconds=5.0,
                    http_retries=1,
                ),
                client=shared,
                publisher=InMemoryPublisher(),
            ),
        }
        for service, app in apps.items():
            network.hosts[HOSTS[service]] = httpx.ASGITransport(app=app)
        cleanup: list[Any] = [shared.aclose]
        cleanup += [app.state.runtime.database.dispose for app in apps.values()]
        return cls(legacy, ExtractedSide(network, apps, cleanup), directory, monolith)

    def close(self) -> None:
        from legacy_monolith.db import engine_of

        self.legacy.close()
        self.extracted.close()
        engine_of(self.monolith).dispose()
        shutil.rmtree(self.directory, ignore_errors=True)
