#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs test_mail_imap against a real, private Dovecot (services/ingest/mail/
# devimap.sh): a config generated in a temp folder, IMAP with STARTTLS and
# IMAPS (self-signed certificate) on free loopback ports, a maildir owned by
# nobody; stopped on exit whatever happens.
# Usage: run_imap_test.sh <test_mail_imap binary>
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
DEVIMAP="$HERE/../../../services/ingest/mail/devimap.sh"
DIR=$(mktemp -d /tmp/prahari-imap.XXXXXX)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PORTS=$("$PY" -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
PORT=${PORTS% *}
TLS_PORT=${PORTS#* }

cleanup() {
        sh "$DEVIMAP" stop "$DIR" || true
        rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

printf 'imap-test-%s\n' "$$" > "$DIR/password"
sh "$DEVIMAP" start "$DIR" "$PORT" "$DIR/password" "$TLS_PORT"
rc=0
PRAHARI_TEST_MAILDIR="$DIR/home/Maildir" PRAHARI_TEST_IMAP_URL="imap://127.0.0.1:$PORT" \
        PRAHARI_TEST_IMAPS_URL="imaps://127.0.0.1:$TLS_PORT" PRAHARI_TEST_CA_FILE="$DIR/tls/cert.pem" \
        PRAHARI_TEST_IMAP_USER=test PRAHARI_TEST_IMAP_PASSWORD_FILE="$DIR/password" "$BIN" || rc=$?
if [ $rc -ne 0 ]; then
        echo "--- dovecot log ---" >&2
        tail -n 30 "$DIR/dovecot.log" >&2 || true
fi
exit $rc
