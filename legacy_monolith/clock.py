"""The one place that reads the time: naive UTC, whole seconds (what the contract can show),
except the outbox's ordering timestamp."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_outbox_lock = threading.Lock()
_last_outbox_time = datetime.min


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def outbox_time() -> datetime:
    """Naive UTC with microseconds, strictly increasing in this process: the outbox's order.

    The relay orders rows by `created_at`; whole seconds would leave two writes of one product
    in the same second to the tie-break (a random uuid on PostgreSQL), out of commit order.
    """
    global _last_outbox_time
    with _outbox_lock:
        now = datetime.now(UTC).replace(tzinfo=None)
        if now <= _last_outbox_time:
            now = _last_outbox_time + timedelta(microseconds=1)
        _last_outbox_time = now
        return now
