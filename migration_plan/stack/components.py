"""What each component of the local stack is: argv, environment, port, readiness URL (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """One process of the stack, fully described before anything starts."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    port: int
    port_variable: str
    ready_path: str
    module: str  # the importable module that serves it, checked before starting

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ready_url(self) -> str:
        return self.url + self.ready_path


@dataclass(frozen=True, slots=True)
class Service:
    """An extracted FastAPI service: where its app lives and the variables it reads."""

    name: str
    package: str
    port_variable: str
    database_variable: str
    url_variable: str  # how the other components find it
    offset: int

    @property
    def app(self) -> str:
        return f"{self.package}.app:create_app"

    @property
    def migrations(self) -> str:
        """The module whose `upgrade(database_url)` runs the service's Alembic migrations."""
        return f"{self.package}.migrate"


SERVICES: tuple[Service, ...] = (
    Service(
        "auth", "extracted.auth_service", "AUTH_PORT", "AUTH_DATABASE_URL", "AUTH_SERVICE_URL", 2
    ),
    Service(
        "products",
        "extracted.products_service",
        "PRODUCTS_PORT",
        "PRODUCTS_DATABASE_URL",
        "PRODUCTS_SERVICE_URL",
        3,
    ),
    Service(
        "orders",
        "extracted.orders_service",
        "ORDERS_PORT",
        "ORDERS_DATABASE_URL",
        "ORDERS_SERVICE_URL",
        4,
    ),
)


@dataclass(frozen=True, slots=True)
class EventProcess:
    """A relay or consumer process (`strangler events ...`), ready once its /metrics answers."""

    name: str
    args: tuple[str, ...]  # after `strangler events`
    port_variable: str  # its Prometheus port
    offset: int


EVENT_PROCESSES: tuple[EventProcess, ...] = (
    EventProcess("relay", ("relay", "all"), "RELAY_METRICS_PORT", 5),
    EventProcess("sync", ("consume", "sync"), "SYNC_METRICS_PORT", 6),
    EventProcess("inventory", ("consume", "inventory"), "INVENTORY_METRICS_PORT", 7),
    EventProcess("notifications", ("consume", "notifications"), "NOTIFICATIONS_METRICS_PORT", 8),
    EventProcess("analytics", ("consume", "analytics"), "ANALYTICS_METRICS_PORT", 9),
)
EVENTS_READY_PATH = "/metrics"
EVENTS_MODULE = "migration_plan.commands.events"

MONOLITH = "monolith"
ROUTER = "router"
MONOLITH_OFFSET = 1
MONOLITH_URL_VARIABLE = "LEGACY_URL"  # how the services find the monolith (token introspection)
# The monolith has no /readyz; a public read that touches its database says the same thing.
MONOLITH_READY_PATH = "/api/products?per_page=1"
SERVICE_READY_PATH = "/readyz"
ROUTER_READY_PATH = "/_strangler/readyz"
ADMIN_PATH = "/_strangler/"


@dataclass(frozen=True, slots=True)
class Step:
    """One command run to completion before anything serves; safe to repeat."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]


Stage = tuple[Step, ...]  # the steps of a stage touch different databases and run side by side


@dataclass(frozen=True, slots=True)
class PrepareStage:
    """A stage of a stack file's `prepare`; `when` names the `up` option that skips it."""

    steps: Stage
    when: str | None = None


def sqlite_url(var_dir: Path, filename: str) -> str:
    return f"sqlite:///{var_dir / filename}"


@dataclass(frozen=True, slots=True)
class Databases:
    """One database URL per component: the environment's when set, else SQLite in the var dir."""

    monolith: str
    services: Mapping[str, str]  # service name -> URL

    @classmethod
    def resolve(cls, environ: Mapping[str, str], var_dir: Path) -> Databases:
        return cls(
            monolith=environ.get("DATABASE_URL") or sqlite_url(var_dir, "monolith.db"),
            services={
                s.name: environ.get(s.database_variable) or sqlite_url(var_dir, f"{s.name}.db")
                for s in SERVICES
            },
        )

    def env(self) -> dict[str, str]:
        """Every database variable, as the components' settings read them."""
        out = {"DATABASE_URL": self.monolith}
        out.update({s.database_variable: self.services[s.name] for s in SERVICES})
        return out
