#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Integration test of prahari-migrate against a real PostgreSQL cluster that
# with_pg.sh creates in a temporary folder, on a free loopback port, and
# removes at the end: concurrent runs, idempotence, --status, a changed
# checksum, a new file, a failing file rolled back, PRAHARI_MIGRATIONS_DIR.
# usage: test_migrate.sh PATH/TO/prahari-migrate PATH/TO/deploy/sql
set -u
MIGRATE=$1
SQLDIR=$2
[ -n "${PRAHARI_TEST_PG_PORT:-}" ] || exec bash "$(dirname "$0")/with_pg.sh" bash "$0" "$@"
PORT=$PRAHARI_TEST_PG_PORT
WORK=$(mktemp -d /tmp/prahari-migrate-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

export PRAHARI_LOG_LEVEL=warn
unset PRAHARI_MIGRATIONS_DIR PRAHARI_PG_PASSWORD_FILE
PSQL=(psql -X -q -t -A -h 127.0.0.1 -p "$PORT" -U prahari)

fails=0
passes=0
check() { # check DESCRIPTION COMMAND...
        local what=$1
        shift
        if "$@"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $what"; fi
}
q() { "${PSQL[@]}" -d prahari -c "$1"; }

nfiles=$(ls "$SQLDIR"/*.sql | wc -l)

# 1. Three migrators at once: one applies, the others wait on the lock and skip.
for i in 1 2 3; do
        "$MIGRATE" --dir "$SQLDIR" >"$WORK/run$i.out" 2>"$WORK/run$i.err" &
        pids[$i]=$!
done
for i in 1 2 3; do
        wait "${pids[$i]}"
        check "concurrent run $i exits 0 ($(cat "$WORK/run$i.err"))" test $? = 0
done
check "each file recorded once" test "$(q 'SELECT count(*) FROM schema_migrations')" = "$nfiles"
applied_total=$(cat "$WORK"/run?.out | awk '/^prahari-migrate: [0-9]+ applied/ { n += $2 } END { print n + 0 }')
check "files applied exactly once across the runs (got $applied_total)" test "$applied_total" = "$nfiles"
check "tables exist" test "$(q "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('alerts','timeline','notifications','directory')")" = 4
sha_0001=$(sha256sum "$SQLDIR/0001_init.sql" | cut -d' ' -f1)
check "sha256 recorded" test "$(q "SELECT sha256 FROM schema_migrations WHERE version='0001_init'")" = "$sha_0001"
check "applied_at set" test "$(q "SELECT count(*) FROM schema_migrations WHERE applied_at > now() - interval '5 minutes'")" = "$nfiles"

# 2. Again: nothing to do.
out=$("$MIGRATE" --dir "$SQLDIR" 2>&1)
check "second run exits 0" test $? = 0
check "second run applies nothing ($out)" grep -q "^prahari-migrate: 0 applied, $nfiles already applied" <<<"$out"

# 3. --status lists every file as applied.
st=$("$MIGRATE" --dir "$SQLDIR" --status)
check "--status exits 0" test $? = 0
check "--status says applied" test "$(grep -c ' applied$' <<<"$st")" = "$nfiles"

# 4. A changed file is refused, nothing else happens.
cp -r "$SQLDIR" "$WORK/sql"
echo "-- edited after it was applied" >>"$WORK/sql/0001_init.sql"
cat >"$WORK/sql/9990_new.sql" <<'SQL'
CREATE TABLE migrate_test_new (id integer PRIMARY KEY);
INSERT INTO migrate_test_new VALUES (1), (2);
SQL
err=$("$MIGRATE" --dir "$WORK/sql" 2>&1)
check "changed checksum exits 1" test $? = 1
check "changed checksum is named ($err)" grep -q "0001_init was applied with another checksum" <<<"$err"
check "nothing applied after a refusal" test "$(q "SELECT count(*) FROM schema_migrations WHERE version='9990_new'")" = 0
st=$("$MIGRATE" --dir "$WORK/sql" --status 2>/dev/null)
check "--status shows CHANGED and pending" grep -q "0001_init .*CHANGED" <<<"$st"
check "--status shows pending" grep -q "9990_new .*pending" <<<"$st"

# 5. Restored file + new file (via PRAHARI_MIGRATIONS_DIR): the new one applies.
cp "$SQLDIR/0001_init.sql" "$WORK/sql/0001_init.sql"
out=$(PRAHARI_MIGRATIONS_DIR="$WORK/sql" "$MIGRATE" 2>&1)
check "new file applies via PRAHARI_MIGRATIONS_DIR ($out)" grep -q "^prahari-migrate: 1 applied" <<<"$out"
check "new file's effect" test "$(q 'SELECT count(*) FROM migrate_test_new')" = 2

# 6. A failing file is rolled back entirely and not recorded; later files wait.
cat >"$WORK/sql/9991_bad.sql" <<'SQL'
CREATE TABLE migrate_test_bad (id integer);
SELECT 1/0;
SQL
echo "CREATE TABLE migrate_test_after (id integer);" >"$WORK/sql/9992_after.sql"
err=$("$MIGRATE" --dir "$WORK/sql" 2>&1)
check "failing file exits 1" test $? = 1
check "failure names the file and the error ($err)" grep -q "9991_bad failed: division by zero" <<<"$err"
check "failing file rolled back" test "$(q "SELECT count(*) FROM information_schema.tables WHERE table_name='migrate_test_bad'")" = 0
check "failing file not recorded" test "$(q "SELECT count(*) FROM schema_migrations WHERE version LIKE '999%'")" = 1
check "later file not applied" test "$(q "SELECT count(*) FROM information_schema.tables WHERE table_name='migrate_test_after'")" = 0

# 7. Usage and connection errors.
"$MIGRATE" --bogus >/dev/null 2>&1
check "unknown option exits 2" test $? = 2
PRAHARI_PG_DSN="host=127.0.0.1 port=1 dbname=prahari user=prahari connect_timeout=2" "$MIGRATE" --dir "$SQLDIR" >/dev/null 2>"$WORK/conn.err"
check "unreachable database exits 1" test $? = 1
check "connection error logged" grep -q "PostgreSQL" "$WORK/conn.err"

echo "common_migrate_pg: $passes passed, $fails failed"
[ "$fails" = 0 ] && [ "$passes" -gt 0 ]
