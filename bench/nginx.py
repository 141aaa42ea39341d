"""A throwaway nginx reverse proxy: generated config, own prefix, pid and logs, never daemonized."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG = """\
{user}worker_processes {workers};
daemon off;
master_process on;
pid {prefix}/nginx.pid;
lock_file {prefix}/nginx.lock;
error_log {prefix}/error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 1000000;

    upstream target {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
        keepalive_requests 1000000;
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://target;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
}}
"""


def nginx_config(prefix: Path, port: int, upstream_port: int, workers: int) -> str:
    # Under root nginx would drop its workers to `nobody`, who cannot use this private prefix.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return CONFIG.format(
        user=user, workers=workers, prefix=prefix, port=port, upstream_port=upstream_port
    )


def nginx_argv(binary: str, prefix: Path, port: int, upstream_port: int, workers: int) -> list[str]:
    """Write the config under prefix and return the command that runs nginx in the foreground."""
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(prefix, port, upstream_port, workers))
    return [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
