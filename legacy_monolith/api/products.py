"""The catalogue: list, read, create and update products (writes are admin-only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError

from legacy_monolith import outbox, serialize, validation
from legacy_monolith.api.body import json_object
from legacy_monolith.api.ids import storable
from legacy_monolith.auth_context import current_admin
from legacy_monolith.clock import utcnow
from legacy_monolith.db import get_session
from legacy_monolith.errors import ApiError, not_found, validation_error
from legacy_monolith.models import Product

blueprint = Blueprint("products", __name__, url_prefix="/api")

UPDATABLE = ("name", "description", "category", "price", "stock")


def _sort_columns(key: str, dialect: str) -> list[ColumnElement[Any]]:
    column: ColumnElement[Any] = getattr(Product, key.lstrip("-"))
    if key.lstrip("-") == "name" and dialect == "postgresql":
        # Code-point order everywhere: SQLite compares bytes, PostgreSQL would use its locale.
        column = column.collate("C")
    ordered = column.desc() if key.startswith("-") else column.asc()
    return [ordered, Product.id.asc()]


@blueprint.get("/products")
def list_products() -> Response:
    paging = validation.page_request(request.args)
    query = request.args.get("q", "").strip()
    if len(query) > 100:
        raise validation_error("q", "q must be at most 100 characters")
    category = request.args.get("category", "").strip()
    sort = validation.sort_key(request.args)

    session = get_session()
    conditions: list[ColumnElement[bool]] = []
    if query:
        conditions.append(func.lower(Product.name).contains(query.lower(), autoescape=True))
    if category:
        conditions.append(Product.category == category)
    total = session.execute(select(func.count(Product.id)).where(*conditions)).scalar_one()
    rows = session.scalars(
        select(Product)
        .where(*conditions)
        .order_by(*_sort_columns(sort, session.get_bind().dialect.name))
        .limit(paging.per_page)
        .offset(paging.offset)
    ).all()
    items = [serialize.product(row) for row in rows]
    return jsonify(serialize.page(items, paging.page, paging.per_page, total))


def _load(product_id: int) -> Product:
    row = get_session().get(Product, product_id) if storable(product_id) else None
    if row is None:
        raise not_found("Product", product_id)
    return row


@blueprint.get("/products/<int:product_id>")
def get_product(product_id: int) -> Response:
    return jsonify(serialize.product(_load(product_id)))


def _stock(body: dict[str, Any]) -> int:
    return validation.integer(body.get("stock"), "stock", 0, 1_000_000)


def _description(body: dict[str, Any]) -> str:
    if body.get("description") is None:
        return ""
    return validation.string(body, "description", max_length=2000, not_empty=False)


@blueprint.post("/products")
def create_product() -> tuple[Response, int]:
    current_admin()
    body = json_object()
    sku = validation.string(body, "sku", max_length=64)
    name = validation.string(body, "name", max_length=200)
    description = _description(body)
    category = validation.string(body, "category", max_length=50)
    price = validation.price(body)
    stock = _stock(body)

    session = get_session()
    if session.execute(select(Product.id).where(Product.sku == sku)).first() is not None:
        raise _sku_taken()
    now = utcnow()
    row = Product(
        sku=sku,
        name=name,
        description=description,
        category=category,
        price=price,
        stock=stock,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    try:
        session.flush()
        outbox.stock_changed(session, row.id, row.stock)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise _sku_taken() from None
    return jsonify(serialize.product(row)), 201


def _sku_taken() -> ApiError:
    return ApiError(409, "sku_taken", "SKU is already in use")


@blueprint.patch("/products/<int:product_id>")
def update_product(product_id: int) -> Response:
    current_admin()
    row = _load(product_id)
    body = json_object()
    # Absent and null are the same thing ("missing") in this contract, so null updates nothing.
    given = [field for field in UPDATABLE if body.get(field) is not None]
    if not given:
        raise validation_error("body", "no updatable fields given")
    changes: dict[str, Any] = {}
    if "name" in given:
        changes["name"] = validation.string(body, "name", max_length=200)
    if "description" in given:
        changes["description"] = _description(body)
    if "category" in given:
        changes["category"] = validation.string(body, "category", max_length=50)
    if "price" in given:
        changes["price"] = validation.price(body)
    if "stock" in given:
        changes["stock"] = _stock(body)

    session = get_session()
    stock_before = row.stock
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    # Every PATCH writes the row (updated_at at least), so every PATCH is announced, in this
    # same transaction; stock.changed as well when the level moved (what stock readers follow).
    outbox.product_updated(session, row.id, list(changes))
    if "stock" in changes and changes["stock"] != stock_before:
        outbox.stock_changed(session, row.id, row.stock)
    session.commit()
    return jsonify(serialize.product(row))
