"""The contract every EventBus keeps, run against the embedded bus and (marked redis) Redis."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis
from bus_support import BusFactory, event

from extracted.common.bus import BusUnavailable, RedisBus, UnknownGroup


def test_a_group_reads_events_in_publish_order_and_acked_ones_are_not_read_again(
    make_bus: BusFactory,
) -> None:
    bus = make_bus()
    bus.subscribe("g", ["order"])
    published = [event("order", "1", n) for n in range(5)]
    bus.publish(published)

    got = bus.read("g", "c1", count=10)

    assert [d.event for d in got] == published
    assert all(d.stream == "order" and d.deliveries == 1 and d.consumer == "c1" for d in got)
    for delivery in got:
        bus.ack("g", delivery)
    assert bus.read("g", "c1", count=10) == []
    [info] = bus.info("g")
    assert (info.stream, info.length, info.pending, info.lag, info.dead) == ("order", 5, 0, 0, 0)


def test_read_hands_out_at_most_count_and_the_next_read_continues_in_order(
    make_bus: BusFactory,
) -> None:
    bus = make_bus()
    bus.subscribe("g", ["order"])
    published = [event("order", "1", n) for n in range(7)]
    bus.publish(published)

    first = bus.read("g", "c1", count=3)
    second = bus.read("g", "c1", count=10)

    assert [d.event for d in first + second] == published
    assert len(first) == 3


def test_info_reports_pending_and_lag_per_stream(make_bus: BusFactory) -> None:
    bus = make_bus()
    bus.subscribe("g", ["order", "product"])
    bus.publish([event("order", "1", n) for n in range(3)] + [event("product", "9")])

    bus.read("g", "c1", count=1)

    info = {i.stream: i for i in bus.info("g")}
    assert (info["order"].length, info["order"].pending, info["order"].lag) == (3, 1, 2)
    assert (info["product"].length, info["product"].pending, info["product"].lag) == (1, 0, 1)


def test_streams_are_per_aggregate_and_a_group_sees_only_the_streams_it_subscribed(
    make_bus: BusFactory,
) -> None:
    bus = make_bus()
    bus.subscribe("stock", ["product"])
    bus.publish([event("order", "1"), event("product", "5"), event("order", "2")])

    got = bus.read("stock", "c1", count=10)

    assert [(d.stream, d.event.aggregate_id) for d in got] == [("product", "5")]


def test_two_groups_each_see_every_event(make_bus: BusFactory) -> None:
    bus = make_bus()
    bus.subscribe("orders-projection", ["order"])
    bus.subscribe("audit", ["order"])
    published = [event("order", str(n)) for n in range(4)]
    bus.publish(published)

    for group in ("orders-projection", "audit"):
        assert [d.event for d in bus.read(group, "c1", count=10)] == published


def test_a_group_subscribed_after_publishing_reads_from_the_start(make_bus: BusFactory) -> None:
    bus = make_bus()
    bus.publish([event("order", "1")])
    bus.subscribe("late", ["order"])
    bus.subscribe("late", ["order"])  # idempotent

    assert len(bus.read("late", "c1")) == 1


def test_two_consumers_in_one_group_split_the_work(make_bus: BusFactory) -> None:
    first, second = make_bus(), make_bus()
    first.subscribe("g", ["order"])
    published = [event("order", str(n)) for n in range(10)]
    first.publish(published)

    a = first.read("g", "c1", count=4)
    b = second.read("g", "c2", count=10)

    ids_a, ids_b = {d.event.id for d in a}, {d.event.id for d in b}
    assert len(a) == 4 and len(b) == 6
    assert ids_a.isdisjoint(ids_b)
    assert ids_a | ids_b == {e.id for e in published}


def test_a_delivered_message_is_invisible_to_other_consumers_until_its_timeout(
    make_bus: BusFactory,
) -> None:
    bus, other = make_bus(visibility_timeout_ms=10_000), make_bus(visibility_timeout_ms=10_000)
    bus.subscribe("g", ["order"])
    bus.publish([event("order", "1")])
    bus.read("g", "slow")

    assert other.read("g", "c2") == []  # the first consumer may yet ack


def test_an_unacknowledged_message_is_claimed_by_another_consumer_after_the_timeout(
    make_bus: BusFactory,
) -> None:
    bus, other = make_bus(visibility_timeout_ms=200), make_bus(visibility_timeout_ms=200)
    bus.subscribe("g", ["order"])
    bus.publish([event("order", "1")])
    [taken] = bus.read("g", "dies")

    time.sleep(0.3)
    [again] = other.read("g", "c2")

    assert again.event == taken.event
    assert (again.deliveries, again.consumer) == (2, "c2")
    other.ack("g", again)
    time.sleep(0.3)
    assert other.read("g", "c2") == []


def test_a_nacked_message_is_redelivered_at_once_and_the_delivery_is_counted(
    make_bus: BusFactory,
) -> None:
    bus = make_bus(visibility_timeout_ms=10_000)
    bus.subscribe("g", ["order"])
    bus.publish([event("order", "1")])
    [first] = bus.read("g", "c1")

    bus.nack("g", first, reason="boom")
    [second] = bus.read("g", "c2")

    assert second.event == first.event
    assert second.deliveries == 2


def test_a_message_failing_max_deliveries_times_goes_to_the_dead_letter_stream(
    make_bus: BusFactory,
) -> None:
    bus = make_bus(visibility_timeout_ms=10_000, max_deliveries=3)
    bus.subscribe("g", ["order"])
    bus.subscribe("healthy", ["order"])
    poison, fine = event("order", "1"), event("order", "2")
    bus.publish([poison, fine])

    for attempt in range(1, 4):
        got = bus.read("g", "c1", count=1)
        assert [(d.event, d.deliveries) for d in got] == [(poison, attempt)]
        bus.nack("g", got[0], reason=f"ValueError: attempt {attempt}")

    [next_one] = bus.read("g", "c1", count=1)

    assert next_one.event == fine
    [dead] = bus.dead_letters("order")
    assert (dead.event, dead.group, dead.deliveries) == (poison, "g", 3)
    assert dead.reason == "ValueError: attempt 3"
    assert {i.group: i.dead for i in bus.info("g")} == {"g": 1}
    assert bus.info("healthy")[0].dead == 0
    assert len(bus.read("healthy", "c1", count=10)) == 2  # other groups are unaffected


def test_a_message_never_acknowledged_is_dead_lettered_after_max_deliveries(
    make_bus: BusFactory,
) -> None:
    bus = make_bus(visibility_timeout_ms=100, max_deliveries=2)
    bus.subscribe("g", ["order"])
    bus.publish([event("order", "1")])

    assert len(bus.read("g", "c1")) == 1
    time.sleep(0.15)
    assert [d.deliveries for d in bus.read("g", "c2")] == [2]
    time.sleep(0.15)
    assert bus.read("g", "c3") == []

    [dead] = bus.dead_letters("order")
    assert dead.deliveries == 2
    assert "2 deliveries" in dead.reason


def test_read_waits_for_an_event_published_while_it_blocks(make_bus: BusFactory) -> None:
    # A long visibility timeout: the Redis bus blocks no longer than that at a time.
    bus, producer = make_bus(visibility_timeout_ms=5_000), make_bus()
    bus.subscribe("g", ["order"])
    late = event("order", "1")
    timer = threading.Timer(0.05, producer.publish, args=([late],))
    timer.start()
    try:
        got = bus.read("g", "c1", block_ms=2_000)
    finally:
        timer.join()

    assert [d.event for d in got] == [late]


def test_read_returns_nothing_once_the_wait_ends(make_bus: BusFactory) -> None:
    bus = make_bus()
    bus.subscribe("g", ["order"])
    started = time.monotonic()

    assert bus.read("g", "c1", block_ms=100) == []
    assert time.monotonic() - started >= 0.09


def test_reading_a_group_never_subscribed_says_to_subscribe_first(make_bus: BusFactory) -> None:
    bus = make_bus()
    bus.subscribe("g", ["order"])

    with pytest.raises(UnknownGroup, match="subscribe"):
        bus.read("nobody", "c1")


def test_publishing_to_an_unreachable_bus_raises_bus_unavailable(make_bus: BusFactory) -> None:
    bus = make_bus(unreachable=True)

    with pytest.raises(BusUnavailable):
        bus.publish([event()])


@pytest.mark.redis
def test_a_redis_server_refusing_the_write_is_reported_as_unavailable(redis_url: str) -> None:
    prefix = f"strangler-test:{uuid.uuid4().hex[:12]}:"
    client = redis.Redis.from_url(redis_url)
    client.set(prefix + "order", "not a stream")  # WRONGTYPE stands in for OOM or READONLY
    try:
        with RedisBus(redis_url, prefix=prefix) as bus, pytest.raises(BusUnavailable):
            bus.publish([event("order")])
    finally:
        client.delete(prefix + "order")
        client.close()
