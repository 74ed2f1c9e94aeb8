#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Local SMS gateway for the Prahari stack: the `json` and `form-get` profiles
of ../shared/spec/delivery-v1.md, over plain HTTP on loopback.

It records every request as one JSON line (PRAHARI_SMSGW_RECORD), deduplicates
on client_ref like the reference gateway (the same client_ref gets the same
message_id and is recorded with "dedup": true, not as a second message), can
post delivery reports back (PRAHARI_SMSGW_DLR_URL), and can be told to fail:

  POST /v1/messages   json profile: Authorization: Bearer <token>, JSON body
  GET  /form?...      form-get profile (username, pin, message, mnumber,
                      signature, dlt_entity_id, dlt_template_id, msgType=UC|PM)
  POST /_control      {"mode":"ok"|"fail5xx"|"fail4xx"|"timeout"|"slow",
                       "delay_ms":N, "count":N, "dlr_status":"DELIVRD"|...}
                      count = how many requests the mode applies to, then back
                      to ok (0 or absent = until changed). Answers the state.
  GET  /_control      the current state
  GET  /_record       every record in the record file, as a JSON array
  GET  /healthz       ok

Modes: fail5xx answers 503 and keeps nothing; fail4xx answers 400 (a
permanent refusal); slow waits delay_ms (default 2000) then works normally;
timeout ACCEPTS the message (records it, dedup applies) but waits delay_ms
(default 15000) and closes the connection without an answer: the lost answer
that client_ref deduplication exists for.

Record line: {"time_ns", "profile", "method", "path", "status", "accepted",
"dedup", "message_id", "mode", "to", "sender", "text", "unicode",
"dlt_entity_id", "dlt_template_id", "client_ref", "encoding", "parts",
"dlt_match", "error"} (fields that do not apply are null). Accepted messages
whose answer was lost have "answered": false.

The operator's DLT check (optional, PRAHARI_SMSGW_DLT_FILE: the deployment's
template file, {PUBLIC_URL} replaced by PRAHARI_PUBLIC_URL): like a real
operator, the gateway accepts the message but the operator rejects a text
that does not match its registered template (same entity id and sender, the
fixed text exact, each {#var#} at most 30 characters). Such a message is
recorded with "dlt_match": false, and its delivery report says REJECTD.

Settings (environment, or the matching --option): PRAHARI_SMSGW_PORT (18080),
PRAHARI_SMSGW_RECORD, PRAHARI_SMS_TOKEN_FILE (the bearer token; also the
form-get pin), PRAHARI_SMSGW_FORM_USERNAME (prahari), PRAHARI_SMSGW_DLR_URL
(unset: no reports), PRAHARI_SMSGW_DLR_DELAY_MS (300),
PRAHARI_SMS_CALLBACK_TOKEN_FILE (if set, reports carry Authorization: Bearer
<its content>, as the notifier then requires), PRAHARI_SMSGW_DLT_FILE
(unset: no template check) with PRAHARI_PUBLIC_URL.
Standard library only; run with Debian's /usr/bin/python3.
"""
import argparse
import datetime
import hmac
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "fail5xx", "fail4xx", "timeout", "slow")
DLR_STATUSES = ("DELIVRD", "UNDELIV", "EXPIRED", "REJECTD")
DEFAULT_DELAY_MS = {"timeout": 15000, "slow": 2000}
MAX_BODY = 64 * 1024
MAX_PARTS = 10

# GSM 03.38 default alphabet and its extension table (which costs 2 septets).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = set("^{}\\[]~|€\f")
MOBILE_RE = re.compile(r"^\+91[0-9]{10}$")
SENDER_RE = re.compile(r"^[A-Z]{6}$")


def log(msg, **kw):
    """One JSON line on stderr (never the SMS text)."""
    rec = {"ts": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
           "svc": "smsgw", "msg": msg}
    rec.update(kw)
    sys.stderr.write(json.dumps(rec) + "\n")
    sys.stderr.flush()


def sms_parts(text):
    """(encoding, parts) of an SMS text per the spec's rules: GSM-7 160/153
    septets (extension characters count twice), else UCS-2 70/67 characters
    (counted in UTF-16 code units)."""
    if all(c in GSM7_BASIC or c in GSM7_EXT for c in text):
        n = sum(2 if c in GSM7_EXT else 1 for c in text)
        return "gsm7", (1 if n <= 160 else -(-n // 153))
    n = len(text.encode("utf-16-le")) // 2
    return "ucs2", (1 if n <= 70 else -(-n // 67))


def rfc3339_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DltRegistry:
    """The operator's view of registered DLT templates: id -> (entity, sender, regex)."""

    VAR = "{#var#}"
    MAX_VAR = 30

    def __init__(self, path, public_url):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        self.entity_id = doc["entity_id"]
        self.sender = doc["sender"]
        self.templates = {}
        for t in doc["templates"]:
            text = t["text"].replace("{PUBLIC_URL}", public_url.rstrip("/"))
            fixed = [re.escape(part) for part in text.split(self.VAR)]
            rx = ("(.{0,%d})" % self.MAX_VAR).join(fixed)
            self.templates[t["template_id"]] = re.compile(rx, re.DOTALL)

    def check(self, entity_id, template_id, sender, text):
        """None if the operator would deliver the text, else the reason."""
        if entity_id != self.entity_id:
            return "unknown DLT entity id"
        if sender != self.sender:
            return "sender not registered for the entity"
        rx = self.templates.get(template_id)
        if rx is None:
            return "unknown DLT template id"
        if not rx.fullmatch(text or ""):
            return "text does not match its template"
        return None


class Gateway:
    """The gateway's state: settings, injected mode, dedup table, record file."""

    def __init__(self, record_path, token, form_username, dlr_url, dlr_delay_ms, dlt=None,
                 dlr_token=None):
        self.dlt = dlt
        self.dlr_token = dlr_token
        self.record_path = record_path
        self.token = token
        self.form_username = form_username
        self.dlr_url = dlr_url
        self.dlr_delay_ms = dlr_delay_ms
        self.lock = threading.Lock()
        self.mode, self.delay_ms, self.count, self.dlr_status = "ok", 0, 0, "DELIVRD"
        self.by_ref = {}  # client_ref -> message_id
        self.accepted = 0
        d = os.path.dirname(record_path)
        if d:
            os.makedirs(d, exist_ok=True)
        # Dedup survives a restart, like a real gateway's: rebuild it from the record.
        for rec in self.records():
            if rec.get("accepted") and not rec.get("dedup") and rec.get("client_ref"):
                self.by_ref[rec["client_ref"]] = rec["message_id"]

    # -- record file
    def records(self):
        out = []
        if os.path.exists(self.record_path):
            with open(self.record_path, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if line:
                        try:
                            out.append(json.loads(line))
                        except ValueError:
                            pass  # a torn line from a crash; skip it
        return out

    def record(self, rec):
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with self.lock:
            with open(self.record_path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()

    # -- failure injection
    def control(self, body):
        # Without "mode" the current mode, delay and count are kept.
        with self.lock:
            cur = (self.mode, self.delay_ms, self.count, self.dlr_status)
        mode = body.get("mode", cur[0])
        if mode not in MODES:
            raise ValueError("mode must be one of " + ", ".join(MODES))
        delay = body.get("delay_ms", DEFAULT_DELAY_MS.get(mode, 0) if "mode" in body else cur[1])
        count = body.get("count", 0 if "mode" in body else cur[2])
        dlr = body.get("dlr_status", cur[3])
        for name, v in (("delay_ms", delay), ("count", count)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(name + " must be a non-negative integer")
        if dlr not in DLR_STATUSES:
            raise ValueError("dlr_status must be one of " + ", ".join(DLR_STATUSES))
        with self.lock:
            self.mode, self.delay_ms, self.count, self.dlr_status = mode, delay, count, dlr
        log("control", mode=mode, delay_ms=delay, count=count, dlr_status=dlr)
        return self.state()

    def state(self):
        with self.lock:
            return {"mode": self.mode, "delay_ms": self.delay_ms, "count": self.count,
                    "dlr_status": self.dlr_status, "accepted": self.accepted,
                    "client_refs": len(self.by_ref)}

    def take_mode(self):
        """The mode for this request; counts it down when a count was given."""
        with self.lock:
            mode, delay = self.mode, self.delay_ms
            if mode != "ok" and self.count > 0:
                self.count -= 1
                if self.count == 0:
                    self.mode, self.delay_ms = "ok", 0
            return mode, delay

    # -- messages
    def accept(self, client_ref):
        """(message_id, dedup) for a valid message."""
        with self.lock:
            if client_ref and client_ref in self.by_ref:
                return self.by_ref[client_ref], True
            mid = "gw-" + uuid.uuid4().hex
            if client_ref:
                self.by_ref[client_ref] = mid
            self.accepted += 1
            return mid, False

    def send_dlr(self, message_id, client_ref, rejected=False):
        if not self.dlr_url:
            return
        status = "REJECTD" if rejected else self.dlr_status

        def post():
            body = json.dumps({"message_id": message_id, "client_ref": client_ref,
                               "status": status, "at": rfc3339_now()}).encode()
            hdrs = {"Content-Type": "application/json"}
            if self.dlr_token:
                hdrs["Authorization"] = "Bearer " + self.dlr_token
            req = urllib.request.Request(self.dlr_url, data=body, method="POST", headers=hdrs)
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    log("dlr sent", message_id=message_id, status=status, http=r.status)
            except (urllib.error.URLError, OSError) as e:
                log("dlr failed", message_id=message_id, error=str(e))

        t = threading.Timer(self.dlr_delay_ms / 1000.0, post)
        t.daemon = True
        t.start()


def validate_json(body):
    """Field errors of a json-profile body: (field, problem) or None."""
    if not isinstance(body, dict):
        return ("body", "must be a JSON object")
    to = body.get("to")
    if not isinstance(to, str) or not MOBILE_RE.match(to):
        return ("to", "must be +91 followed by 10 digits")
    if not isinstance(body.get("sender"), str) or not SENDER_RE.match(body["sender"]):
        return ("sender", "must be 6 capital letters")
    text = body.get("text")
    if not isinstance(text, str) or not text:
        return ("text", "must be a non-empty string")
    if not isinstance(body.get("unicode"), bool):
        return ("unicode", "must be true or false")
    for f in ("dlt_entity_id", "dlt_template_id", "client_ref"):
        v = body.get(f)
        if not isinstance(v, str) or not v.strip() or len(v) > 64:
            return (f, "must be a non-empty string of at most 64 characters")
    enc, parts = sms_parts(text)
    if enc == "ucs2" and not body["unicode"]:
        return ("unicode", "text has characters outside GSM-7; unicode must be true")
    if parts > MAX_PARTS:
        return ("text", "longer than %d parts" % MAX_PARTS)
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "prahari-smsgw/1"
    # Headers and body go out as two writes: with Nagle's algorithm on, a kept-alive
    # client waits ~40 ms for the delayed ACK on every request.
    disable_nagle_algorithm = True
    gw = None  # set in main

    def log_message(self, fmt, *args):  # quiet default access log
        pass

    def answer(self, status, obj, ctype="application/json"):
        data = (json.dumps(obj) if ctype == "application/json" else obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/") else ""))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n) if n else b""

    def base_record(self, t_ns, profile, mode):
        return {"time_ns": t_ns, "profile": profile, "method": self.command,
                "path": urllib.parse.urlsplit(self.path).path, "status": None, "accepted": False,
                "dedup": False, "message_id": None, "mode": mode, "to": None, "sender": None,
                "text": None, "unicode": None, "dlt_entity_id": None, "dlt_template_id": None,
                "client_ref": None, "encoding": None, "parts": None, "dlt_match": None,
                "error": None}

    # ---------------------------------------------------------------- routes
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/healthz":
            return self.answer(200, {"status": "ok"})
        if url.path == "/_record":
            return self.answer(200, self.gw.records())
        if url.path == "/_control":
            return self.answer(200, self.gw.state())
        if url.path == "/form":
            return self.form_get(url.query)
        return self.answer(404, {"error": "not_found"})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_control":
            try:
                body = json.loads(self.read_body() or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("body must be a JSON object")
                return self.answer(200, self.gw.control(body))
            except ValueError as e:
                return self.answer(400, {"error": "invalid", "detail": str(e)})
        if url.path == "/v1/messages":
            return self.post_message()
        return self.answer(404, {"error": "not_found"})

    def injected(self, rec, mode, delay_ms, form):
        """Apply fail5xx / fail4xx / slow. Returns True if answered."""
        if mode == "slow":
            time.sleep(delay_ms / 1000.0)
        elif mode in ("fail5xx", "fail4xx"):
            status = 503 if mode == "fail5xx" else 400
            rec.update(status=status, error="injected " + mode)
            self.gw.record(rec)
            if form and mode == "fail4xx":
                self.answer(200, "Error: rejected (injected)\n", "text/plain")
            else:
                self.answer(status, {"error": "unavailable" if status == 503 else "rejected",
                                     "detail": "injected"})
            return True
        return False

    def finish_accepted(self, rec, mode, delay_ms, ok_status, ok_body, ctype="application/json"):
        """Record an accepted message and answer it (or lose the answer)."""
        mid, dedup = self.gw.accept(rec["client_ref"])
        rec.update(accepted=True, dedup=dedup, message_id=mid, status=ok_status)
        if self.gw.dlt is not None:
            why = self.gw.dlt.check(rec["dlt_entity_id"], rec["dlt_template_id"], rec["sender"], rec["text"])
            rec["dlt_match"] = why is None
            if why:
                rec["error"] = "operator: " + why
        if mode == "timeout":
            rec["answered"] = False
        self.gw.record(rec)
        log("message", profile=rec["profile"], client_ref=rec["client_ref"], message_id=mid,
            dedup=dedup, mode=mode)
        if not dedup:
            self.gw.send_dlr(mid, rec["client_ref"], rejected=rec["dlt_match"] is False)
        if mode == "timeout":
            time.sleep(delay_ms / 1000.0)
            self.close_connection = True
            return
        self.answer(ok_status, ok_body(mid), ctype)

    def post_message(self):
        t_ns = time.time_ns()
        mode, delay_ms = self.gw.take_mode()
        rec = self.base_record(t_ns, "json", mode)
        try:
            raw = self.read_body()
        except ValueError:
            rec.update(status=413, error="body too large")
            self.gw.record(rec)
            self.close_connection = True
            return self.answer(413, {"error": "too_large"})
        auth = self.headers.get("Authorization") or ""
        want = "Bearer " + self.gw.token
        if not hmac.compare_digest(auth.encode(), want.encode()):
            rec.update(status=401, error="bad or missing bearer token")
            self.gw.record(rec)
            return self.answer(401, {"error": "unauthorized"})
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            rec.update(status=415, error="Content-Type must be application/json")
            self.gw.record(rec)
            return self.answer(415, {"error": "unsupported_media_type"})
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            rec.update(status=400, error="body is not JSON")
            self.gw.record(rec)
            return self.answer(400, {"error": "invalid", "field": "body", "detail": "not JSON"})
        if isinstance(body, dict):
            for f in ("to", "sender", "text", "unicode", "dlt_entity_id", "dlt_template_id", "client_ref"):
                v = body.get(f)
                rec[f] = v if isinstance(v, (str, bool)) else None
            if isinstance(body.get("text"), str):
                rec["encoding"], rec["parts"] = sms_parts(body["text"])
        bad = validate_json(body)
        if bad:
            rec.update(status=400, error="%s: %s" % bad)
            self.gw.record(rec)
            return self.answer(400, {"error": "invalid", "field": bad[0], "detail": bad[1]})
        if self.injected(rec, mode, delay_ms, form=False):
            return
        self.finish_accepted(rec, mode, delay_ms, 200, lambda mid: {"message_id": mid})

    def form_get(self, query):
        t_ns = time.time_ns()
        mode, delay_ms = self.gw.take_mode()
        rec = self.base_record(t_ns, "form-get", mode)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        text = q.get("message")
        mnumber = q.get("mnumber") or ""
        rec.update(to=("+" + mnumber) if mnumber else None, sender=q.get("signature"), text=text,
                   unicode=(q.get("msgType") == "UC") if q.get("msgType") else None,
                   dlt_entity_id=q.get("dlt_entity_id"), dlt_template_id=q.get("dlt_template_id"))
        if text:
            rec["encoding"], rec["parts"] = sms_parts(text)
        err = None
        if q.get("username") != self.gw.form_username or not hmac.compare_digest(
                (q.get("pin") or "").encode(), self.gw.token.encode()):
            err = "Invalid Username or Pin"
        elif not re.match(r"^91[0-9]{10}$", mnumber):
            err = "Invalid Mobile Number"
        elif not text:
            err = "Empty Message"
        elif not q.get("signature") or not SENDER_RE.match(q["signature"]):
            err = "Invalid Sender ID"
        elif not q.get("dlt_entity_id") or not q.get("dlt_template_id"):
            err = "DLT Entity ID or Template ID missing"
        elif q.get("msgType") not in ("UC", "PM"):
            err = "Invalid msgType"
        elif rec["encoding"] == "ucs2" and q["msgType"] != "UC":
            err = "Unicode text needs msgType=UC"
        if err:
            rec.update(status=200, error=err)
            self.gw.record(rec)
            return self.answer(200, "Error: " + err + "\n", "text/plain")
        if self.injected(rec, mode, delay_ms, form=True):
            return
        self.finish_accepted(rec, mode, delay_ms, 200,
                             lambda mid: "Message Accepted for Request ID=%s\n" % mid, "text/plain")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=int(os.environ.get("PRAHARI_SMSGW_PORT") or 18080))
    ap.add_argument("--record", default=os.environ.get("PRAHARI_SMSGW_RECORD"))
    ap.add_argument("--token-file", default=os.environ.get("PRAHARI_SMS_TOKEN_FILE"))
    ap.add_argument("--form-username", default=os.environ.get("PRAHARI_SMSGW_FORM_USERNAME") or "prahari")
    ap.add_argument("--dlr-url", default=os.environ.get("PRAHARI_SMSGW_DLR_URL") or None)
    ap.add_argument("--dlr-token-file", default=os.environ.get("PRAHARI_SMS_CALLBACK_TOKEN_FILE") or None)
    ap.add_argument("--dlt-file", default=os.environ.get("PRAHARI_SMSGW_DLT_FILE") or None)
    ap.add_argument("--public-url", default=os.environ.get("PRAHARI_PUBLIC_URL") or "http://127.0.0.1:8084")
    ap.add_argument("--dlr-delay-ms", type=int, default=int(os.environ.get("PRAHARI_SMSGW_DLR_DELAY_MS") or 300))
    a = ap.parse_args()
    if not a.record:
        sys.exit("sms_gateway: PRAHARI_SMSGW_RECORD (or --record) is required")
    if not a.token_file:
        sys.exit("sms_gateway: PRAHARI_SMS_TOKEN_FILE (or --token-file) is required")
    try:
        with open(a.token_file, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as e:
        sys.exit("sms_gateway: PRAHARI_SMS_TOKEN_FILE: %s" % e)
    if not token:
        sys.exit("sms_gateway: PRAHARI_SMS_TOKEN_FILE: %s is empty" % a.token_file)

    dlt = None
    if a.dlt_file and not os.path.exists(a.dlt_file):
        log("warning: PRAHARI_SMSGW_DLT_FILE %s does not exist: no DLT template check" % a.dlt_file)
    elif a.dlt_file:
        try:
            dlt = DltRegistry(a.dlt_file, a.public_url)
        except (OSError, ValueError, KeyError) as e:
            sys.exit("sms_gateway: PRAHARI_SMSGW_DLT_FILE: %s: %s" % (a.dlt_file, e))
    dlr_token = None
    if a.dlr_token_file:
        try:
            with open(a.dlr_token_file, encoding="utf-8") as f:
                dlr_token = f.read().strip() or None
        except OSError as e:
            sys.exit("sms_gateway: PRAHARI_SMS_CALLBACK_TOKEN_FILE: %s" % e)
    Handler.gw = Gateway(a.record, token, a.form_username, a.dlr_url, a.dlr_delay_ms, dlt, dlr_token)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("ready", url="http://127.0.0.1:%d/v1/messages" % a.port, record=a.record,
        dlr_url=a.dlr_url, dlr_auth=bool(dlr_token), dlt_templates=len(dlt.templates) if dlt else 0,
        known_client_refs=len(Handler.gw.by_ref))
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()
    log("stopped")


if __name__ == "__main__":
    main()
