"""Hot reload: poll the plan file's signature and hand each valid new plan to the router."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from migration_plan.plan import Plan, PlanError, PlanProblem, parse_plan

Signature = tuple[int, int, int] | None
GIT_TIMEOUT_SECONDS = 2.0


def signature(path: Path) -> Signature:
    """Changes whenever the file is rewritten or replaced (mtime, size, inode)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


@dataclass(frozen=True, slots=True)
class PlanFile:
    """One read of the plan file: the validated plan, its text and its revision."""

    plan: Plan
    text: str
    revision: str  # "sha256:<12 hex>", plus " git <commit>[+edits]" inside a git work tree


def read_plan_file(path: Path, env: dict[str, str]) -> PlanFile:
    """Read once and validate that text, so the revision names exactly the plan that serves."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError([PlanProblem(str(path), None, "", f"cannot read the plan: {exc}")]) from exc
    plan = parse_plan(text, str(path), env=env)
    return PlanFile(plan, text, revision(path, text))


def revision(path: Path, text: str) -> str:
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:12]
    commit = _git_revision(path)
    return f"{digest} git {commit}" if commit else digest


def _git_revision(path: Path) -> str | None:
    """The last commit touching the file, `+edits` when the file differs from it (None: no git)."""
    where = str(path.resolve().parent)
    try:
        done = subprocess.run(
            ["git", "-C", where, "log", "-1", "--format=%h", "--", path.name],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
        commit = done.stdout.strip()
        if done.returncode != 0 or not commit:
            return None
        dirty = subprocess.run(
            ["git", "-C", where, "diff", "--quiet", "HEAD", "--", path.name],
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+edits" if dirty.returncode != 0 else "")


class PlanWatcher:
    """Call `check` every so often; a plan that fails validation changes nothing."""

    def __init__(
        self,
        path: Path,
        on_plan: Callable[[PlanFile], Awaitable[None]],
        on_error: Callable[[PlanError], None],
        last: Signature = None,
    ) -> None:
        self._path = path
        self._on_plan = on_plan
        self._on_error = on_error
        # Taken before the serving plan was read, so a change made since is never missed.
        self._last = last

    async def check(self) -> None:
        current = signature(self._path)
        if current == self._last:
            return
        previous, self._last = self._last, current
        try:
            read = await asyncio.to_thread(read_plan_file, self._path, dict(os.environ))
        except PlanError as exc:
            self._on_error(exc)
            return
        try:
            await self._on_plan(read)
        except BaseException:
            self._last = previous  # not applied (the state store did not answer): try again
            raise
