"""The legacy Flask monolith the toolkit migrates from: auth, products, orders; one database."""

from __future__ import annotations

from legacy_monolith.app import create_app

__all__ = ["create_app"]
