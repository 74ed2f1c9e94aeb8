#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run a command against a throwaway PostgreSQL cluster: initdb in a temporary
# folder (as the postgres user when run as root), start it on a free loopback
# port, create database "prahari" owned by superuser "prahari", export
# PRAHARI_PG_DSN and PRAHARI_TEST_PG_PORT, run the command, then stop the
# cluster and delete the folder. Exit status: the command's.
# usage: with_pg.sh COMMAND [ARGS...]
set -u
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "with_pg: no PostgreSQL server binaries under /usr/lib/postgresql" >&2; exit 1; }

WORK=$(mktemp -d /tmp/prahari-pg-test.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() {
        if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
        as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1
        rm -rf "$WORK"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown postgres "$WORK"

as_pg "$PGBIN/initdb" -D "$WORK/data" -U prahari --auth=trust -E UTF8 --no-sync >"$WORK/initdb.log" 2>&1 \
        || { cat "$WORK/initdb.log" >&2; echo "with_pg: initdb failed" >&2; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/pg.log" -w \
        -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
        || { cat "$WORK/pg.log" >&2; echo "with_pg: pg_ctl start failed" >&2; exit 1; }
psql -X -q -h 127.0.0.1 -p "$PORT" -U prahari -d postgres -c "CREATE DATABASE prahari" \
        || { echo "with_pg: createdb failed" >&2; exit 1; }

export PRAHARI_PG_DSN="host=127.0.0.1 port=$PORT dbname=prahari user=prahari"
export PRAHARI_TEST_PG_PORT=$PORT
unset PRAHARI_PG_PASSWORD_FILE PRAHARI_PG_STATEMENT_TIMEOUT_MS
"$@"
