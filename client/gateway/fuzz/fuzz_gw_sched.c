/* fuzz_gw_sched: slot-gateway's inputs of the schedule routes on
 * arbitrary bytes. The first byte chooses what the rest is:
 *
 *   0  a rule set (JSON). Accepted: libslot's own conversion (the
 *      protocol's rules) accepts it too, and its JSON parses back to the
 *      same struct and prints the same bytes; its patient rules and its
 *      visit-day rules ("visit", protocol 4) are what slotctl's parsers
 *      read (and a refusal of slotctl's is the gateway's too).
 *   1  a PUT .../rules body. Accepted: libslot accepts its strings and
 *      its rule set.
 *   2  a template (POST /v1/schedules). Accepted: libslot's conversion
 *      (which encodes and decodes what it would send) accepts it.
 *   3  a query string, through the four query parsers. Accepted: every
 *      value is within its range.
 *   4  a pool body (POST /v1/pools, "schedule" included). Accepted with a
 *      schedule: libslot accepts the place.
 *   5  a rule set in msgpack. Decoded by the protocol: the gateway's JSON
 *      of it parses back (the gateway refuses nothing the protocol
 *      accepts) to the same rules.
 *
 * So the gateway's checks, written to name the field, and the protocol's,
 * which decide, are checked to agree in both directions. Seeds:
 * client/gateway/fuzz/corpus/fuzz_gw_sched/ (one per target at least).
 */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw_json.h"
#include "gw_sched.h"
#include "libslotInt.h"
#include "slotctl_sched.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_object_seed(1); /* the same input, the same path */
    return 0;
}

/* A flow-back that never happens carries no day or target in JSON. */
static void normalize(struct slotc_rules *r)
{
    if (r->flowback_minute < 0) {
        r->flowback_days_before = 0;
        memset(r->flowback_to, 0, sizeof r->flowback_to);
    }
}

/* r's JSON parses back to r, and prints the same bytes again. */
static void rulesRoundTrip(const struct slotc_rules *r)
{
    static struct slotc_rules back;
    struct gw_buf a, b;
    struct gw_fail f;
    gw_buf_init(&a, NULL, 0);
    gw_json_rules(&a, r);
    assert(!a.oom);
    if (!gw_parse_rules(a.p, a.len, &back, &f)) {
        fprintf(stderr, "refused its own JSON: %s\n%s\n", f.message, a.p);
        abort();
    }
    assert(memcmp(r, &back, sizeof back) == 0);
    gw_buf_init(&b, NULL, 0);
    gw_json_rules(&b, &back);
    assert(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
    gw_buf_free(&a);
    gw_buf_free(&b);
}

static void libslotAccepts(const struct slotc_rules *r)
{
    struct slot_rules w;
    int rc = slotc__rules_to_wire(r, &w);
    if (rc != SLOT_OK) {
        struct gw_buf b;
        gw_buf_init(&b, NULL, 0);
        gw_json_rules(&b, r);
        fprintf(stderr, "the gateway accepted what libslot refuses (%d):\n%s\n",
                rc, b.p);
        abort();
    }
}

/* The patient rules are slotctl's parser's (slotctl_sched.h): what it
 * refuses the gateway refuses, and what the gateway accepts it reads
 * into the same struct. */
/* Field by field: the struct has padding. */
static bool sameVisit(const struct slotc_visit_rules *a,
                      const struct slotc_visit_rules *b)
{
    return a->checkin_before_ms == b->checkin_before_ms &&
           a->checkin_late_ms == b->checkin_late_ms &&
           a->noshow_sweep == b->noshow_sweep;
}

static void slotctlAgrees(const char *s, size_t n, bool gw_ok,
                          const struct slotc_rules *r)
{
    json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j)) {
        assert(!gw_ok);
        json_decref(j);
        return;
    }
    static struct slotc_rules init;
    slotc_rules_init(&init);
    struct slotc_patient_rules p = init.patient;
    struct slotc_visit_rules v = init.visit;
    struct sctl_err e;
    bool sctl_ok = sctl_patient_rules_parse(j, "", &p, &e) == SLOT_OK &&
                   sctl_visit_rules_parse(j, "", &v, &e) == SLOT_OK;
    json_decref(j);
    if (gw_ok && (!sctl_ok || memcmp(&p, &r->patient, sizeof p) != 0 ||
                  !sameVisit(&v, &r->visit))) {
        fprintf(stderr, "the gateway and slotctl disagree on: %.*s\n", (int)n,
                s);
        abort();
    }
    assert(sctl_ok || !gw_ok);
}

static void fuzzRules(const char *s, size_t n)
{
    static struct slotc_rules r;
    struct gw_fail f;
    bool ok = gw_parse_rules(s, n, &r, &f);
    slotctlAgrees(s, n, ok, &r);
    if (!ok) {
        assert(f.code == SLOT_MALFORMED || f.code == SLOT_INVALID_ARGUMENT);
        return;
    }
    libslotAccepts(&r);
    rulesRoundTrip(&r);
}

static void fuzzRulesBody(const char *s, size_t n)
{
    static struct gw_rules_body rb;
    struct gw_fail f;
    if (!gw_parse_rules_body(s, n, &rb, &f)) {
        assert(f.code == SLOT_MALFORMED || f.code == SLOT_INVALID_ARGUMENT);
        return;
    }
    struct slot_str out[4];
    assert(slotc__rules_set_args("h", rb.department, rb.operator_name,
                                 rb.reason, out) == SLOT_OK);
    libslotAccepts(&rb.rules);
}

static void fuzzTemplate(const char *s, size_t n)
{
    static struct gw_template_body t;
    struct gw_fail f;
    if (!gw_parse_template(s, n, &t, &f)) {
        assert(f.code == SLOT_MALFORMED || f.code == SLOT_INVALID_ARGUMENT);
        return;
    }
    struct slot_template w;
    struct mp_buf slices;
    mp_buf_init(&slices);
    int rc = slotc__template_to_wire(&t.tpl, &w, &slices);
    if (rc != SLOT_OK) {
        fprintf(stderr,
                "the gateway accepted a template libslot refuses "
                "(%d)\n",
                rc);
        abort();
    }
    mp_buf_free(&slices);
}

static void fuzzQuery(const char *s, size_t n)
{
    static struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    if (gw_parse_pools_query(s, n, &a, &f)) {
        const struct slotc_query *q = &a.query.q;
        assert(q->hospital[0] != '\0');
        assert(q->limit >= 1 && q->limit <= SLOTC_LIST_MAX);
        assert(q->kind >= -1 && q->kind <= SLOTC_KIND_TOP_EXPERT);
        assert(strlen(q->after) <= SLOTC_POOL_ID_MAX);
    }
    gw_args_init(&a);
    if (gw_parse_log_query(s, n, &a, &f)) {
        assert(a.query.limit >= 1 && a.query.limit <= SLOTC_LIST_MAX);
    }
    gw_parse_rules_query(s, n, &a, &f);
    gw_parse_import_query(s, n, &a, &f);
}

static void fuzzPool(const char *s, size_t n)
{
    static struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    if (!gw_parse_pool(s, n, &a, &f)) {
        assert(f.code == SLOT_MALFORMED || f.code == SLOT_INVALID_ARGUMENT);
        return;
    }
    if (a.spec.place != NULL) {
        struct slot_sched w;
        assert(slotc__place_to_wire(a.spec.place, &w) == SLOT_OK);
    }
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    gw_json_pool_spec(&b, &a.spec);
    json_t *j = json_loadb(b.p, b.len, 0, NULL);
    assert(j != NULL);
    json_decref(j);
    gw_buf_free(&b);
}

static void fuzzWireRules(const uint8_t *data, size_t size)
{
    static struct slot_rules w;
    static struct slotc_rules r;
    struct mp_reader rd;
    mp_reader_init(&rd, data, size);
    if (slot_rules_decode(&rd, &w) != SLOT_OK) {
        return;
    }
    slotc__rules_from_wire(&r, &w);
    normalize(&r);
    rulesRoundTrip(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 6) {
        case 0:
            fuzzRules(s, n);
            break;
        case 1:
            fuzzRulesBody(s, n);
            break;
        case 2:
            fuzzTemplate(s, n);
            break;
        case 3:
            fuzzQuery(s, n);
            break;
        case 4:
            fuzzPool(s, n);
            break;
        default:
            fuzzWireRules(data + 1, n);
            break;
    }
    return 0;
}
