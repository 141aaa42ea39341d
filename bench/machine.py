"""What the numbers were measured on: CPU, load, and the versions of everything in the path."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from importlib import metadata
from typing import Any


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            match = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
    except OSError:
        return platform.processor() or "unknown"
    return match.group(1).strip() if match else "unknown"


def _tool_version(argv: list[str]) -> str | None:
    if not shutil.which(argv[0]):
        return None
    done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else None


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def describe_code(root: str) -> dict[str, Any]:
    """The commit measured, and which measured paths had uncommitted changes at the time."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", root, *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    paths = ("router", "legacy_monolith", "migration_plan", "bench")
    dirty = git("status", "--porcelain", "--", *paths).splitlines()
    return {"commit": git("rev-parse", "HEAD") or None, "uncommitted": [d[3:] for d in dirty]}


def describe_machine() -> dict[str, Any]:
    packages = ["aiohttp", "httpx", "uvicorn", "gunicorn", "flask", "uvloop", "httptools"]
    return {
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "loadavg_at_end": os.getloadavg(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": {name: _installed(name) for name in packages},
        # uvicorn's "auto" picks httptools and uvloop only when they are installed.
        "uvicorn_auto": {
            "http": "httptools" if _installed("httptools") else "h11",
            "loop": "uvloop" if _installed("uvloop") else "asyncio",
        },
        "wrk": _tool_version(["wrk", "--version"]),
        "nginx": _tool_version(["nginx", "-v"]),
    }
