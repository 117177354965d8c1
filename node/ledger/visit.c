/* visit: the visit day (ledger.h, "The visit day: stoppage, moves,
 * check-in, no-shows"): POOL_STOP, MOVE, CHECKIN, the no-show heap that
 * SWEEP works through, and the POOL_CLAIMS read.
 *
 * A booking's attendance, and what a doctor's stoppage does to it:
 *
 *                CHECKIN in [seg_start - before, seg_end - late)
 *   BOOKED ─────────────────────────────────────────────▶ checked_in
 *   pending
 *      │  \  SWEEP once seg_end - late <= now (noshow_sweep)
 *      │   ╰──────────────────────────────────────────────▶ no_show
 *      │
 *      │ POOL_STOP of its pool (nothing changes in the claim: it reads
 *      │ as affected, and the patient chooses)
 *      ├── MOVE ──▶ MOVED, and a new BOOKED claim in the target pool
 *      └── CANCEL ─▶ CANCELLED, refunded (no deadline, no penalty)
 *
 * Why a heap of bookings and not of pools: the no-show time is a pool's
 * (its segment and rules), but marking a pool's bookings in one SWEEP
 * would be O(bookings of the pool) in one entry, and a sweep must be
 * bounded (SLOT_EXPIRE_MAX per entry, like EXPIRE). One entry per booking
 * keeps each step O(log n) and lets a cancel, a move or a check-in take
 * the booking out at once (the claim's link holds its position; a BOOKED
 * claim uses link for nothing else). A rule change does not rewrite the
 * heap: an entry popped at its old due asks the rules in force then, and
 * goes back if check-in now closes later (ledger.h states what a change to
 * an earlier close does). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"
#include "slot_time.h"

/* The visit rules of pool p: its rule set's, or the defaults for a
 * free-standing pool. */
static struct slot_visit_rules visitRules(const struct ledger *l,
                                          const struct pool *p)
{
    const struct slot_rules *r = ledger__rules_of(l, p);
    struct slot_visit_rules v;
    if (r != NULL) {
        return r->visit;
    }
    slot_visit_rules_default(&v);
    return v;
}

/* t - d, or 0 below 0 (a window that opens before the epoch). */
static uint64_t minus(uint64_t t, uint64_t d)
{
    return t > d ? t - d : 0;
}

/* When check-in closes for pool p (its segment's end less the late
 * margin), or UINT64_MAX when no no-show sweep applies to it now. */
static uint64_t noshowDue(const struct ledger *l, const struct pool *p)
{
    const struct slot_rules *r = ledger__rules_of(l, p);
    if (r == NULL || !r->visit.noshow_sweep || p->stopped) {
        return UINT64_MAX;
    }
    return minus(p->seg_end_ms, r->visit.checkin_late_ms);
}

/* ---- the no-show heap, by (due_ms, claim id) ------------------------------ */

static bool nsLess(const struct ledger *l, const struct noshow *a,
                   const struct noshow *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms &&
                                     l->claims[a->ci].id < l->claims[b->ci].id);
}

static void nsSet(struct ledger *l, uint32_t pos, struct noshow e)
{
    l->nsheap[pos] = e;
    l->claims[e.ci].link = pos;
}

static void nsUp(struct ledger *l, uint32_t pos)
{
    struct noshow e = l->nsheap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!nsLess(l, &e, &l->nsheap[parent])) {
            break;
        }
        nsSet(l, pos, l->nsheap[parent]);
        pos = parent;
    }
    nsSet(l, pos, e);
}

static void nsDown(struct ledger *l, uint32_t pos)
{
    struct noshow e = l->nsheap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= l->nsheap_len) {
            break;
        }
        if (child + 1 < l->nsheap_len &&
            nsLess(l, &l->nsheap[child + 1], &l->nsheap[child])) {
            child++;
        }
        if (!nsLess(l, &l->nsheap[child], &e)) {
            break;
        }
        nsSet(l, pos, l->nsheap[child]);
        pos = child;
    }
    nsSet(l, pos, e);
}

static void nsPush(struct ledger *l, uint32_t ci, uint64_t due_ms)
{
    LEDGER_GROW(l->nsheap, l->nsheap_cap, l->nsheap_len);
    uint32_t pos = l->nsheap_len++;
    l->nsheap[pos] = (struct noshow){due_ms, ci};
    nsUp(l, pos);
}

void ledger__noshow_restore(struct ledger *l, uint64_t due_ms, uint32_t ci)
{
    nsPush(l, ci, due_ms);
}

void ledger__noshow_join(struct ledger *l, uint32_t ci)
{
    const struct claim *c = &l->claims[ci];
    assert(c->state == SLOT_CLAIM_BOOKED && c->link == NONE);
    uint64_t due = noshowDue(l, &l->pools[c->pool]);
    /* Booked after check-in closed: it could never check in, so it is
     * never a no-show. */
    if (due != UINT64_MAX && due > l->time_ms) {
        nsPush(l, ci, due);
    }
}

void ledger__noshow_leave(struct ledger *l, uint32_t ci)
{
    uint32_t pos = l->claims[ci].link;
    if (pos == NONE) {
        return;
    }
    assert(pos < l->nsheap_len && l->nsheap[pos].ci == ci);
    struct noshow last = l->nsheap[--l->nsheap_len];
    l->claims[ci].link = NONE;
    if (last.ci == ci) {
        return;
    }
    nsSet(l, pos, last);
    nsUp(l, pos);
    nsDown(l, l->claims[last.ci].link);
}

uint32_t ledger__noshow_sweep(struct ledger *l, uint32_t max)
{
    uint32_t n = 0;
    while (n < max && l->nsheap_len > 0 && l->nsheap[0].due_ms <= l->time_ms) {
        uint32_t ci = l->nsheap[0].ci;
        ledger__noshow_leave(l, ci);
        n++;
        struct claim *c = &l->claims[ci];
        const struct pool *p = &l->pools[c->pool];
        uint64_t due = noshowDue(l, p); /* under the rules in force now */
        if (due == UINT64_MAX) {
            continue; /* stopped, or the rules no longer sweep: dropped */
        }
        if (due > l->time_ms) {
            nsPush(l, ci, due); /* check-in now closes later: back */
            continue;
        }
        c->attendance = SLOT_ATTEND_NO_SHOW;
        ledger__claim_event(l, ci, SLOT_EV_NO_SHOW, 0, 0);
        uint64_t until;
        (void)ledger__violation_add(l, c->patient, p->place->hospital,
                                    SLOT_VIOLATION_NO_SHOW, &until);
    }
    return n;
}

static uint64_t nsDueAt(const struct ledger *l, uint32_t pos)
{
    return l->nsheap[pos].due_ms;
}

uint32_t ledger__noshow_due(const struct ledger *l, uint32_t cap)
{
    return ledger__heap_due(l, l->nsheap_len, nsDueAt, cap);
}

uint64_t ledger__noshow_next_ms(const struct ledger *l)
{
    return l->nsheap_len == 0 ? UINT64_MAX : l->nsheap[0].due_ms;
}

/* ---- POOL_STOP ------------------------------------------------------------ */

int ledger__pool_stop(struct ledger *l, const struct slot_cmd *cmd,
                      struct slot_result *res)
{
    struct slot_str id = cmd->u.stop.pool;
    uint32_t pi = ledger__pool_find(l, id.p, id.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    struct pool *p = &l->pools[pi];
    if (p->stopped) {
        return SLOT_POOL_STOPPED;
    }
    p->stopped = 1;
    /* Nobody may be offered a slot of a clinic that will not happen. */
    p->n_wait = 0;
    ledger__staff_log(l, SLOT_OP_POOL_STOP, 0, cmd->u.stop.operator_name,
                      cmd->u.stop.reason,
                      p->place != NULL ? p->place->hospital : NONE, NONE, pi);
    for (uint32_t i = 0; i <= p->n_shares; i++) {
        const struct bucket *b = i < p->n_shares ? &p->shares[i] : &p->rem;
        res->a += b->booked;
        res->b += b->held;
    }
    ledger__pool_event(l, pi, SLOT_EV_POOL_STOPPED, res->a, res->b);
    return SLOT_OK;
}

/* ---- MOVE ------------------------------------------------------------------ */

/* MOVE's refusals about the target t for a booking of pool src, after
 * NOT_STOPPED: the place, then the target's own state and time. */
static int moveTarget(const struct ledger *l, uint32_t src, uint32_t t)
{
    const struct place *a = l->pools[src].place;
    const struct pool *tp = &l->pools[t];
    const struct place *b = tp->place;
    if (a == NULL || b == NULL || t == src || a->hospital != b->hospital ||
        a->department != b->department || l->pools[src].kind != tp->kind) {
        return SLOT_MOVE_MISMATCH;
    }
    if (tp->stopped) {
        return SLOT_POOL_STOPPED;
    }
    if (tp->closed) {
        return SLOT_POOL_CLOSED;
    }
    const struct slot_rules *r = ledger__rules_of(l, tp);
    if (slot_local_day(l->time_ms, r->utc_offset_min) > b->visit_day ||
        l->time_ms >= tp->seg_end_ms) {
        return SLOT_BOOKING_CLOSED;
    }
    return SLOT_OK;
}

int ledger__move(struct ledger *l, const struct slot_cmd *cmd,
                 struct slot_result *res)
{
    uint32_t ci = ledger__booking_find(l, cmd->u.claim.id);
    if (ci == NONE) {
        return SLOT_UNKNOWN_BOOKING;
    }
    int rc = ledger__owner_check(l, &l->claims[ci], cmd);
    if (rc != SLOT_OK) {
        return rc;
    }
    if (l->claims[ci].state != SLOT_CLAIM_BOOKED) {
        return SLOT_ALREADY_CANCELLED;
    }
    if (l->claims[ci].attendance == SLOT_ATTEND_NO_SHOW) {
        return SLOT_NO_SHOW; /* a stop after the visit ended changes nothing */
    }
    uint32_t src = l->claims[ci].pool;
    if (!l->pools[src].stopped) {
        return SLOT_NOT_STOPPED;
    }
    struct slot_str tid = cmd->u.claim.pool;
    uint32_t t = ledger__pool_find(l, tid.p, tid.len);
    if (t == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    rc = moveTarget(l, src, t);
    if (rc != SLOT_OK) {
        return rc;
    }
    uint32_t patient = l->claims[ci].patient;
    uint32_t prev = ledger__pp_find(l, t, patient);
    if (prev != NONE) {
        if (!ledger__claim_due(l, &l->claims[prev])) {
            return SLOT_PATIENT_HAS_CLAIM;
        }
        ledger__claim_resolve(l, prev, SLOT_CLAIM_EXPIRED);
    }
    uint8_t from_share, bucket;
    struct bucket *b =
        ledger__pick_bucket(l, t, l->claims[ci].channel, &from_share, &bucket);
    if (b == NULL) {
        return SLOT_SOLD_OUT;
    }
    if (l->n_held + l->n_booked + l->n_retained >= LEDGER_CLAIMS_MAX) {
        return SLOT_LIMIT_REACHED;
    }
    /* The old booking first: its number and slot back to the stopped
     * pool (where nobody can take them), the claim retained as MOVED. */
    ledger__visit_free(&l->pools[src], l->claims[ci].visit_no);
    /* the new claim's id */
    ledger__claim_visit_mut(l, ci)->moved_to = l->next_claim_id;
    ledger__claim_resolve_to(l, ci, SLOT_CLAIM_MOVED, true);
    /* The slab may move on allocation: indexes, not pointers, from here. */
    uint32_t ni = ledger__claim_alloc(l);
    const struct claim *old = &l->claims[ci];
    struct claim *c = &l->claims[ni];
    c->id = l->next_claim_id++;
    c->held_at_ms = c->deadline_ms = l->time_ms;
    c->booked_after_ms = 0; /* booked at once */
    c->pool = t;
    c->patient = patient;
    c->channel = old->channel;
    c->from_share = from_share & 1u;
    c->bucket = bucket;
    uint64_t old_id = old->id;
    c->state = SLOT_CLAIM_BOOKED;
    c->visit_no = ledger__visit_take(&l->pools[t]);
    if (old->payref != NONE) {
        /* The same payment: reference, method and the fee it paid. */
        struct payref pr = ledger__payref(l, old->payref);
        char s[SLOT_PAYMENT_REF_MAX]; /* alloc may move the record */
        memcpy(s, pr.s, pr.len);
        uint32_t np =
            ledger__payref_alloc(l, s, pr.len, pr.method, pr.fee_cents);
        l->claims[ni].payref = np;
    }
    /* The slab of visit records may move too. */
    ledger__claim_visit_mut(l, ni)->moved_from = old_id;
    assert(ledger__claim_visit(l, &l->claims[ci]).moved_to == l->claims[ni].id);
    b->free--;
    b->booked++;
    ledger__bucket_assert(l, t, b);
    l->n_booked++;
    ledger__htab_put(&l->claim_index, l->claims[ni].id, ni);
    ledger__htab_put(&l->pp_index, ledger__pp_key(t, patient), ni);
    ledger__pa_add(l, ni);
    ledger__noshow_join(l, ni);
    res->a = l->claims[ni].id;
    res->b = l->claims[ni].visit_no;
    ledger__claim_event(l, ni, SLOT_EV_BOOKED, res->b,
                        l->claims[ni].payref != NONE);
    return SLOT_OK;
}

/* ---- CHECKIN --------------------------------------------------------------- */

int ledger__checkin(struct ledger *l, const struct slot_cmd *cmd,
                    struct slot_result *res)
{
    uint32_t ci = ledger__booking_find(l, cmd->u.claim.id);
    if (ci == NONE) {
        return SLOT_UNKNOWN_BOOKING;
    }
    struct claim *c = &l->claims[ci];
    /* Identity first: a stranger learns nothing about the booking. */
    const struct patient *pt = &l->patients[c->patient];
    struct slot_str who = cmd->u.claim.patient;
    if (who.len != pt->key_len ||
        memcmp(who.p, l->pkeys + pt->key_off, who.len) != 0) {
        return SLOT_PATIENT_MISMATCH;
    }
    if (c->state != SLOT_CLAIM_BOOKED) {
        return SLOT_ALREADY_CANCELLED;
    }
    const struct pool *p = &l->pools[c->pool];
    if (p->stopped) {
        return SLOT_POOL_STOPPED;
    }
    if (c->attendance == SLOT_ATTEND_CHECKED_IN) {
        return SLOT_ALREADY_CHECKED_IN;
    }
    if (c->attendance == SLOT_ATTEND_NO_SHOW) {
        return SLOT_NO_SHOW;
    }
    if (p->seg_end_ms != 0) {
        struct slot_visit_rules v = visitRules(l, p);
        if (l->time_ms < minus(p->seg_start_ms, v.checkin_before_ms)) {
            return SLOT_CHECKIN_NOT_OPEN;
        }
        if (l->time_ms >= minus(p->seg_end_ms, v.checkin_late_ms)) {
            return SLOT_CHECKIN_CLOSED;
        }
    }
    struct slot_str ref = cmd->u.claim.payment_ref;
    bool pays = c->payref == NONE && ref.len > 0;
    if (pays && !ledger__pay_method_fits(l, cmd->u.claim.pay_method)) {
        return SLOT_LIMIT_REACHED;
    }
    ledger__noshow_leave(l, ci);
    c->attendance = SLOT_ATTEND_CHECKED_IN;
    ledger__claim_visit_mut(l, ci)->checked_in_at_ms = l->time_ms;
    if (pays) {
        /* Paid at the visit: the reference arrives with the patient. */
        ledger__payment_set(l, ci, ref, cmd->u.claim.pay_method);
    }
    res->a = l->claims[ci].visit_no;
    ledger__claim_event(l, ci, SLOT_EV_CHECKED_IN, res->a, pays);
    return SLOT_OK;
}

/* ---- POOL_CLAIMS ------------------------------------------------------------ */

struct idci {
    uint64_t id;
    uint32_t ci;
};

static int byIdci(const void *a, const void *b)
{
    uint64_t x = ((const struct idci *)a)->id;
    uint64_t y = ((const struct idci *)b)->id;
    return x < y ? -1 : x > y;
}

int ledger_read_pool_claims(const struct ledger *l, struct slot_str pool,
                            uint64_t after, uint32_t limit,
                            struct slot_claim *out, uint32_t *n)
{
    *n = 0;
    uint32_t pi = ledger__pool_find(l, pool.p, pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    /* One pass over the slab (its order is history's), then by id. */
    uint32_t m = 0, cap = 16;
    struct idci *found = ledger__realloc(NULL, cap * sizeof *found);
    for (uint32_t ci = 0; ci < l->claims_len; ci++) {
        const struct claim *c = &l->claims[ci];
        if (c->state != 0 && c->pool == pi && c->id > after) {
            LEDGER_GROW(found, cap, m);
            found[m++] = (struct idci){c->id, ci};
        }
    }
    qsort(found, m, sizeof *found, byIdci);
    for (uint32_t i = 0; i < m && *n < limit; i++) {
        ledger__claim_out(l, &l->claims[found[i].ci], &out[(*n)++]);
    }
    free(found);
    return SLOT_OK;
}
