#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# prahari-ingest over real HTTP, PostgreSQL and the dev broker (label
# integration). Starts a throwaway PostgreSQL cluster, prahari-devbroker and
# prahari-ingest on free ports, then checks:
#   - every HTTP case of ../shared/fixtures/cases.json (status and what is stored);
#   - a table of bad or odd requests, each with its status and stored outcome;
#   - bodies sent in many small pieces and chunked, a slow sender, 429 with
#     Retry-After, group commit under concurrency;
#   - 503 with PostgreSQL down (nothing acknowledged), then recovery;
#   - the reconciler publishing what was stored while the broker was down,
#     and republishing what was located or routed but not notified;
#   - SIGTERM: in-flight finished, exit 0.
# Usage: test_http.py <build-dir> <repo-root> <fixtures-dir>
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BUILD, ROOT, FX = sys.argv[1], sys.argv[2], sys.argv[3]
INGEST = os.path.join(BUILD, "services/ingest/prahari-ingest")
BROKER = os.path.join(BUILD, "services/devbroker/prahari-devbroker")
PGBIN = "/usr/lib/postgresql/15/bin"
SECRETS = json.load(open(os.path.join(FX, "secrets.json")))
META_SECRET = SECRETS["meta_app_secret"]
PUSH_TOKEN = "push-token-for-the-http-test-01"

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


work = tempfile.mkdtemp(prefix="ingest-http-")
pgdata = os.path.join(work, "pg")
os.makedirs(pgdata)
as_pg = []
if os.geteuid() == 0:
    shutil.chown(work, "postgres")
    shutil.chown(pgdata, "postgres")
    as_pg = ["runuser", "-u", "postgres", "--"]
pg_port, broker_port, http_port, ops_port = free_port(), free_port(), free_port(), free_port()
procs = {}


def pg_start():
    subprocess.run(as_pg + [f"{PGBIN}/pg_ctl", "-D", pgdata, "-w", "-o",
                            f"-p {pg_port} -k {pgdata} -c listen_addresses=127.0.0.1",
                            "-l", os.path.join(pgdata, "log"), "start"],
                   check=True, stdout=subprocess.DEVNULL)


def pg_stop():
    subprocess.run(as_pg + [f"{PGBIN}/pg_ctl", "-D", pgdata, "-m", "fast", "-w", "stop"],
                   stdout=subprocess.DEVNULL)


def psql(sql, user="prahari", db="prahari"):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-h", "127.0.0.1", "-p", str(pg_port),
                          "-U", user, "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return out.stdout.strip()


def scalar(sql):
    return int(psql(sql) or 0)


env = dict(os.environ)
for k in list(env):
    if k.startswith("PRAHARI_") or k.startswith("KAFKA_"):
        del env[k]
secrets_dir = os.path.join(work, "secrets")
os.makedirs(secrets_dir)
for name, val in (("meta", META_SECRET), ("verify", SECRETS["meta_verify_token"]),
                  ("push", PUSH_TOKEN)):
    with open(os.path.join(secrets_dir, name), "w") as f:
        f.write(val + "\n")
with open(os.path.join(secrets_dir, "keys.json"), "w") as f:
    json.dump(SECRETS["partner_keys"], f)
env.update({
    "PRAHARI_PG_DSN": f"host=127.0.0.1 port={pg_port} dbname=prahari user=prahari",
    "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{broker_port}",
    "PRAHARI_DEVBROKER_PORT": str(broker_port),
    "PRAHARI_INGEST_PORT": str(http_port),
    "PRAHARI_INGEST_BIND": "127.0.0.1",
    "PRAHARI_INGEST_OPS_PORT": str(ops_port),
    "PRAHARI_META_APP_SECRET_FILE": os.path.join(secrets_dir, "meta"),
    "PRAHARI_META_VERIFY_TOKEN_FILE": os.path.join(secrets_dir, "verify"),
    "PRAHARI_PARTNER_KEYS_FILE": os.path.join(secrets_dir, "keys.json"),
    "PRAHARI_GOOGLE_JWKS_FILE": os.path.join(FX, SECRETS["jwks"]),
    "PRAHARI_GOOGLE_AUDIENCE": SECRETS["google_audience"],
    "PRAHARI_YOUTUBE_AUDIENCE": SECRETS["youtube_audience"],
    "PRAHARI_GOOGLE_SERVICE_ACCOUNT": SECRETS["google_service_account"],
    "PRAHARI_GOOGLE_PUSH_TOKEN_FILE": os.path.join(secrets_dir, "push"),
    "PRAHARI_YOUTUBE_PUSH_TOKEN_FILE": os.path.join(secrets_dir, "push"),
    "PRAHARI_INGEST_RATE_PER_S": "1000",
    "PRAHARI_INGEST_RATE_BURST": "1000",
    "PRAHARI_INGEST_REQUEST_TIMEOUT_MS": "2000",
    "PRAHARI_RECONCILE_INTERVAL_MS": "300",
    "PRAHARI_RECONCILE_AFTER_MS": "1000",
    "PRAHARI_INGEST_PUBLISH_TIMEOUT_MS": "3000",
    "PRAHARI_LOG_LEVEL": "warn",
})


def start_broker():
    procs["broker"] = subprocess.Popen([BROKER], env=env, stdout=subprocess.DEVNULL,
                                       stderr=open(os.path.join(work, "broker.log"), "a"))
    time.sleep(0.5)


def start_ingest(extra=None):
    e = dict(env)
    e.update(extra or {})
    procs["ingest"] = subprocess.Popen([INGEST], env=e, stdout=subprocess.DEVNULL,
                                       stderr=open(os.path.join(work, "ingest.log"), "a"))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", http_port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("ingest did not start")


def stop(name, sig=signal.SIGTERM, timeout=15):
    p = procs.pop(name, None)
    if not p:
        return None
    p.send_signal(sig)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def request(method, path, body=b"", headers=None, conn_timeout=10):
    if len(body) > 1024 * 1024:
        # The server answers 413 from the headers alone and closes: send only
        # the headers so that the answer is not lost to a broken pipe.
        s = socket.create_connection(("127.0.0.1", http_port), conn_timeout)
        hs = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\n{hs}Content-Length: {len(body)}\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            part = s.recv(4096)
            if not part:
                break
            data += part
        s.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        return (int(head.split()[1]), rest, {})
    c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=conn_timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered early (431) and closed while we were sending: read its answer
    r = c.getresponse()
    data = r.read()
    out = (r.status, data, dict(r.getheaders()))
    c.close()
    return out


def meta_sig(body, secret=META_SECRET):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_meta(body, sig=None, ctype="application/json"):
    h = {"Content-Type": ctype, "X-Hub-Signature-256": sig or meta_sig(body)}
    return request("POST", "/v1/intake/meta", body, h)


def report(rid, **over):
    r = {"report_id": rid, "platform": "facebook", "risk_level": "high", "category": "suicide",
         "detected_time": 1764752700, "account": {"id": "42"}, "content": {"type": "post"}}
    r.update(over)
    return r


def delivery(*reports):
    return json.dumps({"object": "safety_report", "entry": [{"id": "1", "time": 1764752710,
        "changes": [{"field": "imminent_harm_report", "value": r} for r in reports]}]}).encode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


try:
    subprocess.run(as_pg + [f"{PGBIN}/initdb", "-D", pgdata, "-A", "trust", "-U", "postgres"],
                   check=True, stdout=subprocess.DEVNULL)
    pg_start()
    psql("CREATE ROLE prahari LOGIN", user="postgres", db="postgres")
    psql("CREATE DATABASE prahari OWNER prahari", user="postgres", db="postgres")
    for f in sorted(os.listdir(os.path.join(ROOT, "deploy/sql"))):
        if f.endswith(".sql") and (f.startswith("00") or f.startswith("01")):
            subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg_port), "-U",
                            "prahari", "-d", "prahari", "-v", "ON_ERROR_STOP=1", "-f",
                            os.path.join(ROOT, "deploy/sql", f)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start_broker()
    start_ingest()

    # ---- 1. every HTTP case of cases.json ----
    cases = json.load(open(os.path.join(FX, "cases.json")))["cases"]
    for c in cases:
        if not c.get("method"):
            continue
        body = open(os.path.join(FX, c["body"]), "rb").read()
        before = scalar("SELECT count(*) FROM alerts") + scalar("SELECT count(*) FROM quarantine")
        st, data, _ = request(c["method"], c["path"], body, c["headers"])
        exp = c["expect"]
        check(st == exp["status"], f"{c['id']}: status {st} != {exp['status']} {data!r}")
        after = scalar("SELECT count(*) FROM alerts") + scalar("SELECT count(*) FROM quarantine")
        if st == 202:
            j = json.loads(data)
            ids = [a["source_alert_id"] for a in exp.get("alerts", [])]
            check(j["accepted"] == ids, f"{c['id']}: accepted {j['accepted']} != {ids}")
            check(j["duplicates"] == exp.get("duplicates", []), f"{c['id']}: duplicates")
            check(len(j["quarantined"]) == exp.get("quarantined", 0), f"{c['id']}: quarantined")
            for a in exp.get("alerts", []):
                row = psql("SELECT severity || '|' || to_char(reported_at AT TIME ZONE 'UTC', "
                           "'YYYY-MM-DD\"T\"HH24:MI:SS.MS') FROM alerts WHERE source_alert_id = "
                           f"'{a['source_alert_id']}'")
                check(row.split("|")[0] == a["severity"], f"{c['id']}: severity {row}")
                if "reported_at" in a:
                    check(row.split("|")[1] + "Z" == a["reported_at"], f"{c['id']}: reported_at {row}")
            for rid, acct in exp.get("account_ids", {}).items():
                got = psql(f"SELECT canonical->>'account_id' FROM alerts WHERE source_alert_id = '{rid}'")
                check(got == acct, f"{c['id']}: account id {got} != {acct}")
        else:
            check(after == before, f"{c['id']}: {st} must store nothing")

    # the published messages carry no post text and no name
    time.sleep(0.5)
    kc = subprocess.run(["kcat", "-b", f"127.0.0.1:{broker_port}", "-t",
                         "prahari.alerts.normalized.v1", "-C", "-e", "-q", "-f", "%k\t%s\n"],
                        capture_output=True, text=True, timeout=30).stdout
    msgs = [l for l in kc.splitlines() if l.strip()]
    check(len(msgs) >= 10, f"published {len(msgs)} messages, want >= 10")
    check("painless" not in kc and "khatam" not in kc and "Pooja" not in kc,
          "post text or a name on the wire")
    check(scalar("SELECT count(*) FROM alerts WHERE published_revision = revision") ==
          scalar("SELECT count(*) FROM alerts"), "every alert acknowledged by the broker")

    # ---- 2. a table of bad or odd requests: (name, method, path, body, headers, status,
    #         accepted/duplicate/quarantined counts or None, stored alerts, stored quarantine)
    good = delivery(report("T-1"))
    too_big_body = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    deep = b'{"object":"safety_report","entry":' + b"[" * 3000 + b"]" * 3000 + b"}"
    gpay = {"case_id": "G-T1", "surface": "search", "severity": "HIGH", "signal_type": "SELF_HARM",
            "event_time": "2026-12-03T14:44:10.250+05:30"}
    genv = lambda data, spell="messageId": json.dumps({"message": {"data": data,
        "attributes": {"schema": "google.safety.v1"}, spell: "m-1"}}).encode()
    alert = lambda **o: json.dumps({"alerts": [dict({"source": "sharechat", "source_alert_id": "SC-T1",
        "severity": "high", "category": "suicide", "reported_at": "2026-12-03T09:30:00Z"}, **o)]}).encode()
    psig = lambda body, key=SECRETS["partner_keys"]["sharechat"]: "sha256=" + hmac.new(
        key.encode(), body, hashlib.sha256).hexdigest()
    J = {"Content-Type": "application/json"}
    G = dict(J)
    T = f"?token={PUSH_TOKEN}"
    rows = [
        ("meta good", "POST", "/v1/intake/meta", good, None, 202, (1, 0, 0)),
        ("meta same again", "POST", "/v1/intake/meta", good, None, 202, (0, 1, 0)),
        ("meta same content reordered keys", "POST", "/v1/intake/meta",
         good.replace(b'"platform": "facebook", "risk_level": "high"', b'"risk_level": "high", "platform": "facebook"'),
         None, 202, (0, 1, 0)),
        ("meta new revision", "POST", "/v1/intake/meta", delivery(report("T-1", risk_level="imminent")), None, 202, (1, 0, 0)),
        ("meta same report twice in one delivery", "POST", "/v1/intake/meta", delivery(report("T-TWICE"), report("T-TWICE")), None, 202, (1, 1, 0)),
        ("meta two versions in one delivery", "POST", "/v1/intake/meta", delivery(report("T-TWO"), report("T-TWO", risk_level="imminent")), None, 202, (2, 0, 0)),
        ("meta no signature", "POST", "/v1/intake/meta", good, {"Content-Type": "application/json"}, 401, None),
        ("meta signature upper-case hex", "POST", "/v1/intake/meta", delivery(report("T-UC")),
         {"Content-Type": "application/json", "X-Hub-Signature-256": meta_sig(delivery(report("T-UC"))).upper().replace("SHA256=", "sha256=")}, 202, (1, 0, 0)),
        ("meta sha1 signature", "POST", "/v1/intake/meta", good,
         {"Content-Type": "application/json", "X-Hub-Signature-256": "sha1=" + hmac.new(META_SECRET.encode(), good, hashlib.sha1).hexdigest()}, 401, None),
        ("meta signature other secret", "POST", "/v1/intake/meta", good,
         {"Content-Type": "application/json", "X-Hub-Signature-256": meta_sig(good, "other")}, 401, None),
        ("meta text/plain", "POST", "/v1/intake/meta", good, {"Content-Type": "text/plain", "X-Hub-Signature-256": meta_sig(good)}, 415, None),
        ("meta no content type", "POST", "/v1/intake/meta", good, {"X-Hub-Signature-256": meta_sig(good)}, 415, None),
        ("meta json with charset", "POST", "/v1/intake/meta", delivery(report("T-CS")),
         {"Content-Type": "application/json; charset=utf-8", "X-Hub-Signature-256": meta_sig(delivery(report("T-CS")))}, 202, (1, 0, 0)),
        ("meta not json", "POST", "/v1/intake/meta", b"hello", None, 400, None),
        ("meta empty body", "POST", "/v1/intake/meta", b"", None, 400, None),
        ("meta array", "POST", "/v1/intake/meta", b"[]", None, 400, None),
        ("meta wrong object", "POST", "/v1/intake/meta", b'{"object":"page","entry":[]}', None, 400, None),
        ("meta entry not array", "POST", "/v1/intake/meta", b'{"object":"safety_report","entry":{}}', None, 400, None),
        ("meta duplicate keys", "POST", "/v1/intake/meta", b'{"object":"safety_report","object":"safety_report","entry":[]}', None, 400, None),
        ("meta invalid utf-8", "POST", "/v1/intake/meta", b'{"object":"safety_report","entry":[],"x":"\xff"}', None, 400, None),
        ("meta deep nesting", "POST", "/v1/intake/meta", deep, None, 400, None),
        ("meta empty entry list", "POST", "/v1/intake/meta", b'{"object":"safety_report","entry":[]}', None, 202, (0, 0, 0)),
        ("meta other field only", "POST", "/v1/intake/meta",
         b'{"object":"safety_report","entry":[{"id":"1","changes":[{"field":"feed","value":{}}]}]}', None, 202, (0, 0, 0)),
        ("meta missing report_id", "POST", "/v1/intake/meta", delivery({k: v for k, v in report("x").items() if k != "report_id"}), None, 202, (0, 0, 1)),
        ("meta wrong risk", "POST", "/v1/intake/meta", delivery(report("T-R", risk_level="low")), None, 202, (0, 0, 1)),
        ("meta value not object", "POST", "/v1/intake/meta",
         b'{"object":"safety_report","entry":[{"id":"1","changes":[{"field":"imminent_harm_report","value":"x"}]}]}', None, 202, (0, 0, 1)),
        ("meta account id beyond 64 bits + a good one", "POST", "/v1/intake/meta",
         b'{"object":"safety_report","entry":[{"id":"1","changes":[{"field":"imminent_harm_report","value":{"report_id":"T-BIG","platform":"facebook","risk_level":"high","category":"suicide","detected_time":1764752700,"account":{"id":123456789012345678901234567890},"content":{"type":"post"}}},{"field":"imminent_harm_report","value":{"report_id":"T-BIG2","platform":"facebook","risk_level":"high","category":"suicide","detected_time":1764752700,"account":{"id":"1"},"content":{"type":"post"}}}]}]}',
         None, 202, (1, 0, 1)),
        ("meta account id 2^53+1 as number", "POST", "/v1/intake/meta", delivery(report("T-53", account={"id": 9007199254740993})), None, 202, (1, 0, 0)),
        ("meta NUL in text", "POST", "/v1/intake/meta", delivery(report("T-NUL", content={"type": "post", "text": "a\u0000b"})), None, 202, (1, 0, 0)),
        ("meta NUL in report_id", "POST", "/v1/intake/meta", delivery(report("T\u0000X")), None, 202, (0, 0, 1)),
        ("meta detected_time in ms", "POST", "/v1/intake/meta", delivery(report("T-MS", detected_time=1764752700123)), None, 202, (1, 0, 0)),
        ("meta detected_time as RFC 3339", "POST", "/v1/intake/meta", delivery(report("T-RFC", detected_time="2026-12-03T09:05:00Z")), None, 202, (0, 0, 1)),
        ("meta emoji and Hindi", "POST", "/v1/intake/meta", delivery(report("T-HI", content={"type": "post", "text": "\u092e\u093e\u092b \U0001F64F"})), None, 202, (1, 0, 0)),
        ("meta unknown fields ignored", "POST", "/v1/intake/meta", delivery(report("T-UNK", extra={"a": [1, 2]})), None, 202, (1, 0, 0)),
        ("meta GET check ok", "GET", "/v1/intake/meta?hub.mode=subscribe&hub.verify_token=" + SECRETS["meta_verify_token"] + "&hub.challenge=12345", b"", {}, 200, None),
        ("meta GET check wrong token", "GET", "/v1/intake/meta?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1", b"", {}, 403, None),
        ("meta GET check wrong mode", "GET", "/v1/intake/meta?hub.mode=unsubscribe&hub.verify_token=" + SECRETS["meta_verify_token"] + "&hub.challenge=1", b"", {}, 403, None),
        ("google token in query, url-safe b64", "POST", "/v1/intake/google" + T, genv(b64url(json.dumps(gpay).encode())), G, 202, (1, 0, 0)),
        ("google redelivery (message_id spelling, std b64 padded)", "POST", "/v1/intake/google" + T,
         genv(base64.b64encode(json.dumps(gpay).encode()).decode(), "message_id"), G, 202, (0, 1, 0)),
        ("google wrong query token", "POST", "/v1/intake/google?token=nope", genv(b64url(b"{}")), G, 401, None),
        ("google no auth", "POST", "/v1/intake/google", genv(b64url(b"{}")), G, 401, None),
        ("google bearer garbage", "POST", "/v1/intake/google", genv(b64url(b"{}")), dict(G, Authorization="Bearer a.b.c"), 401, None),
        ("google data not base64", "POST", "/v1/intake/google" + T, genv("%%%"), G, 202, (0, 0, 1)),
        ("google data not JSON", "POST", "/v1/intake/google" + T, genv(b64url(b"hello")), G, 202, (0, 0, 1)),
        ("google payload missing case_id", "POST", "/v1/intake/google" + T, genv(b64url(json.dumps({k: v for k, v in gpay.items() if k != "case_id"}).encode())), G, 202, (0, 0, 1)),
        ("google no message", "POST", "/v1/intake/google" + T, b'{"subscription":"s"}', G, 400, None),
        ("google youtube payload", "POST", "/v1/intake/google" + T,
         json.dumps({"message": {"data": b64url(b"{}"), "attributes": {"schema": "youtube.safety.v1"}}}).encode(), G, 202, (0, 0, 1)),
        ("youtube token in query", "POST", "/v1/intake/youtube" + T,
         json.dumps({"message": {"data": b64url(json.dumps({"kind": "youtube#safetyEscalation", "id": "Y-T1",
             "snippet": {"escalatedAt": "2026-12-03T09:20:00Z", "priority": "P2", "reason": "self_injury"}}).encode()),
             "attributes": {"schema": "youtube.safety.v1"}, "message_id": "9"}}).encode(), G, 202, (1, 0, 0)),
        ("alerts good", "POST", "/v1/intake/alerts", alert(), dict(J, **{"X-Prahari-Partner": "sharechat", "X-Prahari-Signature": psig(alert())}), 202, (1, 0, 0)),
        ("alerts other partner's key", "POST", "/v1/intake/alerts", alert(),
         dict(J, **{"X-Prahari-Partner": "sharechat", "X-Prahari-Signature": psig(alert(), SECRETS["partner_keys"]["koo"])}), 401, None),
        ("alerts claimed by koo with koo's key", "POST", "/v1/intake/alerts", alert(source_alert_id="SC-T2"),
         dict(J, **{"X-Prahari-Partner": "koo", "X-Prahari-Signature": psig(alert(source_alert_id="SC-T2"), SECRETS["partner_keys"]["koo"])}), 202, (0, 0, 1)),
        ("alerts unknown partner", "POST", "/v1/intake/alerts", alert(), dict(J, **{"X-Prahari-Partner": "nobody", "X-Prahari-Signature": psig(alert())}), 401, None),
        ("alerts no partner header", "POST", "/v1/intake/alerts", alert(), dict(J, **{"X-Prahari-Signature": psig(alert())}), 401, None),
        ("alerts bad pin", "POST", "/v1/intake/alerts", alert(source_alert_id="SC-T3", location_hints=[{"kind": "pin", "code": "12"}]),
         dict(J, **{"X-Prahari-Partner": "sharechat", "X-Prahari-Signature": psig(alert(source_alert_id="SC-T3", location_hints=[{"kind": "pin", "code": "12"}]))}), 202, (0, 0, 1)),
        ("alerts not the envelope", "POST", "/v1/intake/alerts", b'{"alert":[]}', dict(J, **{"X-Prahari-Partner": "sharechat", "X-Prahari-Signature": psig(b'{"alert":[]}')}), 400, None),
        ("alerts not JSON", "POST", "/v1/intake/alerts", b'{"alerts":[', dict(J, **{"X-Prahari-Partner": "sharechat", "X-Prahari-Signature": psig(b'{"alerts":[')}), 400, None),
        ("alerts invalid utf-8", "POST", "/v1/intake/alerts", b'{"alerts":["\xc3\x28"]}', dict(J, **{"X-Prahari-Partner": "sharechat", "X-Prahari-Signature": psig(b'{"alerts":["\xc3\x28"]}')}), 400, None),
        ("alerts duplicate keys", "POST", "/v1/intake/alerts", b'{"alerts":[],"alerts":[]}', dict(J, **{"X-Prahari-Partner": "sharechat", "X-Prahari-Signature": psig(b'{"alerts":[],"alerts":[]}')}), 400, None),
        ("alerts not JSON, unsigned", "POST", "/v1/intake/alerts", b'{"alerts":[', dict(J, **{"X-Prahari-Partner": "sharechat"}), 401, None),
        ("meta not json, wrong signature", "POST", "/v1/intake/meta", b"hello", dict(J, **{"X-Hub-Signature-256": meta_sig(b"hello", "other")}), 401, None),
        ("google body not JSON", "POST", "/v1/intake/google" + T, b"not json", G, 400, None),
        ("google body not JSON, no token", "POST", "/v1/intake/google", b"not json", G, 401, None),
        ("not found", "POST", "/v1/intake/other", b"{}", J, 404, None),
        ("wrong method", "PUT", "/v1/intake/alerts", b"{}", J, 405, None),
        ("headers over the limit", "POST", "/v1/intake/meta", good, {"Content-Type": "application/json", "X-Hub-Signature-256": meta_sig(good), "X-Padding": "a" * 40000}, 431, None),
        ("too large (Content-Length)", "POST", "/v1/intake/meta", too_big_body, J, 413, None),
    ]
    for name, method, path, body, headers, status, counts in rows:
        h = headers if headers is not None else {"Content-Type": "application/json", "X-Hub-Signature-256": meta_sig(body)}
        na = scalar("SELECT count(*) FROM alerts")
        nq = scalar("SELECT count(*) FROM quarantine")
        st, data, hdrs = request(method, path, body, h)
        check(st == status, f"{name}: status {st} != {status}: {data[:200]!r}")
        if counts is not None and st == 202:
            j = json.loads(data)
            got = (len(j["accepted"]), len(j["duplicates"]), len(j["quarantined"]))
            check(got == counts, f"{name}: {got} != {counts}")
        if st == 400:
            # authenticated but unreadable: the raw bytes are kept in quarantine, then 400
            check(scalar("SELECT count(*) FROM alerts") == na and scalar("SELECT count(*) FROM quarantine") == nq + 1,
                  f"{name}: 400 must store exactly one quarantine row and no alert")
            try:
                j = json.loads(data)
                qid = j["quarantined"][0].split("-", 1)[1]
                row = psql(f"SELECT reason || '|' || encode(raw, 'hex') FROM quarantine WHERE quarantine_id = {int(qid)}")
                check(row.startswith(j["error"] + ": ") and row.endswith("|" + body.hex()),
                      f"{name}: quarantine row {row[:120]!r} does not hold the reason and the raw body")
            except (ValueError, KeyError, IndexError) as e:
                check(False, f"{name}: no quarantine id in {data!r} ({e})")
        elif st != 202:
            check(scalar("SELECT count(*) FROM alerts") == na and scalar("SELECT count(*) FROM quarantine") == nq,
                  f"{name}: stored something on {st}")
        if st >= 400 and st != 431:  # 431 is libmicrohttpd's own answer
            try:
                j = json.loads(data)
                check("error" in j, f"{name}: error body {data!r}")
            except ValueError:
                check(False, f"{name}: error body not JSON {data!r}")
    check(psql("SELECT revision FROM alerts WHERE source_alert_id='T-1'") == "2", "T-1 revision 2")
    check(psql("SELECT revision || severity FROM alerts WHERE source_alert_id='T-TWO'") == "2critical", "T-TWO revision 2")
    check(scalar("SELECT count(*) FROM alert_revisions r JOIN alerts a USING (alert_id) WHERE a.source_alert_id='T-TWO'") == 2, "T-TWO two revision rows")
    check(psql("SELECT canonical->>'account_id' FROM alerts WHERE source_alert_id='T-53'") == "9007199254740993", "2^53+1 kept")
    check("account.id" in psql("SELECT reason FROM quarantine WHERE reason LIKE '%account.id%' LIMIT 1"), "big account id reason")
    st, data, _ = request("GET", "/v1/intake/meta?hub.mode=subscribe&hub.verify_token=" + SECRETS["meta_verify_token"] + "&hub.challenge=12345")
    check(data == b"12345", "challenge echoed")
    n_rows = len(rows)

    # ---- 3. transport: many small pieces, chunked, slow sender ----
    body = delivery(report("T-PIECES"))
    s = socket.create_connection(("127.0.0.1", http_port))
    s.sendall(f"POST /v1/intake/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              f"X-Hub-Signature-256: {meta_sig(body)}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    for i in range(0, len(body), 7):
        s.sendall(body[i:i + 7])
        time.sleep(0.001)
    resp = s.recv(4096)
    s.close()
    check(resp.startswith(b"HTTP/1.1 202"), f"many pieces: {resp[:40]!r}")
    body = delivery(report("T-CHUNKED"))
    s = socket.create_connection(("127.0.0.1", http_port))
    s.sendall(f"POST /v1/intake/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              f"X-Hub-Signature-256: {meta_sig(body)}\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
    for i in range(0, len(body), 50):
        part = body[i:i + 50]
        s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
    s.sendall(b"0\r\n\r\n")
    resp = s.recv(4096)
    s.close()
    check(resp.startswith(b"HTTP/1.1 202"), f"chunked: {resp[:40]!r}")
    check(scalar("SELECT count(*) FROM alerts WHERE source_alert_id IN ('T-PIECES','T-CHUNKED')") == 2, "pieces stored")
    # chunked over the limit: 413 without Content-Length
    s = socket.create_connection(("127.0.0.1", http_port))
    s.sendall(b"POST /v1/intake/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"X-Hub-Signature-256: sha256=00\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"a" * 65536
    for _ in range(20):
        s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    s.sendall(b"0\r\n\r\n")
    resp = s.recv(4096)
    s.close()
    check(resp.startswith(b"HTTP/1.1 413"), f"chunked too large: {resp[:40]!r}")
    # slow sender: one byte every 0.25 s is cut after the request timeout (2 s)
    body = delivery(report("T-SLOW"))
    s = socket.create_connection(("127.0.0.1", http_port))
    s.sendall(f"POST /v1/intake/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              f"X-Hub-Signature-256: {meta_sig(body)}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    t0 = time.time()
    closed = False
    try:
        for i in range(len(body)):
            s.sendall(body[i:i + 1])
            time.sleep(0.25)
            if time.time() - t0 > 6:
                break
    except OSError:
        closed = True
    if not closed:
        try:
            s.settimeout(1)
            closed = s.recv(100) == b""
        except OSError:
            closed = True
    s.close()
    check(closed and time.time() - t0 < 6, f"slow sender cut ({time.time() - t0:.1f} s)")
    check(scalar("SELECT count(*) FROM alerts WHERE source_alert_id = 'T-SLOW'") == 0, "slow sender stored nothing")
    # headers trickled one byte every 0.2 s: cut after the request timeout (2 s), long before
    # the idle timeout (10 s), though every byte resets the idle timer
    body = delivery(report("T-SLOWHDR"))
    head = (f"POST /v1/intake/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"X-Hub-Signature-256: {meta_sig(body)}\r\nX-Padding: {'p' * 200}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    s = socket.create_connection(("127.0.0.1", http_port))
    t0 = time.time()
    closed = False
    try:
        for i in range(len(head)):
            s.sendall(head[i:i + 1])
            time.sleep(0.2)
            if time.time() - t0 > 8:
                break
    except OSError:
        closed = True
    if not closed:
        try:
            s.settimeout(1)
            closed = s.recv(100) == b""
        except OSError:
            closed = True
    elapsed = time.time() - t0
    s.close()
    check(closed and 1.8 <= elapsed < 4.5, f"slow headers cut after the request timeout ({elapsed:.1f} s)")
    # a keep-alive connection still serves requests after the watchdog's checks
    s = socket.create_connection(("127.0.0.1", http_port))
    ok_ka = True
    for k in range(2):
        b = delivery(report(f"T-KA-{k}"))
        s.sendall(f"POST /v1/intake/meta HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  f"X-Hub-Signature-256: {meta_sig(b)}\r\nContent-Length: {len(b)}\r\n\r\n".encode() + b)
        s.settimeout(5)
        resp = s.recv(4096)
        ok_ka = ok_ka and resp.startswith(b"HTTP/1.1 202")
        time.sleep(1.0)
    s.close()
    check(ok_ka, "keep-alive connection served two requests 1 s apart")

    # ---- 4. group commit under concurrency ----
    def one(i, out):
        b = delivery(report(f"T-CONC-{i}"))
        out[i] = post_meta(b)[0]
    N = 64
    res = [0] * N
    th = [threading.Thread(target=one, args=(i, res)) for i in range(N)]
    [t.start() for t in th]
    [t.join() for t in th]
    check(all(r == 202 for r in res), f"concurrent: {set(res)}")
    check(scalar("SELECT count(*) FROM alerts WHERE source_alert_id LIKE 'T-CONC-%'") == N, "concurrent stored")
    c = http.client.HTTPConnection("127.0.0.1", ops_port, timeout=5)
    c.request("GET", "/metrics")
    metrics = c.getresponse().read().decode()
    c.close()
    cnt = [l for l in metrics.splitlines() if l.startswith("prahari_ingest_batch_size_count")]
    sm = [l for l in metrics.splitlines() if l.startswith("prahari_ingest_batch_size_sum")]
    batches, items = float(cnt[0].split()[-1]), float(sm[0].split()[-1])
    print(f"group commit: {items:.0f} items in {batches:.0f} transactions", flush=True)
    check(batches < items, "some transactions held more than one item")
    for m in ("prahari_ingest_requests_total", "prahari_ingest_alerts_total", "prahari_ingest_commit_seconds",
              "prahari_reconciler_republished_total", "prahari_quarantine_size"):
        check(m in metrics, f"metric {m}")

    # ---- 5. rate limit ----
    stop("ingest")
    start_ingest({"PRAHARI_INGEST_RATE_PER_S": "1", "PRAHARI_INGEST_RATE_BURST": "3"})
    sts = []
    for i in range(5):
        st, data, hdrs = post_meta(delivery(report(f"T-RATE-{i}")))
        sts.append((st, hdrs.get("Retry-After")))
    check([s[0] for s in sts] == [202, 202, 202, 429, 429], f"rate limit: {sts}")
    check(sts[3][1] is not None and int(sts[3][1]) >= 1, "Retry-After set")
    check(scalar("SELECT count(*) FROM alerts WHERE source_alert_id LIKE 'T-RATE-%'") == 3, "429 stored nothing")
    # unauthenticated requests do not use up the partner's budget
    stop("ingest")
    start_ingest({"PRAHARI_INGEST_RATE_PER_S": "1", "PRAHARI_INGEST_RATE_BURST": "1"})
    for i in range(3):
        post_meta(b"{}", sig="sha256=00")
    check(post_meta(delivery(report("T-RATE-X")))[0] == 202, "401s do not count against the partner")
    stop("ingest")
    start_ingest()

    # ---- 6. database down: 503, nothing acknowledged; then recovery ----
    pg_stop()
    body = delivery(report("T-DBDOWN"))
    st, data, _ = post_meta(body)
    check(st == 503, f"db down: {st} {data!r}")
    pg_start()
    time.sleep(0.3)
    st, data, _ = post_meta(body)
    check(st == 202 and json.loads(data)["accepted"] == ["T-DBDOWN"], f"db back: {st} {data!r}")

    # ---- 7. broker down when stored: 202 anyway, the reconciler publishes later ----
    stop("broker", signal.SIGKILL)
    st, _, _ = post_meta(delivery(report("T-NOBROKER")))
    check(st == 202, "202 with the broker down")
    check(psql("SELECT published_revision FROM alerts WHERE source_alert_id='T-NOBROKER'") == "0", "not yet published")
    time.sleep(3.5)  # beyond PRAHARI_INGEST_PUBLISH_TIMEOUT_MS: the first attempt fails
    start_broker()
    ok = False
    for _ in range(100):
        if psql("SELECT published_revision FROM alerts WHERE source_alert_id='T-NOBROKER'") == "1":
            ok = True
            break
        time.sleep(0.2)
    check(ok, "published once the broker is back")
    check(scalar("SELECT count(*) FROM timeline t JOIN alerts a USING (alert_id) WHERE "
                 "a.source_alert_id='T-NOBROKER' AND t.event='republished'") >= 1, "timeline republished")
    # The reconciler covers the whole pipeline (migration 0102): a revision
    # that is located but not routed (the enriched message lost with the
    # broker) is republished; one that is routed but has no level-1
    # notification is republished (warned once); a notified one is not.
    aid = psql("SELECT alert_id FROM alerts WHERE source_alert_id='T-NOBROKER'")

    def republished():
        return scalar(f"SELECT count(*) FROM timeline WHERE alert_id='{aid}' AND event='republished'")

    def republished_after(n0, limit_s=6.0):
        # backoff: AFTER_MS 1000 doubling per attempt (2 s, 4 s, ...), so
        # allow a few seconds before deciding
        t_end = time.time() + limit_s
        while time.time() < t_end:
            if republished() > n0:
                return True
            time.sleep(0.2)
        return False

    # due now whatever the backoff reached so far
    def make_due():
        psql(f"UPDATE alerts SET republish_at = now(), publish_attempts = 0 WHERE alert_id='{aid}'")

    psql(f"INSERT INTO locations (alert_id, revision, method, confidence, detail) VALUES ('{aid}', 1, 'none', 0, '{{}}')")
    make_due()
    n0 = republished()
    check(republished_after(n0), "located but unrouted alert republished")
    check(psql(f"SELECT detail->>'missing' FROM timeline WHERE alert_id='{aid}' AND event='republished' "
               "ORDER BY id DESC LIMIT 1") == "routed", "timeline names the stage missing (routed)")
    psql(f"INSERT INTO routings (alert_id, revision, route, district, state, reason, boundary_version, detail) "
         f"VALUES ('{aid}', 1, 'district', 'Kota', 'Rajasthan', 'test', 'test', "
         "'{\"directory_gap\": [\"Kota\"]}')")
    make_due()
    n0 = republished()
    check(republished_after(n0), "routed but unnotified alert republished")
    check(psql(f"SELECT detail->>'missing' FROM timeline WHERE alert_id='{aid}' AND event='republished' "
               "ORDER BY id DESC LIMIT 1") == "notified", "timeline names the stage missing (notified)")
    check(psql(f"SELECT gap_warned_revision FROM alerts WHERE alert_id='{aid}'") == "1", "gap warned for revision 1")
    make_due()
    n0 = republished()
    check(republished_after(n0), "still unnotified: republished again")
    time.sleep(0.5)  # the ingest log is written as it goes
    with open(os.path.join(work, "ingest.log")) as f:
        warns = [ln for ln in f if aid in ln and "nobody at level 1 notified" in ln]
    check(len(warns) == 1, f"directory gap warned once ({len(warns)} lines)")
    check(any("directory gap" in ln for ln in warns), "the warning names the directory gap")
    # the backoff doubled: the next republish is at least 2 s after the last
    check(scalar(f"SELECT (extract(epoch FROM republish_at - last_published_at) * 1000)::int FROM alerts "
                 f"WHERE alert_id='{aid}'") >= 1900, "doubling wait between republishes")
    psql(f"INSERT INTO notifications (alert_id, recipient_id, channel, level, address, client_ref) "
         f"VALUES ('{aid}', 'R-TEST', 'sms', 1, '+910000000000', 'ref-{aid}')")
    make_due()
    n0 = republished()
    time.sleep(2.5)
    check(republished() == n0, "fully notified alert not republished")
    check(psql(f"SELECT seen_downstream_revision FROM alerts WHERE alert_id='{aid}'") == "1",
          "notified alert left the index of the due")

    # ---- 8. SIGTERM while requests are in flight: they finish, exit 0 ----
    res = [0] * 2000
    th = [threading.Thread(target=one, args=(i + 1000, res)) for i in range(16)]
    [t.start() for t in th]
    time.sleep(0.01)
    rc = stop("ingest")
    [t.join() for t in th]
    check(rc == 0, f"exit status {rc}")
    done = [res[i + 1000] for i in range(16)]
    stored = scalar("SELECT count(*) FROM alerts WHERE source_alert_id LIKE 'T-CONC-1%' AND length(source_alert_id) = 11")
    check(all(d in (0, 202) for d in done), f"in-flight answers {set(done)}")
    check(stored >= sum(1 for d in done if d == 202), "every 202 is stored")
    print(f"bad/odd request table: {n_rows} rows", flush=True)
finally:
    for name in list(procs):
        stop(name, signal.SIGKILL)
    pg_stop()
    if failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("logs kept in", work)

print(f"ingest_http: {passed} passed, {failed} failed")
sys.exit(0 if failed == 0 and passed > 0 else 1)
