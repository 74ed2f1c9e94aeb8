#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Crash test of prahari-notifier: N routed alerts flow while the notifier is
killed with SIGKILL at random moments and restarted; afterwards every alert
has exactly one SMS per recipient and level at the SMS gateway (its record is
the judge: retries after a crash reuse the client_ref and are deduplicated),
every alert is notified, and every resent e-mail carries the same
Message-ID. Label: integration."""
import argparse
import collections
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from notifier_harness import Producer, Stack, load_directory, new_alerts, routed, wait  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--base-port", type=int, default=27420)
    ap.add_argument("--alerts", type=int, default=500)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    print("seed %d, %d alerts, %d kills" % (a.seed, a.alerts, a.kills))
    fails = []
    stack = None
    try:
        # Delivery reports come after the send lease ran out, so that a row left
        # in "sending" by a kill is resent (and deduplicated) before its report.
        stack = Stack(a.root, a.build, a.base_port, dlr_delay_ms=15000)
        stack.migrate()
        load_directory(stack)
        alerts = new_alerts(stack, a.alerts, "Kota")
        opts = dict(PRAHARI_SEND_LEASE_S=5, PRAHARI_LOG_LEVEL="warn")
        stack.start(**opts)
        prod = Producer(stack)
        t0 = time.time()
        for aid, code in alerts:
            prod.send("Kota", routed(aid, code, "Kota", ["KOTA-SP", "KOTA-CR"]))
        prod.close()
        print("produced %d routed messages in %.1f s" % (len(alerts), time.time() - t0))
        for k in range(a.kills):
            time.sleep(rnd.uniform(0.3, 2.5))
            stack.proc.send_signal(signal.SIGKILL)
            stack.proc.wait(10)
            sent = stack.psql("SELECT count(*) FROM notifications WHERE state IN ('sent','delivered')")
            print("kill -9 #%d: %s notifications sent so far" % (k + 1, sent))
            stack.proc = None
            stack.start(**opts)
        want = 4 * len(alerts)
        done = wait(lambda: int(stack.psql("SELECT count(*) FROM notifications WHERE state IN ('sent','delivered')"))
                    == want, 240)
        print("all %d notifications sent: %s (%.1f s after the first message)" % (want, done, time.time() - t0))
        if not done:
            fails.append("not every notification was sent")
        # The judge: the gateway's record.
        recs = [r for r in stack.records() if r["accepted"]]
        per = collections.Counter()
        dedup = 0
        for r in recs:
            if r["dedup"]:
                dedup += 1
                continue
            per[(r["text"].split(":")[0].split()[-1], r["to"])] += 1
        codes = {code for _, code in alerts}
        twice = {k: v for k, v in per.items() if v != 1}
        told = {c for c, _ in per}
        print("gateway: %d messages, %d deduplicated retries, %d (alert, phone) pairs" % (
            sum(per.values()), dedup, len(per)))
        if twice:
            fails.append("SMS sent more than once: %s" % list(twice.items())[:5])
        if len(per) != 2 * len(alerts) or not codes <= told:
            fails.append("not every recipient got its SMS (%d pairs)" % len(per))
        mails = stack.mails()
        by_code = collections.defaultdict(list)
        for m in mails:
            subj = str(m["msg"]["Subject"])
            by_code[(subj.split("]")[0].split()[-1], m["rcpt_tos"][0])].append(m["message_id"])
        dup_mail = sum(len(v) - 1 for v in by_code.values())
        same_id = all(len(set(v)) == 1 for v in by_code.values())
        print("smtp: %d messages, %d (alert, address) pairs, %d resent after a crash, same Message-ID: %s" % (
            len(mails), len(by_code), dup_mail, same_id))
        if len(by_code) != 2 * len(alerts):
            fails.append("not every recipient got its e-mail (%d pairs)" % len(by_code))
        if not same_id:
            fails.append("a resent e-mail had another Message-ID")
        tl = stack.psql("SELECT count(*) FROM timeline WHERE event = 'notification_sent'")
        print("timeline notification_sent rows: %s" % tl)
        if int(tl) != want:
            fails.append("timeline has %s notification_sent rows, want %d" % (tl, want))
    finally:
        if stack:
            stack.down(a.keep or bool(fails))
    for f in fails:
        print("FAIL " + f)
    print("%d failed" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
