/* cooling: slots freed by a cancelled booking wait before they are free
 * again (ledger.h, CANCEL and SWEEP), so that a scalper cannot cancel a
 * booking and re-book the slot at once for a paying customer.
 *
 * The wait is unpredictable to everyone outside the cluster: its length is
 * a keyed hash (SipHash-2-4 under config.cooldown_key, which no read
 * reports) of the claim id and the ledger time of the cancel. Every replica
 * computes the same time, because the key, the id and the time are
 * replicated state; a client that knows this code still cannot tell when
 * the slot returns. The leader proposes SWEEP at the earliest return
 * (ledger_next_sweep_ms), as it does for flow-back.
 *
 *   BOOKED --CANCEL--> cooling (cools heap, bucket.cooling) --SWEEP at
 *   due_ms--> free (bucket.free)
 */
#include <assert.h>
#include <string.h>

#include "ledgerInt.h"

/* ---- SipHash-2-4 (Aumasson and Bernstein), 64-bit output --------------- */

static uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3)                                               \
    do {                                                                       \
        v0 += v1;                                                              \
        v1 = rotl(v1, 13);                                                     \
        v1 ^= v0;                                                              \
        v0 = rotl(v0, 32);                                                     \
        v2 += v3;                                                              \
        v3 = rotl(v3, 16);                                                     \
        v3 ^= v2;                                                              \
        v0 += v3;                                                              \
        v3 = rotl(v3, 21);                                                     \
        v3 ^= v0;                                                              \
        v2 += v1;                                                              \
        v1 = rotl(v1, 17);                                                     \
        v1 ^= v2;                                                              \
        v2 = rotl(v2, 32);                                                     \
    } while (0)

/* SipHash-2-4 of two 64-bit words (16 bytes, little-endian) under k. */
static uint64_t siphash16(const uint64_t k[2], uint64_t m0, uint64_t m1)
{
    uint64_t v0 = 0x736f6d6570736575ull ^ k[0];
    uint64_t v1 = 0x646f72616e646f6dull ^ k[1];
    uint64_t v2 = 0x6c7967656e657261ull ^ k[0];
    uint64_t v3 = 0x7465646279746573ull ^ k[1];
    const uint64_t m[3] = {m0, m1, (uint64_t)16 << 56};
    for (int i = 0; i < 3; i++) {
        v3 ^= m[i];
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= m[i];
    }
    v2 ^= 0xff;
    for (int i = 0; i < 4; i++) {
        SIPROUND(v0, v1, v2, v3);
    }
    return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- the cooling heap, by (due_ms, claim_id) ----------------------------- */

static bool coolLess(const struct cool *a, const struct cool *b)
{
    return a->due_ms < b->due_ms ||
           (a->due_ms == b->due_ms && a->claim_id < b->claim_id);
}

static void coolUp(struct ledger *l, uint32_t pos)
{
    struct cool c = l->cools[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!coolLess(&c, &l->cools[parent])) {
            break;
        }
        l->cools[pos] = l->cools[parent];
        pos = parent;
    }
    l->cools[pos] = c;
}

static void coolDown(struct ledger *l, uint32_t pos)
{
    struct cool c = l->cools[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= l->n_cools) {
            break;
        }
        if (child + 1 < l->n_cools &&
            coolLess(&l->cools[child + 1], &l->cools[child])) {
            child++;
        }
        if (!coolLess(&l->cools[child], &c)) {
            break;
        }
        l->cools[pos] = l->cools[child];
        pos = child;
    }
    l->cools[pos] = c;
}

void ledger__cool_restore(struct ledger *l, const struct cool *c)
{
    LEDGER_GROW(l->cools, l->cools_cap, l->n_cools);
    l->cools[l->n_cools++] = *c;
    coolUp(l, l->n_cools - 1);
}

bool ledger__cool_push(struct ledger *l, const struct claim *c,
                       const struct slot_patient_rules *pr, uint64_t from_ms)
{
    assert(pr->cooldown_max_ms > 0 &&
           pr->cooldown_min_ms <= pr->cooldown_max_ms);
    uint64_t span = (uint64_t)(pr->cooldown_max_ms - pr->cooldown_min_ms) + 1;
    uint64_t h = siphash16(l->config.cooldown_key, c->id, from_ms);
    uint64_t due = from_ms + pr->cooldown_min_ms + h % span;
    if (due <= l->time_ms) {
        return false; /* already over */
    }
    struct cool e = {due, c->id, c->pool, c->from_share, c->bucket};
    ledger__cool_restore(l, &e);
    return true;
}

/* The bucket a cooling slot belongs to (as ledger__claim_bucket). */
static struct bucket *coolBucket(struct ledger *l, const struct cool *e)
{
    struct pool *p = &l->pools[e->pool];
    if (!e->from_share) {
        return &p->rem;
    }
    int s = ledger__share_of(p, e->bucket);
    POOL_ASSERT(l, e->pool, s >= 0);
    return &p->shares[s];
}

uint32_t ledger__cool_sweep(struct ledger *l, uint32_t max)
{
    uint32_t n = 0;
    while (n < max && l->n_cools > 0 && l->cools[0].due_ms <= l->time_ms) {
        struct bucket *b = coolBucket(l, &l->cools[0]);
        POOL_ASSERT(l, l->cools[0].pool, b->cooling > 0);
        b->cooling--;
        b->free++;
        ledger__bucket_assert(l, l->cools[0].pool, b);
        const struct pool *p = &l->pools[l->cools[0].pool];
        ledger__event(l, SLOT_EV_SLOT_FREED, l->cools[0].pool,
                      l->cools[0].claim_id, NONE, NONE,
                      p->place != NULL ? p->place->hospital : NONE, 0, 0);
        l->cools[0] = l->cools[--l->n_cools];
        if (l->n_cools > 0) {
            coolDown(l, 0);
        }
        n++;
    }
    return n;
}

static uint64_t coolDueAt(const struct ledger *l, uint32_t pos)
{
    return l->cools[pos].due_ms;
}

uint32_t ledger__cool_due(const struct ledger *l, uint32_t cap)
{
    return ledger__heap_due(l, l->n_cools, coolDueAt, cap);
}

uint64_t ledger__cool_next_ms(const struct ledger *l)
{
    return l->n_cools > 0 ? l->cools[0].due_ms : UINT64_MAX;
}
