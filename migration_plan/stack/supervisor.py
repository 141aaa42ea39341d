"""Start the components, wait until each is ready, restart one that dies, stop them all together."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
from rich.console import Console

from migration_plan.stack import processes
from migration_plan.stack.components import ComponentSpec
from migration_plan.stack.restarts import (
    CrashHistory,
    GiveUp,
    Restart,
    RestartPolicy,
    describe_exit,
)

POLL_SECONDS = 0.2
# A restarted component is probed while the others are watched: a hung one must not stall them.
PROBE_SECONDS = 0.5

Status = Literal["running", "waiting", "starting", "failed"]


class ComponentFailed(Exception):
    """A component died or never became ready; names it and carries the end of its log."""

    def __init__(self, name: str, reason: str, tail: str, log_path: Path) -> None:
        super().__init__(f"{name} {reason}")
        self.name = name
        self.tail = tail
        self.log_path = log_path


@dataclass(frozen=True, slots=True)
class Crashed:
    """A component exited on its own; `decision` says what the supervisor does about it."""

    name: str
    exit: str  # "code 3", "signal SIGKILL"
    uptime: float
    decision: Restart | GiveUp
    tail: str
    log_path: Path


@dataclass(frozen=True, slots=True)
class Restarted:
    name: str
    attempt: int
    pid: int
    url: str


@dataclass(frozen=True, slots=True)
class Recovered:
    """A restarted component answers its readiness URL again."""

    name: str
    attempt: int
    seconds: float  # since the crash


Event = Crashed | Restarted | Recovered


@dataclass(frozen=True, slots=True)
class Health:
    """What `stack.json` records of one component."""

    status: Status
    pid: int | None
    restarts: int
    last_exit: str | None


@dataclass(slots=True)
class Running:
    spec: ComponentSpec
    process: subprocess.Popen[bytes]
    output: processes.ProcessOutput
    colour: str
    history: CrashHistory
    started_at: float = field(default_factory=time.monotonic)
    status: Status = "running"
    crashed_at: float = 0.0
    restart_at: float = 0.0
    attempt: int = 0
    last_exit: str | None = None

    def failure(self, reason: str) -> ComponentFailed:
        self.output.join()
        return ComponentFailed(
            self.spec.name, reason, self.output.tail_text(), self.output.log_path
        )

    @property
    def alive(self) -> bool:
        """Its process may still run (a dead one has been reaped and its group killed)."""
        return self.status in ("running", "starting")


class Supervisor:
    """Owns the stack's child processes; `stop()` is safe to call at any point, more than once.

    A component in `vital` that is given up on stops the stack (`watch` returns); any other is
    marked failed while the rest keeps serving.
    """

    def __init__(
        self,
        log_dir: Path,
        console: Console | None,
        cwd: Path | None = None,
        *,
        policy: RestartPolicy | None = None,
        vital: Collection[str] = (),
        notify: Callable[[Event], None] | None = None,
    ) -> None:
        self.log_dir = log_dir
        self.console = console
        self.cwd = cwd
        self.policy = policy or RestartPolicy()
        self.vital = frozenset(vital)
        self.notify = notify or (lambda _event: None)
        self.running: list[Running] = []
        self._width = 8

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def _launch(
        self, spec: ComponentSpec, colour: str
    ) -> tuple[subprocess.Popen[bytes], processes.ProcessOutput]:
        output = processes.ProcessOutput(
            spec.name, self.log_path(spec.name), self.console, colour, self._width
        )
        return processes.start(spec.argv, spec.env, output, self.cwd), output

    def start_all(self, specs: Sequence[ComponentSpec]) -> None:
        self._width = max(len(s.name) for s in specs)
        for index, spec in enumerate(specs):
            log_path = self.log_path(spec.name)
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_bytes(b"")  # each `up` starts a fresh log; restarts append to it
            colour = processes.COLOURS[index % len(processes.COLOURS)]
            process, output = self._launch(spec, colour)
            self.running.append(Running(spec, process, output, colour, CrashHistory(self.policy)))

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

    def watch(self, until: Callable[[], bool] = lambda: False) -> ComponentFailed | None:
        """Serve, restarting what dies, until a vital component is given up on (its failure is
        returned) or `until()` is true (None); `up` runs it until interrupted."""
        with httpx.Client(timeout=PROBE_SECONDS, trust_env=False) as client:
            while not until():
                for item in self.running:
                    fatal = self._tend(item, time.monotonic(), client)
                    if fatal is not None:
                        return fatal
                time.sleep(POLL_SECONDS)
        return None

    def _tend(self, item: Running, now: float, client: httpx.Client) -> ComponentFailed | None:
        if item.status == "waiting" and now >= item.restart_at:
            return self._restart(item, now)
        if not item.alive:
            return None
        code = item.process.poll()
        if code is not None:
            # Workers of the dead leader (gunicorn's, say) would hold its port against the restart.
            processes.signal_group(item.process, signal.SIGKILL)
            item.output.join()
            return self._crashed(item, describe_exit(code), now)
        if item.status == "starting" and _answers(client, item.spec.ready_url):
            item.status = "running"
            self.notify(Recovered(item.spec.name, item.attempt, time.monotonic() - item.crashed_at))
        return None

    def _crashed(self, item: Running, exit: str, now: float) -> ComponentFailed | None:
        item.last_exit = exit
        item.crashed_at = now
        decision = item.history.after_crash(now, uptime=now - item.started_at)
        event = Crashed(
            item.spec.name,
            item.last_exit,
            now - item.started_at,
            decision,
            item.output.tail_text(),
            item.output.log_path,
        )
        if isinstance(decision, Restart):
            item.status, item.attempt = "waiting", decision.attempt
            item.restart_at = now + decision.delay
            self.notify(event)
            return None
        item.status = "failed"
        self.notify(event)
        if item.spec.name in self.vital:
            return item.failure(
                f"exited unexpectedly with {item.last_exit} and was given up on after "
                f"{decision.restarts} restarts within {decision.window_seconds:g}s"
            )
        return None

    def _restart(self, item: Running, now: float) -> ComponentFailed | None:
        """The same spec again: same argv, env and port, so the others' URLs stay valid."""
        try:
            item.process, item.output = self._launch(item.spec, item.colour)
        except OSError as exc:  # e.g. the executable vanished: a crash like any other
            item.started_at = now
            return self._crashed(item, f"no start ({exc})", now)
        item.started_at, item.status = now, "starting"
        self.notify(Restarted(item.spec.name, item.attempt, item.process.pid, item.spec.url))
        return None

    def stop(self, grace: float) -> list[str]:
        """Stop every component (router first, so no request reaches a stopping upstream).

        Returns the names of components that needed SIGKILL after `grace` seconds.
        """
        items = [r for r in reversed(self.running) if r.alive]
        killed = processes.stop_groups([r.process for r in items], grace)
        for item in items:
            item.output.join()
        self.running = []
        return [r.spec.name for r in items if r.process.pid in killed]

    def pids(self) -> dict[str, int]:
        return {r.spec.name: r.process.pid for r in self.running if r.alive}

    def health(self) -> dict[str, Health]:
        return {
            r.spec.name: Health(
                r.status, r.process.pid if r.alive else None, r.history.total, r.last_exit
            )
            for r in self.running
        }

    def given_up(self) -> list[str]:
        return [r.spec.name for r in self.running if r.status == "failed"]


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False
