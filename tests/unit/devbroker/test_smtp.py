#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Integration test of deploy/local/smtp_server.py and make-tls.sh (ctest
stack_smtp): makes a throwaway CA and server certificate, starts the real
aiosmtpd server on a spare port, and checks that mail without STARTTLS is
refused, that a message sent over verified STARTTLS lands byte for byte in
the spool with its index line, that the .refuse switch answers 451 (or the
code in the file) to RCPT and that removing it restores delivery, optional
AUTH (530 without, 535 when wrong), and a clean exit on SIGTERM.  usage: test_smtp.py PATH/smtp_server.py PATH/make-tls.sh [PORT]
(default: a free port)"""
import json
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


SRV, MKTLS = sys.argv[1], sys.argv[2]
PORT = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "0" else free_port()
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("CHECK failed:", what, file=sys.stderr)


def wait_port(proc):
    for _ in range(200):
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def index(spool):
    path = os.path.join(spool, "index.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    tmp = tempfile.mkdtemp(prefix="smtp-test.")
    tls, spool = os.path.join(tmp, "tls"), os.path.join(tmp, "spool")
    r = subprocess.run([MKTLS, tls], capture_output=True, text=True)
    check(r.returncode == 0, "make-tls.sh: %s" % r.stderr)
    before = os.stat(os.path.join(tls, "ca.pem")).st_mtime_ns
    r = subprocess.run([MKTLS, tls], capture_output=True, text=True)
    check(r.returncode == 0 and "already" in r.stdout, "make-tls.sh is idempotent: %s" % r.stdout)
    check(os.stat(os.path.join(tls, "ca.pem")).st_mtime_ns == before, "CA kept on re-run")
    check(oct(os.stat(os.path.join(tls, "server.key")).st_mode & 0o777) == "0o600", "key mode 600")

    log = open(os.path.join(tmp, "smtp.log"), "ab")
    p = subprocess.Popen([sys.executable, SRV, "--port", str(PORT), "--spool", spool,
                          "--cert", os.path.join(tls, "server.pem"), "--key", os.path.join(tls, "server.key")],
                         stdout=log, stderr=log)
    check(wait_port(p), "SMTP server listens on %d" % PORT)

    # 1. without STARTTLS: refused
    s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
    try:
        s.sendmail("a@partner.example", ["sp.kota@police.example"], b"Subject: x\r\n\r\nx\r\n")
        check(False, "plain-text mail must be refused")
    except smtplib.SMTPSenderRefused as e:
        check(e.smtp_code == 530, "530 before STARTTLS (got %s)" % e.smtp_code)
    s.quit()

    # 2. over STARTTLS verified against our CA (hostname 127.0.0.1 via the SAN)
    ctx = ssl.create_default_context(cafile=os.path.join(tls, "ca.pem"))
    raw = ("From: Prahari <prahari-alerts@police.example>\r\nTo: sp.kota@police.example\r\n"
           "Message-ID: <notif-42@prahari.example>\r\nSubject: =?utf-8?b?4KSF4KSy4KSw4KWN4KSf?=\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nK7Q2XM critical\r\n.leading dot\r\nजयपुर\r\n").encode()
    s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
    s.starttls(context=ctx)
    refused = s.sendmail("prahari-alerts@police.example", ["sp.kota@police.example", "cr.kota@police.example"], raw)
    s.quit()
    check(refused == {}, "both recipients accepted")
    idx = index(spool)
    check(len(idx) == 1, "one index line (%d)" % len(idx))
    if idx:
        rec = idx[0]
        check(rec["rcpt_tos"] == ["sp.kota@police.example", "cr.kota@police.example"], "rcpt_tos %s" % rec["rcpt_tos"])
        check(rec["mail_from"] == "prahari-alerts@police.example", "mail_from")
        check(rec["message_id"] == "<notif-42@prahari.example>", "message_id %s" % rec["message_id"])
        check(rec["tls"] is True and rec["time_ns"] > 1.7e18, "tls and time_ns")
        with open(os.path.join(spool, rec["file"]), "rb") as f:
            got = f.read()
        check(got == raw, "spooled bytes equal the sent message (dot-unstuffed)")

    # 3. refusal switch: 451 by default, the file's code otherwise, then back to normal
    for content, code in (("", 451), ("550\n", 550)):
        with open(os.path.join(spool, ".refuse"), "w") as f:
            f.write(content)
        s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
        s.starttls(context=ctx)
        try:
            s.sendmail("prahari-alerts@police.example", ["sp.kota@police.example"], raw)
            check(False, "RCPT must be refused while .refuse exists")
        except smtplib.SMTPRecipientsRefused as e:
            got = e.recipients["sp.kota@police.example"][0]
            check(got == code, ".refuse %r -> %d (got %s)" % (content, code, got))
        s.quit()
    os.unlink(os.path.join(spool, ".refuse"))
    s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
    s.starttls(context=ctx)
    check(s.sendmail("prahari-alerts@police.example", ["sp.kota@police.example"], raw) == {}, "accepted again")
    s.quit()
    check(len(index(spool)) == 2, "refused attempts leave no message; 2 in total")
    check(len([n for n in os.listdir(spool) if n.endswith(".eml")]) == 2, "2 .eml files")

    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    check(rc == 0, "exit 0 on SIGTERM (got %r)" % rc)

    # 4. with AUTH configured: required after STARTTLS, wrong password 535, right one accepted
    with open(os.path.join(tmp, "smtp_pw"), "w") as f:
        f.write("s3cret-pw\n")
    p = subprocess.Popen([sys.executable, SRV, "--port", str(PORT), "--spool", spool,
                          "--cert", os.path.join(tls, "server.pem"), "--key", os.path.join(tls, "server.key"),
                          "--auth-user", "prahari-notifier", "--auth-password-file", os.path.join(tmp, "smtp_pw")],
                         stdout=log, stderr=log)
    check(wait_port(p), "SMTP server with AUTH listens")
    s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
    s.starttls(context=ctx)
    try:
        s.sendmail("prahari-alerts@police.example", ["sp.kota@police.example"], raw)
        check(False, "mail without AUTH must be refused")
    except smtplib.SMTPSenderRefused as e:
        check(e.smtp_code == 530, "530 without AUTH (got %s)" % e.smtp_code)
    s.quit()
    s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
    s.starttls(context=ctx)
    try:
        s.login("prahari-notifier", "wrong")
        check(False, "wrong password must be refused")
    except smtplib.SMTPAuthenticationError as e:
        check(e.smtp_code == 535, "535 for a wrong password (got %s)" % e.smtp_code)
    s.quit()
    s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
    s.starttls(context=ctx)
    s.login("prahari-notifier", "s3cret-pw")
    check(s.sendmail("prahari-alerts@police.example", ["sp.kota@police.example"], raw) == {}, "accepted after AUTH")
    s.quit()
    last = index(spool)[-1]
    check(len(index(spool)) == 3 and last.get("auth_user") == "prahari-notifier", "index records the login: %s" % last)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    check(rc == 0, "exit 0 on SIGTERM (AUTH run)")

    print("stack_smtp: %d passed, %d failed" % (passed, failed))
    if failed == 0:
        subprocess.run(["rm", "-rf", tmp])
    else:
        print("kept", tmp)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
