#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Integration check of the prahari-enrich binary with what it talks to, all
# started here and thrown away afterwards: a PostgreSQL 15 cluster (as the
# `postgres` user, schema deploy/sql/0001_init.sql) and prahari-devbroker on
# free ports. Checks: sample alerts located as cases.json expects (method and
# district for place/PIN), the locations and timeline rows, idempotent
# redelivery, dead-lettering, PostgreSQL down -> retry -> success, SIGHUP
# reload between messages, clean exit on SIGTERM; the outside geocoder on,
# against nominatim_peer.py: an unknown place geocoded, known ones never sent.
#
#   service_check.sh ENRICH_BIN DEVBROKER_BIN REPO_ROOT SHARED_DIR
set -euo pipefail

ENRICH=$1 DEVBROKER=$2 ROOT=$3 SHARED=$4
PGBIN=${PRAHARI_PGBIN:-/usr/lib/postgresql/15/bin}
PY=/usr/bin/python3
fail=0
ok() { printf 'ok: %s\n' "$*"; }
bad() { printf 'FAIL: %s\n' "$*"; fail=1; }
die() { printf 'FAIL: %s\n' "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (PostgreSQL runs as the postgres user via runuser)"
[ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found (postgresql-15)"
command -v kcat >/dev/null || die "kcat not found"

W=$(mktemp -d /tmp/prahari-enrich-check.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -f "$W/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$W"
}
trap cleanup EXIT

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port) KPORT=$(free_port) OPS=$(free_port)

# ---- PostgreSQL
mkdir -p "$W/pg" && chown postgres "$W/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$W/pg/data" -U postgres -E UTF8 --locale=C.UTF-8 \
  --auth-local=peer --auth-host=trust >"$W/initdb.log" 2>&1 || { cat "$W/initdb.log"; die initdb; }
pg_start() {
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg/data" -l "$W/pg/pg.log" -w -t 30 \
    -o "-p $PGPORT -k $W/pg -c listen_addresses=127.0.0.1" start >/dev/null
}
pg_stop() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg/data" -m fast -w stop >/dev/null; }
pg_start
runuser -u postgres -- psql -X -q -h "$W/pg" -p "$PGPORT" -c "CREATE ROLE prahari LOGIN" \
  -c "CREATE DATABASE prahari OWNER prahari" >/dev/null
runuser -u postgres -- psql -X -q -h "$W/pg" -p "$PGPORT" -d prahari -c "CREATE EXTENSION pgcrypto" >/dev/null
export PRAHARI_PG_DSN="host=127.0.0.1 port=$PGPORT dbname=prahari user=prahari"
unset PRAHARI_PG_PASSWORD_FILE
psql -X -q -v ON_ERROR_STOP=1 -d "$PRAHARI_PG_DSN" -f "$ROOT/deploy/sql/0001_init.sql" >/dev/null 2>&1 ||
  die "0001_init.sql did not apply"
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$PRAHARI_PG_DSN" -c "$1"; }

# ---- broker and service
export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KPORT PRAHARI_DEVBROKER_PORT=$KPORT PRAHARI_DEVBROKER_PARTITIONS=2
export PRAHARI_KAFKA_FETCH_WAIT_MS=10 PRAHARI_KAFKA_LINGER_MS=0
export PRAHARI_TOPIC_NORMALIZED=prahari.alerts.normalized.v1 PRAHARI_TOPIC_ENRICHED=prahari.alerts.enriched.v1
export PRAHARI_TOPIC_ROUTED=prahari.alerts.routed.v1 PRAHARI_TOPIC_DEADLETTER=prahari.alerts.deadletter.v1
export PRAHARI_ENRICH_OPS_PORT=$OPS PRAHARI_GAZETTEER_DIR=$SHARED/data/gazetteer
export PRAHARI_DATA_NPM_DIR=${PRAHARI_DATA_NPM_DIR:-$ROOT/.local/data/node_modules}
# ---- the outside geocoder: a Nominatim-shaped peer (exits when fd 7 closes)
mkfifo "$W/peer.in"
$PY "$ROOT/tests/unit/enrich/nominatim_peer.py" <"$W/peer.in" >"$W/peer.port" 2>"$W/peer.log" &
PIDS+=($!)
exec 7>"$W/peer.in"
for _ in $(seq 50); do [ -s "$W/peer.port" ] && break; sleep 0.1; done
GPORT=$(head -1 "$W/peer.port")
[ -n "$GPORT" ] || die "nominatim_peer.py did not start"
export PRAHARI_GEOCODER_URL=http://127.0.0.1:$GPORT/search PRAHARI_GEOCODER_TIMEOUT_MS=500
peer_requests() { curl -s "http://127.0.0.1:$GPORT/_stats" | $PY -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }

"$DEVBROKER" >"$W/devbroker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q '"ready' "$W/devbroker.log" 2>/dev/null && break; sleep 0.1; done
grep -q '"ready' "$W/devbroker.log" || { cat "$W/devbroker.log"; die "devbroker did not start"; }
"$ENRICH" >"$W/enrich.log" 2>&1 &
EPID=$!
PIDS+=($EPID)
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$OPS/readyz")" = 200 ]; }
for _ in $(seq 300); do ready && break; sleep 0.1; done
ready && ok "readyz 200" || { tail -20 "$W/enrich.log"; die "enrich not ready"; }

produce() { printf '%s|%s\n' "$1" "$2" | kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -P -t "$PRAHARI_TOPIC_NORMALIZED" -K '|'; }
enriched() { kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -C -t "$PRAHARI_TOPIC_ENRICHED" -o beginning -e -q -f '%k\t%s\n' 2>/dev/null || true; }
wait_enriched() { # id count: up to 30 s (slow under sanitizers)
  local end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do [ "$(enriched | grep -c "^$1")" -ge "$2" ] && return 0; sleep 0.1; done
  return 1
}
new_alert() { # -> alert id (row in alerts, as ingest would have stored it)
  local id sc
  id=$(cat /proc/sys/kernel/random/uuid)
  sc=$(printf '%s' "$id" | tr -dc 'A-Z0-9a-z' | tr a-z A-Z | head -c 6)
  sql "INSERT INTO alerts (alert_id, source, source_alert_id, way, short_code, content_hash, severity,
       category, platform, reported_at, canonical) VALUES ('$id', 'check', 'C-$id', 'meta', '$sc', 'x',
       'critical', 'suicide', 'instagram', '2026-12-03T09:05:00Z', '{}')"
  printf '%s' "$id"
}
msg() { # id hints-json
  printf '{"schema":"prahari.alert/v1","alert_id":"%s","revision":1,"source":"check","severity":"critical","reported_at":"2026-12-03T09:05:00Z","location_hints":%s}' "$1" "$2"
}
field() { # id python-expression over the location `l` and message `m`
  enriched | grep "^$1" | tail -1 | cut -f2- | $PY -c "import json,sys; m=json.load(sys.stdin); l=m['location']; print($2)"
}

# ---- the sample alerts (hints as ingest puts them on the wire; expect from cases.json)
declare -A HINTS=(
  [meta-01-kota-gps]='[{"kind":"gps","lat":25.142,"lon":75.845,"accuracy_m":35,"observed_at":"2026-12-03T09:00:00Z","source":"device"},{"kind":"ip","ip":"2409:40d4:1a:3b2c::1"},{"kind":"phone","number":"+91 90000 12345"}]'
  [meta-03-ip-only]='[{"kind":"ip","ip":"49.36.128.10"}]'
  [meta-04-out-of-state]='[{"kind":"gps","lat":23.2599,"lon":77.4126,"accuracy_m":15,"source":"device"}]'
  [youtube-02-beawar-place]='[{"kind":"place","text":"Beawar, Rajasthan","source":"recording"},{"kind":"ip","ip":"117.99.4.5"}]'
  [alerts-01-pin-kota]='[{"kind":"pin","code":"324005"},{"kind":"phone","number":"9000012377"}]'
  [email-01-bikaner]='[{"kind":"gps","lat":28.0229,"lon":73.3119,"accuracy_m":30,"source":"device"},{"kind":"ip","ip":"223.188.20.7"},{"kind":"place","text":"Bikaner","source":"profile"},{"kind":"phone","number":"+91-90000-12311"}]'
  [email-02-sikar-html]='[{"kind":"place","text":"Sikar, Rajasthan","source":"profile"}]'
  [meta-02-two-reports]='[{"kind":"place","text":"झुंझुनूं, राजस्थान","source":"profile"}]'
)
for case in "${!HINTS[@]}"; do
  read -r want_method want_district < <($PY -c "
import json,sys
for c in json.load(open('$SHARED/fixtures/cases.json'))['cases']:
    if c['id']=='$case':
        a=c['expect']['alerts'][0]; print(a['location_method'], a['district'] or '-')")
  id=$(new_alert)
  produce "$id" "$(msg "$id" "${HINTS[$case]}")"
  if ! wait_enriched "$id" 1; then bad "$case: no enriched message"; continue; fi
  got=$(field "$id" "l['method']")
  [ "$got" = "$want_method" ] && ok "$case: method $got" || bad "$case: method $got, want $want_method"
  if [ "$want_method" = place ] || [ "$want_method" = pin ]; then
    d=$(field "$id" "l.get('area',{}).get('name','-')")
    [ "$d" = "$want_district" ] && ok "$case: area $d" || bad "$case: area $d, want $want_district"
  fi
  row=$(sql "SELECT method FROM locations WHERE alert_id='$id' AND revision=1")
  [ "$row" = "$want_method" ] && ok "$case: locations row" || bad "$case: locations row '$row'"
  tl=$(sql "SELECT count(*) FROM timeline WHERE alert_id='$id' AND stage='enrich' AND event='located' AND actor='prahari-enrich'")
  [ "$tl" = 1 ] && ok "$case: timeline located" || bad "$case: $tl timeline rows"
done

# ---- known places were never sent; an unknown one is geocoded (confidence 0.49)
[ "$(peer_requests)" = 0 ] && ok "geocoder: no request for known places" || bad "geocoder: $(peer_requests) requests for known places"
id=$(new_alert)
produce "$id" "$(msg "$id" '[{"kind":"place","text":"Mehrangarh Fort","source":"recording"}]')"
if wait_enriched "$id" 1; then
  got=$(field "$id" "l['method'], l['confidence'], l['candidates'][0]['kind'], l['state']")
  [ "$got" = "place 0.49 geocoder Rajasthan" ] && ok "geocoder: $got" || bad "geocoder: got $got"
else
  bad "geocoder: no enriched message"
fi
[ "$(peer_requests)" = 1 ] && ok "geocoder: one request" || bad "geocoder: $(peer_requests) requests"
metrics=$(curl -s "http://127.0.0.1:$OPS/metrics")
grep -q '^prahari_enrich_geocoder_requests_total{outcome="ok"} 1' <<<"$metrics" &&
  grep -q '^prahari_enrich_geocoder_breaker_state 0' <<<"$metrics" &&
  ok "geocoder: metrics" || bad "geocoder: metrics"

# ---- the phone travels normalised
id=$(new_alert)
produce "$id" "$(msg "$id" "${HINTS[alerts-01-pin-kota]}")"
wait_enriched "$id" 1 && [ "$(field "$id" "m['phone_e164']")" = "+919000012377" ] && ok "phone_e164" || bad "phone_e164"

# ---- redelivery: same output, no second timeline row
produce "$id" "$(msg "$id" "${HINTS[alerts-01-pin-kota]}")"
if wait_enriched "$id" 2; then
  n=$(enriched | grep "^$id" | cut -f2- | $PY -c "import json,sys; print(len({json.dumps(json.loads(x)['location'],sort_keys=True) for x in sys.stdin}))")
  [ "$n" = 1 ] && ok "redelivery: same location" || bad "redelivery: locations differ"
else
  bad "redelivery: not produced again"
fi
[ "$(sql "SELECT count(*) FROM timeline WHERE alert_id='$id'")" = 1 ] && ok "redelivery: one timeline row" || bad "redelivery: timeline rows"

# ---- dead letters: unreadable, and an alert that was never stored
produce bad '{"schema":"prahari.alert/v1"}'
ghost=$(cat /proc/sys/kernel/random/uuid)
produce "$ghost" "$(msg "$ghost" '[]')"
for _ in $(seq 100); do
  dl=$(kcat -b "$KAFKA_BOOTSTRAP_SERVERS" -C -t "$PRAHARI_TOPIC_DEADLETTER" -o beginning -e -q 2>/dev/null | grep -c '"stage":"enrich"' || true)
  [ "$dl" -ge 2 ] && break
  sleep 0.1
done
[ "$dl" -ge 2 ] && ok "dead letters: $dl" || bad "dead letters: $dl"

# ---- PostgreSQL down: retried until it is back
# The alert row exists before PostgreSQL goes down (as ingest stores it before
# publishing): otherwise enrich could retry before the row is back and rightly
# dead-letter the message.
id2=$(cat /proc/sys/kernel/random/uuid)
sql "INSERT INTO alerts (alert_id, source, source_alert_id, way, short_code, content_hash, severity, category,
     platform, reported_at, canonical) VALUES ('$id2', 'check', 'C-$id2', 'meta', 'PGDOWN', 'x', 'high',
     'suicide', 'facebook', '2026-12-03T09:05:00Z', '{}')"
pg_stop
produce "$id2" "$(msg "$id2" "${HINTS[email-02-sikar-html]}")"
sleep 1.5
ready && bad "readyz 200 with PostgreSQL down" || ok "readyz 503 with PostgreSQL down"
[ "$(enriched | grep -c "^$id2")" = 0 ] && ok "nothing produced while PostgreSQL is down" || bad "produced without PostgreSQL"
pg_start
wait_enriched "$id2" 1 && ok "retried and produced after PostgreSQL came back" || bad "not produced after PostgreSQL came back"

# ---- SIGHUP: data reloaded and swapped in before the next message
kill -HUP "$EPID"
for _ in $(seq 100); do grep -q 'reload ready' "$W/enrich.log" && break; sleep 0.1; done
id3=$(new_alert)
produce "$id3" "$(msg "$id3" "${HINTS[meta-02-two-reports]}")"
wait_enriched "$id3" 1 && grep -q 'reloaded data in use' "$W/enrich.log" && ok "SIGHUP reload" || bad "SIGHUP reload"

# ---- no post text, place text or phone in the log
if grep -q -e 'झुंझुनूं' -e 'Sikar, Rajasthan' -e '9000012377' -e 'Mehrangarh' "$W/enrich.log"; then bad "hints in the log"; else ok "no hints in the log"; fi

# ---- SIGTERM: clean exit 0
kill -TERM "$EPID"
rc=0
wait "$EPID" || rc=$?
PIDS=("${PIDS[@]/$EPID/}")
[ "$rc" = 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $rc"

[ "$fail" = 0 ] || { echo "--- enrich.log (tail)"; tail -30 "$W/enrich.log"; }
exit "$fail"
