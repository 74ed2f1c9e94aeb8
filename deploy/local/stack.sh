#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The local stack on loopback: a throwaway PostgreSQL 15 cluster, the dev
# Kafka broker, the SMS gateway, the SMTP server and a Dovecot IMAP server
# (the peers), and the four services. Every piece has a pid file in
# $PRAHARI_LOCAL/run and a log in $PRAHARI_LOCAL/logs; running a command
# twice is safe.
#
#   stack.sh up             secrets, TLS, PostgreSQL (+ migrations, directory), devbroker,
#                           SMS gateway, SMTP, IMAP
#   stack.sh down           stop the services and everything `up` started
#   stack.sh status         a table of what runs
#   stack.sh services-up    start the four services and wait for their /readyz
#   stack.sh services-down  SIGTERM the services, wait up to 15 s each
#   stack.sh env            print the environment as `export` lines (eval "$(stack.sh env)")
#   stack.sh reset          down, then delete the database, the SMS/SMTP/IMAP records and the
#                           logs (keeps secrets, TLS and npm data); `up` starts afresh
#
# Folders (override by exporting): PRAHARI_ROOT (this repo), PRAHARI_SHARED
# (../shared), PRAHARI_LOCAL (.local), PRAHARI_BUILD (build). Every setting of
# dev.env can be overridden the same way (tests move the ports).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PRAHARI_ROOT=${PRAHARI_ROOT:-$(cd "$here/../.." && pwd)}
_abs() { # absolute path, whether or not it exists yet
  local p=$1
  if [ -d "$p" ]; then (cd "$p" && pwd); else realpath -m -- "$p"; fi
}
PRAHARI_SHARED=$(_abs "${PRAHARI_SHARED:-$PRAHARI_ROOT/../shared}")
PRAHARI_LOCAL=$(_abs "${PRAHARI_LOCAL:-$PRAHARI_ROOT/.local}")
PRAHARI_BUILD=$(_abs "${PRAHARI_BUILD:-$PRAHARI_ROOT/build}")
export PRAHARI_SHARED PRAHARI_LOCAL PRAHARI_BUILD

# Every name dev.env assigns, in order; exported for the children and `env`.
mapfile -t ENV_NAMES < <(sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' "$here/dev.env")
set -a
# shellcheck source=dev.env
. "$here/dev.env"
set +a

PY=/usr/bin/python3 # Debian's, with python3-aiosmtpd; another python3 may come first on PATH
PGBIN=${PRAHARI_PGBIN:-/usr/lib/postgresql/15/bin}
PGDIR=$PRAHARI_LOCAL/pg           # owned by postgres; holds the unix socket
PGDATA=$PGDIR/data
RUN=$PRAHARI_LOCAL/run
LOGS=$PRAHARI_LOCAL/logs
SECRETS=$PRAHARI_LOCAL/secrets
SERVICES=(ingest enrich router notifier)
IMAPDIR=$PRAHARI_LOCAL/imap # Dovecot's config, state and the maildir (owned by nobody)
DEVIMAP=$PRAHARI_ROOT/services/ingest/mail/devimap.sh

say() { printf 'stack: %s\n' "$*" >&2; }
warn() { printf 'stack: warning: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- helpers
# A live process, not a zombie: our daemons are reparented to PID 1, which on
# some machines (a microVM's init) reaps exited children only every ~2 s.
alive() { # pid
  kill -0 "$1" 2>/dev/null || return 1
  local st
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
  [ "$st" != Z ] && [ -n "$st" ]
}

port_open() { # port -> 0 if something accepts on 127.0.0.1:port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_port() { # name port seconds [pid]
  local name=$1 port=$2 secs=$3 pid=${4:-} i
  for ((i = 0; i < secs * 10; i++)); do
    port_open "$port" && return 0
    if [ -n "$pid" ] && ! alive "$pid"; then
      say "$name exited; last lines of $LOGS/$name.log:"
      tail -n 20 "$LOGS/$name.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  say "$name: nothing answers on port $port after ${secs}s; see $LOGS/$name.log"
  return 1
}

# pid of NAME if its pid file names a live process whose command line
# contains PATTERN (guards against a recycled pid); empty otherwise.
live_pid() { # name pattern
  local f=$RUN/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  alive "$pid" || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 0
  echo "$pid"
}

# Start NAME (command line after the pattern and port) in its own session,
# unless it already runs. PATTERN identifies it in /proc/PID/cmdline.
start_bg() { # name pattern port cmd...
  local name=$1 pattern=$2 port=$3 pid
  shift 3
  pid=$(live_pid "$name" "$pattern")
  if [ -n "$pid" ]; then
    if port_open "$port"; then
      say "$name already running (pid $pid, port $port)"
      return 0
    fi
    wait_port "$name" "$port" 10 "$pid" && return 0
    die "$name (pid $pid) runs but does not answer on port $port"
  fi
  if port_open "$port"; then
    die "port $port (for $name) is taken by a process this stack did not start; stop it or move the port (see dev.env)"
  fi
  mkdir -p "$RUN" "$LOGS"
  printf '\n--- %s start %s ---\n' "$name" "$(date -u +%FT%TZ)" >>"$LOGS/$name.log"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$RUN/$name.pid"
  wait_port "$name" "$port" 20 "$pid" || { rm -f "$RUN/$name.pid"; die "$name did not start"; }
  say "$name started (pid $pid, port $port, log $LOGS/$name.log)"
}

stop_bg() { # name pattern [seconds]
  local name=$1 pattern=$2 secs=${3:-15} pid i
  pid=$(live_pid "$name" "$pattern")
  if [ -z "$pid" ]; then
    rm -f "$RUN/$name.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    warn "$name (pid $pid) still running after ${secs}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
  say "$name stopped"
}

# Serialise concurrent stack.sh runs on one PRAHARI_LOCAL. Everything started
# in the background gets `9>&-` so no daemon inherits (and holds) the lock.
lock() {
  mkdir -p "$PRAHARI_LOCAL"
  chmod 755 "$PRAHARI_LOCAL"
  exec 9>"$PRAHARI_LOCAL/.stack.lock"
  flock 9
}

# ---------------------------------------------------------------- secrets and TLS
write_secret() { # file content: written once, mode 600, no trailing newline
  local f=$1
  [ -s "$f" ] && return 0
  (umask 077 && printf '%s' "$2" >"$f.tmp" && mv -f "$f.tmp" "$f")
}

make_secrets() {
  local fx=$PRAHARI_SHARED/fixtures/secrets.json
  [ -f "$fx" ] || die "$fx not found (PRAHARI_SHARED=$PRAHARI_SHARED)"
  mkdir -p "$SECRETS"
  chmod 700 "$SECRETS"
  # The partner secrets are the fixtures' (the samples are signed with them).
  write_secret "$SECRETS/meta_app_secret" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta_app_secret"])' "$fx")"
  write_secret "$SECRETS/meta_verify_token" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta_verify_token"])' "$fx")"
  write_secret "$SECRETS/partner_keys.json" "$($PY -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["partner_keys"], sort_keys=True))' "$fx")"
  # Ours are random per working area.
  write_secret "$SECRETS/sms_token" "$(openssl rand -hex 24)"
  # Link signing keys: one key a line, "KEY_ID:HEX" (256-bit), newest first.
  write_secret "$SECRETS/link_keys" "k1:$(openssl rand -hex 32)"
  write_secret "$SECRETS/pg_password" "$(openssl rand -hex 24)"
  write_secret "$SECRETS/imap_password" "$(openssl rand -hex 24)"
  # Made always, used when enabled (README): SMTP AUTH and the DLR/inbound callback token.
  write_secret "$SECRETS/smtp_password" "$(openssl rand -hex 24)"
  write_secret "$SECRETS/sms_callback_token" "$(openssl rand -hex 24)"
  chmod 600 "$SECRETS"/*
}

# ---------------------------------------------------------------- PostgreSQL
pg_as() { runuser -u postgres -- "$@"; }
pg_psql() { # db sql-on-stdin: as the superuser over the unix socket
  pg_as "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PRAHARI_PG_PORT" -d "$1"
}

pg_running() {
  [ -f "$PGDATA/PG_VERSION" ] && pg_as "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

pg_up() {
  id postgres >/dev/null 2>&1 || die "no postgres user: install postgresql (deploy/local/install-deps.sh)"
  [ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found: install postgresql-15"
  mkdir -p "$PGDIR" "$LOGS"
  chown postgres: "$PGDIR"
  chmod 700 "$PGDIR"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    say "initdb $PGDATA"
    rm -rf "$PGDATA"
    pg_as "$PGBIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 >"$PGDIR/initdb.log" 2>&1 ||
      { cat "$PGDIR/initdb.log" >&2; die "initdb failed"; }
  fi
  touch "$LOGS/postgres.log"
  chown postgres: "$LOGS/postgres.log"
  if pg_running; then
    say "postgres already running (port $PRAHARI_PG_PORT)"
  else
    port_open "$PRAHARI_PG_PORT" &&
      die "port $PRAHARI_PG_PORT is taken by a PostgreSQL this stack did not start; move PRAHARI_PG_PORT"
    pg_as "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w -t 60 \
      -o "-p $PRAHARI_PG_PORT -k $PGDIR -c listen_addresses=127.0.0.1" start >/dev/null 9>&- ||
      { tail -n 20 "$LOGS/postgres.log" >&2; die "PostgreSQL did not start"; }
    say "postgres started (port $PRAHARI_PG_PORT, data $PGDATA, log $LOGS/postgres.log)"
  fi
  pg_as "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PRAHARI_PG_PORT" -t 30 || die "PostgreSQL not ready"
  # Role, database, extensions: idempotent. The password goes on stdin, never
  # on a command line; it is hex, so it needs no quoting. CREATEROLE lets the
  # migrations make the services' least-privilege group roles (0500_roles.sql).
  local pw
  pw=$(cat "$SECRETS/pg_password")
  [[ $pw =~ ^[0-9a-f]+$ ]] || die "$SECRETS/pg_password must be hex"
  pg_psql postgres <<SQL
SELECT format('CREATE ROLE prahari LOGIN') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'prahari')\gexec
ALTER ROLE prahari WITH LOGIN CREATEROLE PASSWORD '$pw';
SELECT 'CREATE DATABASE prahari OWNER prahari' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'prahari')\gexec
SQL
  # PostGIS is not a trusted extension: only a superuser may create it.
  pg_psql prahari <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SQL
}

pg_down() {
  if pg_running; then
    pg_as "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null
    say "postgres stopped"
  fi
}

migrate() {
  local bin=$PRAHARI_BUILD/tools/prahari-migrate
  if [ ! -x "$bin" ]; then
    warn "$bin not built yet: migrations skipped"
    return 0
  fi
  "$bin" --dir "${PRAHARI_MIGRATIONS_DIR:-$PRAHARI_ROOT/deploy/sql}" >>"$LOGS/migrate.log" 2>&1 || { tail -n 20 "$LOGS/migrate.log" >&2; die "prahari-migrate failed (log $LOGS/migrate.log)"; }
  say "migrations applied (log $LOGS/migrate.log)"
}

# The district directory (deploy/directory/*.csv, invented contacts) into
# PostgreSQL: the router reads recipients from there. Idempotent: unchanged
# rows stay as they are (and write no audit row).
seed_directory() {
  local bin=$PRAHARI_BUILD/services/router/prahari-admin
  if [ ! -x "$bin" ]; then
    warn "$bin not built yet: directory not imported"
    return 0
  fi
  if [ ! -x "$PRAHARI_BUILD/tools/prahari-migrate" ]; then
    warn "no migrations applied: directory not imported"
    return 0
  fi
  PRAHARI_ADMIN_ACTOR=stack.sh "$bin" directory import "$PRAHARI_DIRECTORY_CSV" >>"$LOGS/admin.log" 2>&1 ||
    { tail -n 20 "$LOGS/admin.log" >&2; die "directory import of $PRAHARI_DIRECTORY_CSV failed (log $LOGS/admin.log)"; }
  say "directory imported from $PRAHARI_DIRECTORY_CSV (log $LOGS/admin.log)"
}

# ---------------------------------------------------------------- IMAP (partners' e-mail reports)
# A private Dovecot (services/ingest/mail/devimap.sh): plain IMAP on loopback,
# any login name with the password in secrets/imap_password; e-mails are
# delivered by writing them into $PRAHARI_IMAP_MAILDIR/new as `nobody`.
imap_pid() {
  local pid
  pid=$(cat "$IMAPDIR/base/master.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && echo "$pid"
  return 0
}

imap_up() {
  if [ ! -f "$DEVIMAP" ]; then
    warn "$DEVIMAP not found: no IMAP server"
    return 0
  fi
  command -v dovecot >/dev/null 2>&1 || die "dovecot not installed (deploy/local/install-deps.sh)"
  if [ -n "$(imap_pid)" ] && port_open "$PRAHARI_IMAP_PORT"; then
    say "imap already running (pid $(imap_pid), port $PRAHARI_IMAP_PORT)"
    return 0
  fi
  port_open "$PRAHARI_IMAP_PORT" &&
    die "port $PRAHARI_IMAP_PORT (for imap) is taken by a process this stack did not start"
  printf '\n--- imap start %s ---\n' "$(date -u +%FT%TZ)" >>"$LOGS/imap.log"
  sh "$DEVIMAP" start "$IMAPDIR" "$PRAHARI_IMAP_PORT" "$SECRETS/imap_password" >>"$LOGS/imap.log" 2>&1 9>&- ||
    { tail -n 20 "$LOGS/imap.log" >&2; die "imap did not start"; }
  say "imap started (pid $(imap_pid), port $PRAHARI_IMAP_PORT, maildir $PRAHARI_IMAP_MAILDIR, log $IMAPDIR/dovecot.log)"
}

imap_down() {
  [ -f "$DEVIMAP" ] && [ -n "$(imap_pid)" ] || return 0
  sh "$DEVIMAP" stop "$IMAPDIR" >>"$LOGS/imap.log" 2>&1 || true
  say "imap stopped"
}

# ---------------------------------------------------------------- peers
devbroker_bin() { echo "$PRAHARI_BUILD/services/devbroker/prahari-devbroker"; }

peers_up() {
  local db
  db=$(devbroker_bin)
  [ -x "$db" ] || die "$db not built: build first (cmake --build $PRAHARI_BUILD)"
  start_bg devbroker prahari-devbroker "$PRAHARI_DEVBROKER_PORT" "$db"
  mkdir -p "$(dirname "$PRAHARI_SMSGW_RECORD")" "$PRAHARI_SMTP_SPOOL"
  start_bg smsgw sms_gateway.py "$PRAHARI_SMSGW_PORT" "$PY" "$here/sms_gateway.py"
  start_bg smtp smtp_server.py "$PRAHARI_SMTP_PORT" "$PY" "$here/smtp_server.py"
  imap_up
}

peers_down() {
  imap_down
  stop_bg smtp smtp_server.py 10
  stop_bg smsgw sms_gateway.py 10
  stop_bg devbroker prahari-devbroker 15
}

# ---------------------------------------------------------------- services
svc_ops_port() { local v="PRAHARI_${1^^}_OPS_PORT"; echo "${!v}"; }

services_up() {
  local svc bin pid port i code started=()
  mkdir -p "$RUN" "$LOGS"
  for svc in "${SERVICES[@]}"; do
    bin=$PRAHARI_BUILD/services/$svc/prahari-$svc
    port=$(svc_ops_port "$svc")
    if [ ! -x "$bin" ]; then
      warn "$bin not built: $svc skipped"
      continue
    fi
    pid=$(live_pid "$svc" "prahari-$svc")
    if [ -n "$pid" ]; then
      say "$svc already running (pid $pid, ops port $port)"
      started+=("$svc")
      continue
    fi
    port_open "$port" && die "ops port $port (for $svc) is taken by a process this stack did not start"
    printf '\n--- %s start %s ---\n' "$svc" "$(date -u +%FT%TZ)" >>"$LOGS/$svc.log"
    PRAHARI_OPS_PORT=$port setsid "$bin" >>"$LOGS/$svc.log" 2>&1 </dev/null 9>&- &
    echo $! >"$RUN/$svc.pid"
    started+=("$svc")
  done
  for svc in "${started[@]}"; do
    port=$(svc_ops_port "$svc")
    pid=$(cat "$RUN/$svc.pid")
    for ((i = 0; ; i++)); do
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/readyz" || true)
      [ "$code" = 200 ] && break
      if ! alive "$pid"; then
        say "$svc exited; last lines of $LOGS/$svc.log:"
        tail -n 20 "$LOGS/$svc.log" >&2 || true
        rm -f "$RUN/$svc.pid"
        die "$svc did not start"
      fi
      ((i < 300)) || die "$svc: /readyz on port $port not 200 after 30 s (last: $code); see $LOGS/$svc.log"
      sleep 0.1
    done
    say "$svc ready (pid $pid, ops http://127.0.0.1:$port/readyz, log $LOGS/$svc.log)"
  done
}

services_down() {
  local i
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    stop_bg "${SERVICES[i]}" "prahari-${SERVICES[i]}" 15
  done
}

# ---------------------------------------------------------------- status and env
status() {
  local name pattern port pid state
  printf '%-10s %-8s %-6s %-5s %s\n' PIECE PID PORT STATE LOG
  if pg_running; then
    pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || echo '?')
    state=up
  else
    pid=- state='down'
  fi
  printf '%-10s %-8s %-6s %-5s %s\n' postgres "$pid" "$PRAHARI_PG_PORT" "$state" "$LOGS/postgres.log"
  pid=$(imap_pid)
  if [ -n "$pid" ] && port_open "$PRAHARI_IMAP_PORT"; then state=up; else pid=- state='down'; fi
  printf '%-10s %-8s %-6s %-5s %s\n' imap "$pid" "$PRAHARI_IMAP_PORT" "$state" "$IMAPDIR/dovecot.log"
  while read -r name pattern port; do
    pid=$(live_pid "$name" "$pattern")
    if [ -n "$pid" ] && port_open "$port"; then state=up; elif [ -n "$pid" ]; then state='wait'; else pid=- state='down'; fi
    printf '%-10s %-8s %-6s %-5s %s\n' "$name" "$pid" "$port" "$state" "$LOGS/$name.log"
  done <<EOF
devbroker prahari-devbroker $PRAHARI_DEVBROKER_PORT
smsgw sms_gateway.py $PRAHARI_SMSGW_PORT
smtp smtp_server.py $PRAHARI_SMTP_PORT
ingest prahari-ingest $PRAHARI_INGEST_OPS_PORT
enrich prahari-enrich $PRAHARI_ENRICH_OPS_PORT
router prahari-router $PRAHARI_ROUTER_OPS_PORT
notifier prahari-notifier $PRAHARI_NOTIFIER_OPS_PORT
EOF
}

print_env() {
  local n
  for n in PRAHARI_ROOT PRAHARI_SHARED PRAHARI_LOCAL PRAHARI_BUILD "${ENV_NAMES[@]}"; do
    printf 'export %s=%q\n' "$n" "${!n}"
  done
}

# ---------------------------------------------------------------- main
case "${1:-}" in
  up)
    lock
    mkdir -p "$LOGS" "$RUN"
    make_secrets
    "$here/make-tls.sh" "$PRAHARI_LOCAL/tls" >&2
    pg_up
    migrate
    seed_directory
    peers_up
    say "up: Kafka $KAFKA_BOOTSTRAP_SERVERS, PostgreSQL 127.0.0.1:$PRAHARI_PG_PORT, SMS http://127.0.0.1:$PRAHARI_SMSGW_PORT, SMTP 127.0.0.1:$PRAHARI_SMTP_PORT, IMAP 127.0.0.1:$PRAHARI_IMAP_PORT"
    ;;
  down)
    lock
    services_down
    peers_down
    pg_down
    ;;
  status) status ;;
  services-up)
    lock
    services_up
    ;;
  services-down)
    lock
    services_down
    ;;
  env) print_env ;;
  reset)
    lock
    services_down
    peers_down
    pg_down
    rm -rf "$PGDIR" "$IMAPDIR" "$PRAHARI_SMTP_SPOOL" "$(dirname "$PRAHARI_SMSGW_RECORD")" "$LOGS" "$RUN"
    say "reset: database, records and logs deleted; run up"
    ;;
  *)
    sed -n '3,/^set -euo/p' "$0" | sed -n 's/^# \{0,1\}//p' >&2
    exit 2
    ;;
esac
