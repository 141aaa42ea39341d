"""Mixed monolith writes straight through its models and outbox (fast enough for 10,000)."""

from __future__ import annotations

import random
from decimal import Decimal

from sqlalchemy.orm import Session

from legacy_monolith import outbox
from legacy_monolith.clock import utcnow
from legacy_monolith.models import Order, OrderItem, Product, User

PRODUCTS = range(1, 11)


def write(session: Session, rng: random.Random, n: int, pending: list[int]) -> str:
    """One business transaction with its events; which kind it was (`pending`: order ids)."""
    kind = rng.choice(("order", "order", "cancel", "restock", "register"))
    now = utcnow()
    if kind == "register":
        user = User(
            email=f"load-{n}@example.com", name=f"Load {n}", password_hash="x", is_admin=False,
            created_at=now,
        )  # fmt: skip
        session.add(user)
        session.flush()
        data = {"id": user.id, "email": user.email, "name": user.name, "password_hash": "x"}
        outbox.record(session, "user.registered", "user", user.id, data)
    elif kind == "restock":
        product = session.get(Product, rng.choice(PRODUCTS))
        assert product is not None
        product.stock += rng.randint(1, 5)
        product.updated_at = now
        outbox.stock_changed(session, product.id, product.stock)
    elif kind == "cancel":
        if not pending:
            return write(session, rng, n, pending)
        order = session.get(Order, pending.pop(rng.randrange(len(pending))))
        assert order is not None
        order.status, order.updated_at = "cancelled", now
        for item in order.items:
            product = session.get(Product, item.product_id)
            assert product is not None
            product.stock += item.quantity
            outbox.stock_changed(session, product.id, product.stock)
        outbox.record(session, "order.cancelled", "order", order.id, {"id": order.id})
    else:
        product = session.get(Product, rng.choice(PRODUCTS))
        assert product is not None
        product.stock += 10  # never short: this is about the data, not the rules
        product.stock -= 1
        price = Decimal(product.price)
        order = Order(user_id=2, status="pending", total=price, created_at=now, updated_at=now)
        order.items = [
            OrderItem(
                position=0, product_id=product.id, product_name=product.name, unit_price=price,
                quantity=1, line_total=price,
            )
        ]  # fmt: skip
        session.add(order)
        session.flush()
        outbox.record(session, "order.created", "order", order.id, {"id": order.id})
        outbox.stock_changed(session, product.id, product.stock)
        pending.append(order.id)
    session.commit()
    return kind
