"""The worker loop around a handler: read, handle, ack on success, nack on failure."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from extracted.common.bus.port import EventBus
from extracted.common.events import Event

log = logging.getLogger("extracted.common.bus.consumer")

Handle = Callable[[Event], object]
HandleMany = Callable[[Sequence[Event]], object]


def consume_once(
    bus: EventBus,
    group: str,
    consumer: str,
    handle: Handle,
    count: int = 10,
    block_ms: int = 0,
    handle_many: HandleMany | None = None,
) -> int:
    """Handle one batch; how many deliveries it got.

    Each delivery stands alone: a failure is nacked (redelivered later, dead after
    `max_deliveries`) while the rest of the batch is still acked. Handlers that must not apply an
    aggregate's later event before an earlier one failed should check the state they update.
    Successes are acked together after the batch: a crash before that redelivers them, which an
    idempotent handler shrugs off. With `handle_many` (e.g. `IdempotentHandler.handle_many`) the
    batch is first tried in one go, and only when that fails one delivery at a time.
    """
    deliveries = bus.read(group, consumer, count=count, block_ms=block_ms)
    if handle_many is not None and deliveries:
        try:
            handle_many([delivery.event for delivery in deliveries])
        except Exception as error:  # find the culprit one by one below
            log.info("%s/%s batch failed, retrying singly: %r", group, consumer, error)
        else:
            bus.ack_many(group, deliveries)
            return len(deliveries)
    done = []
    for delivery in deliveries:
        try:
            handle(delivery.event)
        except Exception as error:  # any handler failure is the message's, not the loop's
            log.warning("%s/%s failed on %s: %r", group, consumer, delivery.event.id, error)
            bus.nack(group, delivery, reason=f"{type(error).__name__}: {error}")
            continue
        done.append(delivery)
    bus.ack_many(group, done)
    return len(deliveries)


def consume(
    bus: EventBus,
    group: str,
    consumer: str,
    handle: Handle,
    stop: threading.Event,
    count: int = 10,
    block_ms: int = 500,
    handle_many: HandleMany | None = None,
) -> None:
    """Consume until `stop` is set."""
    while not stop.is_set():
        consume_once(bus, group, consumer, handle, count, block_ms, handle_many)
