"""The harness reads wrk's --latency text into numbers, in milliseconds whatever unit wrk chose."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.wrk import WrkOutputError, parse_wrk_output  # noqa: E402

pytestmark = pytest.mark.unit

CLEAN = """\
Running 10s test @ http://127.0.0.1:8080/api/products/1
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.41ms    1.17ms   9.98ms   68.23%
    Req/Sec     1.15k    71.34     1.28k    72.73%
  Latency Distribution
     50%  612.00us
     75%    4.15ms
     90%    4.91ms
     99%    1.20s
  12580 requests in 10.10s, 1.52MB read
Requests/sec:   1245.54
Transfer/sec:      1.38MB
"""

WITH_ERRORS = CLEAN.replace(
    "Requests/sec:",
    "  Socket errors: connect 1, read 2, write 3, timeout 4\n"
    "  Non-2xx or 3xx responses: 17\nRequests/sec:",
)


def test_percentiles_are_converted_to_milliseconds() -> None:
    result = parse_wrk_output(CLEAN)
    assert result.p50_ms == pytest.approx(0.612)
    assert result.p75_ms == pytest.approx(4.15)
    assert result.p99_ms == pytest.approx(1200.0)
    assert (result.requests, result.rps, result.seconds) == (12580, 1245.54, 10.1)
    assert result.clean


def test_socket_errors_timeouts_and_error_statuses_make_a_run_unclean() -> None:
    result = parse_wrk_output(WITH_ERRORS)
    assert (result.socket_errors, result.timeouts, result.non_2xx_3xx) == (6, 4, 17)
    assert not result.clean


def test_output_without_the_latency_distribution_is_refused_with_the_text() -> None:
    text = CLEAN.replace("  Latency Distribution\n", "").replace("     50%  612.00us\n", "")
    with pytest.raises(WrkOutputError, match="was --latency given"):
        parse_wrk_output(text)
