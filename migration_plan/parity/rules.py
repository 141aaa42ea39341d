"""Per-endpoint parity rules (kept in the plan file) and their compiled, cached form."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, PrivateAttr, field_validator

from .pointers import PointerMatcher, check_pattern, compile_patterns, pattern_regex

# (compiled list pattern, key field or None for a multiset), in the order the plan lists them.
UnorderedLists = tuple[tuple[re.Pattern[str], str | None], ...]
# (compiled pattern, the pattern as written, its argument), in the order the plan lists them.
Normalisers = tuple[tuple[re.Pattern[str], str, Any], ...]

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


# The response headers a client acts on: compared unless an endpoint's `headers:` says otherwise.
CLIENT_HEADERS = (
    "content-type",
    "location",
    "allow",
    "cache-control",
    "expires",
    "set-cookie",
    "www-authenticate",
    "content-disposition",
)


class ParityRules(BaseModel, extra="forbid", frozen=True):
    """What may legitimately differ for one endpoint. `ignore` hides a value; the normalising
    rules (`timestamps`, `equivalent`, `unordered`, `numeric_tolerance`) still check it, in the
    spelling-free form the rule names, and every comparison they decide says which rule did."""

    ignore: tuple[str, ...] = ()
    unordered: dict[str, str | None] = {}
    numeric_tolerance: float = 0.0
    # pointer pattern -> seconds: both values are compared as instants ("+00:00", "Z",
    # microseconds, RFC 1123 dates) and may differ by at most that much.
    timestamps: dict[str, float] = {}
    # pointer pattern -> values that mean the same there (e.g. [null, ""]).
    equivalent: dict[str, tuple[Any, ...]] = {}
    headers: tuple[str, ...] = CLIENT_HEADERS
    # pointer patterns whose values are personal or secret: compared as usual, but redacted
    # (keyed marks) wherever evidence is stored or printed; see redact.py.
    sensitive: tuple[str, ...] = ()

    # Compiled once per rules object: the comparison runs on every shadowed request.
    _ignore: PointerMatcher = PrivateAttr(default_factory=lambda: PointerMatcher(None))
    _unordered: UnorderedLists = PrivateAttr(default=())
    _normalisers: tuple[Normalisers, Normalisers] = PrivateAttr(default=((), ()))
    _sensitive: PointerMatcher = PrivateAttr(default_factory=lambda: PointerMatcher(None))

    @field_validator("ignore")
    @classmethod
    def _check_ignore(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            _check_named(pattern, "ignore")
        return patterns

    @field_validator("sensitive")
    @classmethod
    def _check_sensitive(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            _check_named(pattern, "sensitive")
        return patterns

    @field_validator("unordered")
    @classmethod
    def _check_unordered(cls, lists: dict[str, str | None]) -> dict[str, str | None]:
        for pattern, key in lists.items():
            _check_named(pattern, "unordered")
            if key is not None and not key:
                raise ValueError(
                    f"unordered: key field for {pattern!r} is empty; give a field name "
                    "to pair elements by, or null to compare the list as a multiset"
                )
        return lists

    @field_validator("numeric_tolerance")
    @classmethod
    def _check_tolerance(cls, tolerance: float) -> float:
        if not math.isfinite(tolerance) or tolerance < 0:
            raise ValueError(f"numeric_tolerance must be a finite number >= 0, got {tolerance!r}")
        return tolerance

    @field_validator("timestamps")
    @classmethod
    def _check_timestamps(cls, patterns: dict[str, float]) -> dict[str, float]:
        for pattern, seconds in patterns.items():
            _check_named(pattern, "timestamps")
            if not math.isfinite(seconds) or seconds < 0:
                raise ValueError(
                    f"timestamps: tolerance for {pattern!r} must be a number of seconds >= 0, "
                    f"got {seconds!r}"
                )
        return patterns

    @field_validator("equivalent")
    @classmethod
    def _check_equivalent(cls, groups: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
        for pattern, values in groups.items():
            _check_named(pattern, "equivalent")
            if len(values) < 2:
                raise ValueError(
                    f"equivalent: {pattern!r} lists {len(values)} value; name at least two "
                    "values that mean the same there"
                )
            if any(isinstance(v, (dict, list)) for v in values):
                raise ValueError(f"equivalent: {pattern!r}: values must be JSON scalars")
        return groups

    @field_validator("headers")
    @classmethod
    def _check_headers(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"headers: {name!r} is not a valid header name")
        # Lower-cased here so the comparison never has to think about case again.
        return tuple(dict.fromkeys(name.lower() for name in names))

    def model_post_init(self, context: Any, /) -> None:
        self._ignore = PointerMatcher(compile_patterns(self.ignore, subtrees=True))
        self._unordered = tuple(
            (re.compile(pattern_regex(pattern), re.DOTALL), key)
            for pattern, key in self.unordered.items()
        )
        self._normalisers = (_compiled(self.timestamps), _compiled(self.equivalent))
        self._sensitive = PointerMatcher(compile_patterns(self.sensitive, subtrees=True))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update`` it is validated and compiled afresh (pydantic's would not)."""
        if not update:
            return super().model_copy(deep=deep)
        return self.model_validate({**self.model_dump(), **update})

    def ignores(self, pointer: str) -> bool:
        """True when an ignore pattern matches this (escaped) pointer or one of its ancestors."""
        return self._ignore.matches(pointer)

    def is_sensitive(self, pointer: str) -> bool:
        """True when a `sensitive` pattern matches this (escaped) pointer or an ancestor."""
        return self._sensitive.matches(pointer)

    def unordered_key(self, pointer: str) -> tuple[bool, str | None]:
        """(is the list at this pointer unordered, key field or None for a multiset)."""
        for regex, key in self._unordered:
            if regex.fullmatch(pointer):
                return True, key
        return False, None

    def compiled(self) -> tuple[PointerMatcher | None, UnorderedLists]:
        """The compiled ignore matcher (None without ignores) and unordered patterns.

        Fetched once per comparison: pydantic serves private attributes through ``__getattr__``,
        far too slow to touch at every node of a body.
        """
        return (self._ignore if self._ignore else None), self._unordered

    def normalisers(self) -> tuple[Normalisers, Normalisers]:
        """The compiled (timestamps, equivalent) rules; fetched once per comparison."""
        return self._normalisers


def _compiled(rules: Mapping[str, Any]) -> Normalisers:
    return tuple(
        (re.compile(pattern_regex(pattern), re.DOTALL), pattern, argument)
        for pattern, argument in rules.items()
    )


def _check_named(pattern: str, field: str) -> None:
    try:
        check_pattern(pattern)
    except ValueError as error:
        raise ValueError(f"{field}: {error}") from None
