"""Small steps the auth tests repeat."""

from __future__ import annotations

import httpx


async def register(
    client: httpx.AsyncClient, email: str = "alice@example.com", name: str = "Alice"
) -> dict[str, object]:
    response = await client.post(
        "/api/auth/register", json={"email": email, "password": "correct horse", "name": name}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def login(client: httpx.AsyncClient, email: str = "alice@example.com") -> str:
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": "correct horse"}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_admin(database_url: str, email: str = "alice@example.com") -> None:
    """Admins are made in the database, as on the monolith (there is no endpoint for it)."""
    import sqlalchemy as sa

    from extracted.common.database import make_engine

    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE users SET is_admin = :yes WHERE email = :email"),
            {"yes": True, "email": email},
        )
    engine.dispose()
