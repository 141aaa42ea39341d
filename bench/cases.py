"""The benchmark's cases as data: which backend group, which front server, what to measure."""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.nginx import nginx_argv
from bench.procs import Server, free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Backend:
    """What a group's cases sit in front of: the target (and a second upstream to shadow to)."""

    port: int
    shadow_port: int
    path: str


@dataclass(frozen=True)
class Options:
    """The run's knobs that change how front servers are started."""

    work_dir: Path
    nginx: str
    nginx_workers: int
    uvicorn_args: tuple[str, ...]
    router_access_log: bool


# Builds the servers a case starts in front of the backend; returns them and the port to load.
FrontFactory = Callable[[Backend, Options, Path], tuple[list[Server], int]]


@dataclass(frozen=True)
class Case:
    group: str
    kind: str
    describe: str
    front: FrontFactory
    needs: tuple[str, ...] = ()  # "nginx", "router", "monolith": checked before the run
    paced: bool = False  # also measure p50 at a fixed, moderate offered load

    @property
    def name(self) -> str:
        return f"{self.group}/{self.kind}"


def _direct(backend: Backend, options: Options, log_dir: Path) -> tuple[list[Server], int]:
    return [], backend.port


def _nginx(backend: Backend, options: Options, log_dir: Path) -> tuple[list[Server], int]:
    port = free_port()
    prefix = options.work_dir / f"nginx-{port}"
    argv = nginx_argv(options.nginx, prefix, port, backend.port, options.nginx_workers)
    return [Server("nginx", argv, port, log_dir / "nginx.log", backend.path)], port


def uvicorn_argv(app: str, port: int, options: Options, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        *options.uvicorn_args,
        *extra,
    ]


def lean_front(module: str) -> FrontFactory:
    def front(backend: Backend, options: Options, log_dir: Path) -> tuple[list[Server], int]:
        port = free_port()
        env = {"LEAN_UPSTREAM": f"http://127.0.0.1:{backend.port}"}
        argv = uvicorn_argv(f"bench.{module}:app", port, options)
        log = log_dir / f"{module}.log"
        return [Server(module, argv, port, log, backend.path, env, cwd=ROOT)], port

    return front


def strangler_argv(*args: str, preload: str | None = None) -> list[str]:
    """The `strangler` CLI run by this interpreter (the venv's), maybe importing a module first."""
    code = (
        f"import {preload}; " if preload else ""
    ) + "from migration_plan.cli import main; main()"
    return [sys.executable, "-c", code, *args]


def router_front(workers: int, shadow: bool = False, nodelay: bool = False) -> FrontFactory:
    """The real router as users run it, `strangler router serve --workers N`.

    `nodelay` preloads bench.uvicorn_nodelay, which works around Kludex/uvicorn#3149 for N > 1.
    """

    def front(backend: Backend, options: Options, log_dir: Path) -> tuple[list[Server], int]:
        from bench.router_plan import router_env

        port = free_port()
        env = router_env(backend, options, shadow=shadow)
        serve = ("router", "serve", "--port", str(port), "--workers", str(workers))
        argv = strangler_argv(*serve, preload="bench.uvicorn_nodelay" if nodelay else None)
        name = (
            f"router-{workers}w" + ("-shadow" if shadow else "") + ("-nodelay" if nodelay else "")
        )
        server = Server(name, argv, port, log_dir / f"{name}.log", backend.path, env, cwd=ROOT)
        return [server], port

    return front


TRIVIAL = "trivial"
MONOLITH = "monolith"

_N, _R, _M, _RM = ("nginx",), ("router",), ("monolith",), ("router", "monolith")
PACED = True

CASES: tuple[Case, ...] = (
    Case(TRIVIAL, "direct", "wrk -> aiohttp.web hello", _direct),
    Case(TRIVIAL, "nginx", "wrk -> nginx (keepalive 64) -> hello", _nginx, _N),
    Case(TRIVIAL, "lean-aiohttp", "bare ASGI+aiohttp proxy -> hello", lean_front("lean_proxy")),
    Case(TRIVIAL, "lean-httpx", "bare ASGI+httpx proxy -> hello", lean_front("lean_httpx_proxy")),
    Case(TRIVIAL, "router-1w", "router 1 worker, legacy mode", router_front(1), _R, PACED),
    Case(TRIVIAL, "router-2w", "router, uvicorn --workers 2", router_front(2), _R),
    Case(
        TRIVIAL,
        "router-2w-nodelay",
        "router 2 workers + NODELAY fix",
        router_front(2, nodelay=True),
        _R,
    ),
    Case(
        TRIVIAL,
        "router-1w-shadow",
        "router 1 worker, shadow mode",
        router_front(1, True),
        _R,
        PACED,
    ),
    Case(MONOLITH, "direct", "wrk -> gunicorn monolith", _direct, _M),
    Case(MONOLITH, "nginx", "nginx -> gunicorn monolith", _nginx, ("nginx", "monolith")),
    Case(MONOLITH, "lean-aiohttp", "bare aiohttp proxy -> monolith", lean_front("lean_proxy"), _M),
    Case(MONOLITH, "router-1w", "router 1 worker -> monolith", router_front(1), _RM),
    Case(MONOLITH, "router-2w", "router, uvicorn --workers 2", router_front(2), _RM),
    Case(
        MONOLITH,
        "router-2w-nodelay",
        "router 2 workers + NODELAY fix",
        router_front(2, nodelay=True),
        _RM,
    ),
)


def select(patterns: Sequence[str]) -> list[Case]:
    """Cases matching any pattern: `trivial/*`, `*/nginx`, or a bare kind like `direct`."""
    chosen = []
    for case in CASES:
        for pattern in patterns:
            full = pattern if "/" in pattern else f"*/{pattern}"
            if fnmatch.fnmatchcase(case.name, full):
                chosen.append(case)
                break
    return chosen
