"""Hot reload: poll the plan file's signature and hand each valid new plan to the router."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from migration_plan.plan import Plan, PlanError, load_plan

Signature = tuple[int, int, int] | None


def signature(path: Path) -> Signature:
    """Changes whenever the file is rewritten or replaced (mtime, size, inode)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class PlanWatcher:
    """Call `check` every so often; a plan that fails validation changes nothing."""

    def __init__(
        self,
        path: Path,
        on_plan: Callable[[Plan], Awaitable[None]],
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
        self._last = current
        try:
            plan = await asyncio.to_thread(load_plan, self._path, dict(os.environ))
        except PlanError as exc:
            self._on_error(exc)
            return
        await self._on_plan(plan)
