"""Stock verification: could these items be ordered right now? (Reads only.)"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from legacy_monolith import stock, validation
from legacy_monolith.api.body import json_object
from legacy_monolith.db import get_session

blueprint = Blueprint("stock", __name__, url_prefix="/api/stock")


@blueprint.post("/verify")
def verify() -> Response:
    lines = validation.line_items(json_object(), max_items=100, unique=False)
    requested = stock.requested_totals(lines)
    available = stock.current_stock(get_session(), requested)
    short = stock.shortages(requested, available)
    return jsonify({"ok": not short, "shortages": [s.as_json() for s in short]})
