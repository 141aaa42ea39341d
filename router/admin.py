"""Admin API under `/_strangler/` (bearer token) and `/metrics`."""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from migration_plan.plan import Mode, parse_route
from migration_plan.plan.transitions import next_stage
from router.responses import send_bytes, send_error, send_json
from router.runtime import StateStoreUnavailable
from router.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from router.app import RouterApp

PREFIX = "/_strangler/"
MAX_ADMIN_BODY = 64 * 1024
_PROBES = ("/_strangler/healthz", "/_strangler/readyz")
_OPEN = {(method, path) for method in ("GET", "HEAD") for path in _PROBES}


class FlipError(ValueError):
    """A flip request that cannot be applied; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class GateRefused(FlipError):
    """A flip the transition rule or the gates refuse; `problems` say what evidence is missing."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("gate", "; ".join(problems))
        self.problems = tuple(problems)


class Admin:
    """Dispatches admin requests for one router."""

    def __init__(self, router: RouterApp) -> None:
        self._router = router

    def _authorised(self, scope: Scope) -> bool:
        token = self._router.settings.admin_token
        if token is None or not token.get_secret_value():
            return False
        for name, value in scope["headers"]:
            if name.lower() == b"authorization":
                # The auth scheme is case-insensitive (RFC 9110 section 11.1): bearer, BEARER.
                scheme, _, credentials = value.strip().partition(b" ")
                expected = token.get_secret_value().encode()
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    credentials.strip(), expected
                )
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        rid = self._router.new_request_id(scope)
        needs_token = (method, path) not in _OPEN and (
            path != "/metrics" or self._router.settings.metrics_require_token
        )
        if needs_token and not self._authorised(scope):
            await send_error(
                send,
                401,
                "Admin token required (Authorization: Bearer $ROUTER_ADMIN_TOKEN)",
                rid,
                [(b"www-authenticate", b"Bearer")],
            )
            return
        handlers = {
            ("GET", "/metrics"): self._metrics,
            ("GET", "/_strangler/healthz"): self._healthz,
            ("GET", "/_strangler/readyz"): self._readyz,
            ("GET", "/_strangler/routes"): self._routes,
            ("POST", "/_strangler/routes/flip"): self._flip,
            ("GET", "/_strangler/history"): self._history,
            ("GET", "/_strangler/mismatches"): self._mismatches,
            ("GET", "/_strangler/diffs"): self._diffs,
        }
        if method == "HEAD" and path in _PROBES:
            send = _without_body(send)  # a probe's HEAD: the GET's status and headers only
            method = "GET"
        handler = handlers.get((method, path))
        if handler is None:
            allowed = sorted({m for m, p in handlers if p == path})
            if not allowed:
                await send_error(send, 404, f"No admin endpoint {method} {path}", rid)
                return
            allow = ", ".join(allowed + ["HEAD"] if path in _PROBES else allowed)
            message = f"No admin endpoint {method} {path}"
            await send_error(send, 405, message, rid, [(b"allow", allow.encode())])
            return
        await handler(scope, receive, send, rid)

    async def _metrics(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        body, content_type = self._router.metrics.render()
        await send_bytes(send, 200, body, content_type, [])

    async def _healthz(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        await send_json(send, 200, {"status": "ok"})

    async def _readyz(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        ready = self._router.ready
        if not ready:
            await send_json(send, 503, {"status": "starting"})
            return
        # Degraded is still 200 (still serving: replicas must not all leave the pool, and
        # `strangler up` waits for a 200); the fields say what is not as configured.
        body: dict[str, Any] = {"status": "ready"}
        if not self._router.state_store_up:
            body["state_store"] = "unreachable: serving the last known state"
        if self._router.plan_rejection is not None:
            body["plan"] = self._router.plan_rejection  # refused: the last good plan serves
        if len(body) > 1:
            body["status"] = "degraded"
        await send_json(send, 200, body)

    async def _routes(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        table = self._router.table
        stats = self._router.stats
        parity = self._router.parity_results()  # read once for every route's gate
        routes = [
            {
                "route": flag.route,
                "phase": flag.phase,
                "service": flag.service,
                "mode": flag.mode.value,
                "canary_percent": flag.canary_percent,
                "sticky_key": flag.sticky_key,
                "dry_run": flag.dry_run,
                "fallback": flag.fallback,
                "overridden": flag.overridden,
                "stats": stats.snapshot(flag.route),
                "gate": self._gate(flag, parity),
            }
            for flag in table.flags
        ]
        await send_json(send, 200, {"routes": routes, "unmatched": {"stats": stats.snapshot("*")}})

    def _gate(self, flag: Any, parity: Any) -> dict[str, Any]:
        """Whether the next stage's gate would open now (same decision as a flip)."""
        target = next_stage(flag.mode)
        if target is None:
            return {"next": None, "open": True, "problems": []}
        percent = flag.canary_percent if flag.mode is Mode.CANARY else None
        if target is Mode.CANARY:
            percent = 1.0
        decision = self._router.decide(flag, target, percent, parity=parity)
        return {"next": target.value, "open": decision.allowed, "problems": list(decision.problems)}

    async def _history(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        history = await self._router.runtime.history()
        await send_json(send, 200, {"history": [r.as_dict() for r in history]})

    async def _mismatches(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        await send_json(send, 200, {"mismatches": self._router.stats.mismatch_examples()})

    async def _diffs(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        """Per route: comparisons so far and how often each field differed, by kind."""
        stats = self._router.stats
        routes = {
            route: {
                "compared": stats.route(route).shadow.compared,
                "fields": stats.field_counts(route),
            }
            for route in stats.routes()
            if stats.route(route).shadow.compared
        }
        await send_json(send, 200, {"routes": routes})

    async def _flip(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        try:
            payload = json.loads(await _read(receive))
            if not isinstance(payload, dict):
                raise ValueError
        except (ValueError, UnicodeDecodeError):
            await send_error(send, 400, "Request body must be a JSON object", rid)
            return
        try:
            record = await self._router.flip(**_flip_args(payload))
        except GateRefused as exc:
            # The problems as a list: one may itself contain "; " (a parity failure's detail).
            await send_error(send, 409, str(exc), rid, details={"problems": list(exc.problems)})
            return
        except FlipError as exc:
            await send_error(send, 422, str(exc), rid)
            return
        except StateStoreUnavailable as exc:
            await send_error(send, 503, f"state store unavailable, nothing changed: {exc}", rid)
            return
        await send_json(send, 200, record.as_dict())


def _flip_args(payload: dict[str, Any]) -> dict[str, Any]:
    unknown = set(payload) - {"route", "mode", "percent", "reason", "actor", "force"}
    if unknown:
        raise FlipError(sorted(unknown)[0], "unknown field")
    for field in ("route", "mode", "reason", "actor"):
        value = payload.get(field)
        if not isinstance(value, str) or not value.strip():
            raise FlipError(field, "is required (a non-empty string)")
    try:
        route = str(parse_route(payload["route"]))
    except ValueError as exc:
        raise FlipError("route", str(exc)) from None
    try:
        mode = Mode(payload["mode"])
    except ValueError:
        choices = ", ".join(m.value for m in Mode)
        raise FlipError("mode", f"{payload['mode']!r} is not one of {choices}") from None
    percent = payload.get("percent")
    if percent is not None and (
        isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100
    ):
        raise FlipError("percent", "must be a number from 0 to 100")
    force = payload.get("force", False)
    if not isinstance(force, bool):
        raise FlipError("force", "must be true or false")
    return {
        "force": force,
        "route": route,
        "mode": mode,
        "percent": None if percent is None else float(percent),
        "actor": payload["actor"].strip(),
        "reason": payload["reason"].strip(),
    }


async def _read(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_ADMIN_BODY:
            raise ValueError("admin body too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _without_body(send: Send) -> Send:
    """`send` for a HEAD: the GET's headers (Content-Length included), an empty body."""

    async def head_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return head_send
