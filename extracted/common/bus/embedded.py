"""The embedded bus: streams, consumer groups and dead letters in one SQLite file (WAL).

Safe for several processes on one machine: every claim happens inside `BEGIN IMMEDIATE`, which
takes SQLite's single write lock, so two consumers can never claim the same message. Idle polls
look first with a read-only query and only take the write lock when there is something to claim.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from extracted.common.bus.codec import decode, encode
from extracted.common.bus.port import (
    BusUnavailable,
    DeadLetter,
    Delivery,
    EventBus,
    StreamInfo,
    UnknownGroup,
    stream_for,
)
from extracted.common.events import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS bus_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_bus_messages_stream_seq ON bus_messages (stream, seq);
CREATE TABLE IF NOT EXISTS bus_groups (
    grp TEXT NOT NULL,
    stream TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (grp, stream)
);
CREATE TABLE IF NOT EXISTS bus_pending (
    grp TEXT NOT NULL,
    seq INTEGER NOT NULL,
    stream TEXT NOT NULL,
    consumer TEXT NOT NULL,
    visible_at REAL NOT NULL,
    deliveries INTEGER NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (grp, seq)
);
CREATE INDEX IF NOT EXISTS ix_bus_pending_visible ON bus_pending (grp, visible_at);
CREATE TABLE IF NOT EXISTS bus_dead (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    grp TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    deliveries INTEGER NOT NULL,
    reason TEXT NOT NULL,
    dead_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_bus_dead_stream ON bus_dead (stream, id);
"""

_HAS_WORK = """
SELECT EXISTS (
    SELECT 1 FROM bus_groups g JOIN bus_messages m ON m.stream = g.stream AND m.seq > g.last_seq
    WHERE g.grp = :grp
) OR EXISTS (SELECT 1 FROM bus_pending WHERE grp = :grp AND visible_at <= :now)
"""


class EmbeddedBus(EventBus):
    def __init__(
        self,
        path: str | Path,
        visibility_timeout_ms: int = 30_000,
        max_deliveries: int = 5,
        poll_interval_ms: int = 10,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(visibility_timeout_ms, max_deliveries)
        self.path = Path(path)
        self._poll_s = poll_interval_ms / 1000
        # Wall time, not monotonic: several processes compare the same `visible_at` values.
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    # -- connection -------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        # Opened on first use, like a network client: constructing the bus never fails.
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(
                    self.path, timeout=30, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA journal_mode=WAL")
                # FULL: in WAL mode NORMAL may lose the last commits on power loss, and
                # `publish` promises durability once it returns.
                conn.execute("PRAGMA synchronous=FULL")
                conn.executescript(SCHEMA)
            except (OSError, sqlite3.Error) as error:
                raise BusUnavailable(f"embedded bus at {self.path} cannot open: {error}") from error
            self._conn = conn
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise BusUnavailable(f"embedded bus at {self.path}: {error}") from error
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as error:
                # SQLite rolls some failures (a full disk) back by itself.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise BusUnavailable(f"embedded bus at {self.path}: {error}") from error
                raise

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._connection()
            except sqlite3.Error as error:
                raise BusUnavailable(f"embedded bus at {self.path}: {error}") from error

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- producing --------------------------------------------------------------------------

    def publish(self, events: Sequence[Event]) -> None:
        if not events:
            return
        now = self._clock()
        rows = [(stream_for(event), encode(event), now) for event in events]
        with self._transaction() as conn:
            conn.executemany(
                "INSERT INTO bus_messages (stream, body, published_at) VALUES (?, ?, ?)", rows
            )

    # -- consuming --------------------------------------------------------------------------

    def subscribe(self, group: str, streams: Sequence[str]) -> None:
        with self._transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO bus_groups (grp, stream, last_seq) VALUES (?, ?, 0)",
                [(group, stream) for stream in streams],
            )

    def read(self, group: str, consumer: str, count: int = 10, block_ms: int = 0) -> list[Delivery]:
        deadline = time.monotonic() + block_ms / 1000
        self._require_group(group)
        while True:
            if self._has_work(group):
                deliveries = self._claim(group, consumer, count)
                if deliveries:
                    return deliveries
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            time.sleep(min(self._poll_s, remaining))

    def _require_group(self, group: str) -> None:
        with self._reading() as conn:
            row = conn.execute("SELECT 1 FROM bus_groups WHERE grp = ? LIMIT 1", (group,))
            if row.fetchone() is None:
                raise UnknownGroup(f"group {group!r} has no streams: call subscribe() first")

    def _has_work(self, group: str) -> bool:
        with self._reading() as conn:
            row = conn.execute(_HAS_WORK, {"grp": group, "now": self._clock()}).fetchone()
            return bool(row[0])

    def _claim(self, group: str, consumer: str, count: int) -> list[Delivery]:
        now = self._clock()
        visible_at = now + self.visibility_timeout_ms / 1000
        out: list[Delivery] = []
        with self._transaction() as conn:
            expired = conn.execute(
                "SELECT p.seq, p.stream, p.deliveries, p.last_error, m.body"
                " FROM bus_pending p JOIN bus_messages m ON m.seq = p.seq"
                " WHERE p.grp = ? AND p.visible_at <= ? ORDER BY p.seq LIMIT ?",
                # Dead letters do not fill `count`, so look a little further than it.
                (group, now, count * 4 + 16),
            ).fetchall()
            for seq, stream, deliveries, last_error, body in expired:
                if len(out) >= count:
                    break
                if deliveries >= self.max_deliveries:
                    reason = last_error or f"not acknowledged after {deliveries} deliveries"
                    conn.execute(
                        "INSERT INTO bus_dead (stream, grp, seq, body, deliveries, reason,"
                        " dead_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (stream, group, seq, body, deliveries, reason, now),
                    )
                    conn.execute("DELETE FROM bus_pending WHERE grp = ? AND seq = ?", (group, seq))
                    continue
                conn.execute(
                    "UPDATE bus_pending SET consumer = ?, visible_at = ?, deliveries = ?"
                    " WHERE grp = ? AND seq = ?",
                    (consumer, visible_at, deliveries + 1, group, seq),
                )
                out.append(Delivery(stream, str(seq), decode(body), deliveries + 1, consumer))
            if len(out) < count:
                fresh = conn.execute(
                    "SELECT m.seq, m.stream, m.body FROM bus_groups g JOIN bus_messages m"
                    " ON m.stream = g.stream AND m.seq > g.last_seq"
                    " WHERE g.grp = ? ORDER BY m.seq LIMIT ?",
                    (group, count - len(out)),
                ).fetchall()
                conn.executemany(
                    "INSERT INTO bus_pending (grp, seq, stream, consumer, visible_at, deliveries)"
                    " VALUES (?, ?, ?, ?, ?, 1)",
                    [(group, seq, stream, consumer, visible_at) for seq, stream, _ in fresh],
                )
                last: dict[str, int] = {}
                for seq, stream, body in fresh:
                    last[stream] = seq
                    out.append(Delivery(stream, str(seq), decode(body), 1, consumer))
                conn.executemany(
                    "UPDATE bus_groups SET last_seq = ? WHERE grp = ? AND stream = ?",
                    [(seq, group, stream) for stream, seq in last.items()],
                )
        return out

    def ack(self, group: str, delivery: Delivery) -> None:
        self.ack_many(group, [delivery])

    def ack_many(self, group: str, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        with self._transaction() as conn:
            conn.executemany(
                "DELETE FROM bus_pending WHERE grp = ? AND seq = ?",
                [(group, int(delivery.message_id)) for delivery in deliveries],
            )

    def nack(self, group: str, delivery: Delivery, reason: str = "") -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE bus_pending SET visible_at = ?, last_error = ? WHERE grp = ? AND seq = ?",
                (self._clock(), reason, group, int(delivery.message_id)),
            )

    # -- observing --------------------------------------------------------------------------

    def info(self, group: str) -> list[StreamInfo]:
        self._require_group(group)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT g.stream,"
                " (SELECT COUNT(*) FROM bus_messages m WHERE m.stream = g.stream),"
                " (SELECT COUNT(*) FROM bus_pending p WHERE p.grp = g.grp AND p.stream = g.stream),"
                " (SELECT COUNT(*) FROM bus_messages m"
                "   WHERE m.stream = g.stream AND m.seq > g.last_seq),"
                " (SELECT COUNT(*) FROM bus_dead d WHERE d.grp = g.grp AND d.stream = g.stream)"
                " FROM bus_groups g WHERE g.grp = ? ORDER BY g.stream",
                (group,),
            ).fetchall()
        return [StreamInfo(s, group, n, pending, lag, dead) for s, n, pending, lag, dead in rows]

    def dead_letters(self, stream: str, count: int = 100) -> list[DeadLetter]:
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT grp, seq, body, deliveries, reason FROM bus_dead"
                " WHERE stream = ? ORDER BY id LIMIT ?",
                (stream, count),
            ).fetchall()
        return [
            DeadLetter(stream, grp, str(seq), decode(body), deliveries, reason)
            for grp, seq, body, deliveries, reason in rows
        ]
