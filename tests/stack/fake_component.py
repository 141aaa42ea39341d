"""A stand-in component for supervisor tests: serves /readyz, with a worker child in its group.

argv: PORT MODE, MODE one of: ok, never-ready, die-after-ready, crash, ignore-term.
"""

from __future__ import annotations

import http.server
import signal
import subprocess
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    ready = True

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(200 if self.ready else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def main() -> None:
    port, mode = int(sys.argv[1]), sys.argv[2]
    print(f"fake starting on {port} in mode {mode}", flush=True)
    if mode == "crash":
        print("boom: the fake could not start", flush=True)
        sys.exit(3)
    if mode == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A worker in the same process group, as gunicorn and uvicorn workers are.
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print(f"worker pid {worker.pid}", flush=True)
    Handler.ready = mode != "never-ready"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if mode == "die-after-ready":
        time.sleep(1.0)
        print("fake dying now", flush=True)
        worker.kill()
        sys.exit(4)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
