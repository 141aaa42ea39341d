"""The event bus (embedded SQLite or Redis Streams), the transactional outbox and its relay.

Producer, inside the business transaction:  `write_to_outbox(session, [Event(...)])`.
Relay process:  `OutboxRelay(engine, bus_from_settings()).run(stop)`.
Consumer process:  `bus.subscribe("orders-projection", ["order"])`, then
`consume(bus, "orders-projection", "worker-1", IdempotentHandler(sessions, apply, "orders"), stop)`.
"""

from extracted.common.bus.consumer import consume, consume_once
from extracted.common.bus.embedded import EmbeddedBus
from extracted.common.bus.idempotent import IdempotentHandler, processed_events_table
from extracted.common.bus.outbox import outbox_table, write_to_outbox
from extracted.common.bus.port import (
    BusError,
    BusUnavailable,
    DeadLetter,
    Delivery,
    EventBus,
    StreamInfo,
    UnknownGroup,
    dead_stream,
    stream_for,
)
from extracted.common.bus.redis_streams import RedisBus
from extracted.common.bus.relay import OutboxRelay
from extracted.common.bus.settings import BusSettings, bus_from_settings

__all__ = [
    "BusError",
    "BusSettings",
    "BusUnavailable",
    "DeadLetter",
    "Delivery",
    "EmbeddedBus",
    "EventBus",
    "IdempotentHandler",
    "OutboxRelay",
    "RedisBus",
    "StreamInfo",
    "UnknownGroup",
    "bus_from_settings",
    "consume",
    "consume_once",
    "dead_stream",
    "outbox_table",
    "processed_events_table",
    "stream_for",
    "write_to_outbox",
]
