"""Servers the harness starts: own process group each, ready when HTTP answers, always stopped."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on now (the short race until the server binds it is acceptable)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def http_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    """Status of one GET, or None when nothing answers yet."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU of every live process in a process group (Linux /proc; 0.0 elsewhere)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[2]) == pgid:  # state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


class ServerFailed(RuntimeError):
    """A server exited or never answered; the message carries the tail of its log."""


@dataclass
class Server:
    name: str
    argv: Sequence[str]
    port: int
    log_path: Path
    ready_path: str = "/"
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        env = {**os.environ, **(self.env or {})}
        with self.log_path.open("ab") as log:
            # A new session puts the server and all its workers in one process group (killed
            # together in stop()), and keeps a terminal's Ctrl-C from reaching them before the
            # harness has finished measuring or cleaning up.
            self.process = subprocess.Popen(
                list(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until a GET of ready_path answers 200 (not merely until the port accepts)."""
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerFailed(
                    f"{self.name} exited with {self.process.returncode}{self._tail()}"
                )
            if http_status(self.port, self.ready_path, timeout=1.0) == 200:
                return
            time.sleep(0.1)
        raise ServerFailed(
            f"{self.name} did not answer 200 on {HOST}:{self.port}{self.ready_path} "
            f"within {timeout:.0f}s{self._tail()}"
        )

    def cpu_seconds(self) -> float:
        """CPU used so far by the server and its workers (they share its process group)."""
        return group_cpu_seconds(self.process.pid) if self.process is not None else 0.0

    def stop(self, grace: float = 5.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid  # the session leader's pid is its process group id
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, sig)
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Workers may outlive the master for a moment; make sure the group is empty.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)

    def _tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\n  log " + str(self.log_path) + ":\n    " + "\n    ".join(text) if text else ""


@contextlib.contextmanager
def running(*servers: Server, timeout: float = 30.0) -> Iterator[tuple[Server, ...]]:
    """Start the servers in order, wait for each to answer; stop them all (in reverse) on exit."""
    started: list[Server] = []
    try:
        for server in servers:
            server.start()
            started.append(server)
            server.wait_ready(timeout)
        yield servers
    finally:
        for server in reversed(started):
            server.stop()
