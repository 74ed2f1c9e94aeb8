#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ops_kustomize_render: renders the dev and production overlays with
`kubectl kustomize` and checks what the issue asks of them: the kinds, the
probes on the ops port, resources, grace period, non-root security
contexts, settings that resolve, secrets mounted as files and never inlined
(none of the fixture secrets appears anywhere), the directory ConfigMap equal
to the repository's CSV and covering the 41 districts, and in production the
Strimzi topics (12 partitions, 3 replicas, min.insync.replicas 2) and lag
autoscaling. Python standard library only.

    check_render.py REPO_ROOT SHARED_DIR [KUBECTL]
"""

import csv
import io
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miniyaml  # noqa: E402

SERVICES = {"ingest": 9101, "enrich": 9102, "router": 9103, "notifier": 9104}
PUBLIC = {"ingest": 8080, "notifier": 8084}
DRAIN_S = 15  # the services' own shutdown drain (architecture: clean shutdown)


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}")
        return cond


def render(kubectl, overlay):
    r = subprocess.run([kubectl, "kustomize", overlay], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"kubectl kustomize {overlay} failed:\n{r.stderr}")
    return r.stdout


def fixture_secrets(shared):
    """Every secret string of the shared fixtures (values of at least 8 characters)."""
    with open(os.path.join(shared, "fixtures", "secrets.json"), encoding="utf-8") as f:
        data = json.load(f)
    out = []

    def walk(k, v):
        if isinstance(v, dict):
            for kk, vv in v.items():
                walk(f"{k}.{kk}", vv)
        elif isinstance(v, str) and re.search(r"secret|token|key", k) and len(v) >= 8 \
                and not v.startswith("keys/"):
            out.append(v)
    walk("", data)
    return out


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def named(docs, kind, name):
    for d in by_kind(docs, kind):
        if d["metadata"]["name"] == name:
            return d
    return None


def check_deployment(c, ov, docs, svc, configmaps):
    name = f"prahari-{svc}"
    d = named(docs, "Deployment", name)
    if not c.check(d is not None, f"{ov}: Deployment {name} present"):
        return
    spec = d["spec"]
    pod = spec["template"]["spec"]
    c.check(isinstance(spec.get("replicas"), int) and spec["replicas"] >= 1,
            f"{ov}: {name} has a replica count")
    c.check(spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items(),
            f"{ov}: {name} selector matches its pod labels")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    c.check(grace > DRAIN_S, f"{ov}: {name} terminationGracePeriodSeconds {grace} > drain {DRAIN_S}s")
    psc = pod.get("securityContext", {})
    c.check(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0,
            f"{ov}: {name} pod runs as non-root with a numeric uid")
    c.check(pod.get("automountServiceAccountToken") is False, f"{ov}: {name} mounts no API token")
    containers = pod["containers"]
    c.check(len(containers) == 1, f"{ov}: {name} has one container")
    ct = containers[0]
    csc = ct.get("securityContext", {})
    c.check(csc.get("allowPrivilegeEscalation") is False, f"{ov}: {name} no privilege escalation")
    c.check(csc.get("readOnlyRootFilesystem") is True, f"{ov}: {name} read-only root")
    c.check("ALL" in csc.get("capabilities", {}).get("drop", []), f"{ov}: {name} drops all capabilities")

    # With host networking (dev) no ports are declared (podman refuses them);
    # otherwise the ops and public ports must be.
    ports = {p["name"]: p["containerPort"] for p in ct.get("ports", [])}
    if not pod.get("hostNetwork"):
        c.check(ports.get("ops") == SERVICES[svc], f"{ov}: {name} ops port {SERVICES[svc]} ({ports})")
        if svc in PUBLIC:
            c.check(ports.get("http") == PUBLIC[svc], f"{ov}: {name} public port {PUBLIC[svc]}")
    else:
        c.check(not ports, f"{ov}: {name} declares no container ports on the host network")

    def probe(kind, path):
        p = ct.get(kind)
        ok = p is not None and p.get("httpGet", {}).get("path") == path
        port = p and p["httpGet"].get("port")
        ok = ok and (port == SERVICES[svc] or (port == "ops" and ports.get("ops") == SERVICES[svc]))
        c.check(ok, f"{ov}: {name} {kind} GET {path} on the ops port")
    probe("readinessProbe", "/readyz")
    probe("livenessProbe", "/healthz")

    res = ct.get("resources", {})
    c.check(bool(res.get("requests", {}).get("memory")) and bool(res.get("limits", {}).get("memory")),
            f"{ov}: {name} memory request and limit")
    c.check(bool(res.get("requests", {}).get("cpu")), f"{ov}: {name} cpu request")

    # Settings: every referenced ConfigMap exists; the ops port setting agrees with the port.
    env = {}
    for ef in ct.get("envFrom", []):
        ref = ef.get("configMapRef", {}).get("name")
        if c.check(ref in configmaps, f"{ov}: {name} envFrom ConfigMap {ref} exists"):
            env.update(configmaps[ref].get("data", {}))
    for e in ct.get("env", []):
        env[e["name"]] = e.get("value")
    ops_var = f"PRAHARI_{svc.upper()}_OPS_PORT"
    c.check(str(env.get(ops_var)) == str(SERVICES[svc]), f"{ov}: {name} {ops_var} = {SERVICES[svc]}")
    if svc in PUBLIC:
        pv = f"PRAHARI_{svc.upper()}_PORT"
        c.check(str(env.get(pv)) == str(PUBLIC[svc]), f"{ov}: {name} {pv} = {PUBLIC[svc]}")
    c.check(bool(env.get("PRAHARI_PG_DSN")) and bool(env.get("KAFKA_BOOTSTRAP_SERVERS")),
            f"{ov}: {name} has PRAHARI_PG_DSN and KAFKA_BOOTSTRAP_SERVERS")

    # Secrets as files: every *_FILE under /run/secrets is on a mounted volume;
    # no secret-looking variable carries a value itself.
    mounts = [m["mountPath"] for m in ct.get("volumeMounts", [])]
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    for m in ct.get("volumeMounts", []):
        c.check(m["name"] in vols, f"{ov}: {name} mount {m['name']} has a volume")
    for k, v in env.items():
        if k.endswith("_FILE") and isinstance(v, str) and v.startswith("/run/secrets/"):
            c.check(any(v.startswith(mp.rstrip("/") + "/") for mp in mounts),
                    f"{ov}: {name} {k}={v} lies on a mounted volume")
        elif re.search(r"(PASSWORD|SECRET|TOKEN)$", k):
            c.check(False, f"{ov}: {name} {k} set inline (use {k}_FILE)")
    return env, pod


def check_overlay(c, ov, text, root, shared, secrets):
    docs = miniyaml.load_all(text)
    try:  # cross-check the reader against PyYAML where it is installed
        import yaml
        c.check(docs == [d for d in yaml.safe_load_all(text) if d is not None],
                f"{ov}: miniyaml reads the render exactly as PyYAML does")
    except ImportError:
        pass
    kinds = {d["kind"] for d in docs}
    for k in ("Deployment", "Service", "PodDisruptionBudget", "ConfigMap", "Job", "ServiceAccount"):
        c.check(k in kinds, f"{ov}: has a {k}")

    # No secret value anywhere: no Secret objects with data, no fixture secret in the text.
    for s in by_kind(docs, "Secret"):
        c.check(not s.get("data") and not s.get("stringData"),
                f"{ov}: Secret {s['metadata']['name']} carries no data")
    for v in secrets:
        c.check(v not in text, f"{ov}: fixture secret {v[:6]}... not in the render")
    c.check(not re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", text), f"{ov}: no private key inlined")

    configmaps = {d["metadata"]["name"]: d for d in by_kind(docs, "ConfigMap")}
    envs = {}
    for svc in SERVICES:
        r = check_deployment(c, ov, docs, svc, configmaps)
        if r:
            envs[svc] = r
        pdb = named(docs, "PodDisruptionBudget", f"prahari-{svc}")
        if c.check(pdb is not None, f"{ov}: PodDisruptionBudget prahari-{svc}"):
            c.check(pdb["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": f"prahari-{svc}"},
                    f"{ov}: PDB prahari-{svc} selects its pods")
        svc_obj = named(docs, "Service", f"prahari-{svc}")
        if c.check(svc_obj is not None, f"{ov}: Service prahari-{svc}"):
            c.check(any(p["port"] == SERVICES[svc] for p in svc_obj["spec"]["ports"]),
                    f"{ov}: Service prahari-{svc} exposes the ops port")

    # The migration Job: migrate first, then the directory import from the ConfigMap.
    job = named(docs, "Job", "prahari-migrate")
    if c.check(job is not None, f"{ov}: Job prahari-migrate"):
        pod = job["spec"]["template"]["spec"]
        c.check(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"{ov}: Job runs as non-root")
        c.check([x["name"] for x in pod.get("initContainers", [])] == ["migrate"], f"{ov}: Job migrates first")
        imp = pod["containers"][0]
        c.check(imp.get("args", [])[:2] == ["directory", "import"], f"{ov}: Job imports the directory")
        dirvol = [v for v in pod["volumes"] if "configMap" in v]
        c.check(len(dirvol) == 1 and dirvol[0]["configMap"]["name"] in configmaps,
                f"{ov}: Job mounts the directory ConfigMap")
    # The retention CronJob: nightly, non-root, an operator login, the SQL function.
    cj = named(docs, "CronJob", "prahari-retention")
    if c.check(cj is not None, f"{ov}: CronJob prahari-retention"):
        pod = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        ct = pod["containers"][0]
        script = " ".join(ct.get("command", []) + ct.get("args", []))
        c.check(pod["securityContext"].get("runAsNonRoot") is True, f"{ov}: retention runs as non-root")
        c.check("prahari_redact_older_than(:'days'::int" in script, f"{ov}: retention calls the SQL function")
        c.check("PRAHARI_PG_PASSWORD" not in script and "PGPASSWORD=\"$(cat /run/secrets/" in script,
                f"{ov}: retention reads its password from the mounted file")
        mcm = next((d for n, d in configmaps.items() if n.startswith("prahari-migrate-settings")), {})
        c.check(str(mcm.get("data", {}).get("PRAHARI_RETENTION_DAYS")) == "90", f"{ov}: retention default 90 days")
        c.check("prahari_admin_app" in str(mcm.get("data", {}).get("PRAHARI_ADMIN_PG_DSN")) or ov == "dev",
                f"{ov}: retention as the operator login")
    # The directory ConfigMap equals the repository's CSV and covers the 41 districts.
    dcm = [d for n, d in configmaps.items() if n.startswith("prahari-directory")]
    if c.check(len(dcm) == 1, f"{ov}: one directory ConfigMap"):
        csv_text = dcm[0]["data"]["directory.csv"]
        repo_csv = os.path.join(root, "deploy", "directory", "rajasthan.csv")
        if c.check(os.path.exists(repo_csv), f"{ov}: {repo_csv} exists"):
            with open(repo_csv, encoding="utf-8") as f:
                c.check(f.read() == csv_text,
                        f"{ov}: directory ConfigMap == deploy/directory/rajasthan.csv "
                        "(run deploy/kubernetes/sync-directory.sh)")
        with open(os.path.join(shared, "data", "gazetteer", "rajasthan_districts_41.csv"),
                  encoding="utf-8") as f:
            districts = {r["district"] for r in csv.DictReader(f)}
        rows = list(csv.DictReader(io.StringIO(csv_text)))
        juris = {r.get("jurisdiction") for r in rows}
        missing = sorted(districts - juris)
        c.check(len(districts) == 41 and not missing, f"{ov}: directory covers the 41 districts "
                f"(missing: {missing[:5]}{'...' if len(missing) > 5 else ''})")
        c.check("STATE_COMMAND_CENTRE" in juris, f"{ov}: directory has the state command centre")
    return docs, envs


def check_dev(c, docs, envs):
    for svc, (env, pod) in envs.items():
        c.check(pod.get("hostNetwork") is True, f"dev: prahari-{svc} on the host network")
        img = pod["containers"][0]["image"]
        c.check(img == f"localhost/prahari-{svc}:dev", f"dev: prahari-{svc} image {img}")
        c.check(env.get("KAFKA_BOOTSTRAP_SERVERS") == "127.0.0.1:19092", f"dev: prahari-{svc} uses the dev broker")
        c.check("host=127.0.0.1" in env.get("PRAHARI_PG_DSN", "") and "port=55432" in env["PRAHARI_PG_DSN"],
                f"dev: prahari-{svc} uses the local PostgreSQL")
        d = next(x for x in by_kind(docs, "Deployment") if x["metadata"]["name"] == f"prahari-{svc}")
        c.check(d["spec"]["replicas"] == 1, f"dev: prahari-{svc} one replica (host ports)")


def check_production(c, docs, envs):
    topics = {t["spec"]["topicName"]: t for t in by_kind(docs, "KafkaTopic")}
    for t in ("normalized", "enriched", "routed", "deadletter"):
        name = f"prahari.alerts.{t}.v1"
        kt = topics.get(name)
        if not c.check(kt is not None, f"production: KafkaTopic {name}"):
            continue
        sp = kt["spec"]
        c.check(sp["replicas"] == 3, f"production: {name} replicas 3")
        c.check(sp["config"].get("min.insync.replicas") == 2, f"production: {name} min.insync.replicas 2")
        want = "12" if t != "deadletter" else ">= 1"
        c.check(sp["partitions"] == 12 if t != "deadletter" else sp["partitions"] >= 1,
                f"production: {name} partitions {sp['partitions']} ({want})")
        c.check(kt["metadata"]["labels"].get("strimzi.io/cluster") == "prahari-kafka",
                f"production: {name} belongs to the Strimzi cluster")
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in by_kind(docs, "ScaledObject")}
    hpas = {h["spec"]["scaleTargetRef"]["name"] for h in by_kind(docs, "HorizontalPodAutoscaler")}
    consumes = {"enrich": "normalized", "router": "enriched", "notifier": "routed"}
    for svc, topic in consumes.items():
        so = scaled.get(f"prahari-{svc}")
        if c.check(so is not None, f"production: prahari-{svc} scales on consumer lag"):
            trig = so["spec"]["triggers"][0]
            c.check(trig["type"] == "kafka" and trig["metadata"]["consumerGroup"] == f"prahari-{svc}"
                    and trig["metadata"]["topic"] == f"prahari.alerts.{topic}.v1",
                    f"production: prahari-{svc} lag trigger on its group and topic")
            c.check(so["spec"]["maxReplicaCount"] <= topics[f"prahari.alerts.{topic}.v1"]["spec"]["partitions"],
                    f"production: prahari-{svc} never more replicas than partitions")
    c.check("prahari-ingest" in hpas, "production: prahari-ingest has an HPA")
    ns = by_kind(docs, "Namespace")
    c.check(len(ns) == 1 and ns[0]["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") == "restricted",
            "production: namespace enforces Pod Security restricted")
    for svc, (env, pod) in envs.items():
        c.check(env.get("KAFKA_SECURITY_PROTOCOL") == "SASL_SSL", f"production: prahari-{svc} Kafka SASL_SSL")
        c.check(env.get("KAFKA_SASL_MECHANISM", "").startswith("SCRAM-"), f"production: prahari-{svc} SCRAM")
        c.check("sslmode=verify-full" in env.get("PRAHARI_PG_DSN", ""), f"production: prahari-{svc} PG verify-full")
        c.check(not pod.get("hostNetwork"), f"production: prahari-{svc} not on the host network")
        c.check("127.0.0.1" not in env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1"),
                f"production: prahari-{svc} points at a real Kafka")
        img = pod["containers"][0]["image"]
        c.check(not img.startswith("localhost/") and ":" in img, f"production: prahari-{svc} image {img} tagged")
    # Every container that connects with sslrootcert=PATH has PATH on a mounted volume.
    cms = {d["metadata"]["name"]: d.get("data", {}) for d in by_kind(docs, "ConfigMap")}
    pods = [(d["metadata"]["name"], d["spec"]["template"]["spec"]) for d in docs if d["kind"] in ("Deployment", "Job")]
    pods += [(d["metadata"]["name"], d["spec"]["jobTemplate"]["spec"]["template"]["spec"]) for d in by_kind(docs, "CronJob")]
    for name, pod in pods:
        for ct in pod.get("containers", []) + pod.get("initContainers", []):
            env = {}
            for ef in ct.get("envFrom", []):
                env.update(cms.get(ef.get("configMapRef", {}).get("name"), {}))
            for e in ct.get("env", []):
                ref = e.get("valueFrom", {}).get("configMapKeyRef")
                env[e["name"]] = cms.get(ref["name"], {}).get(ref["key"]) if ref else e.get("value")
            dsn = env.get("PRAHARI_PG_DSN") or ""
            m = re.search(r"sslrootcert=(\S+)", dsn)
            mounts = [v["mountPath"] for v in ct.get("volumeMounts", [])]
            c.check("sslmode=verify-full" in dsn and m and any(m.group(1).startswith(mp + "/") for mp in mounts),
                    f"production: {name}/{ct['name']} verifies PostgreSQL with a mounted CA")
    users = {u["metadata"]["name"] for u in by_kind(docs, "KafkaUser")}
    c.check({f"prahari-{s}" for s in SERVICES} <= users, "production: one KafkaUser per service")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    root, shared = sys.argv[1], sys.argv[2]
    kubectl = sys.argv[3] if len(sys.argv) > 3 else "kubectl"
    c = Checker()
    secrets = fixture_secrets(shared)
    c.check(len(secrets) >= 3, f"found {len(secrets)} fixture secrets to look for")
    base = os.path.join(root, "deploy", "kubernetes", "overlays")
    for ov, extra in (("dev", check_dev), ("production", check_production)):
        text = render(kubectl, os.path.join(base, ov))
        docs, envs = check_overlay(c, ov, text, root, shared, secrets)
        c.check(len(envs) == 4, f"{ov}: four services checked")
        extra(c, docs, envs)
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 and c.passed > 100 else 1


if __name__ == "__main__":
    sys.exit(main())
