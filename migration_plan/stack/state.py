"""`var/stack.json`: how later CLI commands find a running stack (admin URL, token; 0600)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migration_plan.stack.supervisor import Health
from migration_plan.stack.wiring import Stack

STATE_FILE = "stack.json"


def state_path(var_dir: Path) -> Path:
    return var_dir / STATE_FILE


def describe(stack: Stack, pid: int, pids: Mapping[str, int]) -> dict[str, Any]:
    """The record of a running stack (pure)."""
    return {
        "pid": pid,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "router_url": stack.router.url,
        "admin_url": stack.admin_url,
        "admin_token": stack.admin_token,
        "var_dir": str(stack.var_dir),
        "components": {
            c.name: {"url": c.url, "port": c.port, "pid": pids.get(c.name)}
            for c in stack.display_order
        },
    }


def with_health(record: Mapping[str, Any], health: Mapping[str, Health]) -> dict[str, Any]:
    """`record` with each component's status, pid, restart count and last exit (pure).

    `orphans()` reads these pids, so a restarted component's new group is the one recorded.
    """
    components = {
        name: {
            **entry,
            "pid": health[name].pid,
            "status": health[name].status,
            "restarts": health[name].restarts,
            "last_exit": health[name].last_exit,
        }
        if name in health
        else dict(entry)
        for name, entry in record.get("components", {}).items()
    }
    return {**record, "components": components}


def write_state(path: Path, record: Mapping[str, Any]) -> None:
    """Write atomically, readable by the owner only: the file holds the admin token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(record, file, indent=2)
        file.write("\n")
    os.chmod(temporary, 0o600)  # in case the file existed with other bits
    os.replace(temporary, path)


def read_state(path: Path) -> dict[str, Any] | None:
    """The recorded stack, or None when there is none (or the file is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: object, kill: Any = os.kill) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_stack(path: Path) -> dict[str, Any] | None:
    """The recorded stack if its `strangler up` process is still alive, else None."""
    data = read_state(path)
    return data if data is not None and _alive(data.get("pid")) else None


def orphans(path: Path) -> dict[str, int]:
    """Components of a recorded stack whose `strangler up` is gone (killed with SIGKILL, say)
    but whose process groups still run: name -> process group id."""
    data = read_state(path)
    if data is None or _alive(data.get("pid")) or not isinstance(data.get("components"), dict):
        return {}
    groups: dict[str, int] = {
        name: c["pid"]
        for name, c in data["components"].items()
        if isinstance(c, dict) and isinstance(c.get("pid"), int)
    }
    return {name: pid for name, pid in groups.items() if _alive(pid, os.killpg)}


def remove_state(path: Path, pid: int) -> None:
    """Remove the record if it is ours (a second `up` must not delete the first one's)."""
    data = read_state(path)
    if data is not None and data.get("pid") == pid:
        path.unlink(missing_ok=True)
