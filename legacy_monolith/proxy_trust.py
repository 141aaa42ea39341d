"""Forwarding headers are believed only from the router: ProxyFix for trusted peers, else gone."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# What a client could write to pass for someone else (Flask reads the first three via ProxyFix).
FORWARDING_KEYS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_FORWARDED",
    "HTTP_X_REAL_IP",
)


class TrustedProxyFix:
    """Apply ProxyFix(x_for=1, x_proto=1, x_host=1) only when REMOTE_ADDR is a trusted proxy.

    From any other peer the forwarding headers are removed, so neither Werkzeug nor the app
    can mistake a client's `X-Forwarded-For: 6.6.6.6` for the truth."""

    def __init__(self, app: WSGIApplication, trusted: Iterable[str]) -> None:
        self._app = app
        self._fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1)
        self._networks = tuple(ipaddress.ip_network(t, strict=False) for t in trusted)

    def trusts(self, remote_addr: str | None) -> bool:
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self._fixed(environ, start_response)
        for key in FORWARDING_KEYS:
            environ.pop(key, None)
        return self._app(environ, start_response)
