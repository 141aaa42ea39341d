"""The HTTP endpoints of the contract, one blueprint per resource."""

from __future__ import annotations

from flask import Flask

from legacy_monolith.api import auth, orders, products, stock, users


def register_blueprints(app: Flask) -> None:
    for module in (auth, users, products, stock, orders):
        app.register_blueprint(module.blueprint)
