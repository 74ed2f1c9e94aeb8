#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ops_compose: deploy/compose/compose.yaml cannot run here (no registry), so
it is checked statically: it parses (PyYAML; skipped with 77 if missing),
has Kafka in KRaft mode, PostGIS, an SMTP relay, the migration and the four
services; each service runs as uid 10001, read-only, drops capabilities, has
a grace period above the 15 s drain, reads every *_FILE from a secret it
mounts, and health-checks its own ops port; every secret file is declared.

    check_compose.py REPO_ROOT
"""
import os
import re
import sys

SERVICES = {"ingest": 9101, "enrich": 9102, "router": 9103, "notifier": 9104}


def seconds(d):
    m = re.fullmatch(r"(\d+)s", str(d))
    return int(m.group(1)) if m else -1


def main():
    try:
        import yaml
    except ImportError:
        print("PyYAML (python3-yaml) not installed: skipped")
        return 77
    root = sys.argv[1]
    path = os.path.join(root, "deploy", "compose", "compose.yaml")
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    fails, passes = [], 0

    def check(cond, what):
        nonlocal passes
        if cond:
            passes += 1
        else:
            fails.append(what)

    svcs = doc["services"]
    k = svcs.get("kafka", {})
    check(k.get("image", "").startswith("apache/kafka:"), "kafka uses apache/kafka")
    check("controller" in k.get("environment", {}).get("KAFKA_PROCESS_ROLES", ""), "kafka in KRaft mode")
    check(svcs.get("postgres", {}).get("image", "").startswith("postgis/postgis:15"), "postgres is PostGIS 15")
    check("smtp-relay" in svcs, "an SMTP relay")
    check("migrate" in svcs, "a migration step")
    declared = set(doc.get("secrets", {}))
    for name, sec in doc.get("secrets", {}).items():
        check(sec.get("file", "").startswith("./secrets/"), f"secret {name} from ./secrets")
    for name, s in svcs.items():
        for sname in s.get("secrets", []):
            check(sname in declared, f"{name}: secret {sname} declared")
    for svc, ops in SERVICES.items():
        s = svcs.get(svc)
        if not s:
            check(False, f"service {svc} present")
            continue
        check(s.get("user") == "10001:10001", f"{svc}: runs as 10001")
        check(s.get("read_only") is True and s.get("cap_drop") == ["ALL"], f"{svc}: read-only, no capabilities")
        check(seconds(s.get("stop_grace_period")) > 15, f"{svc}: grace period above the 15 s drain")
        env = s.get("environment", {})
        check(str(env.get(f"PRAHARI_{svc.upper()}_OPS_PORT")) == str(ops), f"{svc}: ops port {ops}")
        check(str(ops) in " ".join(s.get("healthcheck", {}).get("test", [])), f"{svc}: health-checks port {ops}")
        check(s.get("build", {}).get("args", {}).get("SERVICE") == svc, f"{svc}: built with SERVICE={svc}")
        check(s.get("depends_on", {}).get("migrate", {}).get("condition") == "service_completed_successfully",
              f"{svc}: starts after the migration")
        for var, val in env.items():
            if var.endswith("_FILE"):
                sec = str(val).removeprefix("/run/secrets/")
                check(sec in s.get("secrets", []), f"{svc}: {var} is a mounted secret")
            elif re.search(r"(PASSWORD|SECRET|TOKEN)$", var):
                check(False, f"{svc}: {var} inline")
    for f in fails:
        print("FAIL:", f)
    print(f"{passes} passed, {len(fails)} failed")
    return 0 if not fails and passes > 40 else 1


if __name__ == "__main__":
    sys.exit(main())
