"""`strangler up` for real: the stack answers through the router; Ctrl-C leaves nothing behind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from migration_plan.stack.components import SERVICES
from migration_plan.stack.locate import missing_modules, strangler_argv
from migration_plan.stack.ports import port_is_free

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
    """A router port whose four successors are free too."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000)
        if all(port_is_free(base + n) for n in range(5)):
            return base
    raise AssertionError("no five consecutive free ports found")


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


def test_up_serves_through_the_router_and_ctrl_c_stops_every_child(
    stack_env: tuple[dict[str, str], int], tmp_path: Path
) -> None:
    env, port = stack_env
    repo = Path(__file__).resolve().parents[2]
    up = subprocess.Popen(
        [*strangler_argv(sys.executable), "up", "--timeout", "90", "--grace", "10"],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(up.stdout)
    state_file = tmp_path / "var" / "stack.json"
    groups: list[int] = []
    try:
        try_line = f"curl -i http://127.0.0.1:{port}/api/products/1"
        deadline = time.monotonic() + READY_SECONDS
        while try_line not in output.text:
            assert up.poll() is None, f"strangler up exited with {up.returncode}:\n{output.text}"
            assert time.monotonic() < deadline, f"no URLs after {READY_SECONDS}s:\n{output.text}"
            time.sleep(0.2)
        for offset in range(5):
            assert f"http://127.0.0.1:{port + offset}" in output.text

        record = json.loads(state_file.read_text())
        assert oct(state_file.stat().st_mode & 0o777) == "0o600"
        assert record["admin_url"] == f"http://127.0.0.1:{port}/_strangler/"
        assert record["admin_token"]
        groups = [c["pid"] for c in record["components"].values()]
        assert len(groups) == 5

        response = httpx.get(f"http://127.0.0.1:{port}/api/products/1", timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers["X-Strangler-Side"] == "legacy"
        assert response.json()["id"] == 1

        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=STOP_SECONDS) == 0, output.text
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait()
        output.join()
        assert up.stdout is not None
        up.stdout.close()
        leftovers = {g: pids for g, pids in process_groups().items() if g in groups}
        for group in leftovers:  # never leave a stack running behind a failed test
            os.killpg(group, signal.SIGKILL)
    assert not leftovers, f"processes left running after Ctrl-C: {leftovers}\n{output.text}"
    assert all(port_is_free(port + n) for n in range(5))
    assert not state_file.exists()
    assert "Stopped" in output.text
