"""Start the components, wait until each is ready, watch them, and stop them all together."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console

from migration_plan.stack import processes
from migration_plan.stack.components import ComponentSpec

POLL_SECONDS = 0.2


class ComponentFailed(Exception):
    """A component died or never became ready; names it and carries the end of its log."""

    def __init__(self, name: str, reason: str, tail: str, log_path: Path) -> None:
        super().__init__(f"{name} {reason}")
        self.name = name
        self.tail = tail
        self.log_path = log_path


@dataclass(slots=True)
class Running:
    spec: ComponentSpec
    process: subprocess.Popen[bytes]
    output: processes.ProcessOutput

    def failure(self, reason: str) -> ComponentFailed:
        self.output.join()
        return ComponentFailed(
            self.spec.name, reason, self.output.tail_text(), self.output.log_path
        )


class Supervisor:
    """Owns the stack's child processes; `stop()` is safe to call at any point, more than once."""

    def __init__(self, log_dir: Path, console: Console | None, cwd: Path | None = None) -> None:
        self.log_dir = log_dir
        self.console = console
        self.cwd = cwd
        self.running: list[Running] = []

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start_all(self, specs: Sequence[ComponentSpec]) -> None:
        width = max(len(s.name) for s in specs)
        for index, spec in enumerate(specs):
            log_path = self.log_path(spec.name)
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_bytes(b"")  # each `up` starts a fresh log
            colour = processes.COLOURS[index % len(processes.COLOURS)]
            output = processes.ProcessOutput(spec.name, log_path, self.console, colour, width)
            process = processes.start(spec.argv, spec.env, output, self.cwd)
            self.running.append(Running(spec, process, output))

    def wait_ready(self, timeout: float) -> None:
        """Block until every readiness URL answers 200; raise ComponentFailed for the first that
        exits or is still not ready when `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        waiting = list(self.running)
        last: dict[str, str] = {r.spec.name: "no answer yet" for r in waiting}
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while waiting:
                for item in list(waiting):
                    code = item.process.poll()
                    if code is not None:
                        raise item.failure(f"exited with code {code} before it was ready")
                    try:
                        response = client.get(item.spec.ready_url)
                    except httpx.HTTPError as exc:
                        last[item.spec.name] = type(exc).__name__
                        continue
                    if response.status_code == 200:
                        waiting.remove(item)
                    else:
                        last[item.spec.name] = f"HTTP {response.status_code}"
                if waiting and time.monotonic() > deadline:
                    item = waiting[0]
                    raise item.failure(
                        f"was not ready within {timeout:g}s "
                        f"(GET {item.spec.ready_url}: {last[item.spec.name]})"
                    )
                if waiting:
                    time.sleep(POLL_SECONDS)

    def watch(self) -> ComponentFailed:
        """Block while every component runs; return the failure of the first one that exits."""
        while True:
            for item in self.running:
                code = item.process.poll()
                if code is not None:
                    return item.failure(f"exited unexpectedly with code {code}")
            time.sleep(POLL_SECONDS)

    def stop(self, grace: float) -> list[str]:
        """Stop every component (router first, so no request reaches a stopping upstream).

        Returns the names of components that needed SIGKILL after `grace` seconds.
        """
        items = list(reversed(self.running))
        killed = processes.stop_groups([r.process for r in items], grace)
        for item in items:
            item.output.join()
        self.running = []
        return [r.spec.name for r in items if r.process.pid in killed]

    def pids(self) -> dict[str, int]:
        return {r.spec.name: r.process.pid for r in self.running}
