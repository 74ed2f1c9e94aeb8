#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of prahari-notifier through the real local peers (its own
stack on moved ports, see tests/unit/notifier/notifier_harness.py):

1. latency: alerts paced at --rate per second; for each SMS the time from
   the line written to kcat to the SMS gateway receiving the request (the
   gateway's own clock, same host): p50 / p90 / p99 / max. kcat itself
   holds a line ~100 ms before producing it; the notifier's histogram
   prahari_notify_seconds (from the message's Kafka timestamp) is printed
   too;
2. throughput: --burst alerts produced at once; notifications per second
   until every SMS and every e-mail was accepted.

Each alert goes to two level-1 recipients (SMS + e-mail each).
Usage: bench_notifier.py --root REPO --build BUILD [--alerts 200 --rate 10 --burst 300]"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/unit/notifier"))
from notifier_harness import Producer, Stack, load_directory, new_alerts, routed, wait  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def sent_count(stack, channel):
    return int(stack.psql("SELECT count(*) FROM notifications WHERE channel = :'p1' AND state IN ('sent','delivered')",
                          channel))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--base-port", type=int, default=27440)
    ap.add_argument("--alerts", type=int, default=200)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--burst", type=int, default=300)
    a = ap.parse_args()
    stack = Stack(a.root, a.build, a.base_port, dlr_delay_ms=300)
    try:
        stack.migrate()
        load_directory(stack)
        paced = new_alerts(stack, a.alerts, "Kota")
        burst = new_alerts(stack, a.burst, "Jaipur")
        stack.start(PRAHARI_LOG_LEVEL="warn")
        prod = Producer(stack)
        # warm-up: one alert, not measured
        w = new_alerts(stack, 1, "Kota")[0]
        prod.send("Kota", routed(w[0], w[1], "Kota", ["KOTA-SP", "KOTA-CR"]))
        wait(lambda: sent_count(stack, "sms") >= 2, 20)

        # 1. latency
        sent_at = {}
        t_next = time.time()
        for aid, code in paced:
            t_next += 1.0 / a.rate
            time.sleep(max(0.0, t_next - time.time()))
            sent_at[code] = prod.send("Kota", routed(aid, code, "Kota", ["KOTA-SP", "KOTA-CR"]))
        wait(lambda: sent_count(stack, "sms") >= 2 + 2 * len(paced), 120)
        first, every = {}, []
        for r in stack.records():
            if not (r["accepted"] and not r["dedup"] and r["text"]):
                continue
            code = r["text"].split(":")[0].split()[-1]
            if code in sent_at:
                ms = (r["time_ns"] - sent_at[code]) / 1e6
                every.append(ms)
                first[code] = min(first.get(code, ms), ms)
        f = list(first.values())
        print("latency, routed message -> SMS gateway request (%d alerts at %.0f/s, 2 SMS each):" % (len(paced), a.rate))
        print("  first SMS of an alert: p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  (n=%d)" % (
            pct(f, 50), pct(f, 90), pct(f, 99), max(f) if f else float("nan"), len(f)))
        print("  every SMS:             p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  (n=%d)" % (
            pct(every, 50), pct(every, 90), pct(every, 99), max(every) if every else float("nan"), len(every)))

        metrics = __import__("urllib.request").request.urlopen(
            "http://127.0.0.1:%d/metrics" % stack.ports["OPS"]).read().decode()
        # prahari_notify_seconds: the routed message's Kafka timestamp (kcat's
        # produce call) -> SMS accepted, over the paced phase (histogram).
        buckets, count = [], 0
        for line in metrics.splitlines():
            if line.startswith("prahari_notify_seconds_bucket"):
                le = line.split('le="')[1].split('"')[0]
                buckets.append((float("inf") if le == "+Inf" else float(le), float(line.split()[-1])))
            elif line.startswith("prahari_notify_seconds_count"):
                count = float(line.split()[-1])
        for q in (50, 90, 99):
            le = next((b for b, c in sorted(buckets) if c >= q / 100.0 * count), float("nan"))
            print("  prahari_notify_seconds (routed message produced -> SMS accepted, latency phase): p%d <= %.1f ms"
                  % (q, le * 1000))

        # 2. throughput
        sms0, mail0 = sent_count(stack, "sms"), sent_count(stack, "email")
        t0 = time.time()
        for aid, code in burst:
            prod.send("Jaipur", routed(aid, code, "Jaipur", ["JAIPUR-SP", "JAIPUR-CR"]))
        t_sms = t_mail = None
        while time.time() - t0 < 300 and (t_sms is None or t_mail is None):
            if t_sms is None and sent_count(stack, "sms") >= sms0 + 2 * len(burst):
                t_sms = time.time() - t0
            if t_mail is None and sent_count(stack, "email") >= mail0 + 2 * len(burst):
                t_mail = time.time() - t0
            time.sleep(0.05)
        prod.close()
        n = 2 * len(burst)
        print("throughput, %d alerts at once (%d SMS + %d e-mails):" % (len(burst), n, n))
        if t_sms:
            print("  all SMS sent after %.1f s: %.0f SMS/s" % (t_sms, n / t_sms))
        if t_mail:
            print("  all e-mails sent after %.1f s: %.0f e-mails/s" % (t_mail, n / t_mail))
            print("  notifications/s overall: %.0f" % (2 * n / max(t_sms or 0, t_mail)))
    finally:
        stack.down(False)


if __name__ == "__main__":
    sys.exit(main())
