"""The supervisor on real processes: readiness, a death, a timeout, a stop that leaves nothing."""

from __future__ import annotations

import os
import re
import socket
import sys
import time
from pathlib import Path

import pytest

from migration_plan.stack.components import ComponentSpec
from migration_plan.stack.supervisor import ComponentFailed, Supervisor

pytestmark = pytest.mark.e2e

FAKE = str(Path(__file__).with_name("fake_component.py"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def spec(name: str, mode: str) -> ComponentSpec:
    port = free_port()
    return ComponentSpec(
        name=name,
        argv=(sys.executable, FAKE, str(port), mode),
        env={"PYTHONUNBUFFERED": "1"},
        port=port,
        port_variable=f"{name.upper()}_PORT",
        ready_path="/readyz",
        module="fake",
    )


def worker_pids(log: Path) -> list[int]:
    return [int(p) for p in re.findall(r"worker pid (\d+)", log.read_text())]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie awaiting its reaper counts as gone.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" in status.read_text()


def wait_gone(pids: list[int], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(gone(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def test_ready_components_are_stopped_with_their_workers(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, console=None)
    try:
        supervisor.start_all([spec("one", "ok"), spec("two", "ok")])
        supervisor.wait_ready(timeout=15)
        pids = list(supervisor.pids().values())
        pids += worker_pids(tmp_path / "one.log") + worker_pids(tmp_path / "two.log")
        assert len(pids) == 4
    finally:
        killed = supervisor.stop(grace=5)
    assert killed == []
    assert wait_gone(pids)


def test_a_component_that_crashes_is_named_with_the_end_of_its_log(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, console=None)
    try:
        supervisor.start_all([spec("good", "ok"), spec("bad", "crash")])
        with pytest.raises(ComponentFailed, match="bad exited with code 3") as failure:
            supervisor.wait_ready(timeout=15)
    finally:
        supervisor.stop(grace=5)
    assert "boom: the fake could not start" in failure.value.tail
    assert failure.value.log_path == tmp_path / "bad.log"


def test_a_component_never_ready_fails_after_the_timeout_naming_its_url(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, console=None)
    slow = spec("slow", "never-ready")
    try:
        supervisor.start_all([slow])
        started = time.monotonic()
        with pytest.raises(ComponentFailed, match=f"slow was not ready within 2s .*{slow.port}"):
            supervisor.wait_ready(timeout=2)
        assert time.monotonic() - started < 6
    finally:
        supervisor.stop(grace=5)


def test_a_component_dying_after_start_is_reported_by_watch(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, console=None)
    try:
        supervisor.start_all([spec("steady", "ok"), spec("flaky", "die-after-ready")])
        supervisor.wait_ready(timeout=15)
        failure = supervisor.watch()
        assert failure.name == "flaky"
        assert "exited unexpectedly with code 4" in str(failure)
        assert "fake dying now" in failure.tail
    finally:
        supervisor.stop(grace=5)


def test_a_component_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, console=None)
    supervisor.start_all([spec("stubborn", "ignore-term")])
    try:
        supervisor.wait_ready(timeout=15)
        pids = list(supervisor.pids().values()) + worker_pids(tmp_path / "stubborn.log")
    finally:
        started = time.monotonic()
        killed = supervisor.stop(grace=1)
    assert killed == ["stubborn"]
    assert time.monotonic() - started < 5
    assert wait_gone(pids)
