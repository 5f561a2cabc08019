#!/usr/bin/env bash
# A throw-away PostgreSQL + PostGIS server for the `PG:` format test (gdal build).
#
#   tests/postgis/cluster.sh start   # initdb on first use, start, create database 'ironrule'
#                                    # with the postgis extension; prints the connection string
#   tests/postgis/cluster.sh stop
#
# It listens on 127.0.0.1 only, with trust authentication: the data is disposable.
# PostgreSQL refuses to run as root, so as root it runs the server as the 'postgres' user
# that Debian's postgresql package creates. Needs: postgresql-15 postgresql-15-postgis-3.
# The test reads the connection string from IRONRULE_TEST_PG:
#   export IRONRULE_TEST_PG="$(tests/postgis/cluster.sh start)"
#
# Env: IRONRULE_PGDIR (default /tmp/ironrule-pg), IRONRULE_PGPORT (default 55433).
set -euo pipefail
dir=${IRONRULE_PGDIR:-/tmp/ironrule-pg}
port=${IRONRULE_PGPORT:-55433}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
    echo "cluster.sh: no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql-15 postgresql-15-postgis-3)" >&2
    exit 2
fi
as_server=()
if [ "$(id -u)" = 0 ]; then as_server=(runuser -u postgres --); fi
export PGOPTIONS="-c client_min_messages=warning"
psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -Atq)

case "${1:-}" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        "${as_server[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log"
        cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    fi
    if ! "${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        "${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
    fi
    if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'ironrule'")" ]; then
        "${psql[@]}" -c "CREATE DATABASE ironrule"
    fi
    "${psql[@]}" -d ironrule -c "CREATE EXTENSION IF NOT EXISTS postgis"
    echo "host=127.0.0.1 port=$port dbname=ironrule user=postgres"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        "${as_server[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
