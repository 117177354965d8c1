/* holds: HOLD, CONFIRM, RELEASE, CANCEL and the EXPIRE sweep (ledger.h,
 * "Exact rules" and the lifecycle diagram). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"
#include "slot_time.h"

/* The rules a hold is judged by, worked out once per HOLD: the pool's rule
 * set (NULL: a free-standing pool) and the channel's policy in it. */
struct judge {
    const struct slot_rules *r;
    struct slot_str ch;
    struct slot_policy pol;
    uint32_t today, minute; /* local, under r's offset */
};

static bool covers(const struct ledger *l, const struct judge *j, uint32_t name)
{
    struct slot_str n = ledger__channel_str(l, name);
    return slot_rules_covers(j->r, n.p, n.len, j->ch.p, j->ch.len);
}

/* eligible(C) of ledger.h: the pool's list, else the first matching
 * eligibility rule's, else everyone. */
static bool eligible(const struct ledger *l, const struct pool *p,
                     const struct judge *j)
{
    const struct place *pl = p->place;
    if (pl->n_eligible > 0) {
        for (uint8_t i = 0; i < pl->n_eligible; i++) {
            if (covers(l, j, pl->eligible[i])) {
                return true;
            }
        }
        return false;
    }
    struct slot_str dept = ledger__name_str(l, pl->department);
    for (uint8_t i = 0; i < j->r->n_elig; i++) {
        const struct slot_elig *e = &j->r->elig[i];
        bool dept_ok = e->department[0] == '\0' ||
                       (strlen(e->department) == dept.len &&
                        memcmp(e->department, dept.p, dept.len) == 0);
        if (!dept_ok || (e->kind != SLOT_KIND_ANY && e->kind != p->kind)) {
            continue;
        }
        for (uint8_t k = 0; k < e->n; k++) {
            if (slot_rules_covers(j->r, e->names[k], strlen(e->names[k]),
                                  j->ch.p, j->ch.len)) {
                return true;
            }
        }
        return false;
    }
    return true;
}

/* The date rules of a scheduled pool, in HOLD's order after eligibility
 * (ledger.h): the channel's horizon, the release minute of the opening
 * day, the explicit release time, then the closing rules. */
static int dateRules(const struct ledger *l, const struct pool *p,
                     const struct judge *j)
{
    uint32_t v = p->place->visit_day;
    uint32_t h =
        j->pol.horizon_days != 0 ? j->pol.horizon_days : j->r->horizon_days;
    if (h > 0) {
        uint32_t opens = v > h ? v - h : 0;
        if (j->today < opens) {
            return SLOT_OUTSIDE_HORIZON;
        }
        if (j->today == opens && j->minute < j->r->release_minute) {
            return SLOT_NOT_RELEASED;
        }
    }
    if (l->time_ms < p->release_at_ms) {
        return SLOT_NOT_RELEASED;
    }
    bool cut = j->pol.cutoff && j->r->cutoff_minute != SLOT_MINUTE_NONE &&
               (j->today + 1 > v ||
                (j->today + 1 == v && j->minute >= j->r->cutoff_minute));
    if (j->today > v || (p->seg_end_ms != 0 && l->time_ms >= p->seg_end_ms) ||
        cut || (!j->pol.same_day && j->today >= v)) {
        return SLOT_BOOKING_CLOSED;
    }
    return SLOT_OK;
}

/* The payment window: the request's, else (scheduled pools) the rules'
 * default; within the config's bounds and the rules' maximum. */
static int ttlOf(const struct ledger *l, const struct judge *j, uint32_t ttl,
                 uint32_t *out)
{
    if (ttl == 0 && j->r != NULL) {
        ttl = j->r->pay_ttl_ms;
    }
    uint32_t max = l->config.hold_ttl_max_ms;
    if (j->r != NULL && j->r->pay_ttl_max_ms != 0 &&
        j->r->pay_ttl_max_ms < max) {
        max = j->r->pay_ttl_max_ms;
    }
    if (ttl < l->config.hold_ttl_min_ms || ttl > max) {
        return SLOT_TTL_OUT_OF_RANGE;
    }
    *out = ttl;
    return SLOT_OK;
}

/* The bucket a new hold takes (ledger.h, SOLD_OUT): the channel's own
 * share, then shares naming a group that contains it, then the remainder
 * if the pool lets this channel use it; NULL when sold out. *bucket is the
 * share's name index. */
static struct bucket *pickBucket(const struct ledger *l, struct pool *p,
                                 const struct judge *j, uint32_t channel,
                                 uint8_t *from_share, uint8_t *bucket)
{
    int s = channel == NONE ? -1 : ledger__share_of(p, channel);
    *from_share = 1;
    if (s >= 0 && p->shares[s].free > 0) {
        *bucket = p->shares[s].channel;
        return &p->shares[s];
    }
    for (uint8_t i = 0; j->r != NULL && i < p->n_shares; i++) {
        struct bucket *b = &p->shares[i];
        if ((int)i != s && b->free > 0 && covers(l, j, b->channel)) {
            *bucket = b->channel;
            return b;
        }
    }
    *from_share = 0;
    *bucket = 0;
    if (p->rem.free == 0) {
        return NULL;
    }
    if (p->place == NULL || p->place->n_rem_allow == 0) {
        return &p->rem;
    }
    for (uint8_t i = 0; i < p->place->n_rem_allow; i++) {
        if (covers(l, j, p->place->rem_allow[i])) {
            return &p->rem;
        }
    }
    return NULL;
}

int ledger__hold(struct ledger *l, const struct slot_cmd *cmd,
                 struct slot_result *res)
{
    const struct slot_str pool = cmd->u.hold.pool;
    const struct slot_str key = cmd->u.hold.patient;
    const struct slot_str chan = cmd->u.hold.channel;

    uint32_t pi = ledger__pool_find(l, pool.p, pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    struct pool *p = &l->pools[pi];
    if (p->closed) {
        return SLOT_POOL_CLOSED;
    }
    struct judge j = {
        ledger__rules_of(l, p), chan, {{0}, 0, false, false}, 0, 0};
    int rc;
    if (j.r != NULL) {
        j.pol = slot_rules_policy(j.r, chan.p, chan.len);
        j.today = slot_local_day(l->time_ms, j.r->utc_offset_min);
        j.minute = slot_local_minute(l->time_ms, j.r->utc_offset_min);
        if (!eligible(l, p, &j)) {
            return SLOT_CHANNEL_NOT_ALLOWED;
        }
        rc = dateRules(l, p, &j);
        if (rc != SLOT_OK) {
            return rc;
        }
    } else if (l->time_ms < p->release_at_ms) {
        return SLOT_NOT_RELEASED;
    }
    uint32_t ttl_ms;
    rc = ttlOf(l, &j, cmd->u.hold.ttl_ms, &ttl_ms);
    if (rc != SLOT_OK) {
        return rc;
    }
    uint32_t patient = ledger__patient_find(l, key.p, key.len);
    bool use_exception;
    rc = ledger__hold_patient_rules(l, p, patient, chan, cmd->u.hold.account,
                                    &use_exception, res);
    if (rc != SLOT_OK) {
        return rc;
    }
    if (patient != NONE) {
        uint32_t prev =
            ledger__htab_get(&l->pp_index, ledger__pp_key(pi, patient));
        if (prev != NONE) {
            if (!ledger__claim_due(l, &l->claims[prev])) {
                return SLOT_PATIENT_HAS_CLAIM;
            }
            ledger__claim_resolve(l, prev, SLOT_CLAIM_EXPIRED);
        }
    }
    rc = ledger__hold_quotas(l, p, patient, res);
    if (rc != SLOT_OK) {
        return rc;
    }
    uint32_t channel = ledger__channel_find(l, chan.p, chan.len);
    uint8_t from_share, bucket;
    struct bucket *b = pickBucket(l, p, &j, channel, &from_share, &bucket);
    if (b == NULL) {
        return SLOT_SOLD_OUT;
    }
    if ((patient == NONE && l->n_patients >= LEDGER_PATIENTS_MAX) ||
        (channel == NONE && l->n_channels >= LEDGER_CHANNELS_MAX) ||
        l->n_held + l->n_booked + l->n_retained >= LEDGER_CLAIMS_MAX) {
        return SLOT_LIMIT_REACHED;
    }
    if (patient == NONE) {
        patient = ledger__patient_add(l, key.p, key.len);
    }
    if (channel == NONE) {
        channel = ledger__channel_add(l, chan.p, chan.len);
    }
    uint32_t ci = ledger__claim_alloc(l);
    struct claim *c = &l->claims[ci];
    c->id = l->next_claim_id++;
    c->held_at_ms = l->time_ms;
    c->deadline_ms = l->time_ms + ttl_ms;
    c->pool = pi;
    c->patient = patient;
    c->channel = (uint8_t)channel;
    c->from_share = from_share;
    c->bucket = bucket;
    c->state = SLOT_CLAIM_HELD;
    b->free--;
    b->held++;
    ledger__bucket_assert(l, pi, b);
    l->n_held++;
    ledger__heap_push(l, ci);
    ledger__htab_put(&l->claim_index, c->id, ci);
    ledger__htab_put(&l->pp_index, ledger__pp_key(pi, patient), ci);
    ledger__pa_add(l, ci);
    if (use_exception) {
        ledger__use_exception(l, patient, p->place->hospital);
    }
    res->a = c->id;
    res->b = c->deadline_ms;
    return SLOT_OK;
}

/* Shared refusals of CONFIRM and RELEASE; expires a due hold on the way
 * (but not for a caller who does not own it: a stranger changes nothing).
 * Returns SLOT_OK when the claim is HELD and before its deadline. */
static int heldCheck(struct ledger *l, const struct slot_cmd *cmd,
                     uint32_t *out)
{
    uint32_t ci = ledger__claim_find(l, cmd->u.claim.id);
    if (ci == NONE) {
        return SLOT_UNKNOWN_HOLD;
    }
    struct claim *c = &l->claims[ci];
    int rc = ledger__owner_check(l, c, cmd);
    if (rc != SLOT_OK) {
        return rc;
    }
    switch (c->state) {
        case SLOT_CLAIM_HELD:
            if (ledger__claim_due(l, c)) {
                /* Refused even if no sweep has run: the deadline is
                 * judged against ledger time only. */
                ledger__claim_resolve(l, ci, SLOT_CLAIM_EXPIRED);
                return SLOT_HOLD_EXPIRED;
            }
            *out = ci;
            return SLOT_OK;
        case SLOT_CLAIM_EXPIRED:
            return SLOT_HOLD_EXPIRED;
        case SLOT_CLAIM_BOOKED:
        case SLOT_CLAIM_CANCELLED:
            return SLOT_ALREADY_CONFIRMED;
        case SLOT_CLAIM_RELEASED:
            return SLOT_ALREADY_RELEASED;
    }
    assert(0 && "claim in index with an invalid state");
    return SLOT_CORRUPT;
}

int ledger__confirm(struct ledger *l, const struct slot_cmd *cmd,
                    struct slot_result *res)
{
    uint32_t ci;
    int rc = heldCheck(l, cmd, &ci);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct claim *c = &l->claims[ci];
    struct pool *p = &l->pools[c->pool];
    struct slot_str ref = cmd->u.claim.payment_ref;
    bool at_visit = p->place != NULL && p->place->pay_mode == SLOT_PAY_AT_VISIT;
    if (ref.len == 0 && !at_visit) {
        return SLOT_PAYMENT_REQUIRED;
    }
    struct bucket *b = ledger__claim_bucket(l, c);
    ledger__heap_remove(l, ci);
    c->state = SLOT_CLAIM_BOOKED;
    c->booked_at_ms = l->time_ms;
    c->visit_no = ledger__visit_take(p);
    /* Unpaid (pay at the visit): no reference until check-in. */
    c->payref = ref.len > 0 ? ledger__payref_alloc(l, ref.p, ref.len) : NONE;
    b->held--;
    b->booked++;
    ledger__bucket_assert(l, c->pool, b);
    l->n_held--;
    l->n_booked++;
    res->a = c->id;
    res->b = c->visit_no;
    return SLOT_OK;
}

int ledger__release(struct ledger *l, const struct slot_cmd *cmd)
{
    uint32_t ci;
    int rc = heldCheck(l, cmd, &ci);
    if (rc != SLOT_OK) {
        return rc;
    }
    ledger__claim_resolve(l, ci, SLOT_CLAIM_RELEASED);
    return SLOT_OK;
}

int ledger__cancel(struct ledger *l, const struct slot_cmd *cmd)
{
    uint32_t ci = ledger__claim_find(l, cmd->u.claim.id);
    if (ci == NONE) {
        return SLOT_UNKNOWN_BOOKING;
    }
    struct claim *c = &l->claims[ci];
    if (c->state != SLOT_CLAIM_BOOKED && c->state != SLOT_CLAIM_CANCELLED) {
        return SLOT_UNKNOWN_BOOKING;
    }
    int rc = ledger__owner_check(l, c, cmd);
    if (rc != SLOT_OK) {
        return rc;
    }
    if (c->state == SLOT_CLAIM_CANCELLED) {
        return SLOT_ALREADY_CANCELLED;
    }
    rc = ledger__cancel_closed(l, c, cmd);
    if (rc != SLOT_OK) {
        return rc;
    }
    ledger__visit_free(&l->pools[c->pool], c->visit_no);
    ledger__claim_resolve(l, ci, SLOT_CLAIM_CANCELLED);
    if (cmd->u.claim.caller.len > 0) {
        ledger__cancel_record(l, c->patient);
    }
    return SLOT_OK;
}

/* Number of heap entries with deadline <= now, counting at most `cap`:
 * a pruned walk from the root visits only due entries and their children,
 * so the cost is O(cap), not O(heap). */
static uint32_t dueCount(const struct ledger *l, uint32_t cap)
{
    uint32_t stack[2 * SLOT_EXPIRE_DUE_COUNT_MAX + 2];
    uint32_t sp = 0, n = 0;
    assert(cap <= SLOT_EXPIRE_DUE_COUNT_MAX);
    if (l->heap_len > 0) {
        stack[sp++] = 0;
    }
    while (sp > 0 && n < cap) {
        uint32_t pos = stack[--sp];
        if (l->claims[l->heap[pos]].deadline_ms > l->time_ms) {
            continue;
        }
        n++;
        for (uint32_t c = 2 * pos + 1; c <= 2 * pos + 2; c++) {
            if (c < l->heap_len) {
                stack[sp++] = c;
            }
        }
    }
    return n;
}

int ledger__expire(struct ledger *l, uint32_t max, struct slot_result *res)
{
    uint32_t n = 0;
    while (n < max && l->heap_len > 0 &&
           l->claims[l->heap[0]].deadline_ms <= l->time_ms) {
        ledger__claim_resolve(l, l->heap[0], SLOT_CLAIM_EXPIRED);
        n++;
    }
    res->a = n;
    res->b = dueCount(l, SLOT_EXPIRE_DUE_COUNT_MAX);
    return SLOT_OK;
}
