"""Plumbing shared by the extracted services: settings, database, Flask-compatible HTTP, events.

Nothing here knows about a particular service; services never import each other.
"""

from extracted.common.flask_compat import register_convertors

register_convertors()  # `{id:flaskint}` must exist before any service declares its routes
