"""Benchmark the router side by side with direct, nginx and bare Python proxies; print ratios.

Run from the repository root: `bench/run` or `.venv/bin/python -m bench.run --help`.
Never exits non-zero because a target was missed: timings on a shared 2-core box are noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from bench import report
from bench.backends import BACKENDS, BackendUnavailable
from bench.cases import CASES, Backend, Case, Options, select
from bench.machine import describe_code, describe_machine
from bench.procs import Server, running
from bench.rounds import combine_rounds
from bench.wrk import Wrk, WrkOutputError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "latest.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    names = ", ".join(case.name for case in CASES)
    p = argparse.ArgumentParser(
        prog="bench/run", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("-d", "--duration", type=int, default=10, help="seconds per loaded run (10)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per case (2)")
    p.add_argument("--c1-duration", type=int, default=5, help="seconds at concurrency 1 (5)")
    p.add_argument("-c", "--connections", type=int, default=64, help="wrk connections (64)")
    p.add_argument("-t", "--threads", type=int, default=1, help="wrk threads (1)")
    p.add_argument(
        "--wrk-cpu",
        default="0",
        help="CPU to pin wrk to with taskset, or 'none' (0); servers are not pinned",
    )
    # Paced: 4 connections x (10 ms pause + latency) is at most ~400 req/s, well under what one
    # router worker serves here, so p50 shows per-request cost rather than queueing.
    p.add_argument(
        "--pace-connections", type=int, default=4, help="connections of the paced run (4)"
    )
    p.add_argument(
        "--pace-ms", type=int, default=10, help="pause per connection between requests (10)"
    )
    p.add_argument(
        "-r", "--rounds", type=int, default=1, help="repeat every case, report medians (1)"
    )
    p.add_argument("--cases", default="*", help=f"comma-separated patterns (*). Cases: {names}")
    p.add_argument("--nginx-workers", type=int, default=2, help="nginx worker_processes (2)")
    p.add_argument(
        "--uvicorn-arg",
        action="append",
        default=[],
        help="extra argument for the lean proxies' uvicorn, e.g. --uvicorn-arg=--http=h11",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness for the harness and all it starts (0); negative needs root and takes\n"
        "CPU from whoever else uses the box, for steadier numbers on a shared machine",
    )
    p.add_argument("--router-access-log", action="store_true", help="keep the router's access log")
    p.add_argument("--keep-work-dir", action="store_true", help="keep logs, configs and plans")
    p.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT, help="results JSON")
    return p.parse_args(argv)


def missing_needs(case: Case) -> str | None:
    """Why a case cannot run here, or None."""
    for need in case.needs:
        reason = NEEDS[need]()
        if reason:
            return reason
    return None


def _need_nginx() -> str | None:
    return None if shutil.which("nginx") or Path("/usr/sbin/nginx").exists() else "nginx absent"


def _need_router() -> str | None:
    try:
        from router.app import create_app  # noqa: F401
    except Exception as exc:  # any failure while the router is being written means "not yet"
        return f"router.app.create_app not importable ({type(exc).__name__}: {exc})"
    return None


def _need_monolith() -> str | None:
    try:
        from legacy_monolith import create_app  # noqa: F401
    except Exception as exc:
        return f"legacy_monolith.create_app not importable ({type(exc).__name__}: {exc})"
    return None


NEEDS = {"nginx": _need_nginx, "router": _need_router, "monolith": _need_monolith}


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def measure(
    case: Case, servers: list[Server], port: int, path: str, wrk: Wrk, args: argparse.Namespace
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}{path}"
    if args.warmup > 0:
        wrk.run(url, args.connections, args.warmup)
    out: dict[str, Any] = {"loadavg_1m_before": round(os.getloadavg()[0], 2)}
    cpu_before = sum(server.cpu_seconds() for server in servers)
    loaded = wrk.run(url, args.connections, args.duration)
    cpu = sum(server.cpu_seconds() for server in servers) - cpu_before
    out["loaded"] = loaded.as_dict()
    # CPU per request of the proxy in front: unlike req/s, barely moved by other load on the box.
    if servers and loaded.requests:
        out["loaded"]["front_cpu_us_per_req"] = round(cpu / loaded.requests * 1e6, 1)
    out["c1"] = wrk.run(url, 1, args.c1_duration).as_dict()
    if case.paced:
        paced = wrk.run(url, args.pace_connections, args.duration, pace_ms=args.pace_ms)
        out["paced"] = paced.as_dict()
    return out


def run_once(
    case: Case, backend: Backend, options: Options, wrk: Wrk, args: argparse.Namespace
) -> dict[str, Any]:
    """Start the case's front servers, measure, stop them; a failure is recorded, not raised."""
    servers, port = case.front(backend, options, options.work_dir)
    try:
        with running(*servers):
            result = measure(case, servers, port, backend.path, wrk, args)
    except (WrkOutputError, RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"FAIL {case.name}: {exc}", flush=True)
        return {"failed": str(exc)}
    loaded, c1 = result["loaded"], result["c1"]
    print(
        f"     {loaded['rps']:.0f} req/s, p50 {loaded['p50_ms']:.2f} ms, "
        f"p99 {loaded['p99_ms']:.2f} ms, c1 p50 {c1['p50_ms']:.3f} ms "
        f"(load avg {result['loadavg_1m_before']})",
        flush=True,
    )
    return result


def run_cases(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    cases = select([p.strip() for p in args.cases.split(",") if p.strip()])
    if not cases:
        raise SystemExit(f"no case matches --cases {args.cases!r}")
    cpu = None if args.wrk_cpu == "none" or (os.cpu_count() or 1) < 2 else int(args.wrk_cpu)
    wrk = Wrk(shutil.which("wrk") or "wrk", args.threads, cpu, work_dir)
    options = Options(
        work_dir=work_dir,
        nginx=nginx_binary(),
        nginx_workers=args.nginx_workers,
        uvicorn_args=tuple(args.uvicorn_arg),
        router_access_log=args.router_access_log,
    )
    results: dict[str, Any] = {}
    for group in dict.fromkeys(case.group for case in cases):
        runnable = []
        for case in (case for case in cases if case.group == group):
            reason = missing_needs(case)
            if reason:
                results[case.name] = {"skipped": reason}
                print(f"SKIP {case.name}: {reason}", flush=True)
            else:
                runnable.append(case)
        if not runnable:
            continue
        with contextlib.ExitStack() as stack:
            try:
                backend = stack.enter_context(BACKENDS[group](work_dir))
            except (BackendUnavailable, RuntimeError) as exc:
                # Unavailable (cannot seed) is a skip; a backend that would not start is a failure.
                why = "skipped" if isinstance(exc, BackendUnavailable) else "failed"
                for case in runnable:
                    results[case.name] = {why: str(exc)}
                    print(f"{why.upper()[:4]} {case.name}: {exc}", flush=True)
                continue
            rounds: dict[str, list[dict[str, Any]]] = {case.name: [] for case in runnable}
            for number in range(args.rounds):
                # Every other round runs backwards, so slow drift in the box's load (other
                # people's tests) does not always favour the cases that come first.
                for case in runnable if number % 2 == 0 else runnable[::-1]:
                    print(
                        f"RUN  {case.name} [{number + 1}/{args.rounds}]: {case.describe}",
                        flush=True,
                    )
                    rounds[case.name].append(run_once(case, backend, options, wrk, args))
            for name, runs in rounds.items():
                results[name] = combine_rounds(runs)
    return {case.name: results[case.name] for case in cases if case.name in results}


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Make SIGTERM unwind like Ctrl-C, so every server started so far is stopped."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    if args.nice:
        os.nice(args.nice)  # inherited by every server and every wrk run
    work_dir = Path(tempfile.mkdtemp(prefix="strangler-bench-"))
    started = time.time()
    try:
        with terminate_as_interrupt():
            results = run_cases(args, work_dir)
    except KeyboardInterrupt:
        print("interrupted: servers stopped", file=sys.stderr)
        return 130
    finally:
        if args.keep_work_dir:
            print(f"work dir kept: {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    ratio_values = report.ratios(results)
    evaluated = report.evaluate(ratio_values)
    document = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "elapsed_seconds": round(time.time() - started, 1),
        "machine": describe_machine(),
        "code": describe_code(str(ROOT)),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "cases": results,
        "ratios": ratio_values,
        "targets": evaluated,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print()
    print(report.table(results))
    print("\nratios:")
    print(report.ratio_lines(ratio_values))
    print("\ntargets (a MISS never fails the run):")
    print(report.target_lines(evaluated))
    print(f"\nwritten: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
