"""Structural comparison of two parsed JSON documents under the parity rules.

Ignore rules are applied when a difference is about to be reported (a pattern covering the
pointer or any ancestor removes it), not on entry to every node: equal subtrees, the overwhelmingly
common case, then cost no regex work at all.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict, deque
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from .difference import EXTRA, LENGTH, MISSING, MISSING_KIND, TYPE, VALUE, Difference, Explained
from .pointers import escape
from .rules import ParityRules

_NUMBERS = (int, float)
_LEAVES = frozenset({str, int, float, bool, type(None)})


def diff_json(
    legacy: object,
    extracted: object,
    rules: ParityRules,
    explained: list[Explained] | None = None,
) -> list[Difference]:
    """Every difference between two JSON values, reported at its RFC 6901 pointer; what a rule
    explained instead goes to ``explained`` when given."""
    found: list[Difference] = []
    walk = _Walk(rules, found)
    walk.node(legacy, extracted, "")
    if explained is not None:
        explained.extend(walk.explained)
    return found


class _Walk:
    __slots__ = ("found", "explained", "tolerance", "ignore", "unordered", "timestamps", "same")

    def __init__(self, rules: ParityRules, found: list[Difference]) -> None:
        self.found = found
        self.explained: list[Explained] = []
        self.tolerance = rules.numeric_tolerance
        self.ignore, self.unordered = rules.compiled()
        self.timestamps, self.same = rules.normalisers()

    def report(self, path: str, kind: str, legacy: object, extracted: object) -> None:
        if self.ignore is not None and self.ignore.matches(path):
            self.explained.append(Explained(path, "ignore"))
            return
        self.found.append(Difference(path, kind, legacy, extracted))

    def node(self, a: object, b: object, path: str) -> None:
        ta, tb = type(a), type(b)
        if ta is dict and tb is dict:
            self.mapping(a, b, path)  # type: ignore[arg-type]
        elif ta is list and tb is list:
            self.sequence(a, b, path)  # type: ignore[arg-type]
        elif ta is tb:
            if a != b and not (ta is float and math.isnan(a) and math.isnan(b)):  # type: ignore[arg-type]
                if ta is not str and self.within_tolerance(a, b):
                    self.explained.append(Explained(path, "numeric_tolerance"))
                elif not self.normalised(a, b, path):
                    self.report(path, VALUE, a, b)
        elif ta in _NUMBERS and tb in _NUMBERS:
            # 1 and 1.0 are the same JSON number; a bool is never a number (type(True) is bool).
            if a != b:
                if self.within_tolerance(a, b):
                    self.explained.append(Explained(path, "numeric_tolerance"))
                elif not self.normalised(a, b, path):
                    self.report(path, VALUE, a, b)
        elif not self.normalised(a, b, path):
            self.report(path, TYPE, a, b)

    def normalised(self, a: object, b: object, path: str) -> bool:
        """Whether a normalising rule says these two differently spelled leaves agree."""
        for regex, pattern, tolerance in self.timestamps:
            if regex.fullmatch(path):
                left, right = _instant(a), _instant(b)
                if left is not None and right is not None and abs(left - right) <= tolerance:
                    self.explained.append(Explained(path, "timestamps", pattern))
                    return True
        for regex, pattern, values in self.same:
            if regex.fullmatch(path) and _among(a, values) and _among(b, values):
                self.explained.append(Explained(path, "equivalent", pattern))
                return True
        return False

    def within_tolerance(self, a: object, b: object) -> bool:
        if not self.tolerance or type(a) not in _NUMBERS or type(b) not in _NUMBERS:
            return False
        try:
            return bool(abs(a - b) <= self.tolerance)  # type: ignore[operator]
        except OverflowError:
            return False

    def mapping(self, a: dict[str, object], b: dict[str, object], path: str) -> None:
        shared = 0
        for key, va in a.items():
            vb = b.get(key, MISSING)
            if vb is MISSING:
                self.report(path + "/" + escape(key), MISSING_KIND, va, MISSING)
                continue
            shared += 1
            # Inline fast path for equal scalars of the same type: most leaves of most bodies,
            # and the pointer string is only built when something differs.
            if type(va) is type(vb) and type(va) in _LEAVES and va == vb:
                continue
            self.node(va, vb, path + "/" + escape(key))
        if shared != len(b):  # some keys exist only in the extracted answer
            for key, vb in b.items():
                if key not in a:
                    self.report(path + "/" + escape(key), EXTRA, MISSING, vb)

    def sequence(self, a: list[object], b: list[object], path: str) -> None:
        if self.unordered:
            unordered, key = self.unordered_key(path)
            if unordered:
                before = len(self.found)
                if len(a) != len(b):
                    self.report(path, LENGTH, len(a), len(b))
                if key is None:
                    self.multiset(a, b, path)
                else:
                    self.keyed(a, b, path, key)
                if len(self.found) == before and a != b:  # same elements, another order
                    self.explained.append(Explained(path, "unordered"))
                return
        common = min(len(a), len(b))
        for i in range(common):
            va, vb = a[i], b[i]
            if type(va) is type(vb) and type(va) in _LEAVES and va == vb:
                continue
            self.node(va, vb, f"{path}/{i}")
        if len(a) != len(b):
            self.report(path, LENGTH, len(a), len(b))
            for i in range(common, len(a)):
                self.report(f"{path}/{i}", MISSING_KIND, a[i], MISSING)
            for j in range(common, len(b)):
                self.report(f"{path}/{j}", EXTRA, MISSING, b[j])

    def unordered_key(self, path: str) -> tuple[bool, str | None]:
        for regex, key in self.unordered:
            if regex.fullmatch(path):
                return True, key
        return False, None

    def keyed(self, a: list[object], b: list[object], path: str, key: str) -> None:
        """Pair elements by a key field; pointers use the legacy index (extracted's for extras)."""
        waiting: defaultdict[object, deque[int]] = defaultdict(deque)
        for j, element in enumerate(b):
            waiting[_pairing_key(element, key)].append(j)
        for i, element in enumerate(a):
            queue = waiting.get(_pairing_key(element, key))
            if queue:
                self.node(element, b[queue.popleft()], f"{path}/{i}")
            else:
                self.report(f"{path}/{i}", MISSING_KIND, element, MISSING)
        for j in sorted(j for queue in waiting.values() for j in queue):
            self.report(f"{path}/{j}", EXTRA, MISSING, b[j])

    def multiset(self, a: list[object], b: list[object], path: str) -> None:
        """Pair each legacy element with an equal extracted one (same index tried first)."""
        free = dict.fromkeys(range(len(b)))
        for i, element in enumerate(a):
            child = f"{path}/{i}"
            if i in free and self.equal(element, b[i], child):
                del free[i]
                continue
            for j in free:
                if j != i and self.equal(element, b[j], child):
                    del free[j]
                    break
            else:
                self.report(child, MISSING_KIND, element, MISSING)
        for j in free:
            self.report(f"{path}/{j}", EXTRA, MISSING, b[j])

    def equal(self, a: object, b: object, path: str) -> bool:
        """Equal under the same rules (ignores, tolerance, nested unordered lists)."""
        if type(a) is type(b) and type(a) in _LEAVES and a == b:
            return True
        outer, self.found = self.found, []
        outer_explained, self.explained = self.explained, []
        try:
            self.node(a, b, path)
            if not self.found:  # a trial pairing's explanations count only if it pairs
                outer_explained.extend(self.explained)
            return not self.found
        finally:
            self.found, self.explained = outer, outer_explained


def _pairing_key(element: object, key: str) -> object:
    """A hashable identity for an element's key value; elements without the key share one."""
    if type(element) is not dict or key not in element:
        return ("<no key>",)
    value = element[key]
    if type(value) in (int, float):
        return ("number", value)  # 1 and 1.0 pair; True and 1 do not
    if type(value) in (dict, list):
        return ("json", json.dumps(value, sort_keys=True))
    return (type(value).__name__, value)


def _instant(value: object) -> float | None:
    """Epoch seconds of an ISO 8601 or RFC 1123 timestamp (naive means UTC); None otherwise."""
    if type(value) is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _among(value: object, values: tuple[object, ...]) -> bool:
    # Typed: True == 1 and 0 == False in Python, never in JSON.
    return any(type(v) is type(value) and v == value for v in values)
