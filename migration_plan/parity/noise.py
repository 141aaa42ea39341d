"""Diffy-style noise cancellation: learn which pointers differ between two LEGACY answers.

When the monolith itself answers the same request differently (fresh ids, timestamps), a
difference at that pointer between legacy and extracted proves nothing. Array indices are
generalised (``/items/3/id`` -> ``/items/*/id``) so what is learned on one page applies to all.
Thresholds keep the model honest: a pointer counts only once it was noisy in ``min_noisy``
observations out of at least ``min_observations``; a model whose noise covers the status, a whole
non-JSON body, the whole document, or more than ``max_noise_ratio`` of the body's fields is
``too_noisy`` and :func:`compare_responses` then cancels nothing.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .compare import DEFAULT_RULES, NOT_JSON, parse_json, raw_differences
from .pointers import PointerMatcher, compile_patterns, escape, split, unescape
from .response import ObservedResponse
from .rules import ParityRules

FORMAT_VERSION = 1
# Noise here means the endpoint has no stable answer at all; cancelling it would hide anything.
WHOLE_ANSWER = frozenset({"status", "body", ""})


class _Verdicts(NamedTuple):
    pointers: PointerMatcher  # noisy JSON pointers (and everything below them)
    others: frozenset[str]  # noisy non-pointer paths: status, body, header:<name>, "" (root)
    too_noisy: bool


class NoiseModel:
    """Counts, per generalised pointer, in how many observed legacy pairs it differed."""

    def __init__(
        self, *, min_observations: int = 1, min_noisy: int = 1, max_noise_ratio: float = 0.5
    ) -> None:
        if min_observations < 1 or min_noisy < 1:
            raise ValueError("NoiseModel: min_observations and min_noisy must be at least 1")
        if not 0.0 <= max_noise_ratio <= 1.0:
            raise ValueError(
                f"NoiseModel: max_noise_ratio must be in [0, 1], got {max_noise_ratio}"
            )
        self.min_observations = min_observations
        self.min_noisy = min_noisy
        self.max_noise_ratio = max_noise_ratio
        self._observations = 0
        self._counts: dict[str, int] = {}
        self._fields: set[str] = set()  # generalised leaf pointers seen in legacy bodies
        self._verdicts: _Verdicts | None = None

    # learning

    def observe(
        self,
        legacy_a: ObservedResponse,
        legacy_b: ObservedResponse,
        rules: ParityRules = DEFAULT_RULES,
    ) -> None:
        """Record one pair of legacy answers to the same request."""
        a, b = parse_json(legacy_a), parse_json(legacy_b)
        noisy: set[str] = set()
        for difference in raw_differences(legacy_a, legacy_b, rules):
            path = difference.path
            if path == "" or path.startswith("/"):
                path = _generalise(path, a, b)
            noisy.add(path)
        for path in noisy:
            self._counts[path] = self._counts.get(path, 0) + 1
        for document in (a, b):
            if document is not NOT_JSON:
                _collect_fields(document, "", self._fields)
        self._observations += 1
        self._verdicts = None

    # querying

    @property
    def observations(self) -> int:
        return self._observations

    @property
    def noisy_paths(self) -> frozenset[str]:
        """Generalised paths that currently count as noise."""
        if self._observations < self.min_observations:
            return frozenset()
        return frozenset(p for p, count in self._counts.items() if count >= self.min_noisy)

    def noise_ratio(self, path: str) -> float:
        """Share of observations in which this path (or the pattern covering it) was noisy."""
        if not self._observations:
            return 0.0
        count = self._counts.get(path)
        if count is None:
            count = max(
                (n for p, n in self._counts.items() if _matches_pattern(p, path)), default=0
            )
        return count / self._observations

    @property
    def too_noisy(self) -> bool:
        """So much is noise that cancelling it could hide a real difference: trust nothing."""
        return self._compiled().too_noisy

    def is_noise(self, path: str) -> bool:
        """A difference at this path (a concrete pointer, status or header:<name>) is noise."""
        verdicts = self._compiled()
        if path in verdicts.others:
            return True
        return (path == "" or path.startswith("/")) and verdicts.pointers.matches(path)

    def _compiled(self) -> _Verdicts:
        # Rebuilt only after observe(): compare_responses asks on every shadowed request.
        if self._verdicts is None:
            noisy = self.noisy_paths
            pointers = {p for p in noisy if p.startswith("/")}
            matcher = PointerMatcher(compile_patterns(sorted(pointers), subtrees=True))
            # Share of the body's fields that noise would cancel, subtrees included: a list whose
            # length varies ("/items/*" missing or extra) covers every field of its elements.
            fields = self._fields | pointers
            covered = sum(1 for field in fields if matcher.matches(field))
            ratio = covered / max(len(fields), 1)
            self._verdicts = _Verdicts(
                pointers=matcher,
                others=noisy - pointers,
                too_noisy=bool(noisy & WHOLE_ANSWER) or ratio > self.max_noise_ratio,
            )
        return self._verdicts

    # persistence

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready dict (persisted per endpoint)."""
        return {
            "version": FORMAT_VERSION,
            "min_observations": self.min_observations,
            "min_noisy": self.min_noisy,
            "max_noise_ratio": self.max_noise_ratio,
            "observations": self._observations,
            "noisy": dict(sorted(self._counts.items())),
            "fields": sorted(self._fields),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoiseModel:
        """Rebuild a model saved by :meth:`to_dict`; a wrong shape raises ValueError saying what."""
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise ValueError(f"noise model: expected a dict with version {FORMAT_VERSION}")
        try:
            model = cls(
                min_observations=int(data["min_observations"]),
                min_noisy=int(data["min_noisy"]),
                max_noise_ratio=float(data["max_noise_ratio"]),
            )
            observations = int(data["observations"])
            counts = {str(p): int(n) for p, n in dict(data["noisy"]).items()}
            fields = {str(p) for p in data["fields"]}
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"noise model: bad or missing field ({error!r})") from None
        if observations < 0 or any(n < 0 or n > observations for n in counts.values()):
            raise ValueError("noise model: counts must be between 0 and observations")
        model._observations, model._counts, model._fields = observations, counts, fields
        return model


def _generalise(pointer: str, a: object, b: object) -> str:
    """Replace each segment that indexes an array with ``*``, walking whichever body has it."""
    out: list[str] = []
    nodes = [node for node in (a, b) if node is not NOT_JSON]
    for segment in split(pointer):
        is_index = any(type(node) is list for node in nodes)
        out.append("*" if is_index else segment)
        nodes = [child for node in nodes if (child := _child(node, segment)) is not NOT_JSON]
    return "".join("/" + segment for segment in out)


def _child(node: object, segment: str) -> object:
    if type(node) is dict:
        return node.get(unescape(segment), NOT_JSON)
    if type(node) is list and segment.isdigit() and int(segment) < len(node):
        return node[int(segment)]
    return NOT_JSON


def _collect_fields(node: object, path: str, into: set[str]) -> None:
    if type(node) is dict:
        for key, value in node.items():
            _collect_fields(value, path + "/" + escape(key), into)
    elif type(node) is list:
        for value in node:
            _collect_fields(value, path + "/*", into)
    else:
        into.add(path)


def _matches_pattern(pattern: str, path: str) -> bool:
    """A learned pattern (``*`` = any one segment) matches the path or one of its ancestors."""
    if not (pattern == "" or pattern.startswith("/")):
        return pattern == path
    wanted, actual = split(pattern), split(path)
    if len(wanted) > len(actual):
        return False
    return all(w == "*" or w == s for w, s in zip(wanted, actual, strict=False))
