"""The contract suite: scenarios covering every endpoint of the plan, success and errors.

They are data: the scenario files of the folder the plan names (``parity: {scenarios: DIR}``),
by default the worked example's in ``migration_plan/scenarios/`` (docs/parity.md). Run them with
``strangler parity run`` or, in tests, with the pytest plugin's ``run_scenario``. ``steps.py``
keeps the Python builders for scenarios a test writes in Python.
"""

from __future__ import annotations

from ..scenario import Scenario
from ..scenario_files import DEFAULT_FOLDER, load_scenario_folder

SCENARIOS: tuple[Scenario, ...] = load_scenario_folder(DEFAULT_FOLDER)


def scenarios_for(
    endpoint: str | None = None, scenarios: tuple[Scenario, ...] | None = None
) -> tuple[Scenario, ...]:
    """Every scenario (the contract's, unless given), or those with a step exercising
    ``endpoint`` (a plan route)."""
    every = SCENARIOS if scenarios is None else scenarios
    if endpoint is None:
        return every
    return tuple(s for s in every if endpoint in s.endpoints)


__all__ = ["DEFAULT_FOLDER", "SCENARIOS", "scenarios_for"]
