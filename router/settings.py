"""Router settings, read from `ROUTER_*` environment variables (one BaseSettings class)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class RouterSettings(BaseSettings):
    """Everything the router reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="ROUTER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    plan: Path = Path("migration_plan/plan.yaml")
    admin_token: SecretStr | None = None
    # The edge's cap sits above the backends' own 1 MiB: a body between the two reaches the
    # backend, which answers 401/404/413 in its contract's order; only beyond it does the
    # router refuse, before any upstream is asked.
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=0)
    side_headers: bool = True
    access_log: bool = True
    reload_interval: float = Field(default=0.25, ge=0)  # seconds; 0 turns hot reload off
    metrics_require_token: bool = False
    pool_size: int = Field(default=256, ge=1)  # keep-alive connections across all upstreams
    connect_timeout: float = Field(default=3.0, gt=0)
    # Capture corpus of shadowed requests (docs/parity.md); off while capture_path is unset.
    capture_path: Path | None = None
    capture_sample_rate: float = Field(default=0.01, ge=0, le=1)
    capture_max_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    # A shadow difference on a resource written through the router within this many ms counts
    # as `in_flight` (the data sync's lag), not as a mismatch; 0 turns it off (docs/sync.md).
    shadow_in_flight_ms: int = Field(default=0, ge=0)
    # Edge limits (router/server.py), sized like nginx: large_client_header_buffers 4 8k.
    max_request_line_bytes: int = Field(default=8 * 1024, ge=1)  # longer: 414
    max_header_bytes: int = Field(default=32 * 1024, ge=1)  # all headers together; more: 431
    max_headers: int = Field(default=100, ge=1)  # more: 431
    header_timeout: float = Field(default=10.0, ge=0)  # whole head, from connect; 0 = off; 408
    # The whole request body, read before any upstream is chosen (nginx's request buffering):
    # a slow body holds only the router, never an upstream worker; past it: 408.
    body_timeout: float = Field(default=10.0, gt=0)
    # Peers (IPs or CIDRs, comma-separated) whose X-Forwarded-*/Forwarded/X-Real-IP are believed
    # and extended; from every other peer they are replaced by the router's own (router/headers.py).
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        entries = value.split(",") if isinstance(value, str) else value
        if not isinstance(entries, list | tuple):
            return value
        cleaned = tuple(str(e).strip() for e in entries if str(e).strip())
        for entry in cleaned:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return cleaned
