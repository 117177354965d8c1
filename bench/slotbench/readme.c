/* readme: README.md's figures table from one run set (see readme.h).
 *
 * Each row names its target (from the design notes: a target is a
 * requirement, not a measurement), the figures read from the run set's
 * files, where each was read, and the load average of its run. Nothing is
 * typed in: a figure the files lack is NOT_MEASURED.
 */
#include "readme.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bjson.h"
#include "reportInt.h"
#include "runset.h"

#define CELL_MAX 1024

struct rd {
    struct repset set;
    const char *dir;
};

/* A cell built piece by piece (bounded; truncated rather than overrun). */
struct cell {
    char s[CELL_MAX];
    size_t n;
};

static void put(struct cell *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct cell *c, const char *fmt, ...)
{
    if (c->n >= sizeof c->s - 1) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(c->s + c->n, sizeof c->s - c->n, fmt, ap);
    va_end(ap);
    if (w > 0) {
        c->n += (size_t)w;
        if (c->n > sizeof c->s - 1) {
            c->n = sizeof c->s - 1;
        }
    }
}

/* Empties c for the next row. */
static void clear(struct cell *c)
{
    c->n = 0;
    c->s[0] = '\0';
}

static void row(const char *what, const struct cell *measured,
                const struct cell *from, const struct cell *load)
{
    printf("| %s | %s | %s | %s |\n", what, measured->s,
           from->n ? from->s : "–", load->n ? load->s : "–");
}

static json_t *doc(struct rd *r, const char *stem)
{
    return rep_doc(&r->set, stem);
}

static const char *loadOf(struct rd *r, const char *stem)
{
    return rep_run_load(&r->set, stem);
}

/* " — **missed**" when v is measured and on the wrong side of goal. */
static const char *missed(double v, double goal, bool higher_better)
{
    if (isnan(v)) {
        return "";
    }
    return (higher_better ? v < goal : v > goal) ? " — **missed**" : "";
}

/* ---- the ledger (ledger.json of bench_ledger) ------------------------- */

/* Part (d) of bench_ledger: one hospital's rules on the real path. A
 * ledger.json written before part (d) existed has no "schedules"; its rows
 * then say so rather than vanish. */
static void scheduleRows(json_t *l, const struct cell *ld)
{
    struct cell m = {0}, f = {0};
    json_t *s = json_object_get(l, "schedules");
    char what[256];
    if (s == NULL) {
        put(&m, NOT_MEASURED);
        put(&f, "`ledger.json` schedules");
        row("ledger: schedule import, HOLD with every rule, pool listing", &m,
            &f, ld);
        return;
    }
    double imp = bjson_num(s, "import_ms");
    snprintf(what, sizeof what,
             "ledger: importing %s scheduled pools (%s imports, ≤ 1 s)",
             rep_big(bjson_num(s, "pools")), rep_big(bjson_num(s, "imports")));
    put(&m, "%s ms%s", rep_fix(imp, 1), missed(imp, 1000, false));
    put(&f, "`ledger.json` schedules.import_ms");
    row(what, &m, &f, ld);
    clear(&m);
    clear(&f);
    double hold = bjson_num(s, "hold_ns_per_cmd"),
           goal = bjson_num(s, "target_hold_ns");
    snprintf(what, sizeof what,
             "ledger: HOLD with every hospital rule on (≤ %s µs)",
             rep_fix(goal / 1000, 1));
    put(&m, "%s µs (decoding %s µs)", rep_fix(hold / 1000, 2),
        rep_fix(bjson_num(s, "hold_decode_ns_per_cmd") / 1000, 2));
    if (bjson_at(s, "hold_runs") != NULL) {
        put(&m, ", the median of %s runs on fresh ledgers (%s–%s µs)",
            rep_big(bjson_num(s, "hold_runs")),
            rep_fix(bjson_num(s, "hold_ns_min") / 1000, 2),
            rep_fix(bjson_num(s, "hold_ns_max") / 1000, 2));
    }
    put(&m, "%s", missed(hold, goal, false));
    put(&f, "`ledger.json` schedules.hold_ns_per_cmd");
    row(what, &m, &f, ld);
    clear(&m);
    clear(&f);
    double list = bjson_num(s, "list_ms"),
           lgoal = bjson_num(s, "target_list_ms");
    snprintf(what, sizeof what,
             "ledger: listing %s pools in %s pages (≤ %s ms)",
             rep_big(bjson_num(s, "pools")),
             rep_big(bjson_num(s, "list_pages")), rep_fix(lgoal, 0));
    put(&m, "%s ms%s", rep_fix(list, 2), missed(list, lgoal, false));
    put(&f, "`ledger.json` schedules.list_ms");
    row(what, &m, &f, ld);
}

/* Part (e) of bench_ledger: HOLD with every rule on, the patient rules
 * included (issue 15: <= 2 us), beside the same holds without them. */
static void patientRows(json_t *l, const struct cell *ld)
{
    struct cell m = {0}, f = {0};
    json_t *p = json_object_get(l, "patients");
    if (p == NULL) {
        put(&m, NOT_MEASURED);
        put(&f, "`ledger.json` patients");
        row("ledger: HOLD with every rule on, the patient rules included", &m,
            &f, ld);
        return;
    }
    double on = bjson_num(p, "rules_on.ns_per_hold"),
           off = bjson_num(p, "patient_rules_off.ns_per_hold"),
           goal = bjson_num(p, "target_hold_ns");
    char w[256];
    snprintf(w, sizeof w,
             "ledger: HOLD with every rule on, the patient rules included "
             "(≤ %s µs)",
             rep_fix(goal / 1000, 1));
    put(&m, "%s µs (%s µs without the patient rules; %s %% refused)%s",
        rep_fix(on / 1000, 2), rep_fix(off / 1000, 2),
        rep_fix(100.0 * bjson_num(p, "rules_on.refused") /
                    bjson_num(p, "hold_commands"),
                0),
        missed(on, goal, false));
    put(&f, "`ledger.json` patients.rules_on, patient_rules_off");
    row(w, &m, &f, ld);
}

static void ledgerRows(struct rd *r)
{
    json_t *l = r->set.ledger;
    const char *load = rep_load_str(&r->set.rs, "ledger.json", l);
    struct cell m = {0}, f = {0}, ld = {0};
    put(&ld, "%s", load);
    if (l == NULL) {
        put(&m, NOT_MEASURED);
        put(&f, "`ledger.json`");
        row("ledger micro-benchmark (`bench_ledger`)", &m, &f, &ld);
        return;
    }
    double hold = bjson_num(l, "apply.hold.ns_per_cmd");
    put(&m, "%s µs (decoding %s µs); slowest entry of %s holds %s ms%s",
        rep_fix(hold / 1000, 2),
        rep_fix(bjson_num(l, "apply.hold.decode_ns_per_cmd") / 1000, 2),
        rep_big(bjson_num(l, "setup.commands_per_entry")),
        rep_fix(bjson_num(l, "apply.hold.slowest_entry_ms"), 2),
        missed(hold, 1000, false));
    put(&f, "`ledger.json` apply.hold");
    row("ledger: HOLD applied, incl. its share of entry decoding (≤ 1 µs)", &m,
        &f, &ld);
    clear(&m);
    clear(&f);
    double conf = bjson_num(l, "apply.confirm.ns_per_cmd");
    put(&m, "%s µs%s", rep_fix(conf / 1000, 2), missed(conf, 1000, false));
    put(&f, "`ledger.json` apply.confirm.ns_per_cmd");
    row("ledger: CONFIRM applied (≤ 1 µs)", &m, &f, &ld);
    clear(&m);
    clear(&f);
    double per = bjson_num(l, "memory.ledger_bytes_per_slot");
    char what[256];
    snprintf(what, sizeof what,
             "ledger memory per claimed slot, %s slots / %s pools (≤ 256 B)",
             rep_big(bjson_num(l, "memory.slots")),
             rep_big(bjson_num(l, "setup.pools")));
    put(&m, "%s B%s", rep_fix(per, 1), missed(per, 256, false));
    put(&f, "`ledger.json` memory.ledger_bytes_per_slot");
    row(what, &m, &f, &ld);
    clear(&m);
    clear(&f);
    double snap = bjson_num(l, "snapshot.snapshot_ms"),
           rest = bjson_num(l, "snapshot.restore_ms");
    snprintf(what, sizeof what,
             "snapshot / restore of %s slots, %s active holds (≤ 1 s each)",
             rep_big(bjson_num(l, "snapshot.slots")),
             rep_big(bjson_num(l, "snapshot.active_holds")));
    put(&m, "%s s / %s s%s", rep_fix(snap / 1000, 2), rep_fix(rest / 1000, 2),
        missed(snap > rest ? snap : rest, 1000, false));
    put(&f, "`ledger.json` snapshot.snapshot_ms, restore_ms");
    row(what, &m, &f, &ld);
    clear(&m);
    clear(&f);
    scheduleRows(l, &ld);
    patientRows(l, &ld);
}

/* ---- bursts ----------------------------------------------------------- */

/* Hold decisions, OK holds and refusals of a burst run, or what is not
 * measured. */
static void burstCell(struct cell *m, json_t *d)
{
    json_t *res = json_object_get(d, "result");
    if (d == NULL) {
        put(m, NOT_MEASURED);
        return;
    }
    if (!rep_rates_ok(res)) {
        put(m, "window %s s: below %.0f s, no rate",
            rep_fix(bjson_num(res, "window_s"), 3), REPORT_RATE_WINDOW_MIN_S);
        return;
    }
    if (rep_schema(d) >= 2) {
        char ref[512];
        rep_refusals(res, ref, sizeof ref);
        put(m,
            "%s hold decisions/s (OK holds %s/s; refused: %s), busiest "
            "second %s hold decisions; ",
            rep_big(bjson_num(res, "hold_decisions_per_s")),
            rep_big(bjson_num(res, "ok_holds_per_s")), ref,
            rep_big(bjson_num(res, "peak_hold_decisions_per_s_1s")));
    } else {
        put(m, "hold decisions/s and OK holds/s " NOT_MEASURED "; ");
    }
    put(m, "%s decisions/s with confirms (busiest second %s)",
        rep_big(bjson_num(res, "decisions_per_s")),
        rep_big(bjson_num(res, "peak_decisions_per_s_1s")));
}

/* One burst run's row: burstCell, then extra() when the run is there. */
static void burstRunRow(struct rd *r, const char *stem, const char *what,
                        const char *absent,
                        void (*extra)(struct cell *m, json_t *d))
{
    json_t *d = doc(r, stem);
    struct cell m = {0}, f = {0}, ld = {0};
    burstCell(&m, d);
    if (d != NULL) {
        extra(&m, d);
    }
    put(&f, "`%s.json` result", stem);
    put(&ld, "%s", loadOf(r, stem));
    row(d ? what : absent, &m, &f, &ld);
}

static void nativeExtra(struct cell *m, json_t *d)
{
    json_t *res = json_object_get(d, "result");
    double hd = rep_num_v(d, 2, res, "hold_decisions_per_s");
    put(m, "; %s decisions per Raft entry%s",
        rep_fix(bjson_num(res, "raft.decisions_per_entry"), 1),
        rep_rates_ok(res) ? missed(hd, 100000, true) : "");
}

static void httpExtra(struct cell *m, json_t *d)
{
    put(m, "; every answer p50 %s ms, p99 %s ms",
        rep_fix(bjson_num(d, "result.latency_ms.all.p50"), 2),
        rep_fix(bjson_num(d, "result.latency_ms.all.p99"), 2));
}

static void burstRows(struct rd *r)
{
    json_t *b = doc(r, "burst-native");
    char what[200];
    snprintf(what, sizeof what,
             "burst, native, %s hot pool(s) of %s slots, %s patients "
             "(≥ 100k hold decisions/s, goal 200k)",
             rep_big(bjson_num(b, "params.pools")),
             rep_big(bjson_num(b, "params.capacity")),
             rep_big(bjson_num(b, "params.patients")));
    burstRunRow(r, "burst-native", what,
                "burst, native (≥ 100k hold decisions/s, goal 200k)",
                nativeExtra);

    /* The races: every patient at the release, no payment delay. */
    const char *races[] = {"burst-native-vs-redis", "burst-native-vs-redis-2"};
    json_t *r0 = doc(r, races[0]);
    struct cell m = {0}, f = {0}, ld = {0};
    for (int i = 0; i < 2; i++) {
        json_t *d = doc(r, races[i]);
        json_t *rr = json_object_get(d, "result");
        if (d == NULL) {
            continue;
        }
        double bps = rep_rate(rr, "bookings_per_s");
        put(&m, "%s%s bookings/s (%s booked, sold out in %s s)%s",
            i ? "; run again after Redis: " : "", rep_big(bps),
            rep_big(bjson_num(rr, "bookings")),
            rep_fix(bjson_num(rr, "sellout_s.max"), 3),
            missed(bps, 50000, true));
        put(&f, "%s`%s.json` result.bookings_per_s", i ? ", " : "", races[i]);
        put(&ld, "%s%s", i ? " / " : "", loadOf(r, races[i]));
    }
    if (m.n == 0) {
        put(&m, NOT_MEASURED);
        put(&f, "`%s.json`, `%s.json`", races[0], races[1]);
    }
    snprintf(what, sizeof what,
             "hot-pool race, %s slots, %s patients at once, hold → confirm "
             "(≥ 50k bookings/s, goal 100k)",
             rep_big(bjson_num(r0, "params.capacity")),
             rep_big(bjson_num(r0, "params.patients")));
    row(r0 ? what : "hot-pool race (≥ 50k bookings/s, goal 100k)", &m, &f, &ld);
}

/* ---- hospitals' schedules and rules (issue 14) ------------------------ */

/* "0.069 s" for a window below REPORT_RATE_WINDOW_MIN_S, else with the
 * rate: "1.234 s (8,104 pools/s)". */
static void importTime(struct cell *m, json_t *pass, double pools)
{
    double e = bjson_num(pass, "elapsed_ms");
    put(m, "%s s", rep_fix(e / 1000, 3));
    if (e / 1000 >= REPORT_RATE_WINDOW_MIN_S) {
        put(m, " (%s pools/s)", rep_big(pools / (e / 1000)));
    }
}

/* The import scenario's figures of one mode's run. */
static void importCell(struct cell *m, json_t *d)
{
    json_t *res = json_object_get(d, "result");
    double pools = bjson_num(res, "pools");
    double e = bjson_num(res, "import.elapsed_ms");
    importTime(m, json_object_get(res, "import"), pools);
    put(m,
        "%s; per import p50 %s ms, p99 %s ms; %s of %s pools listed by "
        "query; again, nothing to create: ",
        missed(e, bjson_num(res, "target_ms"), false),
        rep_fix(bjson_num(res, "import.latency_ms.p50"), 1),
        rep_fix(bjson_num(res, "import.latency_ms.p99"), 1),
        rep_big(bjson_num(res, "verify.listed")), rep_big(pools));
    importTime(m, json_object_get(res, "reimport"), pools);
    if (!json_is_true(bjson_at(d, "check.ok"))) {
        put(m, " (check **FAILED**)");
    }
}

static void importRow(struct rd *r)
{
    static const char *const MODES[] = {"native", "http"};
    json_t *first = NULL;
    struct cell m = {0}, f = {0}, ld = {0};
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++) {
        char stem[64];
        snprintf(stem, sizeof stem, "import-%s", MODES[i]);
        json_t *d = doc(r, stem);
        if (d == NULL) {
            continue;
        }
        first = first ? first : d;
        put(&m, "%s%s: ", m.n ? "; " : "", MODES[i]);
        importCell(&m, d);
        put(&f, "%s`%s.json` result.import, verify, reimport", f.n ? ", " : "",
            stem);
        put(&ld, "%s%s", ld.n ? " / " : "", loadOf(r, stem));
    }
    if (first == NULL) {
        put(&m, NOT_MEASURED);
        put(&f, "`import-native.json`");
        row("import a hospital's schedule end to end (10,000 pools ≤ 1 s)", &m,
            &f, &ld);
        return;
    }
    char what[300];
    json_t *res = json_object_get(first, "result");
    snprintf(what, sizeof what,
             "import %s pools end to end: libslot → leader → Raft (fsync on "
             "a majority) → applied, %s imports of one doctor each, %s in "
             "flight (≤ %s s)",
             rep_big(bjson_num(res, "pools")),
             rep_big(bjson_num(res, "imports")),
             rep_big(bjson_num(res, "inflight")),
             rep_fix(bjson_num(res, "target_ms") / 1000, 0));
    row(what, &m, &f, &ld);
}

/* Rules on / off of one mode: the hold decisions/s ratio, judged against
 * 90 % (the hospital's rules), or 85 % when the rules run had the patient
 * rules and rotating bots (rules.refusals; issue 15: within 15 %), with
 * all decisions and bookings beside it, and then how many bot holds the
 * patient rules refused. Both runs must be the same burst (pools,
 * capacity, patients) with a rate window. */
static bool rulesCell(struct cell *m, json_t *off, json_t *on)
{
    json_t *a = json_object_get(off, "result"),
           *b = json_object_get(on, "result");
    static const char *const SAME[] = {"params.pools", "params.capacity",
                                       "params.patients"};
    for (size_t i = 0; i < sizeof SAME / sizeof SAME[0]; i++) {
        if (bjson_num(off, SAME[i]) != bjson_num(on, SAME[i])) {
            put(m, "not the same burst (%s): no ratio", SAME[i]);
            return false;
        }
    }
    if (!json_is_true(bjson_at(on, "params.rules")) ||
        json_is_true(bjson_at(off, "params.rules"))) {
        put(m, "the runs' params.rules are not on / off: no ratio");
        return false;
    }
    double hon = rep_num_v(on, 2, b, "hold_decisions_per_s"),
           hoff = rep_num_v(off, 2, a, "hold_decisions_per_s");
    if (!rep_rates_ok(a) || !rep_rates_ok(b) || isnan(hon) || isnan(hoff) ||
        hoff <= 0) {
        put(m, "hold decisions/s " NOT_MEASURED);
        return false;
    }
    double ratio = hon / hoff;
    json_t *rf = bjson_at(on, "rules.refusals");
    double goal = rf != NULL ? 0.85 : 0.9;
    put(m,
        "%s hold decisions/s with the rules on vs %s off = %s %%%s; all "
        "decisions %s %%, bookings/s %s %%",
        rep_big(hon), rep_big(hoff), rep_fix(100 * ratio, 0),
        missed(ratio, goal, true),
        rep_fix(100 * bjson_num(b, "decisions_per_s") /
                    bjson_num(a, "decisions_per_s"),
                0),
        rep_fix(100 * bjson_num(b, "bookings_per_s") /
                    bjson_num(a, "bookings_per_s"),
                0));
    if (rf != NULL) {
        put(m,
            "; the patient rules refused %s of the bots' %s holds "
            "(NOT_BOUND %s, BLACKLISTED %s, QUOTA_EXCEEDED %s) and %s of the "
            "patients' %s",
            rep_big(bjson_num(rf, "bots.refused_by_patient_rules")),
            rep_big(bjson_num(rf, "bots.holds")),
            rep_big(bjson_num(rf, "bots.refused.NOT_BOUND")),
            rep_big(bjson_num(rf, "bots.refused.BLACKLISTED")),
            rep_big(bjson_num(rf, "bots.refused.QUOTA_EXCEEDED")),
            rep_big(bjson_num(rf, "patients.refused_by_patient_rules")),
            rep_big(bjson_num(rf, "patients.holds")));
    }
    bool ok_off = json_is_true(bjson_at(off, "check.ok")),
         ok_on = json_is_true(bjson_at(on, "check.ok"));
    if (!ok_off || !ok_on) {
        put(m, " (check **FAILED** %s)",
            !ok_off && !ok_on ? "in both"
            : ok_on           ? "with the rules off"
                              : "with the rules on");
    }
    return true;
}

static void rulesRow(struct rd *r)
{
    static const char *const MODES[] = {"native", "http"};
    struct cell m = {0}, f = {0}, ld = {0};
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++) {
        char off[64], on[64];
        snprintf(off, sizeof off, "burst-%s", MODES[i]);
        snprintf(on, sizeof on, "burst-%s-rules", MODES[i]);
        json_t *doff = doc(r, off), *don = doc(r, on);
        if (don == NULL) {
            continue;
        }
        put(&m, "%s%s: ", m.n ? "; " : "", MODES[i]);
        if (doff == NULL) {
            put(&m, "`%s.json` " NOT_MEASURED ": no ratio", off);
        } else {
            rulesCell(&m, doff, don);
        }
        put(&f, "%s`%s.json` / `%s.json` result", f.n ? ", " : "", on, off);
        put(&ld, "%s%s / %s", ld.n ? "; " : "", loadOf(r, on), loadOf(r, off));
    }
    if (m.n == 0) {
        put(&m, NOT_MEASURED);
        put(&f, "`burst-native-rules.json`, `burst-native.json`");
    }
    row("the burst with every hospital rule on vs off, same burst, run one "
        "after the other (hold decisions/s within 10 %; with the patient "
        "rules and rotating bots within 15 %)",
        &m, &f, &ld);
}

/* ---- steady ----------------------------------------------------------- */

static void pointLat(struct cell *m, json_t *d, json_t *p, const char *pre)
{
    if (rep_schema(d) >= 2) {
        put(m, "%saccepted p50 %s ms, p99 %s ms", pre,
            rep_fix(bjson_num(p, "latency_ms.accepted.p50"), 2),
            rep_fix(bjson_num(p, "latency_ms.accepted.p99"), 2));
    } else {
        put(m, "%severy answer p50 %s ms, p99 %s ms", pre,
            rep_fix(bjson_num(p, "latency_ms.all.p50"), 2),
            rep_fix(bjson_num(p, "latency_ms.all.p99"), 2));
    }
}

static void steadyRows(struct rd *r)
{
    json_t *s = doc(r, "steady-native");
    json_t *c1 = rep_point(s, "c=1"), *c16 = rep_point(s, "c=16"),
           *x7 = rep_point(s, "x0.7");
    bool v2 = rep_schema(s) >= 2;
    struct cell m = {0}, f = {0}, ld = {0};
    put(&ld, "%s", loadOf(r, "steady-native"));
    if (c1 == NULL) {
        put(&m, NOT_MEASURED);
    } else {
        pointLat(&m, s, c1, "");
        if (v2) {
            double p50 = bjson_num(c1, "latency_ms.accepted.p50"),
                   p99 = bjson_num(c1, "latency_ms.accepted.p99");
            put(&m, "%s", p50 > 0.4 || p99 > 1.5 ? " — **missed**" : "");
        } else {
            put(&m, " (accepted requests " NOT_MEASURED ")");
        }
        if (c16 != NULL) {
            pointLat(&m, s, c16, "; 16 in flight: ");
        }
    }
    put(&f, "`steady-native.json` points c=1, c=16, latency_ms.%s",
        v2 ? "accepted" : "all");
    row("one request in flight (p50 ≤ 0.4 ms, p99 ≤ 1.5 ms)", &m, &f, &ld);

    clear(&m);
    clear(&f);
    if (x7 == NULL) {
        put(&m, NOT_MEASURED);
    } else {
        double p99 = v2 ? bjson_num(x7, "latency_ms.accepted.p99") : NAN;
        pointLat(&m, s, x7, "");
        put(&m, " at %s %s/s%s",
            rep_big(
                bjson_num(x7, v2 ? "hold_decisions_per_s" : "decisions_per_s")),
            v2 ? "hold decisions" : "decisions", missed(p99, 10, false));
        if (!v2) {
            put(&m, " (accepted requests " NOT_MEASURED ")");
        }
        put(&m, ". Every point's p99 (%s): ", v2 ? "accepted" : "every answer");
        size_t i;
        json_t *p;
        double fs = NAN;
        json_array_foreach(json_object_get(s, "points"), i, p)
        {
            put(&m, "%s%s %s ms", i ? ", " : "", bjson_str(p, "label"),
                rep_fix(bjson_num(p, v2 ? "latency_ms.accepted.p99"
                                        : "latency_ms.all.p99"),
                        2));
            double v = bjson_num(p, "disk_fsync_ms.p99");
            fs = isnan(fs) || v > fs ? v : fs;
        }
        if (!isnan(fs)) {
            put(&m,
                ". slotbench's disk probe: fsync p99 ≤ %s ms in every "
                "point",
                rep_fix(fs, 2));
        }
        double on = bjson_num(x7, "cpu.nodes_on_cpu_s_per_s"),
               wait = bjson_num(x7, "cpu.nodes_runq_wait_s_per_s");
        if (!isnan(on) && !isnan(wait)) {
            put(&m,
                ". At x0.7 the nodes were on a CPU %s s/s and runnable but "
                "not running %s s/s (%s µs per run)",
                rep_fix(on, 2), rep_fix(wait, 2),
                rep_fix(bjson_num(x7, "cpu.nodes_wait_us_per_run"), 0));
        }
    }
    put(&f, "`steady-native.json` points, disk_fsync_ms, cpu");
    row("at 70 % of the closed-loop peak (p99 ≤ 10 ms)", &m, &f, &ld);
}

/* ---- failover, storm, overload: one row over native and http -------- */

/* One row over a scenario's native and http runs: describe() writes each
 * present run's figures; field names where they were read. */
static void modesRow(struct rd *r, const char *what, const char *scenario,
                     const char *field,
                     void (*describe)(struct cell *m, json_t *d))
{
    static const char *const MODES[] = {"native", "http"};
    struct cell m = {0}, f = {0}, ld = {0};
    for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++) {
        char stem[64];
        snprintf(stem, sizeof stem, "%s-%s", scenario, MODES[i]);
        json_t *d = doc(r, stem);
        if (d == NULL) {
            continue;
        }
        put(&m, "%s%s: ", m.n ? "; " : "", MODES[i]);
        describe(&m, d);
        put(&f, "%s`%s.json` %s", f.n ? ", " : "", stem, field);
        put(&ld, "%s%s", ld.n ? " / " : "", loadOf(r, stem));
    }
    if (m.n == 0) {
        put(&m, NOT_MEASURED);
    }
    row(what, &m, &f, &ld);
}

static void failoverCell(struct cell *m, json_t *d)
{
    double p50 = bjson_num(d, "failover.gap_p50_ms");
    put(m, "write gap p50 %s ms, max %s ms over %s kill(s)%s", rep_fix(p50, 0),
        rep_fix(bjson_num(d, "failover.gap_max_ms"), 0),
        rep_big((double)json_array_size(bjson_at(d, "failover.kills"))),
        missed(p50, 1000, false));
}

static void stormCell(struct cell *m, json_t *d)
{
    json_t *s = bjson_at(d, "result.storm");
    double all = bjson_num(s, "all_released_ms");
    put(m, "%s holds all released %s ms after the deadline%s",
        rep_big(bjson_num(s, "filled")), rep_fix(all, 0),
        missed(all, bjson_num(s, "target_ms"), false));
}

static void overloadCell(struct cell *m, json_t *d)
{
    json_t *res = json_object_get(d, "result");
    put(m,
        "goodput %s OK decisions/s = %s× the probe's; accepted holds p99 %s "
        "ms, refused holds p99 %s ms; SHED %s",
        rep_big(rep_rate(res, "ok_decisions_per_s")),
        rep_fix(bjson_num(res, "goodput_vs_probe"), 2),
        rep_fix(bjson_num(res, "latency_ms.hold.p99"), 2),
        rep_fix(bjson_num(res, "latency_ms.hold_refused.p99"), 2),
        rep_big(bjson_num(res, "rejects.SHED")));
}

static void scenarioRows(struct rd *r)
{
    modesRow(r, "failover: writes resume after a leader SIGKILL (p50 ≤ 1 s)",
             "failover", "failover", failoverCell);
    modesRow(r, "expiry storm: holds sharing one deadline (all released ≤ 2 s)",
             "expiry-storm", "result.storm", stormCell);
    double factor =
        bjson_num(doc(r, "overload-native"), "params.overload_factor");
    char what[160];
    snprintf(what, sizeof what,
             "overload: arrivals at %s× the closed-loop probe's rate",
             rep_fix(factor, 1));
    modesRow(r, isnan(factor) ? "overload" : what, "overload", "result",
             overloadCell);
}

/* ---- HTTP: gateway.txt (wrk), healthz.json, burst-http ---------------- */

/* The first line of f starting with prefix, after it (static), or NULL. */
static const char *lineAfter(FILE *f, const char *prefix)
{
    static char line[512];
    rewind(f);
    int n = 0;
    while (n++ < 1000 && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            line[strcspn(line, "\n")] = '\0';
            return line + strlen(prefix);
        }
    }
    return NULL;
}

/* bench_healthz's restart of a follower (healthz.json "restart"): the
 * performance issue's target names 1M bookings in the snapshot and 5 s
 * for serving again and caught up. A healthz.json written before the
 * restart was measured has no "restart": the row says so. */
static void restartRow(struct rd *r)
{
    struct cell m = {0}, f = {0}, ld = {0};
    json_t *x = json_object_get(r->set.healthz, "restart");
    if (x == NULL) {
        put(&m, NOT_MEASURED);
    } else {
        double caught = bjson_num(x, "caught_up_ms");
        put(&m,
            "serving %s s / caught up %s s (a follower killed with SIGKILL; "
            "%s bookings, snapshot %s MiB at index %s, %s claims made while "
            "it was down); RSS %s MiB once caught up%s",
            rep_fix(bjson_num(x, "serving_ms") / 1000, 2),
            rep_fix(caught / 1000, 2), rep_big(bjson_num(x, "bookings")),
            rep_fix(bjson_num(x, "snapshot_bytes") / (1024 * 1024), 1),
            rep_big(bjson_num(x, "snapshot_index")),
            rep_big(bjson_num(x, "downtime_claims")),
            rep_big(bjson_num(x, "rss_bytes") / (1024 * 1024)),
            missed(caught, bjson_num(x, "target_ms"), false));
        put(&ld, "%s", rep_load_str(&r->set.rs, "healthz.json", x));
    }
    put(&f, "`healthz.json` restart");
    row("node restart, 1M bookings: serving / caught up (≤ 5 s)", &m, &f, &ld);
}

static void gatewayRow(struct rd *r)
{
    struct cell m = {0}, f = {0}, ld = {0};
    char path[600];
    snprintf(path, sizeof path, "%s/gateway.txt", r->dir);
    FILE *g = runset_get(&r->set.rs, "gateway.txt") ? fopen(path, "r") : NULL;
    double hd = NAN, p50 = NAN, p99 = NAN, bk = NAN, l1 = NAN;
    int conns = 0;
    if (g != NULL) {
        const char *s;
        if ((s = lineAfter(g, "hold decisions/s:")) != NULL) {
            sscanf(s, "%lf", &hd);
        }
        if ((s = lineAfter(g, "latency ms:")) != NULL) {
            sscanf(s, " p50 %lf p90 %*f p99 %lf", &p50, &p99);
        }
        if ((s = lineAfter(g, "bookings/s:")) != NULL) {
            sscanf(s, "%lf", &bk);
        }
        if ((s = lineAfter(g, "load average:")) != NULL) {
            sscanf(s, "%lf", &l1);
        }
        if ((s = lineAfter(g, "wrk -t")) != NULL) {
            sscanf(s, "%*d -c%d", &conns);
        }
        fclose(g);
    }
    if (isnan(hd)) {
        put(&m, NOT_MEASURED);
    } else {
        put(&m,
            "%s hold decisions/s (p50 %s ms, p99 %s ms) and %s bookings/s "
            "with %d keep-alive connections%s",
            rep_big(hd), rep_fix(p50, 2), rep_fix(p99, 2), rep_big(bk), conns,
            missed(hd, 40000, true));
    }
    put(&f, "`gateway.txt` (wrk, bench/gateway/run.sh)");
    /* The load noted before the step; gateway.txt's own line is taken
     * at the end of its first wrk run. */
    double l0 = rep_load(&r->set.rs, "gateway.txt", NULL);
    if (!isnan(l0)) {
        put(&ld, "%s", rep_fix(l0, 2));
    } else {
        put(&ld, "%s", isnan(l1) ? "not recorded" : rep_fix(l1, 2));
        put(&ld, "%s", isnan(l1) ? "" : " (at the end of its first run)");
    }
    row("HTTP shim under wrk, `hold.lua` (≥ 40k hold decisions/s)", &m, &f,
        &ld);

    json_t *d = doc(r, "burst-http");
    char what[160];
    snprintf(what, sizeof what,
             "burst through the HTTP shim (slotbench, %s connections × %s in "
             "flight)",
             rep_big(bjson_num(d, "params.conns")),
             rep_big(bjson_num(d, "params.depth")));
    burstRunRow(r, "burst-http", what,
                "burst through the HTTP shim (slotbench)", httpExtra);

    clear(&m);
    clear(&f);
    clear(&ld);
    json_t *h = r->set.healthz;
    if (h == NULL) {
        put(&m, NOT_MEASURED);
    } else {
        put(&m,
            "p50 %s ms, p99 %s ms: %s requests over %s connections in %s s, "
            "with %s claims in the ledger",
            rep_fix(bjson_num(h, "p50_ms"), 2),
            rep_fix(bjson_num(h, "p99_ms"), 2),
            rep_big(bjson_num(h, "requests")),
            rep_big(bjson_num(h, "connections")),
            rep_fix(bjson_num(h, "duration_s"), 1),
            rep_big(bjson_num(h, "claims")));
    }
    put(&f, "`healthz.json`");
    put(&ld, "%s", rep_load_str(&r->set.rs, "healthz.json", h));
    row("gateway `/healthz` under load", &m, &f, &ld);
    restartRow(r);
}

/* ---- peers ------------------------------------------------------------ */

/* "sold 1,000 in 0.023 s (window below 1 s: no rate)" or with the rate. */
static void sold(struct cell *m, json_t *d)
{
    json_t *res = json_object_get(d, "result");
    put(m, "sold %s in %s s", rep_big(bjson_num(res, "bookings")),
        rep_fix(bjson_num(res, "sellout_s.max"), 3));
    if (rep_rates_ok(res)) {
        put(m, " (%s bookings/s)", rep_big(bjson_num(res, "bookings_per_s")));
    } else {
        put(m, " (window %s s: no rate)",
            rep_fix(bjson_num(res, "window_s"), 3));
    }
}

static void peerRow(struct rd *r, const char *peer, const char *const *ours,
                    int n_ours)
{
    json_t *p = doc(r, peer);
    struct cell m = {0}, f = {0}, ld = {0};
    if (p == NULL) {
        put(&m, NOT_MEASURED);
        put(&f, "`%s.json`", peer);
    } else {
        put(&m, "%s %s: ", bjson_str(json_object_get(p, "system"), "system"),
            bjson_str(json_object_get(p, "system"), "version"));
        sold(&m, p);
        put(&f, "`%s.json`", peer);
        put(&ld, "%s", loadOf(r, peer));
    }
    for (int i = 0; i < n_ours; i++) {
        json_t *d = doc(r, ours[i]);
        if (d == NULL || p == NULL) {
            continue;
        }
        put(&m, "; ours%s: ", n_ours > 1 ? (i ? " (after)" : " (before)") : "");
        sold(&m, d);
        put(&f, ", `%s.json`", ours[i]);
        put(&ld, " / %s", loadOf(r, ours[i]));
    }
    json_t *sys = json_object_get(p, "system");
    double nodes = bjson_num(sys, "members");
    if (isnan(nodes)) {
        nodes = bjson_num(sys, "nodes");
    }
    char what[200];
    snprintf(what, sizeof what,
             "peer: %s, %s node(s), vs ours (%s nodes), the same race: %s "
             "slots, %s patients",
             bjson_str(sys, "system"), rep_big(nodes),
             rep_big(bjson_num(doc(r, ours[0]), "system.nodes")),
             rep_big(bjson_num(p, "params.capacity")),
             rep_big(bjson_num(p, "params.patients")));
    char absent[96];
    snprintf(absent, sizeof absent, "peer (`%s`)", peer);
    row(p ? what : absent, &m, &f, &ld);
}

int readme_main(int argc, char **argv)
{
    static struct rd r;
    memset(&r, 0, sizeof r);
    r.dir = argc > 1 ? argv[1] : "bench/results";
    int rc = rep_open(&r.set, r.dir);
    printf("<!-- generated by bench/readme-table.sh from %s (make bench "
           "rewrites this block, make test compares it with the files): "
           "change bench/slotbench/readme.c, not this text -->\n",
           r.dir);
    if (rc != 0) {
        printf("No run set in `%s` (`runset.json` missing): "
               "no figures.\n",
               r.dir);
        rep_close(&r.set);
        return 1;
    }
    char set[512];
    rep_set_line(&r.set, set, sizeof set);
    json_t *mach = rep_machine(&r.set);
    json_t *sys = bjson_at(doc(&r, "burst-native"), "system");
    set[0] = (char)(set[0] - 'a' + 'A');
    printf("%s, files in `%s/`. `make bench` ran on one machine (%s CPUs, "
           "%s) where %s slotd nodes (%s), the load generator and, for HTTP, "
           "the gateway and wrk share the CPUs. Each figure is read from the "
           "file named beside it; *load* is the 1-minute load average when "
           "its run started (the set's previous run raises it). Rates are "
           "given over windows of at least %.0f s. Tables, plots and a perf "
           "profile: `%s/REPORT.md`.\n\n",
           set, r.dir, rep_big(bjson_num(mach, "cpus")), bjson_str(mach, "cpu"),
           rep_big(bjson_num(sys, "nodes")), bjson_str(sys, "durability"),
           REPORT_RATE_WINDOW_MIN_S, r.dir);
    int refused = 0;
    for (int i = 0; i < r.set.rs.n; i++) {
        refused += !r.set.rs.f[i].accepted;
    }
    if (refused > 0) {
        printf("%d file(s) in `%s/` are not of this run set and not used "
               "(REPORT.md lists them).\n\n",
               refused, r.dir);
    }
    printf("| what (target) | measured | from | load |\n|---|---|---|---|\n");
    ledgerRows(&r);
    burstRows(&r);
    rulesRow(&r);
    importRow(&r);
    steadyRows(&r);
    scenarioRows(&r);
    gatewayRow(&r);
    const char *etcdOurs[] = {"burst-native-vs-etcd"};
    const char *redisOurs[] = {"burst-native-vs-redis",
                               "burst-native-vs-redis-2"};
    peerRow(&r, "burst-etcd", etcdOurs, 1);
    peerRow(&r, "burst-redis", redisOurs, 2);
    rep_close(&r.set);
    return 0;
}
