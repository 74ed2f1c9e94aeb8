#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Makes ./secrets for compose.yaml: random passwords and keys. The folder is
# root's alone (0700), so no other host user reaches the files; the files
# themselves are 0444 because each container, whatever its uid (10001 for
# Prahari, postgres's own for PostgreSQL), must read the few that compose
# mounts into it. Existing files are kept, so
# running it again never rotates a key by accident. partner_keys.json and
# smtp_upstream_password must then be filled in with the real values.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
new() { [ -s "secrets/$1" ] || { "$2" > "secrets/$1"; echo "made secrets/$1"; }; }
hex() { openssl rand -hex 24; }
linkkey() { printf 'k1:%s\n' "$(openssl rand -hex 32)"; }
empty_json() { echo '{}'; }
empty() { :; }
for f in pg_superuser_password pg_owner_password pg_ingest_password pg_enrich_password \
	pg_router_password pg_notifier_password pg_admin_password meta_app_secret \
	meta_verify_token sms_token; do
	new "$f" hex
done
new link_keys linkkey
new partner_keys.json empty_json
[ -e secrets/smtp_upstream_password ] || : > secrets/smtp_upstream_password
chmod 0700 secrets
chmod 0444 secrets/*
