/* model: the slot pool specification (contract in model.h). The rules
 * mirror node/ledger/ledger.h's "Exact rules" for the operations the
 * workloads use: POOL_CREATE, RULES_SET, HOLD, CONFIRM, RELEASE, CANCEL,
 * the reads, and the leader's EXPIRE and SWEEP (invisible). */
#include "model.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_err.h"

#define NB  (H_LIST_MAX + 1) /* buckets: shares 0..7 and the remainder */
#define REM H_LIST_MAX

/* Laid out without implicit padding: states are compared and hashed as
 * bytes. */
struct mhead {
    uint64_t now;
    uint32_t cap;
    uint32_t next_visit;
    uint32_t bcap[NB]; /* each bucket's capacity (flow-back moves it) */
    uint16_t n;
    uint16_t rules;  /* 1 + op index of the rules in force; 0: none */
    uint16_t create; /* 1 + op index of the create that made the pool */
    uint8_t exists;
    uint8_t flowed;
    uint8_t n_shares;
    uint8_t pad[3];
};
_Static_assert(sizeof(struct mhead) == 64, "mhead without padding");

struct mclaim {
    uint64_t id;       /* 0: an info hold's claim, id unknown */
    uint64_t deadline; /* exact, or a lower bound if !exact */
    uint32_t visit;    /* once confirmed */
    uint16_t patient;
    uint8_t state; /* enum h_claim */
    uint8_t exact;
    uint8_t bucket;  /* share index, or REM */
    uint8_t channel; /* index into the model's channels */
    uint8_t pad[6];
};
_Static_assert(sizeof(struct mclaim) == 32, "mclaim without padding");

#define CL(s) ((struct mclaim *)((uint8_t *)(s) + sizeof(struct mhead)))
#define HD(s) ((struct mhead *)(s))

/* ---- the ledger's channel rules ------------------------------------------ */

bool model_covers(const struct h_sched *rules, const char *name, const char *ch)
{
    if (strcmp(name, ch) == 0) {
        return true;
    }
    for (int g = 0; rules != NULL && g < rules->n_groups; g++) {
        if (strcmp(rules->group[g], name) != 0) {
            continue;
        }
        for (int i = 0; i < rules->group_n[g]; i++) {
            if (strcmp(rules->group_ch[g][i], ch) == 0) {
                return true;
            }
        }
        return false;
    }
    return false;
}

bool model_eligible(const struct h_sched *place, const struct h_sched *rules,
                    const char *ch)
{
    if (place == NULL || !place->placed) {
        return true;
    }
    if (place->n_eligible > 0) {
        for (int i = 0; i < place->n_eligible; i++) {
            if (model_covers(rules, place->eligible[i], ch)) {
                return true;
            }
        }
        return false;
    }
    for (int i = 0; rules != NULL && i < rules->n_elig; i++) {
        const struct h_elig *e = &rules->elig[i];
        if ((e->dept[0] != '\0' && strcmp(e->dept, place->dept) != 0) ||
            (e->kind >= 0 && e->kind != place->kind)) {
            continue;
        }
        for (int k = 0; k < e->n; k++) {
            if (model_covers(rules, e->names[k], ch)) {
                return true;
            }
        }
        return false;
    }
    return true;
}

bool model_rem_allows(const struct h_sched *place, const struct h_sched *rules,
                      const char *ch)
{
    if (place == NULL || !place->placed || place->n_rem_allow == 0) {
        return true;
    }
    for (int i = 0; i < place->n_rem_allow; i++) {
        if (model_covers(rules, place->rem_allow[i], ch)) {
            return true;
        }
    }
    return false;
}

uint64_t model_flow_due(const struct h_sched *place,
                        const struct h_sched *rules)
{
    if (place == NULL || !place->placed || rules == NULL ||
        rules->flow_minute < 0) {
        return UINT64_MAX;
    }
    uint32_t day =
        place->day > rules->flow_days ? place->day - rules->flow_days : 0;
    int64_t ms = (int64_t)day * 86400000 + (int64_t)rules->flow_minute * 60000 -
                 (int64_t)rules->offset_min * 60000;
    return ms < 0 ? 0 : (uint64_t)ms;
}

int model_flow_target(const struct h_sched *place, const struct h_sched *rules)
{
    for (int i = 0; place != NULL && rules != NULL && rules->flow_to[0] &&
                    i < place->n_shares;
         i++) {
        if (strcmp(place->share[i], rules->flow_to) == 0) {
            return i;
        }
    }
    return -1;
}

static int nameIndex(char (*tab)[H_NAME_MAX], int *n, const char *name)
{
    int k = 0;
    while (k < *n && strcmp(tab[k], name) != 0) {
        k++;
    }
    if (k == *n) {
        snprintf(tab[k], H_NAME_MAX, "%s", name);
        (*n)++;
    }
    return k;
}

int pool_model_init(struct pool_model *m, const struct h_op **ops, int n)
{
    memset(m, 0, sizeof *m);
    m->ops = ops;
    m->n_ops = n;
    m->patient = malloc(((size_t)n + 1) * sizeof *m->patient);
    m->patients = malloc(((size_t)n + 1) * sizeof *m->patients);
    m->channel = malloc(((size_t)n + 1) * sizeof *m->channel);
    m->channels = malloc(((size_t)n + 1) * sizeof *m->channels);
    if (m->patient == NULL || m->patients == NULL || m->channel == NULL ||
        m->channels == NULL) {
        return -1;
    }
    if (n >= UINT16_MAX) {
        m->overflow = 1; /* op indexes in the state are 16 bits */
        m->n_ops = n = UINT16_MAX - 1;
    }
    for (int i = 0; i < n; i++) {
        m->patient[i] = -1;
        m->channel[i] = -1;
        if (ops[i]->f == HF_HOLD) {
            /* Holds recorded before channels were: all through "app". */
            const char *ch = ops[i]->channel[0] ? ops[i]->channel : "app";
            m->channel[i] = nameIndex(m->channels, &m->n_channels, ch);
            if (m->channel[i] > UINT8_MAX) {
                m->overflow = 1;
                m->channel[i] = 0;
            }
        }
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
    free(m->channel);
    free(m->channels);
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
    int opi;
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
    if (x->exact != y->exact) {
        return (int)x->exact - (int)y->exact;
    }
    if (x->bucket != y->bucket) {
        return (int)x->bucket - (int)y->bucket;
    }
    if (x->channel != y->channel) {
        return (int)x->channel - (int)y->channel;
    }
    return x->visit < y->visit ? -1 : x->visit > y->visit;
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

static const struct h_sched *placeOf(const struct pool_model *m,
                                     const uint8_t *s)
{
    uint16_t c = HD(s)->create;
    return c != 0 ? m->ops[c - 1]->sched : NULL;
}

static const struct h_sched *rulesOf(const struct pool_model *m,
                                     const uint8_t *s)
{
    uint16_t r = HD(s)->rules;
    return r != 0 ? m->ops[r - 1]->sched : NULL;
}

static bool scheduled(const struct pool_model *m, const uint8_t *s)
{
    const struct h_sched *pl = placeOf(m, s);
    return pl != NULL && pl->placed;
}

static const char *bucketName(const struct pool_model *m, const uint8_t *s,
                              int b)
{
    const struct h_sched *pl = placeOf(m, s);
    return b == REM || pl == NULL ? "" : pl->share[b];
}

static int countState(const uint8_t *s, int state)
{
    const struct mclaim *c = CL(s);
    int n = 0;
    for (int i = 0; i < HD(s)->n; i++) {
        n += c[i].state == state;
    }
    return n;
}

/* HELD and BOOKED claims per bucket. */
static void usedOf(const uint8_t *s, uint32_t *held, uint32_t *booked)
{
    const struct mclaim *c = CL(s);
    memset(held, 0, NB * sizeof *held);
    memset(booked, 0, NB * sizeof *booked);
    for (int i = 0; i < HD(s)->n; i++) {
        if (c[i].state == HC_HELD) {
            held[c[i].bucket]++;
        } else if (c[i].state == HC_BOOKED) {
            booked[c[i].bucket]++;
        }
    }
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

/* The bucket a hold of channel ch takes (ledger.h, SOLD_OUT), or -1. */
static int pick(const struct pool_model *m, const uint8_t *s, const char *ch)
{
    const struct mhead *h = HD(s);
    const struct h_sched *pl = placeOf(m, s), *r = rulesOf(m, s);
    bool sched = pl != NULL && pl->placed;
    uint32_t held[NB], booked[NB];
    usedOf(s, held, booked);
    int own = -1;
    for (int i = 0; i < h->n_shares; i++) {
        if (strcmp(pl->share[i], ch) == 0) {
            own = i;
        }
    }
    if (own >= 0 && h->bcap[own] > held[own] + booked[own]) {
        return own;
    }
    for (int i = 0; sched && i < h->n_shares; i++) {
        if (i != own && h->bcap[i] > held[i] + booked[i] &&
            model_covers(r, pl->share[i], ch)) {
            return i;
        }
    }
    if (h->bcap[REM] <= held[REM] + booked[REM]) {
        return -1;
    }
    return model_rem_allows(pl, r, ch) ? REM : -1;
}

/* When the state's pool may flow back (UINT64_MAX: not, or done). */
static uint64_t flowDue(const struct pool_model *m, const uint8_t *s)
{
    if (!HD(s)->exists || HD(s)->flowed) {
        return UINT64_MAX;
    }
    return model_flow_due(placeOf(m, s), rulesOf(m, s));
}

/* SWEEP: every non-target share's free slots go to the target. */
static void flowApply(const struct pool_model *m, uint8_t *s)
{
    struct mhead *h = HD(s);
    int t = model_flow_target(placeOf(m, s), rulesOf(m, s));
    int target = t < 0 ? REM : t;
    uint32_t held[NB], booked[NB];
    usedOf(s, held, booked);
    for (int i = 0; i < h->n_shares; i++) {
        uint32_t used = held[i] + booked[i];
        if (i == target || h->bcap[i] <= used) {
            continue;
        }
        h->bcap[target] += h->bcap[i] - used;
        h->bcap[i] = used;
    }
    h->flowed = 1;
}

/* The visit number a confirm gets: the lowest one no booking has (freed
 * by a cancellation), else the next. */
static uint32_t visitTake(uint8_t *s)
{
    struct mhead *h = HD(s);
    const struct mclaim *c = CL(s);
    for (uint32_t v = 1; v < h->next_visit; v++) {
        bool taken = false;
        for (int i = 0; i < h->n && !taken; i++) {
            taken = c[i].state == HC_BOOKED && c[i].visit == v;
        }
        if (!taken) {
            return v;
        }
    }
    return h->next_visit++;
}

/* Does a claim read agree with the model's claim (bucket and channel)? */
static bool claimMatches(const struct pool_model *m, const uint8_t *s,
                         const struct mclaim *c, const struct h_claimv *o)
{
    return !o->has_bucket ||
           (strcmp(o->bucket, bucketName(m, s, c->bucket)) == 0 &&
            strcmp(o->channel, m->channels[c->channel]) == 0);
}

/* Does a pool read agree with the state, bucket by bucket? */
static bool bucketsMatch(const struct pool_model *m, const uint8_t *s,
                         const struct h_op *op)
{
    const struct mhead *h = HD(s);
    if (!op->has_rb) {
        return true;
    }
    if (op->flowed != (h->flowed != 0) || op->n_rb != h->n_shares) {
        return false;
    }
    uint32_t held[NB], booked[NB];
    usedOf(s, held, booked);
    for (int b = 0; b < NB; b++) {
        if (b < REM && b >= h->n_shares) {
            continue;
        }
        const struct h_bucket *rb = b == REM ? &op->rrem : &op->rb[b];
        if ((b < REM && strcmp(rb->name, bucketName(m, s, b)) != 0) ||
            rb->cap != h->bcap[b] || rb->held != held[b] ||
            rb->booked != booked[b] ||
            (uint64_t)rb->free + held[b] + booked[b] != h->bcap[b]) {
            return false;
        }
    }
    return true;
}

/* ---- operations ---------------------------------------------------------- */

static void holdNew(struct emit *e, uint8_t *s, uint64_t t, int bucket)
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
    c->bucket = (uint8_t)bucket;
    c->channel = (uint8_t)e->m->channel[e->opi];
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

/* The sweep may have expired due claims just before the hold (a prefix
 * in sweep order, or an info claim that may be due): each distinct bucket
 * the hold can then take, with the fewest expiries that give it (more
 * can be swept later just the same). */
static void holdCapacity(struct emit *e, uint8_t *s, uint64_t t)
{
    size_t ss = e->m->state_size;
    const char *ch = e->m->channels[e->m->channel[e->opi]];
    uint8_t *w = malloc(ss);
    int due[1024], n = dueExact(s, t, due);
    bool seen[NB] = {false};
    for (int k = 0; k <= n; k++) {
        memcpy(w, s, ss);
        for (int i = 0; i < k; i++) {
            CL(w)[due[i]].state = HC_EXPIRED;
        }
        int b = pick(e->m, w, ch);
        if (b < 0 && k == 0) {
            emitIf(e, w, SLOT_SOLD_OUT);
        }
        if (b >= 0 && !seen[b]) {
            seen[b] = true;
            holdNew(e, w, t, b);
        }
    }
    n = dueMaybe(s, t, due);
    for (int i = 0; i < n; i++) {
        memcpy(w, s, ss);
        CL(w)[due[i]].state = HC_EXPIRED;
        int b = pick(e->m, w, ch);
        if (b >= 0) {
            holdNew(e, w, t, b);
        }
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
    if (scheduled(e->m, s) &&
        !model_eligible(placeOf(e->m, s), rulesOf(e->m, s),
                        e->m->channels[e->m->channel[e->opi]])) {
        emitIf(e, s, SLOT_CHANNEL_NOT_ALLOWED);
        return;
    }
    int k = activeOf(s, patient);
    if (k < 0) {
        holdCapacity(e, s, t);
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
        holdCapacity(e, s, t);
        return;
    }
    /* An info claim whose deadline may or may not have passed. */
    uint8_t *w = malloc(ss);
    memcpy(w, s, ss);
    CL(w)[k].deadline = t + 1;
    emitIf(e, w, SLOT_PATIENT_HAS_CLAIM);
    memcpy(w, s, ss);
    CL(w)[k].state = HC_EXPIRED;
    holdCapacity(e, w, t);
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
                uint32_t visit = visitTake(s);
                c->state = HC_BOOKED;
                c->visit = visit;
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
    const struct h_sched *pl = e->op->sched;
    if (h->exists) {
        emitIf(e, s, SLOT_POOL_EXISTS);
        return;
    }
    const struct h_sched *r = rulesOf(e->m, s);
    if (pl != NULL && pl->placed &&
        (r == NULL || strcmp(r->hospital, pl->hospital) != 0)) {
        emitIf(e, s, SLOT_UNKNOWN_HOSPITAL);
        return;
    }
    uint32_t sum = 0;
    int n = pl != NULL ? pl->n_shares : 0;
    for (int i = 0; i < n; i++) {
        h->bcap[i] = pl->share_slots[i];
        sum += pl->share_slots[i];
    }
    if (sum > e->op->capacity) {
        return; /* a spec the client never sends */
    }
    h->exists = 1;
    h->cap = e->op->capacity;
    h->next_visit = 1;
    h->create = (uint16_t)(e->opi + 1);
    h->n_shares = (uint8_t)n;
    h->bcap[REM] = h->cap - sum;
    emitIf(e, s, SLOT_OK);
}

/* The hospital's rules change (a refused change changes nothing). */
static void opRules(struct emit *e, uint8_t *s)
{
    if (e->op->type == H_FAIL) {
        add(e, s);
        return;
    }
    HD(s)->rules = (uint16_t)(e->opi + 1);
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
        if (bucketsMatch(e->m, w, op)) {
            add(e, w);
        }
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
    if (op->n_claims == 1 && !claimMatches(e->m, s, c, o)) {
        return;
    }
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
    if (op->claim.state == state && claimMatches(e->m, s, c, &op->claim)) {
        add(e, s);
    }
}

/* ---- step ---------------------------------------------------------------- */

static bool isCommand(int f)
{
    return f == HF_CREATE || f == HF_HOLD || f == HF_CONFIRM ||
           f == HF_RELEASE || f == HF_CANCEL || f == HF_RULES;
}

static int u64cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Applies the operation to w (judged at t), emitting its successors. */
static void apply(struct emit *e, uint8_t *w, uint64_t t)
{
    int opi = e->opi;
    switch (e->op->f) {
        case HF_CREATE:
            opCreate(e, w);
            break;
        case HF_RULES:
            opRules(e, w);
            break;
        case HF_HOLD:
            opHold(e, w, t, e->m->patient[opi]);
            break;
        case HF_CONFIRM:
            opResolve(e, w, t, true);
            break;
        case HF_RELEASE:
            opResolve(e, w, t, false);
            break;
        case HF_CANCEL:
            opCancel(e, w);
            break;
        case HF_READ_POOL:
            opReadPool(e, w, t);
            break;
        case HF_READ_PATIENT:
            opReadPatient(e, w, t, e->m->patient[opi]);
            break;
        case HF_READ_HOLD:
            opReadHold(e, w, t);
            break;
        default:
            add(e, w);
            break;
    }
}

/* The operation at t, after the flow-back (SWEEP) if it may have run by
 * then: with any prefix of the due claims expired before it, or one info
 * claim that may be due. */
static void applyFlowed(struct emit *e, const uint8_t *w, uint64_t t,
                        uint8_t *v)
{
    size_t ss = e->m->state_size;
    int due[1024], n = dueExact(w, t, due);
    for (int k = 0; k <= n; k++) {
        memcpy(v, w, ss);
        for (int i = 0; i < k; i++) {
            CL(v)[due[i]].state = HC_EXPIRED;
        }
        flowApply(e->m, v);
        apply(e, v, t);
    }
    n = dueMaybe(w, t, due);
    for (int i = 0; i < n; i++) {
        memcpy(v, w, ss);
        CL(v)[due[i]].state = HC_EXPIRED;
        flowApply(e->m, v);
        apply(e, v, t);
    }
}

int pool_model_step(void *vm, const uint8_t *state, int opi, uint8_t *out,
                    int max_out)
{
    struct pool_model *m = vm;
    const struct h_op *op = m->ops[opi];
    const struct mhead *h = HD(state);
    struct emit e = {m, op, opi, m->patient[opi], out, max_out, 0};
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
        uint64_t due = flowDue(m, state);
        if (due != UINT64_MAX && due > h->now && due <= hi) {
            times[nt++] = due; /* where a flow-back may become visible */
        }
        qsort(times + 1, (size_t)nt - 1, sizeof times[0], u64cmp);
    }
    uint8_t *w = malloc(m->state_size), *v = malloc(m->state_size);
    for (int ti = 0; ti < nt; ti++) {
        if (ti > 0 && times[ti] == times[ti - 1]) {
            continue;
        }
        uint64_t t = times[ti];
        memcpy(w, state, m->state_size);
        HD(w)->now = t;
        uint64_t due = flowDue(m, w);
        if (due != UINT64_MAX && due <= t) {
            applyFlowed(&e, w, t, v);
        }
        apply(&e, w, t);
    }
    free(w);
    free(v);
    return e.n;
}

char *pool_model_describe(const struct pool_model *m, const uint8_t *state)
{
    const struct mhead *h = HD(state);
    const struct mclaim *c = CL(state);
    size_t cap = 512 + (size_t)h->n * 160, n = 0;
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
                          "ledger time >= %" PRIu64 ";",
                          h->cap, countState(state, HC_HELD),
                          countState(state, HC_BOOKED), h->next_visit, h->now);
    if (h->n_shares > 0 || scheduled(m, state)) {
        n += (size_t)snprintf(s + n, cap - n, " buckets (capacity):");
        for (int b = 0; b < NB && n < cap; b++) {
            if (b < REM && b >= h->n_shares) {
                continue;
            }
            n += (size_t)snprintf(
                s + n, cap - n, " %s=%u",
                b == REM ? "remainder" : bucketName(m, state, b), h->bcap[b]);
        }
        n += (size_t)snprintf(s + n, cap - n, "%s;",
                              h->flowed ? ", flowed back" : "");
    }
    n += (size_t)snprintf(s + n, cap - n, " claims:");
    for (int i = 0; i < h->n && n < cap; i++) {
        n += (size_t)snprintf(
            s + n, cap - n,
            " [#%" PRIu64 " %s %s deadline %s%" PRIu64 " %s->%s]", c[i].id,
            m->patients[c[i].patient], history_claim_name(c[i].state),
            c[i].exact ? "" : ">=", c[i].deadline, m->channels[c[i].channel],
            c[i].bucket == REM ? "remainder"
                               : bucketName(m, state, c[i].bucket));
    }
    return s;
}
