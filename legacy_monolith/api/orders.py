"""Orders: place (taking stock atomically), list your own, read, and cancel (returning stock)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from legacy_monolith import money, outbox, serialize, stock, validation
from legacy_monolith.api.body import json_object
from legacy_monolith.api.ids import storable
from legacy_monolith.auth_context import current_user
from legacy_monolith.clock import utcnow
from legacy_monolith.db import get_session
from legacy_monolith.errors import ApiError, not_found
from legacy_monolith.models import Order, OrderItem, Product, User

blueprint = Blueprint("orders", __name__, url_prefix="/api/orders")

PENDING, CANCELLED = "pending", "cancelled"


@blueprint.post("")
def place_order() -> tuple[Response, int]:
    caller = current_user()
    lines = validation.line_items(json_object(), max_items=50, unique=True)
    requested = stock.requested_totals(lines)

    session = get_session()
    # The stock is taken first: its UPDATE starts the write transaction (on SQLite, takes the lock).
    short = stock.take(session, requested)
    if short:
        session.rollback()
        raise ApiError(
            409,
            "insufficient_stock",
            "Insufficient stock",
            {"shortages": [s.as_json() for s in short]},
        )
    if session.get(User, caller.id, populate_existing=True) is None:
        session.rollback()
        raise ApiError(401, "invalid_token", "Invalid or expired token")

    products = {
        row.id: row
        for row in session.scalars(
            select(Product)
            .where(Product.id.in_(requested))
            .execution_options(populate_existing=True)
        )
    }
    now = utcnow()
    items = []
    for position, line in enumerate(lines):
        product = products[line.product_id]
        unit_price = money.cents(product.price)
        items.append(
            OrderItem(
                position=position,
                product_id=product.id,
                product_name=product.name,
                unit_price=unit_price,
                quantity=line.quantity,
                line_total=money.line_total(unit_price, line.quantity),
            )
        )
    order = Order(
        user_id=caller.id,
        status=PENDING,
        total=money.total(item.line_total for item in items),
        created_at=now,
        updated_at=now,
        items=items,
    )
    session.add(order)
    session.flush()
    data = serialize.order(order)
    outbox.record(session, "order.created", "order", order.id, data)
    for product_id in requested:
        outbox.stock_changed(session, product_id, products[product_id].stock)
    session.commit()
    return jsonify(data), 201


@blueprint.get("")
def list_orders() -> Response:
    caller = current_user()
    paging = validation.page_request(request.args)
    session = get_session()
    mine = Order.user_id == caller.id
    total = session.execute(select(func.count(Order.id)).where(mine)).scalar_one()
    rows = session.scalars(
        select(Order)
        .where(mine)
        .order_by(Order.id.desc())
        .limit(paging.per_page)
        .offset(paging.offset)
    ).all()
    items = [serialize.order(row) for row in rows]
    return jsonify(serialize.page(items, paging.page, paging.per_page, total))


def _visible(session: Session, order_id: int) -> Order:
    """The order if the caller owns it or is an admin; otherwise 404, so ids do not leak."""
    caller = current_user()
    row = session.get(Order, order_id) if storable(order_id) else None
    if row is None or (row.user_id != caller.id and not caller.is_admin):
        raise not_found("Order", order_id)
    return row


@blueprint.get("/<int:order_id>")
def get_order(order_id: int) -> Response:
    return jsonify(serialize.order(_visible(get_session(), order_id)))


@blueprint.post("/<int:order_id>/cancel")
def cancel_order(order_id: int) -> Response:
    session = get_session()
    order = _visible(session, order_id)
    # Conditional, so two concurrent cancels cannot both return the stock.
    result = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == PENDING)
        .values(status=CANCELLED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ApiError(409, "invalid_state", f"Order {order.id} is not pending")
    returned = {item.product_id: item.quantity for item in order.items}
    stock.give_back(session, returned)
    session.refresh(order)
    data = serialize.order(order)
    outbox.record(session, "order.cancelled", "order", order.id, data)
    for product_id, level in stock.current_stock(session, returned).items():
        outbox.stock_changed(session, product_id, level)
    session.commit()
    return jsonify(data)
