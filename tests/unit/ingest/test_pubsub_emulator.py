#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# The Google push path against Google's own Pub/Sub emulator (label
# integration): a topic and a push subscription to prahari-ingest (the
# emulator sends no OIDC token, so the subscription uses the weaker ?token=),
# real envelopes published through the emulator's REST API, stored once;
# a non-2xx answer (401 with a wrong token, 503 with PostgreSQL down) makes the
# emulator deliver again, and the redelivery after recovery is stored.
# Usage: test_pubsub_emulator.py <build-dir> <repo-root> <fixtures-dir>
import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, free_port  # noqa: E402

BUILD, ROOT, FX = sys.argv[1], sys.argv[2], sys.argv[3]
EMU = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)


def rest(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def metric(st, name, labels):
    with urllib.request.urlopen(f"http://127.0.0.1:{st.ops_port}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + "{" + labels + "}"):
                return float(line.split()[-1])
    return 0.0


def wait_for(fn, secs):
    end = time.time() + secs
    while time.time() < end:
        if fn():
            return True
        time.sleep(0.25)
    return False


if not os.path.exists(EMU):
    print("the Pub/Sub emulator is not installed (google-cloud-cli-pubsub-emulator)")
    sys.exit(1)

st = Stack(BUILD, ROOT, FX, "ingest-pubsub-")
ok = False
try:
    st.setup_db()
    st.start_broker()
    st.start_ingest()
    emu_port = free_port()
    emu = subprocess.Popen([EMU, "--host=127.0.0.1", f"--port={emu_port}"],
                           stdout=open(os.path.join(st.work, "emulator.log"), "w"),
                           stderr=subprocess.STDOUT, start_new_session=True)
    emu.own_group = True
    st.add("emulator", emu)
    base = f"http://127.0.0.1:{emu_port}/v1/projects/prahari-test"
    up = wait_for(lambda: subprocess.run(["curl", "-s", "-o", "/dev/null", f"{base}/topics"],
                                         capture_output=True).returncode == 0, 60)
    check(up, "emulator started")
    rest("PUT", f"{base}/topics/safety")
    push = f"http://127.0.0.1:{st.http_port}/v1/intake/google?token={st.push_token}"
    rest("PUT", f"{base}/subscriptions/to-ingest", {
        "topic": "projects/prahari-test/topics/safety", "pushConfig": {"pushEndpoint": push},
        "ackDeadlineSeconds": 10})
    rest("PUT", f"{base}/topics/wrongtoken")
    rest("PUT", f"{base}/subscriptions/wrong-token", {
        "topic": "projects/prahari-test/topics/wrongtoken",
        "pushConfig": {"pushEndpoint": push.replace("?token=", "?token=not-")},
        "ackDeadlineSeconds": 10})

    payload = {"case_id": "GSAFE-EMU-0001", "surface": "search", "severity": "CRITICAL",
               "signal_type": "SUICIDE_INTENT", "event_time": "2026-12-03T14:44:10.250+05:30",
               "location": {"lat": 24.5854, "lng": 73.7125, "accuracy_m": 60, "source": "DEVICE"}}
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    rest("POST", f"{base}/topics/safety:publish",
         {"messages": [{"data": data, "attributes": {"schema": "google.safety.v1"}}]})
    stored = wait_for(lambda: st.psql("SELECT count(*) FROM alerts WHERE source_alert_id='GSAFE-EMU-0001'") == "1", 30)
    check(stored, "pushed message stored")
    check(st.psql("SELECT reported_at AT TIME ZONE 'UTC' FROM alerts WHERE source_alert_id='GSAFE-EMU-0001'")
          == "2026-12-03 09:14:10.25", "event time in UTC")
    check(metric(st, "prahari_ingest_requests_total", 'way="google",status="202"') >= 1, "202 counted")

    # a wrong token: 401, and the emulator delivers again
    rest("POST", f"{base}/topics/wrongtoken:publish",
         {"messages": [{"data": data, "attributes": {"schema": "google.safety.v1"}}]})
    again = wait_for(lambda: metric(st, "prahari_ingest_requests_total", 'way="google",status="401"') >= 2, 60)
    check(again, "401 answered and the message redelivered")
    rest("DELETE", f"{base}/subscriptions/wrong-token")

    # PostgreSQL down: 503, redelivered, stored once it is back
    st.pg_stop()
    payload["case_id"] = "GSAFE-EMU-0002"
    data2 = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    rest("POST", f"{base}/topics/safety:publish",
         {"messages": [{"data": data2, "attributes": {"schema": "google.safety.v1"}}]})
    got503 = wait_for(lambda: metric(st, "prahari_ingest_requests_total", 'way="google",status="503"') >= 1, 30)
    check(got503, "503 while PostgreSQL is down")
    st.pg_start()
    stored2 = wait_for(lambda: st.psql("SELECT count(*) FROM alerts WHERE source_alert_id='GSAFE-EMU-0002'") == "1", 90)
    check(stored2, "redelivery stored after recovery")
    n = st.psql("SELECT count(*) FROM alerts WHERE source_alert_id LIKE 'GSAFE-EMU-%'")
    check(n == "2", f"each case stored once ({n})")
    ok = failed == 0
finally:
    st.close(ok)
print(f"ingest_pubsub_emulator: {passed} passed, {failed} failed")
sys.exit(0 if failed == 0 and passed > 0 else 1)
