#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds Prahari's container images with podman: the Debian 12 base (made
# locally with debootstrap if no registry is reachable and it is missing),
# then one image per program and the development broker; reports sizes.
#
#   deploy/containers/build.sh [--tag dev] [--base IMAGE] [--shared DIR] [SERVICE...]
#
# SERVICE: ingest enrich router notifier migrate devbroker (default: all).
# --base debian:bookworm-slim where a registry is reachable.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tag=dev
base=localhost/debian:bookworm
shared=$(cd "$root/.." && pwd)/shared
services=()
while [ $# -gt 0 ]; do
	case "$1" in
	--tag) tag=$2; shift 2 ;;
	--base) base=$2; shift 2 ;;
	--shared) shared=$2; shift 2 ;;
	-h|--help) sed -n '3,11p' "$0"; exit 0 ;;
	-*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
	*) services+=("$1"); shift ;;
	esac
done
[ ${#services[@]} -gt 0 ] || services=(ingest enrich router notifier migrate devbroker)
[ -f "$shared/data/boundaries/rajasthan_districts_41.geojson" ] ||
	{ echo "build.sh: --shared $shared has no data/boundaries (the shared/ folder beside the repo)" >&2; exit 2; }

# runc, no default ulimits: see containers.conf. Not written to /etc.
export CONTAINERS_CONF="$here/containers.conf"
command -v podman >/dev/null || { echo "build.sh: podman missing: apt-get install -y podman runc debootstrap" >&2; exit 2; }

# The base image. Only the local name is made here; any other is pulled by podman.
if [ "$base" = localhost/debian:bookworm ] && ! podman image exists "$base"; then
	command -v debootstrap >/dev/null || { echo "build.sh: debootstrap missing" >&2; exit 2; }
	mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	rootfs=$(mktemp -d)
	trap 'rm -rf "$rootfs"' EXIT
	echo "build.sh: debootstrap bookworm from $mirror"
	debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
		{ tail -20 "$rootfs.log" >&2; exit 1; }
	rm -f "$rootfs.log"
	# Security and point-release updates, as debian:bookworm-slim has them.
	printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
		"$mirror" "$mirror" "${mirror%/debian}/debian-security" >"$rootfs/etc/apt/sources.list"
	# Keep the image small, like debian:bookworm-slim.
	rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
		"$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
	# PATH and CMD as in debian:bookworm-slim (an import has no config of its own).
	tar -C "$rootfs" -c . | podman import \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["bash"]' - "$base" >/dev/null
	rm -rf "$rootfs"
	trap - EXIT
fi

# The build stage is shared text: keep the two files identical there.
stage() { awk '/^ARG BASE=/{p=1} /^# ---- npm reference data|^# ---- runtime/{p=0} p' "$1"; }
if ! diff <(stage "$here/Containerfile") <(stage "$here/Containerfile.devbroker") >/dev/null; then
	echo "build.sh: the build stages of Containerfile and Containerfile.devbroker differ; align them" >&2
	exit 1
fi

# The host's CA bundle, for npm behind a TLS-inspecting egress proxy (a
# build secret: used by one RUN, stored in no layer).
host_ca=${PRAHARI_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}
common=(--network=host --layers --build-arg "BASE=$base" --ignorefile "$here/containerignore"
	--secret "id=host_ca,src=$host_ca")
failed=()
for svc in "${services[@]}"; do
	name="localhost/prahari-$svc:$tag"
	t0=$(date +%s)
	if [ "$svc" = devbroker ]; then
		args=(-f "$here/Containerfile.devbroker")
	else
		args=(-f "$here/Containerfile" --build-arg "SERVICE=$svc" --build-context "shared=$shared")
	fi
	echo "build.sh: building $name"
	if podman build "${common[@]}" "${args[@]}" -t "$name" "$root" >"/tmp/prahari-build-$svc.log" 2>&1; then
		echo "build.sh: $name built in $(( $(date +%s) - t0 )) s"
	else
		echo "build.sh: $name FAILED (log: /tmp/prahari-build-$svc.log):" >&2
		grep -E 'collect:|error|Error|FAILED' "/tmp/prahari-build-$svc.log" | tail -15 >&2
		failed+=("$svc")
	fi
done

echo
echo "image sizes:"
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' |
	grep -E "^(localhost/prahari-|$base)" | sort | column -t
[ ${#failed[@]} -eq 0 ] || { echo "build.sh: failed: ${failed[*]}" >&2; exit 1; }
