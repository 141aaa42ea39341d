"""`strangler events relay SOURCE` and `strangler events consume NAME`: the data sync's processes.

A relay publishes one outbox (the monolith's or a service's) to the bus named by EVENT_BUS,
stamping the source as the events' origin. A consumer group applies them: `sync-to-<service>`
(monolith -> service), `sync-to-legacy` (services -> monolith), or a downstream consumer
(inventory, notifications, analytics). `all` / `sync` run several in one process, one thread
each. Both run until SIGTERM/SIGINT, or with --drain until there is nothing left.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from extracted.common.bus import (
    EventBus,
    IdempotentHandler,
    OutboxRelay,
    bus_from_settings,
    consume_once,
)
from extracted.common.database import make_engine
from extracted.consumers import CONSUMERS, build_handler
from migration_plan.commands.data import service_database_url
from migration_plan.commands.monolith import fail, load_settings
from migration_plan.data.catch_up import CatchUp
from migration_plan.data.event_metrics import (
    CountingRelay,
    EventMetrics,
    measured,
    measured_many,
)
from migration_plan.data.mappings import SERVICES
from migration_plan.data.ownership import LEGACY, table_owners
from migration_plan.data.sync import FromMonolith, ToMonolith
from migration_plan.state.redis_store import RedisStateStore
from migration_plan.state.settings import StateSettings
from migration_plan.state.watermark import watermark_for
from router.runtime import RuntimeState

log = logging.getLogger("migration_plan.events")

events_app = typer.Typer(
    help="The data sync: relays publish outboxes, consumers apply events.", no_args_is_help=True
)

SOURCES = (LEGACY, *SERVICES)
STREAMS = ("user", "session", "product", "order")
SYNC_GROUPS = (*(f"sync-to-{s}" for s in SERVICES), "sync-to-legacy")
OWNERS_REFRESH_SECONDS = 2.0
OWNERS_READ_TIMEOUT_SECONDS = 5.0

MetricsPort = Annotated[
    int | None,
    typer.Option("--metrics-port", min=1, max=65535, help="Serve Prometheus /metrics here."),
]
MetricsHost = Annotated[
    str, typer.Option("--metrics-host", help="Where /metrics listens (0.0.0.0 in a container).")
]
Drain = Annotated[
    bool, typer.Option("--drain", help="Stop once there is nothing left, instead of running on.")
]


def source_url(source: str) -> str:
    return load_settings().database_url if source == LEGACY else service_database_url(source)


def read_owners(environ: Mapping[str, str]) -> dict[str, str]:
    """table -> `legacy` or the component that owns it now: the plan plus the state store."""
    from migration_plan.plan import load_plan
    from migration_plan.stack.locate import resolve_plan
    from migration_plan.stack.wiring import upstream_components
    from migration_plan.state import build_state
    from migration_plan.state.settings import StateSettings
    from router.routing import compile_table

    plan = load_plan(resolve_plan(None, environ, Path.cwd()), environ)
    components = {
        k: (LEGACY if v == "monolith" else v) for k, v in upstream_components(plan).items()
    }
    settings = StateSettings.from_env(environ)
    overrides: Mapping[str, Any] = {}
    if settings.STRANGLER_STATE != "memory":
        overrides = asyncio.run(_read_overrides(build_state(settings, one_shot=True)))
    routes = [
        {"service": components.get(flag.service, flag.service), "mode": flag.mode.value}
        for flag in compile_table(plan, overrides).flags
    ]
    declared = {table: components.get(owner, owner) for table, owner in plan.tables.items()}
    return table_owners(declared, routes)


async def _read_overrides(state: RuntimeState) -> Mapping[str, Any]:
    """One read, bounded (a hung read would stall every sync thread behind LiveOwners' lock)."""
    try:
        return await asyncio.wait_for(state.overrides(), OWNERS_READ_TIMEOUT_SECONDS)
    finally:
        if isinstance(state, RedisStateStore):
            await state.aclose()


class LiveOwners:
    """Current ownership, re-read every few seconds; a failed read keeps the last answer."""

    def __init__(
        self, read: Callable[[], dict[str, str]], every_s: float = OWNERS_REFRESH_SECONDS
    ) -> None:
        self.read = read
        self.every_s = every_s
        self._owners: dict[str, str] = {}
        self._at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self) -> Mapping[str, str]:
        import time

        with self._lock:
            if time.monotonic() - self._at >= self.every_s:
                try:
                    self._owners = self.read()
                except Exception as error:  # the sync keeps going on what it knew
                    log.warning("cannot read table ownership, keeping the last: %s", error)
                self._at = time.monotonic()
            return self._owners


@contextmanager
def stopping() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT (Ctrl-C), so loops finish their batch and return."""
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        for sig in previous:
            signal.signal(sig, lambda *_: stop.set())
    try:
        yield stop
    finally:
        if in_main:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def run_threads(targets: Mapping[str, Callable[[], None]], stop: threading.Event) -> None:
    threads = [threading.Thread(target=t, name=n, daemon=True) for n, t in targets.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)
    stop.set()


def relay_command(
    source: Annotated[str, typer.Argument(help="legacy, auth, products, orders, or all.")],
    drain: Drain = False,
    metrics_port: MetricsPort = None,
    metrics_host: MetricsHost = "127.0.0.1",
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 100,
    idle_seconds: Annotated[
        float,
        typer.Option(
            "--idle-seconds",
            min=0.001,
            help="How long a relay waits before looking at an empty outbox again: the floor of "
            "the sync's lag, and of how soon the shadow watermark can pass a write.",
        ),
    ] = 0.02,
) -> None:
    """Publish an outbox to the bus, in order, marking rows sent (one relay per outbox)."""
    sources = list(SOURCES) if source == "all" else [source]
    if not set(sources) <= set(SOURCES):
        fail(f"unknown source {source!r}: expected one of {', '.join(SOURCES)} or all")
    metrics = EventMetrics()
    if metrics_port is not None:
        metrics.serve(metrics_port, metrics_host)
    bus = bus_from_settings()
    relays = [
        CountingRelay(make_engine(source_url(s)), bus, metrics, s, batch_size=batch_size)
        for s in sources
    ]
    try:
        with stopping() as stop:
            if drain:
                for relay in relays:
                    typer.echo(f"{relay.source}: published {relay.drain()}")
                return
            run_threads(
                {f"relay-{r.source}": partial(r.run, stop, idle_seconds) for r in relays}, stop
            )
    finally:
        bus.close()
        for relay in relays:
            relay.engine.dispose()


def sync_handler(group: str, owners: Callable[[], Mapping[str, str]], engines: list[Engine]) -> Any:
    """The applier of one sync group; the engines it opens go to `engines` (to dispose)."""
    service = group.removeprefix("sync-to-")
    monolith_url = load_settings().database_url
    if service == LEGACY:
        sources = {s: make_engine(service_database_url(s)) for s in SERVICES}
        engines.extend(sources.values())
        return ToMonolith(monolith_url, sources, owners)
    monolith, target = make_engine(monolith_url), make_engine(service_database_url(service))
    engines.extend((monolith, target))
    apply = FromMonolith(service, monolith, owners)
    return IdempotentHandler(sessionmaker(target), apply, "sync-from-legacy")


def consume_loop(
    bus: EventBus,
    group: str,
    handle: Any,
    metrics: EventMetrics,
    stop: threading.Event,
    drain: bool,
    worker: str,
) -> None:
    one = measured(handle, metrics, group)
    many = getattr(handle, "handle_many", None)
    batch = None if many is None else measured_many(many, metrics, group)
    while not stop.is_set():
        got = consume_once(bus, group, worker, one, count=100, block_ms=500, handle_many=batch)
        try:
            metrics.report_bus(bus, group)
        except Exception as error:  # metrics never stop a consumer
            log.debug("bus info for %s failed: %s", group, error)
        if drain and got == 0:
            return


def consume_command(
    name: Annotated[
        str,
        typer.Argument(
            help="sync-to-auth|products|orders|legacy, sync (all four), "
            "inventory, notifications or analytics."
        ),
    ],
    drain: Drain = False,
    metrics_port: MetricsPort = None,
    metrics_host: MetricsHost = "127.0.0.1",
    worker: Annotated[str, typer.Option("--worker", help="This consumer's name in its group.")] = (
        f"{os.uname().nodename}-{os.getpid()}"
    ),
) -> None:
    """Apply events from the bus, each once, until stopped (or drained)."""
    groups = list(SYNC_GROUPS) if name == "sync" else [name]
    known = (*SYNC_GROUPS, *CONSUMERS)
    if not set(groups) <= set(known):
        fail(f"unknown consumer {name!r}: expected sync, {', '.join(known)}")
    metrics = EventMetrics()
    if metrics_port is not None:
        metrics.serve(metrics_port, metrics_host)
    owners = LiveOwners(lambda: read_owners(dict(os.environ)))
    bus = bus_from_settings()
    handlers: dict[str, Any] = {}
    engines: list[Engine] = []
    for group in groups:
        if group in CONSUMERS:
            handlers[group], engine = build_handler(CONSUMERS[group])
            engines.append(engine)
            streams: tuple[str, ...] = CONSUMERS[group].streams
        else:
            handlers[group] = sync_handler(group, owners, engines)
            streams = STREAMS
        bus.subscribe(group, streams)
    catch_up = None
    watermark = watermark_for(StateSettings.from_env(os.environ))
    if set(groups) >= set(SYNC_GROUPS) and watermark is not None:
        # The whole sync runs here, so this process can tell when nothing is owed anywhere.
        outboxes = [OutboxRelay(make_engine(source_url(s)), bus) for s in SOURCES]
        engines.extend(relay.engine for relay in outboxes)
        catch_up = CatchUp(SYNC_GROUPS, [r.unpublished for r in outboxes], bus, watermark)
    try:
        with stopping() as stop:
            loops = {
                group: partial(
                    consume_loop, bus, group, handlers[group], metrics, stop, drain, worker
                )
                for group in groups
            }
            if catch_up is not None and not drain:
                loops["sync-watermark"] = partial(catch_up.run, stop)
            run_threads(loops, stop)
    finally:
        bus.close()
        for handler in handlers.values():
            if isinstance(handler, ToMonolith):
                handler.close()
        for engine in engines:
            engine.dispose()


def verify_command(
    service: Annotated[str, typer.Argument(help="auth, products or orders.")],
    source_url_option: Annotated[
        str | None, typer.Option("--source-url", help="The monolith's database.")
    ] = None,
    target_url: Annotated[
        str | None, typer.Option("--target-url", help="The service's database.")
    ] = None,
    show: Annotated[int, typer.Option("--show", min=0, help="Keys listed per kind.")] = 20,
) -> None:
    """Row counts and per-row checksums of the tables the monolith and SERVICE share."""
    from migration_plan.data.verify import VerifyError, verify

    if service not in SERVICES:
        fail(f"unknown service {service!r}: expected one of {', '.join(SERVICES)}")
    monolith = make_engine(source_url_option or load_settings().database_url)
    target = make_engine(target_url or service_database_url(service))
    try:
        report = verify(service, monolith, target)
    except VerifyError as error:  # a schema it does not know: say what, never a traceback
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        monolith.dispose()
        target.dispose()
    for table in report:
        state = "ok" if table.clean else "DIFFERENT"
        typer.echo(
            f"{service}.{table.table}: monolith {table.monolith_rows} rows, "
            f"service {table.service_rows} rows: {state}"
        )
        for label, keys in (
            ("only in the monolith", table.only_in_monolith),
            ("only in the service", table.only_in_service),
            ("different", table.different),
        ):
            if keys:
                more = f" (+{len(keys) - show} more)" if len(keys) > show else ""
                typer.echo(f"  {label}: {', '.join(keys[:show])}{more}")
    if not all(table.clean for table in report):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    events_app.command("relay")(relay_command)
    events_app.command("consume")(consume_command)
    app.add_typer(events_app, name="events")
    from migration_plan.commands.data import data_app

    data_app.command("verify")(verify_command)
