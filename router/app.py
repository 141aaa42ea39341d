"""The router's ASGI app and its factory (`uvicorn router.app:create_app --factory`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from migration_plan.parity.corpus import CorpusRecorder
from migration_plan.plan import Mode, Plan, PlanError, PlanProblem
from migration_plan.plan.evidence import ParityResults, ShadowEvidence
from migration_plan.plan.gates import Decision, decide
from migration_plan.plan.loader import locate
from migration_plan.plan.transitions import Transition, stage
from router.access_log import AccessLog, make_access_log, make_event_log
from router.admin import Admin, FlipError, GateRefused
from router.aiohttp_forwarder import AiohttpForwarder
from router.forwarding import Forwarder
from router.headers import decode, request_id
from router.in_flight import RecentWrites, Watermark
from router.metrics import RouterMetrics
from router.normalise import is_reserved, request_path
from router.proxy import Proxy
from router.reload import PlanFile, PlanWatcher, Signature, read_plan_file, signature
from router.routing import RouteFlag, RouteOverride, RouteTable, compile_table
from router.runtime import FlipRecord, InMemoryRuntimeState, RuntimeState, new_record
from router.settings import RouterSettings
from router.shadow import Comparator, Shadower, parity_comparator
from router.stats import Stats
from router.types import Message, Receive, Scope, Send

ACCESS_LOG_FLUSH_SECONDS = 0.5


class RouterApp:
    """A raw ASGI app: lifespan opens the forwarder and the plan watcher; HTTP is proxied."""

    def __init__(
        self,
        plan: Plan,
        *,
        forwarder: Forwarder,
        settings: RouterSettings,
        plan_path: Path | None = None,
        plan_signature: Signature = None,
        plan_revision: str = "",
        runtime: RuntimeState | None = None,
        comparator: Comparator = parity_comparator,
        access_log: AccessLog | None = None,
        event_log: AccessLog | None = None,
        parity_results: Callable[[], ParityResults] | None = None,
        sync_watermark: Watermark | None = None,
    ) -> None:
        self.settings = settings
        self.forwarder = forwarder
        self.runtime: RuntimeState = runtime or InMemoryRuntimeState()
        self.stats = Stats()
        self.metrics = RouterMetrics()
        recorder = None
        if settings.capture_path is not None:
            recorder = CorpusRecorder(
                settings.capture_path,
                sample_rate=settings.capture_sample_rate,
                max_bytes=settings.capture_max_bytes,
            )
        recent = (
            RecentWrites(settings.shadow_in_flight_ms / 1000, sync_watermark)
            if settings.shadow_in_flight_ms
            else None
        )
        self.shadower = Shadower(
            forwarder, self.stats, self.metrics, comparator, recorder=recorder, recent_writes=recent
        )
        self.events = event_log or make_event_log()
        self.ready = False
        self.state_store_up = True  # False: the store is unreachable; the last known state serves
        self._parity_results = parity_results or _parity_results_from_env
        self._plan = plan
        self._plan_path = plan_path
        self._plan_signature = plan_signature
        self.plan_revision = plan_revision
        # Why the plan file's latest edit is not serving (None: it is): readyz and status show it.
        self.plan_rejection: dict[str, Any] | None = None
        self._overrides: dict[str, RouteOverride] = {}
        self._table = compile_table(plan)
        self._watcher_task: asyncio.Task[None] | None = None
        self._flip_lock = asyncio.Lock()
        self._log_stream: TextIO | None = None
        self._flush_task: asyncio.Task[None] | None = None
        if access_log is None and settings.access_log:
            self._log_stream = sys.stdout
            access_log = make_access_log(self._log_stream)
        self._proxy = Proxy(
            table=lambda: self._table,
            forwarder=forwarder,
            shadower=self.shadower,
            stats=self.stats,
            metrics=self.metrics,
            settings=settings,
            access_log=access_log if settings.access_log else None,
            event_log=self.events,
        )
        self._admin = Admin(self)

    @property
    def table(self) -> RouteTable:
        return self._table

    @property
    def plan(self) -> Plan:
        return self._plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            # Decided on the normalised path, the one a backend would act on: no spelling of
            # the admin namespace or /metrics is ever forwarded.
            path = request_path(scope)
            if isinstance(path, str) and is_reserved(path):
                await self._admin({**scope, "path": path}, receive, send)
            else:
                await self._proxy(scope, receive, send, path)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":  # not proxied (yet): refuse the handshake
            await send({"type": "websocket.close", "code": 1003})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message: Message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        """Open the forwarder, load runtime overrides, start following the plan and the state."""
        await self.forwarder.start()
        with contextlib.suppress(Exception):  # logged by _store_up; serve the plan, degraded
            await self.refresh_overrides()
        interval = self.settings.reload_interval
        if interval > 0:
            self._watcher_task = asyncio.create_task(self._sync_forever(interval))
        if self._log_stream is not None:
            self._flush_task = asyncio.create_task(self._flush_access_log())
        self.ready = True

    async def _sync_forever(self, interval: float) -> None:
        """Follow the plan file and the runtime state (a shared store may change under us)."""
        watcher = None
        if self._plan_path is not None:
            watcher = PlanWatcher(
                self._plan_path, self._plan_file_changed, self._plan_rejected, self._plan_signature
            )
        while True:
            await asyncio.sleep(interval)
            try:
                if watcher is not None:
                    await watcher.check()
                await self.refresh_overrides()
            except Exception as exc:  # a store outage must not stop reloading for good
                if self.state_store_up:  # a store outage is logged once, by _store_up
                    self.events.warning("sync_failed", error=repr(exc))

    async def refresh_overrides(self) -> None:
        """Recompile when the runtime state holds other overrides than the table was built with."""
        try:
            overrides = dict(await self.runtime.overrides())
        except Exception as exc:
            self._store_up(False, repr(exc))
            raise
        self._store_up(True)
        if overrides != self._overrides:
            self._overrides = overrides
            self._install(compile_table(self._plan, overrides))

    def _store_up(self, up: bool, error: str = "") -> None:
        if up and not self.state_store_up:
            self.events.info("state_store_up", note="following the shared state again")
        elif not up and self.state_store_up:
            self.events.warning(
                "state_store_down", error=error, note="serving the last known state"
            )
        self.state_store_up = up
        self.metrics.state_store_up.set(1 if up else 0)

    async def _flush_access_log(self) -> None:
        while True:
            await asyncio.sleep(ACCESS_LOG_FLUSH_SECONDS)
            if self._log_stream is not None:
                self._log_stream.flush()

    async def shutdown(self) -> None:
        self.ready = False
        for task in (self._watcher_task, self._flush_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._watcher_task = self._flush_task = None
        await self.shadower.aclose()
        await self.forwarder.aclose()
        close = getattr(self.runtime, "aclose", None)
        if close is not None:
            await close()
        if self._log_stream is not None:
            self._log_stream.flush()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RouterApp]:
        """Startup and shutdown around a block (for tests driving the app in-process)."""
        await self.startup()
        try:
            yield self
        finally:
            await self.shutdown()

    async def _plan_file_changed(self, read: PlanFile) -> None:
        await self.apply_plan(read.plan, text=read.text, revision=read.revision)

    async def apply_plan(self, plan: Plan, *, text: str = "", revision: str = "") -> bool:
        """Swap in a new plan; requests in flight keep the table they started with.

        An edit that raises a route's exposure (shadow -> canary, canary percent up, anything ->
        extracted, or a skipped stage) passes the same decision as a flip, on this router's
        evidence, or the whole plan is refused and the last good one keeps serving. legacy ->
        shadow and every move back are allowed: users still get the legacy answer. Each change of
        a route's effective mode is recorded in history (actor `plan`, with the file's revision).
        Returns whether the plan now serves."""
        async with self._flip_lock:
            table = compile_table(plan, self._overrides)
            changes = _changes(self._table, table)
            refused = self._gate_plan(plan, text, changes)
            if refused:
                self._plan_rejected(PlanError(refused), kind="gate")
                return False
            where = f"plan file {self._plan_path or '(in memory)'} changed"
            reason = f"{where} (revision {revision})" if revision else where
            for route, before, after in changes:
                # recorded before the swap: a store that does not answer raises and nothing moves
                await self.runtime.record(
                    new_record(route, after, actor="plan", reason=reason, before=before)
                )
            self._plan = plan
            self.plan_revision = revision or self.plan_revision
            self.plan_rejection = None
            self._install(table)
        self.metrics.plan_reloads.inc()
        self.events.info(
            "plan_reloaded",
            path=str(self._plan_path),
            endpoints=len(plan.endpoints),
            revision=revision,
            changed=[route for route, _, _ in changes],
        )
        return True

    def _gate_plan(
        self,
        plan: Plan,
        text: str,
        changes: list[tuple[str, dict[str, Any], RouteOverride]],
    ) -> list[PlanProblem]:
        """Every change the transition rule or the gates refuse, located in the plan file."""
        file = str(self._plan_path or "<plan>")
        parity = self._parity_results()  # read once for every route
        problems: list[PlanProblem] = []
        for route, before, after in changes:
            endpoint = plan.endpoint(route)
            if endpoint is None:
                continue  # removed from the plan: back to legacy, always allowed
            current = Mode(before["mode"])
            transition = Transition(
                route,
                current,
                after.mode,
                before["canary_percent"] if current is Mode.CANARY else None,
                after.canary_percent if after.mode is Mode.CANARY else None,
            )
            decision = decide(
                transition, plan.gates_for(endpoint), self.shadow_evidence(route), parity
            )
            if decision.allowed:
                continue
            index = plan.endpoints.index(endpoint)
            moved = after.mode is not current
            field = "mode" if moved else "canary_percent"
            path: tuple[str | int, ...] = ("endpoints", index, field)
            message = f"{route}: refused as a flip would be: {decision.message}"
            if text:
                problems.append(locate(text, file, path, message))
            else:
                problems.append(PlanProblem(file, None, f"endpoints[{index}].{field}", message))
        return problems

    def _install(self, table: RouteTable) -> None:
        """Serve `table`; a route moved back to an earlier stage starts a new shadow episode, so a
        later move forward is judged only on comparisons made after the rollback."""
        old = {flag.template.key: flag for flag in self._table.flags}
        new = {flag.template.key: flag for flag in table.flags}
        for key, flag in old.items():
            moved = new.get(key)
            if moved is None or stage(moved.mode) < stage(flag.mode):
                self.stats.reset_shadow(flag.route)
                self.events.info(
                    "shadow_evidence_reset",
                    route=flag.route,
                    mode=flag.mode.value,
                    now=moved.mode.value if moved else Mode.LEGACY.value,
                )
        self._table = table

    def _plan_rejected(self, error: PlanError, kind: str = "invalid") -> None:
        self.metrics.plan_reload_failures.inc()
        problems = [str(p) for p in error.problems]
        self.plan_rejection = {
            "status": "rejected",
            "kind": kind,  # invalid: the file does not validate; gate: it raises exposure unproven
            "path": str(self._plan_path),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "problems": problems,
            "located": [
                {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
                for p in error.problems
            ],
            "serving_revision": self.plan_revision,
        }
        self.events.warning(
            "plan_rejected",
            path=str(self._plan_path),
            kind=kind,
            problems=problems,
            note="the last good plan keeps serving",
        )

    def shadow_evidence(self, route: str) -> ShadowEvidence:
        """This router's live shadow counters for `route`."""
        shadow = self.stats.route(route).shadow
        return ShadowEvidence(comparisons=shadow.compared, mismatches=shadow.mismatched)

    def parity_results(self) -> ParityResults:
        """The CI parity suite's last results (read from PARITY_RESULTS_PATH by default)."""
        return self._parity_results()

    def decide(
        self,
        flag: RouteFlag,
        mode: Mode,
        percent: float | None,
        *,
        force: bool = False,
        parity: ParityResults | None = None,
    ) -> Decision:
        """The transition rule and the gates (`migration_plan.plan.gates`), on live evidence."""
        endpoint = self._plan.endpoint(flag.route)
        gates = self._plan.gates_for(endpoint) if endpoint else self._plan.gates
        current_percent = flag.canary_percent if flag.mode is Mode.CANARY else None
        transition = Transition(flag.route, flag.mode, mode, current_percent, percent)
        evidence = self.shadow_evidence(flag.route)
        results = parity if parity is not None else self._parity_results()
        return decide(transition, gates, evidence, results, force=force)

    async def flip(
        self,
        *,
        route: str,
        mode: Mode,
        percent: float | None,
        actor: str,
        reason: str,
        force: bool = False,
    ) -> FlipRecord:
        """Override one route's mode (and canary percent) at once, recording who and why.

        Refused (GateRefused) when the transition skips a stage or the gates lack evidence,
        unless `force`; a forced flip is recorded as forced with what it overrode."""
        async with self._flip_lock:
            # decide on the shared state as it is now, not as this process last synced it
            # (a store that does not answer raises StateStoreUnavailable: nothing changes)
            await self.refresh_overrides()
            flag = self._table.flag(route)
            if flag is None:
                raise FlipError("route", f"{route!r} is not an endpoint of the plan")
            if mode is Mode.CANARY and percent is None and flag.mode is not Mode.CANARY:
                raise FlipError("percent", "is required when mode is canary (0..100)")
            decision = self.decide(flag, mode, percent, force=force)
            if not decision.allowed:
                raise GateRefused(decision.problems)
            override = RouteOverride(mode, percent)
            before = {"mode": flag.mode.value, "canary_percent": flag.canary_percent}
            record = await self.runtime.flip(
                flag.route,
                override,
                actor=actor,
                reason=reason,
                before=before,
                forced=decision.forced,
                overridden=decision.problems,
            )
            self._overrides = dict(await self.runtime.overrides())
            self._install(compile_table(self._plan, self._overrides))
            self.events.info("route_flipped", **record.as_dict())
            return record

    def new_request_id(self, scope: Scope) -> str:
        return request_id(decode(scope["headers"]))


def create_app(
    plan: Plan | str | os.PathLike[str] | None = None,
    forwarder: Forwarder | None = None,
    settings: RouterSettings | None = None,
    *,
    runtime: RuntimeState | None = None,
    comparator: Comparator = parity_comparator,
    access_log: AccessLog | None = None,
    event_log: AccessLog | None = None,
    parity_results: Callable[[], ParityResults] | None = None,
    sync_watermark: Watermark | None = None,
) -> RouterApp:
    """Build the router. With no arguments (uvicorn --factory) settings and plan come from env.

    The runtime state store comes from STRANGLER_STATE (file by default) only when the factory
    reads its own settings; a caller passing settings and no `runtime` gets in-memory state.
    The data sync's watermark (the evidence for `in_flight`) comes from beside that store."""
    if runtime is None and settings is None:
        from migration_plan.state import StateSettings, state_from_env
        from migration_plan.state.watermark import watermark_for

        runtime = state_from_env(os.environ)
        sync_watermark = sync_watermark or watermark_for(StateSettings.from_env(os.environ))
    settings = settings or RouterSettings()
    plan_path: Path | None = None
    plan_signature: Signature = None
    plan_revision = ""
    if plan is None:
        plan = settings.plan
    if not isinstance(plan, Plan):
        plan_path = Path(plan)
        plan_signature = signature(plan_path)
        read = read_plan_file(plan_path, dict(os.environ))  # PlanError: refuse to start on it
        plan, plan_revision = read.plan, read.revision
    if forwarder is None:
        forwarder = AiohttpForwarder(settings.pool_size, settings.connect_timeout)
    return RouterApp(
        plan,
        forwarder=forwarder,
        settings=settings,
        plan_path=plan_path,
        plan_signature=plan_signature,
        plan_revision=plan_revision,
        runtime=runtime,
        comparator=comparator,
        access_log=access_log,
        event_log=event_log,
        parity_results=parity_results,
        sync_watermark=sync_watermark,
    )


def _parity_results_from_env() -> ParityResults:
    from migration_plan.state.evidence import read_parity_results

    return read_parity_results(os.environ)


def _changes(old: RouteTable, new: RouteTable) -> list[tuple[str, dict[str, Any], RouteOverride]]:
    """(route, before, after) for each route whose effective mode or canary percent a new plan
    moves. A route new to the plan was served by legacy; one dropped from it goes back there."""
    before = {flag.template.key: flag for flag in old.flags}
    after = {flag.template.key: flag for flag in new.flags}
    changes: list[tuple[str, dict[str, Any], RouteOverride]] = []
    for key, flag in after.items():
        was = before.get(key)
        was_mode = was.mode if was else Mode.LEGACY
        was_percent = was.canary_percent if was else 0.0
        if (was_mode, was_percent) != (flag.mode, flag.canary_percent):
            state = {"mode": was_mode.value, "canary_percent": was_percent}
            changes.append((flag.route, state, RouteOverride(flag.mode, flag.canary_percent)))
    for key, was in before.items():
        if key not in after and was.mode is not Mode.LEGACY:
            state = {"mode": was.mode.value, "canary_percent": was.canary_percent}
            changes.append((was.route, state, RouteOverride(Mode.LEGACY, was.canary_percent)))
    return changes
