"""auth_service's events applied to the monolith's users and sessions; twice = once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa

from extracted.common.events import Event, InMemoryPublisher
from migration_plan.data.backfill import IdCollision
from migration_plan.data.legacy_bridge import BridgeError, LegacyBridge

from .conftest import dump

USER = {
    "id": 40,
    "email": "dora@example.com",
    "name": "Dora",
    "is_admin": False,
    "created_at": "Fri, 27 Nov 2026 04:34:17 GMT",
    "password_hash": "pbkdf2:sha256:1000$salt$hash",
}
SESSION = {"token": "svc-token", "user_id": 40, "expires_at": "Sat, 28 Nov 2026 04:34:17 GMT"}


def events() -> list[Event]:
    return [
        Event("user.registered", "user", "40", USER),
        Event("session.created", "session", "svc-token", SESSION,
              occurred_at="2026-11-27T04:34:17.123456+00:00"),
    ]  # fmt: skip


@pytest.fixture
def bridge(monolith_url: str) -> Iterator[LegacyBridge]:
    bridge = LegacyBridge(monolith_url)
    yield bridge
    bridge.close()


def test_registration_and_login_reach_the_monolith_tables(
    bridge: LegacyBridge, monolith_url: str
) -> None:
    for event in events():
        assert bridge.apply(event)
    [user] = [u for u in dump(monolith_url, "users", "id") if u["id"] == 40]
    assert user["email"] == "dora@example.com"
    assert user["password_hash"] == USER["password_hash"]
    assert user["created_at"] == datetime(2026, 11, 27, 4, 34, 17)
    [session] = dump(monolith_url, "sessions", "token")
    assert session == {
        "token": "svc-token",
        "user_id": 40,
        "created_at": datetime(2026, 11, 27, 4, 34, 17),
        "expires_at": datetime(2026, 11, 28, 4, 34, 17),
    }


def test_applying_every_event_twice_changes_nothing(
    bridge: LegacyBridge, monolith_url: str
) -> None:
    for event in events():
        bridge.apply(event)
    before = (dump(monolith_url, "users", "id"), dump(monolith_url, "sessions", "token"))
    for event in events():
        bridge.apply(event.as_dict())  # the bus will hand over plain envelopes
    assert (dump(monolith_url, "users", "id"), dump(monolith_url, "sessions", "token")) == before


def test_a_revoked_session_is_gone_and_revoking_again_is_a_no_op(
    bridge: LegacyBridge, monolith_url: str
) -> None:
    for event in events():
        bridge.apply(event)
    revoked = Event("session.revoked", "session", "svc-token", SESSION)
    bridge.apply(revoked)
    bridge.apply(revoked)
    assert dump(monolith_url, "sessions", "token") == []


def test_as_a_subscriber_it_sees_what_is_published(bridge: LegacyBridge, monolith_url: str) -> None:
    publisher = InMemoryPublisher()
    publisher.subscribe(bridge)
    publisher.publish([*events(), Event("order.created", "order", "1", {"id": 1})])
    assert [s["token"] for s in dump(monolith_url, "sessions", "token")] == ["svc-token"]


def test_other_events_are_ignored(bridge: LegacyBridge) -> None:
    assert bridge.apply(Event("stock.changed", "product", "1", {"product_id": 1})) is False


def test_a_session_for_an_unknown_user_is_refused(bridge: LegacyBridge) -> None:
    with pytest.raises(BridgeError, match="apply their user.registered first"):
        bridge.apply(Event("session.created", "session", "t", {**SESSION, "user_id": 999}))


def test_an_email_held_by_another_monolith_user_is_refused(
    bridge: LegacyBridge, monolith_url: str
) -> None:
    with pytest.raises(BridgeError, match="already has 'alice@example.com'"):
        bridge.apply(Event("user.registered", "user", "40", {**USER, "email": "alice@example.com"}))
    assert all(u["id"] != 40 for u in dump(monolith_url, "users", "id"))


def test_a_user_id_the_monolith_gave_someone_else_is_never_overwritten(
    bridge: LegacyBridge, monolith_url: str
) -> None:
    # Both sides registered a user at once and minted the same id: the monolith's own user 2
    # (alice) must not become the service's user.
    before = dump(monolith_url, "users", "id")
    with pytest.raises(IdCollision, match=r"users \{'id': 2\}.*alice@example.com.*dora@"):
        bridge.apply(Event("user.registered", "user", "2", {**USER, "id": 2}))
    assert dump(monolith_url, "users", "id") == before


def test_the_monolith_accepts_the_bridged_token(bridge: LegacyBridge, monolith_url: str) -> None:
    from legacy_monolith import create_app
    from legacy_monolith.db import engine_of

    for event in events():
        bridge.apply(event)
    engine = sa.create_engine(monolith_url)
    with engine.begin() as conn:  # keep it valid whatever today's date is
        conn.execute(sa.text("UPDATE sessions SET expires_at = :t"), {"t": datetime(2999, 1, 1)})
    engine.dispose()
    flask_app = create_app({"DATABASE_URL": monolith_url})
    response = flask_app.test_client().get(
        "/api/auth/me", headers={"Authorization": "Bearer svc-token"}
    )
    engine_of(flask_app).dispose()
    assert response.status_code == 200
    assert response.get_json()["email"] == "dora@example.com"
