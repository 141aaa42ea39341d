"""Which mode changes a route flag may make (pure): one stage forward at a time, back at will.

legacy -> shadow -> canary -> extracted. Rollback to legacy is always allowed; moving back to any
earlier stage lowers exposure and is allowed too; canary percent may grow or shrink within canary.
"""

from __future__ import annotations

from dataclasses import dataclass

from migration_plan.plan.model import Mode

STAGES: tuple[Mode, ...] = (Mode.LEGACY, Mode.SHADOW, Mode.CANARY, Mode.EXTRACTED)


def stage(mode: Mode) -> int:
    return STAGES.index(mode)


def next_stage(mode: Mode) -> Mode | None:
    """The stage after `mode`, or None when it is the last."""
    index = stage(mode)
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def exposure(mode: Mode, percent: float | None) -> float:
    """Percent of callers the service answers for (shadow answers none of them)."""
    if mode is Mode.EXTRACTED:
        return 100.0
    if mode is Mode.CANARY:
        return percent or 0.0
    return 0.0


@dataclass(frozen=True, slots=True)
class Transition:
    """A requested change of one route flag, with what it is now."""

    route: str
    current: Mode
    target: Mode
    current_percent: float | None = None
    target_percent: float | None = None

    @property
    def raises_exposure(self) -> bool:
        """Whether more callers (or a later stage) would reach the service: gated moves."""
        if self.target not in (Mode.CANARY, Mode.EXTRACTED):
            return False
        if stage(self.target) != stage(self.current):
            return stage(self.target) > stage(self.current)
        if self.target is Mode.CANARY:
            return (self.target_percent or 0.0) > (self.current_percent or 0.0)
        return False


def transition_problem(t: Transition) -> str | None:
    """Why `t` is not allowed, or None when it is."""
    if t.target is Mode.CANARY and t.target_percent is None and t.current is not Mode.CANARY:
        return "a move to canary needs a percent (--percent 0..100)"
    if t.target is Mode.LEGACY:
        return None if t.current is not Mode.LEGACY else f"{t.route} is already legacy"
    if t.target is t.current:
        if t.target is Mode.CANARY:
            if t.target_percent is None or t.target_percent == t.current_percent:
                return f"{t.route} is already canary at {t.current_percent or 0:g}%"
            return None
        return f"{t.route} is already {t.current.value}"
    if stage(t.target) < stage(t.current):
        return None
    allowed = next_stage(t.current)
    if allowed is not t.target:
        return (
            f"cannot move {t.route} from {t.current.value} to {t.target.value}: "
            f"the next allowed stage is {allowed.value if allowed else '(none)'}"
        )
    return None
