"""Reading one account: admins read any, everyone else only their own."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from legacy_monolith import serialize
from legacy_monolith.api.ids import storable
from legacy_monolith.auth_context import current_user
from legacy_monolith.db import get_session
from legacy_monolith.errors import forbidden, not_found
from legacy_monolith.models import User

blueprint = Blueprint("users", __name__, url_prefix="/api/users")


@blueprint.get("/<int:user_id>")
def get_user(user_id: int) -> Response:
    caller = current_user()
    if not caller.is_admin and caller.id != user_id:
        raise forbidden("You may only view your own account")
    row = get_session().get(User, user_id) if storable(user_id) else None
    if row is None:
        raise not_found("User", user_id)
    return jsonify(serialize.user(row))
