"""Token lookup: local sessions first, then the monolith's introspection, cached for a while."""

from __future__ import annotations

import httpx
import pytest
import respx
import sqlalchemy as sa

from extracted.auth_service.app import create_app
from extracted.auth_service.settings import AuthSettings
from extracted.common.database import make_engine

from .helpers import bearer, login, make_admin, register

pytestmark = pytest.mark.anyio

MONOLITH_USER = {
    "created_at": "Fri, 27 Nov 2026 04:34:17 GMT",
    "email": "carol@example.com",
    "id": 41,
    "is_admin": False,
    "name": "Carol",
}


def _expire_local_sessions(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE sessions SET expires_at = '2000-01-01 00:00:00'"))
    engine.dispose()


async def test_a_logged_out_token_is_refused_even_if_the_monolith_is_asked(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    legacy.get("/api/auth/me").respond(
        401, json={"error": {"code": "invalid_token", "message": "Invalid or expired token"}}
    )
    await register(client)
    token = await login(client)
    await client.post("/api/auth/logout", headers=bearer(token))
    response = await client.get("/api/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "invalid_token", "message": "Invalid or expired token"}
    }


async def test_a_token_logged_out_here_stays_out_while_the_monolith_still_accepts_it(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    # The sync brought the login to the monolith, the logout not yet (it lags): the monolith
    # still says yes. Asking it would bring the token back, and cache it, after the logout.
    legacy.post("/api/auth/logout", name="logout").respond(
        401, json={"error": {"code": "invalid_token", "message": "Invalid or expired token"}}
    )
    introspection = legacy.get("/api/auth/me").respond(200, json=MONOLITH_USER)
    await register(client)
    token = await login(client)
    assert (await client.post("/api/auth/logout", headers=bearer(token))).status_code == 204
    for _ in range(2):
        me = await client.get("/api/auth/me", headers=bearer(token))
        assert me.status_code == 401
        again = await client.post("/api/auth/logout", headers=bearer(token))
        assert again.status_code == 401
    assert not introspection.called


async def test_a_local_hit_never_asks_the_monolith(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    route = legacy.get("/api/auth/me").respond(500)
    await register(client)
    token = await login(client)
    assert (await client.get("/api/auth/me", headers=bearer(token))).status_code == 200
    assert not route.called


async def test_a_monolith_token_is_introspected_and_the_answer_is_the_user(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    route = legacy.get("/api/auth/me").respond(200, json=MONOLITH_USER)
    response = await client.get("/api/auth/me", headers=bearer("monolith-token"))
    assert response.status_code == 200
    assert response.json() == MONOLITH_USER
    assert route.calls.last.request.headers["Authorization"] == "Bearer monolith-token"


async def test_an_introspected_token_is_cached_so_the_monolith_is_asked_once(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    route = legacy.get("/api/auth/me").respond(200, json=MONOLITH_USER)
    for _ in range(3):
        assert (await client.get("/api/auth/me", headers=bearer("tok"))).status_code == 200
    assert route.call_count == 1


async def test_the_cache_expires_so_a_monolith_logout_reaches_the_service(
    client: httpx.AsyncClient, legacy: respx.MockRouter, database_url: str
) -> None:
    route = legacy.get("/api/auth/me")
    route.respond(200, json=MONOLITH_USER)
    assert (await client.get("/api/auth/me", headers=bearer("tok"))).status_code == 200
    _expire_local_sessions(database_url)
    route.respond(
        401, json={"error": {"code": "invalid_token", "message": "Invalid or expired token"}}
    )
    response = await client.get("/api/auth/me", headers=bearer("tok"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert route.call_count == 2


async def test_the_introspected_user_is_upserted_for_users_endpoint(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    legacy.get("/api/auth/me").respond(200, json=MONOLITH_USER)
    response = await client.get("/api/users/41", headers=bearer("tok"))
    assert response.status_code == 200
    assert response.json() == MONOLITH_USER


async def test_a_monolith_401_is_a_401_here(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    legacy.get("/api/auth/me").respond(
        401, json={"error": {"code": "invalid_token", "message": "Invalid or expired token"}}
    )
    response = await client.get("/api/auth/me", headers=bearer("unknown"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(502),
        httpx.Response(200, text="<html>"),
        httpx.Response(200, json={"id": "41"}),
        httpx.Response(404),
    ],
)
async def test_a_monolith_that_cannot_answer_is_503_not_a_false_401(
    client: httpx.AsyncClient, legacy: respx.MockRouter, failure: object
) -> None:
    route = legacy.get("/api/auth/me")
    if isinstance(failure, Exception):
        route.side_effect = failure
    else:
        route.return_value = failure
    response = await client.get("/api/auth/me", headers=bearer("tok"))
    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "service_unavailable", "message": "legacy monolith is unavailable"}
    }


async def test_local_tokens_keep_working_while_the_monolith_is_down(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    legacy.get("/api/auth/me").side_effect = httpx.ConnectError("refused")
    await register(client)
    token = await login(client)
    assert (await client.get("/api/auth/me", headers=bearer(token))).status_code == 200


async def test_an_expired_local_token_is_invalid_when_there_is_no_monolith(
    database_url: str,
) -> None:
    app = create_app(
        AuthSettings(
            database_url=database_url, password_hash_method="pbkdf2:sha256:1000", legacy_url=""
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as http:
        await register(http)
        token = await login(http)
        _expire_local_sessions(database_url)
        response = await http.get("/api/auth/me", headers=bearer(token))
    app.state.runtime.database.dispose()
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


async def test_admins_read_any_account_and_unknown_or_huge_ids_are_json_404(
    client: httpx.AsyncClient, database_url: str
) -> None:
    await register(client)
    bob = await register(client, "bob@example.com", "Bob")
    make_admin(database_url)
    token = await login(client)
    assert (await client.get(f"/api/users/{bob['id']}", headers=bearer(token))).json() == bob
    for ident in ("999", "9223372036854775807", "9223372036854775808", "0", "1" * 40):
        response = await client.get(f"/api/users/{ident}", headers=bearer(token))
        assert response.status_code == 404, ident
        assert response.json() == {
            "error": {"code": "not_found", "message": f"User {int(ident)} not found"}
        }


async def test_logout_also_logs_the_token_out_on_the_monolith(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    legacy.get("/api/auth/me").respond(200, json=MONOLITH_USER)
    response = await client.post("/api/auth/logout", headers=bearer("monolith-token"))
    assert response.status_code == 204
    sent = legacy.routes["logout"].calls.last.request
    assert sent.headers["Authorization"] == "Bearer monolith-token"


async def test_logout_succeeds_when_the_monolith_cannot_be_told(
    client: httpx.AsyncClient, legacy: respx.MockRouter
) -> None:
    legacy.routes["logout"].side_effect = httpx.ConnectError("refused")
    await register(client)
    token = await login(client)
    assert (await client.post("/api/auth/logout", headers=bearer(token))).status_code == 204
    legacy.get("/api/auth/me").respond(
        401, json={"error": {"code": "invalid_token", "message": "Invalid or expired token"}}
    )
    assert (await client.get("/api/auth/me", headers=bearer(token))).status_code == 401


async def test_with_a_zero_cache_every_call_asks_the_monolith(
    settings: AuthSettings, legacy: respx.MockRouter
) -> None:
    route = legacy.get("/api/auth/me").respond(200, json=MONOLITH_USER)
    upstream = httpx.AsyncClient(transport=httpx.MockTransport(legacy.async_handler))
    app = create_app(
        settings.model_copy(update={"introspection_cache_seconds": 0}), client=upstream
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://a.test") as http:
        for _ in range(2):
            assert (await http.get("/api/auth/me", headers=bearer("tok"))).status_code == 200
    await upstream.aclose()
    app.state.runtime.database.dispose()
    assert route.call_count == 2


def test_an_introspection_never_shortens_a_session_the_sync_brought_meanwhile(
    database_url: str,
) -> None:
    """The sync may apply the monolith's session.created between the local miss and the cache
    write: that row keeps the monolith's expiry (the cache writes no event to put it back)."""
    from datetime import datetime, timedelta

    from sqlalchemy.orm import sessionmaker

    from extracted.auth_service.models import User, UserSession
    from extracted.auth_service.tokens import TokenResolver
    from extracted.common.formats import utcnow

    engine = make_engine(database_url)
    synced_until = datetime(2030, 1, 1)
    with sessionmaker(engine).begin() as session:
        session.add(
            User(
                id=41,
                email="carol@example.com",
                name="Carol",
                password_hash="pbkdf2:sha256:1000$x$y",
                is_admin=False,
                created_at=datetime(2026, 11, 27, 4, 34, 17),
            )
        )
        session.flush()
        session.add(
            UserSession(token="synced", user_id=41, created_at=utcnow(), expires_at=synced_until)
        )
    resolver = TokenResolver(sessionmaker(engine), None, cache_seconds=60)
    resolver.remember("synced", MONOLITH_USER)
    resolver.remember("only-cached", MONOLITH_USER)
    with sessionmaker(engine)() as session:
        synced = session.get(UserSession, "synced")
        cached = session.get(UserSession, "only-cached")
        assert synced is not None and cached is not None
        assert synced.expires_at == synced_until
        assert cached.expires_at <= utcnow() + timedelta(seconds=60)
    engine.dispose()
