#!/usr/bin/env bash
# Start the servers the tests need when they are not answering (the machine usually starts them).
set -uo pipefail

answers() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

wait_for() {  # name port
    for _ in $(seq 1 30); do answers "$2" && { echo "$1 is up on $2"; return 0; }; sleep 1; done
    echo "$1 did not come up on port $2" >&2; return 1
}

if ! answers 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
wait_for PostgreSQL 5432

if ! answers 6379; then
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
wait_for Redis 6379
