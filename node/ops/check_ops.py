#!/usr/bin/env python3
"""Checks the ops files against what slotd and slot-gateway really export.

usage: check_ops.py SLOTD_BINARY

- slotd's names come from `SLOTD --metrics-names`, which prints
  METRICS_LIST (node/metrics.h): the same table the renderer writes every
  HELP/TYPE line from (test_metrics checks that a render declares exactly
  those names).
- slot-gateway's names are the metric name literals of the two files that
  render its /metrics (client/gateway/gw_metrics.c, gw_stats.c).
- Every slotd_*/slot_gateway_*/slot_stats_* name in an expression of the
  dashboard (node/ops/grafana-slotd.json) or the alert rules
  (node/ops/slotd-alerts.yml) must be one of those, or a histogram's
  _bucket/_sum/_count series of one.
- The dashboard's structure: a datasource variable of type prometheus that
  every panel and target uses, unique panel ids, a gridPos each, a
  non-empty expression in every target.
- The rules' structure: groups with a name and rules; each rule an alert
  with expr, for, labels.severity and annotations.summary. With promtool
  on PATH (Debian's prometheus package), `promtool check rules` and
  `promtool test rules node/ops/slotd-alerts.test.yml` as well (the
  package is not installed by node/deps/setup.sh: it brings a server).

Prints "N passed, N failed" (one test per check).
"""
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPS = os.path.join(ROOT, "node", "ops")
DASHBOARD = os.path.join(OPS, "grafana-slotd.json")
RULES = os.path.join(OPS, "slotd-alerts.yml")
RULES_TEST = os.path.join(OPS, "slotd-alerts.test.yml")
GATEWAY_SOURCES = [os.path.join(ROOT, "client", "gateway", f)
                   for f in ("gw_metrics.c", "gw_stats.c")]
NAME_RE = re.compile(r"\b(slotd_[a-z0-9_]+|slot_gateway_[a-z0-9_]+|slot_stats_[a-z0-9_]+)\b")
HIST_SUFFIXES = ("_bucket", "_sum", "_count")

passed = 0
failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)


def slotd_names(binary):
    out = subprocess.run([binary, "--metrics-names"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def gateway_names():
    names = set()
    for path in GATEWAY_SOURCES:
        with open(path) as f:
            names |= set(re.findall(r'"(slot_(?:gateway|stats)_[a-z0-9_]+)', f.read()))
    return names


def known(name, exported):
    if name in exported:
        return True
    return any(name.endswith(s) and name[: -len(s)] in exported for s in HIST_SUFFIXES)


def load_yaml(path):
    try:
        import yaml
    except ImportError:
        # Debian's python3-yaml when another python3 comes first on PATH.
        if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        raise
    with open(path) as f:
        return yaml.safe_load(f)


def dashboard_exprs(d, where):
    """(where, expr) for every target of every panel, rows' panels too."""
    for p in d.get("panels", []):
        yield from dashboard_exprs(p, where + "/" + str(p.get("title")))
        for t in p.get("targets", []):
            yield where + "/" + str(p.get("title")), t.get("expr")


def check_dashboard(d):
    tl = d.get("templating", {}).get("list", [])
    ds = [v for v in tl if v.get("type") == "datasource" and v.get("query") == "prometheus"]
    check(len(ds) == 1, "dashboard: one prometheus datasource variable")
    var = "${%s}" % ds[0]["name"] if ds else None
    ids = []
    ok_ds = ok_grid = True
    for p in d.get("panels", []):
        ids.append(p.get("id"))
        g = p.get("gridPos", {})
        ok_grid &= all(isinstance(g.get(k), int) for k in ("h", "w", "x", "y"))
        if p.get("type") != "row":
            ok_ds &= p.get("datasource", {}).get("uid") == var
            for t in p.get("targets", []):
                ok_ds &= t.get("datasource", {}).get("uid") == var
    check(len(ids) == len(set(ids)) and None not in ids, "dashboard: unique panel ids")
    check(ok_grid, "dashboard: every panel has a gridPos")
    check(ok_ds, "dashboard: every panel and target uses the datasource variable")
    check(isinstance(d.get("schemaVersion"), int) and d.get("uid") and d.get("title"),
          "dashboard: uid, title, schemaVersion")
    exprs = list(dashboard_exprs(d, ""))
    exprs += [("variable " + str(v.get("name")), v.get("query")) for v in tl
              if v.get("type") == "query"]
    check(exprs and all(isinstance(e, str) and e.strip() for _, e in exprs),
          "dashboard: every target has an expression")
    return exprs


def check_rules(r):
    groups = r.get("groups") if isinstance(r, dict) else None
    check(isinstance(groups, list) and groups, "rules: groups")
    exprs = []
    ok = True
    alerts = set()
    for g in groups or []:
        ok &= isinstance(g.get("name"), str) and isinstance(g.get("rules"), list)
        for rule in g.get("rules") or []:
            a = rule.get("alert")
            ok &= isinstance(a, str) and a not in alerts
            alerts.add(a)
            ok &= isinstance(rule.get("expr"), str) and bool(rule["expr"].strip())
            ok &= isinstance(rule.get("for"), str) and re.fullmatch(r"\d+[smh]", rule["for"]) is not None
            ok &= rule.get("labels", {}).get("severity") in ("critical", "warning", "info")
            ok &= isinstance(rule.get("annotations", {}).get("summary"), str)
            exprs.append(("alert " + str(a), rule.get("expr") or ""))
    check(ok, "rules: each an alert with expr, for, severity, summary")
    want = {"SlotdNoLeader", "SlotdFollowerLagging", "SlotdDiskSlow", "SlotdSnapshotFailing"}
    check(want <= alerts, "rules: no leader, follower lagging, disk slow, snapshot failing")
    return exprs


def main():
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    exported = slotd_names(sys.argv[1])
    check(len(exported) > 20 and all(n.startswith("slotd_") for n in exported),
          "slotd --metrics-names lists slotd_ names")
    exported |= gateway_names()
    check(any(n.startswith("slot_gateway_") for n in exported),
          "gateway metric names found in its sources")
    with open(DASHBOARD) as f:
        exprs = check_dashboard(json.load(f))
    exprs += check_rules(load_yaml(RULES))
    unknown = []
    used = set()
    for where, e in exprs:
        for name in NAME_RE.findall(e or ""):
            used.add(name)
            if not known(name, exported):
                unknown.append("%s: %s" % (where, name))
    for u in unknown:
        print("  unknown metric: " + u)
    check(not unknown, "every metric the dashboard and the rules use is exported")
    check(len(used) >= 15, "the ops files use the metrics (%d names)" % len(used))
    promtool = shutil.which("promtool")
    if promtool:
        rc = subprocess.run([promtool, "check", "rules", RULES], timeout=60).returncode
        check(rc == 0, "promtool check rules")
        rc = subprocess.run([promtool, "test", "rules", RULES_TEST], timeout=60).returncode
        check(rc == 0, "promtool test rules (each alert fires on its series)")
    else:
        print("promtool not installed (Debian: prometheus): YAML structure checked only")
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
