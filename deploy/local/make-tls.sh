#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway CA and a server certificate for 127.0.0.1 and localhost, for the
# local SMTP server's STARTTLS (the notifier trusts ca.pem). Idempotent: keeps
# existing files while they are valid for another day.
#   make-tls.sh [DIR]   (default $PRAHARI_LOCAL/tls) -> ca.pem ca.key server.pem server.key
set -euo pipefail
dir=${1:-${PRAHARI_LOCAL:?set PRAHARI_LOCAL or pass DIR}/tls}
mkdir -p "$dir"
cd "$dir"

valid() { # cert -> 0 if it exists and is valid for at least a day more
  [ -s "$1" ] && openssl x509 -in "$1" -noout -checkend 86400 >/dev/null 2>&1
}

if valid ca.pem && [ -s ca.key ] && valid server.pem && [ -s server.key ] &&
  openssl verify -CAfile ca.pem server.pem >/dev/null 2>&1; then
  echo "make-tls: $dir already has a valid CA and server certificate"
  exit 0
fi

umask 077
tmp=$(mktemp -d "$dir/.new.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 \
  -subj "/O=Prahari local stack/CN=Prahari dev CA (throwaway)" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/O=Prahari local stack/CN=localhost" \
  -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
cat >"$tmp/ext.cnf" <<'CNF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
CNF
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
  -days 825 -sha256 -extfile "$tmp/ext.cnf" -out "$tmp/server.pem" 2>/dev/null
openssl verify -CAfile "$tmp/ca.pem" "$tmp/server.pem" >/dev/null
chmod 644 "$tmp/ca.pem" "$tmp/server.pem"
chmod 600 "$tmp/ca.key" "$tmp/server.key"
mv -f "$tmp/ca.key" "$tmp/ca.pem" "$tmp/server.key" "$tmp/server.pem" .
echo "make-tls: wrote $dir/ca.pem, server.pem, server.key (CN=localhost, SAN 127.0.0.1, localhost)"
