#!/bin/sh
# Run once by the postgres image on an empty data directory: one role and one database per
# component, so each component owns its data as it will in production.
set -eu

password="${STRANGLER_DB_PASSWORD:-strangler}"

for component in monolith auth products orders; do
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE "$component" LOGIN PASSWORD '$password';
CREATE DATABASE "$component" OWNER "$component";
SQL
done
