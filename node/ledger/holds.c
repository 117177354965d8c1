/* holds: HOLD, CONFIRM, RELEASE, CANCEL and the EXPIRE sweep (ledger.h,
 * "Exact rules" and the lifecycle diagram). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

/* The bucket a new hold from `channel` takes: the channel's share if it
 * has a free slot, else the shared remainder; NULL when sold out. */
static struct bucket *pickBucket(struct pool *p, uint32_t channel,
                                 uint8_t *from_share)
{
    int s = channel == NONE ? -1 : ledger__share_of(p, channel);
    if (s >= 0 && p->shares[s].free > 0) {
        *from_share = 1;
        return &p->shares[s];
    }
    *from_share = 0;
    return p->rem.free > 0 ? &p->rem : NULL;
}

int ledger__hold(struct ledger *l, const struct slot_cmd *cmd,
                 struct slot_result *res)
{
    const struct slot_str pool = cmd->u.hold.pool;
    const struct slot_str key = cmd->u.hold.patient;
    const struct slot_str chan = cmd->u.hold.channel;
    uint32_t ttl_ms = cmd->u.hold.ttl_ms;

    uint32_t pi = ledger__pool_find(l, pool.p, pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    struct pool *p = &l->pools[pi];
    if (p->closed) {
        return SLOT_POOL_CLOSED;
    }
    if (l->time_ms < p->release_at_ms) {
        return SLOT_NOT_RELEASED;
    }
    if (ttl_ms < l->config.hold_ttl_min_ms ||
        ttl_ms > l->config.hold_ttl_max_ms) {
        return SLOT_TTL_OUT_OF_RANGE;
    }
    uint32_t patient = ledger__patient_find(l, key.p, key.len);
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
    uint32_t channel = ledger__channel_find(l, chan.p, chan.len);
    uint8_t from_share;
    struct bucket *b = pickBucket(p, channel, &from_share);
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
    c->state = SLOT_CLAIM_HELD;
    b->free--;
    b->held++;
    ledger__bucket_assert(l, pi, b);
    l->n_held++;
    ledger__heap_push(l, ci);
    ledger__htab_put(&l->claim_index, c->id, ci);
    ledger__htab_put(&l->pp_index, ledger__pp_key(pi, patient), ci);
    res->a = c->id;
    res->b = c->deadline_ms;
    return SLOT_OK;
}

/* Shared refusals of CONFIRM and RELEASE; expires a due hold on the way.
 * Returns SLOT_OK when the claim is HELD and before its deadline. */
static int heldCheck(struct ledger *l, uint64_t id, uint32_t *out)
{
    uint32_t ci = ledger__claim_find(l, id);
    if (ci == NONE) {
        return SLOT_UNKNOWN_HOLD;
    }
    struct claim *c = &l->claims[ci];
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
    int rc = heldCheck(l, cmd->u.confirm.hold, &ci);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct claim *c = &l->claims[ci];
    struct pool *p = &l->pools[c->pool];
    struct bucket *b = ledger__claim_bucket(l, c);
    ledger__heap_remove(l, ci);
    c->state = SLOT_CLAIM_BOOKED;
    c->booked_at_ms = l->time_ms;
    c->visit_no = p->next_visit_no++;
    c->payref = ledger__payref_alloc(l, cmd->u.confirm.payment_ref.p,
                                     cmd->u.confirm.payment_ref.len);
    b->held--;
    b->booked++;
    ledger__bucket_assert(l, c->pool, b);
    l->n_held--;
    l->n_booked++;
    res->a = c->id;
    res->b = c->visit_no;
    return SLOT_OK;
}

int ledger__release(struct ledger *l, uint64_t id)
{
    uint32_t ci;
    int rc = heldCheck(l, id, &ci);
    if (rc != SLOT_OK) {
        return rc;
    }
    ledger__claim_resolve(l, ci, SLOT_CLAIM_RELEASED);
    return SLOT_OK;
}

int ledger__cancel(struct ledger *l, uint64_t id)
{
    uint32_t ci = ledger__claim_find(l, id);
    if (ci == NONE) {
        return SLOT_UNKNOWN_BOOKING;
    }
    switch (l->claims[ci].state) {
        case SLOT_CLAIM_BOOKED:
            ledger__claim_resolve(l, ci, SLOT_CLAIM_CANCELLED);
            return SLOT_OK;
        case SLOT_CLAIM_CANCELLED:
            return SLOT_ALREADY_CANCELLED;
        default:
            return SLOT_UNKNOWN_BOOKING;
    }
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
