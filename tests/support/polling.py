"""Waiting for something that happens in the background: poll until true, or fail saying what.

Tests give their own `within` (how long the behaviour may take) and `what` (for the failure);
`detail` is read only on failure, for output that grows while waiting (a process's log).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


def _timed_out(what: str, within: float, detail: Callable[[], str] | None) -> AssertionError:
    message = f"{what} not within {within}s"
    return AssertionError(f"{message}:\n{detail()}" if detail is not None else message)


def eventually(
    check: Callable[[], bool],
    within: float,
    what: str,
    *,
    every: float = 0.05,
    detail: Callable[[], str] | None = None,
) -> float:
    """Poll `check` until it is true; return how many seconds that took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            raise _timed_out(what, within, detail)
        time.sleep(every)
    return time.monotonic() - started


async def eventually_async(
    check: Callable[[], bool | Awaitable[bool]],
    within: float,
    what: str,
    *,
    every: float = 0.02,
    detail: Callable[[], str] | None = None,
) -> float:
    """`eventually` inside an event loop, which keeps running while it waits; `check` may be
    a coroutine function (one that asks the app over HTTP, say)."""
    started = time.monotonic()
    while True:
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return time.monotonic() - started
        if time.monotonic() - started > within:
            raise _timed_out(what, within, detail)
        await asyncio.sleep(every)
