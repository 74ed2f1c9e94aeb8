#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fault test (issue 7): a private copy of the local stack (own folder, ports
# +500 from the dev stack's), a known set of alerts through every way in while
# services are killed and restarted, the broker and PostgreSQL restarted, the
# SMS gateway and SMTP server made to fail, and a second replica of every
# service runs for part of the time; then judged from the SMS gateway's
# record, the SMTP spool and PostgreSQL (tests/chaos/chaos.py).
# Usage: chaos.sh BUILD_DIR   (PRAHARI_CHAOS_SECONDS, PRAHARI_CHAOS_SEED,
# PRAHARI_KEEP_CHAOS=1 keeps the working folder)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# Forget the settings of a dev stack this shell may have exported: dev.env
# keeps values already set, and this private stack must derive its own.
mapfile -t devenv < <(sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' "$root/deploy/local/dev.env")
unset "${devenv[@]}" PRAHARI_LOCAL
export PRAHARI_BUILD=${1:-$root/build}
export PRAHARI_ROOT=$root
export PRAHARI_SHARED=${PRAHARI_SHARED:-$(cd "$root/../shared" && pwd)}
export PRAHARI_LOCAL=$(mktemp -d "${TMPDIR:-/tmp}/prahari-chaos.XXXXXX")
chmod 755 "$PRAHARI_LOCAL"
# Ports +500 from the dev stack's (e2e uses +300).
export PRAHARI_PG_PORT=55932 PRAHARI_DEVBROKER_PORT=19592 PRAHARI_INGEST_PORT=8580 \
       PRAHARI_NOTIFIER_PORT=8584 PRAHARI_INGEST_OPS_PORT=9601 PRAHARI_ENRICH_OPS_PORT=9602 \
       PRAHARI_ROUTER_OPS_PORT=9603 PRAHARI_NOTIFIER_OPS_PORT=9604 PRAHARI_SMSGW_PORT=18580 \
       PRAHARI_SMTP_PORT=18525 PRAHARI_IMAP_PORT=18643
# The second replicas (started by chaos.py): ops 9611-9614, ingest 8590, notifier 8594.
export PRAHARI_CHAOS_REPLICA_OPS_BASE=9611 PRAHARI_CHAOS_REPLICA_INGEST_PORT=8590 \
       PRAHARI_CHAOS_REPLICA_NOTIFIER_PORT=8594
stack="$root/deploy/local/stack.sh"
stop_replicas() {
  local f pid
  for f in "$PRAHARI_LOCAL"/run/*-2.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    [[ $pid =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}
cleanup() {
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "--- logs (last lines) in $PRAHARI_LOCAL/logs ---"
    for f in "$PRAHARI_LOCAL"/logs/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 8 "$f"; }; done
  fi
  stop_replicas
  "$stack" down >/dev/null 2>&1 || true
  if [ "${PRAHARI_KEEP_CHAOS:-0}" = 1 ]; then echo "kept: $PRAHARI_LOCAL"; else rm -rf "$PRAHARI_LOCAL"; fi
  exit $rc
}
trap cleanup EXIT
t0=$(date +%s)
"$stack" up 2>"$PRAHARI_LOCAL/stack-up.log" || { cat "$PRAHARI_LOCAL/stack-up.log"; exit 1; }
"$stack" services-up 2>>"$PRAHARI_LOCAL/stack-up.log" || { cat "$PRAHARI_LOCAL/stack-up.log"; exit 1; }
echo "chaos: stack up in $(($(date +%s) - t0)) s (folder $PRAHARI_LOCAL)"
eval "$("$stack" env)"
/usr/bin/python3 "$here/chaos.py" --stack "$stack"
