#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Bounded libFuzzer run of one ingest adapter target; the corpus starts from
# the fixture bodies (and, for the OIDC target, the tokens of cases.json) in a
# scratch folder.
# Usage: run_fuzz.sh <binary> <meta|pubsub|partner|oidc> <fixtures dir> <scratch> <seconds>
set -eu
BIN=$1 KIND=$2 FX=$3 WORK=$4 SECS=$5
rm -rf "$WORK"
mkdir -p "$WORK/corpus"
case "$KIND" in
meta) cp "$FX"/bodies/meta-*.json "$WORK/corpus/" ;;
partner) cp "$FX"/bodies/alerts-*.json "$WORK/corpus/" ;;
pubsub)
        for f in "$FX"/bodies/google-*.json; do { printf 'g'; cat "$f"; } > "$WORK/corpus/$(basename "$f")"; done
        for f in "$FX"/bodies/youtube-*.json; do { printf 'y'; cat "$f"; } > "$WORK/corpus/$(basename "$f")"; done ;;
oidc)
        /usr/bin/python3 - "$FX/cases.json" "$WORK/corpus" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    a = c["headers"].get("Authorization")
    if a:
        open(f"{sys.argv[2]}/{c['id']}", "w").write(a.split(" ", 1)[1])
PY
        export PRAHARI_FUZZ_JWKS="$FX/keys/google-test-jwks.json" ;;
*) echo "unknown kind $KIND" >&2; exit 2 ;;
esac
cd "$WORK"
exec "$BIN" -max_total_time="$SECS" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 corpus
