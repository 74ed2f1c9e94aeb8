#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end test: a private copy of the local stack (own folder, own ports, so
# it never touches a running dev stack), every sample of ../shared/fixtures
# through the real services, judged from PostgreSQL, the SMS gateway's log and
# the SMTP spool. Usage: e2e.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# Forget the settings of a dev stack this shell may have exported (eval "$(stack.sh env)"):
# dev.env keeps values already set, and this private stack must derive its own.
mapfile -t devenv < <(sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' "$root/deploy/local/dev.env")
unset "${devenv[@]}" PRAHARI_LOCAL
export PRAHARI_BUILD=${1:-$root/build}
export PRAHARI_ROOT=$root
export PRAHARI_SHARED=${PRAHARI_SHARED:-$(cd "$root/../shared" && pwd)}
export PRAHARI_LOCAL=$(mktemp -d "${TMPDIR:-/tmp}/prahari-e2e.XXXXXX")
chmod 755 "$PRAHARI_LOCAL"
# Ports +300 from the dev stack's.
export PRAHARI_PG_PORT=55732 PRAHARI_DEVBROKER_PORT=19392 PRAHARI_INGEST_PORT=8380 \
       PRAHARI_NOTIFIER_PORT=8384 PRAHARI_INGEST_OPS_PORT=9401 PRAHARI_ENRICH_OPS_PORT=9402 \
       PRAHARI_ROUTER_OPS_PORT=9403 PRAHARI_NOTIFIER_OPS_PORT=9404 PRAHARI_SMSGW_PORT=18380 \
       PRAHARI_SMTP_PORT=18325 PRAHARI_IMAP_PORT=18443
stack="$root/deploy/local/stack.sh"
cleanup() {
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "--- service logs (last lines) ---"
    for f in "$PRAHARI_LOCAL"/logs/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 15 "$f"; }; done
  fi
  "$stack" down >/dev/null 2>&1 || true
  [ "${PRAHARI_KEEP_E2E:-0}" = 1 ] || rm -rf "$PRAHARI_LOCAL"
  exit $rc
}
trap cleanup EXIT
"$stack" up
"$stack" services-up
eval "$("$stack" env)"
/usr/bin/python3 "$here/fixtures_run.py" --check --table
