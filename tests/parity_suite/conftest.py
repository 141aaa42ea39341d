"""The contract suite runs through the parity plugin (fixtures: run_scenario, parity_sides...).

Not `pytest_plugins = [...]`: pytest refuses that in any conftest below the rootdir once a whole
tree is collected ("Defining 'pytest_plugins' in a non-top-level conftest is no longer
supported"), so the plugin's fixtures are re-exported here instead. For the command-line
options (`--parity-legacy URL --parity-extracted URL`) load it with
`-p migration_plan.parity.pytest_plugin`, or set PARITY_LEGACY_URL / PARITY_EXTRACTED_URL.
"""

from migration_plan.parity.pytest_plugin import (  # noqa: F401
    parity_plan,
    parity_seed,
    parity_sides,
    run_scenario_fixture,
)
