"""The app factory: settings, database, error envelope and blueprints wired in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.security import generate_password_hash

from legacy_monolith import db
from legacy_monolith.api import register_blueprints
from legacy_monolith.errors import register_error_handlers
from legacy_monolith.proxy_trust import TrustedProxyFix
from legacy_monolith.settings import MonolithSettings


def load_settings(config: Mapping[str, Any] | None = None) -> MonolithSettings:
    """Environment settings, with any known keys of `config` taking precedence (and validated)."""
    overrides = {k: v for k, v in (config or {}).items() if k in MonolithSettings.model_fields}
    return MonolithSettings(**overrides)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the monolith; nothing connects until the first request needs the database."""
    settings = load_settings(config)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.SECRET_KEY,
        MAX_CONTENT_LENGTH=settings.MAX_CONTENT_LENGTH,
        DATABASE_URL=settings.database_url,
        TOKEN_TTL_SECONDS=settings.TOKEN_TTL_SECONDS,
        PASSWORD_HASH_METHOD=settings.PASSWORD_HASH_METHOD,
        # Compared against on unknown emails so a failed login costs the same either way.
        DUMMY_PASSWORD_HASH=generate_password_hash(
            "not-a-real-password", method=settings.PASSWORD_HASH_METHOD
        ),
    )
    app.config.update({k: v for k, v in (config or {}).items() if k not in app.config})
    app.extensions["monolith.settings"] = settings

    db.init_app(app, settings.database_url)
    register_error_handlers(app)
    register_blueprints(app)
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]
    return app
