#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Send every HTTP case of ../shared/fixtures/cases.json to a running
# prahari-ingest with curl (exact body bytes: --data-binary @file) and compare
# the status with the case's expect. Usage:
#   send_cases.py http://127.0.0.1:8080 [fixtures-dir] [way ...]
# Exit status 0 when every status matches.
import json
import os
import subprocess
import sys

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
fx = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "..", "shared", "fixtures")
ways = set(sys.argv[3:]) or {"meta", "google", "youtube", "alerts"}
cases = json.load(open(os.path.join(fx, "cases.json")))["cases"]
bad = 0
for c in cases:
    if c["way"] not in ways or not c.get("method"):
        continue
    cmd = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", c["method"]]
    for k, v in c["headers"].items():
        cmd += ["-H", f"{k}: {v}"]
    cmd += ["--data-binary", "@" + os.path.join(fx, c["body"]), base + c["path"]]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    body, _, status = out.rpartition("\n")
    want = c["expect"].get("status")
    ok = str(want) == status.strip()
    bad += 0 if ok else 1
    print(f"{'ok  ' if ok else 'FAIL'} {c['id']:28} {status.strip()} (want {want}) {body}")
sys.exit(1 if bad else 0)
