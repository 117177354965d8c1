/* report: REPORT.md and plots from one run set's results (see report.h).
 *
 * Everything here is read from the files the run set accepted (runset.h);
 * nothing is measured and no figure is typed in. Sentences that interpret
 * a figure are printed only when that run's data shows what they say.
 * Plots are drawn by gnuplot when it is installed.
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

#include "bjson.h"
#include "reportInt.h"
#include "runset.h"

#define PERF_LINES_MAX 70

const char *const REPORT_STEMS[] = {
    "burst-native",          "burst-http",           "burst-native-rules",
    "burst-http-rules",      "import-native",        "steady-native",
    "steady-http",           "expiry-storm-native",  "expiry-storm-http",
    "failover-native",       "failover-http",        "overload-native",
    "overload-http",         "burst-native-vs-etcd", "burst-etcd",
    "burst-native-vs-redis", "burst-redis",          "burst-native-vs-redis-2",
    "fanout-native",         "steady-http-2gw",
};
const int REPORT_N_STEMS = sizeof REPORT_STEMS / sizeof REPORT_STEMS[0];
_Static_assert(sizeof REPORT_STEMS / sizeof REPORT_STEMS[0] <= REPORT_STEMS_MAX,
               "every stem has a slot in struct repset");

/* ---- shared with readme.c (reportInt.h) ------------------------------- */

/* rep_big and rep_fix share these: one md() or printf call may hold at
 * most REP_BUFS of their results (the storm paragraph holds 12). */
#define REP_BUFS    32
#define REP_BUF_LEN 80

static char *nextBuf(void)
{
    static char bufs[REP_BUFS][REP_BUF_LEN];
    static unsigned k;
    return bufs[k++ % REP_BUFS];
}

const char *rep_big(double v)
{
    char *b = nextBuf();
    if (isnan(v) || v < 0) {
        return "–";
    }
    char raw[40];
    snprintf(raw, sizeof raw, "%.0f", v);
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n && o + 2 < REP_BUF_LEN; i++) {
        b[o++] = raw[i];
        if ((n - i - 1) % 3 == 0 && i + 1 < n) {
            b[o++] = ',';
        }
    }
    b[o] = '\0';
    return b;
}

const char *rep_fix(double v, int prec)
{
    char *b = nextBuf();
    if (isnan(v) || v < 0) {
        return "–";
    }
    snprintf(b, REP_BUF_LEN, "%.*f", prec, v);
    return b;
}

const char *rep_num(double v, int prec)
{
    return !isnan(v) && v >= 100 ? rep_big(v) : rep_fix(v, prec);
}

const char *rep_lat3(json_t *o, const char *path)
{
    char *b = nextBuf(), k[3][96];
    const char *q[3] = {"p50", "p99", "max"};
    double v[3];
    for (int i = 0; i < 3; i++) {
        snprintf(k[i], sizeof k[i], "%s.%s", path, q[i]);
        v[i] = bjson_num(o, k[i]);
    }
    char t[3][16];
    for (int i = 0; i < 3; i++) {
        if (isnan(v[i]) || v[i] < 0) {
            snprintf(t[i], sizeof t[i], "–");
        } else {
            snprintf(t[i], sizeof t[i], "%.*f", i < 2 ? 2 : 1, v[i]);
        }
    }
    snprintf(b, REP_BUF_LEN, "%s / %s / %s", t[0], t[1], t[2]);
    return b;
}

void rep_refusals(json_t *res, char *buf, size_t len)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    double win = bjson_num(res, "window_s");
    buf[0] = '\0';
    json_object_foreach(bjson_at(res, "in_window.hold"), k, v)
    {
        if (strcmp(k, "OK") == 0 || n >= len) {
            continue;
        }
        int w = snprintf(buf + n, len - n, "%s%s %s/s", n ? ", " : "", k,
                         rep_big(json_number_value(v) / win));
        n += w > 0 ? (size_t)w : 0;
    }
    if (n == 0) {
        snprintf(buf, len, "none");
    }
}

int rep_schema(json_t *doc)
{
    double v = bjson_num(doc, "schema_version");
    return isnan(v) ? 1 : (int)v;
}

double rep_num_v(json_t *doc, int v, json_t *o, const char *path)
{
    return rep_schema(doc) >= v ? bjson_num(o, path) : NAN;
}

bool rep_rates_ok(json_t *res)
{
    return bjson_num(res, "window_s") >= REPORT_RATE_WINDOW_MIN_S;
}

double rep_rate(json_t *res, const char *path)
{
    return rep_rates_ok(res) ? bjson_num(res, path) : NAN;
}

double rep_load(const struct runset *rs, const char *file, json_t *doc)
{
    json_t *l = bjson_at(doc, "machine.loadavg_start");
    if (l == NULL) {
        l = json_object_get(doc, "loadavg");
    }
    if (l == NULL) {
        l = runset_file_loadavg(rs, file);
    }
    if (json_is_array(l)) {
        l = json_array_get(l, 0);
    }
    return json_is_number(l) ? json_number_value(l) : NAN;
}

const char *rep_load_str(const struct runset *rs, const char *file, json_t *doc)
{
    double v = rep_load(rs, file, doc);
    return isnan(v) ? "not recorded" : rep_fix(v, 2);
}

json_t *rep_point(json_t *steady, const char *label)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(steady, "points"), i, p)
    {
        if (strcmp(bjson_str(p, "label"), label) == 0) {
            return p;
        }
    }
    return NULL;
}

int rep_open(struct repset *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    int rc = runset_load(&s->rs, dir);
    for (int i = 0; i < REPORT_N_STEMS; i++) {
        char name[RUNSET_NAME_MAX];
        snprintf(name, sizeof name, "%s.json", REPORT_STEMS[i]);
        s->doc[i] = runset_json(&s->rs, name);
    }
    s->ledger = runset_json(&s->rs, "ledger.json");
    s->healthz = runset_json(&s->rs, "healthz.json");
    return rc;
}

void rep_close(struct repset *s)
{
    for (int i = 0; i < REPORT_N_STEMS; i++) {
        json_decref(s->doc[i]);
    }
    json_decref(s->ledger);
    json_decref(s->healthz);
    runset_free(&s->rs);
}

json_t *rep_doc(const struct repset *s, const char *stem)
{
    for (int i = 0; stem != NULL && i < REPORT_N_STEMS; i++) {
        if (strcmp(REPORT_STEMS[i], stem) == 0) {
            return s->doc[i];
        }
    }
    return NULL;
}

const char *rep_run_load(const struct repset *s, const char *stem)
{
    char name[RUNSET_NAME_MAX];
    snprintf(name, sizeof name, "%s.json", stem);
    return rep_load_str(&s->rs, name, rep_doc(s, stem));
}

json_t *rep_machine(const struct repset *s)
{
    for (int i = 0; i < REPORT_N_STEMS; i++) {
        json_t *m = json_object_get(s->doc[i], "machine");
        if (m != NULL) {
            return m;
        }
    }
    return NULL;
}

void rep_set_line(const struct repset *s, char *buf, size_t len)
{
    json_t *m = s->rs.manifest;
    bool adopted = json_is_true(json_object_get(m, "adopted"));
    snprintf(buf, len, "run set `%s` (commit %s%s%s%s%s)", s->rs.id,
             bjson_str(m, "commit"),
             json_is_true(json_object_get(m, "dirty"))
                 ? ", with uncommitted changes"
                 : "",
             json_is_true(json_object_get(m, "quick"))
                 ? "; SLOTBENCH_QUICK: tiny sizes that check the pipeline "
                   "and measure nothing"
                 : "",
             adopted ? "; manifest written afterwards: " : "",
             adopted ? bjson_str(m, "note") : "");
}

/* ---- the report ------------------------------------------------------- */

struct rep {
    struct repset set;
    const char *dir;
    FILE *md;
    bool gnuplot;
    char term[64];
    int plots;
    int runs; /* accepted slotbench results */
};

static void md(struct rep *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void md(struct rep *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->md, fmt, ap);
    va_end(ap);
}

static json_t *get(struct rep *r, const char *stem)
{
    return rep_doc(&r->set, stem);
}

static const char *loadOf(struct rep *r, const char *stem)
{
    return rep_run_load(&r->set, stem);
}

static const char *checkOf(json_t *d)
{
    return json_is_true(bjson_at(d, "check.ok")) ? "OK" : "**FAILED**";
}

/* ---- header ----------------------------------------------------------- */

static void header(struct rep *r)
{
    struct runset *rs = &r->set.rs;
    json_t *m = rs->manifest, *mach = rep_machine(&r->set);
    char set[512];
    rep_set_line(&r->set, set, sizeof set);
    md(r, "# slotbench report\n\n");
    md(r,
       "Generated by `slotbench report` (the last step of `make bench`, "
       "`bench/slotbench/run-bench.sh`) from the files of %s in this "
       "directory, as its manifest `runset.json` lists them. ",
       set);
    if (bjson_str(m, "started_at")[0] != '\0') {
        md(r, "Started %s, sealed %s. ", bjson_str(m, "started_at"),
           bjson_str(m, "sealed_at"));
    }
    if (mach != NULL) {
        md(r, "Machine: %s CPUs (%s), kernel %s. ",
           rep_big(bjson_num(mach, "cpus")), bjson_str(mach, "cpu"),
           bjson_str(mach, "kernel"));
    }
    json_t *l0 = json_array_get(json_object_get(m, "loadavg_start"), 0);
    md(r,
       "Every run shares the machine with the slotd nodes (or the peer), "
       "the gateway when used, and the load generator. *load* is the "
       "1-minute load average when a run started (`machine.loadavg_start`); "
       "it includes the set's own previous run. Load average when the set "
       "started: %s.\n\n",
       json_is_number(l0) ? rep_fix(json_number_value(l0), 2) : "not recorded");
    bool any = false;
    for (int i = 0; i < rs->n; i++) {
        if (rs->f[i].accepted) {
            continue;
        }
        if (!any) {
            md(r, "**Files not used** (not of this run set):\n\n");
            any = true;
        }
        md(r, "- `%s`: %s\n", rs->f[i].name, rs->f[i].why);
    }
    md(r, any ? "\n" : "");
    any = false;
    for (int i = 0; i < REPORT_N_STEMS; i++) {
        if (r->set.doc[i] != NULL) {
            continue;
        }
        md(r, "%s`%s`", any ? ", " : "Not in this run set: ", REPORT_STEMS[i]);
        any = true;
    }
    md(r, any ? ".\n\n" : "");
    md(r,
       "*not measured*: the run's JSON has no such figure (its "
       "`schema_version` predates it, or the run is not in the set). "
       "Rates are given over windows of at least %.0f s only; a shorter "
       "window (a race that sells out at once) gives the sell-out time "
       "instead.\n\n",
       REPORT_RATE_WINDOW_MIN_S);
}

/* ---- targets ---------------------------------------------------------- */

/* One row: higher_better says which side of the target passes. */
static void target(struct rep *r, const char *what, double goal, double stretch,
                   double v, const char *unit, bool higher_better,
                   const char *from, const char *stem)
{
    const char *status;
    char miss[96] = "";
    if (isnan(v) || v < 0) {
        status = "*not measured*";
    } else if (higher_better ? v >= goal : v <= goal) {
        status = "met";
        if (!isnan(stretch) && (higher_better ? v >= stretch : v <= stretch)) {
            status = "met (and the goal)";
        }
    } else {
        status = "**missed**";
        if (higher_better) {
            snprintf(miss, sizeof miss, " by %s %s (%.0f %% of target)",
                     rep_big(goal - v), unit, 100.0 * v / goal);
        } else {
            snprintf(miss, sizeof miss, " by %s %s (%.1fx the target)",
                     rep_num(v - goal, 2), unit, v / goal);
        }
    }
    md(r, "| %s | %s%s %s | %s %s | %s%s | `%s` | %s |\n", what,
       higher_better ? "≥ " : "≤ ", rep_num(goal, 1), unit, rep_num(v, 2),
       isnan(v) || v < 0 ? "" : unit, status, miss, from, loadOf(r, stem));
}

/* The latency of accepted requests of a steady point: latency_ms.accepted
 * (schema 2); schema 1 did not separate them: not measured. */
static double acceptedMs(json_t *doc, json_t *point, const char *q)
{
    char path[64];
    snprintf(path, sizeof path, "latency_ms.accepted.%s", q);
    return rep_num_v(doc, 2, point, path);
}

/* 100 x hold decisions/s of burst-MODE-rules over burst-MODE's: the same
 * burst (pools, capacity, patients) with the rules on and off, both with a
 * rate window; else NAN. */
static double rulesRatio(struct rep *r, const char *mode)
{
    char off[64], on[64];
    snprintf(off, sizeof off, "burst-%s", mode);
    snprintf(on, sizeof on, "burst-%s-rules", mode);
    json_t *a = get(r, off), *b = get(r, on);
    static const char *const SAME[] = {"params.pools", "params.capacity",
                                       "params.patients"};
    if (a == NULL || b == NULL || !json_is_true(bjson_at(b, "params.rules")) ||
        json_is_true(bjson_at(a, "params.rules"))) {
        return NAN;
    }
    for (size_t i = 0; i < sizeof SAME / sizeof SAME[0]; i++) {
        if (bjson_num(a, SAME[i]) != bjson_num(b, SAME[i])) {
            return NAN;
        }
    }
    json_t *ra = json_object_get(a, "result"),
           *rb = json_object_get(b, "result");
    double x = rep_num_v(a, 2, ra, "hold_decisions_per_s"),
           y = rep_num_v(b, 2, rb, "hold_decisions_per_s");
    if (!rep_rates_ok(ra) || !rep_rates_ok(rb) || !(x > 0)) {
        return NAN;
    }
    return 100 * y / x;
}

/* The performance issue's restart target: a node with 1M bookings in its
 * snapshot serving again and caught up within 5 s (bench_healthz,
 * healthz.json "restart"; absent from a healthz.json that predates it).
 * Two figures in one row, judged on the later one (caught up). */
static void restartTarget(struct rep *r)
{
    json_t *x = json_object_get(r->set.healthz, "restart");
    double goal = bjson_num(x, "target_ms"),
           serving = bjson_num(x, "serving_ms"),
           caught = bjson_num(x, "caught_up_ms");
    if (x == NULL || isnan(goal)) {
        goal = 5000; /* the issue's; shown while not measured */
    }
    const char *status = "*not measured*";
    char measured[96] = "–", miss[96] = "";
    if (x != NULL && !isnan(serving) && !isnan(caught)) {
        snprintf(measured, sizeof measured, "%s s / %s s",
                 rep_fix(serving / 1000, 2), rep_fix(caught / 1000, 2));
        status = caught <= goal ? "met" : "**missed**";
        if (caught > goal) {
            snprintf(miss, sizeof miss, " by %s s (%.1fx the target)",
                     rep_fix((caught - goal) / 1000, 2), caught / goal);
        }
    }
    md(r,
       "| node restart, 1M bookings: serving / caught up | ≤ %s s | %s | "
       "%s%s | `healthz restart.serving_ms, caught_up_ms` | %s |\n",
       rep_num(goal / 1000, 1), measured, status, miss,
       rep_load_str(&r->set.rs, "healthz.json", x));
}

/* The p99 of the gateway's own refusals; NAN (not measured) when it
 * refused none: an empty histogram's 0 is no answer time. */
static double shedP99(json_t *res)
{
    return bjson_num(res, "latency_ms.shed.count") > 0
               ? bjson_num(res, "latency_ms.shed.p99")
               : NAN;
}

/* Issue 17's targets of the HTTP path, each from this set's http runs
 * (thousands of keep-alive connections: params.conns) and the race. */
static void httpTargets(struct rep *r)
{
    json_t *bh = get(r, "burst-http"), *oh = get(r, "overload-http");
    json_t *sh = get(r, "steady-http"), *fh = get(r, "failover-http");
    json_t *bhr = json_object_get(bh, "result"),
           *ohr = json_object_get(oh, "result");
    char w[160];
    snprintf(w, sizeof w,
             "burst-http, %s connections: accepted p99 from the intended "
             "send",
             rep_big(bjson_num(bh, "params.conns")));
    target(r, w, 50, NAN, bjson_num(bhr, "latency_ms.accepted.p99"), "ms",
           false, "burst-http result.latency_ms.accepted.p99", "burst-http");
    target(r, "burst-http: the gateway's refusals (503, 429) answered, p99", 5,
           NAN, shedP99(bhr), "ms", false,
           "burst-http result.latency_ms.shed.p99", "burst-http");
    /* The burst has no probe of its own: steady-http's closed-loop peak
     * is the system's HTTP capacity on the same box. */
    double peak = bjson_num(sh, "peak_holds_per_s");
    double bgood =
        rep_rates_ok(bhr) && peak > 0
            ? 100 * rep_num_v(bh, 2, bhr, "hold_decisions_per_s") / peak
            : NAN;
    target(r,
           "burst-http: hold decisions/s, % of steady-http's closed-loop "
           "peak",
           90, NAN, bgood, "%", true,
           "burst-http result.hold_decisions_per_s / steady-http "
           "peak_holds_per_s",
           "burst-http");
    snprintf(w, sizeof w,
             "overload-http, %s connections: accepted p99 from the intended "
             "send",
             rep_big(bjson_num(oh, "params.conns")));
    target(r, w, 50, NAN, bjson_num(ohr, "latency_ms.accepted.p99"), "ms",
           false, "overload-http result.latency_ms.accepted.p99",
           "overload-http");
    target(r, "overload-http: the gateway's refusals (503, 429) answered, p99",
           5, NAN, shedP99(ohr), "ms", false,
           "overload-http result.latency_ms.shed.p99", "overload-http");
    target(r, "overload-http: goodput, % of the closed-loop probe", 90, NAN,
           100 * bjson_num(ohr, "goodput_vs_probe"), "%", true,
           "overload-http result.goodput_vs_probe", "overload-http");
    target(r, "steady-http: closed-loop peak (one gateway)", 50000, NAN, peak,
           "holds/s", true, "steady-http peak_holds_per_s", "steady-http");
    target(r, "steady-http: closed-loop peak, two gateway processes", 50000,
           NAN, bjson_num(get(r, "steady-http-2gw"), "peak_holds_per_s"),
           "holds/s", true, "steady-http-2gw peak_holds_per_s",
           "steady-http-2gw");
    target(r, "http, one request in flight: accepted p50", 0.6, NAN,
           acceptedMs(sh, rep_point(sh, "c=1"), "p50"), "ms", false,
           "steady-http c=1 latency_ms.accepted.p50", "steady-http");
    target(r, "failover-http: writes resume, p50 over kills", 1000, NAN,
           bjson_num(fh, "failover.gap_p50_ms"), "ms", false,
           "failover-http failover.gap_p50_ms", "failover-http");
    /* Every request handed to the gateway, those in flight at a kill
     * among them, answered (success, 503 or 504) within: */
    target(r, "failover-http: every request answered within (service max)",
           1500, NAN, bjson_num(fh, "result.latency_ms.service.max"), "ms",
           false, "failover-http result.latency_ms.service.max",
           "failover-http");
    json_t *ours = json_object_get(get(r, "burst-native-vs-redis"), "result"),
           *red = json_object_get(get(r, "burst-redis"), "result");
    double a = bjson_num(ours, "bookings_per_s"),
           b = bjson_num(red, "bookings_per_s");
    target(r, "hot-pool race: our bookings/s, % of single-node Redis's", 100,
           NAN, a > 0 && b > 0 ? 100 * a / b : NAN, "%", true,
           "burst-native-vs-redis / burst-redis result.bookings_per_s",
           "burst-native-vs-redis");
}

/* Where an accepted HTTP request's time went (latency_ms.split, sim.h),
 * for every http run of the set that has it. */
static void httpSplit(struct rep *r)
{
    static const char *const runs[] = {
        "burst-http",    "burst-http-rules",  "failover-http",
        "overload-http", "expiry-storm-http", "steady-http",
    };
    bool any = false;
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        json_t *d = get(r, runs[i]);
        json_t *res = json_object_get(d, "result");
        if (strcmp(runs[i], "steady-http") == 0) {
            res = rep_point(d, "x0.7");
        }
        json_t *sp = bjson_at(res, "latency_ms.split");
        if (sp == NULL) {
            continue;
        }
        if (!any) {
            md(r, "### Where an accepted HTTP request's time went\n\n"
                  "From the moment a simulated patient meant to send it: "
                  "*generator*, waiting for one of the generator's connections "
                  "(every connection busy: in a real channel, the request "
                  "waiting in the gateway's socket buffer); *connection*, "
                  "handed over until written; *network*, written until "
                  "answered minus the gateway's own time (loopback, the "
                  "kernel's buffers, h2o's read and write); *gateway*, the "
                  "handler's start to its answer (`Server-Timing: gw`; mostly "
                  "the cluster). p50 / p99 in ms; steady-http at x0.7.\n\n"
                  "| run | connections (churn: answers per connection) | "
                  "connects | generator | connection | network | gateway | "
                  "accepted | gateway's refusals p99 (count) |\n"
                  "|---|---|---|---|---|---|---|---|---|\n");
            any = true;
        }
        char cell[4][48];
        static const char *const parts[] = {"generator", "connection",
                                            "network", "gateway"};
        for (int k = 0; k < 4; k++) {
            json_t *x = json_object_get(sp, parts[k]);
            snprintf(cell[k], sizeof cell[k], "%s / %s",
                     rep_fix(bjson_num(x, "p50"), 2),
                     rep_fix(bjson_num(x, "p99"), 2));
        }
        json_t *hc = json_object_get(d, "http_conns");
        md(r, "| %s | %s (%s) | %s | %s | %s | %s | %s | %s / %s | %s (%s) |\n",
           runs[i], rep_big(bjson_num(d, "params.conns")),
           rep_big(bjson_num(d, "params.conn_reqs")),
           rep_big(bjson_num(hc, "connects")), cell[0], cell[1], cell[2],
           cell[3], rep_fix(bjson_num(res, "latency_ms.accepted.p50"), 2),
           rep_fix(bjson_num(res, "latency_ms.accepted.p99"), 2),
           rep_fix(bjson_num(res, "latency_ms.shed.p99"), 2),
           rep_big(bjson_num(res, "latency_ms.shed.count")));
    }
    if (any) {
        md(r, "\n");
    }
}

static void targets(struct rep *r)
{
    json_t *b = get(r, "burst-native"), *s = get(r, "steady-native");
    json_t *f = get(r, "failover-native"), *e = get(r, "expiry-storm-native");
    json_t *br = json_object_get(b, "result");
    md(r, "## Targets (3 nodes + load generator on one box, fsync on)\n\n");
    md(r, "| target | required | measured | status | from | load |\n"
          "|---|---|---|---|---|---|\n");
    target(r, "burst: hold decisions/s, one hot pool", 100000, 200000,
           rep_rates_ok(br) ? rep_num_v(b, 2, br, "hold_decisions_per_s") : NAN,
           "/s", true, "burst-native result.hold_decisions_per_s",
           "burst-native");
    target(r, "burst: hold decisions in the busiest second", 100000, 200000,
           rep_num_v(b, 2, br, "peak_hold_decisions_per_s_1s"), "/s", true,
           "burst-native result.peak_hold_decisions_per_s_1s", "burst-native");
    /* Bookings/s as the system's capacity: the races (every patient at
     * the release, no payment delay; see the paragraph below). */
    const char *races[] = {"burst-native-vs-redis", "burst-native-vs-redis-2"};
    const char *rl[] = {"hot-pool race: completed bookings/s",
                        "the same race, run again after Redis"};
    for (int i = 0; i < 2; i++) {
        char from[96];
        snprintf(from, sizeof from, "%s result.bookings_per_s", races[i]);
        target(r, rl[i], 50000, 100000,
               rep_rate(json_object_get(get(r, races[i]), "result"),
                        "bookings_per_s"),
               "/s", true, from, races[i]);
    }
    json_t *c1 = rep_point(s, "c=1"), *x7 = rep_point(s, "x0.7");
    target(r, "one request in flight: accepted p50", 0.4, NAN,
           acceptedMs(s, c1, "p50"), "ms", false,
           "steady-native c=1 latency_ms.accepted.p50", "steady-native");
    target(r, "one request in flight: accepted p99", 1.5, NAN,
           acceptedMs(s, c1, "p99"), "ms", false,
           "steady-native c=1 latency_ms.accepted.p99", "steady-native");
    target(r, "at 70 % of peak: accepted p99", 10, NAN,
           acceptedMs(s, x7, "p99"), "ms", false,
           "steady-native x0.7 latency_ms.accepted.p99", "steady-native");
    json_t *im = get(r, "import-native");
    target(r, "import 10,000 pools end to end (first submit to last applied)",
           1000, NAN,
           bjson_num(im, "result.pools") >= 10000
               ? bjson_num(im, "result.import.elapsed_ms")
               : NAN,
           "ms", false, "import-native result.import.elapsed_ms",
           "import-native");
    json_t *rn = get(r, "burst-native-rules");
    bool patient_rules = bjson_at(rn, "rules.refusals") != NULL;
    target(r,
           patient_rules ? "burst with every rule on, the patient rules and "
                           "rotating bots included: hold decisions/s, % of off"
                         : "burst with every hospital rule on: hold "
                           "decisions/s, % of off",
           patient_rules ? 85 : 90, NAN, rulesRatio(r, "native"), "%", true,
           "burst-native-rules / burst-native result.hold_decisions_per_s",
           "burst-native-rules");
    target(r, "failover: writes resume, p50 over kills", 1000, NAN,
           bjson_num(f, "failover.gap_p50_ms"), "ms", false,
           "failover-native failover.gap_p50_ms", "failover-native");
    /* The targets (issue 16); the run records them too. */
    json_t *fo = json_object_get(get(r, "fanout-native"), "result");
    char fow[96];
    snprintf(fow, sizeof fow,
             "feed fan-out: delivery lag p99, %s SSE subscribers through "
             "the burst",
             fo != NULL ? rep_big(bjson_num(fo, "subscribers")) : "1,000");
    target(r, fow, 100, NAN, bjson_num(fo, "lag_ms.p99"), "ms", false,
           "fanout-native result.lag_ms.p99", "fanout-native");
    target(r, "feed fan-out: the burst's bookings/s to 90 % with / without", 90,
           NAN, 100 * bjson_num(fo, "ratio.bookings_per_s_to_90"), "%", true,
           "fanout-native result.ratio.bookings_per_s_to_90", "fanout-native");
    target(r, "expiry storm: all released after the deadline",
           bjson_num(e, "result.storm.target_ms"), NAN,
           bjson_num(e, "result.storm.all_released_ms"), "ms", false,
           "expiry-storm-native result.storm.all_released_ms",
           "expiry-storm-native");
    restartTarget(r);
    httpTargets(r);
    md(r, "\n");
    if (rep_schema(s) < 2 && s != NULL) {
        md(r,
           "steady-native's JSON (schema %d) has latency of every answer "
           "only (`latency_ms.all`), refusals included: its c=1 p50 / p99 "
           "%s / %s ms and x0.7 p99 %s ms are in *Latency against load* "
           "below, not against the targets on accepted requests.\n\n",
           rep_schema(s), rep_fix(bjson_num(c1, "latency_ms.all.p50"), 2),
           rep_fix(bjson_num(c1, "latency_ms.all.p99"), 2),
           rep_fix(bjson_num(x7, "latency_ms.all.p99"), 2));
    }
    if (b != NULL) {
        json_t *p = json_object_get(b, "params");
        double t90 = bjson_num(br, "booked_by_s.p90");
        md(r,
           "In `burst-native` patients pay for %s-%s ms before confirming "
           "(`params.pay_min_ms`, `pay_max_ms`), arrive over %s ms "
           "(`arrival_ms`), abandon %s %% of their holds (`abandon`), and "
           "bots let %s %% of theirs lapse (`bot_abandon`, ttl %s ms) before "
           "they are sold again; 90 %% of its slots were "
           "booked %s s after the release (`result.booked_by_s.p90`)",
           rep_big(bjson_num(p, "pay_min_ms")),
           rep_big(bjson_num(p, "pay_max_ms")),
           rep_big(bjson_num(p, "arrival_ms")),
           rep_fix(100 * bjson_num(p, "abandon"), 0),
           rep_fix(100 * bjson_num(p, "bot_abandon"), 0),
           rep_big(bjson_num(p, "ttl_ms")), rep_fix(t90, 2));
        if (t90 >= REPORT_RATE_WINDOW_MIN_S) {
            md(r, ", %s bookings/s until then",
               rep_big(bjson_num(br, "booked_by_s.bookings_per_s_to_90")));
        }
        md(r, ".");
        json_t *race = bjson_at(get(r, "burst-native-vs-redis"), "params");
        if (race != NULL) {
            md(r,
               " The races (`burst-native-vs-redis*`: pay %s-%s ms, abandon "
               "%s %%, bots let %s %% lapse) give the bookings/s above.",
               rep_big(bjson_num(race, "pay_min_ms")),
               rep_big(bjson_num(race, "pay_max_ms")),
               rep_fix(100 * bjson_num(race, "abandon"), 0),
               rep_fix(100 * bjson_num(race, "bot_abandon"), 0));
        }
        md(r, "\n\n");
    }
}

/* Facts beside the p99 at 70 % of peak, each from this set's files. */
static void besideTail(struct rep *r)
{
    json_t *s = get(r, "steady-native");
    json_t *x7 = rep_point(s, "x0.7");
    if (x7 == NULL) {
        return;
    }
    bool v2 = rep_schema(s) >= 2;
    const char *which = v2 ? "accepted" : "all";
    char p50[64], p99[64];
    snprintf(p50, sizeof p50, "latency_ms.%s.p50", which);
    snprintf(p99, sizeof p99, "latency_ms.%s.p99", which);
    double lat99 = bjson_num(x7, p99);
    double fs99 = bjson_num(x7, "disk_fsync_ms.p99");
    double fsmax = bjson_num(x7, "disk_fsync_ms.max");
    md(r, "### Data beside the p99 at 70 %% of peak (steady-native x0.7)\n\n");
    md(r,
       "- Latency (%s): p50 %s ms, p99 %s ms, at %s %s achieved; load "
       "%s.\n",
       v2 ? "accepted requests" : "every answer, refusals included",
       rep_fix(bjson_num(x7, p50), 2), rep_fix(lat99, 2),
       rep_big(bjson_num(x7, v2 ? "hold_decisions_per_s" : "decisions_per_s")),
       v2 ? "hold decisions/s" : "decisions/s (holds and confirms)",
       loadOf(r, "steady-native"));
    if (!isnan(fs99)) {
        md(r,
           "- slotbench's disk probe during the point: fsync p99 %s ms, "
           "max %s ms",
           rep_fix(fs99, 2), rep_fix(fsmax, 1));
        if (!isnan(lat99) && fsmax < lat99) {
            md(r, "; its slowest fsync was shorter than the point's p99");
        }
        md(r, ".\n");
    }
    double n = bjson_num(x7, v2 ? "latency_ms.accepted.count"
                                : "latency_ms.all.count");
    double win = bjson_num(x7, "window_s");
    if (n > 0 && win > 0) {
        md(r,
           "- The point answered %s requests in %s s: its slowest 1 %% "
           "(%s) is as many as it answered in %s ms on average.\n",
           rep_big(n), rep_fix(win, 1), rep_big(n / 100),
           rep_fix(win * 1000 / 100, 0));
    }
    json_t *cpu = json_object_get(x7, "cpu");
    double on = bjson_num(cpu, "nodes_on_cpu_s_per_s"),
           wait = bjson_num(cpu, "nodes_runq_wait_s_per_s");
    if (!isnan(on) && !isnan(wait)) {
        md(r,
           "- The three nodes were on a CPU %s s and runnable but waiting "
           "for one %s s per second of the point's phase, %s us per run (the "
           "worst node %s %% of its runnable time; the generator on a CPU "
           "%s s/s, %s cores in the machine): time a request spends in a "
           "node that is ready and not running (`cpu`, under the steady "
           "table below).\n",
           rep_fix(on, 2), rep_fix(wait, 2),
           rep_fix(bjson_num(cpu, "nodes_wait_us_per_run"), 0),
           rep_fix(100 * bjson_num(cpu, "node_wait_share_max"), 0),
           rep_fix(bjson_num(cpu, "generator.on_cpu_s_per_s"), 2),
           rep_big(bjson_num(s, "machine.cpus")));
    }
    if (json_object_get(s, "node_stalls") != NULL) {
        md(r, "- What the nodes logged over the whole steady-native run "
              "(every point, not x0.7 alone) is its row under *Stalls the "
              "nodes logged*.\n");
    }
    double slow = bjson_num(r->set.ledger, "apply.hold.slowest_entry_ms");
    if (!isnan(slow)) {
        md(r,
           "- `bench_ledger` in this run set: the slowest entry of %s holds "
           "took %s ms to apply (`ledger.json` apply.hold.slowest_entry_ms).\n",
           rep_big(bjson_num(r->set.ledger, "setup.commands_per_entry")),
           rep_fix(slow, 2));
    }
    md(r, "\n");
}

/* ---- bursts: holds and refusals per second ---------------------------- */

static void burstRow(struct rep *r, const char *stem)
{
    json_t *d = get(r, stem);
    if (d == NULL) {
        return;
    }
    json_t *res = json_object_get(d, "result");
    bool v2 = rep_schema(d) >= 2, rates = rep_rates_ok(res);
    md(r, "| %s | %s | ", stem, rep_fix(bjson_num(res, "window_s"), 3));
    if (!rates) {
        md(r, "– | – | – | – | – | – ");
    } else {
        md(r, "%s | ", rep_big(bjson_num(res, "decisions_per_s")));
        if (v2) {
            md(r, "%s | %s | ", rep_big(bjson_num(res, "hold_decisions_per_s")),
               rep_big(bjson_num(res, "ok_holds_per_s")));
            char ref[512];
            rep_refusals(res, ref, sizeof ref);
            md(r, "%s", ref);
            md(r, " | %s ",
               rep_big(bjson_num(res, "in_window.confirm.OK") /
                       bjson_num(res, "window_s")));
        } else {
            md(r, "*not measured* | *not measured* | *not measured* | "
                  "*not measured* ");
        }
        md(r, "| %s ", rep_big(bjson_num(res, "bookings_per_s")));
    }
    md(r, "| %s / %s / %s | %s | %s |\n",
       v2 ? rep_big(bjson_num(res, "peak_hold_decisions_per_s_1s"))
          : "*not measured*",
       v2 ? rep_big(bjson_num(res, "peak_ok_holds_per_s_1s"))
          : "*not measured*",
       rep_big(bjson_num(res, "peak_decisions_per_s_1s")),
       rep_fix(bjson_num(res, "sellout_s.max"), 3), loadOf(r, stem));
}

static void bursts(struct rep *r)
{
    md(r, "## Bursts: decisions, OK holds and refusals per second\n\n");
    md(r, "Over each run's rate window (`result.window_s`: the release to the "
          "last slot booked, or to the end of the load). *hold decisions* are "
          "holds answered by the ledger, granted or refused by a rule; *OK "
          "holds* the granted ones; refusals by code come from "
          "`result.in_window.hold`. The busiest second is the busiest 1 s "
          "within the window.\n\n");
    md(r, "| run | window (s) | decisions/s (all ops) | hold decisions/s | "
          "OK holds/s | hold refusals/s by code | OK confirms/s | "
          "bookings/s | busiest second: hold decisions / OK holds / all "
          "decisions | sell-out (s) | load |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|\n");
    const char *stems[] = {"burst-native",
                           "burst-native-rules",
                           "burst-http",
                           "burst-http-rules",
                           "failover-native",
                           "failover-http",
                           "burst-native-vs-etcd",
                           "burst-etcd",
                           "burst-native-vs-redis",
                           "burst-redis",
                           "burst-native-vs-redis-2"};
    for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++) {
        burstRow(r, stems[i]);
    }
    md(r, "\n");
}

/* ---- per-run table ---------------------------------------------------- */

static void rejects(struct rep *r, json_t *res)
{
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach(json_object_get(res, "rejects"), k, v)
    {
        md(r, "%s%s %s", first ? "" : ", ", k,
           rep_big((double)json_integer_value(v)));
        first = false;
    }
    if (first) {
        md(r, "none");
    }
}

/* Latency of accepted or refused answers (schema 2) as one cell. */
static void latTriple(struct rep *r, json_t *doc, json_t *res,
                      const char *which)
{
    char path[64];
    snprintf(path, sizeof path, "latency_ms.%s", which);
    md(r, "%s | ",
       rep_schema(doc) < 2 ? "*not measured*" : rep_lat3(res, path));
}

static void runRow(struct rep *r, const char *stem)
{
    json_t *d = get(r, stem);
    if (d == NULL) {
        return;
    }
    json_t *res = json_object_get(d, "result");
    md(r, "| %s | %s | %s | %s | %s | ", stem,
       rep_big(rep_rate(res, "decisions_per_s")),
       rep_big(rep_rate(res, "bookings_per_s")),
       rep_big(rep_rate(res, "raft.entries_per_s")),
       rep_fix(bjson_num(res, "raft.decisions_per_entry"), 1));
    latTriple(r, d, res, "accepted");
    latTriple(r, d, res, "refused");
    md(r, "%s / %s / %s / %s / %s | %s | ",
       rep_fix(bjson_num(res, "latency_ms.all.p50"), 2),
       rep_fix(bjson_num(res, "latency_ms.all.p90"), 2),
       rep_fix(bjson_num(res, "latency_ms.all.p99"), 2),
       rep_fix(bjson_num(res, "latency_ms.all.p999"), 2),
       rep_fix(bjson_num(res, "latency_ms.all.max"), 1),
       rep_fix(bjson_num(res, "sellout_s.max"), 3));
    rejects(r, res);
    md(r, " | %s | %s |\n", checkOf(d), loadOf(r, stem));
}

static void runTable(struct rep *r)
{
    md(r, "## Runs\n\n### Every scenario, native (libslot) and http "
          "(slot-gateway)\n\n");
    md(r, "Rates over the run's window (above); rejects are counted over "
          "the whole run. Latency in ms: *accepted* are OK answers, "
          "*refused* every other answer (a rule's refusal, SHED, TIMEOUT), "
          "*every answer* both.\n\n");
    md(r, "| run | decisions/s | bookings/s | Raft entries/s | "
          "decisions/entry | accepted p50 / p99 / max | refused p50 / p99 "
          "/ max | every answer p50 / p90 / p99 / p99.9 / max | sell-out "
          "(s) | rejects | check | load |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    const char *stems[] = {"burst-native",        "burst-native-rules",
                           "burst-http",          "burst-http-rules",
                           "failover-native",     "failover-http",
                           "expiry-storm-native", "expiry-storm-http",
                           "overload-native",     "overload-http"};
    for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++) {
        runRow(r, stems[i]);
    }
    md(r, "\n");
}

static void failures(struct rep *r)
{
    bool any = false;
    for (int i = 0; i < REPORT_N_STEMS; i++) {
        size_t k;
        json_t *v;
        json_array_foreach(bjson_at(r->set.doc[i], "check.failures"), k, v)
        {
            if (!any) {
                md(r, "### Check failures\n\n");
                any = true;
            }
            md(r, "- %s: %s\n", REPORT_STEMS[i], json_string_value(v));
        }
    }
    md(r, any ? "\n" : "");
}

/* Where each point's CPU went (the points' `cpu`, procstat.h): on a CPU
 * and waiting in a run queue, in seconds per second of the point. */
static void cpuTable(struct rep *r, json_t *d)
{
    size_t i;
    json_t *p;
    bool any = false;
    json_array_foreach(json_object_get(d, "points"), i, p)
    {
        any = any || json_object_get(p, "cpu") != NULL;
    }
    if (!any) {
        return;
    }
    md(r, "Where each point's CPU went (`cpu`, from the kernel's per-thread "
          "schedstat): seconds on a CPU and seconds *runnable but not "
          "running* per second of the point's phase (`cpu.span_s`: from "
          "before its load starts to after it drained), the three nodes "
          "summed, and "
          "that wait per time a node was put on a CPU. A node that waits "
          "had work and no CPU: another process had it, or an idle CPU "
          "was slow to start it (on this VM a halted vCPU woken through "
          "the hypervisor: many short waits even at one request in "
          "flight; contention makes them longer). Latency with no work of "
          "its own behind it.\n\n"
          "| point | nodes on a CPU (s/s) | nodes waiting for a CPU (s/s) | "
          "mean wait per run (us) | worst node's runnable time spent "
          "waiting | node preemptions/s | gateways on a CPU / waiting "
          "(s/s) | generator on a CPU / waiting (s/s) |\n"
          "|---|---|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(d, "points"), i, p)
    {
        json_t *c = json_object_get(p, "cpu");
        if (c == NULL) {
            continue;
        }
        double pre = 0;
        size_t k;
        json_t *n;
        json_array_foreach(json_object_get(c, "nodes"), k, n)
        {
            pre += json_is_object(n) ? bjson_num(n, "preemptions_per_s") : 0;
        }
        md(r, "| %s | %s | %s | %s | %s %% | %s | %s / %s | %s / %s |\n",
           bjson_str(p, "label"),
           rep_fix(bjson_num(c, "nodes_on_cpu_s_per_s"), 2),
           rep_fix(bjson_num(c, "nodes_runq_wait_s_per_s"), 2),
           rep_fix(bjson_num(c, "nodes_wait_us_per_run"), 0),
           rep_fix(100 * bjson_num(c, "node_wait_share_max"), 0), rep_big(pre),
           rep_fix(bjson_num(c, "gateways.on_cpu_s_per_s"), 2),
           rep_fix(bjson_num(c, "gateways.runq_wait_s_per_s"), 2),
           rep_fix(bjson_num(c, "generator.on_cpu_s_per_s"), 2),
           rep_fix(bjson_num(c, "generator.runq_wait_s_per_s"), 2));
    }
    md(r, "\n");
}

static void steadyTable(struct rep *r, const char *stem)
{
    json_t *d = get(r, stem);
    if (d == NULL) {
        return;
    }
    bool v2 = rep_schema(d) >= 2;
    md(r,
       "### Latency against load: %s (peak from a closed-loop probe: %s "
       "holds/s; load %s)\n\n",
       stem, rep_big(bjson_num(d, "peak_holds_per_s")), loadOf(r, stem));
    md(r, "| point | offered holds/s | achieved hold decisions/s | "
          "decisions/s | accepted p50 / p99 (ms) | every answer p50 | p90 | "
          "p99 | p99.9 | max (ms) | service p99 (ms) | dropped by "
          "generator | disk fsync p99 / max (ms) |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(d, "points"), i, p)
    {
        md(r, "| %s | %s | %s | %s | ", bjson_str(p, "label"),
           strcmp(bjson_str(p, "loop"), "closed") == 0
               ? "closed loop"
               : rep_big(bjson_num(p, "offered_holds_per_s")),
           v2 ? rep_big(bjson_num(p, "hold_decisions_per_s"))
              : "*not measured*",
           rep_big(bjson_num(p, "decisions_per_s")));
        if (v2) {
            md(r, "%s / %s | ",
               rep_fix(bjson_num(p, "latency_ms.accepted.p50"), 2),
               rep_fix(bjson_num(p, "latency_ms.accepted.p99"), 2));
        } else {
            md(r, "*not measured* | ");
        }
        md(r, "%s | %s | %s | %s | %s | %s | %s | %s / %s |\n",
           rep_fix(bjson_num(p, "latency_ms.all.p50"), 2),
           rep_fix(bjson_num(p, "latency_ms.all.p90"), 2),
           rep_fix(bjson_num(p, "latency_ms.all.p99"), 2),
           rep_fix(bjson_num(p, "latency_ms.all.p999"), 2),
           rep_fix(bjson_num(p, "latency_ms.all.max"), 1),
           rep_fix(bjson_num(p, "latency_ms.service.p99"), 2),
           rep_big(bjson_num(p, "dropped_by_generator")),
           rep_fix(bjson_num(p, "disk_fsync_ms.p99"), 2),
           rep_fix(bjson_num(p, "disk_fsync_ms.max"), 1));
    }
    double every = bjson_num(d, "params.disk_probe_ms");
    md(r,
       "\n*disk fsync*: slotbench's own probe (`diskprobe.h`), one 4 KiB "
       "write + fdatasync every %s ms on the nodes' filesystem during the "
       "point.\n\n",
       isnan(every) ? "`DISKPROBE_MS` (slotbench.c)" : rep_big(every));
    cpuTable(r, d);
}

static void failoverSection(struct rep *r, const char *stem, json_t *d)
{
    md(r,
       "### Failover: %s (leader SIGKILLed during the burst; load "
       "%s)\n\n",
       stem, loadOf(r, stem));
    md(r, "| kill | node | at (s) | writes resumed after (client, ms) | "
          "first entry of the new leader (ms) | new leader seen (ms) "
          "|\n|---|---|---|---|---|---|\n");
    size_t k;
    json_t *x;
    json_array_foreach(bjson_at(d, "failover.kills"), k, x)
    {
        md(r, "| %zu | %s | %s | %s | %s | %s |\n", k + 1,
           rep_big(bjson_num(x, "node")), rep_fix(bjson_num(x, "at_s"), 2),
           rep_fix(bjson_num(x, "resume_client_ms"), 0),
           rep_fix(bjson_num(x, "resume_ledger_ms"), 0),
           rep_fix(bjson_num(x, "new_leader_seen_ms"), 0));
    }
    md(r, "\nWrite gap p50 %s ms, max %s ms.\n\n",
       rep_fix(bjson_num(d, "failover.gap_p50_ms"), 0),
       rep_fix(bjson_num(d, "failover.gap_max_ms"), 0));
}

static void stormSection(struct rep *r, const char *stem, json_t *d)
{
    json_t *s = bjson_at(d, "result.storm");
    md(r, "### Expiry storm: %s (load %s)\n\n", stem, loadOf(r, stem));
    md(r,
       "%s holds placed in %s s with one deadline (spread of the "
       "ledger's deadlines %s ms); first released %s ms and all released "
       "%s ms after it (target ≤ %s ms). New holds arriving at %s/s "
       "meanwhile: p50 / p99 / max %s ms before the deadline, %s ms after "
       "it.\n\n",
       rep_big(bjson_num(s, "filled")), rep_fix(bjson_num(s, "fill_s"), 2),
       rep_fix(bjson_num(s, "deadline_spread_ms"), 0),
       rep_fix(bjson_num(s, "first_release_ms"), 0),
       rep_fix(bjson_num(s, "all_released_ms"), 0),
       rep_big(bjson_num(s, "target_ms")), rep_big(bjson_num(s, "live_rate")),
       rep_lat3(s, "live_before"), rep_lat3(s, "live_during"));
}

static void overloadSection(struct rep *r, const char *stem, json_t *d)
{
    json_t *res = json_object_get(d, "result");
    md(r, "### Overload: %s (load %s)\n\n", stem, loadOf(r, stem));
    md(r,
       "Offered %s holds/s (%sx the %s holds/s a closed-loop probe "
       "sustained); the generator issued %s arrivals and dropped %s it "
       "could not issue. Goodput %s successful decisions/s = %s of the "
       "probe's. Accepted holds p50 / p99 %s / %s ms; refused holds "
       "(every code, see rejects) p50 / p99 %s / %s ms; per-request "
       "service time p99 %s ms. Arrivals that found no room within the "
       "request timeout: %s.",
       rep_big(bjson_num(res, "offered_holds_per_s")),
       rep_fix(bjson_num(d, "params.overload_factor"), 1),
       rep_big(bjson_num(res, "sustainable_holds_per_s")),
       rep_big(bjson_num(res, "arrivals")),
       rep_big(bjson_num(res, "dropped_by_generator")),
       rep_big(rep_rate(res, "ok_decisions_per_s")),
       rep_fix(bjson_num(res, "goodput_vs_probe"), 2),
       rep_fix(bjson_num(res, "latency_ms.hold.p50"), 2),
       rep_fix(bjson_num(res, "latency_ms.hold.p99"), 2),
       rep_fix(bjson_num(res, "latency_ms.hold_refused.p50"), 2),
       rep_fix(bjson_num(res, "latency_ms.hold_refused.p99"), 2),
       rep_fix(bjson_num(res, "latency_ms.service.p99"), 2),
       rep_big(bjson_num(res, "generator_wait_expired")));
    if (json_is_true(bjson_at(d, "params.shed"))) {
        md(r, " Shedding was on (`params.shed`): a new hold that found "
              "the generator's bounded connections full was refused at "
              "once (SHED), and a node's BUSY was final.");
    }
    md(r, "\n\nRejects: ");
    rejects(r, res);
    md(r, "\n\n");
}

/* One headline figure of the burst alone and with subscribers. */
static void fanoutRow(struct rep *r, json_t *res, const char *what,
                      const char *key, int prec)
{
    char a[96], w[96], q[96];
    snprintf(a, sizeof a, "burst_alone.%s", key);
    snprintf(w, sizeof w, "burst_with_subscribers.%s", key);
    snprintf(q, sizeof q, "ratio.%s", key);
    md(r, "| %s | %s | %s | %s |\n", what, rep_num(bjson_num(res, a), prec),
       rep_num(bjson_num(res, w), prec), rep_fix(bjson_num(res, q), 3));
}

/* The feed fan-out: SSE subscribers following the race burst through
 * one gateway, against the same burst without them. */
static void fanoutSection(struct rep *r, const char *stem, json_t *d)
{
    json_t *res = json_object_get(d, "result");
    double lag99 = bjson_num(res, "lag_ms.p99");
    double goal = bjson_num(res, "targets.lag_p99_ms_max");
    double ratio = bjson_num(res, "ratio.bookings_per_s_to_90");
    double rmin = bjson_num(res, "targets.burst_ratio_min");
    md(r, "### Feed fan-out: %s (load %s)\n\n", stem, loadOf(r, stem));
    md(r,
       "The race burst (`params`: %s slots, %s patients, all at the "
       "release) twice on a fresh cluster and gateway each: alone, then "
       "with %s SSE subscribers (%s) connected to the gateway before the "
       "release. %s connected, %s saw the last event (a marker pool "
       "created after the burst) within the bound (`drain_bounded_out`: "
       "%s; %s s after the burst), %s ended early (first: %s). Events per "
       "subscriber %s..%s (the gateway read the feed %s times); missing "
       "seqs %s, out of order %s. Delivery lag "
       "(receive wall time − the event's ledger time) p50 / p99 / max "
       "%s / %s / %s ms over %s deliveries: target p99 ≤ %s ms **%s**; "
       "the burst's bookings/s to 90 %% with subscribers %s of without: "
       "target ≥ %s **%s**.\n\n",
       rep_big(bjson_num(d, "params.capacity")),
       rep_big(bjson_num(d, "params.patients")),
       rep_big(bjson_num(res, "subscribers")), bjson_str(res, "viewers"),
       rep_big(bjson_num(res, "connected")),
       rep_big(bjson_num(res, "finished")),
       json_is_true(json_object_get(res, "drain_bounded_out")) ? "yes" : "no",
       rep_fix(bjson_num(res, "drain_s"), 1),
       rep_big(bjson_num(res, "ended_early")),
       bjson_str(res, "first_error")[0] ? bjson_str(res, "first_error")
                                        : "none",
       rep_big(bjson_num(res, "events_per_subscriber.min")),
       rep_big(bjson_num(res, "events_per_subscriber.max")),
       rep_big(bjson_num(res, "gateway_feed_reads")),
       rep_big(bjson_num(res, "gaps")),
       rep_big(bjson_num(res, "order_violations")),
       rep_fix(bjson_num(res, "lag_ms.p50"), 1), rep_fix(lag99, 1),
       rep_fix(bjson_num(res, "lag_ms.max"), 1),
       rep_big(bjson_num(res, "lag_ms.count")), rep_num(goal, 0),
       isnan(lag99)    ? "not measured"
       : lag99 <= goal ? "met"
                       : "missed",
       rep_fix(ratio, 3), rep_fix(rmin, 2),
       isnan(ratio)    ? "not measured"
       : ratio >= rmin ? "met"
                       : "missed");
    json_t *cpu = json_object_get(res, "cpu_s");
    double nodes = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cpu, "nodes"), i, v)
    {
        nodes += json_number_value(v);
    }
    md(r,
       "Where the time went, from before the release to the end of the "
       "drain (`result.cpu_s`, %s s of wall time on %s cores, shared with "
       "the load generator and whatever else ran): the gateway %s CPU s, "
       "the subscribers' thread %s CPU s, the nodes %s CPU s. An event's "
       "time_ms is the leader's stamp on its entry, and the event exists "
       "only once the entry is committed and applied: the lag includes "
       "that commit time, which during the burst is the burst's own "
       "request latency (every answer p99 below: %s ms with subscribers), "
       "a floor no fan-out can go under.\n\n",
       rep_fix(bjson_num(cpu, "wall_s"), 1),
       rep_fix(bjson_num(d, "machine.cpus"), 0),
       rep_fix(bjson_num(cpu, "gateway"), 2),
       rep_fix(bjson_num(cpu, "subscribers_thread"), 2),
       rep_fix(cpu != NULL ? nodes : NAN, 2),
       rep_fix(bjson_num(res, "burst_with_subscribers.latency_p99_ms"), 1));
    md(r, "| the burst | alone | with subscribers | ratio |\n"
          "|---|---|---|---|\n");
    fanoutRow(r, res, "bookings/s over the window", "bookings_per_s", 0);
    fanoutRow(r, res, "bookings/s to 90 % booked", "bookings_per_s_to_90", 0);
    fanoutRow(r, res, "hold decisions/s", "hold_decisions_per_s", 0);
    fanoutRow(r, res, "sell-out (s)", "sellout_s", 3);
    fanoutRow(r, res, "every answer p99 (ms)", "latency_p99_ms", 1);
    fanoutRow(r, res, "hold p99 (ms)", "hold_p99_ms", 1);
    fanoutRow(r, res, "confirm p99 (ms)", "confirm_p99_ms", 1);
    md(r, "\n");
}

/* Each scenario's own section, native then http, for the runs present. */
static void specials(struct rep *r)
{
    static const struct {
        const char *scenario;
        void (*section)(struct rep *r, const char *stem, json_t *d);
    } S[] = {{"failover", failoverSection},
             {"expiry-storm", stormSection},
             {"overload", overloadSection},
             {"fanout", fanoutSection}};
    static const char *const MODES[] = {"native", "http"};
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
        for (size_t m = 0; m < sizeof MODES / sizeof MODES[0]; m++) {
            char stem[64];
            snprintf(stem, sizeof stem, "%s-%s", S[i].scenario, MODES[m]);
            json_t *d = get(r, stem);
            if (d != NULL) {
                S[i].section(r, stem, d);
            }
        }
    }
}

/* ---- hospitals' schedules and rules ---------------------------------- */

/* "0.069" s, or with the rate when the window allows one. */
static void passTime(struct rep *r, json_t *pass, double pools)
{
    double e = bjson_num(pass, "elapsed_ms") / 1000;
    md(r, "%s s | %s | ", rep_fix(e, 3),
       e >= REPORT_RATE_WINDOW_MIN_S ? rep_big(pools / e) : "– (window < 1 s)");
}

static void importSection(struct rep *r, const char *stem)
{
    json_t *d = get(r, stem);
    if (d == NULL) {
        md(r,
           "### Importing a schedule end to end\n\n`%s.json`: " NOT_MEASURED
           ".\n\n",
           stem);
        return;
    }
    json_t *res = json_object_get(d, "result"),
           *sc = json_object_get(d, "schedule");
    double pools = bjson_num(res, "pools");
    md(r, "### Importing a schedule end to end (`%s`; load %s)\n\n", stem,
       loadOf(r, stem));
    md(r,
       "Hospital `%s` (its rules set first): %s templates, one per doctor "
       "(campuses and %s departments in turn), each %s days (%s to %s) x %s "
       "half-hour segments of %s slots: %s pools. Submitted through "
       "libslot's async API, %s at most in flight (`result.inflight`); an "
       "answer comes once the entry holding the import is fsync'd on a "
       "majority and applied on the leader. Target: %s ms from the first "
       "submit to the last answer.\n\n",
       bjson_str(json_object_get(d, "rules"), "hospital"),
       rep_big(bjson_num(sc, "templates")),
       rep_big(bjson_num(sc, "departments")), rep_big(bjson_num(sc, "days")),
       bjson_str(sc, "first_day"), bjson_str(sc, "last_day"),
       rep_big(bjson_num(sc, "segments")),
       rep_big(bjson_num(sc, "pool_capacity")), rep_big(pools),
       rep_big(bjson_num(res, "inflight")),
       rep_big(bjson_num(res, "target_ms")));
    md(r, "| pass | imports OK | pools created / unchanged | first submit "
          "→ last answer | pools/s | per import p50 / p99 / max (ms) | Raft "
          "entries |\n|---|---|---|---|---|---|---|\n");
    const char *passes[] = {"import", "reimport"};
    const char *label[] = {"import", "again (nothing to create)"};
    for (int i = 0; i < 2; i++) {
        json_t *p = json_object_get(res, passes[i]);
        if (p == NULL) {
            continue;
        }
        md(r, "| %s | %s of %s | %s / %s | ", label[i],
           rep_big(bjson_num(p, "ok")), rep_big(bjson_num(p, "imports")),
           rep_big(bjson_num(p, "created")),
           rep_big(bjson_num(p, "unchanged")));
        passTime(r, p, pools);
        md(r, "%s | %s |\n", rep_lat3(p, "latency_ms"),
           rep_big(bjson_num(p, "raft.entries")));
    }
    json_t *v = json_object_get(res, "verify");
    md(r,
       "\nListed with `slotc_read_query` (%s pages of at most 1,000): %s "
       "pools of %s planned (query total %s; missing %s, not planned %s, "
       "listed twice %s, not as imported %s) in %s ms. Check: %s.\n\n",
       rep_big(bjson_num(v, "pages")), rep_big(bjson_num(v, "listed")),
       rep_big(bjson_num(v, "expected")), rep_big(bjson_num(v, "query_total")),
       rep_big(bjson_num(v, "missing")), rep_big(bjson_num(v, "unplanned")),
       rep_big(bjson_num(v, "listed_twice")),
       rep_big(bjson_num(v, "not_as_imported")),
       rep_fix(bjson_num(v, "elapsed_ms"), 1), checkOf(d));
}

/* The rule set of a --rules run, as its JSON records it. */
static void ruleSet(struct rep *r, json_t *ru)
{
    md(r,
       "Every rule on, each satisfied at the burst (`rules` of the run; "
       "bench/slotbench/hosp.h): UTC offset %s min (local time near noon), "
       "release at %s for day +%s (the minute of the release moment; the "
       "pools' own release time gives the millisecond), visits on %s, "
       "cut-off at minute %s the day before, payment window %s ms (native "
       "holds ask for ttl 0; `params.hold_ttl_ms`), flow-back at minute %s "
       "%s day(s) before; ",
       rep_fix(bjson_num(ru, "utc_offset_min"), 0),
       bjson_str(ru, "release_minute"), rep_big(bjson_num(ru, "horizon_days")),
       bjson_str(ru, "visit_day"), rep_big(bjson_num(ru, "cutoff_minute")),
       rep_big(bjson_num(ru, "pay_ttl_ms")),
       rep_big(bjson_num(ru, "flowback_minute")),
       rep_big(bjson_num(ru, "flowback_days_before")));
    char *g = json_dumps(json_object_get(ru, "groups"), JSON_COMPACT);
    md(r, "groups %s; %s channel policies, %s eligibility rules; each pool: ",
       g ? g : "?", rep_big((double)json_array_size(bjson_at(ru, "policies"))),
       rep_big((double)json_array_size(bjson_at(ru, "eligibility"))));
    free(g);
    size_t i;
    json_t *v;
    json_array_foreach(bjson_at(ru, "burst_pool.shares"), i, v)
    {
        md(r, "%s%s", i ? ", " : "", json_string_value(v));
    }
    md(r, ", the remainder for ");
    json_array_foreach(bjson_at(ru, "burst_pool.remainder_allow"), i, v)
    {
        md(r, "%s%s", i ? ", " : "", json_string_value(v));
    }
    md(r, " only.\n\n");
}

static const char *countsStr(json_t *o, char *buf, size_t len);

/* A count of a JSON object of counts; 0 when absent. */
static double num0(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return v != NULL ? json_number_value(v) : 0;
}

/* The rotating bots under the patient rules (rules.refusals of each
 * burst-MODE-rules run): every HOLD answer by side, refused by which
 * rule, what was done before the release, and the throughput ratio
 * against issue 15's goal (within 15 % of the burst without rules). */
static void botsTable(struct rep *r, const char *const *modes, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        char on[64];
        snprintf(on, sizeof on, "burst-%s-rules", modes[i]);
        json_t *f = bjson_at(get(r, on), "rules.refusals");
        if (f == NULL) {
            continue;
        }
        if (!any) {
            md(r,
               "The patient rules against bots that rotate names, accounts "
               "and channels (`rules.refusals`; hosp.h, \"The rotating "
               "bots\": %s names and %s account(s) per bot, the account "
               "rule on the app in native mode only). Every HOLD answer of "
               "the run, by side; QUOTA_EXCEEDED by quota; PATIENT_HAS_CLAIM "
               "is the one-claim-per-pool rule of protocol 1.\n\n"
               "| mode | side | holds | OK | NOT_BOUND | BLACKLISTED | "
               "CANCEL_LIMIT | QUOTA_EXCEEDED (by quota) | PATIENT_HAS_CLAIM "
               "| refused by the patient rules | before the release | hold "
               "decisions/s on / off (≥ 85 %%) |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|\n",
               rep_big(bjson_num(f, "bot_names")),
               rep_big(bjson_num(f, "bot_accounts")));
            any = true;
        }
        double ratio = rulesRatio(r, modes[i]);
        char rc[64], prep[256];
        snprintf(rc, sizeof rc, "%s %%%s", rep_fix(ratio, 0),
                 ratio < 85 ? " **missed**" : "");
        snprintf(prep, sizeof prep,
                 "%s binds (%s refused ACCOUNT_LIMIT), %s names blacklisted",
                 rep_big(bjson_num(f, "prep.binds")),
                 rep_big(bjson_num(f, "prep.binds_refused_account_limit")),
                 rep_big(bjson_num(f, "prep.blacklisted_names")));
        static const char *const SIDES[] = {"bots", "patients"};
        for (size_t k = 0; k < 2; k++) {
            json_t *s = json_object_get(f, SIDES[k]);
            json_t *rf = json_object_get(s, "refused");
            char quota[256];
            countsStr(json_object_get(s, "quota"), quota, sizeof quota);
            md(r, "| %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s | ",
               modes[i], SIDES[k], rep_big(bjson_num(s, "holds")),
               rep_big(bjson_num(s, "ok")), rep_big(num0(rf, "NOT_BOUND")),
               rep_big(num0(rf, "BLACKLISTED")),
               rep_big(num0(rf, "CANCEL_LIMIT")),
               rep_big(num0(rf, "QUOTA_EXCEEDED")), quota[0] ? quota : "–",
               rep_big(num0(rf, "PATIENT_HAS_CLAIM")),
               rep_big(bjson_num(s, "refused_by_patient_rules")));
            md(r, "%s | %s |\n", k == 0 ? prep : "",
               k == 0 ? (isnan(ratio) ? "*not measured*" : rc) : "");
        }
    }
    if (any) {
        md(r, "\nCANCEL_LIMIT reads 0: the bots do not cancel and re-book (the "
              "burst's check has no cancellations); bench_ledger's part (e) "
              "measures that rule.\n\n");
    }
}

static void rulesSection(struct rep *r)
{
    static const char *const MODES[] = {"native", "http"};
    json_t *any = NULL;
    for (size_t i = 0; i < 2 && any == NULL; i++) {
        char on[64];
        snprintf(on, sizeof on, "burst-%s-rules", MODES[i]);
        any = get(r, on);
    }
    md(r, "### The burst with every hospital rule on\n\n");
    if (any == NULL) {
        md(r, "`burst-native-rules.json`: " NOT_MEASURED ".\n\n");
        return;
    }
    ruleSet(r, json_object_get(any, "rules"));
    md(r, "| mode | hold decisions/s off → on | on / off (≥ 90 %%) | all "
          "decisions/s off → on | bookings/s off → on | accepted p99 (ms) "
          "off → on | sell-out (s) off → on | check off / on | load off / "
          "on |\n|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < 2; i++) {
        char off[64], on[64];
        snprintf(off, sizeof off, "burst-%s", MODES[i]);
        snprintf(on, sizeof on, "burst-%s-rules", MODES[i]);
        json_t *a = get(r, off), *b = get(r, on);
        if (b == NULL) {
            continue;
        }
        json_t *ra = json_object_get(a, "result"),
               *rb = json_object_get(b, "result");
        double ratio = rulesRatio(r, MODES[i]);
        char rc[64];
        snprintf(rc, sizeof rc, "%s %%%s", rep_fix(ratio, 0),
                 ratio < 90 ? " **missed**" : "");
        md(r,
           "| %s | %s → %s | %s | %s → %s | %s → %s | %s → %s | %s → %s | "
           "%s / %s | %s / %s |\n",
           MODES[i], rep_big(rep_num_v(a, 2, ra, "hold_decisions_per_s")),
           rep_big(rep_rate(rb, "hold_decisions_per_s")),
           isnan(ratio) ? "*not measured*" : rc,
           rep_big(rep_rate(ra, "decisions_per_s")),
           rep_big(rep_rate(rb, "decisions_per_s")),
           rep_big(rep_rate(ra, "bookings_per_s")),
           rep_big(rep_rate(rb, "bookings_per_s")),
           rep_fix(rep_num_v(a, 2, ra, "latency_ms.accepted.p99"), 2),
           rep_fix(bjson_num(rb, "latency_ms.accepted.p99"), 2),
           rep_fix(bjson_num(ra, "sellout_s.max"), 3),
           rep_fix(bjson_num(rb, "sellout_s.max"), 3), a ? checkOf(a) : "–",
           checkOf(b), loadOf(r, off), loadOf(r, on));
    }
    md(r, "\n");
    botsTable(r, MODES, 2);
}

/* "name n, name n" of a JSON object of counts, into buf. */
static const char *countsStr(json_t *o, char *buf, size_t len)
{
    const char *k;
    json_t *v;
    size_t at = 0;
    buf[0] = '\0';
    json_object_foreach(o, k, v)
    {
        int n = snprintf(buf + at, len - at, "%s%s %s", at ? ", " : "", k,
                         rep_big(json_number_value(v)));
        if (n < 0 || (size_t)n >= len - at) {
            break;
        }
        at += (size_t)n;
    }
    return at ? buf : "none";
}

/* bench_ledger's part (e): HOLD with every rule on, the patient rules
 * included, beside the same holds without the patient rules. */
static void ledgerPatients(struct rep *r)
{
    json_t *p = json_object_get(r->set.ledger, "patients");
    if (p == NULL) {
        md(r,
           "`ledger.json` patients (HOLD with the patient rules): " NOT_MEASURED
           " (no `ledger.json`, or one written before bench_ledger "
           "measured it).\n\n");
        return;
    }
    /* The counts first: rep_big's buffers are a ring of REP_BUFS. */
    char codes[512], quota[256], offc[256];
    json_t *on = json_object_get(p, "rules_on"),
           *off = json_object_get(p, "patient_rules_off");
    countsStr(json_object_get(on, "codes"), codes, sizeof codes);
    countsStr(json_object_get(on, "quota"), quota, sizeof quota);
    countsStr(json_object_get(off, "codes"), offc, sizeof offc);
    md(r,
       "With the patient rules too (`ledger.json` patients: %s patients, %s "
       "accounts, %s blacklisted, %s with the day's cancellations made; %s "
       "HOLDs, five per patient): a HOLD %s ns (decoding %s ns; target ≤ %s "
       "ns), the same HOLDs without the patient rules %s ns (on / off %s). "
       "Answers with the rules: %s OK; refused %s (QUOTA_EXCEEDED by quota: "
       "%s). Without them: %s OK; refused %s.\n\n",
       rep_big(bjson_num(p, "patients")), rep_big(bjson_num(p, "accounts")),
       rep_big(bjson_num(p, "blacklisted")),
       rep_big(bjson_num(p, "cancel_limited")),
       rep_big(bjson_num(p, "hold_commands")),
       rep_fix(bjson_num(p, "rules_on.ns_per_hold"), 0),
       rep_fix(bjson_num(p, "rules_on.decode_ns_per_hold"), 0),
       rep_big(bjson_num(p, "target_hold_ns")),
       rep_fix(bjson_num(p, "patient_rules_off.ns_per_hold"), 0),
       rep_fix(bjson_num(p, "on_off_ratio"), 2),
       rep_big(bjson_num(p, "rules_on.ok")), codes[0] ? codes : "none",
       quota[0] ? quota : "none", rep_big(bjson_num(p, "patient_rules_off.ok")),
       offc[0] ? offc : "none");
}

/* bench_ledger's part (d): the rules on the ledger's path alone. */
static void ledgerSchedules(struct rep *r)
{
    json_t *s = json_object_get(r->set.ledger, "schedules");
    md(r, "### The ledger alone (`ledger.json` schedules, bench_ledger)\n\n");
    if (s == NULL) {
        md(r, "`ledger.json` schedules: " NOT_MEASURED " (no `ledger.json`, "
              "or one written before bench_ledger measured them).\n\n");
        return;
    }
    md(r,
       "%s pools in %s imports applied in %s ms (decoding included, no "
       "Raft, no network); a HOLD with every rule on %s ns (decoding %s ns; "
       "the median of %s runs, each on a fresh ledger in a process of its "
       "own: %s to %s ns; target ≤ %s ns); listing the %s pools in %s pages "
       "%s ms (target ≤ %s ms).\n\n",
       rep_big(bjson_num(s, "pools")), rep_big(bjson_num(s, "imports")),
       rep_fix(bjson_num(s, "import_ms"), 1),
       rep_fix(bjson_num(s, "hold_ns_per_cmd"), 0),
       rep_fix(bjson_num(s, "hold_decode_ns_per_cmd"), 0),
       rep_big(bjson_num(s, "hold_runs")),
       rep_fix(bjson_num(s, "hold_ns_min"), 0),
       rep_fix(bjson_num(s, "hold_ns_max"), 0),
       rep_big(bjson_num(s, "target_hold_ns")), rep_big(bjson_num(s, "pools")),
       rep_big(bjson_num(s, "list_pages")), rep_fix(bjson_num(s, "list_ms"), 2),
       rep_big(bjson_num(s, "target_list_ms")));
    ledgerPatients(r);
}

/* bench_ledger's part (f): the visit day on the ledger alone. */
static void ledgerVisit(struct rep *r)
{
    json_t *v = json_object_get(r->set.ledger, "visit");
    md(r, "### The visit day (`ledger.json` visit, bench_ledger)\n\n");
    if (v == NULL) {
        md(r, "`ledger.json` visit: " NOT_MEASURED " (no `ledger.json`, or "
              "one written before bench_ledger measured it).\n\n");
        return;
    }
    md(r,
       "One hospital's day of %s bookings in %s pools (check-in from %s "
       "minutes before a segment starts to %s before it ends, no-shows swept; "
       "decoding included, no Raft, no network). %s pools stopped: %s "
       "bookings moved, a MOVE %s ns; %s refunded, a CANCEL %s ns.\n\n",
       rep_big(bjson_num(v, "bookings")), rep_big(bjson_num(v, "pools")),
       rep_fix(bjson_num(v, "checkin_before_ms") / 60000, 0),
       rep_fix(bjson_num(v, "checkin_late_ms") / 60000, 0),
       rep_big(bjson_num(v, "stopped_pools")), rep_big(bjson_num(v, "moves")),
       rep_fix(bjson_num(v, "ns_per_move"), 0),
       rep_big(bjson_num(v, "refunds")),
       rep_fix(bjson_num(v, "ns_per_refund"), 0));
    md(r,
       "%s checked in, a CHECKIN %s ns. %s no-shows marked by %s SWEEP "
       "entries (at most %s each), %s ns per no-show; the slowest entry "
       "took %s ms (%s marked): a stall every replica takes.\n\n",
       rep_big(bjson_num(v, "checked_in")),
       rep_fix(bjson_num(v, "ns_per_checkin"), 0),
       rep_big(bjson_num(v, "no_shows")),
       rep_big(bjson_num(v, "sweep_entries")),
       rep_big(bjson_num(v, "sweep_max")),
       rep_fix(bjson_num(v, "sweep_ns_per_no_show"), 0),
       rep_fix(bjson_num(v, "sweep_entry_max_ms"), 2),
       rep_big(bjson_num(v, "sweep_entry_max_no_shows")));
    md(r,
       "After the day: READ_POOL_CLAIMS of a stopped pool (%s claims "
       "returned) %s ms, a scan of all %s claims the ledger knows; "
       "ledger_memory_bytes %s bytes per booking (%s the evening before; "
       "the no-shows' violations add a patient record each).\n\n",
       rep_big(bjson_num(v, "pool_claims_returned")),
       rep_fix(bjson_num(v, "pool_claims_read_ms"), 2),
       rep_big(bjson_num(v, "claims")),
       rep_fix(bjson_num(v, "ledger_bytes_per_booking"), 1),
       rep_fix(bjson_num(v, "ledger_bytes_before_day") /
                   bjson_num(v, "bookings"),
               1));
}

static void schedules(struct rep *r)
{
    md(r, "## Hospitals' schedules and rules\n\n");
    importSection(r, "import-native");
    rulesSection(r);
    ledgerSchedules(r);
    ledgerVisit(r);
}

/* ---- stalls seen from inside the nodes -------------------------------- */

static void stalls(struct rep *r)
{
    md(r, "### Stalls the nodes logged\n\n"
          "slotd logs every disk request slower than `IOFAIL_SLOW_MS` "
          "(node/iofail.c), every loop turn with more callbacks than "
          "`NODE_SLOW_TURN_MS` (node/node.c), and every snapshot, at the "
          "run set's commit; slotbench counts those lines in the three "
          "nodes' logs of each run (`node_stalls`). *Leader stalls*: each "
          "node's own count (STATUS `leader_stalls`) of loop turns of at "
          "least 5 ms of work while it led, summed over the nodes alive at "
          "the run's end (`node_stalls.leader_stalls`).\n\n"
          "| run | slow disk requests (max ms) | slow loop turns (max ms) | "
          "snapshots by a child (slowest child ms; longest fork pause us) | "
          "snapshots inline | disk probe fsync p50 / p99 / max (ms) | "
          "leader stalls >= 5 ms (longest ms) |\n"
          "|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < REPORT_N_STEMS; i++) {
        json_t *d = r->set.doc[i];
        json_t *st = json_object_get(d, "node_stalls");
        if (st == NULL) {
            continue;
        }
        md(r, "| %s | %s (%s) | %s (%s) | %s (%s; %s) | %s |", REPORT_STEMS[i],
           rep_big(bjson_num(st, "slow_disk.count")),
           rep_big(bjson_num(st, "slow_disk.max")),
           rep_big(bjson_num(st, "slow_loop_turn.count")),
           rep_big(bjson_num(st, "slow_loop_turn.max")),
           rep_big(bjson_num(st, "snapshot_by_child.count")),
           rep_big(bjson_num(st, "snapshot_by_child.max")),
           rep_big(bjson_num(st, "snapshot_fork_pause_us.max")),
           rep_big(bjson_num(st, "snapshot_inline.count")));
        md(r, " %s / %s / %s | %s (%s) |\n",
           rep_fix(bjson_num(d, "disk_fsync_ms.p50"), 2),
           rep_fix(bjson_num(d, "disk_fsync_ms.p99"), 2),
           rep_fix(bjson_num(d, "disk_fsync_ms.max"), 1),
           rep_big(bjson_num(st, "leader_stalls.count")),
           rep_fix(bjson_num(st, "leader_stalls.max_us") / 1000, 1));
    }
    md(r, "\n");
}

/* ---- peers ------------------------------------------------------------ */

static void peerRow(struct rep *r, const char *stem, const char *label)
{
    json_t *d = get(r, stem);
    if (d == NULL) {
        return;
    }
    json_t *res = json_object_get(d, "result");
    md(r, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label,
       rep_big(bjson_num(res, "bookings")),
       rep_fix(bjson_num(res, "sellout_s.max"), 3),
       rep_fix(bjson_num(res, "window_s"), 3),
       rep_big(rep_rate(res, "bookings_per_s")),
       rep_big(rep_rate(res, "decisions_per_s")),
       rep_lat3(res, "latency_ms.all"),
       rep_big(bjson_num(res, "peer_cas_conflicts")), checkOf(d),
       loadOf(r, stem));
}

/* "slot / etcd" line: bookings/s when every window allows a rate, else
 * the sell-out times of the same number of bookings. */
static void ratio(struct rep *r, const char *ours, const char *ours2,
                  const char *peer, const char *name)
{
    json_t *a = bjson_at(get(r, ours), "result"),
           *a2 = bjson_at(get(r, ours2), "result"),
           *b = bjson_at(get(r, peer), "result");
    if (a == NULL || b == NULL) {
        return;
    }
    const char *mean = a2 != NULL ? ", mean of the runs around it" : "";
    double ra = rep_rate(a, "bookings_per_s"),
           rb = rep_rate(b, "bookings_per_s");
    if (a2 != NULL) {
        ra = (ra + rep_rate(a2, "bookings_per_s")) / 2;
    }
    if (!isnan(ra) && !isnan(rb) && rb > 0) {
        md(r, "- **slot / %s: %sx the bookings/s** (%s%s, vs %s).\n", name,
           rep_fix(ra / rb, 2), rep_big(ra), mean, rep_big(rb));
        return;
    }
    double ta = bjson_num(a, "sellout_s.max"),
           tb = bjson_num(b, "sellout_s.max");
    if (a2 != NULL) {
        ta = (ta + bjson_num(a2, "sellout_s.max")) / 2;
    }
    double na = bjson_num(a, "bookings"), nb = bjson_num(b, "bookings");
    md(r,
       "- **slot / %s**: %s bookings sold out in %s s%s, vs %s in %s s (a "
       "window below %.0f s gives no rate)",
       name, rep_big(na), rep_fix(ta, 3), mean, rep_big(nb), rep_fix(tb, 3),
       REPORT_RATE_WINDOW_MIN_S);
    if (na == nb && ta > 0 && tb > 0) {
        if (ta >= tb) {
            md(r, ": slot took %sx %s's time", rep_fix(ta / tb, 2), name);
        } else {
            md(r, ": %s took %sx slot's time", name, rep_num(tb / ta, 2));
        }
    }
    md(r, ".\n");
}

static void peers(struct rep *r)
{
    json_t *e = get(r, "burst-etcd"), *rd = get(r, "burst-redis");
    json_t *ne = get(r, "burst-native-vs-etcd");
    md(r, "## Peers, side by side\n\n");
    if (e == NULL && rd == NULL) {
        md(r, "Not in this run set (etcd-server / redis-server not "
              "installed, or SLOTBENCH_PEERS=0).\n\n");
        return;
    }
    json_t *p =
        json_object_get(ne ? ne : get(r, "burst-native-vs-redis"), "params");
    md(r,
       "The same burst run against each system in turn, ours interleaved "
       "with the peers': %s pool(s), patients arriving over %s ms after the "
       "release, payment delay %s-%s ms, abandon %s %%, %s %% bots "
       "(`params` of the runs). How each system books is under *How each "
       "peer was configured* (`system.booking`).\n\n",
       rep_big(bjson_num(p, "pools")), rep_big(bjson_num(p, "arrival_ms")),
       rep_big(bjson_num(p, "pay_min_ms")), rep_big(bjson_num(p, "pay_max_ms")),
       rep_fix(100 * bjson_num(p, "abandon"), 0),
       rep_fix(100 * bjson_num(p, "bot_share"), 0));
    md(r, "| system | bookings | sell-out (s) | window (s) | bookings/s | "
          "decisions/s | latency p50 / p99 / max (ms) | CAS conflicts | "
          "check | load |\n|---|---|---|---|---|---|---|---|---|---|\n");
    peerRow(r, "burst-native-vs-etcd", "slot (native), etcd-sized burst");
    peerRow(r, "burst-etcd", "etcd");
    peerRow(r, "burst-native-vs-redis", "slot (native), redis-sized burst");
    peerRow(r, "burst-redis", "redis");
    peerRow(r, "burst-native-vs-redis-2",
            "slot (native), redis-sized burst, again");
    md(r, "\n");
    ratio(r, "burst-native-vs-etcd", NULL, "burst-etcd", "etcd");
    ratio(r, "burst-native-vs-redis", "burst-native-vs-redis-2", "burst-redis",
          "redis");
    md(r, "\n### How each peer was configured\n\n");
    const char *stems[] = {"burst-etcd", "burst-redis", "burst-native-vs-etcd",
                           "burst-native-vs-redis"};
    for (int i = 0; i < 4; i++) {
        json_t *d = get(r, stems[i]);
        json_t *sys = json_object_get(d, "system");
        if (sys == NULL || (i == 3 && ne != NULL)) {
            continue;
        }
        md(r, "- **%s** %s", bjson_str(sys, "system"),
           bjson_str(sys, "version"));
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
        json_t *pp = json_object_get(d, "params");
        md(r,
           "; load generator: conns %s, depth %s, sessions %s "
           "(`params`)\n",
           rep_big(bjson_num(pp, "conns")), rep_big(bjson_num(pp, "depth")),
           rep_big(bjson_num(pp, "sessions")));
    }
    md(r, "\n");
}

/* ---- ledger and gateway files of the set ------------------------------ */

static void textFile(struct rep *r, const char *name, const char *title)
{
    if (runset_get(&r->set.rs, name) == NULL) {
        return;
    }
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    md(r, "## %s (`%s`)\n\n```\n", title, name);
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL && n < PERF_LINES_MAX) {
        md(r, "%s", line);
        n++;
    }
    md(r, "```\n\n");
    fclose(f);
}

static void ledger(struct rep *r)
{
    /* Each row: a figure of ledger.json, its decoding share when it has
     * one, and its target. */
    static const struct {
        const char *what, *path, *decode, *target, *unit;
        int prec;
    } ROWS[] = {
        {"HOLD applied, decoding included", "apply.hold.ns_per_cmd",
         "apply.hold.decode_ns_per_cmd", "apply.hold.target_ns", "ns", 1},
        {"slowest entry of holds", "apply.hold.slowest_entry_ms", NULL, NULL,
         "ms", 2},
        {"CONFIRM applied, decoding included", "apply.confirm.ns_per_cmd",
         "apply.confirm.decode_ns_per_cmd", "apply.confirm.target_ns", "ns", 1},
        {"ledger memory per claimed slot", "memory.ledger_bytes_per_slot", NULL,
         "memory.target_bytes_per_slot", "B", 1},
        {"snapshot", "snapshot.snapshot_ms", NULL,
         "snapshot.target_snapshot_ms", "ms", 1},
        {"restore", "snapshot.restore_ms", NULL, "snapshot.target_restore_ms",
         "ms", 1},
    };
    json_t *l = r->set.ledger;
    md(r,
       "## The ledger micro-benchmark (`ledger.json`, bench_ledger; "
       "load %s)\n\n",
       rep_load_str(&r->set.rs, "ledger.json", l));
    if (l == NULL) {
        md(r, "Not in this run set.\n\n");
        return;
    }
    md(r,
       "%s pools of %s slots (%s claimed: %s held, %s booked), %s sessions, "
       "entries of %s commands.\n\n"
       "| figure | measured | target | from |\n|---|---|---|---|\n",
       rep_big(bjson_num(l, "setup.pools")),
       rep_big(bjson_num(l, "setup.pool_capacity")),
       rep_big(bjson_num(l, "memory.slots")),
       rep_big(bjson_num(l, "memory.held")),
       rep_big(bjson_num(l, "memory.booked")),
       rep_big(bjson_num(l, "setup.sessions")),
       rep_big(bjson_num(l, "setup.commands_per_entry")));
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        md(r, "| %s | %s %s", ROWS[i].what,
           rep_fix(bjson_num(l, ROWS[i].path), ROWS[i].prec), ROWS[i].unit);
        if (ROWS[i].decode != NULL) {
            md(r, " (decoding %s)", rep_fix(bjson_num(l, ROWS[i].decode), 1));
        }
        if (ROWS[i].target != NULL) {
            md(r, " | ≤ %s %s", rep_big(bjson_num(l, ROWS[i].target)),
               ROWS[i].unit);
        } else {
            md(r, " | –");
        }
        md(r, " | %s |\n", ROWS[i].path);
    }
    md(r, "\n");
}

static void healthz(struct rep *r)
{
    json_t *h = r->set.healthz;
    if (h == NULL) {
        return;
    }
    md(r,
       "## The gateway's /healthz under load (`healthz.json`; load %s)\n\n"
       "p50 %s ms, p99 %s ms over %s requests on %s connections in %s s, "
       "with %s claims in the ledger.\n\n",
       rep_load_str(&r->set.rs, "healthz.json", h),
       rep_fix(bjson_num(h, "p50_ms"), 2), rep_fix(bjson_num(h, "p99_ms"), 2),
       rep_big(bjson_num(h, "requests")), rep_big(bjson_num(h, "connections")),
       rep_fix(bjson_num(h, "duration_s"), 1), rep_big(bjson_num(h, "claims")));
    json_t *x = json_object_get(h, "restart");
    if (x == NULL) {
        md(r, "Node restart: not measured (this `healthz.json` has no "
              "`restart`).\n\n");
        return;
    }
    md(r,
       "Node restart (`restart`; load %s): a follower with a snapshot of "
       "the whole load on disk (%s bytes at index %s; the load ended at "
       "index %s, %s bookings one at a time brought the snapshot past it) "
       "was killed with SIGKILL; %s claims were made while it was down; "
       "restarted from its data directory and polled every %s ms, it "
       "answered a STATUS after %s ms (serving) and had applied the commit "
       "index %s after %s ms (caught up; target %s ms); its state hash was "
       "then equal to node %s's (the leader's, or another's if it led) at "
       "the same applied index. %s bookings in the ledger; the node's RSS "
       "after catching up %s MiB.\n\n",
       rep_load_str(&r->set.rs, "healthz.json", x),
       rep_big(bjson_num(x, "snapshot_bytes")),
       rep_big(bjson_num(x, "snapshot_index")),
       rep_big(bjson_num(x, "load_end_index")),
       rep_big(bjson_num(x, "snapshot_fill_bookings")),
       rep_big(bjson_num(x, "downtime_claims")),
       rep_big(bjson_num(x, "poll_ms")), rep_fix(bjson_num(x, "serving_ms"), 0),
       rep_big(bjson_num(x, "caught_up_index")),
       rep_fix(bjson_num(x, "caught_up_ms"), 0),
       rep_big(bjson_num(x, "target_ms")),
       rep_big(bjson_num(x, "state_hash_node")),
       rep_big(bjson_num(x, "bookings")),
       rep_big(bjson_num(x, "rss_bytes") / (1024 * 1024)));
}

/* ---- plots ------------------------------------------------------------ */

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
    json_t *s = bjson_at(d, "result.series");
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
           *bk = json_object_get(s, "bookings_per_s"),
           *oh = json_object_get(s, "ok_holds_per_s");
    for (size_t i = 0; i < json_array_size(t); i++) {
        fprintf(f, "%g %g %g %g\n", json_number_value(json_array_get(t, i)),
                json_number_value(json_array_get(dec, i)),
                json_number_value(json_array_get(bk, i)),
                oh ? json_number_value(json_array_get(oh, i)) : 0.0);
    }
    fclose(f);
    char marks[512] = "";
    size_t k;
    json_t *x;
    double rel = bjson_num(d, "params.release_in_ms") / 1000.0;
    json_array_foreach(bjson_at(d, "failover.kills"), k, x)
    {
        size_t l = strlen(marks);
        snprintf(marks + l, sizeof marks - l,
                 "set arrow from %g, graph 0 to %g, graph 1 nohead lc rgb "
                 "'red' dt 2\n",
                 bjson_num(x, "at_s") - rel, bjson_num(x, "at_s") - rel);
    }
    snprintf(script, sizeof script,
             "set title '%s: throughput over time (100 ms buckets%s)'\n"
             "set xlabel 's since the release'\nset ylabel 'per second'\n"
             "set grid\nset key top right\n%s"
             "plot '%s' using 1:2 with lines lw 2 title 'decisions/s', "
             "'' using 1:3 with lines lw 2 title 'bookings/s'%s\n",
             stem, marks[0] ? "; red: leader killed" : "", marks, path,
             oh ? ", '' using 1:4 with lines lw 2 title 'OK holds/s'" : "");
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
        json_t *c = bjson_at(get(r, stems[i]), "result.cdf_ms");
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
    snprintf(script, sizeof script,
             "set title 'Latency CDF per system (burst; every answer a "
             "patient got)'\n"
             "set logscale x\nset xlabel 'ms'\nset ylabel 'fraction'\nset "
             "grid\nset key bottom right\nset yrange [0:1]\n%s\n",
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
        const char *x =
            rep_schema(d) >= 2 ? "hold_decisions_per_s" : "decisions_per_s";
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(d, "points"), k, p)
        {
            fprintf(f, "%g %g %g %g\n", bjson_num(p, x),
                    bjson_num(p, "latency_ms.all.p50"),
                    bjson_num(p, "latency_ms.all.p99"),
                    bjson_num(p, "latency_ms.all.p999"));
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
    snprintf(script, sizeof script,
             "set title 'Latency against load (steady arrivals; every "
             "answer)'\nset logscale y\n"
             "set xlabel 'achieved per second (hold decisions; schema 1: "
             "all decisions)'\nset ylabel 'ms'\nset grid\n"
             "set key top left\n%s\n",
             plot);
    gnuplot(r, script, "latency-vs-load");
}

static void plots(struct rep *r)
{
    md(r, "## Plots\n\n");
    if (!r->gnuplot) {
        md(r, "gnuplot is not installed (apt-get install gnuplot-nox): no "
              "plots.\n\n");
        return;
    }
    cdfPlot(r);
    loadPlot(r);
    const char *tp[] = {"burst-native",  "burst-native-rules",
                        "burst-http",    "failover-native",
                        "failover-http", "expiry-storm-native",
                        "burst-redis",   "burst-etcd"};
    for (size_t i = 0; i < sizeof tp / sizeof tp[0]; i++) {
        throughputPlot(r, tp[i]);
    }
}

static void howToRead(struct rep *r)
{
    md(r, "## How to read this\n\n"
          "- *decisions*: answers of the ledger (or peer): a hold, confirm or "
          "release granted or refused by a rule (SOLD_OUT, NOT_RELEASED, "
          "PATIENT_HAS_CLAIM, HOLD_EXPIRED, ...). Timeouts, SHED and transport "
          "errors are not decisions; they are listed under rejects.\n"
          "- *accepted* latency: OK answers only; *refused*: every other "
          "answer. Both count from the moment a simulated patient wanted to "
          "send the operation, so they include waiting for room on the "
          "generator's bounded connections; *service* (in the JSON) counts "
          "from the hand-over to the client library.\n"
          "- *Raft entries/s*: deltas of the leader's (or a surviving node's) "
          "entries_applied; decisions per entry = decisions / entries, both "
          "over the whole run.\n"
          "- *sell-out*: from the release to the last slot booked; "
          "`booked_by_s` gives the time to 50/90/99 %% booked.\n");
}

int report_main(int argc, char **argv)
{
    static struct rep r;
    memset(&r, 0, sizeof r);
    r.dir = argc > 1 ? argv[1] : "bench/results";
    if (rep_open(&r.set, r.dir) != 0) {
        fprintf(stderr,
                "report: %s/runset.json missing: not a run set (make bench "
                "writes one; bench/slotbench/runset.h)\n",
                r.dir);
        rep_close(&r.set);
        return 1;
    }
    for (int i = 0; i < REPORT_N_STEMS; i++) {
        r.runs += r.set.doc[i] != NULL;
    }
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
        rep_close(&r.set);
        return 1;
    }
    header(&r);
    targets(&r);
    besideTail(&r);
    bursts(&r);
    runTable(&r);
    httpSplit(&r);
    failures(&r);
    steadyTable(&r, "steady-native");
    steadyTable(&r, "steady-http");
    specials(&r);
    schedules(&r);
    stalls(&r);
    peers(&r);
    ledger(&r);
    healthz(&r);
    textFile(&r, "gateway.txt", "The gateway under wrk (bench/gateway/run.sh)");
    plots(&r);
    textFile(&r, "perf-burst.txt",
             "Where the time goes (perf, whole machine, during a burst)");
    howToRead(&r);
    fclose(r.md);
    char final[600];
    snprintf(final, sizeof final, "%s/REPORT.md", r.dir);
    int rc = rename(path, final) == 0 ? 0 : 1;
    int refused = 0;
    for (int i = 0; i < r.set.rs.n; i++) {
        refused += !r.set.rs.f[i].accepted;
    }
    printf("report: %s (run set %s: %d runs, %d plots, %d files not used)\n",
           final, r.set.rs.id, r.runs, r.plots, refused);
    rep_close(&r.set);
    return rc;
}
