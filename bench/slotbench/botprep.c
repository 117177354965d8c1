/* botprep: the accounts and blacklisted names of a --rules burst
 * (botprep.h). */
#include "botprep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define INFLIGHT   2048u /* requests in flight at once */
#define TIMEOUT_MS 20000u

enum { PK_BIND = 0, PK_OVER, PK_NO_SHOW };

struct prep_op {
    uint8_t kind;
    char a[HOSP_KEY_MAX]; /* account, or the hospital's name */
    char p[HOSP_KEY_MAX]; /* patient */
};

struct prep {
    struct slotc *c;
    const struct hosp *h;
    struct prep_op *ops;
    struct slotc_req *req;
    uint32_t n, next, done;
    uint64_t first_ns, last_ns;
    struct botprep_result *out;
};

static void onDone(struct slotc_req *req);

static void submitNext(struct prep *m)
{
    while (m->next < m->n) {
        uint32_t i = m->next++;
        struct slotc_req *req = &m->req[i];
        const struct prep_op *op = &m->ops[i];
        slotc_req_init(req);
        req->data = m;
        int rc = op->kind == PK_NO_SHOW
                     ? slotc_violation(m->c, req, m->h->name, op->p,
                                       SLOTC_VIOLATION_NO_SHOW, "slotbench",
                                       "no-show before the burst", onDone)
                     : slotc_account_bind(m->c, req, op->a, op->p, onDone);
        if (rc == SLOT_OK) {
            return;
        }
        /* Refused at submit: counted as an answer. */
        req->status = rc;
        onDone(req);
    }
}

static void onDone(struct slotc_req *req)
{
    struct prep *m = req->data;
    struct botprep_result *o = m->out;
    const struct prep_op *op = &m->ops[req - m->req];
    int s = req->status;
    if (s >= 0 && s < BENCH_STATUS_MAX) {
        o->status[s]++;
    }
    switch (op->kind) {
        case PK_BIND:
            o->binds_ok += s == SLOT_OK;
            o->other += s != SLOT_OK;
            break;
        case PK_OVER:
            o->binds_refused_limit += s == SLOT_ACCOUNT_LIMIT;
            o->other += s != SLOT_ACCOUNT_LIMIT;
            break;
        default:
            o->no_shows_ok += s == SLOT_OK;
            o->other += s != SLOT_OK;
            o->blacklisted += s == SLOT_OK && req->out.until_ms != 0;
            break;
    }
    m->last_ns = uv_hrtime();
    if (++m->done >= m->n) {
        slotc_close(m->c, NULL, NULL);
        return;
    }
    submitNext(m);
}

/* Runs ops[0..n) with at most INFLIGHT in flight. */
static int runOps(const char *addrs, const struct hosp *h, struct prep_op *ops,
                  uint32_t n, struct botprep_result *out)
{
    if (n == 0) {
        return 0;
    }
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        return -1;
    }
    struct prep m;
    memset(&m, 0, sizeof m);
    m.h = h;
    m.ops = ops;
    m.n = n;
    m.out = out;
    m.req = calloc(n, sizeof *m.req);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = addrs;
    o.timeout_ms = TIMEOUT_MS;
    o.queue_max = SLOTC_QUEUE_MAX;
    if (m.req == NULL || slotc_open(&loop, &o, &m.c) != SLOT_OK) {
        free(m.req);
        uv_loop_close(&loop);
        return -1;
    }
    m.first_ns = uv_hrtime();
    for (uint32_t k = 0; k < INFLIGHT && m.next < n; k++) {
        submitNext(&m);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(m.req);
    out->ms += (double)(m.last_ns - m.first_ns) / 1e6;
    return 0;
}

int botprep_run(const char *addrs, const struct cfg *c, const struct hosp *h,
                struct botprep_result *out)
{
    memset(out, 0, sizeof *out);
    /* The burst's split (sim.c setupTasks). */
    uint32_t n_bots = (uint32_t)(c->patients * c->bot_share + 0.5);
    uint32_t n_pat = c->patients - n_bots;
    uint32_t names = c->bot_names, room = c->bot_accounts * HOSP_ACCOUNT_MAX;
    uint64_t cap =
        (uint64_t)n_pat / 4 + 1 + (uint64_t)n_bots * (names + HOSP_VIOLATIONS);
    struct prep_op *ops = calloc(cap, sizeof *ops);
    if (ops == NULL) {
        return -1;
    }
    /* Wave 1: the binds that fit. Wave 2 (after all of wave 1 answered,
     * so that each account is full by then): the binds past the bots'
     * room, and the no-shows. */
    uint32_t n = 0;
    if (h->accounts) {
        for (uint32_t g = 0; g < n_pat; g += 4) { /* the app's patients */
            struct prep_op *op = &ops[n++];
            op->kind = PK_BIND;
            hosp_patient_account(g, op->a);
            snprintf(op->p, sizeof op->p, "pt%08u", g);
        }
        for (uint32_t b = 0; b < n_bots; b++) {
            for (uint32_t k = 0; k < names && k < room; k++) {
                struct prep_op *op = &ops[n++];
                op->kind = PK_BIND;
                hosp_bot_account(b, k / HOSP_ACCOUNT_MAX, op->a);
                hosp_bot_name(b, k, op->p);
            }
        }
    }
    out->binds = n;
    int rc = runOps(addrs, h, ops, n, out);
    n = 0;
    for (uint32_t b = 0; b < n_bots && rc == 0; b++) {
        for (uint32_t k = room; h->accounts && k < names; k++) {
            struct prep_op *op = &ops[n++];
            op->kind = PK_OVER;
            hosp_bot_account(b, c->bot_accounts - 1, op->a);
            hosp_bot_name(b, k, op->p);
            out->binds_over++;
        }
        for (uint32_t v = 0; v < HOSP_VIOLATIONS; v++) {
            struct prep_op *op = &ops[n++];
            op->kind = PK_NO_SHOW;
            hosp_bot_name(b, names - 1, op->p);
            out->no_shows++;
        }
    }
    if (rc == 0) {
        rc = runOps(addrs, h, ops, n, out);
    }
    out->binds += out->binds_over;
    free(ops);
    return rc;
}

json_t *botprep_json(const struct botprep_result *r)
{
    json_t *st = json_object();
    for (int s = 0; s < BENCH_STATUS_MAX; s++) {
        if (r->status[s] != 0) {
            json_object_set_new(st, bench_status_name(s),
                                json_integer((json_int_t)r->status[s]));
        }
    }
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:f}", "binds",
                     (json_int_t)r->binds, "binds_ok", (json_int_t)r->binds_ok,
                     "binds_past_room", (json_int_t)r->binds_over,
                     "binds_refused_account_limit",
                     (json_int_t)r->binds_refused_limit, "no_shows",
                     (json_int_t)r->no_shows, "no_shows_ok",
                     (json_int_t)r->no_shows_ok, "blacklisted_names",
                     (json_int_t)r->blacklisted, "unexpected",
                     (json_int_t)r->other, "answers", st, "ms", r->ms);
}
