"""The request body as the contract reads it: JSON whatever the Content-Type, and an object."""

from __future__ import annotations

from typing import Any

from flask import request

from legacy_monolith.errors import bad_body


def json_object() -> dict[str, Any]:
    # force: the Content-Type is not trusted; silent: malformed JSON is our 400, not Flask's.
    # Reading the body still raises RequestEntityTooLarge (413) past MAX_CONTENT_LENGTH.
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise bad_body()
    return body
