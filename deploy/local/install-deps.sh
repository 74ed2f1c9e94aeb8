#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything Prahari needs to build, run and test on Debian 12 (as
# root): the Debian packages, then the pinned npm data packages of deploy/data
# into $PRAHARI_LOCAL/data/node_modules. Fast when nothing is missing: apt is
# skipped if dpkg already has every package, npm if the installed lock matches.
#   install-deps.sh            everything
#   install-deps.sh --apt      Debian packages only
#   install-deps.sh --data     npm data only
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${PRAHARI_ROOT:-$(cd "$here/../.." && pwd)}
local_dir=${PRAHARI_LOCAL:-$root/.local}

# Build: compilers, CMake, and the -dev libraries of CMakeLists.txt.
PKGS_BUILD=(
  build-essential cmake gcc clang pkg-config make git
  libclang-rt-14-dev # clang's AddressSanitizer/UBSan runtime
  librdkafka-dev libpq-dev libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev libssl-dev
  libgeos-dev libicu-dev libgmime-3.0-dev libmaxminddb-dev libjwt-dev
)
# Run: the local stack (deploy/local/stack.sh) and its peers.
PKGS_RUN=(
  postgresql postgresql-15 postgresql-client-15 postgresql-15-postgis-3
  python3 python3-aiosmtpd python3-yaml kcat dovecot-imapd
  openssl ca-certificates curl procps iproute2 util-linux
)
# Test and data tooling: MMDB inspection and writing test databases, node/npm for the data packages.
PKGS_TEST=(
  mmdb-bin libmaxmind-db-writer-perl nodejs
)

say() { printf 'install-deps: %s\n' "$*" >&2; }

missing_pkgs() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

install_apt() {
  local missing
  mapfile -t missing < <(missing_pkgs "${PKGS_BUILD[@]}" "${PKGS_RUN[@]}" "${PKGS_TEST[@]}")
  # npm ships inside NodeSource's nodejs; only Debian's nodejs needs the npm package.
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "Debian packages: all present"
  else
    [ "$(id -u)" -eq 0 ] || { say "need root to apt-get install: ${missing[*]}"; exit 1; }
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The packaged PostgreSQL and Dovecot services are not used (the stack runs
    # its own instances on other ports); stop them if this install started them.
    if command -v pg_lsclusters >/dev/null 2>&1; then
      pg_lsclusters -h 2>/dev/null | while read -r ver name _port status _rest; do
        if [ "$status" = online ]; then pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true; fi
      done
    fi
    if [ -f /run/dovecot/master.pid ]; then
      kill "$(cat /run/dovecot/master.pid)" 2>/dev/null || true
    fi
  fi
}

install_data() {
  local src=$root/deploy/data dst=$local_dir/data want have
  command -v npm >/dev/null 2>&1 || { say "npm not found (run without --data first)"; exit 1; }
  mkdir -p "$dst"
  want=$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)
  have=$(cat "$dst/.installed-lock.sha256" 2>/dev/null || true)
  if [ "$want" = "$have" ] && [ -d "$dst/node_modules" ]; then
    say "npm data: up to date in $dst/node_modules"
    return 0
  fi
  cp "$src/package.json" "$src/package-lock.json" "$dst/"
  say "npm ci into $dst/node_modules (first time ~130 MB)"
  # Data only: no package's install script runs.
  (cd "$dst" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$want" >"$dst/.installed-lock.sha256"
  say "npm data: installed $(cd "$dst/node_modules" && du -sh . | cut -f1)"
}

case "${1:-all}" in
  --apt) install_apt ;;
  --data) install_data ;;
  all) install_apt; install_data ;;
  *) sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
