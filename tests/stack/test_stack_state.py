"""var/stack.json: owner-only, found while its `up` lives, removed only by its own `up`."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from migration_plan.stack import state

pytestmark = pytest.mark.unit


def test_the_state_file_is_written_readable_by_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "stack.json"
    path.write_text("{}")
    path.chmod(0o644)
    state.write_state(path, {"pid": os.getpid(), "admin_token": "secret"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert state.read_state(path) == {"pid": os.getpid(), "admin_token": "secret"}


def test_a_live_pid_is_a_running_stack_and_a_dead_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "stack.json"
    state.write_state(path, {"pid": os.getpid()})
    assert state.running_stack(path) is not None
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state.write_state(path, {"pid": dead.pid})
    assert state.running_stack(path) is None


def test_only_the_owning_process_removes_the_record(tmp_path: Path) -> None:
    path = tmp_path / "stack.json"
    state.write_state(path, {"pid": os.getpid()})
    state.remove_state(path, os.getpid() + 1)
    assert path.exists()
    state.remove_state(path, os.getpid())
    assert not path.exists()


def test_unreadable_state_is_no_stack(tmp_path: Path) -> None:
    (tmp_path / "stack.json").write_text("not json")
    assert state.running_stack(tmp_path / "stack.json") is None
    assert state.running_stack(tmp_path / "absent.json") is None


def test_components_outliving_their_up_are_orphans(tmp_path: Path) -> None:
    path = tmp_path / "stack.json"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True
    )
    try:
        components = {"router": {"pid": alive.pid}, "auth": {"pid": dead.pid}}
        state.write_state(path, {"pid": dead.pid, "components": components})
        assert state.orphans(path) == {"router": alive.pid}
        state.write_state(path, {"pid": os.getpid(), "components": components})
        assert state.orphans(path) == {}, "a live `up` has no orphans"
    finally:
        alive.kill()
        alive.wait()
