"""The local file store: one JSON file under `var/` shared by every worker on one machine.

Writers take an fcntl lock on a sibling `.lock` file around read-modify-write and replace the
file atomically (temp file, fsync, os.replace), so readers never see half a file and need no
lock. Overrides and the append-only history live in the same file, so they change together.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from migration_plan.state.records import (
    override_from_dict,
    override_to_dict,
    record_from_dict,
    record_to_dict,
)
from router.routing import RouteOverride
from router.runtime import FlipRecord, StateStoreUnavailable, new_record

Signature = tuple[int, int, int]


class FileStateStore:
    """`RuntimeState` over a JSON file; safe across processes on one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self._cache: tuple[Signature, dict[str, RouteOverride]] | None = None
        self._guard = threading.Lock()  # the cache, across to_thread workers

    def __repr__(self) -> str:
        return f"FileStateStore({str(self.path)!r})"

    async def overrides(self) -> Mapping[str, RouteOverride]:
        return await asyncio.to_thread(self.read_overrides)

    async def flip(
        self,
        route: str,
        override: RouteOverride,
        *,
        actor: str,
        reason: str,
        before: Mapping[str, Any],
        forced: bool = False,
        overridden: Sequence[str] = (),
    ) -> FlipRecord:
        record = new_record(
            route,
            override,
            actor=actor,
            reason=reason,
            before=before,
            forced=forced,
            overridden=overridden,
        )
        await asyncio.to_thread(self.apply, route, override, record)
        return record

    async def history(self) -> list[FlipRecord]:
        data = await asyncio.to_thread(self._read)
        records = (record_from_dict(r) for r in data.get("history", []))
        return [r for r in records if r is not None]

    async def record(self, record: FlipRecord) -> None:
        await asyncio.to_thread(self.append, record)

    # synchronous core (the CLI and the tests call these directly)

    def read_overrides(self) -> dict[str, RouteOverride]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StateStoreUnavailable(f"cannot read {self.path}: {exc}") from exc
        signature = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._guard:
            if self._cache is not None and self._cache[0] == signature:
                return dict(self._cache[1])
        overrides = self._overrides_of(self._read())
        with self._guard:
            self._cache = (signature, overrides)
        return dict(overrides)

    def apply(self, route: str, override: RouteOverride, record: FlipRecord) -> None:
        """Read-modify-write under the lock: set the override and append the record."""
        with self._locked():
            data = self._read()
            data.setdefault("overrides", {})[route] = override_to_dict(override)
            data.setdefault("history", []).append(record_to_dict(record))
            self._write(data)

    def append(self, record: FlipRecord) -> None:
        """Append a history record only (a plan-file change: the plan, not an override, moved)."""
        with self._locked():
            data = self._read()
            data.setdefault("history", []).append(record_to_dict(record))
            self._write(data)

    def _overrides_of(self, data: dict[str, Any]) -> dict[str, RouteOverride]:
        raw = data.get("overrides", {})
        if not isinstance(raw, dict):
            raise StateStoreUnavailable(f"{self.path}: 'overrides' is not a mapping")
        return {str(k): override_from_dict(v, str(self.path)) for k, v in raw.items()}

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"version": 1, "overrides": {}, "history": []}
        except OSError as exc:
            raise StateStoreUnavailable(f"cannot read {self.path}: {exc}") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StateStoreUnavailable(f"{self.path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or data.get("version") != 1:
            raise StateStoreUnavailable(f"{self.path} is not a strangler state file (version 1)")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        try:
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    json.dump(data, file, indent=1, sort_keys=True)
                    file.write("\n")
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            raise StateStoreUnavailable(f"cannot write {self.path}: {exc}") from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StateStoreUnavailable(f"cannot lock {self.lock_path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
