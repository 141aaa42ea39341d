"""`strangler up --stack` runs a team's own processes: two tiny servers, one finding the other
through its environment, reported ready, then stopped cleanly by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from migration_plan.stack.locate import strangler_argv
from tests.stack.test_stack_up_e2e import Output, free_base_port, process_groups

pytestmark = pytest.mark.e2e

# A minimal app: /health when ready, /peer says where the stack told it the web server is.
APP = """\
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = {"/health": b"ok", "/peer": os.environ["WEB_URL"].encode()}.get(self.path)
        self.send_response(200 if body else 404)
        self.end_headers()
        self.wfile.write(body or b"")

HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""

STACK = """\
version: 1
base_port: {variable: TINY_PORT, default: 1}
front: web
prepare:
  - steps:
      - name: "web: index"
        command: ["{python}", -c, "open('{var_dir}/site/prepared.txt', 'w').write('ready')"]
components:
  - name: web
    port: {offset: 0}
    command: ["{python}", -m, http.server, "{port}", --bind, "{host}", -d, "{var_dir}/site"]
    ready: /prepared.txt
  - name: api
    port: {offset: 1}
    command: ["{python}", "APP"]
    ready: /health
    env: {WEB_URL: "{url:web}", PORT: "{port}"}
"""


def test_up_runs_a_foreign_stack_reports_it_ready_and_stops_it(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    stack_file = tmp_path / "tiny.yaml"
    stack_file.write_text(STACK.replace('"APP"', json.dumps(str(app))))
    var_dir = tmp_path / "var"
    (var_dir / "site").mkdir(parents=True)
    port = free_base_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("STRANGLER_", "ROUTER_"))},
        "TINY_PORT": str(port),
        "STRANGLER_VAR_DIR": str(var_dir),
    }
    process = subprocess.Popen(
        [*strangler_argv(sys.executable), "up", "--stack", str(stack_file), "--timeout", "30"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = Output(process.stdout)
    try:
        deadline = time.monotonic() + 60
        while "Ctrl-C stops everything" not in output.text:
            assert process.poll() is None, output.text
            assert time.monotonic() < deadline, output.text
            time.sleep(0.1)
        assert "ok web: index" in " ".join(output.text.split())
        assert f"http://127.0.0.1:{port}" in output.text
        assert "Try it" not in output.text and "Admin API" not in output.text
        assert httpx.get(f"http://127.0.0.1:{port}/prepared.txt").text == "ready"
        assert httpx.get(f"http://127.0.0.1:{port + 1}/peer").text == f"http://127.0.0.1:{port}"
        record = json.loads((var_dir / "stack.json").read_text())
        assert record["router_url"] == f"http://127.0.0.1:{port}"
        assert record["admin_url"] is None
        assert {n: c["status"] for n, c in record["components"].items()} == {
            "web": "running",
            "api": "running",
        }
        groups = [c["pid"] for c in record["components"].values()]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, output.text
        output.join()
        assert "Stopped" in output.text
        assert not (var_dir / "stack.json").exists()
        alive = process_groups()
        assert not [g for g in groups if g in alive], output.text
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
