"""`strangler up` refuses clearly before starting: bad or busy ports, no plan, a second up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migration_plan.cli import app
from migration_plan.stack.components import SERVICES
from migration_plan.stack.locate import missing_modules
from migration_plan.stack.state import write_state

UNSET: dict[str, str | None] = {
    name: None
    for name in (
        "MONOLITH_PORT",
        "ROUTER_PLAN",
        "DATABASE_URL",
        *(s.port_variable for s in SERVICES),
        *(s.database_variable for s in SERVICES),
    )
}


def invoke(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    environ = {**UNSET, "STRANGLER_VAR_DIR": str(tmp_path / "var"), **env}
    result = CliRunner().invoke(app, ["up", *args], env=environ)
    return result.exit_code, " ".join(result.output.split())


def require_components() -> None:
    modules = [f"{s.package}.app" for s in SERVICES] + [s.migrations for s in SERVICES]
    missing = missing_modules(["legacy_monolith", "router.app", *modules])
    if missing:
        pytest.skip("the components are not all importable yet: " + ", ".join(missing))


@pytest.mark.unit
def test_a_malformed_router_port_is_refused_naming_the_variable(tmp_path: Path) -> None:
    code, output = invoke(tmp_path, ROUTER_PORT="eighty")
    assert code == 1
    assert "ROUTER_PORT='eighty' is not a port number" in output


@pytest.mark.unit
def test_a_missing_plan_is_refused_naming_the_file(tmp_path: Path) -> None:
    code, output = invoke(tmp_path, "--plan", str(tmp_path / "nowhere.yaml"))
    assert code == 1
    assert "plan is not usable" in output
    assert "nowhere.yaml" in output


@pytest.mark.unit
def test_a_malformed_restart_setting_is_refused_before_anything_starts(tmp_path: Path) -> None:
    code, output = invoke(tmp_path, STRANGLER_RESTART_LIMIT="many")
    assert code == 1
    assert "STRANGLER_RESTART_LIMIT='many'" in output
    assert not (tmp_path / "var" / "logs").exists()


@pytest.mark.integration
def test_a_busy_port_is_refused_naming_the_port_and_the_variables(tmp_path: Path) -> None:
    require_components()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        code, output = invoke(tmp_path, "--router-port", str(busy - 2), "--no-seed")
    assert code == 1
    assert f"port {busy} (auth) is already in use" in output
    assert "AUTH_PORT" in output and "ROUTER_PORT" in output
    assert not (tmp_path / "var" / "logs").exists(), "nothing may start or prepare"


@pytest.mark.integration
def test_a_second_up_on_the_same_var_dir_is_refused(tmp_path: Path) -> None:
    require_components()
    write_state(
        tmp_path / "var" / "stack.json",
        {"pid": os.getpid(), "router_url": "http://127.0.0.1:8000"},
    )
    code, output = invoke(tmp_path)
    assert code == 1
    assert "a stack is already running" in output
    assert f"pid {os.getpid()}" in output


@pytest.mark.integration
def test_a_port_held_by_an_orphaned_component_says_how_to_stop_it(tmp_path: Path) -> None:
    require_components()
    listener = subprocess.Popen(
        [sys.executable, "-c", LISTEN],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert listener.stdout is not None
        port = int(listener.stdout.readline())
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        write_state(
            tmp_path / "var" / "stack.json",
            {"pid": gone.pid, "components": {"auth": {"pid": listener.pid, "port": port}}},
        )
        code, output = invoke(tmp_path, "--router-port", str(port - 2), "--no-seed")
    finally:
        listener.kill()
        listener.wait()
        if listener.stdout is not None:
            listener.stdout.close()
    assert code == 1
    assert f"port {port} (auth) is already in use" in output
    assert f"kill -TERM -- -{listener.pid}" in output


LISTEN = """
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(60)
"""
