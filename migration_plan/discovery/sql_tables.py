"""Which tables a SQL statement reads and writes (pure; enough for the SQL SQLAlchemy emits)."""

from __future__ import annotations

import re

_NAME = r'"?([A-Za-z_][A-Za-z0-9_]*)"?'
_WRITES = (
    re.compile(r"\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+" + _NAME, re.IGNORECASE),
    re.compile(r"\bUPDATE\s+" + _NAME, re.IGNORECASE),
    re.compile(r"\bDELETE\s+FROM\s+" + _NAME, re.IGNORECASE),
)
_READS = re.compile(r"\b(?:FROM|JOIN)\s+" + _NAME, re.IGNORECASE)
_DELETE_FROM = re.compile(r"\bDELETE\s+FROM\s+" + _NAME, re.IGNORECASE)
_IGNORED = re.compile(r"^\s*(PRAGMA|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


def tables_in(statement: str) -> tuple[set[str], set[str]]:
    """(read, written) table names; a written table is also read when the statement filters it."""
    if _IGNORED.match(statement):
        return set(), set()
    writes = {m.group(1).lower() for pattern in _WRITES for m in pattern.finditer(statement)}
    without_deletes = _DELETE_FROM.sub(" ", statement)
    reads = {m.group(1).lower() for m in _READS.finditer(without_deletes)}
    return reads, writes
