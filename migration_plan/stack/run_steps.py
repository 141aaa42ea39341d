"""Run the preparation stages: each stage's steps side by side, stopping at the first failure."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from migration_plan.stack import processes
from migration_plan.stack.prepare import Stage, Step

STEP_TIMEOUT_SECONDS = 600.0


class StepFailed(Exception):
    """A preparation step exited non-zero; carries the end of its output."""

    def __init__(self, step: Step, returncode: int | None, tail: str, log_path: Path) -> None:
        how = "timed out" if returncode is None else f"exited with code {returncode}"
        super().__init__(f"{step.name} {how} (full output: {log_path})")
        self.step = step
        self.tail = tail
        self.log_path = log_path


def run_stages(
    stages: Sequence[Stage],
    log_path: Path,
    *,
    cwd: Path | None = None,
    done: Callable[[Step, float], None] | None = None,
    timeout: float = STEP_TIMEOUT_SECONDS,
) -> None:
    """Run every stage in order; raise StepFailed for the first failing step of a stage."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_bytes(b"")
    for stage in stages:
        _run_stage(stage, log_path, cwd, done, timeout)


def _run_stage(
    stage: Stage,
    log_path: Path,
    cwd: Path | None,
    done: Callable[[Step, float], None] | None,
    timeout: float,
) -> None:
    started = time.monotonic()
    running: list[tuple[Step, subprocess.Popen[bytes], processes.ProcessOutput]] = []
    try:
        for step in stage:
            output = processes.ProcessOutput(step.name, log_path, console=None, prefix_log=True)
            running.append((step, processes.start(step.argv, step.env, output, cwd), output))
        for step, process, output in running:
            try:
                returncode: int | None = process.wait(
                    timeout=max(0.0, started + timeout - time.monotonic())
                )
            except subprocess.TimeoutExpired:
                returncode = None
            output.join()
            if returncode != 0:
                raise StepFailed(step, returncode, output.tail_text(), log_path)
            if done is not None:
                done(step, time.monotonic() - started)
    finally:
        # On a failure or Ctrl-C, nothing a step started may outlive `strangler up`.
        leftovers = [p for _, p, _ in running if processes.group_alive(p)]
        if leftovers:
            processes.stop_groups(leftovers, grace=3.0)
