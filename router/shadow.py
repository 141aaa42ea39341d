"""Shadow mode: mirror a request to the service and compare, entirely off the user's response path.

The user's answer is legacy's. A mirror is admitted only if the method may be mirrored (reads, or
writes on `dry_run` routes), the sample rate picks it, its body fits the cap, and fewer than
`max_concurrency` mirrors are running; otherwise it is counted and skipped. Each mirror runs in its
own task under its own timeout and carries `X-Strangler-Shadow: 1`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from migration_plan.parity import ObservedResponse, ParityRules, compare_responses
from migration_plan.parity.capture import entry_from_mirror
from migration_plan.parity.corpus import CorpusRecorder
from migration_plan.parity.redact import default_redactor
from router.credentials import UNKNOWN, Credentials, only_the_credential_differs, swapped
from router.forwarding import Forwarder, UpstreamError, UpstreamRequest
from router.in_flight import RecentWrites
from router.metrics import RouterMetrics
from router.stats import Stats, redact_body, redact_headers
from router.types import Headers

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
SHADOW_HEADER = ("x-strangler-shadow", "1")
MAX_RESPONSE_BYTES = 1024 * 1024  # larger answers are not compared


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of comparing the two answers."""

    matched: bool
    differences: tuple[str, ...] = ()
    # (where, kind) of each difference, and (where, rule) of what a plan rule explained
    found: tuple[tuple[str, str], ...] = ()
    explained: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Observed:
    status: int
    headers: Headers
    body: bytes


Comparator = Callable[[Observed, Observed, ParityRules], Verdict]


def parity_comparator(legacy: Observed, extracted: Observed, rules: ParityRules) -> Verdict:
    """Compare with the parity engine (`migration_plan.parity`)."""

    def observed(o: Observed) -> ObservedResponse:
        headers: dict[str, str] = {}
        for name, value in o.headers:  # a repeated header is one value, as RFC 9110 joins it
            name = name.lower()
            joiner = "\n" if name == "set-cookie" else ", "  # cookie dates have commas
            headers[name] = headers[name] + joiner + value if name in headers else value
        return ObservedResponse(status=o.status, headers=headers, body=o.body)

    result = compare_responses(observed(legacy), observed(extracted), rules)
    return Verdict(
        result.matched,
        tuple(str(d) for d in result.differences),
        tuple((d.path, d.kind) for d in result.differences),
        tuple((e.path, e.rule) for e in result.explained),
    )


class BodyTee:
    """Keeps a copy of a streamed body up to `limit` bytes; past it, the copy is dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._chunks: list[bytes] = []
        self._size = 0
        self.overflowed = False
        self.done: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()

    def feed(self, chunk: bytes) -> None:
        if self.overflowed:
            return
        self._size += len(chunk)
        if self._size > self.limit:
            self.overflowed = True
            self._chunks.clear()
        else:
            self._chunks.append(chunk)

    def finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None if self.overflowed else b"".join(self._chunks))

    def abort(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


@dataclass(slots=True)
class Mirror:
    """One admitted mirror: the tees the proxy fills while it answers from legacy."""

    route: str
    method: str
    url: str
    headers: Headers
    timeout: float
    legacy_timeout: float
    parity: ParityRules
    request: BodyTee
    response: BodyTee
    legacy_status: asyncio.Future[tuple[int, Headers]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    asked: Observed | str | None = None  # a write's answer, asked before legacy (`ask_first`)
    shows: frozenset[str] | None = None  # whose data the answer shows (None: anyone's)
    owed: bool = False  # the sync still owed a write it shows when the service answered
    credentials: Credentials = UNKNOWN  # the plan's `shadow.credentials`


class Shadower:
    """Admits, runs and compares mirrors; owns their tasks and the concurrency count."""

    def __init__(
        self,
        forwarder: Forwarder,
        stats: Stats,
        metrics: RouterMetrics,
        comparator: Comparator = parity_comparator,
        sample: Callable[[], float] = random.random,
        recorder: CorpusRecorder | None = None,
        recent_writes: RecentWrites | None = None,
    ) -> None:
        self._forwarder = forwarder
        self.recent_writes = recent_writes  # off when None: every difference is a mismatch
        self._recorder = recorder  # capture corpus (off when None); written by its own thread
        self._stats = stats
        self._metrics = metrics
        self._comparator = comparator
        self._sample = sample
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def active(self) -> int:
        return self._active

    def _skip(self, route: str, outcome: str) -> None:
        self._stats.record_shadow(route, outcome)
        self._metrics.shadow_dropped.labels(route, outcome).inc()

    def admit(
        self,
        *,
        route: str,
        method: str,
        dry_run: bool,
        sample_rate: float,
        content_length: int | None,
        max_body_bytes: int,
        max_concurrency: int,
    ) -> bool:
        """Whether to mirror this request; every refusal is counted under its reason."""
        if method not in SAFE and not dry_run:
            self._stats.record_shadow(route, "not_shadowable")
            self._metrics.not_shadowable.labels(route, method).inc()
            return False
        if sample_rate < 1.0 and self._sample() >= sample_rate:
            self._stats.record_shadow(route, "sampled_out")
            return False
        if content_length is not None and content_length > max_body_bytes:
            self._skip(route, "too_large")
            return False
        if self._active >= max_concurrency:
            self._skip(route, "dropped")
            return False
        return True

    def launch(self, mirror: Mirror) -> None:
        """Run `mirror` in the background; the caller never awaits it."""
        self._active += 1
        task = asyncio.create_task(self._run(mirror))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._recorder is not None:
            await asyncio.to_thread(self._recorder.close)

    async def drain(self) -> None:
        """Wait for running mirrors (tests and graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _run(self, mirror: Mirror) -> None:
        try:
            await self._mirror_and_compare(mirror)
        except asyncio.CancelledError:
            raise
        except Exception:  # a mirror must never take anything else down
            self._skip(mirror.route, "failed")
            self._metrics.upstream_errors.labels("shadow", "unexpected").inc()
        finally:
            self._active -= 1

    async def ask_first(self, mirror: Mirror) -> None:
        """A mirrored write asks the service (dry run) before legacy is asked, so both answer on
        the state before the write: after it, the sync may already have copied legacy's write
        (a second register is a 409) or legacy may have undone what the write needs (a logout's
        session). The user's request waits for it, at most the shadow timeout. Called once the
        user's body is read whole, so the copy's fate is known."""
        copy = mirror.request.done.result() if mirror.request.done.done() else None
        if copy is None:  # over the shadow cap: the mirror is skipped in `_mirror_and_compare`
            return
        mirror.asked = await self._ask(mirror, copy)

    async def _ask(self, mirror: Mirror, body: bytes) -> Observed | str:
        """The service's answer, or the outcome that stands for it (`failed`, `too_large`)."""
        headers = swapped(mirror.credentials, mirror.headers)
        if headers is None:  # the hook knows no service credential for this caller
            return "credentials"
        recent = self.recent_writes
        watermark = None if recent is None else await recent.watermark()  # before it answers
        try:
            async with asyncio.timeout(mirror.timeout):
                extracted = await self._fetch(mirror, body, headers)
        except (UpstreamError, TimeoutError) as exc:
            self._metrics.upstream_errors.labels("shadow", getattr(exc, "kind", "timeout")).inc()
            return "failed"
        # Decided now, on the writes answered before the service's answer: a write mirrored
        # first is answered later, and its own write is not one the service could have seen.
        mirror.owed = recent is not None and recent.owed(watermark, mirror.shows)
        return "too_large" if extracted is None else extracted

    async def _mirror_and_compare(self, mirror: Mirror) -> None:
        body = await mirror.request.done
        if body is None:  # over the cap, or the user's request never completed
            self._skip(mirror.route, "too_large" if mirror.request.overflowed else "failed")
            return
        self._stats.record_shadow(mirror.route, "mirrored")
        extracted = mirror.asked if mirror.asked is not None else await self._ask(mirror, body)
        if isinstance(extracted, str):
            self._skip(mirror.route, extracted)
            return
        try:
            async with asyncio.timeout(mirror.legacy_timeout + mirror.timeout):
                status, headers = await mirror.legacy_status
                legacy_body = await mirror.response.done
        except TimeoutError:
            self._skip(mirror.route, "failed")
            return
        if legacy_body is None:  # legacy failed, or answered more than we keep
            self._skip(mirror.route, "too_large" if mirror.response.overflowed else "failed")
            return
        legacy = Observed(status, headers, legacy_body)
        verdict = self._comparator(legacy, extracted, mirror.parity)
        if not verdict.matched and not mirror.credentials.known:
            if only_the_credential_differs(mirror.headers, status, extracted.status):
                self._skip(mirror.route, "credentials")  # each side knows its own tokens only
                return
        if verdict.matched:
            outcome = "explained" if verdict.explained else "match"
        elif mirror.owed:
            outcome = "in_flight"  # the service answered before the sync had applied a write
        else:
            outcome = "mismatch"
        self._metrics.shadow_outcomes.labels(mirror.route, outcome).inc()
        if outcome == "in_flight":  # not a comparison: the gates never count it
            self._stats.record_shadow(mirror.route, "in_flight")
        else:
            # An explained answer agrees under a plan rule that still checked its values.
            self._stats.record_shadow(mirror.route, "compared")
            self._metrics.shadow_comparisons.labels(mirror.route).inc()
            for where, kind in self._stats.record_fields(
                mirror.route, verdict.found, verdict.explained
            ):
                self._metrics.shadow_fields.labels(mirror.route, where, kind).inc()
        if outcome == "explained":
            self._stats.record_shadow(mirror.route, "explained")
        if outcome == "mismatch":
            self._stats.record_shadow(mirror.route, "mismatched")
            self._metrics.shadow_mismatches.labels(mirror.route).inc()
            self._stats.record_mismatch_example(
                mirror.route, _example(mirror, body, legacy, extracted, verdict)
            )
        # After the comparison, so a capture problem can never cost one.
        if self._recorder is not None and self._recorder.wants():
            self._recorder.offer(
                entry_from_mirror(
                    mirror.route, mirror.method, mirror.url, mirror.headers, body, status,
                    headers, legacy_body,
                )
            )  # fmt: skip

    def note_write(self, method: str, service: str | None) -> None:
        """A write's answer came back through the router (from either side) on a route of
        `service` (None: a route the plan does not name)."""
        if self.recent_writes is not None and method not in SAFE:
            self.recent_writes.wrote(service)

    async def _fetch(self, mirror: Mirror, body: bytes, headers: Headers) -> Observed | None:
        request = UpstreamRequest(
            method=mirror.method,
            url=mirror.url,
            headers=[*headers, SHADOW_HEADER],
            body=body if body or mirror.method not in SAFE else None,
            timeout=mirror.timeout,
        )
        response = await self._forwarder.send(request)
        try:
            tee = BodyTee(MAX_RESPONSE_BYTES)
            async for chunk in response.chunks():
                tee.feed(chunk)
                if tee.overflowed:
                    return None
            tee.finish()
            data = await tee.done
            return None if data is None else Observed(response.status, response.headers, data)
        finally:
            await response.aclose()


def _example(
    mirror: Mirror, body: bytes, legacy: Observed, extracted: Observed, verdict: Verdict
) -> dict[str, Any]:
    headers: Mapping[str, str] = dict(mirror.headers)
    rules = mirror.parity
    sensitive = rules.is_sensitive if rules.sensitive else None

    def side(o: Observed) -> dict[str, Any]:
        return {
            "status": o.status,
            "headers": redact_headers(o.headers),
            "body": redact_body(o.body, sensitive=sensitive),
        }

    return {
        "at": time.time(),
        "route": mirror.route,
        "request_id": headers.get("x-request-id", ""),
        "method": mirror.method,
        "url": default_redactor().text(mirror.url),  # a query string may carry an email
        "request_headers": redact_headers(mirror.headers),
        "request_body": redact_body(body, sensitive=sensitive),
        "differences": _redacted_differences(verdict),
        "legacy": side(legacy),
        "extracted": side(extracted),
    }


def _redacted_differences(verdict: Verdict) -> list[str]:
    """The verdict's lines redacted once more: the engine's already are (plan-sensitive places
    included), another comparator's may not be."""
    redactor = default_redactor()
    return [redactor.text(line) for line in verdict.differences]
