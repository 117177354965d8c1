#!/usr/bin/env python3
"""browser_console: headless Chromium drives the operator console of a
real slot-gateway over a real 3-node cluster (started by test_browser,
which passes the gateway's URL and tokens).

Steps, a screenshot after each (OUT/NN-step.png), each asserting what the
page shows, not only that a PNG exists:
  01 the console opens            02 sign in with the admin token
  03 cluster health: /healthz's node and leader, and the node list (GET
     /v1/cluster): the three nodes, reachable, one leader marked
  04 a pool (REST, admin token) in the pools view, 10 free
  05 a burst of 30 patients (REST holds + confirms) sells it out: the row
     reaches 0 free / 10 booked from the event feed, the page not reloaded
  06 stop the clinic in the console (operator, reason): 10 bookings
     affected, the REST API reads it stopped, the row shows it stopped
  07 a patient blacklisted (REST violations) looked up in the console
  08 unblocked in the console with a reason: the REST API reads the
     standing lifted and the staff log holds the operator and reason
  09 the event feed view lists the pool's events
A console error, an uncaught exception or a failed request fails the test.
Prints "N passed, N failed" (one test per step).
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

CAPACITY = 10
PATIENTS = 30
WAIT_S = 60  # any wait for the page (a bound, not a performance claim)


class Rest:
    """The gateway's REST API, as the channels and the test see it."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, token, body=None, key=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        req.add_header("Authorization", "Bearer " + token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if key is not None:
            req.add_header("Idempotency-Key", key)
        try:
            with cdp.NO_PROXY.open(req, timeout=30) as r:
                return r.status, json.loads(r.read().decode() or "null")
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, {"raw": text}

    def ok(self, method, path, token, body=None, want=200, key=None):
        st, j = self.call(method, path, token, body, key)
        if st != want:
            raise AssertionError("%s %s -> %d %s (want %d)" % (
                method, path, st, j, want))
        return j


def enc(s):
    return urllib.parse.quote(s, safe="")


class Scenario:
    def __init__(self, a):
        self.a = a
        self.rest = Rest(a.url)
        tag = "%d" % (os.getpid() % 100000)
        self.hospital = "BRW" + tag
        day = datetime.datetime.now(datetime.timezone.utc).date() + \
            datetime.timedelta(days=2)
        self.visit_date = day.isoformat()
        start = datetime.datetime(day.year, day.month, day.day, 14, 0,
                                  tzinfo=datetime.timezone.utc)
        self.seg_ms = (int(start.timestamp() * 1000),
                       int(start.timestamp() * 1000) + 3600 * 1000)
        # A real pool id has '/' in it: the console must encode it.
        self.pool = "%s/derm/wang/%s/1400" % (self.hospital,
                                               day.strftime("%Y%m%d"))
        self.blocked = "brw-blk-" + tag
        self.passed = 0
        self.failed = 0
        self.b = None

    # ---- page helpers --------------------------------------------------

    def tab(self, view):
        self.b.click('#tabs button[data-view="%s"]' % view)
        self.b.wait_selector("#view-" + view)

    def pool_cells(self):
        """The pool's row in the pools view as {header: cell text}, or
        None."""
        return self.b.eval("""(() => {
            const rows = document.querySelectorAll('#pools-table tbody tr');
            const tr = Array.from(rows).find((r) => r.dataset.pool === %s);
            if (!tr) return null;
            const heads = Array.from(
                document.querySelectorAll('#pools-table thead th'),
                (h) => h.textContent.trim());
            const out = {};
            Array.from(tr.cells).forEach((c, i) => {
                out[heads[i] || ('col' + i)] = c.textContent.trim(); });
            return out;
        })()""" % json.dumps(self.pool))

    def wait_pool(self, what, pred_js):
        """Waits until the pool's row satisfies pred_js (an expression
        over `c`, the row's {header: text})."""
        return self.b.wait_for("""(() => {
            const tr = Array.from(
                document.querySelectorAll('#pools-table tbody tr')).find(
                (r) => r.dataset.pool === %s);
            if (!tr) return false;
            const heads = Array.from(
                document.querySelectorAll('#pools-table thead th'),
                (h) => h.textContent.trim());
            const c = {};
            Array.from(tr.cells).forEach((x, i) => {
                c[heads[i]] = x.textContent.trim(); });
            return (%s) ? c : false;
        })()""" % (json.dumps(self.pool), pred_js), what, WAIT_S)

    def feed_rows(self):
        """Rows of the event feed's table naming the pool."""
        return self.b.eval(
            "Array.from(document.querySelectorAll('#feed-table tbody tr'))"
            ".filter((r) => r.textContent.includes(%s)).length"
            % json.dumps(self.pool))

    def page_text(self, sel="body"):
        return self.b.text(sel) or ""

    def expect_in(self, needle, sel, what):
        t = self.page_text(sel)
        if needle not in t:
            raise AssertionError("%s: %r not in %s: %r" % (
                what, needle, sel, t[:600]))

    # ---- steps ---------------------------------------------------------

    def s01_open(self):
        self.b.navigate(self.a.url + "/console")
        self.b.wait_selector("#signin")
        self.b.wait_selector("#token")
        title = self.b.eval("document.title")
        if "console" not in title:
            raise AssertionError("title %r" % title)

    def s02_sign_in(self):
        self.b.type("#token", self.a.admin)
        self.b.click('#signin button[type="submit"]')
        self.b.wait_for("document.querySelector('#whoami').textContent"
                        ".includes('Signed in')", "signed in", WAIT_S)
        self.b.wait_selector("#signout")
        # The token is kept in this tab's sessionStorage, not in the field.
        if self.b.eval("document.querySelector('#token').value") != "":
            raise AssertionError("the token field was not cleared")
        if self.a.admin not in json.dumps(self.b.eval(
                "Object.values(sessionStorage)")):
            raise AssertionError("the admin token is not in sessionStorage")

    def s03_health(self):
        self.tab("health")
        # The view names the node the gateway reaches, its role and the
        # leader, as /healthz says.
        hz = self.rest.ok("GET", "/healthz", self.a.admin)
        self.b.wait_for(
            "(() => { const t = document.querySelector('#health-table')"
            ".textContent; return t.includes('leader') && t.includes(%s) "
            "&& t.includes(%s); })()" % (json.dumps(str(hz["leader_id"])),
                                         json.dumps(hz["role"])),
            "health view shows role %s and leader %s" % (hz["role"],
                                                         hz["leader_id"]),
            WAIT_S)
        self.expect_in("ok", "#health-table", "health status")
        self.three_nodes()

    def three_nodes(self):
        """The health view's node list (#cluster-table, from GET
        /v1/cluster): the three configured addresses, each reachable, one
        leader (its row marked), the same leader the REST API names."""
        nodes = sorted(self.a.nodes.split(","))
        if not self.b.eval("document.querySelector('#cluster-table') !== "
                           "null"):
            raise AssertionError("the console has no node list "
                                 "(#cluster-table): it shows only the node "
                                 "/healthz reaches")
        rows = self.b.wait_for("""(() => {
            const t = document.querySelector('#cluster-table');
            if (t === null) return false;
            const heads = Array.from(t.querySelectorAll('thead th'),
                                     (h) => h.textContent.trim());
            const rows = Array.from(t.querySelectorAll('tbody tr'), (tr) => {
                const c = {leaderRow: tr.classList.contains('leader')};
                Array.from(tr.cells).forEach((x, i) => {
                    c[heads[i]] = x.textContent.trim(); });
                return c;
            });
            return rows.length === 3 &&
                rows.every((r) => r.reachable === 'yes') &&
                rows.filter((r) => r.leaderRow).length === 1 && rows;
        })()""", "three reachable nodes and one leader in #cluster-table",
                               WAIT_S)
        got = sorted(r["address"] for r in rows)
        if got != nodes:
            raise AssertionError("the cluster view lists %s, the cluster is "
                                 "%s" % (got, nodes))
        lead = [r for r in rows if r["leaderRow"]][0]
        if not lead["role"].startswith("leader"):
            raise AssertionError("the marked row's role is %r" % lead["role"])
        others = sorted(r["role"] for r in rows if not r["leaderRow"])
        if others != ["follower", "follower"]:
            raise AssertionError("the other nodes are %s" % others)
        v = self.rest.ok("GET", "/v1/cluster", self.a.admin)
        if str(v["leader"]) != lead["id"]:
            raise AssertionError("the console marks node id %s, GET "
                                 "/v1/cluster names %s" % (lead["id"],
                                                           v["leader"]))
        self.expect_in("Leader: node id %s" % v["leader"], "#cluster-summary",
                       "cluster summary")
        print("cluster view: %s" % [(r["address"], r["role"]) for r in rows],
              flush=True)

    def s04_pool(self):
        self.rest.ok("PUT", "/v1/hospitals/%s/rules" % self.hospital,
                     self.a.admin, {
                         "operator": "browser-test", "reason": "setup",
                         "rules": {"utc_offset": "+00:00",
                                   "blacklist": {"threshold": 2,
                                                 "window_days": 90,
                                                 "days": 90}}})
        self.rest.ok("POST", "/v1/pools", self.a.admin, {
            "pool": self.pool, "capacity": CAPACITY, "release_at_ms": 0,
            "segment": {"start_ms": self.seg_ms[0], "end_ms": self.seg_ms[1]},
            "schedule": {"hospital": self.hospital, "department": "derm",
                         "doctor": "wang", "visit_date": self.visit_date}},
            want=201)
        self.tab("pools")
        self.b.type('#pools-form input[name="hospital"]', self.hospital)
        self.b.click('#pools-form button[type="submit"]')
        c = self.wait_pool("pool row with %d free" % CAPACITY,
                           "c.Free === '%d' && c.Capacity === '%d'"
                           % (CAPACITY, CAPACITY))
        print("pool row: %s" % c, flush=True)
        self.expect_in(self.pool, "#pools-table", "pools view")

    def s05_burst(self):
        # The page must not reload: a mark set now must survive.
        self.b.eval("window.__slotBrowserMark = 'kept'")
        # A slow operator link: the page's reads of the pool take a while,
        # so feed events arrive while one is in flight (the console must
        # still end on the ledger's counts).
        self.b.slow_network(int(os.environ.get("BROWSER_LATENCY_MS", "300")))
        try:
            self.burst_and_watch()
        finally:
            self.b.slow_network(0)

    def burst_and_watch(self):
        tok = self.a.channel

        def one(i):
            p = "brw-%s-%02d" % (self.hospital, i)
            st, j = self.rest.call("POST", "/v1/pools/%s/holds"
                                   % enc(self.pool), tok,
                                   {"patient": p, "ttl_ms": 600000})
            if st != 201:
                return ("hold", st, (j.get("error") or {}).get("code"))
            st, j = self.rest.call("POST", "/v1/holds/%s/confirm"
                                   % j["hold"], tok,
                                   {"payment_ref": "brw-pay-%02d" % i})
            if st != 200:
                return ("confirm", st, (j.get("error") or {}).get("code"))
            return ("booked", st, None)

        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as ex:
            outcomes = list(ex.map(one, range(PATIENTS)))
        booked = sum(1 for o in outcomes if o[0] == "booked")
        refused = {}
        for o in outcomes:
            if o[0] != "booked":
                refused[o] = refused.get(o, 0) + 1
        print("burst: %d booked, refused %s" % (booked, refused), flush=True)
        if booked != CAPACITY:
            raise AssertionError("burst booked %d of %d (refused %s)" % (
                booked, CAPACITY, refused))
        if set(refused) != {("hold", 409, "SOLD_OUT")}:
            raise AssertionError("unexpected refusals %s" % refused)
        p = self.rest.ok("GET", "/v1/pools/%s" % enc(self.pool), self.a.admin)
        if p["free"] != 0 or p["booked"] != CAPACITY:
            raise AssertionError("REST pool after the burst: %s" % p)
        try:
            c = self.wait_pool("live count: 0 free, %d booked" % CAPACITY,
                               "c.Free === '0' && c.Booked === '%d' && "
                               "c.Held === '0'" % CAPACITY)
        except cdp.CdpError as e:
            # Did the feed bring the events (then the view dropped them)?
            raise AssertionError(
                "%s; the row shows %s while the page's feed table holds %d "
                "events of the pool (2 per booking expected)" % (
                    e, self.pool_cells(), self.feed_rows()))
        print("pool row after the burst: %s" % c, flush=True)
        if self.b.eval("window.__slotBrowserMark") != "kept":
            raise AssertionError("the page reloaded during the burst")

    def s06_stop(self):
        self.b.click('#pools-table tbody tr[data-pool="%s"] button'
                     % self.pool.replace('"', '\\"'))
        self.b.wait_selector("#view-stop")
        got = self.b.eval(
            "document.querySelector('#stop-form').elements.pool.value")
        if got != self.pool:
            raise AssertionError("stop form names %r, not the pool" % got)
        self.b.type('#stop-form input[name="operator"]', "ops-browser")
        self.b.type('#stop-form input[name="reason"]', "doctor ill (browser)")
        self.b.click('#stop-form button[type="submit"]')
        self.b.wait_for("document.querySelector('#stop-result').textContent"
                        ".includes('stopped')", "stop result", WAIT_S)
        self.expect_in(self.pool, "#stop-result", "stop result")
        self.expect_in("%d bookings" % CAPACITY, "#stop-result",
                       "stop result")
        # Its claims listed, every booking affected.
        n = self.b.wait_for(
            "(() => { const r = document.querySelectorAll("
            "'#claims-table tbody tr'); return r.length === %d && "
            "Array.from(r).every((x) => x.textContent.includes('booked')) "
            "&& r.length; })()" % CAPACITY,
            "%d booked claims listed" % CAPACITY, WAIT_S)
        print("claims listed: %d" % n, flush=True)
        p = self.rest.ok("GET", "/v1/pools/%s" % enc(self.pool), self.a.admin)
        if p["state"] != "stopped":
            raise AssertionError("REST pool state %r after the console's "
                                 "stop" % p["state"])
        log = self.rest.ok("GET", "/v1/staff-log?limit=1000", self.a.admin)
        if not any(e.get("pool") == self.pool and e.get("operator") ==
                   "ops-browser" and e.get("reason") == "doctor ill (browser)"
                   for e in log.get("entries", [])):
            raise AssertionError("no staff-log entry of the stop: %s" % log)

    def s06b_pools_stopped(self):
        # The pools view follows the stop through the feed (no query).
        self.tab("pools")
        c = self.wait_pool("pool row stopped", "c.State === 'stopped'")
        print("pool row after the stop: %s" % c, flush=True)

    def s07_blacklisted(self):
        for i in range(8):  # bounded: the threshold is 2
            j = self.rest.ok("POST", "/v1/hospitals/%s/violations"
                             % self.hospital, self.a.admin, {
                                 "patient": self.blocked, "kind": "no_show",
                                 "operator": "browser-test",
                                 "reason": "no-show %d" % i})
            if j.get("blacklisted_until_ms"):
                break
        else:
            raise AssertionError("never blacklisted: %s" % j)
        self.tab("patient")
        self.b.type('#patient-form input[name="patient"]', self.blocked)
        self.b.click('#patient-form button[type="submit"]')
        self.b.wait_for("document.querySelector('#patient-record')"
                        ".textContent.includes(%s)" % json.dumps(self.blocked),
                        "patient record", WAIT_S)
        self.b.wait_selector("#unblock-form")
        st = self.standing_row()
        if st is None or st.get("Blacklisted until", "no") in ("", "no"):
            raise AssertionError("no blacklisted standing shown: %s" % st)
        print("standing shown: %s" % st, flush=True)
        got = self.b.eval(
            "document.querySelector('#unblock-form').elements.hospital.value")
        if got != self.hospital:
            raise AssertionError("unblock form names hospital %r" % got)

    def standing_row(self):
        """The patient record's standing row of our hospital as {header:
        text}, or None."""
        return self.b.eval("""(() => {
            for (const t of document.querySelectorAll('#patient-record table')) {
                const heads = Array.from(t.querySelectorAll('thead th'),
                                         (h) => h.textContent.trim());
                if (!heads.includes('Blacklisted until')) continue;
                for (const tr of t.querySelectorAll('tbody tr')) {
                    const c = {};
                    Array.from(tr.cells).forEach((x, i) => {
                        c[heads[i]] = x.textContent.trim(); });
                    if (c.Hospital === %s) return c;
                }
            }
            return null;
        })()""" % json.dumps(self.hospital))

    def s08_unblock(self):
        self.b.type('#unblock-form input[name="operator"]', "ops-browser")
        self.b.type('#unblock-form input[name="reason"]',
                    "paper records show he came (browser)")
        self.b.click('#unblock-form button[type="submit"]')
        self.b.wait_for("document.querySelector('#unblock-result')"
                        ".textContent.includes('unblocked')",
                        "unblock result", WAIT_S)
        self.expect_in(self.blocked, "#unblock-result", "unblock result")
        # The console reads the record again after the unblock: the
        # standing there no longer blacklisted (or gone: the violations
        # are forgotten).
        until = time.monotonic() + WAIT_S
        st = self.standing_row()
        while st is not None and st.get("Blacklisted until") != "no":
            if time.monotonic() > until:
                raise AssertionError("still shown blacklisted: %s" % st)
            time.sleep(0.1)
            st = self.standing_row()
        print("standing shown after the unblock: %s" % st, flush=True)
        j = self.rest.ok("POST", "/v1/patients/lookup", self.a.admin,
                         {"patient": self.blocked})
        for s in j.get("standings", []):
            if s.get("hospital") == self.hospital and s.get("blacklisted"):
                raise AssertionError("REST still reads blacklisted: %s" % s)
        log = self.rest.ok("GET", "/v1/staff-log?limit=1000", self.a.admin)
        if not any(e.get("patient") == self.blocked and
                   e.get("operator") == "ops-browser" and
                   e.get("reason") == "paper records show he came (browser)"
                   for e in log.get("entries", [])):
            raise AssertionError("no staff-log entry of the unblock")

    def s09_feed(self):
        self.tab("feed")
        self.b.wait_for("(() => { const t = document.querySelector("
                        "'#feed-table tbody').textContent; return "
                        "t.includes(%s); })()" % json.dumps(self.pool),
                        "feed rows of the pool", WAIT_S)
        n = self.feed_rows()
        print("feed rows naming the pool: %d" % n, flush=True)
        # At least the bookings and the stop.
        if n < CAPACITY + 1:
            raise AssertionError("only %d feed rows name the pool" % n)

    # ---- runner --------------------------------------------------------

    def run(self):
        # (name, step, later steps need it to have passed)
        steps = [("01-open", self.s01_open, True),
                 ("02-signed-in", self.s02_sign_in, True),
                 ("03-health", self.s03_health, False),
                 ("04-pool", self.s04_pool, True),
                 ("05-sold-out", self.s05_burst, False),
                 ("06-stopped", self.s06_stop, True),
                 ("06b-pools-stopped", self.s06b_pools_stopped, False),
                 ("07-blacklisted", self.s07_blacklisted, True),
                 ("08-unblocked", self.s08_unblock, False),
                 ("09-feed", self.s09_feed, False)]
        with cdp.Browser(self.a.out) as b:
            self.b = b
            for name, fn, needed in steps:
                t0 = time.monotonic()
                seen = len(b.problems)
                try:
                    fn()
                    b.screenshot(name)
                    b.check_clean(since=seen)
                    self.passed += 1
                    print("ok   %s (%.1f s)" % (name, time.monotonic() - t0),
                          flush=True)
                except Exception:
                    self.failed += 1
                    print("FAIL %s" % name, flush=True)
                    traceback.print_exc()
                    try:
                        b.screenshot("FAILED-" + name)
                    except Exception:
                        traceback.print_exc()
                    if needed:
                        break
            self.failed += len(steps) - self.passed - self.failed
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        if self.a.summary:
            with open(self.a.summary, "w") as f:
                f.write("%d %d\n" % (self.passed, self.failed))
        return 0 if self.failed == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--admin", required=True, help="the admin token")
    ap.add_argument("--channel", required=True, help="a channel's token")
    ap.add_argument("--nodes", default="", help="the nodes' addresses, comma")
    ap.add_argument("--out", required=True, help="screenshots' directory")
    ap.add_argument("--summary", help="write \"PASSED FAILED\" here")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for f in os.listdir(a.out):
        if f.endswith(".png"):
            os.unlink(os.path.join(a.out, f))
    try:
        return Scenario(a).run()
    except Exception:
        traceback.print_exc()
        print("0 passed, 1 failed", flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
