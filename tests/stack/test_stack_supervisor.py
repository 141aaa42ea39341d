"""The supervisor on real processes: readiness, restarts, giving up, a stop that leaves nothing."""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from migration_plan.stack.components import ComponentSpec
from migration_plan.stack.restarts import GiveUp, Restart, RestartPolicy
from migration_plan.stack.supervisor import (
    ComponentFailed,
    Crashed,
    Event,
    Health,
    Recovered,
    Restarted,
    Supervisor,
)

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


FAST = RestartPolicy(base_seconds=0.1, max_seconds=1, limit=2, window_seconds=60)


def watch_until(
    supervisor: Supervisor, done: Callable[[], bool], seconds: float = 20
) -> ComponentFailed | None:
    deadline = time.monotonic() + seconds
    failure = supervisor.watch(until=lambda: done() or time.monotonic() > deadline)
    assert failure is not None or done(), f"not done within {seconds}s"
    return failure


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_killed_component_is_restarted_on_its_port_while_the_others_keep_running(
    tmp_path: Path,
) -> None:
    events: list[Event] = []
    supervisor = Supervisor(tmp_path, console=None, policy=FAST, notify=events.append)
    steady, victim = spec("steady", "ok"), spec("victim", "ok")
    try:
        supervisor.start_all([steady, victim])
        supervisor.wait_ready(timeout=15)
        before = supervisor.pids()
        os.killpg(before["victim"], signal.SIGKILL)
        watch_until(supervisor, lambda: any(isinstance(e, Recovered) for e in events))
        after = supervisor.pids()
        assert answers(victim.ready_url)
        assert after["steady"] == before["steady"]
        assert after["victim"] != before["victim"]
    finally:
        supervisor.stop(grace=5)
    crash, restarted, recovered = events
    assert isinstance(crash, Crashed) and crash.exit == "signal SIGKILL"
    assert crash.decision == Restart(attempt=1, delay=0.1)
    assert restarted == Restarted("victim", 1, after["victim"], victim.url)
    assert isinstance(recovered, Recovered) and recovered.seconds < 10
    assert (tmp_path / "victim.log").read_text().count("fake starting") == 2  # appended


def test_a_component_that_keeps_dying_is_given_up_on_and_the_others_keep_running(
    tmp_path: Path,
) -> None:
    events: list[Event] = []
    supervisor = Supervisor(tmp_path, console=None, policy=FAST, notify=events.append)
    try:
        supervisor.start_all([spec("steady", "ok"), spec("flaky", "die-after-ready")])
        supervisor.wait_ready(timeout=15)
        steady = supervisor.pids()["steady"]
        assert watch_until(supervisor, lambda: bool(supervisor.given_up())) is None
        assert supervisor.pids() == {"steady": steady}
        health = supervisor.health()["flaky"]
    finally:
        supervisor.stop(grace=5)
    decisions = [e.decision for e in events if isinstance(e, Crashed)]
    assert decisions == [Restart(1, 0.1), Restart(2, 0.2), GiveUp(2, 60)]
    assert health == Health("failed", None, 2, "code 4")
    last = [e for e in events if isinstance(e, Crashed)][-1]
    assert "fake dying now" in last.tail


def test_stopping_while_a_restart_is_pending_starts_nothing_more(tmp_path: Path) -> None:
    events: list[Event] = []
    slow = RestartPolicy(base_seconds=30)
    supervisor = Supervisor(tmp_path, console=None, policy=slow, notify=events.append)
    try:
        supervisor.start_all([spec("steady", "ok"), spec("victim", "ok")])
        supervisor.wait_ready(timeout=15)
        steady = supervisor.pids()["steady"]
        os.killpg(supervisor.pids()["victim"], signal.SIGKILL)
        watch_until(supervisor, lambda: bool(events))
        assert supervisor.health()["victim"] == Health("waiting", None, 1, "signal SIGKILL")
        pids = [steady, *worker_pids(tmp_path / "steady.log")]
    finally:
        killed = supervisor.stop(grace=5)
    assert killed == []
    assert wait_gone(pids)
    assert [type(e) for e in events] == [Crashed]
    assert (tmp_path / "victim.log").read_text().count("fake starting") == 1


def test_a_vital_component_given_up_on_ends_the_watch_with_its_failure(tmp_path: Path) -> None:
    policy = RestartPolicy(limit=0)
    supervisor = Supervisor(tmp_path, console=None, policy=policy, vital={"front"})
    try:
        supervisor.start_all([spec("front", "die-after-ready")])
        supervisor.wait_ready(timeout=15)
        failure = watch_until(supervisor, lambda: False)
    finally:
        supervisor.stop(grace=5)
    assert failure is not None and failure.name == "front"
    assert "exited unexpectedly with code 4 and was given up on after 0 restarts" in str(failure)
    assert "fake dying now" in failure.tail


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
