"""Small builders the contract scenarios are written with."""

from __future__ import annotations

from typing import Any

from migration_plan.plan import parse_route

from ..scenario import Capture, Step

ADMIN = ("admin@example.com", "admin-password")
ALICE = ("alice@example.com", "password123")
BOB = ("bob@example.com", "password123")


def call(route: str, path: str | None = None, **options: Any) -> Step:
    """A step exercising ``route``; the path defaults to the route's own (no parameters)."""
    template = parse_route(route)
    return Step(route, template.method, path or template.path, **options)


def login(who: tuple[str, str], as_name: str = "token") -> Step:
    """Log in on each side and capture that side's token as ``{as_name}``."""
    email, password = who
    return call(
        "POST /api/auth/login",
        json={"email": email, "password": password},
        captures=(Capture(as_name, "/token"),),
        expect=200,
        name=f"login {email.split('@')[0]}",
    )


def created(name: str, *stamps: str, scope: tuple[str, ...] | None = None) -> tuple[Capture, ...]:
    """Capture a new entity's id (as ``{<name>_id}``) and its timestamps as mapped values: each
    side mints its own. ``scope``: where its ``id`` is this entity's (default: the endpoint's
    resource, e.g. /api/orders)."""
    captures = [Capture(f"{name}_id", "/id", map_id=True, scope=scope)]
    captures += [
        Capture(f"{name}_{s}", f"/{s}", map_id=True, fields=(s,), scope=scope) for s in stamps
    ]
    return tuple(captures)
