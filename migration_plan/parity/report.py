"""Per-endpoint parity results: the results file the plan's gates read, JUnit, and Markdown.

The results file (``var/parity/results.json`` by default, ``PARITY_RESULTS_PATH``)::

    {"version": 1, "generated_at": "2026-11-27T05:00:00+00:00", "source": "in-process",
     "endpoints": {"GET /api/products/{id}": {"status": "pass", "scenarios": 3, "steps": 7,
                                              "planned_steps": 7, "mismatches": 0,
                                              "failures": []}}}

``status`` is ``pass``, ``fail`` (a difference) or ``incomplete`` (a scenario stopped before one of
the endpoint's steps ran: never a pass). ``failures`` holds ``"<scenario>: <first diff line>"`` per
failing step, and a line per step that did not run. Every line is redacted (redact.py): emails,
credentials and the plan's ``sensitive`` pointers show as keyed marks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from .redact import default_redactor
from .runner import ScenarioResult, StepResult

RESULTS_VERSION = 1
DEFAULT_RESULTS_PATH = Path("var/parity/results.json")
RESULTS_PATH_SETTING = "PARITY_RESULTS_PATH"


@dataclass(slots=True)
class EndpointReport:
    """Everything the suite learned about one plan endpoint."""

    route: str
    scenarios: list[str] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)  # "<scenario>: <why it stopped>"
    # "<scenario>: step N (label) did not run": a scenario stopped before it got there.
    not_run: list[str] = field(default_factory=list)

    @property
    def mismatches(self) -> int:
        return sum(1 for step in self.steps if not step.passed) + len(self.stopped)

    @property
    def planned(self) -> int:
        return len(self.steps) + len(self.stopped) + len(self.not_run)

    @property
    def status(self) -> str:
        """`fail` on any difference; `incomplete` when a planned step never ran; else `pass`."""
        if self.mismatches:
            return "fail"
        return "incomplete" if self.not_run else "pass"

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def failures(self) -> list[str]:
        lines = [f"{s.scenario}: {s.first_line()}" for s in self.steps if not s.passed]
        return lines + self.stopped + self.not_run

    def as_result(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "scenarios": len(self.scenarios),
            "steps": len(self.steps),
            "planned_steps": self.planned,
            "mismatches": self.mismatches,
            "failures": self.failures(),
        }


@dataclass(slots=True)
class ParityReport:
    """The results of one run, grouped by endpoint in the order endpoints were first seen."""

    source: str
    results: list[ScenarioResult]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    endpoints: dict[str, EndpointReport] = field(init=False)

    def __post_init__(self) -> None:
        self.endpoints = by_endpoint(self.results)

    @property
    def passed(self) -> bool:
        return all(report.passed for report in self.endpoints.values())

    def as_results_file(self) -> dict[str, Any]:
        return {
            "version": RESULTS_VERSION,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "source": self.source,
            "endpoints": {route: r.as_result() for route, r in self.endpoints.items()},
        }

    def write_results(self, path: Path, only: Iterable[str] | None = None) -> None:
        """Write the results file. With ``only`` (routes), just those endpoints are (re)written
        into the file already there, when it is from the same source; the rest is kept."""
        document = self.as_results_file()
        if only is not None:
            wanted = set(only)
            fresh = {k: v for k, v in document["endpoints"].items() if k in wanted}
            document["endpoints"] = {**_previous(path, self.source), **fresh}
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n")
        temporary.replace(path)  # a gate reading concurrently never sees half a file

    def junit(self) -> str:
        return junit_xml(self)

    def markdown(self) -> str:
        return markdown_summary(self)


def _previous(path: Path, source: str) -> dict[str, Any]:
    """The endpoints of an existing results file from the same source (else nothing)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("version") != RESULTS_VERSION:
        return {}
    endpoints = document.get("endpoints")
    if document.get("source") != source or not isinstance(endpoints, dict):
        return {}
    return endpoints


def by_endpoint(results: Iterable[ScenarioResult]) -> dict[str, EndpointReport]:
    reports: dict[str, EndpointReport] = {}
    for result in results:
        for step in result.steps:
            report = reports.setdefault(step.endpoint, EndpointReport(step.endpoint))
            if result.scenario.name not in report.scenarios:
                report.scenarios.append(result.scenario.name)
            report.steps.append(step)
        if result.error and result.error_endpoint:
            report = reports.setdefault(
                result.error_endpoint, EndpointReport(result.error_endpoint)
            )
            if result.scenario.name not in report.scenarios:
                report.scenarios.append(result.scenario.name)
            # An exception's text may quote a URL or a body: redacted like every difference.
            report.stopped.append(
                f"{result.scenario.name}: {default_redactor().text(result.error)}"
            )
        # The steps after a stop still belong to their endpoints: without them an endpoint
        # would pass on the steps that happened to run, or vanish from the results.
        first_unrun = len(result.steps) + (1 if result.error and result.error_endpoint else 0)
        for index, unrun in enumerate(result.scenario.steps[first_unrun:], start=first_unrun):
            report = reports.setdefault(unrun.endpoint, EndpointReport(unrun.endpoint))
            if result.scenario.name not in report.scenarios:
                report.scenarios.append(result.scenario.name)
            report.not_run.append(
                f"{result.scenario.name}: step {index + 1} ({unrun.label}) did not run"
            )
    return reports


def junit_xml(report: ParityReport) -> str:
    """One test case per (endpoint, scenario): classname is the endpoint, name the scenario."""
    suite = ET.Element(
        "testsuite",
        name="parity",
        hostname=report.source,
        timestamp=report.generated_at.isoformat(),
    )
    cases = failures = 0
    for route, endpoint in report.endpoints.items():
        for scenario in endpoint.scenarios:
            cases += 1
            case = ET.SubElement(suite, "testcase", classname=route, name=scenario)
            bad = [s for s in endpoint.steps if s.scenario == scenario and not s.passed]
            stopped = [
                line
                for line in endpoint.stopped + endpoint.not_run
                if line.startswith(f"{scenario}: ")
            ]
            if bad or stopped:
                failures += 1
                first = bad[0].first_line() if bad else stopped[0]
                failure = ET.SubElement(case, "failure", message=first)
                failure.text = "\n".join([s.summary() for s in bad] + stopped)
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(report: ParityReport) -> str:
    verdict = "all endpoints match" if report.passed else "MISMATCHES"
    lines = [
        f"# Parity: {verdict}",
        "",
        f"Source: {report.source}; generated {report.generated_at.isoformat(timespec='seconds')}.",
        "",
        "| endpoint | status | scenarios | steps run | mismatches |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for route, endpoint in report.endpoints.items():
        status = "pass" if endpoint.passed else f"**{endpoint.status}**"
        lines.append(
            f"| `{route}` | {status} | {len(endpoint.scenarios)} "
            f"| {len(endpoint.steps)} of {endpoint.planned} | {endpoint.mismatches} |"
        )
    failing = [e for e in report.endpoints.values() if not e.passed]
    for endpoint in failing:
        lines += ["", f"## `{endpoint.route}`", ""]
        for step in endpoint.steps:
            if not step.passed:
                lines += [f"Scenario *{_cell(step.scenario)}*:", "", "```", step.summary(), "```"]
        lines += [f"- {_cell(line)}" for line in endpoint.stopped + endpoint.not_run]
    return "\n".join(lines) + "\n"
