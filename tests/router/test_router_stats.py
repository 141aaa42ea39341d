"""Per-route stats in one place: counters, sliding windows, redacted mismatch examples."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from migration_plan.parity.redact import MARK
from router.stats import MAX_FIELDS_PER_ROUTE, OTHER_FIELDS, Stats, redact_body, redact_headers

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_requests_and_errors_are_counted_per_route_and_side() -> None:
    stats = Stats()
    stats.record_request("GET /a", "legacy", 5.0, error=False)
    stats.record_request("GET /a", "extracted", 7.0, error=True)
    stats.record_request("GET /a", "extracted", 9.0, error=False)
    sides = stats.snapshot("GET /a")["sides"]
    assert sides["legacy"]["requests"] == 1 and sides["legacy"]["errors"] == 0
    assert sides["extracted"]["requests"] == 2 and sides["extracted"]["errors"] == 1
    assert sides["extracted"]["window"]["error_rate"] == 0.5


def test_the_sliding_window_forgets_old_samples_but_totals_do_not() -> None:
    clock = Clock()
    stats = Stats(window_seconds=60, clock=clock)
    for latency in range(1, 101):
        stats.record_request("GET /a", "legacy", float(latency), error=latency > 95)
    window = stats.snapshot("GET /a")["sides"]["legacy"]["window"]
    assert window["requests"] == 100 and window["errors"] == 5
    assert window["p50_ms"] == 51 and window["p99_ms"] == 100
    clock.now += 61
    stats.record_request("GET /a", "legacy", 3.0, error=False)
    side = stats.snapshot("GET /a")["sides"]["legacy"]
    assert side["requests"] == 101
    assert side["window"]["requests"] == 1 and side["window"]["p99_ms"] == 3.0


def test_shadow_outcomes_fallbacks_and_examples_are_kept_per_route() -> None:
    stats = Stats()
    stats.record_shadow("GET /a", "compared")
    stats.record_shadow("GET /a", "mismatched")
    stats.record_fallback("GET /a")
    for i in range(25):
        stats.record_mismatch_example("GET /a", {"n": i})
    snapshot = stats.snapshot("GET /a")
    assert snapshot["shadow"]["compared"] == 1 and snapshot["shadow"]["mismatched"] == 1
    assert snapshot["fallbacks"] == 1
    examples = stats.mismatch_examples("GET /a")
    assert len(examples) == 20 and examples[0] == {"n": 24}  # newest first, bounded


def test_secret_headers_are_redacted() -> None:
    redacted = redact_headers(
        [
            ("Authorization", "Bearer t"),
            ("cookie", "sid=1"),
            ("Set-Cookie", "sid=2"),
            ("accept", "*/*"),
        ]
    )
    # Credentials and cookie values are keyed marks; schemes and cookie names stay readable.
    assert re.fullmatch(rf"Bearer {MARK.pattern}", redacted["Authorization"])
    assert re.fullmatch(rf"sid={MARK.pattern}", redacted["cookie"])
    assert re.fullmatch(rf"sid={MARK.pattern}", redacted["Set-Cookie"])
    assert redacted["accept"] == "*/*"


def test_password_and_token_fields_are_redacted_at_any_depth() -> None:
    body = {
        "email": "a@b.c",
        "password": "hunter22",
        "nested": [{"new_password": "x", "token": "t"}],
    }
    redacted = json.loads(redact_body(json.dumps(body).encode()))
    assert MARK.fullmatch(redacted["password"])
    assert [sorted(item) for item in redacted["nested"]] == [["new_password", "token"]]
    assert all(MARK.fullmatch(value) for value in redacted["nested"][0].values())
    assert "hunter22" not in str(redacted) and '"t"' not in json.dumps(redacted)
    assert redact_body(b"not json \xff") == "not json \ufffd"


MULTIPROC_WORKER = """
from router.metrics import RouterMetrics
m = RouterMetrics()
m.requests.labels("GET /a", "legacy", "GET", "2xx").inc({n})
m.in_flight.inc()
m.latency.labels("GET /a", "legacy").observe(0.01)
"""


def test_metrics_from_several_workers_are_summed_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in (2, 3):
        subprocess.run(
            [sys.executable, "-c", MULTIPROC_WORKER.format(n=n)], env=env, check=True, timeout=60
        )
    render = "from router.metrics import RouterMetrics; print(RouterMetrics().render()[0].decode())"
    out = subprocess.run(
        [sys.executable, "-c", render], env=env, check=True, capture_output=True, timeout=60
    ).stdout.decode()
    assert (
        'strangler_router_requests_total{method="GET",route="GET /a",side="legacy",'
        'status_class="2xx"} 5.0' in out
    )
    assert (
        'strangler_router_request_duration_seconds_count{route="GET /a",side="legacy"} 2.0' in out
    )


def test_field_counts_are_bounded_per_route() -> None:
    stats = Stats()
    for i in range(MAX_FIELDS_PER_ROUTE + 50):
        stats.record_fields("GET /x", [(f"/f{i}", "value"), ("/items/7/id", "missing")])
    counts = {(row["where"], row["kind"]): row["count"] for row in stats.field_counts("GET /x")}
    assert len(counts) == MAX_FIELDS_PER_ROUTE + 1  # the cap, and the pool for the rest
    assert counts[("/items/*/id", "missing")] == MAX_FIELDS_PER_ROUTE + 50  # indices as *
    assert counts[(OTHER_FIELDS, "value")] == 51
