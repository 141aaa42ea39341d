"""Ratios and targets over the measured cases, and the printed table (pure: data in, text out)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

Results = Mapping[str, Mapping[str, Any]]  # case name -> {"loaded": {...}, "c1": {...}, ...}


def _get(results: Results, case: str, run: str, metric: str) -> float | None:
    value = results.get(case, {}).get(run, {}).get(metric)
    return float(value) if value is not None else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _diff(a: float | None, b: float | None) -> float | None:
    return a - b if a is not None and b is not None else None


def ratios(results: Results) -> dict[str, float | None]:
    """Every comparison the README and the targets talk about; None where a case is missing."""

    def rps(case: str) -> float | None:
        return _get(results, case, "loaded", "rps")

    def c1(case: str) -> float | None:
        return _get(results, case, "c1", "p50_ms")

    def paced(case: str) -> float | None:
        return _get(results, case, "paced", "p50_ms")

    def cpu(case: str) -> float | None:
        return _get(results, case, "loaded", "front_cpu_us_per_req")

    t, m = "trivial/", "monolith/"
    return {
        "trivial router-1w / direct rps": _ratio(rps(t + "router-1w"), rps(t + "direct")),
        "trivial router-2w / direct rps": _ratio(rps(t + "router-2w"), rps(t + "direct")),
        "trivial nginx / direct rps": _ratio(rps(t + "nginx"), rps(t + "direct")),
        "trivial router-1w / nginx rps": _ratio(rps(t + "router-1w"), rps(t + "nginx")),
        "trivial router-2w / nginx rps": _ratio(rps(t + "router-2w"), rps(t + "nginx")),
        "trivial router-2w-nodelay / nginx rps": _ratio(
            rps(t + "router-2w-nodelay"), rps(t + "nginx")
        ),
        "trivial router-1w / lean-aiohttp rps": _ratio(
            rps(t + "router-1w"), rps(t + "lean-aiohttp")
        ),
        "trivial lean-aiohttp / router-1w cpu per req": _ratio(
            cpu(t + "lean-aiohttp"), cpu(t + "router-1w")
        ),
        "trivial nginx / router-1w cpu per req": _ratio(cpu(t + "nginx"), cpu(t + "router-1w")),
        "trivial lean-httpx / lean-aiohttp rps": _ratio(
            rps(t + "lean-httpx"), rps(t + "lean-aiohttp")
        ),
        "trivial lean-httpx / lean-aiohttp cpu per req": _ratio(
            cpu(t + "lean-httpx"), cpu(t + "lean-aiohttp")
        ),
        "trivial lean-aiohttp / nginx rps": _ratio(rps(t + "lean-aiohttp"), rps(t + "nginx")),
        "trivial router-1w added c1 p50 ms": _diff(c1(t + "router-1w"), c1(t + "direct")),
        "trivial router-2w added c1 p50 ms": _diff(c1(t + "router-2w"), c1(t + "direct")),
        "trivial nginx added c1 p50 ms": _diff(c1(t + "nginx"), c1(t + "direct")),
        "trivial lean-aiohttp added c1 p50 ms": _diff(c1(t + "lean-aiohttp"), c1(t + "direct")),
        "trivial lean-httpx added c1 p50 ms": _diff(c1(t + "lean-httpx"), c1(t + "direct")),
        "shadow / legacy paced p50": _ratio(paced(t + "router-1w-shadow"), paced(t + "router-1w")),
        "shadow / legacy c1 p50": _ratio(c1(t + "router-1w-shadow"), c1(t + "router-1w")),
        "shadow / legacy rps": _ratio(rps(t + "router-1w-shadow"), rps(t + "router-1w")),
        "shadow / legacy cpu per req": _ratio(cpu(t + "router-1w-shadow"), cpu(t + "router-1w")),
        "monolith router-1w / direct rps": _ratio(rps(m + "router-1w"), rps(m + "direct")),
        "monolith router-2w / direct rps": _ratio(rps(m + "router-2w"), rps(m + "direct")),
        "monolith router-2w-nodelay / direct rps": _ratio(
            rps(m + "router-2w-nodelay"), rps(m + "direct")
        ),
        "monolith nginx / direct rps": _ratio(rps(m + "nginx"), rps(m + "direct")),
        "monolith lean-aiohttp / direct rps": _ratio(rps(m + "lean-aiohttp"), rps(m + "direct")),
        "monolith router-1w added c1 p50 ms": _diff(c1(m + "router-1w"), c1(m + "direct")),
        "monolith nginx added c1 p50 ms": _diff(c1(m + "nginx"), c1(m + "direct")),
    }


@dataclass(frozen=True)
class Target:
    name: str
    ratio: str  # a key of ratios()
    bound: float
    at_least: bool  # True: value >= bound passes; False: value must stay below (or at) bound

    def status(self, value: float | None) -> str:
        if value is None:
            return "SKIP"
        ok = value >= self.bound if self.at_least else value <= self.bound
        return "PASS" if ok else "MISS"


TARGETS = (
    Target("monolith: router >= 0.95x direct", "monolith router-1w / direct rps", 0.95, True),
    Target("trivial: router 2 workers >= 0.20x nginx", "trivial router-2w / nginx rps", 0.20, True),
    Target("added p50 at c=1 <= 0.2 ms", "trivial router-1w added c1 p50 ms", 0.2, False),
    Target("router >= 0.8x lean aiohttp proxy", "trivial router-1w / lean-aiohttp rps", 0.8, True),
    # "< 10 %" is read as a p50 ratio of at most 1.10 at the same offered load.
    Target("shadow p50 cost < 10% vs legacy", "shadow / legacy paced p50", 1.10, False),
)


def evaluate(ratio_values: Mapping[str, float | None]) -> list[dict[str, Any]]:
    out = []
    for target in TARGETS:
        value = ratio_values.get(target.ratio)
        out.append({**asdict(target), "value": value, "status": target.status(value)})
    return out


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def table(results: Results) -> str:
    header = (
        f"{'case':<26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'c1 p50':>8} "
        f"{'paced p50':>9} {'cpu us/req':>10} {'errors':>6} {'load':>5}"
    )
    lines = [header, "-" * len(header)]
    for name, result in results.items():
        if "skipped" in result or "failed" in result:
            why = "skipped" if "skipped" in result else "failed"
            first_line = str(result[why]).splitlines()[0]
            lines.append(f"{name:<26} {why}: {first_line}")
            continue

        def g(run: str, metric: str, _r: Mapping[str, Any] = result) -> float | None:
            value = _r.get(run, {}).get(metric)
            return None if value is None else float(value)

        errors = sum(
            int(result.get(run, {}).get(k, 0))
            for run in ("loaded", "c1", "paced")
            for k in ("socket_errors", "timeouts", "non_2xx_3xx")
        )
        lines.append(
            f"{name:<26} {_fmt(g('loaded', 'rps'), '.0f'):>9} {_fmt(g('loaded', 'p50_ms')):>8} "
            f"{_fmt(g('loaded', 'p99_ms')):>8} {_fmt(g('c1', 'p50_ms'), '.3f'):>8} "
            f"{_fmt(g('paced', 'p50_ms'), '.3f'):>9} "
            f"{_fmt(g('loaded', 'front_cpu_us_per_req'), '.0f'):>10} {errors:>6} "
            f"{_fmt(result.get('loadavg_1m_before'), '.1f'):>5}"
        )
    return "\n".join(lines)


def ratio_lines(ratio_values: Mapping[str, float | None]) -> str:
    fmt: Callable[[float | None], str] = lambda v: _fmt(v, ".3f")  # noqa: E731
    known = [(name, value) for name, value in ratio_values.items() if value is not None]
    if not known:
        return "  (none: each ratio needs both of its cases)"
    return "\n".join(f"  {name:<46} {fmt(value)}" for name, value in known)


def target_lines(evaluated: list[dict[str, Any]]) -> str:
    lines = []
    for t in evaluated:
        op = ">=" if t["at_least"] else "<="
        lines.append(
            f"  {t['status']:<5} {t['name']:<42} {_fmt(t['value'], '.3f'):>8} ({op} {t['bound']})"
        )
    return "\n".join(lines)


def markdown(document: Mapping[str, Any]) -> str:
    """The results JSON as README tables: `python -m bench.report bench/results/latest.json`."""
    rows = [
        "| case | req/s | p50 ms | p99 ms | c=1 p50 ms | paced p50 ms | proxy CPU µs/req "
        "| errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, result in document["cases"].items():
        if "skipped" in result or "failed" in result:
            why = "skipped" if "skipped" in result else "failed"
            rows.append(f"| {name} | {why}: {str(result[why]).splitlines()[0]} | | | | | | |")
            continue
        loaded, c1, paced = result["loaded"], result["c1"], result.get("paced", {})
        errors = sum(
            int(result.get(run, {}).get(k, 0))
            for run in ("loaded", "c1", "paced")
            for k in ("socket_errors", "timeouts", "non_2xx_3xx")
        )
        rows.append(
            f"| {name} | {loaded['rps']:.0f} | {loaded['p50_ms']:.2f} | {loaded['p99_ms']:.2f} "
            f"| {c1['p50_ms']:.3f} | {_fmt(paced.get('p50_ms'), '.3f')} "
            f"| {_fmt(loaded.get('front_cpu_us_per_req'), '.0f')} | {errors} |"
        )
    rows += ["", "| ratio | value |", "| --- | ---: |"]
    rows += [f"| {k} | {_fmt(v, '.3f')} |" for k, v in document["ratios"].items()]
    rows += ["", "| target | value | bound | result |", "| --- | ---: | ---: | --- |"]
    for t in document["targets"]:
        op = ">=" if t["at_least"] else "<="
        rows.append(
            f"| {t['name']} | {_fmt(t['value'], '.3f')} | {op} {t['bound']} | {t['status']} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1] if len(sys.argv) > 1 else "bench/results/latest.json") as f:
        print(markdown(json.load(f)))
