#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Integration test of prahari-router and prahari-admin: starts its own
# throwaway PostgreSQL (as the postgres user) and dev broker on free ports,
# imports the shipped directory (and a bad one: nothing changes), routes
# enriched messages and checks the routed topic, the routings/timeline rows,
# redelivery idempotence, dead letters, PostgreSQL-down retry and SIGTERM.
# Also imports the boundary layer into PostGIS and cross-checks 100,000
# random points: the router's lookup and ST_Covers agree off the boundaries.
# usage: router_service.sh ROUTER ADMIN DEVBROKER XCHECK REPO_DIR SHARED_DIR
set -euo pipefail
ROUTER=$1 ADMIN=$2 BROKER=$3 XCHECK=$4 REPO=$5 SHARED=$6
PGBIN=/usr/lib/postgresql/15/bin
fail() { echo "FAIL: $*" >&2; exit 1; }
for t in kcat runuser python3 psql; do command -v $t >/dev/null || fail "$t missing"; done
id postgres >/dev/null 2>&1 || fail "no postgres user"
W=$(mktemp -d /tmp/router-it.XXXXXX)
chown postgres: "$W"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port) KPORT=$(free_port) OPS=$(free_port)
pg_start() {
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg" -l "$W/pg.log" -w -t 60 \
    -o "-p $PGPORT -k $W -c listen_addresses=127.0.0.1" start >/dev/null
}
runuser -u postgres -- "$PGBIN/initdb" -D "$W/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
pg_start
P() { psql -q -X -h 127.0.0.1 -p "$PGPORT" -U prahari -d prahari -At -v ON_ERROR_STOP=1 "$@"; }
psql -q -X -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c "CREATE ROLE prahari LOGIN SUPERUSER" -c "CREATE DATABASE prahari OWNER prahari" >/dev/null
for f in "$REPO"/deploy/sql/0*.sql; do P -f "$f" >/dev/null 2>"$W/mig.err" || { cat "$W/mig.err"; fail "migration $f"; }; done

export PRAHARI_PG_DSN="host=127.0.0.1 port=$PGPORT dbname=prahari user=prahari"
export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KPORT PRAHARI_ROUTER_OPS_PORT=$OPS PRAHARI_DIRECTORY_RELOAD_S=1
export PRAHARI_ADMIN_ACTOR=router-it PRAHARI_LOG_LEVEL=info

# ---- directory import: a bad file changes nothing; the shipped one loads
sed -e 's/^KOTA-SP,Kota,sp,SP Kota,+919000028101/KOTA-SP,Kota,sp,SP Kota,+9190000281/' \
    -e 's/sp.bundi@police.example/sp.bundi@police/' "$REPO/deploy/directory/rajasthan.csv" >"$W/bad.csv"
if "$ADMIN" directory import "$W/bad.csv" 2>"$W/bad.err"; then fail "bad import accepted"; fi
grep -q "bad.csv:42: e-mail \"sp.bundi@police\": domain without a dot" "$W/bad.err" || { cat "$W/bad.err"; fail "bad row 42 not reported"; }
grep -q "bad.csv:110: phone \"+9190000281\"" "$W/bad.err" || fail "bad row 110 not reported"
[ "$(P -c 'select count(*) from directory')" = 0 ] || fail "bad import changed the table"
"$ADMIN" directory import "$REPO/deploy/directory/rajasthan.csv" >/dev/null
[ "$(P -c 'select count(*) from directory')" = 170 ] || fail "directory rows"
[ "$(P -c "select count(*) from directory_audit where actor='router-it' and before is null")" = 170 ] || fail "audit rows"
"$ADMIN" directory import "$REPO/deploy/directory/rajasthan.csv" >/dev/null
[ "$(P -c 'select count(*) from directory_audit')" = 170 ] || fail "re-import audited unchanged rows"
[ "$(P -c "select duty_days||' '||duty_hours from directory where recipient_id='KOTA-SHO-DAY'")" = "mon-sat 08:00-20:00" ] || fail "duty window not stored"
[ "$(P -c "select after->>'duty_hours' from directory_audit where recipient_id='KOTA-SHO-NIGHT'")" = "20:00-08:00" ] || fail "duty window not audited"
# a bad window: reported with line and reason, nothing changes
sed -e 's/^\(KOTA-SHO-DAY,.*\),mon-sat,08:00-20:00$/\1,mon-sat,8-20/' "$REPO/deploy/directory/rajasthan.csv" >"$W/badduty.csv"
if "$ADMIN" directory import "$W/badduty.csv" 2>"$W/badduty.err"; then fail "bad duty window accepted"; fi
grep -q 'badduty.csv:113: duty_hours "8-20"' "$W/badduty.err" || { cat "$W/badduty.err"; fail "bad duty window not reported"; }
diff <("$ADMIN" directory export | sort) <(sort "$REPO/deploy/directory/rajasthan.csv") >/dev/null || fail "export differs"

# ---- boundaries in PostGIS: versioned import (twice: idempotent), cross-check
B=$SHARED/data/boundaries/rajasthan_districts_41.geojson
"$ADMIN" boundaries import --effective 2024-12-29 "$B" >"$W/bimport.out" || { cat "$W/bimport.out"; fail "boundary import"; }
grep -q 'gap: 3.8.. km2 around 28.12.* bounded by Kotputli-Behror' "$W/bimport.out" || fail "hole not reported as a gap"
grep -q 'imported rajasthan_districts_41@sha256:9e97df22: layer district, 41 features' "$W/bimport.out" || fail "import line"
"$ADMIN" boundaries import "$B" | grep -q 'already imported' || fail "second import not idempotent"
[ "$(P -c "select count(*)||':'||max(effective_from) from boundaries join boundary_versions using (version)")" = "41:2024-12-29" ] || fail "boundaries rows"
P -c "delete from boundaries" 2>/dev/null && fail "boundaries not append-only"
"$XCHECK" "$B" 100000 >"$W/xcheck.out" || { cat "$W/xcheck.out"; fail "PostGIS cross-check"; }
grep -q '100000 points (.* inside), 0 differ off a boundary' "$W/xcheck.out" || fail "xcheck output"
cat "$W/xcheck.out"

# ---- broker and router
PRAHARI_DEVBROKER_PORT=$KPORT "$BROKER" >"$W/broker.log" 2>&1 & pids+=($!)
for i in $(seq 50); do grep -q ready "$W/broker.log" && break; sleep 0.2; done
"$ROUTER" >"$W/router.log" 2>&1 & RPID=$!; pids+=($RPID)
for i in $(seq 60); do [ "$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$OPS/readyz")" = 200 ] && break; sleep 0.5; done
[ "$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$OPS/readyz")" = 200 ] || { cat "$W/router.log"; fail "router not ready"; }

id() { printf '00000000-0000-4000-8000-%012d' "$1"; }
for n in 1 2 3 4 5; do
  P -c "INSERT INTO alerts (alert_id, source, source_alert_id, way, short_code, content_hash, severity, category, platform, reported_at, canonical) VALUES ('$(id $n)','meta','R$n','meta','CODE0$n','h','critical','suicide','instagram',now(),'{}')"
done
msg() { # n revision location-json
  printf '%s|{"schema":"prahari.alert/v1","alert_id":"%s","revision":%s,"short_code":"CODE0%s","severity":"critical","platform":"instagram","location":%s}\n' "$(id $1)" "$(id $1)" "$2" "$1" "$3"
}
{
  msg 1 1 '{"method":"gps","lat":25.142,"lon":75.845,"radius_m":35,"confidence":0.95}'
  msg 2 1 '{"method":"none","confidence":0}'
  msg 3 1 '{"method":"gps","lat":23.2599,"lon":77.4126,"radius_m":50,"confidence":0.9}'
  msg 1 2 '{"method":"gps","lat":26.91,"lon":75.79,"radius_m":35,"confidence":0.95}'
  msg 1 1 '{"method":"gps","lat":26.91,"lon":75.79,"radius_m":35,"confidence":0.95}'
  msg 9 1 '{"method":"none"}'
  echo 'junk|not json'
} | kcat -b "127.0.0.1:$KPORT" -P -t prahari.alerts.enriched.v1 -K '|'
routed() { kcat -b "127.0.0.1:$KPORT" -C -t prahari.alerts.routed.v1 -o beginning -e -f '%k\t%s\n' 2>/dev/null; }
for i in $(seq 40); do [ "$(routed | wc -l)" -ge 5 ] && break; sleep 0.25; done
routed | python3 -c '
import sys, json
got = {}
full = {}
for line in sys.stdin:
    k, v = line.rstrip("\n").split("\t", 1)
    m = json.loads(v); r = m["routing"]
    full[(m["alert_id"][-1], m["revision"])] = r
    got.setdefault((m["alert_id"][-1], m["revision"]), []).append(
        (k, r["route"], r["district"], r["state"], r["reason"],
         [x["recipient_id"] for x in r["recipients"]], r.get("lead_changed")))
want = {
 ("1", 1): ("Kota", "district", "Kota", "Rajasthan", "point_in_polygon", ["KOTA-CR", "KOTA-SP"], None),
 ("2", 1): ("STATE_COMMAND_CENTRE", "state_command_centre", None, None, "no_location", ["SCC-DUTY"], None),
 ("3", 1): ("STATE_COMMAND_CENTRE", "state_command_centre", None, "Madhya Pradesh", "out_of_state", ["SCC-DUTY", "IS-MADHYA_PRADESH"], None),
 ("1", 2): ("Jaipur", "district", "Jaipur", "Rajasthan", "point_in_polygon", ["JAIPUR-CR", "JAIPUR-SP"], True),
}
assert set(got) == set(want), got
for k, w in want.items():
    for g in got[k]:
        assert g == w, (k, g, w)
# the moved lead: the old jurisdiction and its level-1 recipients, for the notifier
mf = full[("1", 2)]["moved_from"]
assert mf["jurisdiction"] == "Kota", mf
assert [x["recipient_id"] for x in mf["recipients"]] == ["KOTA-CR", "KOTA-SP"], mf
assert all("moved_from" not in full[k] for k in full if k != ("1", 2)), full
assert full[("1", 2)]["parents"] == ["STATE_COMMAND_CENTRE"] and full[("1", 2)]["level"] == "district"
assert full[("2", 1)]["parents"] == [] and full[("2", 1)]["level"] == "state"

# the redelivered revision 1 (new coordinates) produced the recorded decision: Kota twice
assert len(got[("1", 1)]) == 2, got[("1", 1)]
' || fail "routed messages"
dl=$(kcat -b "127.0.0.1:$KPORT" -C -t prahari.alerts.deadletter.v1 -o beginning -e 2>/dev/null)
echo "$dl" | grep -q 'alert not in the alerts table' || fail "unknown alert not dead-lettered"
echo "$dl" | grep -q 'not a JSON object' || fail "junk not dead-lettered"
[ "$(P -c "select string_agg(revision||':'||route||':'||coalesce(district,'-'), ',' order by alert_id, revision) from routings")" = \
  "1:district:Kota,2:district:Jaipur,1:state_command_centre:-,1:state_command_centre:-" ] || fail "routings rows"
[ "$(P -c "select count(*) from timeline where stage='router' and event='routed'")" = 4 ] || fail "timeline rows (one per revision)"
P -c "select detail::text from timeline where event='routed'" | grep -q 'SP Kota' && fail "names in the timeline"

# ---- PostgreSQL down: the message waits, then goes through
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$W/pg" -m fast -w stop >/dev/null
msg 4 1 '{"method":"place","confidence":0.8,"radius_m":30000,"area":{"kind":"district","name":"Jhunjhunu"}}' |
  kcat -b "127.0.0.1:$KPORT" -P -t prahari.alerts.enriched.v1 -K '|'
for i in $(seq 40); do grep -q 'retry.*PostgreSQL unavailable' "$W/router.log" && break; sleep 0.25; done
grep -q 'retry.*PostgreSQL unavailable' "$W/router.log" || fail "no retry while PostgreSQL is down"
[ "$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$OPS/readyz")" = 503 ] || fail "readyz not 503 with PostgreSQL down"
pg_start
for i in $(seq 60); do [ "$(P -c "select count(*) from routings where alert_id='$(id 4)'")" = 1 ] && break; sleep 0.25; done
[ "$(P -c "select district||':'||reason from routings where alert_id='$(id 4)'")" = "Jhunjhunu:area" ] || fail "not routed after PostgreSQL came back"

# ---- SIGTERM: clean exit 0
kill -TERM $RPID
rc=0; wait $RPID || rc=$?
[ $rc = 0 ] || { tail "$W/router.log"; fail "router exit $rc"; }
grep -q '"msg":"stopped (exit 0)"' "$W/router.log" || fail "no stopped line"
# ---- boundaries from PostGIS, switched live to a newer version (own broker:
# the mock cluster is slow to hand a group to a second member)
KPORT2=$(free_port)
PRAHARI_DEVBROKER_PORT=$KPORT2 "$BROKER" >"$W/broker2.log" 2>&1 & pids+=($!)
for i in $(seq 50); do grep -q ready "$W/broker2.log" && break; sleep 0.2; done
# the state layer and a police_district layer in PostGIS: Kota City = Kota within
# 12 km of the city centre, Kota Rural = the rest (made by PostGIS/GEOS here)
"$ADMIN" boundaries import --layer state --repair "$SHARED/data/boundaries/india_states.geojson" >"$W/bstates.out" ||
  { cat "$W/bstates.out"; fail "state layer import"; }
P -c "WITH k AS (SELECT geom, ST_Buffer(ST_SetSRID(ST_MakePoint(75.83, 25.18), 4326)::geography, 12000)::geometry AS c
        FROM boundaries WHERE name = 'Kota' AND version LIKE 'rajasthan_districts_41@%'),
      f AS (SELECT 'Kota City' AS n, ST_CollectionExtract(ST_Intersection(geom, c), 3) AS g FROM k
            UNION ALL SELECT 'Kota Rural', ST_CollectionExtract(ST_Difference(geom, c), 3) FROM k)
      SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg(json_build_object(
        'type', 'Feature', 'properties', json_build_object('name', n, 'district', 'Kota'),
        'geometry', ST_AsGeoJSON(g, 9)::json))) FROM f" >"$W/police_districts.geojson"
"$ADMIN" boundaries import --layer police_district --parent-property district "$W/police_districts.geojson" >"$W/bpd.out" ||
  { cat "$W/bpd.out"; fail "police_district import"; }
grep -q 'layer police_district, 2 features' "$W/bpd.out" || { cat "$W/bpd.out"; fail "police_district import line"; }
[ "$(P -c "select string_agg(name||'>'||parent, ',' order by name) from boundaries join boundary_versions using (version) where layer='police_district'")" = "Kota City>Kota,Kota Rural>Kota" ] || fail "police_district parents"
# a directory row for Kota City: unknown without its layer, valid with it (names from PostGIS)
{ cat "$REPO/deploy/directory/rajasthan.csv"; echo 'KOTACITY-SHO,Kota City,sho,SHO Kota City,+919000028199,,1,hi,mon-fri,09:00-18:00'; } >"$W/pd.csv"
if "$ADMIN" directory import "$W/pd.csv" 2>"$W/pd.err"; then fail "Kota City accepted without its layer"; fi
grep -q 'pd.csv:172: jurisdiction "Kota City" is not a district' "$W/pd.err" || { cat "$W/pd.err"; fail "Kota City row not reported"; }
PRAHARI_JURISDICTION_LAYERS=police_district "$ADMIN" directory import "$W/pd.csv" >"$W/pd.out" 2>&1 || { cat "$W/pd.out"; fail "Kota City row refused with its layer"; }
[ "$(P -c "select jurisdiction from directory where recipient_id='KOTACITY-SHO'")" = "Kota City" ] || fail "Kota City row not stored"
"$ADMIN" directory import "$REPO/deploy/directory/rajasthan.csv" >/dev/null || fail "re-import of the shipped directory"
KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KPORT2 PRAHARI_BOUNDARIES_SOURCE=postgis PRAHARI_JURISDICTION_LAYERS=police_district \
  "$ROUTER" >"$W/router2.log" 2>&1 & RPID=$!; pids+=($RPID)
for i in $(seq 60); do [ "$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$OPS/readyz")" = 200 ] && break; sleep 0.5; done
grep -q 'boundaries (postgis) rajasthan_districts_41@sha256:9e97df22: 41 districts' "$W/router2.log" || fail "router did not load the version from PostGIS"
jhunjhunu='{"method":"gps","lat":28.1317,"lon":75.4022,"radius_m":30,"confidence":0.9}'
msg 5 1 "$jhunjhunu" | kcat -b "127.0.0.1:$KPORT2" -P -t prahari.alerts.enriched.v1 -K '|'
for i in $(seq 40); do [ "$(P -c "select count(*) from routings where alert_id='$(id 5)'")" = 1 ] && break; sleep 0.25; done
grep -q 'states india_states@sha256:[0-9a-f]* (postgis): ' "$W/router2.log" || fail "state layer not from PostGIS"
grep -q 'jurisdiction layer 1: police_district police_districts@sha256:' "$W/router2.log" || fail "police_district layer not loaded"
# a new revision in Kota city: lead Kota City (parent chain), recipients of the parent
# Kota (Kota City has none of its own), and the old lead (the state command centre) told
msg 3 2 '{"method":"gps","lat":25.1825,"lon":75.8391,"radius_m":30,"confidence":0.9}' | kcat -b "127.0.0.1:$KPORT2" -P -t prahari.alerts.enriched.v1 -K '|'
for i in $(seq 40); do [ "$(P -c "select count(*) from routings where alert_id='$(id 3)'")" = 2 ] && break; sleep 0.25; done
kcat -b "127.0.0.1:$KPORT2" -C -t prahari.alerts.routed.v1 -o beginning -e -f '%k\t%s\n' 2>/dev/null | python3 -c '
import sys, json
n = 0
for line in sys.stdin:
    k, v = line.rstrip("\n").split("\t", 1)
    m = json.loads(v); r = m["routing"]
    if m["alert_id"].endswith("3") and m["revision"] == 2:
        n += 1
        assert k == "Kota City" and r["district"] == "Kota City" and r["level"] == "police_district", (k, r)
        assert r["parents"] == ["Kota", "STATE_COMMAND_CENTRE"], r
        assert [x["recipient_id"] for x in r["recipients"]] == ["KOTA-CR", "KOTA-SP"], r
        assert r["jurisdictions"][0]["recipients_from"] == "Kota", r
        assert r["lead_changed"] is True and r["moved_from"]["jurisdiction"] == "STATE_COMMAND_CENTRE", r
        assert [x["recipient_id"] for x in r["moved_from"]["recipients"]] == ["SCC-DUTY"], r
assert n == 1, n
' || fail "police district routing"
"$ADMIN" boundaries import --name-property district "$SHARED/data/boundaries/rajasthan_districts_33_census2011.geojson" >"$W/b33.out"
grep -q 'imported rajasthan_districts_33_census2011@sha256:7533df8b: layer district, 33 features' "$W/b33.out" || { cat "$W/b33.out"; fail "33-district import"; }
grep -q '^overlap: ' "$W/b33.out" || fail "the 2011 layer's overlaps not reported"
for i in $(seq 40); do grep -q 'new version) rajasthan_districts_33' "$W/router2.log" && break; sleep 0.25; done
msg 5 2 "$jhunjhunu" | kcat -b "127.0.0.1:$KPORT2" -P -t prahari.alerts.enriched.v1 -K '|'
for i in $(seq 40); do [ "$(P -c "select count(*) from routings where alert_id='$(id 5)'")" = 2 ] && break; sleep 0.25; done
[ "$(P -c "select string_agg(revision||':'||district||':'||boundary_version, ',' order by revision) from routings where alert_id='$(id 5)'")" = \
  "1:Jhunjhunu:rajasthan_districts_41@sha256:9e97df22,2:Jhunjhunun:rajasthan_districts_33_census2011@sha256:7533df8b" ] ||
  { P -c "select * from routings where alert_id='$(id 5)'"; fail "live boundary switch"; }
grep -q 'boundaries switched: rajasthan_districts_41@sha256:9e97df22 -> rajasthan_districts_33_census2011@sha256:7533df8b' "$W/router2.log" || fail "no switch line"
kill -TERM $RPID
rc=0; wait $RPID || rc=$?
[ $rc = 0 ] || fail "second router exit $rc"
echo "router_service: all checks passed"
