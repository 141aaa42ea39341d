"""`strangler up` for real: it serves through the router, restarts what dies, Ctrl-C ends all."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from migration_plan.stack.components import SERVICES
from migration_plan.stack.locate import missing_modules, strangler_argv
from migration_plan.stack.ports import port_is_free
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e

IN_CI = os.environ.get("CI", "").lower() == "true"
READY_SECONDS = 150.0
STOP_SECONDS = 30.0
# Variables that would pin a component elsewhere than ROUTER_PORT + n or outside the temp var dir.
PINNING = (
    "MONOLITH_PORT",
    "DATABASE_URL",
    "ROUTER_ADMIN_TOKEN",
    "ROUTER_PLAN",
    *(s.port_variable for s in SERVICES),
    *(s.database_variable for s in SERVICES),
)


def free_base_port() -> int:
    """A router port whose nine successors (the whole stack) are free too; below the kernel's
    ephemeral range (32768 and up), so no client socket takes one before the stack binds it."""
    for _ in range(200):
        base = random.randrange(20_000, 32_700)
        if all(port_is_free(base + n) for n in range(10)):
            return base
    raise AssertionError("no ten consecutive free ports found")


def process_groups() -> dict[int, list[int]]:
    """pgid -> pids of live (non-zombie) processes, from /proc."""
    groups: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            groups.setdefault(int(fields[2]), []).append(int(entry.name))
    return groups


class Output:
    """Collects a process's stdout in a thread, so waiting for a line never blocks on the pipe."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
            self.lines.append(line)

    def join(self) -> None:
        self._thread.join(timeout=5)

    @property
    def text(self) -> str:
        return "".join(self.lines)


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], int]]:
    modules = [f"{s.package}.app" for s in SERVICES] + [s.migrations for s in SERVICES]
    missing = missing_modules(["legacy_monolith", "router.app", *modules])
    if missing:
        message = "the components are not all importable yet: " + ", ".join(missing)
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    env = {k: v for k, v in os.environ.items() if k not in PINNING}
    port = free_base_port()
    env.update({"ROUTER_PORT": str(port), "STRANGLER_VAR_DIR": str(tmp_path / "var")})
    yield env, port


class RunningUp:
    """`strangler up` in its own session, its output collected, and a cleanup that kills all."""

    def __init__(
        self, env: dict[str, str], port: int, var_dir: Path, *, sigint_ignored: bool = False
    ) -> None:
        self.port = port
        self.state_file = var_dir / "stack.json"
        self.process = subprocess.Popen(
            [*strangler_argv(sys.executable), "up", "--timeout", "90", "--grace", "10"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            # As `./scripts/up &` starts it: a shell's background job inherits SIGINT ignored.
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
            if sigint_ignored
            else None,
        )
        self.output = Output(self.process.stdout)
        self.groups: list[int] = []

    def wait_ready(self) -> dict[str, dict[str, object]]:
        """Wait for the printed URLs; return the components recorded in stack.json."""
        try_line = f"curl -i http://127.0.0.1:{self.port}/api/products/1"
        deadline = time.monotonic() + READY_SECONDS
        while try_line not in self.output.text:
            code = self.process.poll()
            assert code is None, f"strangler up exited with {code}:\n{self.output.text}"
            assert time.monotonic() < deadline, f"no URLs in {READY_SECONDS}s:\n{self.output.text}"
            time.sleep(0.2)
        components: dict[str, dict[str, object]] = json.loads(self.state_file.read_text())[
            "components"
        ]
        self.groups = [int(str(c["pid"])) for c in components.values()]
        return components

    def refresh_groups(self) -> None:
        """Add the process groups of restarted components, as stack.json records them now."""
        components = json.loads(self.state_file.read_text())["components"]
        self.groups += [int(c["pid"]) for c in components.values() if c["pid"] is not None]

    def finish(self) -> dict[int, list[int]]:
        """Kill whatever is still running (a failed test must not leave a stack behind); return
        the component process groups that were still alive."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.output.join()
        assert self.process.stdout is not None
        self.process.stdout.close()
        leftovers = {g: pids for g, pids in process_groups().items() if g in self.groups}
        for group in leftovers:
            os.killpg(group, signal.SIGKILL)
        return leftovers


def assert_a_service_token_reaches_the_monolith(port: int, within_s: float = 20.0) -> None:
    """auth_service's outbox -> relay -> bus -> sync -> the monolith's sessions table."""
    auth, monolith = f"http://127.0.0.1:{port + 2}", f"http://127.0.0.1:{port + 1}"
    credentials = {"email": "stack-e2e@example.com", "password": "password123"}
    registered = httpx.post(f"{auth}/api/auth/register", json={**credentials, "name": "E2E"})
    assert registered.status_code == 201, registered.text
    token = httpx.post(f"{auth}/api/auth/login", json=credentials).json()["token"]
    deadline = time.monotonic() + within_s
    while True:
        me = httpx.get(f"{monolith}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        if me.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert me.status_code == 200, f"the monolith never learnt auth_service's token: {me.text}"


def test_up_serves_through_the_router_and_ctrl_c_stops_every_child(
    stack_env: tuple[dict[str, str], int], tmp_path: Path
) -> None:
    env, port = stack_env
    up = RunningUp(env, port, tmp_path / "var")
    try:
        components = up.wait_ready()
        assert list(components) == [
            "router",
            "monolith",
            "auth",
            "products",
            "orders",
            "relay",
            "sync",
            "inventory",
            "notifications",
            "analytics",
        ]
        for offset in range(10):
            assert f"http://127.0.0.1:{port + offset}" in up.output.text
        record = json.loads(up.state_file.read_text())
        assert oct(up.state_file.stat().st_mode & 0o777) == "0o600"
        assert record["admin_url"] == f"http://127.0.0.1:{port}/_strangler/"
        assert record["admin_token"]

        response = httpx.get(f"http://127.0.0.1:{port}/api/products/1", timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers["X-Strangler-Side"] == "legacy"
        assert response.json()["id"] == 1
        assert_a_service_token_reaches_the_monolith(port)

        up.process.send_signal(signal.SIGINT)
        assert up.process.wait(timeout=STOP_SECONDS) == 0, up.output.text
    finally:
        leftovers = up.finish()
    assert not leftovers, f"processes left running after Ctrl-C: {leftovers}\n{up.output.text}"
    assert all(port_is_free(port + n) for n in range(10))
    assert not up.state_file.exists()
    assert "Stopped" in up.output.text


def wait_for(done: Callable[[], bool], seconds: float, what: str, up: RunningUp) -> float:
    """Poll `done` until true, failing at once if `strangler up` exits; return how long it took."""

    def running_and_done() -> bool:
        assert up.process.poll() is None, f"strangler up exited while waiting for {what}"
        return done()

    return eventually(running_and_done, seconds, what, detail=lambda: up.output.text)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def assert_a_legacy_route_answers_through_the_router(port: int) -> None:
    response = httpx.get(f"http://127.0.0.1:{port}/api/products/1", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["X-Strangler-Side"] == "legacy"


def test_a_service_killed_with_sigkill_comes_back_on_its_port_while_the_router_keeps_serving(
    stack_env: tuple[dict[str, str], int], tmp_path: Path
) -> None:
    env, port = stack_env
    up = RunningUp(env, port, tmp_path / "var")
    orders = f"http://127.0.0.1:{port + 4}"
    try:
        components = up.wait_ready()
        killed = int(str(components["orders"]["pid"]))
        os.killpg(killed, signal.SIGKILL)
        assert_a_legacy_route_answers_through_the_router(port)
        back = wait_for(lambda: answers(f"{orders}/readyz"), 30, "orders back on its port", up)
        assert_a_legacy_route_answers_through_the_router(port)
        wait_for(lambda: "orders is ready again" in up.output.text, 5, "recovery line", up)
        record = json.loads(up.state_file.read_text())["components"]["orders"]
        assert record["restarts"] == 1 and record["status"] == "running"
        assert record["pid"] != killed and record["port"] == port + 4
        up.refresh_groups()
        up.process.send_signal(signal.SIGINT)
        assert up.process.wait(timeout=STOP_SECONDS) == 0, up.output.text
    finally:
        leftovers = up.finish()
    print(f"orders answered again {back:.1f}s after SIGKILL")
    assert not leftovers, f"processes left running: {leftovers}\n{up.output.text}"
    text = up.output.text
    assert "orders exited unexpectedly with signal SIGKILL" in text
    assert "restarting it in 0.5s (attempt 1)" in text
    assert "orders restarted (attempt 1, pid" in text
    assert "orders is ready again (attempt 1" in text
    assert "router exited" not in text and "stopping the others" not in text
    assert all(port_is_free(port + n) for n in range(10))
    assert not up.state_file.exists()


def hold_port(port: int, seconds: float = 5.0) -> socket.socket:
    """Listen on `port` as soon as its dead owner lets go, so every restart fails to bind."""
    deadline = time.monotonic() + seconds
    while True:
        holder = socket.socket()
        try:
            holder.bind(("127.0.0.1", port))
            holder.listen()
            return holder
        except OSError:
            holder.close()
            assert time.monotonic() < deadline, f"port {port} never came free"
            time.sleep(0.01)


def test_a_service_that_keeps_dying_is_given_up_on_the_router_keeps_serving_and_up_fails(
    stack_env: tuple[dict[str, str], int], tmp_path: Path
) -> None:
    env, port = stack_env
    env.update({"STRANGLER_RESTART_BASE_SECONDS": "0.5", "STRANGLER_RESTART_LIMIT": "2"})
    up = RunningUp(env, port, tmp_path / "var")
    holder: socket.socket | None = None
    try:
        components = up.wait_ready()
        os.killpg(int(str(components["orders"]["pid"])), signal.SIGKILL)
        holder = hold_port(port + 4)  # each restart now dies: address already in use
        wait_for(lambda: "giving up on it" in up.output.text, 60, "give-up", up)
        assert_a_legacy_route_answers_through_the_router(port)
        record = json.loads(up.state_file.read_text())["components"]["orders"]
        assert record == {**record, "status": "failed", "restarts": 2, "pid": None}
        assert str(record["last_exit"]).startswith("code ")  # uvicorn's own exit, not a signal
        up.refresh_groups()
        up.process.send_signal(signal.SIGINT)
        assert up.process.wait(timeout=STOP_SECONDS) == 1, up.output.text
    finally:
        if holder is not None:
            holder.close()
        leftovers = up.finish()
    assert not leftovers, f"processes left running: {leftovers}\n{up.output.text}"
    text = up.output.text
    assert "restarting it in 0.5s (attempt 1)" in text
    assert "restarting it in 1s (attempt 2)" in text
    assert "orders exited unexpectedly with code" in text
    assert "giving up on it: 2 restarts within 60s already" in text
    assert "the rest keeps serving" in text
    assert "given up on while the stack ran: orders" in text
    assert not up.state_file.exists()


def test_started_with_sigint_ignored_up_still_stops_on_ctrl_c(
    stack_env: tuple[dict[str, str], int], tmp_path: Path
) -> None:
    env, port = stack_env
    up = RunningUp(env, port, tmp_path / "var", sigint_ignored=True)
    try:
        up.wait_ready()
        up.process.send_signal(signal.SIGINT)
        assert up.process.wait(timeout=STOP_SECONDS) == 0, up.output.text
    finally:
        leftovers = up.finish()
    assert not leftovers, f"processes left running: {leftovers}\n{up.output.text}"


def test_children_do_not_outlive_a_supervisor_killed_with_sigkill(
    stack_env: tuple[dict[str, str], int], tmp_path: Path
) -> None:
    env, port = stack_env
    up = RunningUp(env, port, tmp_path / "var")
    try:
        up.wait_ready()
        os.kill(up.process.pid, signal.SIGKILL)  # the supervisor alone, as a process manager does
        up.process.wait()
        deadline = time.monotonic() + STOP_SECONDS
        alive = up.groups
        while alive and time.monotonic() < deadline:
            live = process_groups()
            alive = [g for g in up.groups if g in live]
            time.sleep(0.2)
        assert not alive, f"components still running after the supervisor died: {alive}"
        deadline = time.monotonic() + 10
        while not all(port_is_free(port + n) for n in range(10)):
            assert time.monotonic() < deadline, "ports still held after the supervisor died"
            time.sleep(0.2)
    finally:
        up.finish()
