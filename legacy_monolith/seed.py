"""The deterministic demo data set, and bulk products for load tests; both idempotent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from legacy_monolith import money
from legacy_monolith.clock import utcnow
from legacy_monolith.db import DatabaseUnavailable, database_errors, make_engine, safe_url
from legacy_monolith.models import Order, OrderItem, Product, User

ADMIN = ("admin@example.com", "Admin", "admin-password")
CUSTOMERS = (
    ("alice@example.com", "Alice"),
    ("bob@example.com", "Bob"),
    ("carol@example.com", "Carol"),
)
CUSTOMER_PASSWORD = "password123"
BULK_SKU_PREFIX = "BULK-"
BULK_BATCH_SIZE = 5_000

# (sku prefix, category, [(name, description)]); ten products per category.
CATALOGUE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("BOOK", "books", ("The Fig Tree", "Strangler Patterns", "Legacy Systems", "Refactoring Notes",
                       "The Quiet Service", "Event Storming", "Domain Stories", "Seams",
                       "Working Effectively", "The Monolith")),
    ("ELEC", "electronics", ("USB-C Cable", "Mechanical Keyboard", "Wireless Mouse", "Monitor Arm",
                             "Webcam", "Headphones", "Power Bank", "Desk Lamp", "Smart Plug",
                             "Card Reader")),
    ("KITC", "kitchen", ("Coffee Grinder", "French Press", "Chef Knife", "Cutting Board",
                         "Tea Kettle", "Spice Rack", "Mixing Bowl", "Measuring Cups",
                         "Cast Iron Pan", "Salad Spinner")),
    ("GARD", "garden", ("Fig Sapling", "Pruning Shears", "Watering Can", "Trowel", "Seed Tray",
                        "Compost Bin", "Garden Gloves", "Hose Reel", "Plant Labels",
                        "Raised Bed Kit")),
    ("TOYS", "toys", ("Wooden Blocks", "Puzzle 500", "Kite", "Yo-Yo", "Marbles", "Card Game",
                      "Toy Train", "Jump Rope", "Spinning Top", "Board Game")),
)  # fmt: skip

# (customer email, status, [(sku, quantity)])
DEMO_ORDERS = (
    ("alice@example.com", "pending", (("BOOK-0001", 2), ("KITC-0002", 1))),
    ("alice@example.com", "cancelled", (("ELEC-0003", 1),)),
    ("bob@example.com", "pending", (("GARD-0001", 3),)),
)


class SchemaMissing(DatabaseUnavailable):
    """The database answers but has no monolith tables."""


@dataclass(frozen=True)
class SeedReport:
    users: int
    products: int
    orders: int
    bulk_inserted: int


def demo_products() -> Iterator[dict[str, object]]:
    """The ~50 demo products, the same every time (prices and stock derive from the position)."""
    for prefix, category, names in CATALOGUE:
        for number, name in enumerate(names, start=1):
            yield {
                "sku": f"{prefix}-{number:04d}",
                "name": name,
                "description": f"{name}, from the {category} shelf.",
                "category": category,
                "price": Decimal(f"{number * 3 + len(name) % 7}.{(number * 37) % 100:02d}"),
                "stock": 5 + (number * 7) % 40,
            }


def bulk_product(index: int) -> dict[str, object]:
    return {
        "sku": f"{BULK_SKU_PREFIX}{index:07d}",
        "name": f"Bulk product {index}",
        "description": "",
        "category": f"bulk-{index % 10}",
        "price": Decimal(index % 10_000) + Decimal(index % 100) / 100,
        "stock": index % 1_000,
    }


def seed(
    database_url: str,
    *,
    bulk_products: int = 0,
    password_hash_method: str = "scrypt",
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Insert whatever of the demo set (and of BULK-0000001..N) is missing; never duplicates."""
    engine = make_engine(database_url)
    try:
        with database_errors(database_url):
            if not sa.inspect(engine).has_table("users"):
                raise SchemaMissing(
                    f"{safe_url(database_url)} has no monolith tables; "
                    "run `strangler db upgrade` first"
                )
            with Session(engine) as session, session.begin():
                _seed_users(session, password_hash_method)
                _seed_products(session)
                _seed_orders(session)
            inserted = _seed_bulk(engine, bulk_products, progress)
            with Session(engine) as session:
                return SeedReport(
                    users=_count(session, User),
                    products=_count(session, Product),
                    orders=_count(session, Order),
                    bulk_inserted=inserted,
                )
    finally:
        engine.dispose()


def _count(session: Session, model: type[User] | type[Product] | type[Order]) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _seed_users(session: Session, method: str) -> None:
    existing = set(session.scalars(sa.select(User.email)))
    people = [(ADMIN[0], ADMIN[1], ADMIN[2], True)]
    people += [(email, name, CUSTOMER_PASSWORD, False) for email, name in CUSTOMERS]
    for email, name, password, is_admin in people:
        if email not in existing:
            session.add(
                User(
                    email=email,
                    name=name,
                    password_hash=generate_password_hash(password, method=method),
                    is_admin=is_admin,
                    created_at=utcnow(),
                )
            )
    session.flush()


def _seed_products(session: Session) -> None:
    wanted = list(demo_products())
    existing = set(
        session.scalars(sa.select(Product.sku).where(Product.sku.in_([p["sku"] for p in wanted])))
    )
    now = utcnow()
    for fields in wanted:
        if fields["sku"] not in existing:
            session.add(Product(**fields, created_at=now, updated_at=now))
    session.flush()


def _seed_orders(session: Session) -> None:
    """Each demo customer's orders are placed only while that customer has none at all."""
    users = {u.email: u for u in session.scalars(sa.select(User))}
    products = {
        p.sku: p
        for p in session.scalars(
            sa.select(Product).where(Product.sku.notlike(f"{BULK_SKU_PREFIX}%"))
        )
    }
    already = {
        email
        for email, user in users.items()
        if session.execute(sa.select(Order.id).where(Order.user_id == user.id).limit(1)).first()
    }
    now = utcnow()
    for email, status, lines in DEMO_ORDERS:
        if email in already:
            continue
        items = [
            OrderItem(
                position=position,
                product_id=products[sku].id,
                product_name=products[sku].name,
                unit_price=products[sku].price,
                quantity=quantity,
                line_total=money.line_total(products[sku].price, quantity),
            )
            for position, (sku, quantity) in enumerate(lines)
        ]
        session.add(
            Order(
                user_id=users[email].id,
                status=status,
                total=money.total(item.line_total for item in items),
                created_at=now,
                updated_at=now,
                items=items,
            )
        )


def _seed_bulk(engine: Engine, count: int, progress: Callable[[int], None] | None) -> int:
    """Insert BULK-0000001..count that are missing, in executemany batches of Core inserts."""
    if count <= 0:
        return 0
    with engine.connect() as connection:
        existing = set(
            connection.scalars(
                sa.select(Product.sku).where(Product.sku.like(f"{BULK_SKU_PREFIX}%"))
            )
        )
    now = utcnow()
    inserted = 0
    batch: list[dict[str, object]] = []
    with engine.connect() as connection:
        for index in range(1, count + 1):
            row = bulk_product(index)
            if row["sku"] in existing:
                if progress:
                    progress(1)
                continue
            batch.append({**row, "created_at": now, "updated_at": now})
            if len(batch) >= BULK_BATCH_SIZE:
                inserted += _flush(connection, batch, progress)
        inserted += _flush(connection, batch, progress)
    return inserted


def _flush(
    connection: sa.Connection,
    batch: list[dict[str, object]],
    progress: Callable[[int], None] | None,
) -> int:
    if not batch:
        return 0
    connection.execute(sa.insert(Product), batch)
    connection.commit()
    size = len(batch)
    batch.clear()
    if progress:
        progress(size)
    return size
