"""How the monolith runs under gunicorn in production, in one place for the CLI, `strangler up`,
the Dockerfile and the benchmark: `gunicorn -c python:legacy_monolith.gunicorn_conf ...`."""

# Threaded workers keep client connections alive; sync workers close every one, which more
# than doubles a proxy's cost per request in front of them (bench/README.md).
worker_class = "gthread"
threads = 4
keepalive = 5

# Newer gunicorns open a control socket at one fixed path per user, which two servers on one
# machine fight over; nothing here uses it. Gunicorns without the setting ignore the name.
control_socket_disable = True

CONFIG = "python:legacy_monolith.gunicorn_conf"
