"""`uvicorn`, except that `--workers N` keeps TCP_NODELAY on accepted connections.

uvicorn's multiprocess path binds its listener with `proto=0`; accepted sockets inherit it, and
asyncio only sets TCP_NODELAY when `proto == IPPROTO_TCP`, so each keep-alive response waits ~40 ms
on the client's delayed ACK (Kludex/uvicorn#3149, open). Re-wrapping the descriptor makes Python
read the real protocol back from the kernel. Used only by the `*-nodelay` cases, to show the
router's multi-worker numbers without that bug next to the stock `uvicorn --workers N` ones.

Run: python -m bench.uvicorn_nodelay <the usual uvicorn arguments>
"""

from __future__ import annotations

import socket
import sys

import uvicorn.config
from uvicorn.main import main

_stock_bind_socket = uvicorn.config.Config.bind_socket


def bind_socket(self: uvicorn.config.Config) -> socket.socket:
    sock = _stock_bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        # With only a descriptor, socket.socket() asks the kernel (SO_PROTOCOL): IPPROTO_TCP.
        fixed = socket.socket(fileno=sock.detach())
        fixed.set_inheritable(True)
        return fixed
    return sock


uvicorn.config.Config.bind_socket = bind_socket  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
