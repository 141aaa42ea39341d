"""The routing proxy: moves endpoints from the monolith to services one route flag at a time."""

from router.app import RouterApp, create_app
from router.forwarding import Forwarder, UpstreamRequest, UpstreamResponse
from router.settings import RouterSettings

__all__ = [
    "Forwarder",
    "RouterApp",
    "RouterSettings",
    "UpstreamRequest",
    "UpstreamResponse",
    "create_app",
]
