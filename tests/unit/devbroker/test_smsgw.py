#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Integration test of deploy/local/sms_gateway.py (ctest stack_smsgw): starts
the real gateway on a spare port with its own record file and checks bearer
auth, validation naming the field, client_ref deduplication (also across a
restart), GSM-7/UCS-2 part counting, every failure-injection mode with its
count, delivery reports posted back, the form-get profile, /_record, and a
clean exit on SIGTERM.  usage: test_smsgw.py PATH/sms_gateway.py [PORT]
(default: a free port)"""
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


GW = sys.argv[1]
PORT = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "0" else free_port()
TOKEN = "test-token-5d1e"
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("CHECK failed:", what, file=sys.stderr)


def req(method, path, body=None, token=TOKEN, ctype="application/json", timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    h = {}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if body is not None:
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        h["Content-Type"] = ctype
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read().decode()
    c.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data


def msg(ref, text="K7Q2XM critical Kota instagram http://127.0.0.1:8084/a/x", to="+919000012345", **kw):
    b = {"to": to, "sender": "PRHARI", "text": text, "unicode": False,
         "dlt_entity_id": "1101000000000001", "dlt_template_id": "1107000000000001", "client_ref": ref}
    b.update(kw)
    return b


def wait_port(proc):
    for _ in range(100):
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def start(tmp, extra=()):
    log = open(os.path.join(tmp, "gw.log"), "ab")
    p = subprocess.Popen([sys.executable, GW, "--port", str(PORT), "--record", os.path.join(tmp, "rec.jsonl"),
                          "--token-file", os.path.join(tmp, "token")] + list(extra),
                         stdout=log, stderr=log, env={k: v for k, v in os.environ.items()
                                                      if not k.startswith("PRAHARI_SMSGW")})
    check(wait_port(p), "gateway listens on %d" % PORT)
    return p


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    check(rc == 0, "gateway exits 0 on SIGTERM (got %r)" % rc)


def records(tmp):
    with open(os.path.join(tmp, "rec.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


class DlrSink(http.server.BaseHTTPRequestHandler):
    got = []
    auth = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        DlrSink.auth.append(self.headers.get("Authorization"))
        DlrSink.got.append((self.path, json.loads(self.rfile.read(n))))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def main():
    tmp = tempfile.mkdtemp(prefix="smsgw-test.")
    with open(os.path.join(tmp, "token"), "w") as f:
        f.write(TOKEN + "\n")  # the trailing newline is not part of the token
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DlrSink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    dlr_url = "http://127.0.0.1:%d/v1/sms/dlr" % sink.server_address[1]

    p = start(tmp, ["--dlr-url", dlr_url, "--dlr-delay-ms", "50"])

    # --- auth and validation
    st, _ = req("POST", "/v1/messages", msg("r0"), token=None)
    check(st == 401, "no token -> 401 (%s)" % st)
    st, _ = req("POST", "/v1/messages", msg("r0"), token="wrong")
    check(st == 401, "wrong token -> 401 (%s)" % st)
    st, _ = req("POST", "/v1/messages", json.dumps(msg("r0")), ctype="text/plain")
    check(st == 415, "text/plain body -> 415 (%s)" % st)
    for body, field in ((msg("r0", to="9000012345"), "to"), (msg("r0", sender="PRAHARI1"), "sender"),
                        (msg("r0", text=""), "text"), (msg("r0", client_ref=""), "client_ref"),
                        (msg("r0", unicode="no"), "unicode"), (msg("r0", dlt_template_id=None), "dlt_template_id"),
                        (msg("r0", text="अलर्ट K7Q2XM"), "unicode")):
        st, b = req("POST", "/v1/messages", body)
        check(st == 400 and isinstance(b, dict) and b.get("field") == field,
              "invalid %s -> 400 naming it (%s %s)" % (field, st, b))
    st, b = req("POST", "/v1/messages", "{not json")
    check(st == 400 and b.get("field") == "body", "not JSON -> 400 body (%s)" % st)

    # --- dedup on client_ref
    st1, b1 = req("POST", "/v1/messages", msg("notif-1"))
    st2, b2 = req("POST", "/v1/messages", msg("notif-1"))
    st3, b3 = req("POST", "/v1/messages", msg("notif-2"))
    check(st1 == 200 and st2 == 200 and st3 == 200, "accepted: %s %s %s" % (st1, st2, st3))
    check(b1["message_id"] == b2["message_id"], "same client_ref -> same message_id")
    check(b1["message_id"] != b3["message_id"], "other client_ref -> other message_id")
    recs = [r for r in records(tmp) if r["client_ref"] in ("notif-1", "notif-2")]
    check([r["dedup"] for r in recs] == [False, True, False], "dedup flags %s" % [r["dedup"] for r in recs])
    check(all(r["accepted"] and r["time_ns"] > 1.7e18 for r in recs), "accepted with time_ns")
    check(recs[0]["text"].startswith("K7Q2XM") and recs[0]["to"] == "+919000012345", "record holds the request")
    rejected = [r for r in records(tmp) if not r["accepted"]]
    check(len(rejected) == 11 and all(r["status"] in (400, 401, 415) for r in rejected),
          "every refused request recorded, not accepted (%d)" % len(rejected))

    # --- part counting (spec text rules)
    cases = [("A" * 160, False, "gsm7", 1), ("A" * 161, False, "gsm7", 2), ("€" * 80, False, "gsm7", 1),
             ("€" * 81, False, "gsm7", 2), ("क" * 70, True, "ucs2", 1), ("क" * 71, True, "ucs2", 2)]
    for i, (text, uni, enc, parts) in enumerate(cases):
        st, _ = req("POST", "/v1/messages", msg("parts-%d" % i, text=text, unicode=uni))
        r = [x for x in records(tmp) if x["client_ref"] == "parts-%d" % i][0]
        check(st == 200 and r["encoding"] == enc and r["parts"] == parts,
              "%d x %r: %s/%s, want %s/%s" % (len(text), text[0], r["encoding"], r["parts"], enc, parts))

    # --- delivery reports: one per message, none for the duplicate
    time.sleep(0.5)
    dl = [b for path, b in DlrSink.got if b["client_ref"] in ("notif-1", "notif-2")]
    check(len(dl) == 2, "2 DLRs for notif-1/2, got %d" % len(dl))
    check(all(path == "/v1/sms/dlr" for path, _ in DlrSink.got), "DLR path")
    check(all(a is None for a in DlrSink.auth), "no Authorization without a callback token")
    d1 = [b for b in dl if b["client_ref"] == "notif-1"]
    check(d1 and d1[0]["message_id"] == b1["message_id"] and d1[0]["status"] == "DELIVRD"
          and d1[0]["at"].endswith("Z"), "DLR body %s" % d1)

    # --- failure injection
    st, b = req("POST", "/_control", {"mode": "bogus"})
    check(st == 400, "unknown mode -> 400")
    st, b = req("POST", "/_control", {"mode": "fail5xx", "count": 2})
    check(st == 200 and b["mode"] == "fail5xx" and b["count"] == 2, "control answer %s" % b)
    sts = [req("POST", "/v1/messages", msg("inj-5"))[0] for _ in range(3)]
    check(sts == [503, 503, 200], "fail5xx x2 then ok: %s" % sts)
    req("POST", "/_control", {"mode": "fail4xx", "count": 1})
    sts = [req("POST", "/v1/messages", msg("inj-4"))[0] for _ in range(2)]
    check(sts == [400, 200], "fail4xx x1 then ok: %s" % sts)
    inj = [r for r in records(tmp) if r["client_ref"] in ("inj-5", "inj-4")]
    check([r["accepted"] for r in inj] == [False, False, True, False, True], "injected failures not accepted")
    check([r["dedup"] for r in inj if r["accepted"]] == [False, False], "first accepted one is not a dup")

    req("POST", "/_control", {"mode": "slow", "delay_ms": 400, "count": 1})
    t = time.monotonic()
    st, _ = req("POST", "/v1/messages", msg("slow-1"))
    check(st == 200 and time.monotonic() - t >= 0.4, "slow waits delay_ms")

    req("POST", "/_control", {"mode": "timeout", "delay_ms": 500, "count": 1})
    t = time.monotonic()
    lost = False
    try:
        req("POST", "/v1/messages", msg("lost-1"), timeout=5)
    except (http.client.HTTPException, ConnectionError):
        lost = True
    check(lost and time.monotonic() - t >= 0.5, "timeout: answer lost after delay_ms")
    st, b = req("POST", "/v1/messages", msg("lost-1"))
    lost_recs = [r for r in records(tmp) if r["client_ref"] == "lost-1"]
    check(st == 200 and len(lost_recs) == 2 and lost_recs[0]["accepted"] and lost_recs[0].get("answered") is False
          and lost_recs[1]["dedup"] and b["message_id"] == lost_recs[0]["message_id"],
          "retry after a lost answer is a duplicate of the accepted message")
    st, b = req("GET", "/_control")
    check(b["mode"] == "ok", "back to ok after count")
    req("POST", "/_control", {"mode": "fail5xx"})
    st, b = req("POST", "/_control", {"dlr_status": "UNDELIV"})
    check(b["mode"] == "fail5xx" and b["dlr_status"] == "UNDELIV", "dlr_status alone keeps the mode: %s" % b)
    sts = [req("POST", "/v1/messages", msg("inj-x"))[0] for _ in range(3)]
    check(sts == [503, 503, 503], "no count: mode stays until changed: %s" % sts)
    req("POST", "/_control", {"mode": "ok"})
    DlrSink.got.clear()
    st, b = req("POST", "/v1/messages", msg("undeliv-1"))
    time.sleep(0.4)
    check([d["status"] for _, d in DlrSink.got if d["client_ref"] == "undeliv-1"] == ["UNDELIV"],
          "DLR carries the configured status")

    # --- form-get profile
    q = {"username": "prahari", "pin": TOKEN, "message": "अलर्ट K7Q2XM", "mnumber": "919000012345",
         "signature": "PRHARI", "dlt_entity_id": "1", "dlt_template_id": "2", "msgType": "UC"}
    st, b = req("GET", "/form?" + urllib.parse.urlencode(q), token=None)
    check(st == 200 and b.startswith("Message Accepted"), "form-get accepted: %r" % b)
    st, b = req("GET", "/form?" + urllib.parse.urlencode(dict(q, pin="x")), token=None)
    check(st == 200 and b.startswith("Error: Invalid Username or Pin"), "form-get bad pin: %r" % b)
    st, b = req("GET", "/form?" + urllib.parse.urlencode(dict(q, msgType="PM")), token=None)
    check(b.startswith("Error: Unicode"), "form-get Devanagari as PM refused: %r" % b)
    fr = [r for r in records(tmp) if r["profile"] == "form-get"]
    check(len(fr) == 3 and fr[0]["accepted"] and fr[0]["to"] == "+919000012345" and fr[0]["encoding"] == "ucs2",
          "form-get recorded %s" % fr[:1])

    # --- /_record is the file
    st, b = req("GET", "/_record")
    check(st == 200 and b == records(tmp), "/_record returns every record")
    stop(p)

    # --- dedup survives a restart; the operator's DLT template check
    dlt = os.path.join(tmp, "dlt.json")
    with open(dlt, "w") as f:
        json.dump({"entity_id": "1101000000000000001", "sender": "PRHARI", "templates": [
            {"template_id": "T1", "text": "PRAHARI {#var#}: {#var#} risk. Confirm: {PUBLIC_URL}/a/{#var#}"}]}, f)
    with open(os.path.join(tmp, "cbtoken"), "w") as f:
        f.write("cb-secret-77\n")
    p = start(tmp, ["--dlt-file", dlt, "--public-url", "https://p.example/", "--dlr-url", dlr_url,
                    "--dlr-delay-ms", "50", "--dlr-token-file", os.path.join(tmp, "cbtoken")])
    st, b = req("POST", "/v1/messages", msg("notif-1"))
    check(st == 200 and b["message_id"] == b1["message_id"], "same message_id after restart")
    check(records(tmp)[-1]["dedup"] is True, "recorded as duplicate after restart")
    DlrSink.got.clear()
    DlrSink.auth.clear()
    good = "PRAHARI K7Q2XM: critical risk. Confirm: https://p.example/a/AbC-123_xyz"
    for ref, text, tid, ent, want in (
            ("dlt-ok", good, "T1", "1101000000000000001", True),
            ("dlt-text", good.replace("risk", "RISK"), "T1", "1101000000000000001", False),
            ("dlt-var", good.replace("critical", "c" * 31), "T1", "1101000000000000001", False),
            ("dlt-url", good.replace("p.example", "evil.example"), "T1", "1101000000000000001", False),
            ("dlt-tid", good, "T2", "1101000000000000001", False),
            ("dlt-ent", good, "T1", "1101000000000000002", False)):
        st, _ = req("POST", "/v1/messages", msg(ref, text=text, dlt_template_id=tid, dlt_entity_id=ent))
        r = records(tmp)[-1]
        check(st == 200 and r["client_ref"] == ref and r["dlt_match"] is want,
              "%s: dlt_match %s, want %s (%s)" % (ref, r["dlt_match"], want, r["error"]))
    time.sleep(0.4)
    st_by_ref = {d["client_ref"]: d["status"] for _, d in DlrSink.got}
    check(st_by_ref.get("dlt-ok") == "DELIVRD" and st_by_ref.get("dlt-text") == "REJECTD"
          and st_by_ref.get("dlt-ent") == "REJECTD", "DLR: matching DELIVRD, others REJECTD: %s" % st_by_ref)
    check(DlrSink.auth and all(a == "Bearer cb-secret-77" for a in DlrSink.auth),
          "DLRs carry the callback token: %s" % DlrSink.auth[:2])
    stop(p)
    sink.shutdown()

    print("stack_smsgw: %d passed, %d failed" % (passed, failed))
    if failed == 0:
        subprocess.run(["rm", "-rf", tmp])
    else:
        print("kept", tmp)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
