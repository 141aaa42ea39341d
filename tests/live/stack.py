"""`strangler up` for the tests that need the whole stack as a user runs it: on free ports, the
sync included, with the router's admin token."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.stack.test_stack_up_e2e import PINNING, RunningUp, free_base_port


@dataclass(frozen=True)
class StackUp:
    up: RunningUp
    port: int  # the router's; the monolith is port + 1, then auth, products, orders
    var: Path
    admin_token: str

    @property
    def router(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def strangler_up(
    tmp: Path, env: Mapping[str, str] | None = None, port: int | None = None
) -> Iterator[StackUp]:
    """The stack in `tmp`, with `env` over this process's (minus what pins ports or files)."""
    environ = {k: v for k, v in os.environ.items() if k not in PINNING}
    port = port or free_base_port()
    environ.update({"ROUTER_PORT": str(port), "STRANGLER_VAR_DIR": str(tmp / "var")})
    environ.update(env or {})
    up = RunningUp(environ, port, tmp / "var")
    try:
        components = up.wait_ready()
        assert "sync" in components  # the sides share their data, as a user's stack does
        token = json.loads(up.state_file.read_text())["admin_token"]
        yield StackUp(up, port, tmp / "var", token)
    finally:
        up.finish()
