"""The real monolith: a fresh SQLite file migrated and seeded with the CLI, served by gunicorn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.cases import strangler_argv
from bench.procs import Server, free_port
from legacy_monolith.gunicorn_conf import CONFIG


class SeedFailed(RuntimeError):
    """`strangler db upgrade` or `strangler seed` failed; the message carries its output."""


def seeded_database(work_dir: Path) -> str:
    url = f"sqlite:///{work_dir / 'monolith.db'}"
    for command in (["db", "upgrade"], ["seed"]):
        done = subprocess.run(
            strangler_argv(*command, "--database-url", url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise SeedFailed(f"strangler {' '.join(command)} failed: {done.stdout}{done.stderr}")
    return url


def monolith_server(work_dir: Path, path: str, workers: int) -> Server:
    """gunicorn as `strangler monolith serve --gunicorn` runs it (its gunicorn config)."""
    url = seeded_database(work_dir)
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-c", CONFIG, "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(workers), "legacy_monolith:create_app()"]
    env = {"DATABASE_URL": url, "STRANGLER_VAR_DIR": str(work_dir)}
    return Server("monolith", argv, port, work_dir / "monolith.log", path, env)
