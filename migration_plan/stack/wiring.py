"""Build the whole stack's specs from the environment: ports, URLs and each process's variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from migration_plan.plan import Plan, env_var_for
from migration_plan.stack.components import (
    ADMIN_PATH,
    EVENT_PROCESSES,
    EVENTS_MODULE,
    EVENTS_READY_PATH,
    HOST,
    MONOLITH,
    MONOLITH_READY_PATH,
    MONOLITH_URL_VARIABLE,
    ROUTER,
    ROUTER_READY_PATH,
    SERVICE_READY_PATH,
    SERVICES,
    ComponentSpec,
    Databases,
    PrepareStage,
)
from migration_plan.stack.ports import PortAssignment, StackConfigError

MONOLITH_WORKERS = 2
GUNICORN_GRACEFUL_SECONDS = 5
GUNICORN_CONFIG = "python:legacy_monolith.gunicorn_conf"  # worker class, keep-alive
TRY_PATH = "/api/products/1"
SHADOW_IN_FLIGHT_MS = 2000  # well above the sync's p99 lag (bench/sync_bench.py)


@dataclass(frozen=True, slots=True)
class Stack:
    """Every component in start order (monolith, services, event processes, router), and the
    admin token."""

    components: tuple[ComponentSpec, ...]
    var_dir: Path
    admin_token: str
    databases: Databases | None = None  # the code-built stack's (a stack file has `prepare`)
    front: str = ROUTER
    admin_path: str | None = ADMIN_PATH
    try_path: str | None = TRY_PATH
    vital: frozenset[str] = frozenset({ROUTER})
    prepare: tuple[PrepareStage, ...] = ()
    modules: tuple[str, ...] = ()  # checked before anything starts, besides the components'

    def component(self, name: str) -> ComponentSpec:
        return next(c for c in self.components if c.name == name)

    @property
    def router(self) -> ComponentSpec:
        """The front component (the router in the worked example)."""
        return self.component(self.front)

    @property
    def admin_url(self) -> str | None:
        return None if self.admin_path is None else self.router.url + self.admin_path

    @property
    def display_order(self) -> tuple[ComponentSpec, ...]:
        """The front first: it is the stack's front door."""
        return (self.router, *(c for c in self.components if c.name != self.front))


def _url(ports: Mapping[str, PortAssignment], name: str) -> str:
    return f"http://{HOST}:{ports[name].port}"


def upstream_components(plan: Plan) -> dict[str, str]:
    """Plan upstream name -> component: the plan's legacy upstream is the monolith; a service
    upstream is named after its service (`products`, `products_service`, `products-svc`, ...)."""
    names = {s.name for s in SERVICES}
    mapping: dict[str, str] = {}
    for upstream in plan.upstreams:
        if upstream == plan.legacy:
            mapping[upstream] = MONOLITH
            continue
        stem = re.split(r"[^a-z0-9]", upstream.lower(), maxsplit=1)[0]
        if stem in names:
            mapping[upstream] = stem
        else:
            known = ", ".join(sorted(names))
            raise StackConfigError(
                f"the plan's upstream {upstream!r} is none of the stack's services ({known}); "
                "the router would not know where it runs"
            )
    return mapping


def router_upstream_env(
    upstreams: Mapping[str, str],
    ports: Mapping[str, PortAssignment],
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """`UPSTREAM_<NAME>_URL` for each plan upstream, pointing at the port its component got,
    unless the caller set that variable: the README says the router reads it, so it wins."""
    given = environ or {}
    return {
        env_var_for(name): given.get(env_var_for(name)) or _url(ports, component)
        for name, component in upstreams.items()
    }


def overridden_upstreams(upstreams: Mapping[str, str], environ: Mapping[str, str]) -> list[str]:
    """The `UPSTREAM_<NAME>_URL` variables the caller set (for `up` to say so)."""
    return [env_var_for(n) for n in upstreams if environ.get(env_var_for(n))]


def build_stack(
    environ: Mapping[str, str],
    *,
    ports: Mapping[str, PortAssignment],
    upstreams: Mapping[str, str],
    var_dir: Path,
    python: str,
    strangler: tuple[str, ...],
    plan_path: Path,
    admin_token: str,
) -> Stack:
    """Pure: the same inputs always give the same specs (nothing is started or opened)."""
    databases = Databases.resolve(environ, var_dir)
    common = {"STRANGLER_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
    urls = {MONOLITH_URL_VARIABLE: _url(ports, MONOLITH)}
    urls.update({s.url_variable: _url(ports, s.name) for s in SERVICES})

    monolith_port = ports[MONOLITH].port
    monolith = ComponentSpec(
        name=MONOLITH,
        argv=(
            python,
            "-m",
            "gunicorn",
            "-c",
            GUNICORN_CONFIG,
            "--bind",
            f"{HOST}:{monolith_port}",
            "--workers",
            str(MONOLITH_WORKERS),
            "--graceful-timeout",
            str(GUNICORN_GRACEFUL_SECONDS),
            "--access-logfile",
            "-",
            "legacy_monolith:create_app()",
        ),
        env={
            **common,
            "DATABASE_URL": databases.monolith,
            "MONOLITH_HOST": HOST,
            "MONOLITH_PORT": str(monolith_port),
            **{k: v for k, v in urls.items() if k != MONOLITH_URL_VARIABLE},
        },
        port=monolith_port,
        port_variable=ports[MONOLITH].variable,
        ready_path=MONOLITH_READY_PATH,
        module="legacy_monolith",
    )
    services = tuple(
        ComponentSpec(
            name=s.name,
            argv=_uvicorn(python, s.app, ports[s.name].port),
            env={
                **common,
                s.database_variable: databases.services[s.name],
                s.port_variable: str(ports[s.name].port),
                **{k: v for k, v in urls.items() if k != s.url_variable},
            },
            port=ports[s.name].port,
            port_variable=ports[s.name].variable,
            ready_path=SERVICE_READY_PATH,
            module=f"{s.package}.app",
        )
        for s in SERVICES
    )
    # Relays and consumers read every database, the bus (EVENT_BUS, default: var/bus.db) and the
    # plan plus the state store (which tables are owned by whom follows the router's flips).
    events = tuple(
        ComponentSpec(
            name=e.name,
            argv=(*strangler, "events", *e.args, "--metrics-port", str(ports[e.name].port)),
            env={**common, **databases.env(), "ROUTER_PLAN": str(plan_path)},
            port=ports[e.name].port,
            port_variable=ports[e.name].variable,
            ready_path=EVENTS_READY_PATH,
            module=EVENTS_MODULE,
        )
        for e in EVENT_PROCESSES
    )
    router_port = ports[ROUTER].port
    router = ComponentSpec(
        name=ROUTER,
        # The router's own CLI: it checks the plan first and turns uvicorn's access log off (the
        # router writes a structured one); host, port and plan reach it through ROUTER_*.
        argv=(*strangler, "router", "serve"),
        env={
            **common,
            "ROUTER_HOST": HOST,
            "ROUTER_PORT": str(router_port),
            "ROUTER_PLAN": str(plan_path),
            "ROUTER_ADMIN_TOKEN": admin_token,
            # Shadow differences right after a write are the sync's lag (docs/sync.md).
            "ROUTER_SHADOW_IN_FLIGHT_MS": str(SHADOW_IN_FLIGHT_MS),
            **router_upstream_env(upstreams, ports, environ),
        },
        port=router_port,
        port_variable=ports[ROUTER].variable,
        ready_path=ROUTER_READY_PATH,
        module="router.app",
    )
    return Stack(
        components=(monolith, *services, *events, router),
        var_dir=var_dir,
        admin_token=admin_token,
        databases=databases,
    )


def _uvicorn(python: str, app: str, port: int) -> tuple[str, ...]:
    return (python, "-m", "uvicorn", app, "--factory", "--host", HOST, "--port", str(port))
