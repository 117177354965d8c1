/* be_native: the native backend, libslot's async API. Each worker opens
 * cfg->conns clients (one TCP connection to the leader each, up to
 * cfg->sessions ledger sessions of 32 requests in flight). An operation
 * goes to the least busy client; a client is given at most as many as its
 * sessions can have in flight (sessions * 32), so nothing waits in
 * libslot's own queue: the generator keeps the excess in its FIFO. (A
 * long libslot queue is scanned whole on every event; see the README.) */
#include <stdlib.h>
#include <string.h>

#include "libslot.h"
#include "bench.h"

#define WINDOW 32u /* the ledger's per-session window */

struct native {
    uint32_t n, open, cap;
    struct slotc *c[BENCH_CONNS_MAX];
    struct slotc *best; /* the least busy client with room, or NULL */
};

static void done(struct slotc_req *req)
{
    struct task *t = req->data;
    struct be_result r;
    memset(&r, 0, sizeof r);
    r.status = req->status;
    r.id = req->out.id;
    r.deadline_ms = req->out.deadline_ms;
    r.ledger_ms = req->out.ledger_time_ms;
    r.visit_no = req->out.visit_no;
    r.quota = req->status == SLOT_QUOTA_EXCEEDED ? req->out.quota : 0;
    if (req->op == SLOTC_OP_READ_PATIENT && req->status == SLOT_OK) {
        r.n_claims = req->out.n_claims;
        if (r.n_claims > 0) {
            const struct slotc_claim *cl = &req->out.claims[0];
            r.claim_state = cl->state;
            r.claim_id = cl->id;
            r.claim_visit_no = cl->visit_no;
            r.claim_deadline_ms = cl->deadline_ms;
        }
    }
    sim_complete(t, &r);
}

static int nOpen(struct worker *w, void **out)
{
    struct run *run = sim_worker_run(w);
    const struct cfg *cfg = run->cfg;
    struct native *nb = calloc(1, sizeof *nb);
    if (nb == NULL) {
        return -1;
    }
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = run->addrs;
    o.timeout_ms = cfg->timeout_ms;
    o.sessions_max = cfg->sessions;
    o.queue_max = cfg->queue_max;
    o.busy_fails = cfg->shed;
    nb->n = cfg->conns;
    for (uint32_t i = 0; i < nb->n; i++) {
        if (slotc_open(sim_worker_loop(w), &o, &nb->c[i]) != SLOT_OK) {
            for (uint32_t k = 0; k < i; k++) {
                slotc_close(nb->c[k], NULL, NULL);
            }
            free(nb);
            return -1;
        }
    }
    nb->open = nb->n;
    nb->cap = cfg->sessions * WINDOW;
    *out = nb;
    return 0;
}

static void closed(void *data)
{
    struct native *nb = data;
    if (--nb->open == 0) {
        free(nb);
    }
}

static void nClose(void *be)
{
    struct native *nb = be;
    uint32_t n = nb->n;
    for (uint32_t i = 0; i < n; i++) {
        slotc_close(nb->c[i], closed, nb);
    }
}

static uint32_t nPending(void *be)
{
    struct native *nb = be;
    uint32_t p = 0;
    for (uint32_t i = 0; i < nb->n; i++) {
        p += slotc_pending(nb->c[i]);
    }
    return p;
}

static bool nRoom(void *be)
{
    struct native *nb = be;
    uint32_t best = UINT32_MAX;
    nb->best = NULL;
    for (uint32_t i = 0; i < nb->n; i++) {
        uint32_t p = slotc_pending(nb->c[i]);
        if (p < nb->cap && p < best) {
            best = p;
            nb->best = nb->c[i];
        }
    }
    return nb->best != NULL;
}

static struct slotc_req *reqOf(struct task *t)
{
    struct slotc_req *req = sim_task_area(t);
    slotc_req_init(req);
    req->data = t;
    return req;
}

static struct slotc *clientOf(void *be, struct task *t)
{
    struct native *nb = be;
    (void)t;
    if (nb->best == NULL && !nRoom(be)) {
        return nb->c[sim_task_index(t) % nb->n];
    }
    struct slotc *c = nb->best;
    nb->best = NULL; /* room() is asked again before the next one */
    return c;
}

static int nHold(void *be, struct task *t, const char *pool,
                 const char *patient, const char *channel, uint32_t ttl_ms)
{
    return slotc_hold(clientOf(be, t), reqOf(t), pool, patient, channel, ttl_ms,
                      done);
}

static int nHoldAccount(void *be, struct task *t, const char *pool,
                        const char *patient, const char *channel,
                        const char *account, uint32_t ttl_ms)
{
    return slotc_hold_account(clientOf(be, t), reqOf(t), pool, patient, channel,
                              account, ttl_ms, done);
}

static int nConfirm(void *be, struct task *t, uint64_t hold, const char *ref)
{
    return slotc_confirm(clientOf(be, t), reqOf(t), hold, ref, done);
}

static int nRelease(void *be, struct task *t, uint64_t hold)
{
    return slotc_release(clientOf(be, t), reqOf(t), hold, done);
}

static int nQuery(void *be, struct task *t, const char *pool,
                  const char *patient)
{
    return slotc_read_patient(clientOf(be, t), reqOf(t), pool, patient, done);
}

const struct be_vt be_native = {
    .name = "native",
    .one_step = false,
    .req_size = sizeof(struct slotc_req),
    .open = nOpen,
    .close = nClose,
    .pending = nPending,
    .room = nRoom,
    .hold = nHold,
    .hold_account = nHoldAccount,
    .confirm = nConfirm,
    .release = nRelease,
    .query = nQuery,
};
