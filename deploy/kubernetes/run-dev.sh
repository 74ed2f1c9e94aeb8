#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the dev overlay for real with `podman kube play` (host network)
# against the local stack's peers, as the Kubernetes manifests would run in a
# cluster: same probes, users, read-only roots, secrets as mounted files.
#
#   deploy/kubernetes/run-dev.sh up       render, stage secrets, migrate, play, wait for /readyz
#   deploy/kubernetes/run-dev.sh down     podman kube down
#   deploy/kubernetes/run-dev.sh status   pods and the four /readyz
#   deploy/kubernetes/run-dev.sh render   only write the manifest it would play
#
# Needs: deploy/local/stack.sh up (PostgreSQL, dev broker, SMS gateway, SMTP)
# but not its services-up (the pods take those ports), and the images from
# deploy/containers/build.sh. PRAHARI_PORT_SHIFT=N moves every port of the
# overlay by N in the played copy (the stack must be started with the same
# shift; e2e-dev.sh does both), so a run never collides with a dev stack.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PRAHARI_LOCAL=${PRAHARI_LOCAL:-$root/.local}
PRAHARI_SHARED=${PRAHARI_SHARED:-$(cd "$root/.." && pwd)/shared}
export CONTAINERS_CONF="$root/deploy/containers/containers.conf"
kube=$PRAHARI_LOCAL/kube
manifest=$kube/dev.yaml
stage=$kube/secrets
shift_by=${PRAHARI_PORT_SHIFT:-0}
# The overlay's ports: broker, PostgreSQL, public, ops, SMS gateway, SMTP.
PORTS=(19092 55432 8080 8084 9101 9102 9103 9104 18080 18025)
declare -A OPS=([ingest]=$((9101 + shift_by)) [enrich]=$((9102 + shift_by))
	[router]=$((9103 + shift_by)) [notifier]=$((9104 + shift_by)))

say() { printf 'run-dev: %s\n' "$*" >&2; }
die() { printf 'run-dev: error: %s\n' "$*" >&2; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_status() { # port path -> status code or 000
	curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1$2" 2>/dev/null || true
}

stage_secrets() {
	local src=$PRAHARI_LOCAL/secrets
	[ -d "$src" ] || die "$src missing: run deploy/local/stack.sh up first"
	rm -rf "$stage"
	install -d -m 0750 -o 10001 -g 10001 "$stage"
	# name in the pod <- file made by stack.sh (or the shared fixtures)
	local -A files=(
		[password]=$src/pg_password
		[meta_app_secret]=$src/meta_app_secret
		[meta_verify_token]=$src/meta_verify_token
		[partner_keys.json]=$src/partner_keys.json
		[link_keys]=$src/link_keys
		[sms_token]=$src/sms_token
		[google_jwks.json]=$PRAHARI_SHARED/fixtures/keys/google-test-jwks.json
		[smtp-ca.pem]=$PRAHARI_LOCAL/tls/ca.pem
	)
	local k
	for k in "${!files[@]}"; do
		[ -f "${files[$k]}" ] || die "${files[$k]} missing (stack.sh up makes it)"
		install -m 0400 -o 10001 -g 10001 "${files[$k]}" "$stage/$k"
	done
}

render() {
	mkdir -p "$kube"
	local expr=(-e "s#/PRAHARI_LOCAL/#$PRAHARI_LOCAL/#g") p
	if [ "$shift_by" != 0 ]; then
		for p in "${PORTS[@]}"; do expr+=(-e "s/\b$p\b/$((p + shift_by))/g"); done
	fi
	kubectl kustomize "$here/overlays/dev" | sed -E "${expr[@]}" >"$manifest"
}

migrate() {
	# The migration Job's containers, run the way podman can (kube play skips Jobs).
	podman image exists localhost/prahari-migrate:dev || { say "no migrate image: migrations left to stack.sh"; return 0; }
	podman run --rm --network=host --user 10001:10001 --read-only --cap-drop=ALL \
		-v "$stage:/run/secrets/prahari/pg:ro" \
		-e "PRAHARI_PG_DSN=host=127.0.0.1 port=$((55432 + shift_by)) dbname=prahari user=prahari" \
		-e PRAHARI_PG_PASSWORD_FILE=/run/secrets/prahari/pg/password \
		localhost/prahari-migrate:dev || die "migration image failed"
	say "migrations applied by the migrate image"
	# The Job's second container: the directory (the ConfigMap's content is
	# base/directory/rajasthan.csv; ops_kustomize_render keeps them equal).
	podman run --rm --network=host --user 10001:10001 --read-only --cap-drop=ALL \
		-v "$stage:/run/secrets/prahari/pg:ro" \
		-v "$here/base/directory/rajasthan.csv:/etc/prahari/directory/directory.csv:ro" \
		-e "PRAHARI_PG_DSN=host=127.0.0.1 port=$((55432 + shift_by)) dbname=prahari user=prahari" \
		-e PRAHARI_PG_PASSWORD_FILE=/run/secrets/prahari/pg/password \
		-e PRAHARI_ADMIN_ACTOR=run-dev \
		--entrypoint /usr/local/bin/prahari-admin localhost/prahari-migrate:dev \
		directory import /etc/prahari/directory/directory.csv || die "directory import failed"
	say "directory imported by the migrate image"
}

up() {
	local svc p
	for svc in "${!OPS[@]}"; do
		podman image exists "localhost/prahari-$svc:dev" ||
			die "image localhost/prahari-$svc:dev missing: deploy/containers/build.sh $svc"
	done
	port_open $((19092 + shift_by)) || die "no dev broker on $((19092 + shift_by)): deploy/local/stack.sh up"
	port_open $((55432 + shift_by)) || die "no PostgreSQL on $((55432 + shift_by)): deploy/local/stack.sh up"
	for p in 8080 8084 9101 9102 9103 9104; do
		port_open $((p + shift_by)) && die "port $((p + shift_by)) is taken (deploy/local/stack.sh services-down?)"
	done
	stage_secrets
	render
	migrate
	podman kube play --replace "$manifest" >/dev/null
	say "played $manifest"
	wait_ready 90
}

wait_ready() {
	local deadline=$((SECONDS + $1)) svc all
	while :; do
		all=1
		for svc in ingest enrich router notifier; do
			[ "$(http_status "${OPS[$svc]}" /readyz)" = 200 ] || all=0
		done
		[ $all = 1 ] && { say "all four ready"; status; return 0; }
		[ $SECONDS -ge $deadline ] && { status; die "not all ready after $1 s (podman logs <container>)"; }
		sleep 1
	done
}

status() {
	local svc
	podman pod ps --format '{{.Name}} {{.Status}} {{.NumberOfContainers}}' | grep prahari || true
	for svc in ingest enrich router notifier; do
		printf '%-9s healthz %s readyz %s\n' "$svc" "$(http_status "${OPS[$svc]}" /healthz)" \
			"$(http_status "${OPS[$svc]}" /readyz)"
	done
}

down() {
	[ -f "$manifest" ] || { say "nothing played"; return 0; }
	podman kube down "$manifest" >/dev/null && say "stopped"
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
render) render && echo "$manifest" ;;
*) sed -n '6,13p' "$0"; exit 2 ;;
esac
