"""Child processes at the edge: each in its own process group, its output copied to a log file,
an in-memory tail for error messages, and (optionally) the console with a name prefix."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.text import Text

TAIL_LINES = 30
COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "bright_red")


class ProcessOutput:
    """Copies a child's combined stdout/stderr line by line to its log, its tail and the console."""

    def __init__(
        self,
        name: str,
        log_path: Path,
        console: Console | None,
        colour: str = "cyan",
        width: int = 8,
        prefix_log: bool = False,
    ) -> None:
        self.name = name
        self.log_path = log_path
        self.console = console
        self.prefix = Text(f"{name:<{width}} | ", style=colour)
        self.log_prefix = f"{name} | ".encode() if prefix_log else b""
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._thread: threading.Thread | None = None

    def follow(self, stream: IO[bytes]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(
            target=self._pump, args=(stream,), name=f"output-{self.name}", daemon=True
        )
        self._thread.start()

    def _pump(self, stream: IO[bytes]) -> None:
        with stream, self.log_path.open("ab") as log:
            for raw in iter(stream.readline, b""):
                log.write(self.log_prefix + raw)
                log.flush()
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.tail.append(line)
                if self.console is not None:
                    try:
                        self.console.print(
                            self.prefix + Text(line), soft_wrap=True, highlight=False, markup=False
                        )
                    except OSError:  # a closed terminal or pipe: keep draining into the log
                        self.console = None

    def join(self, timeout: float = 2.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def tail_text(self, lines: int = 20) -> str:
        return "\n".join(list(self.tail)[-lines:])


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> Callable[[], None]:
    """A preexec_fn: the child gets SIGTERM when the supervisor dies, even by SIGKILL (Linux).

    The component's own manager (gunicorn, uvicorn) then takes its workers down with it."""

    def arrange() -> None:
        if sys.platform.startswith("linux"):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the supervisor died before prctl took effect
            os._exit(1)

    return arrange


def start(
    argv: Sequence[str],
    env: Mapping[str, str],
    output: ProcessOutput,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session (so Ctrl-C in the terminal reaches only us, and we can signal
    the whole group: gunicorn and uvicorn workers included)."""
    process = subprocess.Popen(
        list(argv),
        env={**os.environ, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent(os.getpid()),
    )
    assert process.stdout is not None
    output.follow(process.stdout)
    return process


def signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send `sig` to the child's whole process group; a group already gone is fine."""
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def group_alive(process: subprocess.Popen[bytes]) -> bool:
    """True while any process of the child's group (the leader or a worker) still exists."""
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_groups(processes: Sequence[subprocess.Popen[bytes]], grace: float) -> list[int]:
    """SIGTERM every group, wait up to `grace` seconds for all to go, then SIGKILL what remains.

    Returns the pids whose groups had to be killed.
    """
    for process in processes:
        signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        for process in processes:
            process.poll()  # reap the leader so its group can disappear
        if not any(group_alive(p) for p in processes):
            return []
        time.sleep(0.05)
    killed = [p.pid for p in processes if group_alive(p)]
    for process in processes:
        signal_group(process, signal.SIGKILL)
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be refused
            pass
    return killed
