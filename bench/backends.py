"""What each group of cases sits in front of, started once per group and stopped after it."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from bench.cases import MONOLITH, TRIVIAL, Backend
from bench.procs import Server, free_port, running

BENCH_PATH = "/api/products/1"
MONOLITH_WORKERS = 2  # as `strangler monolith serve --gunicorn` defaults


class BackendUnavailable(RuntimeError):
    """The group's backend cannot be started here; its cases are reported as skipped."""


def _upstream(name: str, work_dir: Path) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "bench.upstream", "--port", str(port)]
    return Server(name, argv, port, work_dir / f"{name}.log", BENCH_PATH)


@contextlib.contextmanager
def trivial(work_dir: Path) -> Iterator[Backend]:
    """Two aiohttp.web hello servers: the target, and a second upstream for shadow mode."""
    target, shadow = _upstream("upstream", work_dir), _upstream("shadow-upstream", work_dir)
    with running(target, shadow):
        yield Backend(target.port, shadow.port, BENCH_PATH)


@contextlib.contextmanager
def monolith(work_dir: Path) -> Iterator[Backend]:
    """gunicorn serving the Flask monolith on a freshly seeded SQLite file."""
    from bench.monolith import SeedFailed, monolith_server

    try:
        server = monolith_server(work_dir, BENCH_PATH, MONOLITH_WORKERS)
    except SeedFailed as exc:
        raise BackendUnavailable(str(exc)) from exc
    with running(server, timeout=60):
        # No shadow case runs here; the plan's second upstream just needs a valid URL.
        yield Backend(server.port, server.port, BENCH_PATH)


BACKENDS: dict[str, Callable[[Path], AbstractContextManager[Backend]]] = {
    TRIVIAL: trivial,
    MONOLITH: monolith,
}
