"""The proxy itself: match, pick a side, forward streaming, mirror, fall back, account."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from migration_plan.plan import Mode, Plan, parse_route
from router.access_log import AccessLog
from router.body import BodyTimeout, BodyTooLarge, ClientDisconnected, RequestBody
from router.canary import goes_to_service, key_source, sticky_key
from router.credentials import UNKNOWN, Credentials, credentials_for
from router.forwarding import (
    Forwarder,
    UpstreamError,
    UpstreamRequest,
    UpstreamResponse,
    UpstreamTimeout,
)
from router.headers import (
    BadFraming,
    TrustedProxies,
    content_length,
    decode,
    host_problem,
    request_id,
    response_headers,
    traceparent,
    upstream_headers,
)
from router.metrics import RouterMetrics
from router.normalise import BadPath, request_path
from router.responses import send_error, send_not_found, send_redirect
from router.routing import REDIRECT, Resolved, RouteFlag, RouteTable
from router.settings import RouterSettings
from router.shadow import IDEMPOTENT, MAX_RESPONSE_BYTES, SAFE, BodyTee, Mirror, Shadower
from router.stats import Stats
from router.types import Headers, Receive, Scope, Send

UNMATCHED = "*"
# Methods as nginx accepts them: Werkzeug and Starlette compare methods case-sensitively, and a
# lower-case spelling must not reach a backend that folds case where the router did not.
_METHOD = re.compile(r"^[A-Z_-]{1,32}$")
# Response headers the router sets itself; an upstream's own copies are dropped.
_ROUTER_OWNED = frozenset({"x-request-id", "x-strangler-side", "x-strangler-route"})
LEGACY, EXTRACTED = "legacy", "extracted"
ROUTER = "router"  # the side of an answer the router gave before choosing a backend


@dataclass(slots=True)
class Exchange:
    """What the access log, stats and metrics learn about one request."""

    request_id: str
    method: str
    path: str
    route: str = UNMATCHED
    side: str = LEGACY
    status: int = 0
    error: bool = False


class Proxy:
    """Forwards one HTTP request according to the current route table."""

    def __init__(
        self,
        *,
        table: Callable[[], RouteTable],
        forwarder: Forwarder,
        shadower: Shadower,
        stats: Stats,
        metrics: RouterMetrics,
        settings: RouterSettings,
        access_log: AccessLog | None,
        event_log: AccessLog | None = None,
    ) -> None:
        self._table = table
        self._forwarder = forwarder
        self._shadower = shadower
        self._stats = stats
        self._metrics = metrics
        self._settings = settings
        self._access_log = access_log
        self._event_log = event_log
        self._trusted = TrustedProxies(settings.trusted_proxies)
        self._writes_nothing: tuple[Plan | None, frozenset[str]] = (None, frozenset())
        self._credential_policy: tuple[Plan | None, Credentials] = (None, UNKNOWN)

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, path: str | BadPath | None = None
    ) -> None:
        """Proxy one request; `path` is its normalised path (or why it has none), if known."""
        started = time.perf_counter()
        headers = decode(scope["headers"])
        rid = request_id(headers)
        exchange = Exchange(rid, scope["method"], scope.get("path", ""))
        self._metrics.in_flight.inc()
        try:
            await self._handle(scope, receive, send, headers, exchange, path or request_path(scope))
        finally:
            self._metrics.in_flight.dec()
            self._account(exchange, time.perf_counter() - started)

    def _account(self, ex: Exchange, seconds: float) -> None:
        latency_ms = seconds * 1000
        if ex.side != ROUTER:  # the per-side counters judge backends, not the client's refusals
            self._stats.record_request(ex.route, ex.side, latency_ms, ex.error)
        status_class = f"{ex.status // 100}xx" if ex.status else "none"
        self._metrics.observe_request(ex.route, ex.side, ex.method, status_class, seconds)
        if self._access_log is not None:
            self._access_log.info(
                "request",
                request_id=ex.request_id,
                method=ex.method,
                path=ex.path,
                route=ex.route,
                side=ex.side,
                status=ex.status,
                latency_ms=round(latency_ms, 3),
            )

    async def _fail(self, send: Send, ex: Exchange, status: int, message: str) -> None:
        ex.status, ex.error = status, status >= 500
        await send_error(send, status, message, ex.request_id, self._side_headers(ex))

    def _side_headers(self, ex: Exchange) -> list[tuple[bytes, bytes]]:
        if not self._settings.side_headers:
            return []
        return [
            (b"x-strangler-side", ex.side.encode()),
            (b"x-strangler-route", ex.route.encode("latin-1")),
        ]

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Headers,
        ex: Exchange,
        path: str | BadPath,
    ) -> None:
        table = self._table()  # read once: a reload swaps the table, never mutates it
        try:
            if isinstance(path, BadPath):
                raise path
            if not _METHOD.match(ex.method):
                raise BadPath(f"the method {ex.method!r} is not an upper-case token")
            host = host_problem(headers, scope.get("http_version", "1.1"))
            if host is not None:
                raise BadPath(host)
            length = content_length(headers)
        except (BadFraming, BadPath) as exc:
            ex.side = ROUTER
            await self._fail(send, ex, 400, f"Bad request: {exc}")
            return
        ex.path = path
        limit = self._settings.max_body_bytes
        if length is not None and length > limit:
            ex.side = ROUTER
            await self._fail(send, ex, 413, "Request body is too large")
            return
        has_body = (
            length is not None and length > 0 or any(k == "transfer-encoding" for k, _ in headers)
        )
        # The path decided on is the path forwarded (a trailing-slash spelling may become
        # its route's own spelling, or be answered here: the plan's `trailing_slash`).
        resolved = table.resolve(ex.method, path)
        if resolved.answer is not None:
            await self._answer_spelling(send, ex, resolved, scope.get("query_string", b""))
            return
        flag, path = resolved.flag, resolved.path
        client = scope.get("client")
        client_host = client[0] if client else None
        if flag is not None:
            ex.route = flag.route
            ex.side = self._pick_side(flag, headers, client_host or "")
        upstream_name = flag.service if flag is not None and ex.side == EXTRACTED else table.legacy
        query = scope.get("query_string", b"")
        target = path + ("?" + query.decode("latin-1") if query else "")
        out_headers = upstream_headers(
            headers,
            client=client_host,
            scheme=scope.get("scheme", "http"),
            request_id=ex.request_id,
            traceparent=traceparent(headers),
            trusted=self._trusted,
        )

        mirror = None
        if flag is not None and flag.mode is Mode.SHADOW:
            mirror = self._admit_mirror(
                flag, ex.method, length, has_body, table, target, out_headers
            )
        body = RequestBody(receive, limit, mirror.request if mirror else None)
        if mirror is not None and not has_body:
            mirror.request.finish()
        try:
            await self._forward(
                send, ex, flag, table, upstream_name, target, out_headers, body, has_body, mirror
            )
        finally:
            # After the answer: whatever the write committed is committed by now.
            if self._may_have_written(ex.status, flag, table):
                self._shadower.note_write(ex.method, flag.service if flag is not None else None)
            # A read's mirror starts once the user has the whole answer ("or after" in the
            # design): on two cores a concurrent mirror competes with the user's own request.
            if mirror is not None:
                self._shadower.launch(mirror)

    def _may_have_written(self, status: int, flag: RouteFlag | None, table: RouteTable) -> bool:
        """Whether an answer may have committed a write the sync now owes. A refusal (4xx)
        committed nothing (the contract: bad input changes nothing), nor does a route the plan
        lists in `shadow.writes_nothing`; counting them kept every read after a stock check in
        flight. No answer (0) or a 5xx may have committed anything."""
        if 400 <= status < 500:
            return False
        if flag is None:
            return True
        plan, quiet = self._writes_nothing
        if plan is not table.plan:  # a new plan: its list, parsed once
            quiet = frozenset(str(parse_route(r)) for r in table.plan.shadow.writes_nothing)
            self._writes_nothing = (table.plan, quiet)
        return flag.route not in quiet

    async def _answer_spelling(
        self, send: Send, ex: Exchange, resolved: Resolved, query: bytes
    ) -> None:
        """A redirect or refusal of a route's other spelling; no backend is asked."""
        assert resolved.flag is not None and resolved.answer is not None
        ex.route, ex.side, ex.status = resolved.flag.route, ROUTER, resolved.answer
        headers = [(b"x-request-id", ex.request_id.encode("latin-1")), *self._side_headers(ex)]
        if resolved.answer == REDIRECT:
            location = resolved.path + ("?" + query.decode("latin-1") if query else "")
            await send_redirect(send, location, headers)
        else:
            await send_not_found(send, headers)

    async def _forward(
        self,
        send: Send,
        ex: Exchange,
        flag: RouteFlag | None,
        table: RouteTable,
        upstream_name: str,
        target: str,
        out_headers: Headers,
        body: RequestBody,
        has_body: bool,
        mirror: Mirror | None,
    ) -> None:

        fallback = (
            flag is not None and flag.fallback and ex.side == EXTRACTED and ex.method in IDEMPOTENT
        )
        payload: bytes | None = None
        try:
            if has_body:
                # Buffered whole under the cap and one deadline before any upstream is asked:
                # an oversized body sends the upstream nothing, a slow one holds no worker.
                try:
                    async with asyncio.timeout(self._settings.body_timeout):
                        payload = await body.read()
                except TimeoutError:
                    body.error = BodyTimeout()
                    raise body.error from None
            if mirror is not None and ex.method not in SAFE:
                await self._shadower.ask_first(mirror)
            request = UpstreamRequest(
                method=ex.method,
                url=table.upstreams[upstream_name].url + target,
                headers=out_headers,
                body=payload,
                timeout=table.upstreams[upstream_name].timeout_seconds,
            )
            response = await self._send(request, upstream_name, body)
            if fallback and (isinstance(response, UpstreamError) or response.status >= 500):
                if not isinstance(response, UpstreamError):
                    await response.aclose()
                assert flag is not None
                self._stats.record_fallback(flag.route)
                self._metrics.fallbacks.labels(flag.route).inc()
                ex.side = LEGACY
                legacy = table.upstreams[table.legacy]
                request = UpstreamRequest(
                    method=ex.method,
                    url=legacy.url + target,
                    headers=out_headers,
                    body=payload,
                    timeout=legacy.timeout_seconds,
                )
                response = await self._send(request, table.legacy, body)
        except (BodyTooLarge, BodyTimeout, ClientDisconnected) as exc:
            response = UpstreamError(type(exc).__name__)
            body.error = exc
        if isinstance(response, UpstreamError):
            if mirror is not None:
                mirror.request.abort()
                mirror.response.abort()
                _resolve(mirror, 0)
            if isinstance(body.error, BodyTooLarge):
                ex.side = ROUTER
                await self._fail(send, ex, 413, "Request body is too large")
            elif isinstance(body.error, BodyTimeout):
                ex.side = ROUTER
                await self._fail(send, ex, 408, "The request body did not arrive in time")
            elif isinstance(body.error, ClientDisconnected):
                ex.status = 499
            elif response.status == 504:
                await self._fail(send, ex, 504, f"{upstream_name} did not answer in time")
            else:
                await self._fail(send, ex, 502, f"{upstream_name} is unavailable")
            return
        try:
            await self._stream_back(send, response, ex, mirror)
        finally:
            if mirror is not None:
                mirror.request.abort()  # no-op when the body was read whole

    def _pick_side(self, flag: RouteFlag, headers: Headers, client: str) -> str:
        if flag.mode is Mode.EXTRACTED:
            return EXTRACTED
        if flag.mode is Mode.CANARY:
            key = sticky_key(flag.sticky_key, dict(headers), client)
            self._stats.record_canary_key(flag.route, key_source(key))
            return EXTRACTED if goes_to_service(key, flag.canary_percent) else LEGACY
        return LEGACY

    def _admit_mirror(
        self,
        flag: RouteFlag,
        method: str,
        length: int | None,
        has_body: bool,
        table: RouteTable,
        target: str,
        headers: Headers,
    ) -> Mirror | None:
        shadow = table.shadow
        admitted = self._shadower.admit(
            route=flag.route,
            method=method,
            dry_run=flag.dry_run,
            sample_rate=flag.shadow_sample_rate,
            content_length=length if has_body else 0,
            max_body_bytes=shadow.max_body_bytes,
            max_concurrency=shadow.max_concurrency,
        )
        if not admitted:
            return None
        service = table.upstreams[flag.service]
        reads = table.shadow.reads
        return Mirror(
            route=flag.route,
            method=method,
            url=service.url + target,
            headers=headers,
            timeout=shadow.timeout_seconds,
            legacy_timeout=table.upstreams[table.legacy].timeout_seconds,
            parity=flag.parity,
            request=BodyTee(shadow.max_body_bytes),
            response=BodyTee(MAX_RESPONSE_BYTES),
            shows=frozenset((flag.service, *reads[flag.service]))
            if flag.service in reads
            else None,
            credentials=self._credentials(table),
        )

    def _credentials(self, table: RouteTable) -> Credentials:
        plan, credentials = self._credential_policy
        if plan is not table.plan:  # a new plan: its policy, its hook imported once
            credentials = credentials_for(table.plan.shadow)
            self._credential_policy = (table.plan, credentials)
        return credentials

    async def _send(
        self, request: UpstreamRequest, upstream: str, body: RequestBody
    ) -> UpstreamResponse | UpstreamError:
        try:
            # One deadline per attempt (connect, send, status and headers) that no slow
            # upstream or forwarder setting can stretch.
            try:
                async with asyncio.timeout(request.timeout):
                    return await self._forwarder.send(request)
            except TimeoutError:
                raise UpstreamTimeout(
                    f"{request.url} did not answer in {request.timeout}s"
                ) from None
        except UpstreamError as exc:
            if body.error is not None:
                raise body.error from exc
            self._metrics.upstream_errors.labels(upstream, exc.kind).inc()
            self._log_upstream_error(request, upstream, exc.kind, str(exc))
            return exc
        except Exception as exc:  # a client library error we did not map: still a 502
            if body.error is not None:
                raise body.error from exc
            self._metrics.upstream_errors.labels(upstream, "unexpected").inc()
            self._log_upstream_error(request, upstream, "unexpected", repr(exc))
            return UpstreamError(repr(exc))

    def _log_upstream_error(
        self, request: UpstreamRequest, upstream: str, kind: str, detail: str
    ) -> None:
        if self._event_log is not None:
            rid = next((v for k, v in request.headers if k == "x-request-id"), "")
            self._event_log.warning(
                "upstream_error",
                request_id=rid,
                upstream=upstream,
                kind=kind,
                method=request.method,
                url=request.url,
                detail=detail,
            )

    async def _stream_back(
        self, send: Send, response: UpstreamResponse, ex: Exchange, mirror: Mirror | None
    ) -> None:
        ex.status = response.status
        ex.error = response.status >= 500
        headers = [h for h in response.headers if h[0] not in _ROUTER_OWNED]
        out = response_headers(headers)
        out.append((b"x-request-id", ex.request_id.encode("latin-1")))
        out.extend(self._side_headers(ex))
        if mirror is not None:
            _resolve(mirror, response.status, response.headers)
        # With a declared length the last chunk is known when it arrives, which saves the
        # server one empty write per response; otherwise the end is an empty message.
        remaining = _declared_length(headers) if ex.method != "HEAD" else None
        finished = False
        try:
            await send({"type": "http.response.start", "status": response.status, "headers": out})
            async for chunk in response.chunks():
                if mirror is not None:
                    mirror.response.feed(chunk)
                if chunk and not finished:
                    if remaining is not None:
                        remaining -= len(chunk)
                        finished = remaining <= 0
                    await send(
                        {"type": "http.response.body", "body": chunk, "more_body": not finished}
                    )
            if not finished:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            if mirror is not None:
                mirror.response.finish()
        except BaseException:
            ex.error = True
            if mirror is not None:
                mirror.response.abort()
            raise  # the response has started: the server must abort the connection
        finally:
            await response.aclose()


def _declared_length(headers: Headers) -> int | None:
    for name, value in headers:
        if name == "content-length":
            return int(value) if value.isdigit() else None
    return None


def _resolve(mirror: Mirror, status: int, headers: Headers | None = None) -> None:
    if not mirror.legacy_status.done():
        mirror.legacy_status.set_result((status, headers or []))
