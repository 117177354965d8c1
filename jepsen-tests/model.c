/* model: the slot pool specification (contract in model.h). The rules
 * mirror node/ledger/ledger.h's "Exact rules" for the operations the
 * workloads use: POOL_CREATE, HOLD, CONFIRM, RELEASE, CANCEL and the
 * reads. */
#include "model.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_err.h"

struct mhead {
    uint8_t exists;
    uint8_t pad0;
    uint16_t n;
    uint32_t cap;
    uint32_t next_visit;
    uint32_t pad1;
    uint64_t now;
};

struct mclaim {
    uint64_t id;       /* 0: an info hold's claim, id unknown */
    uint64_t deadline; /* exact, or a lower bound if !exact */
    uint16_t patient;
    uint8_t state; /* enum h_claim */
    uint8_t exact;
    uint32_t pad;
};

#define CL(s) ((struct mclaim *)((uint8_t *)(s) + sizeof(struct mhead)))
#define HD(s) ((struct mhead *)(s))

int pool_model_init(struct pool_model *m, const struct h_op **ops, int n)
{
    memset(m, 0, sizeof *m);
    m->ops = ops;
    m->n_ops = n;
    m->patient = malloc(((size_t)n + 1) * sizeof *m->patient);
    m->patients = malloc(((size_t)n + 1) * sizeof *m->patients);
    if (m->patient == NULL || m->patients == NULL) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        m->patient[i] = -1;
        if (ops[i]->patient[0] == '\0') {
            continue;
        }
        int k = 0;
        while (k < m->n_patients &&
               strcmp(m->patients[k], ops[i]->patient) != 0) {
            k++;
        }
        if (k == m->n_patients) {
            snprintf(m->patients[k], H_STR_MAX, "%s", ops[i]->patient);
            m->n_patients++;
        }
        m->patient[i] = k;
        if (ops[i]->f == HF_HOLD) {
            m->claims_max++;
        }
    }
    m->state_size =
        sizeof(struct mhead) + (size_t)m->claims_max * sizeof(struct mclaim);
    return 0;
}

void pool_model_free(struct pool_model *m)
{
    free(m->patient);
    free(m->patients);
}

void pool_model_initial(void *vm, uint8_t *state)
{
    struct pool_model *m = vm;
    memset(state, 0, m->state_size);
}

/* ---- successor collection ------------------------------------------------ */

struct emit {
    struct pool_model *m;
    const struct h_op *op;
    int patient; /* the operation's patient index, or -1 */
    uint8_t *out;
    int max, n;
};

static int claimCmp(const void *a, const void *b)
{
    const struct mclaim *x = a, *y = b;
    if (x->id != y->id) {
        return x->id < y->id ? -1 : 1;
    }
    if (x->patient != y->patient) {
        return x->patient < y->patient ? -1 : 1;
    }
    if (x->deadline != y->deadline) {
        return x->deadline < y->deadline ? -1 : 1;
    }
    if (x->state != y->state) {
        return x->state < y->state ? -1 : 1;
    }
    return (int)x->exact - (int)y->exact;
}

static bool gone(int state)
{
    return state == HC_RELEASED || state == HC_EXPIRED || state == HC_CANCELLED;
}

/* Canonical form: resolved claims nobody can name (id 0) dropped, the
 * rest sorted, unused slots zero. */
static void canon(struct pool_model *m, uint8_t *s)
{
    struct mhead *h = HD(s);
    struct mclaim *c = CL(s);
    int k = 0;
    for (int i = 0; i < h->n; i++) {
        if (!(c[i].id == 0 && gone(c[i].state))) {
            c[k++] = c[i];
        }
    }
    h->n = (uint16_t)k;
    qsort(c, (size_t)k, sizeof *c, claimCmp);
    memset(&c[k], 0, (size_t)(m->claims_max - k) * sizeof *c);
}

static void add(struct emit *e, uint8_t *s)
{
    canon(e->m, s);
    size_t ss = e->m->state_size;
    for (int i = 0; i < e->n; i++) {
        if (memcmp(e->out + (size_t)i * ss, s, ss) == 0) {
            return;
        }
    }
    if (e->n == e->max) {
        e->m->overflow = 1;
        return;
    }
    memcpy(e->out + (size_t)e->n * ss, s, ss);
    e->n++;
}

/* Emits state s if outcome `code` matches what the history recorded. */
static void emitIf(struct emit *e, uint8_t *s, int code)
{
    const struct h_op *op = e->op;
    if (op->type == H_INFO || (op->type == H_OK && code == SLOT_OK) ||
        (op->type == H_FAIL && op->observed && op->err == code)) {
        add(e, s);
    }
}

/* ---- helpers over a state ------------------------------------------------ */

static int countState(const uint8_t *s, int state)
{
    const struct mclaim *c = CL(s);
    int n = 0;
    for (int i = 0; i < HD(s)->n; i++) {
        n += c[i].state == state;
    }
    return n;
}

static int byId(const uint8_t *s, uint64_t id)
{
    const struct mclaim *c = CL(s);
    for (int i = 0; id != 0 && i < HD(s)->n; i++) {
        if (c[i].id == id) {
            return i;
        }
    }
    return -1;
}

static int activeOf(const uint8_t *s, int patient)
{
    const struct mclaim *c = CL(s);
    for (int i = 0; i < HD(s)->n; i++) {
        if (c[i].patient == patient &&
            (c[i].state == HC_HELD || c[i].state == HC_BOOKED)) {
            return i;
        }
    }
    return -1;
}

/* Exact HELD claims due at t, in sweep order ((deadline, id)). */
static int dueExact(const uint8_t *s, uint64_t t, int *out)
{
    const struct mclaim *c = CL(s);
    int n = 0;
    for (int i = 0; i < HD(s)->n; i++) {
        if (c[i].state == HC_HELD && c[i].exact && c[i].deadline <= t) {
            int k = n++;
            while (k > 0 && (c[out[k - 1]].deadline > c[i].deadline ||
                             (c[out[k - 1]].deadline == c[i].deadline &&
                              c[out[k - 1]].id > c[i].id))) {
                out[k] = out[k - 1];
                k--;
            }
            out[k] = i;
        }
    }
    return n;
}

/* Info claims that may be due at t. */
static int dueMaybe(const uint8_t *s, uint64_t t, int *out)
{
    const struct mclaim *c = CL(s);
    int n = 0;
    for (int i = 0; i < HD(s)->n; i++) {
        if (c[i].state == HC_HELD && !c[i].exact && c[i].deadline <= t) {
            out[n++] = i;
        }
    }
    return n;
}

/* ---- operations ---------------------------------------------------------- */

static void holdNew(struct emit *e, uint8_t *s, uint64_t t)
{
    const struct h_op *op = e->op;
    struct mhead *h = HD(s);
    if (h->n >= e->m->claims_max) {
        return; /* cannot happen: one slot per hold */
    }
    struct mclaim *c = &CL(s)[h->n];
    memset(c, 0, sizeof *c);
    c->patient = (uint16_t)e->patient;
    c->state = HC_HELD;
    if (op->type == H_OK) {
        if (op->hold_id == 0 || byId(s, op->hold_id) >= 0) {
            return; /* no id, or an id given twice */
        }
        c->id = op->hold_id;
        c->deadline = op->deadline;
        c->exact = 1;
    } else {
        c->deadline = t + op->ttl;
        c->exact = 0;
    }
    h->n++;
    emitIf(e, s, SLOT_OK);
}

static void holdCapacity(struct emit *e, uint8_t *s, uint64_t t, int patient)
{
    size_t ss = e->m->state_size;
    uint8_t *w = malloc(ss);
    struct mhead *h = HD(s);
    int used = countState(s, HC_HELD) + countState(s, HC_BOOKED);
    (void)patient;
    if ((uint32_t)used < h->cap) {
        memcpy(w, s, ss);
        holdNew(e, w, t);
        free(w);
        return;
    }
    memcpy(w, s, ss);
    emitIf(e, w, SLOT_SOLD_OUT);
    /* The sweep may have freed a slot just before: the earliest due claim,
     * or an info claim that may be due. */
    int due[1024], n = dueExact(s, t, due);
    if (n > 0) {
        memcpy(w, s, ss);
        CL(w)[due[0]].state = HC_EXPIRED;
        holdNew(e, w, t);
    }
    n = dueMaybe(s, t, due);
    for (int i = 0; i < n; i++) {
        memcpy(w, s, ss);
        CL(w)[due[i]].state = HC_EXPIRED;
        holdNew(e, w, t);
    }
    free(w);
}

static void opHold(struct emit *e, uint8_t *s, uint64_t t, int patient)
{
    size_t ss = e->m->state_size;
    if (!HD(s)->exists) {
        emitIf(e, s, SLOT_UNKNOWN_POOL);
        return;
    }
    int k = activeOf(s, patient);
    if (k < 0) {
        holdCapacity(e, s, t, patient);
        return;
    }
    struct mclaim *c = &CL(s)[k];
    if (c->state == HC_BOOKED) {
        emitIf(e, s, SLOT_PATIENT_HAS_CLAIM);
        return;
    }
    if (c->deadline > t) { /* live (exact), or surely live (lower bound) */
        emitIf(e, s, SLOT_PATIENT_HAS_CLAIM);
        return;
    }
    if (c->exact) {
        c->state = HC_EXPIRED; /* expired first, does not count */
        holdCapacity(e, s, t, patient);
        return;
    }
    /* An info claim whose deadline may or may not have passed. */
    uint8_t *w = malloc(ss);
    memcpy(w, s, ss);
    CL(w)[k].deadline = t + 1;
    emitIf(e, w, SLOT_PATIENT_HAS_CLAIM);
    memcpy(w, s, ss);
    CL(w)[k].state = HC_EXPIRED;
    holdCapacity(e, w, t, patient);
    free(w);
}

static void opResolve(struct emit *e, uint8_t *s, uint64_t t, bool confirm)
{
    const struct h_op *op = e->op;
    int k = byId(s, op->id);
    if (k < 0) {
        emitIf(e, s, SLOT_UNKNOWN_HOLD);
        return;
    }
    struct mclaim *c = &CL(s)[k];
    switch (c->state) {
        case HC_HELD:
            if (c->deadline <= t) {
                c->state = HC_EXPIRED;
                emitIf(e, s, SLOT_HOLD_EXPIRED);
            } else if (confirm) {
                uint32_t visit = HD(s)->next_visit++;
                c->state = HC_BOOKED;
                if (op->type != H_OK || op->visit == visit) {
                    emitIf(e, s, SLOT_OK);
                }
            } else {
                c->state = HC_RELEASED;
                emitIf(e, s, SLOT_OK);
            }
            return;
        case HC_EXPIRED:
            emitIf(e, s, SLOT_HOLD_EXPIRED);
            return;
        case HC_BOOKED:
        case HC_CANCELLED:
            emitIf(e, s, SLOT_ALREADY_CONFIRMED);
            return;
        default:
            emitIf(e, s, SLOT_ALREADY_RELEASED);
            return;
    }
}

static void opCancel(struct emit *e, uint8_t *s)
{
    int k = byId(s, e->op->id);
    if (k >= 0 && CL(s)[k].state == HC_BOOKED) {
        CL(s)[k].state = HC_CANCELLED;
        emitIf(e, s, SLOT_OK);
    } else if (k >= 0 && CL(s)[k].state == HC_CANCELLED) {
        emitIf(e, s, SLOT_ALREADY_CANCELLED);
    } else {
        emitIf(e, s, SLOT_UNKNOWN_BOOKING);
    }
}

static void opCreate(struct emit *e, uint8_t *s)
{
    struct mhead *h = HD(s);
    if (h->exists) {
        emitIf(e, s, SLOT_POOL_EXISTS);
        return;
    }
    h->exists = 1;
    h->cap = e->op->capacity;
    h->next_visit = 1;
    emitIf(e, s, SLOT_OK);
}

static void opReadPool(struct emit *e, uint8_t *s, uint64_t t)
{
    const struct h_op *op = e->op;
    struct mhead *h = HD(s);
    if (!h->exists) {
        emitIf(e, s, SLOT_UNKNOWN_POOL);
        return;
    }
    if (op->type == H_INFO) {
        add(e, s);
        return;
    }
    if (op->type != H_OK || !op->has_counts) {
        return;
    }
    int held = countState(s, HC_HELD), booked = countState(s, HC_BOOKED);
    int sweep = held - (int)op->r_held;
    if (op->r_cap != h->cap || (int)op->r_booked != booked || sweep < 0 ||
        op->r_free + op->r_held + op->r_booked != h->cap) {
        return;
    }
    int due[1024], maybe[16];
    int nd = dueExact(s, t, due);
    int nm = dueMaybe(s, t, maybe);
    if (nm > 12) {
        nm = 12;
        e->m->overflow = 1;
    }
    size_t ss = e->m->state_size;
    uint8_t *w = malloc(ss);
    for (uint32_t mask = 0; mask < (1u << nm); mask++) {
        int j = __builtin_popcount(mask);
        if (j > sweep || sweep - j > nd) {
            continue;
        }
        memcpy(w, s, ss);
        for (int i = 0; i < sweep - j; i++) {
            CL(w)[due[i]].state = HC_EXPIRED;
        }
        for (int i = 0; i < nm; i++) {
            if (mask & (1u << i)) {
                CL(w)[maybe[i]].state = HC_EXPIRED;
            }
        }
        add(e, w);
    }
    free(w);
}

static void opReadPatient(struct emit *e, uint8_t *s, uint64_t t, int patient)
{
    const struct h_op *op = e->op;
    if (!HD(s)->exists) {
        emitIf(e, s, SLOT_UNKNOWN_POOL);
        return;
    }
    if (op->type == H_INFO) {
        add(e, s);
        return;
    }
    if (op->type != H_OK) {
        return;
    }
    int k = activeOf(s, patient);
    const struct h_claimv *o = &op->claim;
    if (k < 0) {
        if (op->n_claims == 0) {
            add(e, s);
        }
        return;
    }
    struct mclaim *c = &CL(s)[k];
    if (c->state == HC_BOOKED) {
        if (op->n_claims == 1 && o->state == HC_BOOKED && o->id == c->id) {
            add(e, s);
        }
        return;
    }
    if (c->exact) {
        bool live = c->deadline > t;
        if ((live && op->n_claims == 1 && o->state == HC_HELD &&
             o->id == c->id && o->deadline == c->deadline) ||
            (!live && op->n_claims == 0)) {
            add(e, s);
        }
        return;
    }
    /* An info claim: the read pins it down. */
    if (op->n_claims == 1 && o->state == HC_HELD && o->deadline > t &&
        o->deadline >= c->deadline && o->id != 0 && byId(s, o->id) < 0) {
        c->id = o->id;
        c->deadline = o->deadline;
        c->exact = 1;
        add(e, s);
    } else if (op->n_claims == 0 && c->deadline <= t) {
        c->exact = 1; /* due by t: its deadline is at most t */
        add(e, s);
    }
}

static void opReadHold(struct emit *e, uint8_t *s, uint64_t t)
{
    const struct h_op *op = e->op;
    if (op->type == H_INFO) {
        add(e, s);
        return;
    }
    int k = byId(s, op->id);
    if (k < 0) {
        emitIf(e, s, SLOT_UNKNOWN_HOLD);
        return;
    }
    if (op->type != H_OK || op->n_claims != 1 || op->claim.id != op->id) {
        return;
    }
    const struct mclaim *c = &CL(s)[k];
    int state = c->state;
    if (state == HC_HELD && c->deadline <= t) {
        state = HC_EXPIRED; /* reads report a due hold as expired */
    }
    if (op->claim.state == state) {
        add(e, s);
    }
}

/* ---- step ---------------------------------------------------------------- */

static bool isCommand(int f)
{
    return f == HF_CREATE || f == HF_HOLD || f == HF_CONFIRM ||
           f == HF_RELEASE || f == HF_CANCEL;
}

static int u64cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int pool_model_step(void *vm, const uint8_t *state, int opi, uint8_t *out,
                    int max_out)
{
    struct pool_model *m = vm;
    const struct h_op *op = m->ops[opi];
    const struct mhead *h = HD(state);
    struct emit e = {m, op, m->patient[opi], out, max_out, 0};
    uint64_t times[1100];
    int nt = 0;
    if (isCommand(op->f) && op->observed) {
        if (op->ltime < h->now) {
            return 0; /* ledger time never goes back */
        }
        times[nt++] = op->ltime;
    } else {
        /* A read can see no ledger time later than the real clock (plus
         * the largest clock offset in force) when it was answered. */
        uint64_t hi = op->lt_max != 0 ? op->lt_max : UINT64_MAX;
        if (h->now > hi) {
            return 0;
        }
        times[nt++] = h->now;
        const struct mclaim *c = CL(state);
        for (int i = 0; i < h->n && nt < 1024; i++) {
            if (c[i].state == HC_HELD && c[i].deadline > h->now &&
                c[i].deadline <= hi) {
                times[nt++] = c[i].deadline;
            }
        }
        qsort(times + 1, (size_t)nt - 1, sizeof times[0], u64cmp);
    }
    uint8_t *w = malloc(m->state_size);
    for (int ti = 0; ti < nt; ti++) {
        if (ti > 0 && times[ti] == times[ti - 1]) {
            continue;
        }
        uint64_t t = times[ti];
        memcpy(w, state, m->state_size);
        HD(w)->now = t;
        switch (op->f) {
            case HF_CREATE:
                opCreate(&e, w);
                break;
            case HF_HOLD:
                opHold(&e, w, t, m->patient[opi]);
                break;
            case HF_CONFIRM:
                opResolve(&e, w, t, true);
                break;
            case HF_RELEASE:
                opResolve(&e, w, t, false);
                break;
            case HF_CANCEL:
                opCancel(&e, w);
                break;
            case HF_READ_POOL:
                opReadPool(&e, w, t);
                break;
            case HF_READ_PATIENT:
                opReadPatient(&e, w, t, m->patient[opi]);
                break;
            case HF_READ_HOLD:
                opReadHold(&e, w, t);
                break;
            default:
                add(&e, w);
                break;
        }
    }
    free(w);
    return e.n;
}

char *pool_model_describe(const struct pool_model *m, const uint8_t *state)
{
    const struct mhead *h = HD(state);
    const struct mclaim *c = CL(state);
    size_t cap = 256 + (size_t)h->n * 128, n = 0;
    char *s = malloc(cap);
    if (s == NULL) {
        return NULL;
    }
    if (!h->exists) {
        snprintf(s, cap, "pool does not exist (ledger time >= %" PRIu64 ")",
                 h->now);
        return s;
    }
    n += (size_t)snprintf(s + n, cap - n,
                          "capacity %u, held %d, booked %d, next visit %u, "
                          "ledger time >= %" PRIu64 "; claims:",
                          h->cap, countState(state, HC_HELD),
                          countState(state, HC_BOOKED), h->next_visit, h->now);
    for (int i = 0; i < h->n && n < cap; i++) {
        n += (size_t)snprintf(
            s + n, cap - n, " [#%" PRIu64 " %s %s deadline %s%" PRIu64 "]",
            c[i].id, m->patients[c[i].patient], history_claim_name(c[i].state),
            c[i].exact ? "" : ">=", c[i].deadline);
    }
    return s;
}
