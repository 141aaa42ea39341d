"""A reviewable noise baseline: legacy against legacy, the differences written as proposed rules.

Diffy cancels noise by comparing the primary with a second primary. Here the contract scenarios
run with legacy on both sides (one URL twice, or two instances), each pair of legacy answers
feeds a :class:`NoiseModel` per endpoint, and what it learns becomes *proposed* rules with a
reason each, inserted as text under the endpoint's ``parity_proposed:`` in the plan file. Nothing
reads that key but a person: the router and the comparison apply ``parity:`` only.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import yaml

from migration_plan.plan import Plan, parse_plan
from migration_plan.plan.model import ProposedRule

from .compare import raw_differences
from .difference import Difference
from .ids import IdMap
from .json_diff import _instant  # the parser the `timestamps` rule itself uses
from .noise import WHOLE_ANSWER, NoiseModel
from .pointers import pattern_regex
from .runner import (
    ScenarioResult,
    endpoint_of,
    learn_capture,
    pointer_value,
    rules_for,
    run_scenario,
    side_tokens,
)
from .scenario import Scenario
from .suite import UrlSides

KEY = "parity_proposed"
HEADER = "header:"
MINTED = "values minted per call"


class LegacyPairSides(UrlSides):
    """Two legacy sides (the same URL twice, or two instances) taking turns per scenario."""

    def __init__(self, legacy_a: str, legacy_b: str, settle_seconds: float = 0.0) -> None:
        super().__init__(legacy_a, legacy_b, settle_seconds)
        self.source = f"{legacy_a} vs {legacy_b} (both legacy)"
        self._legacy.name, self._extracted.name = "legacy A", "legacy B"


@dataclass
class EndpointNoise:
    """What one endpoint's legacy pairs showed: the model and every difference found."""

    model: NoiseModel = field(default_factory=NoiseModel)
    differences: list[Difference] = field(default_factory=list)


@dataclass
class Learned:
    endpoints: dict[str, EndpointNoise] = field(default_factory=dict)  # plan route -> noise
    stopped: list[str] = field(default_factory=list)  # scenarios a side could not finish


def learn(
    scenarios: Iterable[Scenario],
    plan: Plan,
    sides: LegacyPairSides,
    runs: int = 1,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> Learned:
    """Run every scenario ``runs`` times on the two legacy sides; observe each pair of answers.

    Each side gets its own ``{run}`` token (``l<run>``/``e<run>``, as in ``parity run``), so the
    two legacy runs register their own users and create their own products on shared data.
    """
    learned = Learned()
    listed = list(scenarios)
    for _ in range(runs):
        run = secrets.token_hex(4)
        for scenario in listed:
            with sides.pair() as (a, b):
                result = run_scenario(scenario, a, b, plan, run=run, settle=sides.settle)
            _observe(result, plan, run, learned)
            if on_result is not None:
                on_result(result)
    return learned


def _observe(result: ScenarioResult, plan: Plan, run: str, learned: Learned) -> None:
    # The step results keep side B's raw answer; the same id mapping and token swap the runner
    # applied before comparing is rebuilt here, in step order, so what is observed is exactly
    # what a comparison would see (a minted id that a capture maps is not noise).
    ids = IdMap()
    ids.learn_text(*side_tokens(run))
    for step in result.steps:
        endpoint = endpoint_of(plan, step.endpoint)
        for capture in step.step.captures:
            try:
                values = [
                    pointer_value(answer, capture.pointer)
                    for answer in (step.legacy, step.extracted)
                ]
            except KeyError:
                continue
            if capture.map_id:
                learn_capture(ids, capture, values, step.extracted, endpoint)
        b = ids.apply(step.extracted, endpoint.template.path)
        rules = rules_for(step.step, endpoint)
        noise = learned.endpoints.setdefault(endpoint.route, EndpointNoise())
        noise.model.observe(step.legacy, b, rules)
        noise.differences += raw_differences(step.legacy, b, rules)
    if result.error:
        learned.stopped.append(f"{result.scenario.name}: {result.error}")


@dataclass(frozen=True)
class EndpointProposal:
    route: str
    observations: int
    rules: tuple[ProposedRule, ...] = ()
    unstable: str = ""  # why nothing is proposed although the answers differ


def propose(route: str, noise: EndpointNoise) -> EndpointProposal:
    """The rules one endpoint's noise suggests, each with its reason (pure)."""
    model = noise.model
    seen = model.observations
    if model.too_noisy:
        whole = sorted(model.noisy_paths & WHOLE_ANSWER)
        what = (
            f"the {' and '.join(p or 'whole document' for p in whole)}"
            if whole
            else (f"more than {model.max_noise_ratio:.0%} of the fields")
        )
        return EndpointProposal(
            route, seen, unstable=f"two legacy answers differ in {what}: no stable answer to "
            "learn from, nothing proposed"
        )  # fmt: skip
    rules: list[ProposedRule] = []
    for path in sorted(model.noisy_paths):
        times = round(model.noise_ratio(path) * seen)
        minted = f"differs between two legacy answers in {times} of {seen} observations: {MINTED}"
        if path.startswith(HEADER):
            rules.append(ProposedRule(rule="drop_header", at=path[len(HEADER) :], reason=minted))
            continue
        regex = re.compile(pattern_regex(path), re.DOTALL)
        gaps = [_gap(d) for d in noise.differences if regex.fullmatch(d.path)]
        if gaps and all(gap is not None for gap in gaps):
            most = max(gap or 0.0 for gap in gaps)
            reason = f"differs between two legacy answers by up to {most:.3f} s"
            # Rounded up to the next whole second: the turns of a later run may take longer.
            seconds = float(max(1, math.ceil(most)))
            rules.append(ProposedRule(rule="timestamps", at=path, seconds=seconds, reason=reason))
        else:
            rules.append(ProposedRule(rule="ignore", at=path, reason=minted))
    return EndpointProposal(route, seen, tuple(rules))


def _gap(difference: Difference) -> float | None:
    """Seconds between two values that both parse as timestamps; None for anything else."""
    a, b = _instant(difference.legacy), _instant(difference.extracted)
    return None if a is None or b is None else abs(a - b)


class BaselineError(ValueError):
    """The plan text cannot take the proposals (the file is left as it was)."""


def with_proposals(
    text: str,
    filename: str,
    proposals: Mapping[str, EndpointProposal],
    env: Mapping[str, str] | None = None,
) -> str:
    """The plan text with each endpoint's ``parity_proposed:`` block replaced by its proposals
    (removed when it has none); every other line, comments included, kept as written.

    The result is parsed again: a text that would not load raises PlanError and nothing is
    returned to write.
    """
    plan = parse_plan(text, filename, env)
    items = _endpoint_nodes(text)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"  # a block may be added after the last line
    edits: list[tuple[int, int, list[str]]] = []  # (first line, end line, replacement), 0-based
    for route, proposal in proposals.items():
        endpoint = plan.endpoint(route)
        if endpoint is None:
            raise BaselineError(f"{filename}: {route!r} is not an endpoint of the plan")
        node = items[plan.endpoints.index(endpoint)]
        edits.append(_edit(node, lines, proposal, filename))
    for start, end, replacement in sorted(edits, reverse=True):
        lines[start:end] = replacement
    result = "".join(lines)
    parsed = parse_plan(result, filename, env)  # PlanError: the caller writes nothing
    for route, proposal in proposals.items():
        written = parsed.endpoint(route)
        if written is None or written.parity_proposed != proposal.rules:
            raise BaselineError(f"{filename}: {route}: the proposals did not read back as written")
    return result


def _endpoint_nodes(text: str) -> list[yaml.MappingNode]:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    for key, value in root.value if isinstance(root, yaml.MappingNode) else []:
        if key.value == "endpoints" and isinstance(value, yaml.SequenceNode):
            return [item for item in value.value if isinstance(item, yaml.MappingNode)]
    return []


def _edit(
    node: yaml.MappingNode, lines: list[str], proposal: EndpointProposal, filename: str
) -> tuple[int, int, list[str]]:
    first = node.start_mark.line + 1
    if node.flow_style:
        raise BaselineError(
            f"{filename}:{first}: {proposal.route} is written as one {{...}} mapping; write it in "
            f"block style (one key a line) so {KEY}: can be added under it"
        )
    indent = " " * node.value[0][0].start_mark.column
    block = _render(proposal.rules, indent)
    for key, value in node.value:
        if key.value == KEY:  # replace the earlier baseline's block where it stands
            return key.start_mark.line, _last_line(value, lines) + 1, block
    return (end := _last_line(node.value[-1][1], lines) + 1), end, block


def _last_line(value: yaml.Node, lines: list[str]) -> int:
    """The 0-based last line holding ``value`` (a block collection ends where the next token
    starts, past any blank and comment lines that follow it)."""
    end = value.end_mark
    before = lines[end.line][: end.column] if end.line < len(lines) else ""
    line = end.line - (1 if not before.strip() else 0)
    while line > value.start_mark.line and lines[line].strip()[:1] in ("", "#"):
        line -= 1
    return min(line, len(lines) - 1)


def _render(rules: tuple[ProposedRule, ...], indent: str) -> list[str]:
    if not rules:
        return []
    out = [f"{indent}{KEY}:  # learned by `strangler parity baseline`, NOT applied: review each,"
           " then move the ones you accept into parity:\n"]  # fmt: skip
    for rule in rules:
        fields: dict[str, object] = {"rule": rule.rule, "at": rule.at}
        if rule.seconds is not None:
            fields["seconds"] = rule.seconds
        fields["reason"] = rule.reason
        # JSON strings are YAML double-quoted scalars: a pointer like `/a~1b` or `#` stays literal.
        body = ", ".join(f"{k}: {json.dumps(v)}" for k, v in fields.items())
        out.append(f"{indent}  - {{{body}}}\n")
    return out
