"""How the CLI reaches the route flags: a running router's admin API, or the state store directly.

Both give the same views and take the same flips; both decide with `migration_plan.plan.gates`
(the router on its live shadow counters, the direct path with none: a gated flip made without a
router needs `--force`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from migration_plan.plan import Mode, Plan
from migration_plan.plan.evidence import ParityResults
from migration_plan.plan.gates import decide
from migration_plan.plan.transitions import Transition, next_stage
from migration_plan.state.records import record_to_dict
from migration_plan.state.settings import StateSettings
from router.routing import RouteFlag, RouteOverride, compile_table
from router.runtime import RuntimeState, StateStoreUnavailable

ADMIN_PREFIX = "/_strangler"


class ControlError(Exception):
    """The flags cannot be read or changed; the message says why and what to do. Nothing changed."""


class FlipRefused(ControlError):
    """The transition rule or a gate refused a flip; `problems` name the missing evidence."""

    def __init__(self, route: str, problems: list[str]) -> None:
        super().__init__(f"{route}: refused: " + "; ".join(problems))
        self.route = route
        self.problems = problems


@dataclass(frozen=True, slots=True)
class FlipRequest:
    route: str
    mode: Mode
    percent: float | None
    reason: str
    actor: str
    force: bool = False


class Control(Protocol):
    """What the CLI needs; `where` says what it talks to."""

    @property
    def where(self) -> str: ...

    async def routes(self) -> list[dict[str, Any]]: ...

    async def flip(self, request: FlipRequest) -> dict[str, Any]: ...

    async def history(self) -> list[dict[str, Any]]: ...

    async def mismatches(self) -> list[dict[str, Any]]: ...

    async def diff_counts(self) -> dict[str, Any]: ...

    async def health(self) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


class AdminControl:
    """A running router's admin API (bearer token).

    `transport` is how requests reach it: the network by default, or (tests) an
    httpx.ASGITransport over an in-process router.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        source: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = admin_base(base_url)
        self.source = source
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=10.0, transport=transport
        )

    @property
    def where(self) -> str:
        return f"router admin API at {self.base_url}{ADMIN_PREFIX}/ ({self.source})"

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = await self._client.request(method, ADMIN_PREFIX + path, json=body)
        except httpx.HTTPError as exc:
            raise ControlError(
                f"cannot reach the {self.where}: {exc!r}; start the stack (`strangler up`), "
                "set STRANGLER_ADMIN_URL, or work on the state store with --direct"
            ) from exc
        if response.status_code == 401:
            raise ControlError(
                f"the {self.where} refused the admin token: set ROUTER_ADMIN_TOKEN to the "
                "router's token (`strangler up` records it in var/stack.json)"
            )
        if response.status_code >= 400:
            message = _error_message(response)
            if response.status_code == 409 and body is not None:
                raise FlipRefused(str(body.get("route")), _problems(response, message))
            raise ControlError(f"the router answered {response.status_code}: {message}")
        return response.json()

    async def routes(self) -> list[dict[str, Any]]:
        data = await self._call("GET", "/routes")
        return list(data["routes"])

    async def flip(self, request: FlipRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "route": request.route,
            "mode": request.mode.value,
            "reason": request.reason,
            "actor": request.actor,
            "force": request.force,
        }
        if request.percent is not None:
            body["percent"] = request.percent
        return dict(await self._call("POST", "/routes/flip", body))

    async def history(self) -> list[dict[str, Any]]:
        return list((await self._call("GET", "/history"))["history"])

    async def mismatches(self) -> list[dict[str, Any]]:
        return list((await self._call("GET", "/mismatches"))["mismatches"])

    async def diff_counts(self) -> dict[str, Any]:
        return dict((await self._call("GET", "/diffs"))["routes"])

    async def health(self) -> dict[str, Any]:
        """The router's readyz: `ready`, or `degraded` while its state store is unreachable."""
        try:
            response = await self._client.get(ADMIN_PREFIX + "/readyz")
            return dict(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            return {"status": "unknown", "error": repr(exc)}

    async def aclose(self) -> None:
        await self._client.aclose()


class DirectControl:
    """The state store itself, with the plan file; no router counters (shadow evidence unknown)."""

    def __init__(
        self,
        plan: Plan,
        store: RuntimeState,
        settings: StateSettings,
        parity: ParityResults,
        note: str = "",
    ) -> None:
        self.plan = plan
        self.store = store
        self.settings = settings
        self.parity = parity
        self.note = note

    @property
    def where(self) -> str:
        return f"state store {self.settings.STRANGLER_STATE} at {self.settings.where}"

    async def _flags(self) -> tuple[RouteFlag, ...]:
        overrides = await _guard(self.store.overrides())
        return compile_table(self.plan, overrides).flags

    async def routes(self) -> list[dict[str, Any]]:
        return [self._view(flag) for flag in await self._flags()]

    def _view(self, flag: RouteFlag) -> dict[str, Any]:
        target = next_stage(flag.mode)
        gate: dict[str, Any] = {"next": None, "open": True, "problems": []}
        if target is not None:
            percent = 1.0 if target is Mode.CANARY and flag.mode is not Mode.CANARY else None
            if flag.mode is Mode.CANARY:
                percent = flag.canary_percent
            decision = self._decide(flag, target, percent, force=False)
            gate = {"next": target.value, "open": decision.allowed, "problems": decision.problems}
        return {
            "route": flag.route,
            "phase": flag.phase,
            "service": flag.service,
            "mode": flag.mode.value,
            "canary_percent": flag.canary_percent,
            "sticky_key": flag.sticky_key,
            "dry_run": flag.dry_run,
            "fallback": flag.fallback,
            "overridden": flag.overridden,
            "stats": None,
            "gate": {**gate, "problems": list(gate["problems"])},
        }

    def _decide(self, flag: RouteFlag, mode: Mode, percent: float | None, *, force: bool) -> Any:
        endpoint = self.plan.endpoint(flag.route)
        gates = self.plan.gates_for(endpoint) if endpoint else self.plan.gates
        current = flag.canary_percent if flag.mode is Mode.CANARY else None
        transition = Transition(flag.route, flag.mode, mode, current, percent)
        return decide(transition, gates, None, self.parity, force=force)

    async def flip(self, request: FlipRequest) -> dict[str, Any]:
        flags = {f.template.key: f for f in await self._flags()}
        flag = next((f for f in flags.values() if f.route == request.route), None)
        if flag is None:
            raise ControlError(f"{request.route!r} is not an endpoint of the plan")
        if request.mode is Mode.CANARY and request.percent is None and flag.mode is not Mode.CANARY:
            raise ControlError("--percent is required when moving to canary (0..100)")
        decision = self._decide(flag, request.mode, request.percent, force=request.force)
        if not decision.allowed:
            raise FlipRefused(flag.route, list(decision.problems))
        before = {"mode": flag.mode.value, "canary_percent": flag.canary_percent}
        record = await _guard(
            self.store.flip(
                flag.route,
                RouteOverride(request.mode, request.percent),
                actor=request.actor,
                reason=request.reason,
                before=before,
                forced=decision.forced,
                overridden=decision.problems,
            )
        )
        return record_to_dict(record)

    async def history(self) -> list[dict[str, Any]]:
        return [record_to_dict(r) for r in await _guard(self.store.history())]

    async def mismatches(self) -> list[dict[str, Any]]:
        raise ControlError(
            "mismatch examples live in a running router's memory: start the stack "
            "(`strangler up`) or point STRANGLER_ADMIN_URL at a router"
        )

    async def diff_counts(self) -> dict[str, Any]:
        raise ControlError(
            "difference counts live in a running router's memory: start the stack "
            "(`strangler up`) or point STRANGLER_ADMIN_URL at a router"
        )

    async def health(self) -> dict[str, Any]:
        return {"status": "direct", "note": self.note}

    async def aclose(self) -> None:
        close = getattr(self.store, "aclose", None)
        if close is not None:
            await close()


async def _guard(awaitable: Any) -> Any:
    try:
        return await awaitable
    except StateStoreUnavailable as exc:
        raise ControlError(f"the state store is unavailable, nothing changed: {exc}") from exc


def admin_base(url: str) -> str:
    """`http://h:p/_strangler/` or `http://h:p` -> `http://h:p`."""
    url = url.rstrip("/")
    return url.removesuffix(ADMIN_PREFIX)


def _problems(response: httpx.Response, message: str) -> list[str]:
    """A refusal's problems: the list the router sends, else its message split (older routers)."""
    try:
        problems = response.json()["error"]["problems"]
    except (ValueError, KeyError, TypeError):
        problems = None
    if isinstance(problems, list) and problems:
        return [str(p) for p in problems]
    return message.removeprefix("gate: ").split("; ")


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def admin_from_env(environ: Mapping[str, str], var_dir: Path) -> tuple[str, str | None, str] | None:
    """(admin URL, token, source) from STRANGLER_ADMIN_URL, else a live `var/stack.json`."""
    from migration_plan.stack.state import running_stack, state_path

    if environ.get("STRANGLER_ADMIN_URL"):
        return environ["STRANGLER_ADMIN_URL"], environ.get("ROUTER_ADMIN_TOKEN"), "from env"
    stack = running_stack(state_path(var_dir))
    if stack and isinstance(stack.get("admin_url"), str):
        token = environ.get("ROUTER_ADMIN_TOKEN") or stack.get("admin_token")
        source = f"from {state_path(var_dir)}"
        return stack["admin_url"], token if isinstance(token, str) else None, source
    return None
