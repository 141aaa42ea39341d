"""Read the parity suite's results file (the I/O edge of `migration_plan.plan.evidence`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from migration_plan.plan.evidence import ParityResults, parse_parity_results

# The same setting and default as `strangler parity run` (migration_plan/parity/report.py).
RESULTS_VARIABLE = "PARITY_RESULTS_PATH"
DEFAULT_RESULTS_PATH = Path("var/parity/results.json")


def parity_results_path(environ: Mapping[str, str]) -> Path:
    """PARITY_RESULTS_PATH, else `var/parity/results.json` (where `strangler parity run` writes)."""
    return Path(environ.get(RESULTS_VARIABLE) or DEFAULT_RESULTS_PATH)


def read_parity_results(environ: Mapping[str, str]) -> ParityResults:
    """The recorded results; a missing or unreadable file gives results with a `problem`."""
    path = parity_results_path(environ)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ParityResults(location=str(path), problem=f"no results at {path}")
    except (OSError, ValueError) as exc:
        return ParityResults(location=str(path), problem=f"cannot read {path}: {exc}")
    return parse_parity_results(data, str(path))
