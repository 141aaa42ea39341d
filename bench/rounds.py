"""Rounds of one case folded into one result: medians of rates and latencies, sums of errors."""

from __future__ import annotations

import statistics
from typing import Any

SUMMED = ("requests", "seconds", "socket_errors", "timeouts", "non_2xx_3xx")


def combine_rounds(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One result for the case; any failed round fails the case (its numbers would be partial)."""
    failed = [run["failed"] for run in runs if "failed" in run]
    if failed:
        return {"failed": failed[0], "rounds": runs}
    if len(runs) == 1:
        return runs[0]
    combined: dict[str, Any] = {"rounds": runs}
    for kind in ("loaded", "c1", "paced"):
        if kind not in runs[0]:
            continue
        numbers = [run[kind] for run in runs]
        combined[kind] = {
            metric: sum(n[metric] for n in numbers)
            if metric in SUMMED
            else statistics.median(n[metric] for n in numbers if metric in n)
            for metric in numbers[0]
        }
    combined["loadavg_1m_before"] = statistics.median(run["loadavg_1m_before"] for run in runs)
    return combined
