"""The catalogue: list, read, create and update products, as the monolith does them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from extracted.common import validation
from extracted.common.formats import utcnow
from extracted.common.responses import ApiError, not_found, validation_error
from extracted.common.unit_of_work import UnitOfWork
from extracted.products_service import serialize
from extracted.products_service.models import Product
from extracted.products_service.stock import product_updated, stock_changed

UPDATABLE = ("name", "description", "category", "price", "stock")


def _sort_columns(key: str, dialect: str) -> list[ColumnElement[Any]]:
    column: ColumnElement[Any] = getattr(Product, key.lstrip("-"))
    if key.lstrip("-") == "name" and dialect == "postgresql":
        # Code-point order everywhere: SQLite compares bytes, PostgreSQL would use its locale.
        column = column.collate("C")
    ordered = column.desc() if key.startswith("-") else column.asc()
    return [ordered, Product.id.asc()]


def list_products(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    page, per_page = validation.page_params(args)
    query = args.get("q", "").strip()
    if len(query) > 100:
        raise validation_error("q", "q must be at most 100 characters")
    category = args.get("category", "").strip()
    sort = args.get("sort", "id")
    if sort not in validation.SORTS:
        raise validation_error("sort", f"sort must be one of: {', '.join(validation.SORTS)}")

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
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return serialize.page([serialize.product(row) for row in rows], page, per_page, total)


def load(session: Session, product_id: int) -> Product:
    # Ids past 2^63-1 match the route but cannot exist (nor be bound as a parameter).
    row = session.get(Product, product_id) if 1 <= product_id <= validation.MAX_ID else None
    if row is None:
        raise not_found("Product", product_id)
    return row


def _required_str(body: Mapping[str, Any], key: str, max_length: int) -> str:
    value = validation.string(body, key, max_length=max_length)
    assert value is not None  # required: a missing value raised
    return value


def _description(body: Mapping[str, Any]) -> str:
    value = validation.string(
        body, "description", required=False, max_length=2000, allow_empty=True
    )
    return value or ""


def _price(body: Mapping[str, Any]) -> Any:
    return validation.price(body)


def _stock(body: Mapping[str, Any]) -> int:
    value = validation.integer(body, "stock", low=0, high=1_000_000)
    assert value is not None
    return value


def _sku_taken() -> ApiError:
    return ApiError(409, "sku_taken", "SKU is already in use")


def create(uow: UnitOfWork, body: Mapping[str, Any]) -> dict[str, Any]:
    sku = _required_str(body, "sku", 64)
    name = _required_str(body, "name", 200)
    description = _description(body)
    category = _required_str(body, "category", 50)
    price = _price(body)
    stock = _stock(body)

    session = uow.session
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
        uow.stage(stock_changed(row.id, row.stock))
        uow.commit()
    except IntegrityError:
        # Another request took the SKU between our check and our insert.
        uow.rollback()
        raise _sku_taken() from None
    return serialize.product(row)


def update(uow: UnitOfWork, row: Product, body: Mapping[str, Any]) -> dict[str, Any]:
    # Absent and null are the same thing ("missing") in this contract, so null updates nothing.
    given = [field for field in UPDATABLE if body.get(field) is not None]
    if not given:
        raise validation_error("body", "no updatable fields given")
    changes: dict[str, Any] = {}
    if "name" in given:
        changes["name"] = _required_str(body, "name", 200)
    if "description" in given:
        changes["description"] = _description(body)
    if "category" in given:
        changes["category"] = _required_str(body, "category", 50)
    if "price" in given:
        changes["price"] = _price(body)
    if "stock" in given:
        changes["stock"] = _stock(body)

    stock_before = row.stock
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    # Every PATCH writes the row (updated_at at least), so every PATCH is announced, in this
    # same transaction; stock.changed as well when the level moved (what stock readers follow).
    uow.stage(product_updated(row.id, list(changes)))
    if "stock" in changes and changes["stock"] != stock_before:
        uow.stage(stock_changed(row.id, row.stock))
    uow.commit()
    return serialize.product(row)
