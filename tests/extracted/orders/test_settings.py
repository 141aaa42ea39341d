"""orders_service reads only its own environment names (the monolith's DATABASE_URL is not ours)."""

from __future__ import annotations

import pytest

from extracted.orders_service.settings import OrdersSettings

pytestmark = pytest.mark.unit


def test_defaults_point_at_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ORDERS_DATABASE_URL", "ORDERS_PORT", "AUTH_SERVICE_URL", "PRODUCTS_SERVICE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STRANGLER_VAR_DIR", "var")
    settings = OrdersSettings()
    assert settings.database_url == "sqlite:///var/orders.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8004)
    assert settings.auth_service_url == "http://127.0.0.1:8002"
    assert settings.products_service_url == "http://127.0.0.1:8003"


def test_env_names_are_the_services_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///monolith.db")
    monkeypatch.setenv("PORT", "1")
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.delenv("ORDERS_DATABASE_URL", raising=False)
    monkeypatch.setenv("STRANGLER_VAR_DIR", "var")
    settings = OrdersSettings()
    assert settings.database_url == "sqlite:///var/orders.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8004)

    monkeypatch.setenv("ORDERS_DATABASE_URL", "sqlite:///o.db")
    monkeypatch.setenv("ORDERS_PORT", "9104")
    monkeypatch.setenv("HTTP_TIMEOUT_SECONDS", "1.5")  # shared by every service
    settings = OrdersSettings()
    assert (settings.database_url, settings.port) == ("sqlite:///o.db", 9104)
    assert settings.http_timeout_seconds == 1.5


def test_code_may_still_pass_fields_by_name() -> None:
    assert OrdersSettings(database_url="sqlite:///x.db").database_url == "sqlite:///x.db"
