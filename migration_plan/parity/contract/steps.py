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


NEW_PASSWORD = "parity-pass-1"
EVERYWHERE = ("/",)


def new_user(prefix: str, as_name: str = "token") -> tuple[Step, Step]:
    """Register a user of each side's own (``<prefix>.{run}@example.com``) and log it in as
    ``{as_name}``: on sides that share data, a seeded user's orders are everyone's. Its id is
    ``{<as_name>_user_id}``, mapped as a user's ``id`` and as an order's ``user_id``."""
    email = f"{prefix}.{{run}}@example.com"
    user = f"{as_name}_user"
    register = call(
        "POST /api/auth/register",
        json={"email": email, "password": NEW_PASSWORD, "name": prefix.title()},
        captures=(
            *created(user, "created_at", scope=("/api/auth", "/api/users")),
            Capture(f"{user}_as_owner", "/id", map_id=True, fields=("user_id",), scope=EVERYWHERE),
        ),
        expect=201,
        name=f"register {prefix}",
    )
    return register, login((email, NEW_PASSWORD), as_name)


def new_product(
    name: str, stock: int, price: str = "10.00", auth: str = "admin", category: str = ""
) -> Step:
    """An admin (``{auth}``) creates a product of each side's own, ``{<name>_id}``, with its own
    stock: a seeded product's stock is whatever earlier runs and the sync left. Its category is
    ``<category or name>-{run}``: a listing filtered by it shows this scenario's products on this
    side only (names are unique across the suite). Its id is mapped as a product's ``id`` and,
    in any answer, as a ``product_id``."""
    return call(
        "POST /api/products",
        json={
            "sku": f"{name.upper()}-{{run}}",
            "name": f"Parity {name} {{run}}",
            "category": f"{category or name}-{{run}}",
            "price": price,
            "stock": stock,
        },
        auth=auth,
        captures=(
            *created(name, "created_at", "updated_at"),
            Capture(
                f"{name}_as_line", "/id", map_id=True, fields=("product_id",), scope=EVERYWHERE
            ),
        ),
        expect=201,
        name=f"new product {name}",
    )
