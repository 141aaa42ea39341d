"""The contract's public product and stock endpoints (docs/contract.md, "Endpoints")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from extracted.common.deps import QueryArgs, RawBody
from extracted.common.responses import FlaskJSONResponse
from extracted.common.validation import item_list, json_object
from extracted.products_service import catalogue, serialize, stock
from extracted.products_service.runtime import AdminDep, SessionDep, UowDep

router = APIRouter(prefix="/api")


@router.get("/products")
def list_products(args: QueryArgs, session: SessionDep) -> FlaskJSONResponse:
    return FlaskJSONResponse(catalogue.list_products(session, args))


@router.get("/products/{product_id:flaskint}")
def get_product(product_id: int, session: SessionDep) -> FlaskJSONResponse:
    return FlaskJSONResponse(serialize.product(catalogue.load(session, product_id)))


# Dependencies resolve in order: the admin check (auth before the body), then the body.
@router.post("/products")
def create_product(_admin: AdminDep, body: RawBody, uow: UowDep) -> FlaskJSONResponse:
    return FlaskJSONResponse(catalogue.create(uow, json_object(body)), status_code=201)


def _existing(product_id: int, session: SessionDep) -> None:
    catalogue.load(session, product_id)


# Auth, then existence, then the body: an unknown id is 404 even with an oversized body.
@router.patch("/products/{product_id:flaskint}")
def update_product(
    product_id: int,
    _admin: AdminDep,
    _exists: Annotated[None, Depends(_existing)],
    body: RawBody,
    uow: UowDep,
) -> FlaskJSONResponse:
    row = catalogue.load(uow.session, product_id)
    return FlaskJSONResponse(catalogue.update(uow, row, json_object(body)))


@router.post("/stock/verify")
def verify_stock(body: RawBody, session: SessionDep) -> FlaskJSONResponse:
    pairs = item_list(json_object(body), max_entries=100, max_quantity=1000, unique=False)
    requested = stock.requested_totals(pairs)
    short = stock.shortages(requested, stock.current_stock(session, requested))
    return FlaskJSONResponse({"ok": not short, "shortages": [s.as_json() for s in short]})
