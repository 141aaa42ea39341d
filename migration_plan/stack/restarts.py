"""When to restart a component that died, and when to give up on it (pure: times are arguments)."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

# 2**64 half-seconds is far beyond any cap; the bound keeps the float arithmetic finite.
_MAX_EXPONENT = 64


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """Exponential backoff per component, reset by a stable run, bounded by a crash-loop limit."""

    base_seconds: float = 0.5
    max_seconds: float = 30.0
    stable_seconds: float = 60.0  # up this long, the next crash starts the backoff over
    limit: int = 5  # restarts allowed within `window_seconds`; one more crash gives up
    window_seconds: float = 60.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before restart number `attempt` (1-based) of a crash streak."""
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        return float(min(self.base_seconds * 2**exponent, self.max_seconds))


@dataclass(frozen=True, slots=True)
class Restart:
    attempt: int  # within the current streak: 1 after a stable run
    delay: float


@dataclass(frozen=True, slots=True)
class GiveUp:
    restarts: int  # how many restarts the window already held
    window_seconds: float


@dataclass(slots=True)
class CrashHistory:
    """One component's crashes: decides restart-or-give-up for each new one."""

    policy: RestartPolicy
    streak: int = 0
    total: int = 0  # restarts since `up` started, for `stack.json`
    recent: list[float] = field(default_factory=list)  # when each restart was decided

    def after_crash(self, now: float, uptime: float) -> Restart | GiveUp:
        if uptime >= self.policy.stable_seconds:
            self.streak = 0
        self.recent = [t for t in self.recent if now - t < self.policy.window_seconds]
        if len(self.recent) >= self.policy.limit:
            return GiveUp(len(self.recent), self.policy.window_seconds)
        self.streak += 1
        self.total += 1
        self.recent.append(now)
        return Restart(self.streak, self.policy.delay(self.streak))


def describe_exit(code: int) -> str:
    """`code 3`, or `signal SIGKILL` for a negative Popen return code."""
    if code >= 0:
        return f"code {code}"
    try:
        return f"signal {signal.Signals(-code).name}"
    except ValueError:
        return f"signal {-code}"
