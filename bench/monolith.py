"""The real monolith under gunicorn on a seeded SQLite database (filled in once it exists)."""

from __future__ import annotations

from pathlib import Path

from bench.procs import Server


def monolith_server(work_dir: Path) -> Server:
    from bench.backends import BackendUnavailable

    raise BackendUnavailable("the monolith backend is not wired yet")
