#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Integration test of deploy/local/stack.sh (ctest stack_cycle): a private
# stack (own PRAHARI_LOCAL, free ports picked at start) through
# up -> status -> up again -> crash of one piece -> up -> down -> up -> down,
# checking secrets and their modes, PostgreSQL (role, password, PostGIS, data
# kept across restarts), the dev broker's metadata, IMAP login and delivery,
# and that down leaves nothing running. Given prahari-migrate and
# prahari-admin, also the migrations and the directory import.
# usage: test_stack.sh PATH/prahari-devbroker [PATH/prahari-migrate PATH/prahari-admin]
set -uo pipefail
devbroker=${1:?usage: test_stack.sh PATH/prahari-devbroker [PATH/prahari-migrate PATH/prahari-admin]}
migrate=${2:-}
admin=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
stack=$root/deploy/local/stack.sh
pass=0 fail=0
check() { # description command...
  local what=$1
  shift
  if "$@" >/dev/null; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "CHECK failed: $what" >&2; fi
}

export PRAHARI_SHARED=${PRAHARI_SHARED:-$(cd "$root/../shared" && pwd)}
# Forget the settings of a dev stack this shell may have exported (eval "$(stack.sh env)"):
# dev.env keeps values already set, and this stack must derive its own.
mapfile -t devenv < <(sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' "$root/deploy/local/dev.env")
unset "${devenv[@]}" PRAHARI_ROOT PRAHARI_LOCAL PRAHARI_BUILD
PRAHARI_LOCAL=$(mktemp -d "${TMPDIR:-/tmp}/prahari-stacktest.XXXXXX")
export PRAHARI_LOCAL
export PRAHARI_BUILD=$PRAHARI_LOCAL/build # no services: services-up must skip them
mkdir -p "$PRAHARI_BUILD/services/devbroker" "$PRAHARI_BUILD/services/router" "$PRAHARI_BUILD/tools"
ln -s "$(realpath "$devbroker")" "$PRAHARI_BUILD/services/devbroker/prahari-devbroker"
if [ -n "$migrate" ] && [ -n "$admin" ]; then
  ln -s "$(realpath "$migrate")" "$PRAHARI_BUILD/tools/prahari-migrate"
  ln -s "$(realpath "$admin")" "$PRAHARI_BUILD/services/router/prahari-admin"
fi
# Free ports picked now (the machine is shared; fixed offsets collide).
free_ports() { # n -> n distinct free loopback ports
  /usr/bin/python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
read -r PRAHARI_PG_PORT PRAHARI_DEVBROKER_PORT PRAHARI_INGEST_PORT PRAHARI_NOTIFIER_PORT \
  PRAHARI_INGEST_OPS_PORT PRAHARI_ENRICH_OPS_PORT PRAHARI_ROUTER_OPS_PORT PRAHARI_NOTIFIER_OPS_PORT \
  PRAHARI_SMSGW_PORT PRAHARI_SMTP_PORT PRAHARI_IMAP_PORT < <(free_ports 11)
export PRAHARI_PG_PORT PRAHARI_DEVBROKER_PORT PRAHARI_INGEST_PORT PRAHARI_NOTIFIER_PORT \
  PRAHARI_INGEST_OPS_PORT PRAHARI_ENRICH_OPS_PORT PRAHARI_ROUTER_OPS_PORT PRAHARI_NOTIFIER_OPS_PORT \
  PRAHARI_SMSGW_PORT PRAHARI_SMTP_PORT PRAHARI_IMAP_PORT
ports=("$PRAHARI_PG_PORT" "$PRAHARI_DEVBROKER_PORT" "$PRAHARI_SMSGW_PORT" "$PRAHARI_SMTP_PORT" "$PRAHARI_IMAP_PORT")
cleanup() {
  "$stack" down >/dev/null 2>&1 || true
  if [ "$fail" -eq 0 ]; then rm -rf "$PRAHARI_LOCAL"; else echo "kept $PRAHARI_LOCAL" >&2; fi
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
all_ports_open() { local p; for p in "${ports[@]}"; do port_open "$p" || return 1; done; }
no_port_open() { local p; for p in "${ports[@]}"; do port_open "$p" && return 1; done; return 0; }
pids() { cat "$PRAHARI_LOCAL"/run/*.pid 2>/dev/null | sort | tr '\n' ' '; }
psql_app() { # sql -> one value, as the prahari role over TCP with its password
  PGPASSWORD=$(cat "$PRAHARI_LOCAL/secrets/pg_password") psql -X -At -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$PRAHARI_PG_PORT dbname=prahari user=prahari" -c "$1"
}
mode_of() { stat -c %a "$1"; }
status_up() { "$stack" status | awk -v n="$1" '$1 == n { print $4 }'; }

# --- 1. up from nothing
check "up exits 0" "$stack" up
check "every port answers" all_ports_open
for piece in postgres imap devbroker smsgw smtp; do
  check "status: $piece up" test "$(status_up $piece)" = up
done
check "status: ingest down (not built)" test "$(status_up ingest)" = down

# --- 2. secrets
check "secrets dir 700" test "$(mode_of "$PRAHARI_LOCAL/secrets")" = 700
for f in meta_app_secret meta_verify_token partner_keys.json sms_token link_keys pg_password; do
  check "secret $f is 600 and not empty" test "$(mode_of "$PRAHARI_LOCAL/secrets/$f")" = 600 -a -s "$PRAHARI_LOCAL/secrets/$f"
done
check "meta_app_secret is the fixtures'" test "$(cat "$PRAHARI_LOCAL/secrets/meta_app_secret")" = \
  "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta_app_secret"])' "$PRAHARI_SHARED/fixtures/secrets.json")"
check "partner_keys.json is the fixtures' partner_keys" /usr/bin/python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))["partner_keys"]
sys.exit(0 if a == b and a else 1)' "$PRAHARI_LOCAL/secrets/partner_keys.json" "$PRAHARI_SHARED/fixtures/secrets.json"
check "link_keys is KEY_ID:64 hex" grep -Eqx 'k1:[0-9a-f]{64}' "$PRAHARI_LOCAL/secrets/link_keys"
check "TLS server cert verifies against the CA" openssl verify -CAfile "$PRAHARI_LOCAL/tls/ca.pem" "$PRAHARI_LOCAL/tls/server.pem"

# --- 3. PostgreSQL as the services see it
check "prahari logs in with its password" test "$(psql_app 'SELECT current_user')" = prahari
check "prahari is not a superuser" test "$(psql_app "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")" = f
check "PostGIS works" test "$(psql_app "SELECT ST_Contains(ST_MakeEnvelope(69,23,79,31,4326), ST_SetSRID(ST_MakePoint(75.8,26.9),4326))")" = t
check "wrong password refused" bash -c "! PGPASSWORD=wrong psql -X -At 'host=127.0.0.1 port=$PRAHARI_PG_PORT dbname=prahari user=prahari' -c 'SELECT 1' 2>/dev/null"
psql_app "CREATE TABLE stack_test_kept (v text); INSERT INTO stack_test_kept VALUES ('still here')" >/dev/null

# --- 3b. migrations and the directory (when given the tools)
if [ -n "$migrate" ]; then
  csv_rows=$(($(grep -c . "$root/deploy/directory/rajasthan.csv") - 1))
  check "migrations recorded" test "$(psql_app "SELECT count(*) > 0 FROM schema_migrations")" = t
  check "directory has every CSV row ($csv_rows)" test "$(psql_app "SELECT count(*) FROM directory")" = "$csv_rows"
  check "directory import audited once per row" test "$(psql_app "SELECT count(*) FROM directory_audit")" = "$csv_rows"
  check "migration roles made (CREATEROLE)" test "$(psql_app "SELECT count(*) FROM pg_roles WHERE rolname = 'prahari_router'")" = 1
fi

# --- 4. the broker as clients see it
md=$(kcat -b "127.0.0.1:$PRAHARI_DEVBROKER_PORT" -L 2>&1)
check "broker advertises 127.0.0.1:$PRAHARI_DEVBROKER_PORT" grep -q "broker 1 at 127.0.0.1:$PRAHARI_DEVBROKER_PORT" <<<"$md"
check "normalized topic has 6 partitions" grep -q 'topic "prahari.alerts.normalized.v1" with 6 partitions' <<<"$md"
check "deadletter topic has 1 partition" grep -q 'topic "prahari.alerts.deadletter.v1" with 1 partitions' <<<"$md"

# --- 4b. IMAP: the password logs in, a delivered message is there
check "IMAP login with the password" bash -c "curl -sf -m 5 -u 'intake:$(cat "$PRAHARI_LOCAL/secrets/imap_password")' imap://127.0.0.1:$PRAHARI_IMAP_PORT/INBOX -X 'EXAMINE INBOX' | grep -q EXISTS"
check "IMAP wrong password refused" bash -c "! curl -sf -m 5 -u intake:wrong imap://127.0.0.1:$PRAHARI_IMAP_PORT/INBOX -X 'EXAMINE INBOX'"
maildir="$PRAHARI_LOCAL/imap/home/Maildir"
printf 'From: a@partner.example\r\nSubject: t\r\n\r\nx\r\n' >"$maildir/tmp/t1" && chown nobody:nogroup "$maildir/tmp/t1" && mv "$maildir/tmp/t1" "$maildir/new/1.t1.test"
check "IMAP sees the delivered message" bash -c "curl -sf -m 5 -u 'intake:$(cat "$PRAHARI_LOCAL/secrets/imap_password")' imap://127.0.0.1:$PRAHARI_IMAP_PORT/INBOX -X 'EXAMINE INBOX' | grep -q '1 EXISTS'"

# --- 5. env
check "env exports the moved ports" bash -c "eval \"\$('$stack' env)\"; test \"\$KAFKA_BOOTSTRAP_SERVERS\" = 127.0.0.1:$PRAHARI_DEVBROKER_PORT -a \"\$PRAHARI_PG_PASSWORD_FILE\" = '$PRAHARI_LOCAL/secrets/pg_password' -a \"\$PRAHARI_IMAP_URL\" = imap://127.0.0.1:$PRAHARI_IMAP_PORT -a \"\$PRAHARI_IMAP_MAILDIR\" = '$maildir'"

# --- 6. idempotent: a second up changes nothing
before=$(pids)
check "second up exits 0" "$stack" up
check "second up keeps every pid" test "$(pids)" = "$before"
if [ -n "$migrate" ]; then
  check "second up: the directory import changed nothing" test "$(psql_app "SELECT count(*) FROM directory_audit")" = "$csv_rows"
fi

# --- 7. a crashed piece comes back, the others stay
old_db=$(cat "$PRAHARI_LOCAL/run/devbroker.pid")
old_gw=$(cat "$PRAHARI_LOCAL/run/smsgw.pid")
kill -KILL "$old_db"
for _ in $(seq 50); do port_open "$PRAHARI_DEVBROKER_PORT" || break; sleep 0.1; done
check "status shows the crash" test "$(status_up devbroker)" = down
check "up after a crash exits 0" "$stack" up
check "devbroker restarted with a new pid" test "$(cat "$PRAHARI_LOCAL/run/devbroker.pid")" != "$old_db"
check "smsgw untouched" test "$(cat "$PRAHARI_LOCAL/run/smsgw.pid")" = "$old_gw"
check "devbroker back on its port" port_open "$PRAHARI_DEVBROKER_PORT"

# --- 8. services-up without service binaries: warns, exits 0
out=$("$stack" services-up 2>&1)
check "services-up exits 0 with nothing built" test $? -eq 0
check "services-up names the missing binaries" grep -q "prahari-ingest not built" <<<"$out"

# --- 9. down leaves nothing
all=$(pids)
check "down exits 0" "$stack" down
check "no port answers after down" no_port_open
check "no pid file left" test -z "$(ls "$PRAHARI_LOCAL/run" 2>/dev/null)"
sleep 0.3
for p in $all; do
  check "pid $p gone or zombie" bash -c "! kill -0 $p 2>/dev/null || grep -q '^State:.*Z' /proc/$p/status"
done
check "status: postgres down" test "$(status_up postgres)" = down

# --- 10. up again keeps the data; down again
check "up after down exits 0" "$stack" up
check "PostgreSQL data kept across down/up" test "$(psql_app 'SELECT v FROM stack_test_kept')" = "still here"
check "final down exits 0" "$stack" down
check "nothing answers at the end" no_port_open

# --- 11. reset deletes the database and records, keeps the secrets
pw_before=$(cat "$PRAHARI_LOCAL/secrets/pg_password")
check "reset exits 0" "$stack" reset
check "reset deleted the database" test ! -e "$PRAHARI_LOCAL/pg"
check "reset deleted the SMTP spool" test ! -e "$PRAHARI_LOCAL/smtp"
check "reset kept the secrets" test "$(cat "$PRAHARI_LOCAL/secrets/pg_password")" = "$pw_before"

echo "stack_cycle: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
