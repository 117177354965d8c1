/* pools: POOL_CREATE, POOL_UPDATE, POOL_CLOSE (ledger.h, "Exact rules"). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

/* Interns the channels of a spec; LIMIT_REACHED (and nothing interned) if
 * the table would overflow. */
static int specChannels(struct ledger *l, const struct slot_pool_spec *sp,
                        uint32_t out[SLOT_POOL_SHARES_MAX])
{
    uint32_t fresh = 0;
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        struct slot_str ch = sp->shares[i].channel;
        if (ledger__channel_find(l, ch.p, ch.len) == NONE) {
            fresh++;
        }
    }
    if (l->n_channels + fresh > LEDGER_CHANNELS_MAX) {
        return SLOT_LIMIT_REACHED;
    }
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        out[i] = ledger__channel_intern(l, sp->shares[i].channel);
    }
    return SLOT_OK;
}

static void bucketSet(struct bucket *b, uint32_t channel, uint32_t capacity,
                      uint32_t held, uint32_t booked)
{
    assert(held + booked <= capacity);
    b->channel = (uint8_t)channel;
    b->capacity = capacity;
    b->held = held;
    b->booked = booked;
    b->free = capacity - held - booked;
}

static void poolSetFields(struct pool *p, const struct slot_pool_spec *sp)
{
    p->kind = sp->kind;
    p->capacity = sp->capacity;
    p->fee_cents = sp->fee_cents;
    p->seg_start_ms = sp->seg_start_ms;
    p->seg_end_ms = sp->seg_end_ms;
    p->release_at_ms = sp->release_at_ms;
}

static uint32_t sharesSum(const struct slot_pool_spec *sp)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        sum += sp->shares[i].slots;
    }
    assert(sum <= sp->capacity); /* checked by the decoder */
    return sum;
}

int ledger__pool_create(struct ledger *l, const struct slot_pool_spec *sp)
{
    if (ledger__pool_find(l, sp->pool.p, sp->pool.len) != NONE) {
        return SLOT_POOL_EXISTS;
    }
    if (l->n_pools >= LEDGER_POOLS_MAX) {
        return SLOT_LIMIT_REACHED;
    }
    uint32_t chans[SLOT_POOL_SHARES_MAX];
    int rc = specChannels(l, sp, chans);
    if (rc != SLOT_OK) {
        return rc;
    }
    uint32_t pi = ledger__pool_add(l, sp->pool.p, sp->pool.len);
    struct pool *p = &l->pools[pi];
    poolSetFields(p, sp);
    p->next_visit_no = 1;
    p->n_shares = (uint8_t)sp->n_shares;
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        bucketSet(&p->shares[i], chans[i], sp->shares[i].slots, 0, 0);
    }
    bucketSet(&p->rem, 0, sp->capacity - sharesSum(sp), 0, 0);
    return SLOT_OK;
}

/* Can the pool take the new layout without stranding a held or booked
 * slot? Channels not yet interned have no claims. */
static int updateFits(const struct ledger *l, const struct pool *p,
                      const struct slot_pool_spec *sp)
{
    uint32_t seen = 0; /* old shares matched by a new share, as a bit set */
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        struct slot_str ch = sp->shares[i].channel;
        uint32_t ci = ledger__channel_find(l, ch.p, ch.len);
        int s = ci == NONE ? -1 : ledger__share_of(p, ci);
        if (s < 0) {
            continue;
        }
        seen |= 1u << s;
        const struct bucket *b = &p->shares[s];
        if (b->held + b->booked > sp->shares[i].slots) {
            return SLOT_CAPACITY_CONFLICT;
        }
    }
    for (int s = 0; s < p->n_shares; s++) {
        const struct bucket *b = &p->shares[s];
        if (!(seen & (1u << s)) && b->held + b->booked > 0) {
            return SLOT_CAPACITY_CONFLICT;
        }
    }
    if (p->rem.held + p->rem.booked > sp->capacity - sharesSum(sp)) {
        return SLOT_CAPACITY_CONFLICT;
    }
    return SLOT_OK;
}

int ledger__pool_update(struct ledger *l, const struct slot_pool_spec *sp)
{
    uint32_t pi = ledger__pool_find(l, sp->pool.p, sp->pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    if (l->pools[pi].closed) {
        return SLOT_POOL_CLOSED;
    }
    int rc = updateFits(l, &l->pools[pi], sp);
    if (rc != SLOT_OK) {
        return rc;
    }
    uint32_t chans[SLOT_POOL_SHARES_MAX];
    rc = specChannels(l, sp, chans);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct pool *p = &l->pools[pi];
    struct bucket old[SLOT_POOL_SHARES_MAX];
    uint8_t n_old = p->n_shares;
    memcpy(old, p->shares, sizeof old);
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        uint32_t held = 0, booked = 0;
        for (uint8_t s = 0; s < n_old; s++) {
            if (old[s].channel == chans[i]) {
                held = old[s].held;
                booked = old[s].booked;
            }
        }
        bucketSet(&p->shares[i], chans[i], sp->shares[i].slots, held, booked);
    }
    p->n_shares = (uint8_t)sp->n_shares;
    bucketSet(&p->rem, 0, sp->capacity - sharesSum(sp), p->rem.held,
              p->rem.booked);
    poolSetFields(p, sp);
    return SLOT_OK;
}

int ledger__pool_close(struct ledger *l, struct slot_str id)
{
    uint32_t pi = ledger__pool_find(l, id.p, id.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    if (l->pools[pi].closed) {
        return SLOT_POOL_CLOSED;
    }
    l->pools[pi].closed = 1;
    return SLOT_OK;
}
