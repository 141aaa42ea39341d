"""Auth and users: register, login, logout, me, users/{id}, with their 400/401/403/404/409/422."""

from __future__ import annotations

from ..scenario import Capture, Scenario
from .steps import ADMIN, ALICE, call, created, login

REGISTER = "POST /api/auth/register"
LOGIN = "POST /api/auth/login"
LOGOUT = "POST /api/auth/logout"
ME = "GET /api/auth/me"
USER = "GET /api/users/{id}"

NEW_USER = {"email": "Parity.{run}@Example.com", "password": "parity-pass-1", "name": " Pat "}

AUTH_SCENARIOS = (
    Scenario(
        "a new user registers, logs in, reads itself and logs out",
        (
            call(
                REGISTER,
                json=NEW_USER,
                captures=created("user", "created_at", scope=("/api/auth", "/api/users")),
                expect=201,
            ),
            call(
                LOGIN,
                json={"email": "parity.{run}@example.com", "password": "parity-pass-1"},
                captures=(Capture("token", "/token"),),
                expect=200,
            ),
            call(ME, auth="token", expect=200),
            call(USER, "/api/users/{user_id}", auth="token", expect=200),
            call(LOGOUT, auth="token", expect=204),
            call(ME, auth="token", expect=401, name="me after logout"),
            call(LOGOUT, auth="token", expect=401, name="logout twice"),
        ),
    ),
    Scenario(
        "register refuses what the contract refuses",
        (
            call(REGISTER, json={**NEW_USER, "email": "alice@example.com"}, expect=409),
            call(REGISTER, json={**NEW_USER, "email": " ALICE@example.COM "}, expect=409),
            call(REGISTER, json={"password": "parity-pass-1", "name": "P"}, expect=422),
            call(REGISTER, json={**NEW_USER, "email": None}, expect=422),
            call(REGISTER, json={**NEW_USER, "email": 42}, expect=422),
            call(REGISTER, json={**NEW_USER, "email": ""}, expect=422),
            call(REGISTER, json={**NEW_USER, "email": "no-at-sign"}, expect=422),
            call(REGISTER, json={**NEW_USER, "email": "a" * 250 + "@x.io"}, expect=422),
            call(REGISTER, json={**NEW_USER, "password": "short"}, expect=422),
            call(REGISTER, json={**NEW_USER, "password": True}, expect=422),
            call(REGISTER, json={**NEW_USER, "name": "   "}, expect=422),
            call(REGISTER, json={**NEW_USER, "name": "n" * 101}, expect=422),
            call(REGISTER, json=["not", "an", "object"], expect=400),
            call(REGISTER, content=b"{not json", expect=400),
            call(REGISTER, content=b"", expect=400, name="register with no body"),
        ),
    ),
    Scenario(
        "login refuses bad credentials and bad bodies",
        (
            call(LOGIN, json={"email": "alice@example.com", "password": "wrong-pass"}, expect=401),
            call(LOGIN, json={"email": "nobody@example.com", "password": "x"}, expect=401),
            call(LOGIN, json={"email": " ALICE@example.com ", "password": "nope"}, expect=401),
            call(LOGIN, json={"email": "alice@example.com"}, expect=422),
            call(LOGIN, json={"email": 1, "password": "password123"}, expect=422),
            call(LOGIN, json={"email": "alice@example.com", "password": None}, expect=422),
            call(LOGIN, content=b"[]", expect=400),
        ),
    ),
    Scenario(
        "me reads the bearer token as the monolith does",
        (
            login(ALICE),
            call(ME, expect=401, name="me without a token"),
            call(ME, headers={"Authorization": "Basic YWxpY2U6eA=="}, expect=401),
            call(ME, headers={"Authorization": "Bearer"}, expect=401),
            call(ME, headers={"Authorization": "Bearer a b"}, expect=401),
            call(ME, headers={"Authorization": "Bearer not-a-real-token"}, expect=401),
            call(ME, headers={"Authorization": "bearer {token}"}, expect=200),
            call(LOGOUT, expect=401, name="logout without a token"),
        ),
    ),
    Scenario(
        "users/{id}: yourself, or an admin",
        (
            login(ALICE),
            login(ADMIN, "admin"),
            call(USER, "/api/users/2", auth="token", expect=200),
            call(USER, "/api/users/3", auth="token", expect=403),
            call(USER, "/api/users/999999999", auth="token", expect=403),
            call(USER, "/api/users/3", auth="admin", expect=200),
            call(USER, "/api/users/999999999", auth="admin", expect=404),
            call(USER, "/api/users/99999999999999999999", auth="admin", expect=404),
            call(USER, "/api/users/2", expect=401),
            call(USER, "/api/users/2", headers={"Authorization": "Bearer nope"}, expect=401),
        ),
    ),
)
