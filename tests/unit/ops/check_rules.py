#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ops_alert_rules: checks deploy/observability without a Prometheus server.
The rules file: every rule is named, has a severity, a summary, a
description and a runbook link to a section that exists in
docs/operations.md; expressions are balanced and use only Prahari's metric
names (a typo in a metric name makes a rule that can never fire); the six
rules the issue asks for exist. The dashboard: valid JSON, every panel
queries known metrics, and every metric is shown somewhere. promtool, when
installed, checks the rules too. Python standard library only.

    check_rules.py REPO_ROOT
"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miniyaml  # noqa: E402

# The metric names of docs/architecture.md and the services (prefix prahari_).
METRICS = {
    "prahari_stage_messages_total", "prahari_stage_seconds", "prahari_ingest_requests_total",
    "prahari_ingest_alerts_total", "prahari_ingest_commit_seconds",
    "prahari_reconciler_republished_total", "prahari_quarantine_size",
    "prahari_enrich_located_total", "prahari_router_routed_total", "prahari_notifications_total",
    "prahari_escalations_total", "prahari_unacknowledged_alerts", "prahari_kafka_consumer_lag",
}
REQUIRED_RULES = {
    "PrahariAlertStuckInStage": "an alert stuck in a stage longer than a minute",
    "PrahariUnacknowledgedCriticalAlert": "an unacknowledged critical alert past its window",
    "PrahariProviderFailing": "a provider failing",
    "PrahariQuarantineNotEmpty": "quarantine not empty",
    "PrahariConsumerLagGrowing": "consumer lag growing",
    "PrahariServiceDown": "a service down",
}
DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


class Checker:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}")
        return cond


def balanced(expr, quotes="\"'`"):
    """@brief True if (), [] and {} nest properly outside quoted strings."""
    pairs, stack, quote = {")": "(", "]": "[", "}": "{"}, [], None
    i = 0
    while i < len(expr):
        ch = expr[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in quotes:
            quote = ch
        elif ch in "([{":
            stack.append(ch)
        elif ch in ")]}":
            if not stack or stack.pop() != pairs[ch]:
                return False
        i += 1
    return not stack and quote is None


def metric_names(expr):
    """@brief Prahari metric names an expression uses (histogram suffixes folded)."""
    # drop quoted strings first: label values are not metric names
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    out = set()
    for m in re.findall(r"\bprahari_[a-z0-9_]+\b", bare):
        for suf in ("_bucket", "_sum", "_count"):
            if m.endswith(suf) and m[: -len(suf)] in METRICS:
                m = m[: -len(suf)]
        out.add(m)
    return out


def github_anchors(markdown):
    """@brief The anchors GitHub makes for a Markdown file's headings."""
    out = set()
    for line in markdown.split("\n"):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            a = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            out.add(a)
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    c = Checker()
    obs = os.path.join(root, "deploy", "observability")
    rules_path = os.path.join(obs, "prahari-alerts.rules.yml")
    text = open(rules_path, encoding="utf-8").read()
    docs = miniyaml.load_all(text)
    try:
        import yaml
        c.check(docs == [d for d in yaml.safe_load_all(text) if d is not None],
                "miniyaml reads the rules as PyYAML does")
    except ImportError:
        pass
    c.check(len(docs) == 1 and isinstance(docs[0].get("groups"), list), "rules: one document with groups")
    ops_md = os.path.join(root, "docs", "operations.md")
    anchors = github_anchors(open(ops_md, encoding="utf-8").read()) if os.path.exists(ops_md) else set()
    c.check(bool(anchors), "docs/operations.md exists and has headings")

    names, used = set(), set()
    for g in docs[0]["groups"]:
        c.check(bool(g.get("name")) and g["rules"], f"group {g.get('name')} has a name and rules")
        for r in g["rules"]:
            a = r.get("alert", "?")
            c.check(a not in names, f"{a}: unique")
            names.add(a)
            expr = r.get("expr", "")
            c.check(isinstance(expr, str) and expr.strip() != "", f"{a}: has an expression")
            c.check(balanced(expr), f"{a}: brackets balanced in {expr!r}")
            ms = metric_names(expr)
            used |= ms
            c.check(ms <= METRICS, f"{a}: unknown metric(s) {sorted(ms - METRICS)}")
            c.check(bool(ms) or "up{" in expr, f"{a}: queries a Prahari metric or up")
            if "for" in r:
                c.check(bool(DURATION.match(str(r["for"]))), f"{a}: 'for' {r['for']!r} is a duration")
            c.check(r.get("labels", {}).get("severity") in ("critical", "warning"), f"{a}: severity")
            ann = r.get("annotations", {})
            for k in ("summary", "description", "runbook_url"):
                c.check(bool(ann.get(k)), f"{a}: annotation {k}")
            url = ann.get("runbook_url", "")
            anchor = url.split("#", 1)[1] if "#" in url else ""
            c.check(url.startswith("docs/operations.md#") and anchor in anchors,
                    f"{a}: runbook {url} is a section of docs/operations.md")
            c.check(anchor == a.lower(), f"{a}: runbook anchor named after the rule")
            for k, v in ann.items():
                c.check(balanced(v.replace("{{", "(").replace("}}", ")"), quotes=""), f"{a}: template in {k} balanced")
    for rule, what in REQUIRED_RULES.items():
        c.check(rule in names, f"rule for {what} ({rule})")

    # The dashboard
    dash = json.load(open(os.path.join(obs, "prahari-dashboard.json"), encoding="utf-8"))
    c.check(dash.get("uid") and dash.get("title"), "dashboard has uid and title")
    shown = set()
    ids = [p["id"] for p in dash["panels"]]
    c.check(len(ids) == len(set(ids)), "dashboard panel ids unique")
    for p in dash["panels"]:
        if p["type"] == "row":
            continue
        c.check(bool(p.get("targets")), f"panel {p['title']}: has queries")
        for t in p.get("targets", []):
            ms = metric_names(t["expr"])
            shown |= ms
            c.check(balanced(t["expr"]), f"panel {p['title']}: brackets balanced")
            c.check(ms <= METRICS, f"panel {p['title']}: unknown metric(s) {sorted(ms - METRICS)}")
    c.check(METRICS <= shown, f"dashboard shows every metric (missing {sorted(METRICS - shown)})")

    # What the code registers today, for information (services are still growing).
    registered = set()
    for base in ("common", "services", "tools"):
        for dp, _, files in os.walk(os.path.join(root, base)):
            for f in files:
                if f.endswith(".c"):
                    src = open(os.path.join(dp, f), encoding="utf-8", errors="replace").read()
                    registered |= set(re.findall(r'metrics_(?:counter|gauge|histogram)\(\s*"(prahari_[a-z0-9_]+)"', src))
    missing = sorted((used | shown) - registered)
    if missing:
        print(f"note: not (yet) registered by any service: {', '.join(missing)}")

    promtool = shutil.which("promtool")
    if promtool:
        r = subprocess.run([promtool, "check", "rules", rules_path], capture_output=True, text=True)
        c.check(r.returncode == 0, f"promtool check rules: {r.stdout}{r.stderr}")
    else:
        print("note: promtool not installed; structural checks only")

    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 and c.passed > 50 else 1


if __name__ == "__main__":
    sys.exit(main())
