"""Profile the router (1 worker) or the lean proxy under wrk load with py-spy: where CPU time goes.

Run from the repository root: `.venv/bin/python -m bench.profile --help` (py-spy: dev extra).
Writes the raw collapsed stacks under bench/results/ for a closer look (e.g. with flamegraph.pl).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.backends import trivial
from bench.cases import FrontFactory, Options, lean_front, router_front
from bench.procs import running

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def module_of(filename: str) -> str:
    """Group a frame's file into what owns it: router, aiohttp, uvicorn, asyncio, ..."""
    parts = Path(filename).parts
    owners = ("router", "bench", "migration_plan", "aiohttp", "httpx", "httpcore", "anyio")
    for owner in (*owners, "uvicorn", "h11", "yarl"):
        if owner in parts:
            return owner
    if "asyncio" in parts:
        return "asyncio"
    return parts[0] if len(parts) > 1 else "stdlib/other"


def summarise(collapsed: str, top: int) -> str:
    """Self and inclusive time per function, and self time per owner, from py-spy's raw format."""
    self_time: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    owners: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        self_time[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
        match = _FRAME.match(frames[-1])
        owners[module_of(match.group("file")) if match else "?"] += count
    # The server's own code (router/ or bench/): where the time below the ASGI entry goes.
    own = collections.Counter(
        {
            frame: n
            for frame, n in inclusive.items()
            if (m := _FRAME.match(frame)) and module_of(m.group("file")) in ("router", "bench")
        }
    )
    if not total:
        return "no samples (was the router busy? is ptrace allowed?)"

    def rows(counter: collections.Counter[str]) -> list[str]:
        return [f"  {100 * n / total:5.1f}%  {name}" for name, n in counter.most_common(top)]

    return "\n".join(
        [f"{total} samples", "self time by owner:", *rows(owners)]
        + ["self time by function:", *rows(self_time)]
        + ["inclusive time of the proxy's own functions:", *rows(own)]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    p.add_argument("-d", "--duration", type=int, default=10, help="seconds sampled (10)")
    p.add_argument("-c", "--connections", type=int, default=64, help="wrk connections (64)")
    p.add_argument("--shadow", action="store_true", help="the benched route in shadow mode")
    p.add_argument(
        "--lean",
        choices=("aiohttp", "httpx"),
        help="profile the bare proxy over this client (bench/lean_*proxy.py) instead",
    )
    p.add_argument("--top", type=int, default=15, help="rows per table (15)")
    p.add_argument("--rate", type=int, default=200, help="py-spy samples per second (200)")
    args = p.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists() or not shutil.which("wrk"):
        print("needs py-spy (pip install -e '.[dev]') and wrk (apt-get install wrk)")
        return 2
    work_dir = Path(tempfile.mkdtemp(prefix="strangler-profile-"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    label = f"lean-{args.lean}" if args.lean else f"router-{'shadow' if args.shadow else 'legacy'}"
    raw = RESULTS / f"profile-{label}.txt"
    module = {"aiohttp": "lean_proxy", "httpx": "lean_httpx_proxy"}.get(args.lean or "", "")
    front: FrontFactory = lean_front(module) if module else router_front(1, args.shadow)
    options = Options(work_dir, "nginx", 1, (), router_access_log=False)
    try:
        with trivial(work_dir) as backend:
            servers, port = front(backend, options, work_dir)
            with running(*servers):
                router = servers[0].process
                assert router is not None
                url = f"http://127.0.0.1:{port}{backend.path}"
                load = subprocess.Popen(
                    ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration + 3}s", url],
                    stdout=subprocess.DEVNULL,
                )
                try:
                    time.sleep(1.5)  # past connection set-up and the first requests
                    subprocess.run(
                        [py_spy, "record", "--pid", str(router.pid), "--duration",
                         str(args.duration), "--rate", str(args.rate), "--format", "raw",
                         "--output", str(raw), "--nonblocking", "--function"],
                        check=True, capture_output=True, timeout=args.duration + 30,
                    )  # fmt: skip
                finally:
                    load.terminate()
                    load.wait(timeout=10)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(f"{label}, 1 process, wrk -c{args.connections}; raw stacks: {raw}")
    print(summarise(raw.read_text(), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
