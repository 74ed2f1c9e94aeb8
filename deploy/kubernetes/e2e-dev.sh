#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The dev overlay, proven end to end: a fresh local stack (PostgreSQL, dev
# broker, SMS gateway, SMTP) in a private working folder, the four services
# as containers from `podman kube play` of overlays/dev, the Meta samples of
# ../shared/fixtures/cases.json sent through them and every expectation
# checked (tests/e2e/fixtures_run.py), then memory per container and a clean
# SIGTERM shutdown (exit 0 within the grace period). Too slow for CI with the
# image builds; run by hand after deploy/containers/build.sh.
#
#   deploy/kubernetes/e2e-dev.sh [--ways meta] [--keep]
#
# Ports: the overlay's, moved by PRAHARI_PORT_SHIFT (default 650) for both the
# stack and the played manifest, so it runs beside a developer's dev stack.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ways=meta
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--ways) ways=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) sed -n '3,13p' "$0"; exit 2 ;;
	esac
done
export PRAHARI_ROOT=$root
export PRAHARI_SHARED=${PRAHARI_SHARED:-$(cd "$root/.." && pwd)/shared}
export CONTAINERS_CONF="$root/deploy/containers/containers.conf"
export PRAHARI_PORT_SHIFT=${PRAHARI_PORT_SHIFT:-650}
sh=$PRAHARI_PORT_SHIFT
export PRAHARI_PG_PORT=$((55432 + sh)) PRAHARI_DEVBROKER_PORT=$((19092 + sh)) \
	PRAHARI_INGEST_PORT=$((8080 + sh)) PRAHARI_NOTIFIER_PORT=$((8084 + sh)) \
	PRAHARI_INGEST_OPS_PORT=$((9101 + sh)) PRAHARI_ENRICH_OPS_PORT=$((9102 + sh)) \
	PRAHARI_ROUTER_OPS_PORT=$((9103 + sh)) PRAHARI_NOTIFIER_OPS_PORT=$((9104 + sh)) \
	PRAHARI_SMSGW_PORT=$((18080 + sh)) PRAHARI_SMTP_PORT=$((18025 + sh)) PRAHARI_IMAP_PORT=$((18143 + sh))
stack="$root/deploy/local/stack.sh"
say() { printf 'e2e-dev: %s\n' "$*" >&2; }

# Exit 77 (ctest: skipped) where the images cannot be there.
if ! command -v podman >/dev/null || ! command -v kubectl >/dev/null; then
	say "podman or kubectl missing: skipped"; exit 77
fi
for img in ingest enrich router notifier migrate; do
	podman image exists "localhost/prahari-$img:dev" ||
		{ say "image localhost/prahari-$img:dev missing (deploy/containers/build.sh): skipped"; exit 77; }
done
for p in 19092 55432 18080 18025 8080 8084 9101 9102 9103 9104; do
	p=$((p + sh))
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		say "port $p is in use: choose another PRAHARI_PORT_SHIFT"
		exit 1
	fi
done

export PRAHARI_LOCAL=$(mktemp -d "${TMPDIR:-/tmp}/prahari-kube.XXXXXX")
chmod 755 "$PRAHARI_LOCAL"

cleanup() {
	rc=$?
	if [ $rc -ne 0 ]; then
		for c in $(podman ps -a --format '{{.Names}}' | grep -E '^prahari-(ingest|enrich|router|notifier)-' || true); do
			echo "== podman logs $c (last lines)"; podman logs --tail 15 "$c" 2>&1 || true
		done
	fi
	"$here/run-dev.sh" down >/dev/null 2>&1 || true
	"$stack" down >/dev/null 2>&1 || true
	[ $keep = 1 ] || rm -rf "$PRAHARI_LOCAL"
	exit $rc
}
trap cleanup EXIT

t0=$SECONDS
"$stack" up
"$here/run-dev.sh" up
say "stack and pods ready in $((SECONDS - t0)) s"
eval "$("$stack" env)"
/usr/bin/python3 "$root/tests/e2e/fixtures_run.py" --check --table --ways "$ways"

echo
echo "retention CronJob's command, run once with the migrate image (90 days: nothing old yet):"
script=$(/usr/bin/python3 - "$PRAHARI_LOCAL/kube/dev.yaml" "$root/tests/unit/ops" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import miniyaml
for d in miniyaml.load_all(open(sys.argv[1]).read()):
    if d.get("kind") == "CronJob" and d["metadata"]["name"] == "prahari-retention":
        print(d["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0])
PY
)
redacted=$(podman run --rm --network=host --user 10001:10001 --read-only --cap-drop=ALL \
	-v "$PRAHARI_LOCAL/kube/secrets:/run/secrets/prahari/pg:ro" \
	-e "PRAHARI_PG_DSN=$PRAHARI_PG_DSN" -e PRAHARI_RETENTION_DAYS=90 \
	--entrypoint /bin/sh localhost/prahari-migrate:dev -c "$script")
echo "redacted: $redacted"
[ "$redacted" = 0 ] || { say "retention should have redacted nothing, got '$redacted'"; exit 1; }

echo
echo "memory and CPU per container after the run:"
podman stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.CPUPerc}}' | grep -E '^prahari-' | sort

echo
echo "shutdown: SIGTERM to every pod, 30 s grace (terminationGracePeriodSeconds):"
pods=$(podman pod ps --format '{{.Name}}' | grep -E '^prahari-(ingest|enrich|router|notifier)' || true)
t1=$(date +%s.%N)
# shellcheck disable=SC2086
podman pod stop -t 30 $pods >/dev/null
echo "stopped in $(echo "$(date +%s.%N) - $t1" | bc) s"
fail=0
for c in $(podman ps -a --format '{{.Names}}' | grep -E '^prahari-(ingest|enrich|router|notifier)' | grep -v infra || true); do
	code=$(podman inspect --format '{{.State.ExitCode}}' "$c")
	echo "$c exit $code"
	[ "$code" = 0 ] || fail=1
done
"$here/run-dev.sh" down
[ $fail = 0 ] || { say "a service did not exit 0 on SIGTERM"; exit 1; }
say "all expectations met"
