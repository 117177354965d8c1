/* htab: the ledger's u64 -> u32 hash tables (ledgerInt.h, struct htab):
 * linear probing, backward-shift deletion, incremental growth. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

/* ---- hash tables --------------------------------------------------------- */

/* Tables below this capacity double in one step: at most 49,152 entries
 * moved (about a millisecond), in one sequential pass over the old array.
 * Growing them incrementally cost more in all (every lookup that misses
 * probes both arrays while they grow, every move is a delete too): HOLD
 * in bench_ledger part (d), whose tables end at 64k positions, ~7 %
 * faster in its fastest runs with 65536 than with 1024. */
#define HTAB_INCREMENTAL_MIN 65536
/* Old entries moved per put while a table grows: at load 3/4, with at most
 * 4 positions looked at per move, the old arrays empty within ~1/10 of the
 * puts that would fill the doubled ones. */
#define HTAB_MIGRATE_STEP 8
/* Tables up to this many bytes are pre-faulted whole when allocated. */
#define HTAB_POPULATE_MAX (1024u * 1024)

/* The 32 bits of a key a table keeps (struct hslot). Keys are either
 * hashes already or sequential ids (claim ids, patient indexes, pool << 32
 * | patient): one multiply by 2^64 / phi spreads the latter, and the
 * product's top bits are the well-mixed ones (Fibonacci hashing). Bits 32
 * and up, which this took before, gave sequential ids 3.5 probes per
 * insert where the top bits give 1.06 (bench_ledger part (d)'s keys,
 * tables filled to 3/4). */
static uint32_t htabTag(uint64_t key)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32);
}

/* A tag's home position: its top bits, so that the tag alone places an
 * entry in an array of any capacity (growing needs no key). */
static uint32_t htabHome(uint32_t tag, uint32_t mask)
{
    unsigned bits = (unsigned)__builtin_ctz(mask + 1); /* cap = 2^bits */
    return tag >> (32 - bits);
}

/* One array of a table: linear probing with backward-shift deletion. */
struct harr {
    struct hslot *s;
    uint32_t cap;
};

static struct harr curArr(const struct htab *t)
{
    return (struct harr){t->slots, t->cap};
}

static struct harr oldArr(const struct htab *t)
{
    return (struct harr){t->old_slots, t->old_cap};
}

static void arrInsert(struct harr a, uint32_t tag, uint32_t val)
{
    uint32_t mask = a.cap - 1;
    uint32_t j = htabHome(tag, mask);
    while (a.s[j].val1 != 0) {
        j = (j + 1) & mask;
    }
    a.s[j] = (struct hslot){tag, val + 1};
}

/* Empties position i; backward shift keeps every probe chain unbroken
 * without tombstones. Entries only ever move into the hole, which moves
 * forward (cyclically): see htabMigrate. */
static void arrDelAt(struct harr a, uint32_t i)
{
    uint32_t mask = a.cap - 1;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (a.s[j].val1 == 0) {
            break;
        }
        uint32_t home = htabHome(a.s[j].tag, mask);
        /* Move j back to i unless its home lies cyclically in (i, j]. */
        bool stay = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stay) {
            a.s[i] = a.s[j];
            i = j;
        }
    }
    a.s[i].val1 = 0;
}

/* Position of the first entry under tag that match accepts, or NONE. */
static uint32_t arrSlot(struct harr a, uint32_t tag,
                        bool (*match)(const void *ctx, uint32_t val),
                        const void *ctx)
{
    if (a.cap == 0) {
        return NONE;
    }
    uint32_t mask = a.cap - 1;
    for (uint32_t j = htabHome(tag, mask);; j = (j + 1) & mask) {
        const struct hslot *h = &a.s[j];
        if (h->val1 == 0) {
            return NONE;
        }
        if (h->tag == tag && match(ctx, h->val1 - 1)) {
            return j;
        }
    }
}

static void arrAlloc(struct harr *a, uint32_t cap)
{
    a->cap = cap;
    a->s = ledger__calloc(cap, sizeof *a->s);
    /* A small table is mapped at once (its inserts land anywhere in it);
     * a large one page by page as entries land, so the entry that grows
     * it does not pay for all of it (ledgerInt.h, pre-faulting). */
    if ((size_t)cap * sizeof *a->s <= HTAB_POPULATE_MAX) {
        ledger__populate_range(a->s, 0, (size_t)cap * sizeof *a->s);
    }
}

/* Moves up to `moves` old entries into the current arrays, looking at no
 * more than 4 x moves positions. A delete may have shifted an entry behind
 * old_pos; the cursor cycles, so it is moved on a later lap. */
static void htabMigrate(struct htab *t, uint32_t moves)
{
    struct harr old = oldArr(t);
    uint32_t looks = 4 * moves;
    while (t->old_count > 0 && moves > 0 && looks > 0) {
        uint32_t i = t->old_pos;
        looks--;
        if (old.s[i].val1 == 0) {
            t->old_pos = (i + 1) & (old.cap - 1);
            continue;
        }
        arrInsert(curArr(t), old.s[i].tag, old.s[i].val1 - 1);
        arrDelAt(old, i); /* may pull the next entry into i: look again */
        t->old_count--;
        moves--;
    }
    if (t->old_cap != 0 && t->old_count == 0) {
        free(t->old_slots);
        t->old_slots = NULL;
        t->old_cap = t->old_pos = 0;
    }
}

/* Into arrays of `cap` at once (restore, and the rare put that finds a
 * table still growing full). */
static void htabResize(struct htab *t, uint32_t cap)
{
    htabMigrate(t, UINT32_MAX / 4);
    assert(t->old_cap == 0);
    struct harr from = curArr(t), to;
    arrAlloc(&to, cap);
    for (uint32_t i = 0; i < from.cap; i++) {
        if (from.s[i].val1 != 0) {
            arrInsert(to, from.s[i].tag, from.s[i].val1 - 1);
        }
    }
    free(from.s);
    t->slots = to.s;
    t->cap = to.cap;
}

/* Smallest power-of-two capacity holding n entries at load <= 3/4, which
 * keeps linear probes short. */
static uint32_t htabCapFor(uint64_t n)
{
    uint32_t cap = 16;
    while ((uint64_t)cap * 3 < n * 4) {
        cap *= 2;
    }
    return cap;
}

void ledger__htab_reserve(struct htab *t, uint32_t n)
{
    uint32_t cap = htabCapFor((uint64_t)t->count + n);
    if (cap > t->cap) {
        htabResize(t, cap);
        /* The n puts that follow land all over the arrays: map them in
         * one call rather than fault them in page by page (a restore of
         * 10^6 claims touches every page of its tables). */
        ledger__populate_range(t->slots, 0, (size_t)t->cap * sizeof *t->slots);
    }
}

void ledger__htab_put(struct htab *t, uint64_t key, uint32_t val)
{
    assert(val != NONE);
    if (t->old_cap != 0) {
        htabMigrate(t, HTAB_MIGRATE_STEP);
    }
    if ((uint64_t)(t->count + 1) * 4 > (uint64_t)t->cap * 3) {
        if (t->cap < HTAB_INCREMENTAL_MIN || t->old_cap != 0) {
            htabResize(t, t->cap == 0 ? 16 : t->cap * 2);
        } else {
            /* Start growing: the current arrays become the old ones. At
             * load 3/4 of cap and HTAB_MIGRATE_STEP moves per put, they
             * are empty long before the doubled arrays fill up. */
            t->old_slots = t->slots;
            t->old_cap = t->cap;
            t->old_count = t->count;
            t->old_pos = 0;
            struct harr a;
            arrAlloc(&a, t->cap * 2);
            t->slots = a.s;
            t->cap = a.cap;
        }
    }
    arrInsert(curArr(t), htabTag(key), val);
    t->count++;
}

uint32_t ledger__htab_find(const struct htab *t, uint64_t key,
                           bool (*match)(const void *ctx, uint32_t val),
                           const void *ctx)
{
    assert(match != NULL); /* a tag is not the key */
    uint32_t tag = htabTag(key);
    struct harr cur = curArr(t);
    uint32_t i = arrSlot(cur, tag, match, ctx);
    if (i != NONE) {
        return cur.s[i].val1 - 1;
    }
    if (t->old_count > 0) {
        struct harr old = oldArr(t);
        i = arrSlot(old, tag, match, ctx);
        return i != NONE ? old.s[i].val1 - 1 : NONE;
    }
    return NONE;
}

void ledger__htab_prefetch(const struct htab *t, uint64_t key)
{
    if (t->cap != 0) {
        __builtin_prefetch(&t->slots[htabHome(htabTag(key), t->cap - 1)]);
    }
}

bool ledger__htab_same(const void *ctx, uint32_t val)
{
    return val == *(const uint32_t *)ctx;
}

void ledger__htab_del(struct htab *t, uint64_t key, uint32_t val)
{
    /* The value names the entry: no key to confirm. */
    uint32_t tag = htabTag(key);
    uint32_t i = arrSlot(curArr(t), tag, ledger__htab_same, &val);
    if (i != NONE) {
        arrDelAt(curArr(t), i);
    } else {
        i = t->old_count > 0 ? arrSlot(oldArr(t), tag, ledger__htab_same, &val)
                             : NONE;
        assert(i != NONE);
        arrDelAt(oldArr(t), i);
        t->old_count--;
        if (t->old_count == 0) {
            htabMigrate(t, 0); /* frees the old arrays */
        }
    }
    t->count--;
}

void ledger__htab_free(struct htab *t)
{
    free(t->slots);
    free(t->old_slots);
    memset(t, 0, sizeof *t);
}
