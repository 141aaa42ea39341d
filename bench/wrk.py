"""Run wrk against one URL and turn its `--latency` text into numbers."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"

# wrk calls delay() before each request: every connection waits this long between its requests,
# so the offered load is about connections * 1000 / (pace_ms + latency) per second.
PACE_LUA = """\
local pace_ms = 10
function init(args)
  if args[1] then pace_ms = tonumber(args[1]) end
end
function delay()
  return pace_ms
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    socket_errors: int
    timeouts: int
    non_2xx_3xx: int

    @property
    def clean(self) -> bool:
        """No socket errors, timeouts or error statuses: only then do the numbers mean proxying."""
        return self.socket_errors == 0 and self.timeouts == 0 and self.non_2xx_3xx == 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class WrkOutputError(ValueError):
    """wrk printed something this parser does not understand; the message quotes it."""


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_MS[unit]


def parse_wrk_output(text: str) -> WrkResult:
    """Parse wrk 4.x output produced with --latency."""
    percentiles: dict[str, float] = {}
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+" + _DURATION + r"\s*$", text, re.M):
        percentiles[pct] = _ms(value, unit)
    total = re.search(r"^\s*(\d+) requests in " + _DURATION + ",", text, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if total is None or rps is None or set(percentiles) != {"50", "75", "90", "99"}:
        raise WrkOutputError(f"cannot read wrk output (was --latency given?):\n{text}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    connect, read, write, timeout = (int(g) for g in errors.groups()) if errors else (0, 0, 0, 0)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2), total.group(3)) / 1000.0,
        rps=float(rps.group(1)),
        p50_ms=percentiles["50"],
        p75_ms=percentiles["75"],
        p90_ms=percentiles["90"],
        p99_ms=percentiles["99"],
        socket_errors=connect + read + write,
        timeouts=timeout,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


@dataclass(frozen=True)
class Wrk:
    """How to invoke wrk: which binary, with how many threads, pinned to which CPU (or not)."""

    binary: str = "wrk"
    threads: int = 1
    cpu: int | None = 0
    script_dir: Path | None = None

    def argv(
        self, url: str, connections: int, seconds: int, pace_ms: int | None = None
    ) -> list[str]:
        argv = [self.binary, f"-t{min(self.threads, connections)}", f"-c{connections}"]
        argv += [f"-d{seconds}s", "--latency", "--timeout", "10s"]
        if pace_ms is not None:
            assert self.script_dir is not None, "pacing needs a script_dir for the Lua file"
            script = self.script_dir / "pace.lua"
            script.write_text(PACE_LUA)
            argv += ["-s", str(script), url, "--", str(pace_ms)]
        else:
            argv.append(url)
        if self.cpu is not None and shutil.which("taskset"):
            argv = ["taskset", "-c", str(self.cpu), *argv]
        return argv

    def run(
        self, url: str, connections: int, seconds: int, pace_ms: int | None = None
    ) -> WrkResult:
        argv = self.argv(url, connections, seconds, pace_ms)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
        if done.returncode != 0:
            raise WrkOutputError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr}")
        return parse_wrk_output(done.stdout)
