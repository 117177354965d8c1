/* report: REPORT.md and plots from slotbench results (see report.h).
 *
 * Everything here is read from the JSON files the runs wrote; nothing is
 * measured. A file that is missing leaves its rows out (a run that was
 * skipped says so). Plots are drawn by gnuplot when it is installed.
 */
#include "report.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUNS_MAX 32

struct runf {
    const char *name; /* file stem: "burst-native" */
    json_t *doc;
};

struct rep {
    const char *dir;
    FILE *md;
    struct runf runs[RUNS_MAX];
    int n;
    bool gnuplot;
    char term[64];
    int plots;
};

static const char *const STEMS[] = {
    "burst-native",          "burst-http",           "steady-native",
    "steady-http",           "expiry-storm-native",  "expiry-storm-http",
    "failover-native",       "failover-http",        "overload-native",
    "overload-http",         "burst-native-vs-etcd", "burst-etcd",
    "burst-native-vs-redis", "burst-redis",          "burst-native-vs-redis-2",
};

static json_t *get(struct rep *r, const char *stem)
{
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->runs[i].name, stem) == 0) {
            return r->runs[i].doc;
        }
    }
    return NULL;
}

/* A number at a dotted path ("result.latency_ms.all.p99"), or NAN. */
static double num(json_t *o, const char *path)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && cur;
         k = strtok_r(NULL, ".", &save)) {
        cur = json_object_get(cur, k);
    }
    return json_is_number(cur) ? json_number_value(cur) : NAN;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* "123,456" (or "–" for NAN). One of four rotating buffers. */
static const char *big(double v)
{
    static char bufs[8][32];
    static int k;
    char *b = bufs[k++ % 8];
    if (isnan(v) || v < 0) {
        return "–";
    }
    char raw[32];
    snprintf(raw, sizeof raw, "%.0f", v);
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n; i++) {
        b[o++] = raw[i];
        if ((n - i - 1) % 3 == 0 && i + 1 < n) {
            b[o++] = ',';
        }
    }
    b[o] = '\0';
    return b;
}

static const char *fix(double v, int prec)
{
    static char bufs[8][32];
    static int k;
    char *b = bufs[k++ % 8];
    if (isnan(v) || v < 0) {
        return "–";
    }
    snprintf(b, 32, "%.*f", prec, v);
    return b;
}

static void md(struct rep *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void md(struct rep *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->md, fmt, ap);
    va_end(ap);
}

static void load(struct rep *r)
{
    for (size_t i = 0; i < sizeof STEMS / sizeof STEMS[0] && r->n < RUNS_MAX;
         i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s.json", r->dir, STEMS[i]);
        json_t *d = json_load_file(path, 0, NULL);
        if (d != NULL) {
            r->runs[r->n].name = STEMS[i];
            r->runs[r->n].doc = d;
            r->n++;
        }
    }
}

/* ---- targets
 * ----------------------------------------------------------------- */

/* One row: higher_better says which side of the target passes. */
static void target(struct rep *r, const char *what, double goal, double stretch,
                   double v, const char *unit, bool higher_better,
                   const char *from)
{
    const char *status;
    char miss[96] = "";
    if (isnan(v) || v < 0) {
        status = "not measured";
    } else if (higher_better ? v >= goal : v <= goal) {
        status = "met";
        if (!isnan(stretch) && (higher_better ? v >= stretch : v <= stretch)) {
            status = "met (and the goal)";
        }
    } else {
        status = "**missed**";
        if (higher_better) {
            snprintf(miss, sizeof miss, " by %s %s (%.0f %% of target)",
                     big(goal - v), unit, 100.0 * v / goal);
        } else {
            snprintf(miss, sizeof miss, " by %s %s (%.1fx the target)",
                     fix(v - goal, 2), unit, v / goal);
        }
    }
    md(r, "| %s | %s%s %s | %s %s | %s%s | `%s` |\n", what,
       higher_better ? "≥ " : "≤ ", goal >= 100 ? big(goal) : fix(goal, 1),
       unit, v >= 100 ? big(v) : fix(v, 2), unit, status, miss, from);
}

static json_t *point(json_t *steady, const char *label)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(steady, "points"), i, p)
    {
        if (strcmp(str(p, "label"), label) == 0) {
            return p;
        }
    }
    return NULL;
}

/* What makes the p99 at 70 % of peak, from the steady run, its stalls and
 * the ledger micro-benchmark. */
static void whyTail(struct rep *r, json_t *steady)
{
    json_t *x7 = point(steady, "x0.7");
    if (x7 == NULL) {
        return;
    }
    char path[600];
    snprintf(path, sizeof path, "%s/ledger.json", r->dir);
    json_t *lj = json_load_file(path, 0, NULL);
    json_t *st = json_object_get(steady, "node_stalls");
    md(r,
       "**What sets the p99 at 70 %% of peak.** At x0.7 p50 is %s ms and p99 "
       "%s ms; "
       "slotbench's disk probe measured fsync p99 %s ms (max %s ms) during "
       "that "
       "point, so the device alone does not make the tail. A point of 5 s has "
       "1 %% "
       "of its arrivals in any 50 ms: one stall of the whole cluster lasting a "
       "few "
       "tens of ms, anywhere in the point, sets its p99. The stalls found on "
       "this "
       "machine:\n\n",
       fix(num(x7, "latency_ms.all.p50"), 2),
       fix(num(x7, "latency_ms.all.p99"), 2),
       fix(num(x7, "disk_fsync_ms.p99"), 2),
       fix(num(x7, "disk_fsync_ms.max"), 1));
    md(r,
       "- *Snapshots*: the fork pauses a node's loop (up to %s us in "
       "steady-native), "
       "then the parent pays copy-on-write faults while the child encodes at "
       "nice 10 "
       "(slowest child %s ms) and raft writes the file next to the log. With "
       "one "
       "threshold every replica did this at the same entry; slotd now "
       "stretches the "
       "threshold per node (`node_snapshot_threshold`), so a commit always has "
       "a "
       "quorum that is not snapshotting (at 60k holds/s over 25 s: p99 40.9 ms "
       "with "
       "one threshold, 18.4 ms staggered).\n",
       big(num(st, "snapshot_fork_pause_us.max")),
       big(num(st, "snapshot_by_child.max")));
    md(r,
       "- *Hash-table growth*: the ledger's tables doubled in one step, ~40 ms "
       "at "
       "10^6 entries, on every replica in the same entry (a throughput dip at "
       "the "
       "same second of repeated runs). They now grow incrementally "
       "(`node/ledgerInt.h`); "
       "the slowest entry of 64 holds in `bench_ledger` is %s ms (what remains "
       "is the "
       "arrays' own realloc).\n",
       fix(num(lj, "apply.hold.slowest_entry_ms"), 1));
    md(r, "- *CPU*: three nodes and the generator share 2 cores (*Where the "
          "time goes*); "
          "from x0.7 on, waiting for the CPU shows in p50 already.\n\n");
    json_decref(lj);
}

/* How an election after a leader's death is made, from the failover run. */
static void whyFailover(struct rep *r, json_t *f)
{
    if (f == NULL) {
        return;
    }
    md(r,
       "**What sets the failover gap.** slotd's election timeout is 300 ms "
       "(heartbeat 50 ms). raft draws each follower's timeout in [300, 600] "
       "ms, and a "
       "follower that still has a leader refuses to vote, so writes resume "
       "when the "
       "*later* of the two survivors' timers fires, plus a pre-vote and a vote "
       "round "
       "and the first commit: ~0.4-0.7 s. A second round (+300-600 ms) comes "
       "when "
       "the follower that times out first has the longer log: the other "
       "refuses it "
       "while it still has a leader, and is refused by it (shorter log) once "
       "it "
       "campaigns itself. Each node logs its role changes (`raft: candidate, "
       "pre-vote "
       "for term N`); that is where these rounds were read. This run: p50 %s "
       "ms, max "
       "%s ms over its kills.\n\n",
       fix(num(f, "failover.gap_p50_ms"), 0),
       fix(num(f, "failover.gap_max_ms"), 0));
}

static void targets(struct rep *r)
{
    json_t *b = get(r, "burst-native"), *s = get(r, "steady-native");
    json_t *f = get(r, "failover-native"), *e = get(r, "expiry-storm-native");
    md(r, "## Targets (3 nodes + load generator on one box, fsync on)\n\n");
    md(r, "| target | required | measured | status | from "
          "|\n|---|---|---|---|---|\n");
    target(r, "burst: hold decisions/s, one hot pool", 100000, 200000,
           num(b, "result.hold_decisions_per_s"), "/s", true,
           "burst-native result.hold_decisions_per_s");
    target(r, "burst: hold decisions/s, busiest second", 100000, 200000,
           num(b, "result.peak_decisions_per_s_1s"), "/s", true,
           "burst-native result.peak_decisions_per_s_1s");
    /* Bookings/s as the system's capacity: the race (every patient at the
     * release, no payment delay). In burst-native the simulated patients
     * set the pace (see the note under the table). */
    target(r, "hot-pool race, 100,000 slots: completed bookings/s", 50000,
           100000,
           num(get(r, "burst-native-vs-redis"), "result.bookings_per_s"), "/s",
           true, "burst-native-vs-redis result.bookings_per_s");
    target(r, "the same race, run again after Redis", 50000, 100000,
           num(get(r, "burst-native-vs-redis-2"), "result.bookings_per_s"),
           "/s", true, "burst-native-vs-redis-2 result.bookings_per_s");
    json_t *c1 = point(s, "c=1"), *x7 = point(s, "x0.7");
    target(r, "one request in flight: p50", 0.4, NAN,
           num(c1, "latency_ms.all.p50"), "ms", false,
           "steady-native point c=1");
    target(r, "one request in flight: p99", 1.5, NAN,
           num(c1, "latency_ms.all.p99"), "ms", false,
           "steady-native point c=1");
    target(r, "at 70 % of peak: p99", 10, NAN, num(x7, "latency_ms.all.p99"),
           "ms", false, "steady-native point x0.7");
    target(r, "failover: writes resume, p50 over kills", 1000, NAN,
           num(f, "failover.gap_p50_ms"), "ms", false,
           "failover-native failover.gap_p50_ms");
    target(r, "expiry storm: 100,000 released after the deadline", 2000, NAN,
           num(e, "result.storm.all_released_ms"), "ms", false,
           "expiry-storm-native result.storm.all_released_ms");
    md(r,
       "\nIn `burst-native` itself bookings/s is set by the simulated "
       "patients, not "
       "by the system: they pay for 50-300 ms before confirming, arrive over 2 "
       "s, and "
       "bots let half their holds lapse (ttl 2 s) before they are sold again; "
       "there "
       "%s bookings/s to 90 %% sold (busiest second %s).\n\n",
       big(num(b, "result.booked_by_s.bookings_per_s_to_90")),
       big(num(b, "result.booked_by_s.peak_bookings_per_s_1s")));
    md(r, "A missed target is explained under *Stalls the nodes logged* and "
          "*Where the "
          "time goes* (perf profile of the burst), when the run recorded "
          "them.\n\n");
    whyTail(r, s);
    whyFailover(r, f);
}

/* ---- stalls seen from inside the nodes
 * --------------------------------------------- */

static void stalls(struct rep *r)
{
    md(r,
       "### Stalls the nodes logged\n\n"
       "slotd logs every disk request (log append, snapshot write) slower than "
       "100 ms, every loop turn with more than 50 ms of callbacks, and every "
       "snapshot; slotbench counts those lines in the three nodes' logs of "
       "each run "
       "(`node_stalls` in its JSON). All three nodes share one disk here, so a "
       "disk "
       "stall is a stall of the whole cluster.\n\n"
       "| run | slow disk requests (max ms) | slow loop turns (max ms) | "
       "snapshots by "
       "a child (slowest child ms; longest fork pause us) | snapshots inline | "
       "disk probe fsync p50 / p99 / max (ms) |\n"
       "|---|---|---|---|---|---|\n");
    for (int i = 0; i < r->n; i++) {
        json_t *st = json_object_get(r->runs[i].doc, "node_stalls");
        if (st == NULL) {
            continue;
        }
        json_t *d = r->runs[i].doc;
        md(r, "| %s | %s (%s) | %s (%s) | %s (%s; %s) | %s |", r->runs[i].name,
           big(num(st, "slow_disk.count")), big(num(st, "slow_disk.max")),
           big(num(st, "slow_loop_turn.count")),
           big(num(st, "slow_loop_turn.max")),
           big(num(st, "snapshot_by_child.count")),
           big(num(st, "snapshot_by_child.max")),
           big(num(st, "snapshot_fork_pause_us.max")),
           big(num(st, "snapshot_inline.count")));
        md(r, " %s / %s / %s |\n", fix(num(d, "disk_fsync_ms.p50"), 2),
           fix(num(d, "disk_fsync_ms.p99"), 2),
           fix(num(d, "disk_fsync_ms.max"), 1));
    }
    md(r, "\n");
}

/* ---- per-run tables
 * -------------------------------------------------------------- */

static void rejects(struct rep *r, json_t *res)
{
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach(json_object_get(res, "rejects"), k, v)
    {
        md(r, "%s%s %s", first ? "" : ", ", k,
           big((double)json_integer_value(v)));
        first = false;
    }
    if (first) {
        md(r, "none");
    }
}

static void runRow(struct rep *r, const char *stem)
{
    json_t *d = get(r, stem);
    if (d == NULL) {
        md(r, "| %s | *not run* | | | | | | | | | |\n", stem);
        return;
    }
    json_t *res = json_object_get(d, "result");
    md(r, "| %s | %s | %s | %s | %s | %s | %s / %s / %s / %s / %s | %s | ",
       stem, big(num(res, "decisions_per_s")),
       big(num(res, "hold_decisions_per_s")), big(num(res, "bookings_per_s")),
       big(num(res, "raft.entries_per_s")),
       fix(num(res, "raft.decisions_per_entry"), 1),
       fix(num(res, "latency_ms.all.p50"), 2),
       fix(num(res, "latency_ms.all.p90"), 2),
       fix(num(res, "latency_ms.all.p99"), 2),
       fix(num(res, "latency_ms.all.p999"), 2),
       fix(num(res, "latency_ms.all.max"), 1),
       fix(num(res, "sellout_s.max"), 2));
    rejects(r, res);
    md(r, " | %s |\n",
       json_is_true(json_object_get(json_object_get(d, "check"), "ok"))
           ? "OK"
           : "**FAILED**");
}

static void runTable(struct rep *r, const char *title, const char *const *stems,
                     int n)
{
    md(r, "### %s\n\n", title);
    md(r,
       "| run | decisions/s | hold decisions/s | bookings/s | Raft entries/s | "
       "decisions/entry | latency p50 / p90 / p99 / p99.9 / max (ms) | "
       "sell-out (s) | "
       "rejects | check |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        runRow(r, stems[i]);
    }
    md(r, "\n");
}

static void failures(struct rep *r)
{
    bool any = false;
    for (int i = 0; i < r->n; i++) {
        json_t *f = json_object_get(json_object_get(r->runs[i].doc, "check"),
                                    "failures");
        size_t k;
        json_t *v;
        json_array_foreach(f, k, v)
        {
            if (!any) {
                md(r, "### Check failures\n\n");
                any = true;
            }
            md(r, "- %s: %s\n", r->runs[i].name, json_string_value(v));
        }
    }
    if (any) {
        md(r, "\n");
    }
}

static void steadyTable(struct rep *r, const char *stem)
{
    json_t *d = get(r, stem);
    if (d == NULL) {
        return;
    }
    md(r,
       "### Latency against load: %s (peak from a closed-loop probe: %s "
       "holds/s)\n\n",
       stem, big(num(d, "peak_holds_per_s")));
    md(r, "| point | offered holds/s | achieved holds/s | decisions/s | p50 | "
          "p90 | p99 | "
          "p99.9 | max (ms) | service p99 (ms) | dropped by generator | "
          "disk fsync p99 / max (ms) |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(d, "points"), i, p)
    {
        md(r, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
           str(p, "label"),
           strcmp(str(p, "loop"), "closed") == 0
               ? "closed loop"
               : big(num(p, "offered_holds_per_s")),
           big(num(p, "hold_decisions_per_s")), big(num(p, "decisions_per_s")),
           fix(num(p, "latency_ms.all.p50"), 2),
           fix(num(p, "latency_ms.all.p90"), 2),
           fix(num(p, "latency_ms.all.p99"), 2),
           fix(num(p, "latency_ms.all.p999"), 2),
           fix(num(p, "latency_ms.all.max"), 1),
           fix(num(p, "latency_ms.service.p99"), 2),
           big(num(p, "dropped_by_generator")));
        md(r, " %s / %s |\n", fix(num(p, "disk_fsync_ms.p99"), 2),
           fix(num(p, "disk_fsync_ms.max"), 1));
    }
    md(r, "\n*disk fsync*: slotbench's own probe, one 4 KiB write + fdatasync "
          "every "
          "20 ms on the nodes' filesystem during the point: what the device "
          "was doing "
          "while the nodes were appending to their logs.\n\n");
}

static void specials(struct rep *r)
{
    const char *stems[] = {"failover-native", "failover-http"};
    for (int i = 0; i < 2; i++) {
        json_t *d = get(r, stems[i]);
        if (d == NULL) {
            continue;
        }
        md(r, "### Failover: %s (leader SIGKILLed during the burst)\n\n",
           stems[i]);
        md(r, "| kill | node | at (s) | writes resumed after (client, ms) | "
              "first entry "
              "of the new leader (ms) | new leader seen (ms) "
              "|\n|---|---|---|---|---|---|\n");
        size_t k;
        json_t *x;
        json_array_foreach(
            json_object_get(json_object_get(d, "failover"), "kills"), k, x)
        {
            md(r, "| %zu | %d | %s | %s | %s | %s |\n", k + 1,
               (int)num(x, "node"), fix(num(x, "at_s"), 2),
               fix(num(x, "resume_client_ms"), 0),
               fix(num(x, "resume_ledger_ms"), 0),
               fix(num(x, "new_leader_seen_ms"), 0));
        }
        md(r, "\nWrite gap p50 %s ms, max %s ms.\n\n",
           fix(num(d, "failover.gap_p50_ms"), 0),
           fix(num(d, "failover.gap_max_ms"), 0));
    }
    const char *storms[] = {"expiry-storm-native", "expiry-storm-http"};
    for (int i = 0; i < 2; i++) {
        json_t *d = get(r, storms[i]);
        if (d == NULL) {
            continue;
        }
        json_t *s = json_object_get(json_object_get(d, "result"), "storm");
        md(r, "### Expiry storm: %s\n\n", storms[i]);
        md(r,
           "%s holds placed in %s s with one deadline (spread of the ledger's "
           "deadlines %s ms); first released %s ms and all released %s ms "
           "after it "
           "(target ≤ 2000 ms). New holds arriving at %s/s meanwhile: p50 / "
           "p99 / max "
           "%s / %s / %s ms before the deadline, %s / %s / %s ms after it.\n\n",
           big(num(s, "filled")), fix(num(s, "fill_s"), 2),
           fix(num(s, "deadline_spread_ms"), 0),
           fix(num(s, "first_release_ms"), 0),
           fix(num(s, "all_released_ms"), 0), big(num(s, "live_rate")),
           fix(num(s, "live_before.p50"), 2), fix(num(s, "live_before.p99"), 2),
           fix(num(s, "live_before.max"), 1), fix(num(s, "live_during.p50"), 2),
           fix(num(s, "live_during.p99"), 2),
           fix(num(s, "live_during.max"), 1));
    }
    const char *over[] = {"overload-native", "overload-http"};
    for (int i = 0; i < 2; i++) {
        json_t *d = get(r, over[i]);
        if (d == NULL) {
            continue;
        }
        json_t *res = json_object_get(d, "result");
        md(r, "### Overload: %s\n\n", over[i]);
        md(r,
           "Offered %s holds/s (%sx the %s holds/s a closed-loop probe "
           "sustained); the "
           "generator issued %s arrivals and dropped %s it could not issue. "
           "Goodput %s "
           "successful decisions/s = %s of the probe's. Accepted holds p50 / "
           "p99 %s / "
           "%s ms; refused ones (%s) p50 / p99 %s / %s ms; per-request service "
           "time p99 "
           "%s ms. Arrivals that found no room within the request timeout: %s. "
           "With shedding on (`params.shed`), a new hold that finds the "
           "generator's "
           "bounded connections full is refused at once (SHED), and a node's "
           "BUSY is "
           "final (libslot `busy_fails`).\n\n",
           big(num(res, "offered_holds_per_s")),
           fix(num(d, "params.overload_factor"), 1),
           big(num(res, "sustainable_holds_per_s")), big(num(res, "arrivals")),
           big(num(res, "dropped_by_generator")),
           big(num(res, "ok_decisions_per_s")),
           fix(num(res, "goodput_vs_probe"), 2),
           fix(num(res, "latency_ms.hold.p50"), 2),
           fix(num(res, "latency_ms.hold.p99"), 2), "see rejects",
           fix(num(res, "latency_ms.hold_refused.p50"), 2),
           fix(num(res, "latency_ms.hold_refused.p99"), 2),
           fix(num(res, "latency_ms.service.p99"), 2),
           big(num(res, "generator_wait_expired")));
        md(r, "Rejects: ");
        rejects(r, res);
        md(r, "\n\n");
    }
}

/* ---- peers
 * -------------------------------------------------------------------- */

static void peerRow(struct rep *r, const char *stem, const char *label)
{
    json_t *d = get(r, stem);
    if (d == NULL) {
        return;
    }
    json_t *res = json_object_get(d, "result");
    md(r, "| %s | %s | %s | %s | %s / %s / %s | %s | %s |\n", label,
       big(num(res, "bookings_per_s")), big(num(res, "decisions_per_s")),
       fix(num(res, "sellout_s.max"), 3),
       fix(num(res, "latency_ms.all.p50"), 2),
       fix(num(res, "latency_ms.all.p99"), 2),
       fix(num(res, "latency_ms.all.max"), 1),
       big(num(res, "peer_cas_conflicts")),
       json_is_true(json_object_get(json_object_get(d, "check"), "ok"))
           ? "OK"
           : "**FAILED**");
}

static double meanOf(double a, double b)
{
    if (isnan(a)) {
        return b;
    }
    if (isnan(b)) {
        return a;
    }
    return (a + b) / 2;
}

static void peers(struct rep *r)
{
    json_t *e = get(r, "burst-etcd"), *rd = get(r, "burst-redis");
    json_t *ne = get(r, "burst-native-vs-etcd"),
           *nr = get(r, "burst-native-vs-redis");
    json_t *nr2 = get(r, "burst-native-vs-redis-2");
    md(r, "## Peers, side by side\n\n");
    if (e == NULL && rd == NULL) {
        md(r, "Not run (etcd-server / redis-server not installed, or "
              "SLOTBENCH_PEERS=0).\n\n");
        return;
    }
    md(r,
       "The same burst (one hot pool, every patient arriving at the release, "
       "no payment delay, nobody abandoning, 10 %% bots probing the "
       "per-patient "
       "quota), run against each system in turn, ours interleaved with the "
       "peers'. A peer's booking is one step (a compare-and-decrement), ours "
       "two (hold, then confirm, each replicated three ways).\n\n");
    md(r, "| system | bookings/s | decisions/s | sell-out (s) | latency p50 / "
          "p99 / max "
          "(ms) | CAS conflicts | check |\n|---|---|---|---|---|---|---|\n");
    peerRow(r, "burst-native-vs-etcd", "slot (native), etcd-sized burst");
    peerRow(r, "burst-etcd", "etcd 3 members, txn compare-and-decrement");
    peerRow(r, "burst-native-vs-redis", "slot (native), redis-sized burst");
    peerRow(r, "burst-redis", "redis 1 node, Lua, appendfsync always");
    peerRow(r, "burst-native-vs-redis-2",
            "slot (native), redis-sized burst, again");
    md(r, "\n");
    if (e != NULL && ne != NULL) {
        double a = num(ne, "result.bookings_per_s"),
               b = num(e, "result.bookings_per_s");
        md(r,
           "- **slot / etcd: %sx the bookings/s** (%s vs %s), %sx the "
           "decisions/s.\n",
           fix(a / b, 1), big(a), big(b),
           fix(num(ne, "result.decisions_per_s") /
                   num(e, "result.decisions_per_s"),
               1));
    }
    if (rd != NULL && nr != NULL) {
        double a = meanOf(num(nr, "result.bookings_per_s"),
                          num(nr2, "result.bookings_per_s"));
        double b = num(rd, "result.bookings_per_s");
        md(r,
           "- **slot / redis: %sx the bookings/s** (%s, mean of the runs "
           "around it, vs "
           "%s), %sx the decisions/s.\n",
           fix(a / b, 2), big(a), big(b),
           fix(meanOf(num(nr, "result.decisions_per_s"),
                      num(nr2, "result.decisions_per_s")) /
                   num(rd, "result.decisions_per_s"),
               2));
    }
    md(r, "\n### How each peer was configured\n\n");
    json_t *all[] = {e, rd, ne};
    for (int i = 0; i < 3; i++) {
        json_t *sys = json_object_get(all[i], "system");
        if (sys == NULL) {
            continue;
        }
        md(r, "- **%s** %s", str(sys, "system"), str(sys, "version"));
        const char *k;
        json_t *v;
        json_object_foreach(sys, k, v)
        {
            if (strcmp(k, "system") == 0 || strcmp(k, "version") == 0) {
                continue;
            }
            char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            md(r, "; %s: %s", k, t ? t : "?");
            free(t);
        }
        md(r, "\n");
    }
    md(r, "- Load generator for all: slotbench, the same patients; etcd: 64 "
          "HTTP/1.1 "
          "connections, one request in flight each; redis: 64 connections, "
          "pipelined; slot: libslot connections with up to 64 sessions x 32 "
          "requests.\n\n");
}

/* ---- plots
 * ----------------------------------------------------------------------- */

static FILE *dat(struct rep *r, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/plots/%s.dat", r->dir, name);
    return fopen(path, "w");
}

static void gnuplot(struct rep *r, const char *script, const char *name)
{
    char path[700], cmd[800];
    snprintf(path, sizeof path, "%s/plots/%s.gp", r->dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return;
    }
    fprintf(f,
            "set terminal %s size 960,540 font ',10'\nset output "
            "'%s/plots/%s.png'\n%s",
            r->term, r->dir, name, script);
    fclose(f);
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>/dev/null", path);
    if (system(cmd) == 0) {
        md(r, "![%s](plots/%s.png)\n\n", name, name);
        r->plots++;
    }
}

static void throughputPlot(struct rep *r, const char *stem)
{
    json_t *d = get(r, stem);
    json_t *s = json_object_get(json_object_get(d, "result"), "series");
    if (s == NULL) {
        return;
    }
    char path[700], name[96], script[2048];
    snprintf(name, sizeof name, "throughput-%s", stem);
    FILE *f = dat(r, name, path, sizeof path);
    if (f == NULL) {
        return;
    }
    json_t *t = json_object_get(s, "t_s"),
           *dec = json_object_get(s, "decisions_per_s"),
           *bk = json_object_get(s, "bookings_per_s");
    for (size_t i = 0; i < json_array_size(t); i++) {
        fprintf(f, "%g %g %g\n", json_number_value(json_array_get(t, i)),
                json_number_value(json_array_get(dec, i)),
                json_number_value(json_array_get(bk, i)));
    }
    fclose(f);
    char marks[512] = "";
    size_t k;
    json_t *x;
    double rel = num(d, "params.release_in_ms") / 1000.0;
    json_array_foreach(json_object_get(json_object_get(d, "failover"), "kills"),
                       k, x)
    {
        size_t l = strlen(marks);
        snprintf(marks + l, sizeof marks - l,
                 "set arrow from %g, graph 0 to %g, graph 1 nohead lc rgb "
                 "'red' dt 2\n",
                 num(x, "at_s") - rel, num(x, "at_s") - rel);
    }
    snprintf(script, sizeof script,
             "set title '%s: throughput over time (100 ms buckets%s)'\n"
             "set xlabel 's since the release'\nset ylabel 'per second'\n"
             "set grid\nset key top right\n%s"
             "plot '%s' using 1:2 with lines lw 2 title 'decisions/s', "
             "'' using 1:3 with lines lw 2 title 'bookings/s'\n",
             stem, marks[0] ? "; red: leader killed" : "", marks, path);
    gnuplot(r, script, name);
}

static void cdfPlot(struct rep *r)
{
    const char *stems[] = {"burst-native",          "burst-http",
                           "burst-native-vs-redis", "burst-redis",
                           "burst-native-vs-etcd",  "burst-etcd"};
    char script[4096] = "", plot[3000] = "plot ";
    int n = 0;
    for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++) {
        json_t *c = json_object_get(json_object_get(get(r, stems[i]), "result"),
                                    "cdf_ms");
        if (json_array_size(c) == 0) {
            continue;
        }
        char path[700], name[96];
        snprintf(name, sizeof name, "cdf-%s", stems[i]);
        FILE *f = dat(r, name, path, sizeof path);
        if (f == NULL) {
            continue;
        }
        size_t k;
        json_t *p;
        json_array_foreach(c, k, p)
        {
            fprintf(f, "%g %g\n", json_number_value(json_array_get(p, 0)),
                    json_number_value(json_array_get(p, 1)));
        }
        fclose(f);
        size_t l = strlen(plot);
        snprintf(plot + l, sizeof plot - l,
                 "%s'%s' using 1:2 with steps lw 2 title '%s'", n ? ", " : "",
                 path, stems[i]);
        n++;
    }
    if (n == 0) {
        return;
    }
    snprintf(
        script, sizeof script,
        "set title 'Latency CDF per system (burst; every operation a patient "
        "sent)'\n"
        "set logscale x\nset xlabel 'ms'\nset ylabel 'fraction'\nset grid\n"
        "set key bottom right\nset yrange [0:1]\n%s\n",
        plot);
    gnuplot(r, script, "latency-cdf");
}

static void loadPlot(struct rep *r)
{
    const char *stems[] = {"steady-native", "steady-http"};
    char plot[2048] = "plot ";
    int n = 0;
    for (int i = 0; i < 2; i++) {
        json_t *d = get(r, stems[i]);
        if (d == NULL) {
            continue;
        }
        char path[700], name[96];
        snprintf(name, sizeof name, "load-%s", stems[i]);
        FILE *f = dat(r, name, path, sizeof path);
        if (f == NULL) {
            continue;
        }
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(d, "points"), k, p)
        {
            fprintf(f, "%g %g %g %g\n", num(p, "hold_decisions_per_s"),
                    num(p, "latency_ms.all.p50"), num(p, "latency_ms.all.p99"),
                    num(p, "latency_ms.all.p999"));
        }
        fclose(f);
        size_t l = strlen(plot);
        snprintf(plot + l, sizeof plot - l,
                 "%s'%s' using 1:2 with linespoints lw 2 title '%s p50', "
                 "'%s' using 1:3 with linespoints lw 2 title '%s p99'",
                 n ? ", " : "", path, stems[i], path, stems[i]);
        n++;
    }
    if (n == 0) {
        return;
    }
    char script[3000];
    snprintf(
        script, sizeof script,
        "set title 'Latency against load (steady arrivals)'\nset logscale y\n"
        "set xlabel 'holds/s achieved'\nset ylabel 'ms'\nset grid\n"
        "set key top left\n%s\n",
        plot);
    gnuplot(r, script, "latency-vs-load");
}

static void perfSection(struct rep *r)
{
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/perf-burst.txt", r->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    md(r,
       "## Where the time goes (perf, whole machine, during a burst)\n\n```\n");
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL && n < 70) {
        md(r, "%s", line);
        n++;
    }
    md(r, "```\n\n");
    fclose(f);
}

int report_main(int argc, char **argv)
{
    struct rep r;
    memset(&r, 0, sizeof r);
    r.dir = argc > 1 ? argv[1] : "bench/results";
    load(&r);
    char path[600];
    snprintf(path, sizeof path, "%s/plots", r.dir);
    mkdir(path, 0755);
    r.gnuplot = system("command -v gnuplot >/dev/null 2>&1") == 0;
    snprintf(r.term, sizeof r.term, "%s",
             system("gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1") == 0
                 ? "pngcairo"
                 : "png");
    snprintf(path, sizeof path, "%s/REPORT.md.tmp", r.dir);
    r.md = fopen(path, "w");
    if (r.md == NULL) {
        fprintf(stderr, "report: cannot write %s\n", path);
        return 1;
    }
    json_t *any = r.n > 0 ? r.runs[0].doc : NULL;
    md(&r, "# slotbench report\n\n");
    md(&r,
       "Generated by `make bench` (`bench/slotbench/run-bench.sh`, then "
       "`slotbench "
       "report`) from the JSON files beside this one. Machine: %d CPUs (%s), "
       "kernel "
       "%s. Every figure below comes from one run on this machine with the 3 "
       "slotd "
       "nodes (or the peer), the gateway when used, and the load generator all "
       "sharing it; load average at the start of each run is in its JSON "
       "(`machine.loadavg_start`).\n\n",
       (int)num(any, "machine.cpus"),
       str(json_object_get(any, "machine"), "cpu"),
       str(json_object_get(any, "machine"), "kernel"));
    double worst = 0;
    for (int i = 0; i < r.n; i++) {
        json_t *l = json_object_get(json_object_get(r.runs[i].doc, "machine"),
                                    "loadavg_start");
        double v = json_number_value(json_array_get(l, 0));
        worst = v > worst ? v : worst;
    }
    if (worst > 0.7) {
        md(&r,
           "> **The machine was busy**: a run started with a 1-minute load "
           "average of "
           "%.2f (other work on the box). Treat the figures as indicative.\n\n",
           worst);
    }
    targets(&r);
    md(&r, "## Runs\n\n");
    const char *burst[] = {"burst-native",        "burst-http",
                           "failover-native",     "failover-http",
                           "expiry-storm-native", "expiry-storm-http",
                           "overload-native",     "overload-http"};
    runTable(&r, "Every scenario, native (libslot) and http (slot-gateway)",
             burst, 8);
    failures(&r);
    steadyTable(&r, "steady-native");
    steadyTable(&r, "steady-http");
    specials(&r);
    stalls(&r);
    peers(&r);
    md(&r, "## Plots\n\n");
    if (!r.gnuplot) {
        md(&r, "gnuplot is not installed (apt-get install gnuplot-nox): no "
               "plots.\n\n");
    } else {
        cdfPlot(&r);
        loadPlot(&r);
        const char *tp[] = {"burst-native",        "burst-http",
                            "failover-native",     "failover-http",
                            "expiry-storm-native", "burst-redis",
                            "burst-etcd"};
        for (size_t i = 0; i < sizeof tp / sizeof tp[0]; i++) {
            throughputPlot(&r, tp[i]);
        }
    }
    perfSection(&r);
    md(&r,
       "## How to read this\n\n"
       "- *decisions*: answers of the ledger (or peer): a hold, confirm or "
       "release "
       "that was granted or refused by a rule (SOLD_OUT, NOT_RELEASED, "
       "PATIENT_HAS_CLAIM, HOLD_EXPIRED, ...). Timeouts and transport errors "
       "are not "
       "decisions; they are listed under rejects.\n"
       "- *latency*: from the moment a simulated patient wanted to send an "
       "operation "
       "to its answer, so it includes waiting for room on the generator's "
       "bounded "
       "connections; *service* (in the JSON) counts from the hand-over to the "
       "client "
       "library.\n"
       "- *Raft entries/s*: deltas of the leader's (or a surviving node's) "
       "entries_applied; decisions per entry = decisions / entries.\n"
       "- *sell-out*: from the release to the last slot booked; abandoned "
       "holds "
       "lapse (ttl) and are sold again, so the tail is set by the ttl, not by "
       "throughput: `booked_by_s` gives the time to 50/90/99 %% booked.\n");
    fclose(r.md);
    char final[600];
    snprintf(final, sizeof final, "%s/REPORT.md", r.dir);
    if (rename(path, final) != 0) {
        return 1;
    }
    printf("report: %s (%d runs, %d plots)\n", final, r.n, r.plots);
    for (int i = 0; i < r.n; i++) {
        json_decref(r.runs[i].doc);
    }
    return 0;
}
