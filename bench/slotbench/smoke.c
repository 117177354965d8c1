/* smoke: a run's JSON read back and checked (see smoke.h). */
#include "smoke.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bjson.h"

struct sm {
    int *passed, *failed;
};

static void expect(struct sm *s, bool cond, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void expect(struct sm *s, bool cond, const char *fmt, ...)
{
    if (cond) {
        (*s->passed)++;
        return;
    }
    (*s->failed)++;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: JSON: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* The number at path equals want (a missing field never does). */
static void eq(struct sm *s, json_t *d, const char *path, double want)
{
    double v = bjson_num(d, path);
    expect(s, v == want, "%s is %g, expected %g", path, v, want);
}

static void positive(struct sm *s, json_t *d, const char *path)
{
    double v = bjson_num(d, path);
    expect(s, v > 0, "%s is %g, expected > 0", path, v);
}

/* One bucket of a --rules pool: every kind of bucket took bookings. */
static void bucket(struct sm *s, json_t *b, const char *pool)
{
    double cap = bjson_num(b, "capacity"), booked = bjson_num(b, "booked");
    expect(s, booked > 0 && booked <= cap,
           "pool %s bucket '%s': %g booked of %g (the rules' path unused?)",
           pool, bjson_str(b, "channel"), booked, cap);
}

/* --rules: the patient rules refused the rotating bots, each rule that
 * the burst can meet at least once, and never an honest patient for a
 * rule only a scalper breaks (hosp.h, "The rotating bots"). A rule that
 * stopped refusing (or refused everyone) fails here. */
static void refusals(struct sm *s, json_t *r, const struct cfg *c)
{
    json_t *f = json_object_get(r, "refusals");
    expect(s, f != NULL, "rules.refusals missing");
    positive(s, f, "bots.holds");
    positive(s, f, "patients.holds");
    positive(s, f, "patients.ok");
    positive(s, f, "bots.refused.BLACKLISTED");
    positive(s, f, "prep.blacklisted_names");
    eq(s, f, "prep.unexpected", 0);
    if (c->pools > 1 && c->bot_pools > 1) {
        /* A name held at one doctor meets the per-department quota at
         * another. */
        positive(s, f, "bots.quota.dept_expert");
    }
    eq(s, f, "patients.refused_by_patient_rules", 0);
    if (c->mode == MODE_NATIVE) {
        positive(s, f, "bots.refused.NOT_BOUND");
        positive(s, f, "prep.binds_refused_account_limit");
        eq(s, f, "prep.binds_refused_account_limit",
           bjson_num(f, "prep.binds_past_room"));
    }
}

static void burst(struct sm *s, json_t *d, const struct cfg *c)
{
    json_t *res = json_object_get(d, "result");
    positive(s, res, "window_s");
    positive(s, res, "in_window.hold.OK");
    positive(s, res, "bookings");
    positive(s, res, "latency_ms.all.count");
    json_t *pools = bjson_at(d, "check_detail.pools");
    expect(s, json_array_size(pools) == c->pools,
           "check_detail.pools has %zu pools, expected %u",
           json_array_size(pools), c->pools);
    size_t i;
    json_t *p;
    json_array_foreach(pools, i, p)
    {
        expect(s, json_is_true(json_object_get(p, "ok")),
               "check_detail.pools[%zu] not ok", i);
    }
    expect(s,
           json_is_boolean(bjson_at(d, "params.rules")) &&
               json_is_true(bjson_at(d, "params.rules")) == c->rules,
           "params.rules is not %s", c->rules ? "true" : "false");
    /* No hold refused by a rule the setup means to satisfy. */
    static const char *const never[] = {"CHANNEL_NOT_ALLOWED",
                                        "OUTSIDE_HORIZON", "BOOKING_CLOSED",
                                        "TTL_OUT_OF_RANGE", "UNKNOWN_POOL"};
    for (size_t k = 0; k < sizeof never / sizeof never[0]; k++) {
        json_t *n = bjson_at(res, "status_by_op.hold");
        expect(s, json_object_get(n, never[k]) == NULL, "holds refused %s",
               never[k]);
    }
    if (!c->rules) {
        expect(s, json_object_get(d, "rules") == NULL,
               "a \"rules\" object without --rules");
        return;
    }
    json_t *r = json_object_get(d, "rules");
    expect(s, bjson_str(r, "hospital")[0] != '\0', "rules.hospital missing");
    eq(s, r, "horizon_days", 7);
    if (c->mode == MODE_NATIVE && c->ttl_ms >= 1000) {
        eq(s, d, "params.hold_ttl_ms", 0); /* the payment window */
        eq(s, r, "pay_ttl_ms", c->ttl_ms);
    }
    json_t *bk = json_object_get(r, "buckets");
    expect(s, json_array_size(bk) == c->pools,
           "rules.buckets has %zu pools, expected %u", json_array_size(bk),
           c->pools);
    json_array_foreach(bk, i, p)
    {
        const char *id = bjson_str(p, "pool");
        expect(s, json_is_true(json_object_get(p, "scheduled")),
               "pool %s is not a scheduled pool", id);
        json_t *sh = json_object_get(p, "shares");
        expect(s, json_array_size(sh) == 2, "pool %s: %zu shares, expected 2",
               id, json_array_size(sh));
        size_t k;
        json_t *b;
        json_array_foreach(sh, k, b)
        {
            bucket(s, b, id);
        }
        bucket(s, json_object_get(p, "remainder"), id);
    }
    refusals(s, r, c);
}

/* http: the generator's connections (every one opened, the churn done)
 * and an accepted request's time split, the gateway's Server-Timing
 * included. */
static void http(struct sm *s, json_t *d, const struct cfg *c)
{
    json_t *hc = json_object_get(d, "http_conns");
    eq(s, hc, "per_thread", c->conns);
    eq(s, hc, "conn_reqs", c->conn_reqs);
    expect(s, bjson_num(hc, "connects") >= (double)c->conns * c->threads,
           "http_conns.connects %g below the %u connections",
           bjson_num(hc, "connects"), c->conns * c->threads);
    if (c->conn_reqs > 0) {
        positive(s, hc, "churn_closes");
    }
    eq(s, hc, "failures", 0);
    json_t *res = json_object_get(d, "result");
    static const char *const parts[] = {"generator", "connection", "network",
                                        "gateway"};
    double n = bjson_num(res, "latency_ms.accepted.count");
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
        char path[64];
        snprintf(path, sizeof path, "latency_ms.split.%s.count", parts[k]);
        /* Every accepted answer was written and carried Server-Timing. */
        eq(s, res, path, n);
    }
    expect(s, bjson_at(res, "latency_ms.shed.count") != NULL,
           "latency_ms.shed missing");
}

/* Where the window's CPU went (procstat.h): every node this run started
 * read at both ends and on a CPU, the generator too, and the gateway
 * over http; waits and preemptions present (they may be 0). */
static void cpu(struct sm *s, json_t *d, const struct cfg *c)
{
    json_t *cp = bjson_at(d, "result.cpu");
    json_t *nodes = json_object_get(cp, "nodes");
    expect(s, json_array_size(nodes) == 3, "result.cpu.nodes: %zu, not 3",
           json_array_size(nodes));
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        expect(s, bjson_num(n, "on_cpu_s_per_s") > 0,
               "result.cpu.nodes[%zu] not read or never on a CPU", i);
        expect(s,
               bjson_num(n, "runq_wait_s_per_s") >= 0 &&
                   bjson_num(n, "preemptions_per_s") >= 0,
               "result.cpu.nodes[%zu]: wait or preemptions missing", i);
    }
    positive(s, cp, "nodes_on_cpu_s_per_s");
    positive(s, cp, "generator.on_cpu_s_per_s");
    if (c->mode == MODE_HTTP) {
        positive(s, cp, "gateways.on_cpu_s_per_s");
    } else {
        expect(s, json_object_get(cp, "gateways") == NULL,
               "result.cpu.gateways without a gateway");
    }
}

static void import(struct sm *s, json_t *d)
{
    json_t *res = json_object_get(d, "result");
    double pools = bjson_num(d, "schedule.pools"),
           n = bjson_num(d, "schedule.templates");
    expect(s, pools > 0 && n > 0, "schedule.pools / templates missing");
    eq(s, res, "pools", pools);
    eq(s, res, "imports", n);
    eq(s, res, "import.ok", n);
    eq(s, res, "import.created", pools);
    eq(s, res, "import.unchanged", 0);
    eq(s, res, "import.latency_ms.count", n);
    positive(s, res, "import.elapsed_ms");
    positive(s, res, "import.pools_per_s");
    positive(s, res, "target_ms");
    expect(s, json_is_true(bjson_at(res, "verify.ok")), "verify.ok not true");
    eq(s, res, "verify.listed", pools);
    eq(s, res, "verify.query_total", pools);
    eq(s, res, "verify.missing", 0);
    eq(s, res, "reimport.ok", n);
    eq(s, res, "reimport.created", 0);
    eq(s, res, "reimport.unchanged", pools);
    positive(s, res, "reimport.elapsed_ms");
    expect(s, bjson_str(json_object_get(d, "rules"), "hospital")[0] != '\0',
           "rules.hospital missing");
}

void smoke_validate(const char *path, const struct cfg *c, const char *scenario,
                    int *passed, int *failed)
{
    struct sm s = {passed, failed};
    json_error_t e;
    json_t *d = json_load_file(path, 0, &e);
    expect(&s, d != NULL, "%s does not parse: %s", path, e.text);
    if (d == NULL) {
        return;
    }
    eq(&s, d, "schema_version", BENCH_SCHEMA_VERSION);
    expect(&s, strcmp(bjson_str(d, "scenario"), scenario) == 0,
           "scenario is '%s', expected '%s'", bjson_str(d, "scenario"),
           scenario);
    expect(&s, json_is_true(bjson_at(d, "check.ok")), "check.ok not true");
    expect(&s, json_array_size(bjson_at(d, "machine.loadavg_start")) == 3,
           "machine.loadavg_start missing");
    expect(&s, bjson_str(d, "summary")[0] != '\0', "summary missing");
    if (c->run_set != NULL) {
        expect(&s, strcmp(bjson_str(d, "run_set"), c->run_set) == 0,
               "run_set is not %s", c->run_set);
    }
    if (c->mode == MODE_HTTP) {
        http(&s, d, c);
    }
    if (c->scenario == SC_BURST || c->scenario == SC_FAILOVER) {
        burst(&s, d, c);
        cpu(&s, d, c);
    } else if (c->scenario == SC_IMPORT) {
        import(&s, d);
    }
    json_decref(d);
}
