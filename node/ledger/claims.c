/* claims: the claim slab, payment references, the expiry heap (HELD
 * claims by deadline, then id) and the retained FIFO of resolved claims. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

/* ---- claims, expiry heap, retained FIFO ---------------------------------- */

uint32_t ledger__claim_alloc(struct ledger *l)
{
    uint32_t ci;
    if (l->claims_free != NONE) {
        ci = l->claims_free;
        l->claims_free = l->claims[ci].link;
    } else {
        ci = l->claims_len++;
        LEDGER_GROW(l->claims, l->claims_cap, ci);
    }
    memset(&l->claims[ci], 0, sizeof l->claims[ci]);
    l->claims[ci].payref = NONE;
    l->claims[ci].visit = NONE;
    l->claims[ci].link = NONE;
    l->claims[ci].pa_next = l->claims[ci].pa_prev = NONE;
    return ci;
}

struct cvisit *ledger__claim_visit_mut(struct ledger *l, uint32_t ci)
{
    uint32_t vi = l->claims[ci].visit;
    if (vi == NONE) {
        if (l->cvisits_free != NONE) {
            vi = l->cvisits_free;
            l->cvisits_free = (uint32_t)l->cvisits[vi].moved_to;
        } else {
            vi = l->cvisits_len++;
            LEDGER_GROW(l->cvisits, l->cvisits_cap, vi);
        }
        l->cvisits[vi] = (struct cvisit){0, 0, 0};
        l->claims[ci].visit = vi;
    }
    return &l->cvisits[vi];
}

/* ---- payment records (ledgerInt.h, struct payslab) -------------------- */

static char *payRec(const struct ledger *l, uint32_t pr)
{
    uint32_t k = pr >> LEDGER_PAY_CLASS_SHIFT;
    uint32_t i = pr & ((1u << LEDGER_PAY_CLASS_SHIFT) - 1);
    assert(k < LEDGER_PAY_CLASSES && i < l->payslabs[k].len);
    return l->payslabs[k].recs + (size_t)i * LEDGER_PAY_REC_BYTES(k);
}

struct payref ledger__payref(const struct ledger *l, uint32_t pr)
{
    const char *r = payRec(l, pr);
    struct payref p;
    memcpy(&p.fee_cents, r, sizeof p.fee_cents);
    p.len = (uint8_t)r[4];
    p.method = (uint8_t)r[5];
    p.s = r + LEDGER_PAY_HEAD_BYTES;
    return p;
}

uint32_t ledger__payref_alloc(struct ledger *l, const char *s, size_t len,
                              uint8_t method, uint32_t fee_cents)
{
    assert(len > 0 && len <= SLOT_PAYMENT_REF_MAX);
    uint32_t k = 0;
    while (LEDGER_PAY_HEAD_BYTES + len > LEDGER_PAY_REC_BYTES(k)) {
        k++;
    }
    struct payslab *ps = &l->payslabs[k];
    size_t rec = LEDGER_PAY_REC_BYTES(k);
    uint32_t i;
    if (ps->free != NONE) {
        i = ps->free;
        memcpy(&ps->free, ps->recs + (size_t)i * rec, sizeof ps->free);
    } else {
        i = ps->len++;
        ps->recs = ledger__grow(ps->recs, rec, &ps->cap, i);
    }
    char *r = ps->recs + (size_t)i * rec;
    memcpy(r, &fee_cents, sizeof fee_cents);
    r[4] = (char)len;
    r[5] = (char)method;
    memcpy(r + LEDGER_PAY_HEAD_BYTES, s, len);
    return k << LEDGER_PAY_CLASS_SHIFT | i;
}

static void payrefFree(struct ledger *l, uint32_t pr)
{
    char *r = payRec(l, pr);
    struct payslab *ps = &l->payslabs[pr >> LEDGER_PAY_CLASS_SHIFT];
    /* The free list runs through the first bytes of the unused record;
     * length 0 marks it unused. */
    memcpy(r, &ps->free, sizeof ps->free);
    r[4] = 0;
    ps->free = pr & ((1u << LEDGER_PAY_CLASS_SHIFT) - 1);
}

static bool heapLess(const struct ledger *l, uint32_t a, uint32_t b)
{
    const struct claim *x = &l->claims[a];
    const struct claim *y = &l->claims[b];
    /* Ties broken by id: every replica expires in the same order. */
    return x->deadline_ms < y->deadline_ms ||
           (x->deadline_ms == y->deadline_ms && x->id < y->id);
}

static void heapSet(struct ledger *l, uint32_t pos, uint32_t ci)
{
    l->heap[pos] = ci;
    l->claims[ci].link = pos;
}

static void heapUp(struct ledger *l, uint32_t pos)
{
    uint32_t ci = l->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!heapLess(l, ci, l->heap[parent])) {
            break;
        }
        heapSet(l, pos, l->heap[parent]);
        pos = parent;
    }
    heapSet(l, pos, ci);
}

static void heapDown(struct ledger *l, uint32_t pos)
{
    uint32_t ci = l->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= l->heap_len) {
            break;
        }
        if (child + 1 < l->heap_len &&
            heapLess(l, l->heap[child + 1], l->heap[child])) {
            child++;
        }
        if (!heapLess(l, l->heap[child], ci)) {
            break;
        }
        heapSet(l, pos, l->heap[child]);
        pos = child;
    }
    heapSet(l, pos, ci);
}

uint32_t ledger__heap_due(const struct ledger *l, uint32_t len,
                          uint64_t (*due_at)(const struct ledger *,
                                             uint32_t pos),
                          uint32_t cap)
{
    /* A pruned walk from the root: a parent is due no later than its
     * children, so only due entries and their children are visited and
     * the cost is O(cap), not O(heap). */
    uint32_t stack[2 * SLOT_EXPIRE_DUE_COUNT_MAX + 2];
    uint32_t sp = 0, n = 0;
    assert(cap <= SLOT_EXPIRE_DUE_COUNT_MAX);
    if (len > 0) {
        stack[sp++] = 0;
    }
    while (sp > 0 && n < cap) {
        uint32_t pos = stack[--sp];
        if (due_at(l, pos) > l->time_ms) {
            continue;
        }
        n++;
        for (uint32_t c = 2 * pos + 1; c <= 2 * pos + 2; c++) {
            if (c < len) {
                stack[sp++] = c;
            }
        }
    }
    return n;
}

void ledger__heap_push(struct ledger *l, uint32_t ci)
{
    LEDGER_GROW(l->heap, l->heap_cap, l->heap_len);
    uint32_t pos = l->heap_len++;
    l->heap[pos] = ci;
    heapUp(l, pos);
}

void ledger__heap_remove(struct ledger *l, uint32_t ci)
{
    uint32_t pos = l->claims[ci].link;
    assert(pos < l->heap_len && l->heap[pos] == ci);
    uint32_t last = l->heap[--l->heap_len];
    l->claims[ci].link = NONE;
    if (last == ci) {
        return;
    }
    l->heap[pos] = last;
    l->claims[last].link = pos;
    heapUp(l, pos);
    heapDown(l, l->claims[last].link);
}

void ledger__retain_push(struct ledger *l, uint32_t ci)
{
    l->claims[ci].link = NONE;
    if (l->ret_tail == NONE) {
        l->ret_head = ci;
    } else {
        l->claims[l->ret_tail].link = ci;
    }
    l->ret_tail = ci;
    l->n_retained++;
}

void ledger__bucket_assert(const struct ledger *l, uint32_t pi,
                           const struct bucket *b)
{
    POOL_ASSERT(l, pi,
                b->free + b->held + b->booked + b->cooling == b->capacity);
}

/* HELD -> RELEASED / EXPIRED, or BOOKED -> CANCELLED / MOVED: the slot is free
 * again, or cooling (a cancel under a cool-down rule; a declined or lapsed
 * offer), and the claim moves to the retained FIFO. An expiry may be a
 * violation. to_free: a cancel whose slot the waitlist takes at once. */
void ledger__claim_resolve_to(struct ledger *l, uint32_t ci, uint8_t state,
                              bool to_free)
{
    struct claim *c = &l->claims[ci];
    struct bucket *b = ledger__claim_bucket(l, c);
    const struct pool *p = &l->pools[c->pool];
    const struct slot_patient_rules *pr =
        p->place != NULL ? &l->hospitals[p->place->hospital].rules.patient
                         : NULL;
    bool cooldown = pr != NULL && pr->cooldown_max_ms > 0 && !to_free;
    uint64_t cool_from = l->time_ms; /* a cancel cools from now */
    bool cool = false;
    /* The transition's event first: a violation it causes follows it. */
    static const uint8_t ev[] = {
        [SLOT_CLAIM_RELEASED] = SLOT_EV_RELEASED,
        [SLOT_CLAIM_EXPIRED] = SLOT_EV_EXPIRED,
        [SLOT_CLAIM_CANCELLED] = SLOT_EV_CANCELLED,
        [SLOT_CLAIM_MOVED] = SLOT_EV_MOVED,
    };
    assert(state < sizeof ev && ev[state] != 0);
    ledger__claim_event(l, ci, ev[state],
                        state == SLOT_CLAIM_MOVED
                            ? ledger__claim_visit(l, c).moved_to
                            : c->refunded,
                        0);
    if (c->state == SLOT_CLAIM_HELD) {
        assert(state == SLOT_CLAIM_RELEASED || state == SLOT_CLAIM_EXPIRED);
        ledger__heap_remove(l, ci);
        POOL_ASSERT(l, c->pool, b->held > 0);
        b->held--;
        l->n_held--;
        /* Unpaid is the patient's fault only if the clinic could still
         * be paid for: a stopped pool refuses the confirm. */
        if (state == SLOT_CLAIM_EXPIRED && pr != NULL &&
            pr->unpaid_is_violation && !p->stopped) {
            uint64_t until;
            (void)ledger__violation_add(l, c->patient, p->place->hospital,
                                        SLOT_VIOLATION_UNPAID, &until);
        }
        if (ledger__offer_has(l, ci)) {
            /* A declined or lapsed offer cools from the cancel that made
             * it (the offer's held_at_ms). */
            ledger__htab_del(&l->offer_index, ci, ci);
            cool = cooldown;
            cool_from = c->held_at_ms;
        }
    } else {
        assert(c->state == SLOT_CLAIM_BOOKED &&
               (state == SLOT_CLAIM_CANCELLED || state == SLOT_CLAIM_MOVED));
        ledger__noshow_leave(l, ci); /* before link becomes the FIFO's */
        POOL_ASSERT(l, c->pool, b->booked > 0);
        b->booked--;
        l->n_booked--;
        cool = cooldown;
    }
    if (cool && ledger__cool_push(l, c, pr, cool_from)) {
        b->cooling++;
    } else {
        b->free++;
    }
    ledger__bucket_assert(l, c->pool, b);
    ledger__htab_del(&l->pp_index, ledger__pp_key(c->pool, c->patient), ci);
    ledger__pa_del(l, ci);
    c->state = state;
    c->resolved_at_ms = l->time_ms;
    ledger__retain_push(l, ci);
}

void ledger__claim_resolve(struct ledger *l, uint32_t ci, uint8_t state)
{
    ledger__claim_resolve_to(l, ci, state, false);
}

/* A retained claim leaves the ledger: its id becomes unknown. */
void ledger__claim_forget(struct ledger *l, uint32_t ci)
{
    struct claim *c = &l->claims[ci];
    assert(ci == l->ret_head);
    l->ret_head = c->link;
    if (l->ret_head == NONE) {
        l->ret_tail = NONE;
    }
    l->n_retained--;
    ledger__htab_del(&l->claim_index, c->id, ci);
    if (c->payref != NONE) {
        payrefFree(l, c->payref);
    }
    if (c->visit != NONE) {
        l->cvisits[c->visit].moved_to = l->cvisits_free;
        l->cvisits_free = c->visit;
        c->visit = NONE;
    }
    c->state = 0;
    c->link = l->claims_free;
    l->claims_free = ci;
}

/* The tables keep tags, not keys (ledgerInt.h): these confirm a value
 * against the record it names. */
struct claimKey {
    const struct ledger *l;
    uint64_t id;
};

static bool claimIs(const void *ctx, uint32_t ci)
{
    const struct claimKey *k = ctx;
    return k->l->claims[ci].id == k->id;
}

uint32_t ledger__claim_find(const struct ledger *l, uint64_t id)
{
    struct claimKey k = {l, id};
    return ledger__htab_find(&l->claim_index, id, claimIs, &k);
}

struct ppKey {
    const struct ledger *l;
    uint32_t pool, patient;
};

static bool ppIs(const void *ctx, uint32_t ci)
{
    const struct ppKey *k = ctx;
    const struct claim *c = &k->l->claims[ci];
    return c->pool == k->pool && c->patient == k->patient;
}

uint32_t ledger__pp_find(const struct ledger *l, uint32_t pool,
                         uint32_t patient)
{
    struct ppKey k = {l, pool, patient};
    return ledger__htab_find(&l->pp_index, ledger__pp_key(pool, patient), ppIs,
                             &k);
}

bool ledger__offer_has(const struct ledger *l, uint32_t ci)
{
    /* Keyed by the claim index, which is also the value. */
    return ledger__htab_find(&l->offer_index, ci, ledger__htab_same, &ci) !=
           NONE;
}

uint32_t ledger__booking_find(const struct ledger *l, uint64_t id)
{
    uint32_t ci = ledger__claim_find(l, id);
    return ci != NONE && ledger__state_confirmed(l->claims[ci].state) ? ci
                                                                      : NONE;
}
