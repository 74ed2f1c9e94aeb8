#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Shared harness of the notifier's integration test, crash test and
benchmark: a private local stack (deploy/local/stack.sh in a temporary
PRAHARI_LOCAL on moved ports), PostgreSQL through psql, routed messages
through kcat, the SMS gateway's record and the SMTP spool as judges.
Standard library only; run with Debian's /usr/bin/python3."""
import email
import email.policy
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

ALPHA = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
class Stack:
    def __init__(self, root, build, base, dlr_delay_ms=4000):
        self.root, self.build = root, build
        self.local = tempfile.mkdtemp(prefix="prahari-ntf-")
        os.chmod(self.local, 0o755)
        p = {"PG": base, "BROKER": base + 1, "GW": base + 2, "SMTP": base + 3, "PUB": base + 4,
             "OPS": base + 5, "IMAP": base + 6}
        self.ports = p
        env = dict(os.environ)
        env.update({
            "PRAHARI_ROOT": root, "PRAHARI_LOCAL": self.local, "PRAHARI_BUILD": build,
            "PRAHARI_PG_PORT": str(p["PG"]), "PRAHARI_DEVBROKER_PORT": str(p["BROKER"]),
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:%d" % p["BROKER"],
            "PRAHARI_SMSGW_PORT": str(p["GW"]), "PRAHARI_SMTP_PORT": str(p["SMTP"]),
            "PRAHARI_NOTIFIER_PORT": str(p["PUB"]), "PRAHARI_NOTIFIER_OPS_PORT": str(p["OPS"]),
            "PRAHARI_IMAP_PORT": str(p["IMAP"]),
            # Reports come late enough that a retry after a lost answer reaches
            # the gateway first (scenario D).
            "PRAHARI_SMSGW_DLR_DELAY_MS": str(dlr_delay_ms),
            # librdkafka's mock cluster ignores LeaveGroup: a restarted
            # consumer is assigned only after the old session times out.
            "KAFKA_SESSION_TIMEOUT_MS": "6000", "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        })
        # Settings derived from the ports must follow the moved ports.
        for k in ("PRAHARI_PG_DSN", "PRAHARI_SMS_URL", "PRAHARI_SMTP_URL", "PRAHARI_PUBLIC_URL",
                  "PRAHARI_SMSGW_DLR_URL", "PRAHARI_SMSGW_RECORD", "PRAHARI_SMTP_SPOOL",
                  "KAFKA_BOOTSTRAP_SERVERS"):
            env.pop(k, None)
        env["KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:%d" % p["BROKER"]
        # NOTIFIER_HARNESS_STACK_SH: another copy of deploy/local (experiments).
        self.stack_sh = os.environ.get("NOTIFIER_HARNESS_STACK_SH") or os.path.join(root, "deploy/local/stack.sh")
        if subprocess.run([self.stack_sh, "up"], env=env).returncode != 0:
            subprocess.run([self.stack_sh, "down"], env=env)
            shutil.rmtree(self.local, ignore_errors=True)
            raise RuntimeError("stack.sh up failed (ports %d..%d in use?)" % (base, base + 6))
        out = subprocess.run(["bash", "-c", 'eval "$("$0" env)" && env -0', self.stack_sh], env=env,
                             check=True, capture_output=True, text=True).stdout
        env = dict(kv.split("=", 1) for kv in out.split("\0") if "=" in kv)
        self.env = env
        self.dsn = "host=127.0.0.1 port=%d dbname=prahari user=prahari" % p["PG"]
        with open(os.path.join(self.local, "secrets/pg_password")) as f:
            self.pgpw = f.read().strip()
        self.proc = None
        self.log = open(os.path.join(self.local, "notifier-test.log"), "ab")

    # -- PostgreSQL
    def psql(self, sql, *args):
        cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", self.dsn]
        for i, a in enumerate(args):
            cmd += ["-v", "p%d=%s" % (i + 1, a)]
        r = subprocess.run(cmd, input=sql, capture_output=True, text=True,
                           env=dict(self.env, PGPASSWORD=self.pgpw))
        if r.returncode != 0:
            raise RuntimeError("psql: " + r.stderr)
        return r.stdout.strip()

    def query(self, sql):
        out = self.psql("SELECT coalesce(json_agg(t), '[]') FROM (%s) t" % sql)
        return json.loads(out)

    def migrate(self):
        if self.psql("SELECT to_regclass('public.notifications') IS NOT NULL") != "t":
            for f in sorted(glob.glob(os.path.join(self.root, "deploy/sql/*.sql"))):
                with open(f) as fh:
                    self.psql("SET client_min_messages = error;\n" + fh.read())
        if self.psql("SELECT count(*) FROM directory") == "0":
            self.psql("\\copy directory (recipient_id,jurisdiction,role,name,phone,email,level,lang,"
                      "duty_days,duty_hours) "
                      "FROM '%s' CSV HEADER" % os.path.join(self.root, "deploy/directory/rajasthan.csv"))

    # -- the notifier
    def start(self, **extra):
        env = dict(self.env, PRAHARI_RETRY_BASE_MS="200", PRAHARI_RETRY_CAP_MS="1000",
                   PRAHARI_SMS_TIMEOUT_MS="1500", PRAHARI_MAIL_INCLUDE_POST_TEXT="1",
                   PRAHARI_GAZETTEER_DIR=os.path.join(self.env["PRAHARI_SHARED"], "data/gazetteer"),
                   PRAHARI_ESCALATION_POLL_MS="200", PRAHARI_RETRY_POLL_MS="100")
        env.update({k: str(v) for k, v in extra.items()})
        self.proc = subprocess.Popen([os.path.join(self.build, "services/notifier/prahari-notifier")],
                                     env=env, stdout=self.log, stderr=self.log)
        ok = wait(lambda: http("GET", "http://127.0.0.1:%d/readyz" % self.ports["OPS"])[0] == 200, 30)
        if not ok:
            self.log.flush()
            sys.stdout.write(open(self.log.name, errors="replace").read()[-3000:])
            raise RuntimeError("notifier not ready; see " + self.log.name)

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(30)
            self.proc = None
            return rc
        return None

    def down(self, keep):
        self.stop()
        subprocess.run([self.stack_sh, "down"], env=self.env)
        if not keep:
            shutil.rmtree(self.local, ignore_errors=True)
        else:
            print("kept " + self.local)

    # -- peers
    def produce(self, key, msg):
        subprocess.run(["kcat", "-P", "-b", self.env["KAFKA_BOOTSTRAP_SERVERS"], "-t",
                        self.env["PRAHARI_TOPIC_ROUTED"], "-k", key],
                       input=json.dumps(msg, ensure_ascii=False).encode(), check=True)

    def gw(self, **mode):
        return http("POST", "http://127.0.0.1:%d/_control" % self.ports["GW"], json.dumps(mode))

    def records(self):
        return json.loads(http("GET", "http://127.0.0.1:%d/_record" % self.ports["GW"])[1])

    def mails(self):
        out = []
        idx = os.path.join(self.env["PRAHARI_SMTP_SPOOL"], "index.jsonl")
        if os.path.exists(idx):
            for line in open(idx):
                rec = json.loads(line)
                with open(os.path.join(self.env["PRAHARI_SMTP_SPOOL"], rec["file"]), "rb") as f:
                    rec["msg"] = email.message_from_bytes(f.read(), policy=email.policy.default)
                out.append(rec)
        return out

    def pub(self, path):
        return "http://127.0.0.1:%d%s" % (self.ports["PUB"], path)


def http(method, url, body=None, ctype="application/json"):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, OSError):
        return 0, ""


def wait(cond, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


RECIPIENTS = {}


def load_directory(stack):
    for r in stack.query("SELECT * FROM directory"):
        RECIPIENTS[r["recipient_id"]] = r


def recipient(rid, lang=None):
    r = RECIPIENTS[rid]
    return {"recipient_id": rid, "jurisdiction": r["jurisdiction"], "role": r["role"], "level": 1,
            "name": r["name"], "phone": r["phone"], "email": r["email"], "lang": lang or r["lang"]}


def new_alert(stack, district, severity="critical", name="अमन कुमार", post="अब और नहीं सह सकता।",
              parents=None):
    aid = str(uuid.uuid4())
    code = "".join(ALPHA[b % len(ALPHA)] for b in uuid.uuid4().bytes[:6])
    subject = json.dumps({"display_name": name, "username": "aman.k.2007",
                          "profile_url": "https://www.instagram.com/aman.k.2007/"}, ensure_ascii=False)
    content = json.dumps({"text": post, "url": "https://www.instagram.com/p/C0ffee12345/"}, ensure_ascii=False)
    stack.psql("INSERT INTO alerts (alert_id, source, source_alert_id, way, short_code, content_hash,"
               " severity, category, platform, reported_at, canonical, subject, content) VALUES"
               " (:'p1', 'meta', :'p1', 'meta', :'p2', 'x', :'p3', 'suicide', 'instagram',"
               " '2026-12-03T09:05:00Z', '{}', :'p4'::jsonb, :'p5'::jsonb)",
               aid, code, severity, subject, content)
    stack.psql("INSERT INTO locations (alert_id, revision, method, lat, lon, radius_m, confidence, detail)"
               " VALUES (:'p1', 1, 'gps', 25.142, 75.845, 35, 0.95, '{}')", aid)
    route(stack, aid, 1, district, parents)
    return aid, code


def route(stack, aid, rev, district, parents=None):
    r = "district" if district else "state_command_centre"
    detail = json.dumps({"parents": parents}) if parents is not None else "{}"
    stack.psql("INSERT INTO routings (alert_id, revision, route, district, reason, boundary_version, detail)"
               " VALUES (:'p1', :'p2', :'p3', nullif(:'p4', ''), 'point_in_polygon', 'v', :'p5'::jsonb)",
               aid, str(rev), r, district or "", detail)


def routed(aid, code, district, rids, severity="critical", rev=1, hindi=(), parents=None,
           moved_from=None):
    """A routed message; @p parents (routing.parents) and @p moved_from =
    (old lead, [recipient ids]) as the router sends them."""
    m = routed_plain(aid, code, district, rids, severity, rev, hindi)
    if parents is not None:
        m["routing"]["parents"] = parents
    if moved_from:
        m["routing"]["moved_from"] = {"jurisdiction": moved_from[0],
                                      "recipients": [recipient(r) for r in moved_from[1]]}
    return m


def routed_plain(aid, code, district, rids, severity="critical", rev=1, hindi=()):
    return {"schema": "prahari.alert/v1", "alert_id": aid, "revision": rev, "short_code": code,
            "source": "meta", "way": "meta", "source_alert_id": aid, "platform": "instagram",
            "severity": severity, "category": "suicide", "reported_at": "2026-12-03T09:05:00Z",
            "location": {"method": "gps", "lat": 25.142, "lon": 75.845, "radius_m": 35, "confidence": 0.95},
            "routing": {"route": "district" if district else "state_command_centre", "district": district,
                        "reason": "point_in_polygon", "boundary_version": "v",
                        "jurisdictions": [{"name": district or "STATE_COMMAND_CENTRE", "lead": True, "overlap": 1.0}],
                        "recipients": [recipient(r, "hi" if r in hindi else None) for r in rids]}}


def sms_of(stack, code, **kw):
    return [r for r in stack.records() if r.get("text") and code in r["text"]
            and all(r.get(k) == v for k, v in kw.items())]


def accepted(stack, code):
    return [r for r in sms_of(stack, code) if r["accepted"] and not r["dedup"]]


def mails_of(stack, code):
    return [m for m in stack.mails() if code in str(m["msg"]["Subject"])]


def timeline(stack, aid, event):
    return stack.query("SELECT event, actor, detail FROM timeline WHERE alert_id = '%s' AND event = '%s'"
                       % (aid, event))


def on_duty_sho(t):
    """Which of Kota's illustrative level-2 SHOs (deploy/directory/rajasthan.csv:
    KOTA-SHO-DAY mon-sat 08:00-20:00, KOTA-SHO-NIGHT 20:00-08:00, IST) is on
    duty at Unix time @p t, or None (Sunday daytime)."""
    ist = time.gmtime(int(t) + 19800)
    minute = ist.tm_hour * 60 + ist.tm_min
    if ist.tm_wday <= 5 and 480 <= minute < 1200:
        return "KOTA-SHO-DAY"
    if minute >= 1200 or minute < 480:
        return "KOTA-SHO-NIGHT"
    return None


def next_ist(t, wday, hour):
    """The first Unix time after @p t that is weekday @p wday (0 = Monday)
    at @p hour:00 IST."""
    base = (int(t) + 19800) // 86400 * 86400  # IST midnight of today, as IST seconds
    for d in range(1, 9):
        cand = base + d * 86400 + hour * 3600
        if time.gmtime(cand).tm_wday == wday and cand - 19800 > t:
            return cand - 19800
    raise AssertionError("unreachable")


def token_of(text):
    m = re.search(r"/a/([A-Za-z0-9_-]{28})$", text)
    return m.group(1) if m else None




def new_alerts(stack, n, district, severity="critical"):
    """@p n alerts at once (one psql call): [(alert_id, short_code)]."""
    out, rows = [], []
    for _ in range(n):
        aid = str(uuid.uuid4())
        code = "".join(ALPHA[b % len(ALPHA)] for b in uuid.uuid4().bytes[:6])
        out.append((aid, code))
        rows.append("('%s','%s')" % (aid, code))
    vals = ",".join(rows)
    stack.psql("CREATE TEMP TABLE na (alert_id uuid, short_code text);"
               "INSERT INTO na VALUES %s;"
               "INSERT INTO alerts (alert_id, source, source_alert_id, way, short_code, content_hash,"
               " severity, category, platform, reported_at, canonical, subject, content)"
               " SELECT alert_id, 'meta', alert_id::text, 'meta', short_code, 'x', '%s', 'suicide',"
               " 'instagram', now(), '{}', '{\"display_name\": \"Test Person\"}', '{}' FROM na;"
               "INSERT INTO locations (alert_id, revision, method, lat, lon, radius_m, confidence, detail)"
               " SELECT alert_id, 1, 'gps', 25.142, 75.845, 35, 0.95, '{}' FROM na;"
               "INSERT INTO routings (alert_id, revision, route, district, reason, boundary_version, detail)"
               " SELECT alert_id, 1, 'district', '%s', 'point_in_polygon', 'v', '{}' FROM na;"
               % (vals, severity, district))
    return out


class Producer:
    """One kcat process kept open: a line written is a message produced now
    (linger.ms=0), so the write time is the routed message's time."""

    def __init__(self, stack):
        self.p = subprocess.Popen(["kcat", "-P", "-b", stack.env["KAFKA_BOOTSTRAP_SERVERS"], "-t",
                                   stack.env["PRAHARI_TOPIC_ROUTED"], "-K", "\t", "-X", "linger.ms=0"],
                                  stdin=subprocess.PIPE)

    def send(self, key, msg):
        self.p.stdin.write(("%s\t%s\n" % (key, json.dumps(msg, ensure_ascii=False))).encode())
        self.p.stdin.flush()
        return time.time_ns()

    def close(self):
        self.p.stdin.close()
        self.p.wait(30)
