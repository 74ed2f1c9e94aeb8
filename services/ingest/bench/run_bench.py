#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Start a throwaway PostgreSQL, the dev broker and prahari-ingest (the ingest
# test harness), run prahari-ingest-bench for each "connections x reports per
# request" pair and print one table row each with the machine's load average.
# A benchmark to run by hand, not a test.
#
# Extra ingest settings: BENCH_INGEST_ENV="PRAHARI_INGEST_WRITERS=4 ...".
# Usage: run_bench.py BUILD_DIR SOURCE_DIR FIXTURES_DIR [CxR ...] [-n requests/conn]
#        e.g. run_bench.py build /work/main ../shared/fixtures 64x1 64x10 16x50
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../../tests/unit/ingest"))
import harness  # noqa: E402


def main():
    args = sys.argv[1:]
    per_conn = "200"
    if "-n" in args:
        i = args.index("-n")
        per_conn = args[i + 1]
        del args[i:i + 2]
    build, root, fx = args[:3]
    pairs = args[3:] or ["64x1", "64x10", "16x50"]
    st = harness.Stack(os.path.abspath(build), os.path.abspath(root), os.path.abspath(fx),
                       prefix="ingest-bench-")
    # PostgreSQL settings to try: BENCH_PG_OPTS="shared_buffers=512MB wal_buffers=64MB"
    st.pg_opts = os.environ.get("BENCH_PG_OPTS", "").split()
    ok = False
    try:
        st.setup_db()
        st.start_broker()
        # The bench sends many reports per second from one partner.
        extra = {"PRAHARI_INGEST_RATE_PER_S": "0", "PRAHARI_LOG_LEVEL": "error"}
        for kv in os.environ.get("BENCH_INGEST_ENV", "").split():  # e.g. PRAHARI_INGEST_WRITERS=4
            k, _, v = kv.partition("=")
            extra[k] = v
        st.start_ingest(extra)
        bench = os.path.join(build, "services/ingest/prahari-ingest-bench")
        subprocess.run([bench, "-p", str(st.http_port), "-c", "8", "-n", "20", "-r", "1", "-s",
                        st.secrets["meta_app_secret"]], capture_output=True)  # warm up
        print("| connections | reports/request | alerts/s | p50 ms | p99 ms | load (1 min) |")
        print("|---|---|---|---|---|---|")
        for pair in pairs:
            c, r = pair.split("x")
            load = os.getloadavg()[0]
            out = subprocess.run([bench, "-p", str(st.http_port), "-c", c, "-n", per_conn, "-r", r,
                                  "-s", st.secrets["meta_app_secret"]], capture_output=True,
                                 text=True).stdout
            a = re.search(r"accepted alerts/s (\d+)", out)
            lat = re.search(r"p50 ([\d.]+) ms, p99 ([\d.]+) ms", out)
            fails = re.search(r"(\d+) failed", out)
            print(f"| {c} | {r} | {a.group(1) if a else '?'} | {lat.group(1) if lat else '?'} | "
                  f"{lat.group(2) if lat else '?'} | {load:.2f} |"
                  + (f" {fails.group(1)} failed" if fails and fails.group(1) != "0" else ""),
                  flush=True)
            time.sleep(1)
        n = st.psql("SELECT count(*) FROM alerts")
        print(f"alerts stored: {n}")
        ok = True
    finally:
        st.close(ok)


if __name__ == "__main__":
    main()
