"""The trivial upstream: aiohttp.web answering every GET with a small JSON body, no access log.

Chosen over nginx `return 200` (too cheap to stand for a Python app) and over uvicorn+ASGI (which
here runs on h11, so the upstream, not the proxy, would set the pace): aiohttp's C parser makes it
about the fastest honest Python HTTP server in this venv, so proxy overhead shows, not hides.
"""

from __future__ import annotations

import argparse

from aiohttp import web

BODY = b'{"id":1,"name":"The Fig Tree","price":"19.99","sku":"BOOK-0001","stock":12}\n'


async def hello(request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/json")


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hello)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(create_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
