#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ops_pg_roles: least privilege, tried for real. Starts a throwaway
# PostgreSQL 15 on a spare port, applies deploy/sql/*.sql in order as an
# owner with CREATEROLE (as in production), makes one login user per group
# role, and checks that each can do what its service needs and is refused
# (SQLSTATE 42501, "permission denied") what it must not do.
# With "retention" as 4th argument it checks prahari_redact_older_than()
# (deploy/sql/0501_retention.sql) on the same kind of database instead.
#   test_pg_roles.sh REPO_ROOT PORT WORKDIR [roles|retention]
set -uo pipefail
root=$1 port=$2 work=$3 mode=${4:-roles}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
data=$work/pgdata
pass=0 fail=0

die() { echo "test_pg_roles: $*" >&2; exit 1; }
as_pg() { runuser -u postgres -- "$@"; }
stop() { as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1; }

id postgres >/dev/null 2>&1 || die "no postgres user (apt-get install -y postgresql)"
[ "$(id -u)" -eq 0 ] || die "must run as root (initdb runs as the postgres user through runuser)"
stop
rm -rf "$work" && mkdir -p "$work" && chown postgres: "$work" && chmod 700 "$work"
as_pg "$PGBIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 ||
	{ cat "$work/initdb.log"; die "initdb failed"; }
# TLS as in production: a private CA signs the server's certificate for
# 127.0.0.1, so clients can use sslmode=verify-full.
tls=$work/tls
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=prahari-test-ca \
	-keyout "$tls/ca.key" -out "$tls/ca.pem" >/dev/null 2>&1 || die "openssl: CA"
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$tls/server.key" \
	-out "$tls/server.csr" >/dev/null 2>&1 || die "openssl: server key"
printf 'subjectAltName=IP:127.0.0.1\n' >"$tls/ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
	-days 2 -extfile "$tls/ext" -out "$tls/server.pem" >/dev/null 2>&1 || die "openssl: server cert"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
	-keyout "$tls/other.key" -out "$tls/other.pem" >/dev/null 2>&1 || die "openssl: other CA"
chown -R postgres: "$tls" && chmod 600 "$tls"/*.key
# Other tests running beside this one pick free ports too: if the suggested
# port is taken (or is taken between the check and the start), try free ones.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
started=0
for attempt in 1 2 3 4 5; do
	if [ "$attempt" -gt 1 ] || ss -ltn "( sport = :$port )" 2>/dev/null | grep -q LISTEN; then port=$(free_port); fi
	if as_pg "$PGBIN/pg_ctl" -D "$data" -l "$work/log" -w -t 60 \
		-o "-p $port -k $work -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=$tls/server.pem -c ssl_key_file=$tls/server.key" \
		start >/dev/null; then started=1; break; fi
done
[ "$started" = 1 ] || { cat "$work/log"; die "postgres did not start"; }
trap 'stop; rm -rf "$work"' EXIT

# psql USER SQL -> stdout; stderr to $work/err
q() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U "$1" -d prahari -c "$2" 2>"$work/err"; }
ok() { # what user sql expected-output
	local out
	if out=$(q "$2" "$3") && [ "$out" = "$4" ]; then pass=$((pass + 1))
	else fail=$((fail + 1)); echo "FAIL (should work): $1: $3 as $2: got '$out' $(cat "$work/err")"; fi
}
denied() { # what user sql
	if q "$2" "$3" >/dev/null; then fail=$((fail + 1)); echo "FAIL (should be refused): $1: $3 as $2 succeeded"
	elif grep -q "permission denied" "$work/err"; then pass=$((pass + 1))
	else fail=$((fail + 1)); echo "FAIL (refused, but not for privilege): $1: $(cat "$work/err")"; fi
}

# The production shape: an owner that may create roles, a database it owns,
# PostGIS made by the superuser (it is not a trusted extension).
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U postgres -d postgres <<'SQL' || die "setup failed"
CREATE ROLE prahari LOGIN CREATEROLE;
CREATE DATABASE prahari OWNER prahari;
\c prahari
CREATE EXTENSION postgis;
CREATE EXTENSION pgcrypto;
SQL

# A development owner without CREATEROLE (deploy/local/stack.sh's): the
# migrations still apply; the roles are skipped with a warning.
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U postgres -d postgres <<'SQL' || die "setup (dev owner) failed"
CREATE ROLE devowner LOGIN;
CREATE DATABASE devlike OWNER devowner;
\c devlike
CREATE EXTENSION postgis;
CREATE EXTENSION pgcrypto;
SQL
for f in "$root"/deploy/sql/[0-9][0-9][0-9][0-9]_*.sql; do
	"$PGBIN/psql" -X -q -1 -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U devowner -d devlike -f "$f" \
		>/dev/null 2>>"$work/devlike.err" || die "applying $(basename "$f") without CREATEROLE: $(cat "$work/devlike.err")"
done
if grep -q "may not create roles" "$work/devlike.err" &&
	[ "$(q postgres "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'prahari\_%'")" = 0 ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: without CREATEROLE: expected a warning and no roles: $(cat "$work/devlike.err")"
fi

n=0
for f in "$root"/deploy/sql/[0-9][0-9][0-9][0-9]_*.sql; do
	"$PGBIN/psql" -X -q -1 -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U prahari -d prahari -f "$f" \
		>/dev/null 2>"$work/err" || die "applying $(basename "$f"): $(cat "$work/err")"
	n=$((n + 1))
done
echo "applied $n migrations"
# The operations migrations (05xx) are re-runnable: applying them again in
# order leaves the same grants (checked below) and does not fail.
for f in "$root"/deploy/sql/05[0-9][0-9]_*.sql; do
	"$PGBIN/psql" -X -q -1 -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U prahari -d prahari \
		-f "$f" >/dev/null 2>"$work/err" || die "$(basename "$f") not re-runnable: $(cat "$work/err")"
done

for r in ingest enrich router notifier admin; do
	ok "group role $r is NOLOGIN" prahari "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'prahari_$r'" f
	q prahari "CREATE ROLE ${r}_u LOGIN IN ROLE prahari_$r" || die "login user $r: $(cat "$work/err")"
done

# One alert with personal data in every private column, as the owner.
a=0b6f5c1e-0000-4000-8000-000000000001
q prahari "
INSERT INTO alerts (alert_id, source, source_alert_id, way, short_code, content_hash, severity,
                    category, platform, reported_at, canonical, subject, content, raw)
VALUES ('$a', 'meta', 'MH-2026-000101', 'meta', 'K7Q2XM', 'h1', 'critical', 'suicide', 'instagram',
        '2026-12-03T09:05:00Z', '{\"short_code\":\"K7Q2XM\",\"severity\":\"critical\"}',
        '{\"name\":\"Test Person\"}', '{\"text\":\"post text\"}', 'raw partner item');
INSERT INTO directory (recipient_id, jurisdiction, role, name, phone, email, level)
VALUES ('KOTA-SP', 'Kota', 'sp', 'SP Kota', '+919000000001', 'sp.kota@police.example', 1);
INSERT INTO notifications (alert_id, recipient_id, channel, level, address, client_ref)
VALUES ('$a', 'KOTA-SP', 'sms', 1, '+919000000001', 'ref-1');" >/dev/null || die "fixture rows: $(cat "$work/err")"

if [ "$mode" = retention ]; then
	# An old alert (100 days) carried to its outcome, and a recent one (10 days).
	b=0b6f5c1e-0000-4000-8000-000000000002
	q prahari "
UPDATE alerts SET received_at = now() - interval '100 days', status = 'closed', outcome = 'reached',
       canonical = '{\"short_code\":\"K7Q2XM\",\"severity\":\"critical\",\"account_id\":\"17841400000000001\",\"location_hints\":[{\"kind\":\"gps\",\"lat\":25.142,\"lon\":75.845}]}'
 WHERE alert_id = '$a';
INSERT INTO alert_revisions (alert_id, revision, content_hash, canonical, raw)
VALUES ('$a', 1, 'h1', '{\"account_id\":\"17841400000000001\"}', 'raw revision 1');
INSERT INTO locations (alert_id, revision, method, lat, lon, radius_m, confidence, state, detail)
VALUES ('$a', 1, 'gps', 25.142, 75.845, 35, 0.95, 'Rajasthan',
        '{\"method\":\"gps\",\"lat\":25.142,\"lon\":75.845,\"radius_m\":35,\"confidence\":0.95,\"state\":\"Rajasthan\",\"candidates\":[{\"name\":\"Kota\"}]}');
INSERT INTO routings (alert_id, revision, route, district, reason, boundary_version, detail)
VALUES ('$a', 1, 'district', 'Kota', 'point_in_polygon', 'rajasthan_districts_41@sha256:9e97df22', '{}');
INSERT INTO timeline (alert_id, stage, event, actor) VALUES ('$a', 'ingest', 'received', 'ingest'), ('$a', 'notifier', 'outcome', 'KOTA-SP');
INSERT INTO alerts (alert_id, source, source_alert_id, way, short_code, content_hash, severity,
                    category, platform, reported_at, received_at, canonical, subject, content, raw)
VALUES ('$b', 'meta', 'MH-2026-000102', 'meta', 'P3RT9W', 'h2', 'high', 'self_injury', 'facebook',
        now() - interval '10 days', now() - interval '10 days', '{\"account_id\":\"2\"}',
        '{\"name\":\"Recent Person\"}', '{\"text\":\"recent text\"}', 'recent raw');
INSERT INTO quarantine (source, way, received_at, reason, raw) VALUES
  ('meta', 'meta', now() - interval '100 days', 'old', 'old raw item'),
  ('meta', 'meta', now() - interval '1 day', 'new', 'new raw item');" >/dev/null || die "retention rows: $(cat "$work/err")"
	before=$(q prahari "SELECT count(*) FROM timeline WHERE alert_id = '$a'")

	denied "notifier cannot run retention" notifier_u "SELECT prahari_redact_older_than(90, 'x')"
	denied "ingest cannot run retention" ingest_u "SELECT prahari_redact_older_than(90, 'x')"
	if q admin_u "SELECT prahari_redact_older_than(0, 'x')" >/dev/null; then fail=$((fail + 1)); echo "FAIL: 0 days accepted"
	elif grep -q "days must be at least 1" "$work/err"; then pass=$((pass + 1))
	else fail=$((fail + 1)); echo "FAIL: 0 days refused for another reason: $(cat "$work/err")"; fi
	ok "retention redacts exactly the old alert" admin_u "SELECT prahari_redact_older_than(90, 'retention-test')" 1

	ok "old: post text and personal details gone" prahari "SELECT subject::text || content::text || coalesce(encode(raw, 'escape'), 'NULL') FROM alerts WHERE alert_id = '$a'" "{}{}NULL"
	ok "old: canonical without account and hints" prahari "SELECT (canonical ? 'account_id')::text || (canonical ? 'location_hints')::text || (canonical->>'severity') FROM alerts WHERE alert_id = '$a'" falsefalsecritical
	ok "old: outcome and status kept" prahari "SELECT status || '/' || outcome || '/' || (redacted_at IS NOT NULL)::text FROM alerts WHERE alert_id = '$a'" closed/reached/true
	ok "old: revision raw gone" prahari "SELECT count(*) FROM alert_revisions WHERE alert_id = '$a' AND (raw IS NOT NULL OR canonical ? 'account_id')" 0
	ok "old: precise location gone, quality kept" prahari "SELECT coalesce(lat::text, 'NULL') || '/' || method || '/' || confidence || '/' || (detail ? 'candidates')::text FROM locations WHERE alert_id = '$a'" NULL/gps/0.95/false
	ok "old: routing kept" prahari "SELECT district FROM routings WHERE alert_id = '$a'" Kota
	ok "old: notification record kept" prahari "SELECT count(*) FROM notifications WHERE alert_id = '$a'" 1
	ok "old: timeline kept plus one redacted row" prahari "SELECT count(*) - $before || '/' || max(actor) FILTER (WHERE event = 'redacted') FROM timeline WHERE alert_id = '$a'" 1/retention-test
	ok "recent alert untouched" prahari "SELECT subject->>'name' || '/' || encode(raw, 'escape') || '/' || (redacted_at IS NULL)::text FROM alerts WHERE alert_id = '$b'" "Recent Person/recent raw/true"
	ok "quarantine: old raw gone, recent kept" prahari "SELECT string_agg(reason || '=' || octet_length(raw), ',' ORDER BY reason) FROM quarantine" "new=12,old=0"
	ok "second run redacts nothing" admin_u "SELECT prahari_redact_older_than(90, 'retention-test')" 0
	ok "a shorter window then takes the recent one" admin_u "SELECT prahari_redact_older_than(5, 'retention-test')" 1
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] && [ "$pass" -ge 16 ]
	exit
fi

# TLS: the production DSN shape works, and a server the CA did not sign is refused.
dsn="host=127.0.0.1 port=$port dbname=prahari user=notifier_u sslmode=verify-full"
if out=$("$PGBIN/psql" -X -At "$dsn sslrootcert=$tls/ca.pem" -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>"$work/err") &&
	[ "$out" = t ]; then pass=$((pass + 1))
else fail=$((fail + 1)); echo "FAIL: verify-full with the right CA: '$out' $(cat "$work/err")"; fi
if "$PGBIN/psql" -X -At "$dsn sslrootcert=$tls/other.pem" -c "SELECT 1" >/dev/null 2>"$work/err"; then
	fail=$((fail + 1)); echo "FAIL: verify-full accepted a server signed by another CA"
elif grep -qi "certificate verify failed" "$work/err"; then pass=$((pass + 1))
else fail=$((fail + 1)); echo "FAIL: wrong CA refused for another reason: $(cat "$work/err")"; fi

# ingest
ok "ingest reads its alerts" ingest_u "SELECT short_code FROM alerts WHERE alert_id = '$a'" K7Q2XM
ok "ingest stores a revision" ingest_u "INSERT INTO alert_revisions (alert_id, revision, content_hash, canonical) VALUES ('$a', 2, 'h2', '{}') RETURNING revision" 2
ok "ingest marks published" ingest_u "UPDATE alerts SET published_revision = 1 WHERE alert_id = '$a' RETURNING published_revision" 1
ok "ingest quarantines" ingest_u "INSERT INTO quarantine (source, way, reason, raw) VALUES ('meta', 'meta', 'unreadable', 'x') RETURNING reason" unreadable
ok "ingest appends to the timeline" ingest_u "INSERT INTO timeline (alert_id, stage, event, actor) VALUES ('$a', 'ingest', 'stored', 'ingest') RETURNING event" stored
ok "ingest reconciler reads locations" ingest_u "SELECT count(*) FROM locations" 0
denied "ingest cannot read notifications" ingest_u "SELECT count(*) FROM notifications"
denied "ingest cannot read the directory" ingest_u "SELECT count(*) FROM directory"
denied "ingest cannot delete alerts" ingest_u "DELETE FROM alerts WHERE alert_id = '$a'"
denied "ingest cannot write locations" ingest_u "INSERT INTO locations (alert_id, revision, method, confidence, detail) VALUES ('$a', 1, 'none', 0, '{}')"

# enrich
ok "enrich reads the canonical alert" enrich_u "SELECT canonical->>'short_code' FROM alerts WHERE alert_id = '$a'" K7Q2XM
ok "enrich stores a location" enrich_u "INSERT INTO locations (alert_id, revision, method, lat, lon, radius_m, confidence, detail) VALUES ('$a', 1, 'gps', 25.142, 75.845, 35, 0.95, '{}') RETURNING method" gps
ok "enrich records downstream progress" enrich_u "UPDATE alerts SET seen_downstream_revision = 1 WHERE alert_id = '$a' RETURNING seen_downstream_revision" 1
denied "enrich cannot read alerts.subject" enrich_u "SELECT subject FROM alerts"
denied "enrich cannot read alerts.content" enrich_u "SELECT content FROM alerts"
denied "enrich cannot read alerts.raw" enrich_u "SELECT raw FROM alerts"
denied "enrich cannot SELECT * from alerts" enrich_u "SELECT * FROM alerts"
denied "enrich cannot read revisions (raw)" enrich_u "SELECT count(*) FROM alert_revisions"
denied "enrich cannot change severity" enrich_u "UPDATE alerts SET severity = 'medium'"
denied "enrich cannot read quarantine" enrich_u "SELECT count(*) FROM quarantine"

# router
ok "router reads the directory" router_u "SELECT email FROM directory WHERE recipient_id = 'KOTA-SP'" sp.kota@police.example
ok "router stores a routing" router_u "INSERT INTO routings (alert_id, revision, route, district, reason, boundary_version, detail) VALUES ('$a', 1, 'district', 'Kota', 'point_in_polygon', 'rajasthan_districts_41@sha256:9e97df22', '{}') RETURNING district" Kota
ok "router reads plain alert columns" router_u "SELECT severity FROM alerts WHERE alert_id = '$a'" critical
ok "router reads the boundary versions" router_u "SELECT count(*) FROM boundary_versions" 0
denied "router cannot import boundaries" router_u "DELETE FROM boundaries"
denied "ingest cannot read boundaries" ingest_u "SELECT count(*) FROM boundaries"
denied "router cannot read alerts.subject" router_u "SELECT subject FROM alerts"
denied "router cannot write notifications" router_u "INSERT INTO notifications (alert_id, recipient_id, channel, level, address, client_ref) VALUES ('$a', 'KOTA-SP', 'email', 1, 'x', 'ref-2')"
denied "router cannot change the directory" router_u "UPDATE directory SET phone = '+910000000000'"

# notifier
ok "notifier reads subject for the e-mail" notifier_u "SELECT subject->>'name' FROM alerts WHERE alert_id = '$a'" "Test Person"
ok "notifier reads content for the e-mail" notifier_u "SELECT content->>'text' FROM alerts WHERE alert_id = '$a'" "post text"
ok "notifier records a notification" notifier_u "UPDATE notifications SET state = 'sent', attempts = attempts + 1 WHERE client_ref = 'ref-1' RETURNING state" sent
ok "notifier records an acknowledgement" notifier_u "INSERT INTO acknowledgements (alert_id, by_recipient, via) VALUES ('$a', 'KOTA-SP', 'link') RETURNING via" link
ok "notifier sets status" notifier_u "UPDATE alerts SET status = 'acknowledged', outcome = 'reached' WHERE alert_id = '$a' RETURNING status" acknowledged
ok "notifier schedules an escalation" notifier_u "INSERT INTO escalations (alert_id, level, due_at) VALUES ('$a', 2, now()) RETURNING level" 2
ok "notifier reads routings" notifier_u "SELECT district FROM routings WHERE alert_id = '$a'" Kota
denied "notifier cannot read alerts.raw" notifier_u "SELECT raw FROM alerts"
denied "notifier cannot read raw revisions" notifier_u "SELECT raw FROM alert_revisions"
denied "notifier cannot read quarantine" notifier_u "SELECT raw FROM quarantine"
denied "notifier cannot change severity" notifier_u "UPDATE alerts SET severity = 'medium'"
denied "notifier cannot change the directory" notifier_u "DELETE FROM directory"

# timeline: append-only for services; admin too is stopped by the trigger
denied "notifier cannot rewrite the timeline" notifier_u "UPDATE timeline SET event = 'x'"
denied "ingest cannot delete the timeline" ingest_u "DELETE FROM timeline"
if q admin_u "UPDATE timeline SET event = 'x'" >/dev/null; then fail=$((fail + 1)); echo "FAIL: admin rewrote the timeline"
elif grep -q "append-only" "$work/err"; then pass=$((pass + 1))
else fail=$((fail + 1)); echo "FAIL: admin timeline update refused for another reason: $(cat "$work/err")"; fi

# admin: operators' tool reads everything (retention redacts raw)
ok "admin reads raw" admin_u "SELECT encode(raw, 'escape') FROM alerts WHERE alert_id = '$a'" "raw partner item"
ok "admin redacts" admin_u "UPDATE alerts SET subject = '{}', content = '{}', raw = NULL, redacted_at = now() WHERE alert_id = '$a' RETURNING raw IS NULL" t
ok "admin imports the directory" admin_u "INSERT INTO directory_audit (actor, recipient_id) VALUES ('test', 'KOTA-SP') RETURNING actor" test

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -ge 40 ]
