#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Local SMTP server for the Prahari stack (Debian's python3-aiosmtpd): a real
SMTP peer on 127.0.0.1:PRAHARI_SMTP_PORT that requires STARTTLS and writes
every message it accepts, byte for byte, to its own .eml file in
PRAHARI_SMTP_SPOOL, then appends one line to PRAHARI_SMTP_SPOOL/index.jsonl:

  {"file": "<name>.eml", "mail_from": "...", "rcpt_tos": [...],
   "message_id": "<...>", "time_ns": N, "size": N}

Refusing on demand (for retry and escalation tests): while the file
PRAHARI_SMTP_SPOOL/.refuse exists, every RCPT TO is answered with a
temporary failure (451 4.3.0). If the file holds a code such as 550, that code
is used instead (a 5xx code is a permanent refusal).

SMTP AUTH (optional, off by default): when PRAHARI_SMTP_USER and
PRAHARI_SMTP_PASSWORD_FILE are set (the same variables the notifier logs in
with), AUTH PLAIN/LOGIN is offered after STARTTLS and required before MAIL;
a wrong login gets 535. The index line then carries "auth_user".

Settings: PRAHARI_SMTP_PORT (18025), PRAHARI_SMTP_SPOOL (required),
PRAHARI_SMTP_TLS_CERT / PRAHARI_SMTP_TLS_KEY (default
$PRAHARI_LOCAL/tls/server.pem and server.key, from deploy/local/make-tls.sh).
Run with Debian's /usr/bin/python3. Stops on SIGTERM/SIGINT.
"""
import argparse
import datetime
import hmac
import email.parser
import email.policy
import json
import os
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def log(msg, **kw):
    rec = {"ts": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
           "svc": "smtp", "msg": msg}
    rec.update(kw)
    sys.stderr.write(json.dumps(rec) + "\n")
    sys.stderr.flush()


def refusal(spool):
    """The SMTP reply to give to RCPT while the .refuse file exists, else None."""
    path = os.path.join(spool, ".refuse")
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            code = f.read().strip()[:3]
    except FileNotFoundError:
        return None
    except OSError:
        code = ""
    if len(code) == 3 and code.isdigit() and code[0] in "45":
        enh = "4.3.0" if code[0] == "4" else "5.7.1"
        return "%s %s Refused by the local test server (%s exists)" % (code, enh, ".refuse")
    return "451 4.3.0 Refused for now by the local test server (.refuse exists)"


class SpoolHandler:
    """aiosmtpd handler: RCPT refusal switch, DATA -> .eml file + index line."""

    def __init__(self, spool):
        self.spool = spool
        self.seq = 0
        os.makedirs(spool, exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        r = refusal(self.spool)
        if r:
            log("rcpt refused", reply=r[:3])
            return r
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        t_ns = time.time_ns()
        self.seq += 1
        name = "%d-%04d.eml" % (t_ns, self.seq)
        tmp = os.path.join(self.spool, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(raw)
        os.replace(tmp, os.path.join(self.spool, name))
        hdrs = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        rec = {"file": name, "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
               "message_id": (hdrs.get("Message-ID") or "").strip() or None, "time_ns": t_ns,
               "size": len(raw), "tls": bool(session.ssl)}
        if session.auth_data is not None:
            rec["auth_user"] = session.auth_data
        with open(os.path.join(self.spool, "index.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
        # Never log the content; the Message-ID is derived from a notification id.
        log("message", file=name, rcpts=len(rec["rcpt_tos"]), message_id=rec["message_id"], size=len(raw))
        return "250 2.0.0 Message accepted for delivery"


class Authenticator:
    """Accepts exactly one login (constant-time comparison)."""

    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = hmac.compare_digest(auth_data.login, self.user) & hmac.compare_digest(auth_data.password, self.password)
        log("auth", mechanism=mechanism, ok=bool(ok))
        if not ok:
            return AuthResult(success=False, handled=False)  # aiosmtpd answers 535
        return AuthResult(success=True, auth_data=auth_data.login.decode("utf-8", "replace"))


def main():
    local = os.environ.get("PRAHARI_LOCAL") or ""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=int(os.environ.get("PRAHARI_SMTP_PORT") or 18025))
    ap.add_argument("--spool", default=os.environ.get("PRAHARI_SMTP_SPOOL"))
    ap.add_argument("--cert", default=os.environ.get("PRAHARI_SMTP_TLS_CERT") or os.path.join(local, "tls", "server.pem"))
    ap.add_argument("--key", default=os.environ.get("PRAHARI_SMTP_TLS_KEY") or os.path.join(local, "tls", "server.key"))
    ap.add_argument("--auth-user", default=os.environ.get("PRAHARI_SMTP_USER") or None)
    ap.add_argument("--auth-password-file", default=os.environ.get("PRAHARI_SMTP_PASSWORD_FILE") or None)
    a = ap.parse_args()
    auth = {}
    if a.auth_user and a.auth_password_file:
        try:
            with open(a.auth_password_file, encoding="utf-8") as f:
                password = f.read().strip()
        except OSError as e:
            sys.exit("smtp_server: PRAHARI_SMTP_PASSWORD_FILE: %s" % e)
        if not password:
            sys.exit("smtp_server: PRAHARI_SMTP_PASSWORD_FILE: %s is empty" % a.auth_password_file)
        auth = {"authenticator": Authenticator(a.auth_user, password), "auth_required": True,
                "auth_require_tls": True}
    if not a.spool:
        sys.exit("smtp_server: PRAHARI_SMTP_SPOOL (or --spool) is required")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(a.cert, a.key)
    except (OSError, ssl.SSLError) as e:
        sys.exit("smtp_server: PRAHARI_SMTP_TLS_CERT/PRAHARI_SMTP_TLS_KEY (%s, %s): %s "
                 "(run deploy/local/make-tls.sh)" % (a.cert, a.key, e))

    ctl = Controller(SpoolHandler(a.spool), hostname="127.0.0.1", port=a.port,
                     server_hostname="localhost", ident="Prahari local SMTP (aiosmtpd)",
                     tls_context=ctx, require_starttls=True, enable_SMTPUTF8=True,
                     data_size_limit=10 * 1024 * 1024, **auth)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda s, f: stop.set())
    signal.signal(signal.SIGINT, lambda s, f: stop.set())
    ctl.start()
    log("ready", address="127.0.0.1:%d" % a.port, starttls="required", spool=a.spool,
        auth=("required for " + a.auth_user) if auth else "off")
    while not stop.wait(0.5):
        pass
    ctl.stop()
    log("stopped")


if __name__ == "__main__":
    main()
