/* htab: the ledger's u64 -> u32 hash tables (ledgerInt.h, struct htab):
 * linear probing, backward-shift deletion, incremental growth into
 * arrays mapped ahead of use (Growing). */
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
/* Bytes of the doubled arrays mapped per put before a large table starts
 * moving into them (Growing, below): 16 pages, one madvise of ~10 us. */
#define HTAB_MAP_STEP_BYTES ((size_t)64 * 1024)

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

/* A small table's arrays are mapped at once (its inserts land anywhere
 * in them); a large table's are mapped before it grows into them (below)
 * or by the caller (restore's reserve). */
static void arrAlloc(struct harr *a, uint32_t cap)
{
    a->cap = cap;
    a->s = ledger__calloc(cap, sizeof *a->s);
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

/* ---- Growing --------------------------------------------------------------
 * A table below HTAB_INCREMENTAL_MIN doubles in one step (htabResize).
 * A larger one goes through three states, one put at a time:
 *
 *     STEADY --(a put reaches load 3/4)--> MAPPING --(all mapped)--> MOVING
 *       ^                                                               |
 *       +-----------------(the old arrays are empty)--------------------+
 *
 *   MAPPING  the doubled arrays are allocated (next_slots) but not used:
 *            each put maps HTAB_MAP_STEP_BYTES more of them, then inserts
 *            into the current arrays, whose load rises a little past 3/4
 *            (for 32 MiB of new arrays, 512 puts; at most to 7/8, where
 *            the rest is mapped at once).
 *   MOVING   the doubled arrays are current, the previous ones old: each
 *            put first moves HTAB_MIGRATE_STEP old entries (htabMigrate).
 *
 * Why MAPPING: the doubled arrays' pages are new, and puts land all over
 * them. Faulted in one by one, the first few thousand puts after a large
 * table started moving each took a page fault (a trap to the hypervisor
 * on this VM, and a page to zero): in steady-native at 70 % of peak, the
 * entries holding them took 70-120 ms to apply on every replica, ~27 us
 * a command against ~2, with clear_page and the fault path 40 % of the
 * profile. Mapping in chunks ahead of use costs the same zeroing, spread
 * thinly, without a trap per page. Which state a table is in follows
 * from its puts alone, so replicas stay identical (and no state of it is
 * in a snapshot: restore builds its tables with ledger__htab_reserve). */

static uint32_t htabMapChunks(uint32_t cap)
{
    size_t bytes = (size_t)cap * sizeof(struct hslot);
    return (uint32_t)((bytes + HTAB_MAP_STEP_BYTES - 1) / HTAB_MAP_STEP_BYTES);
}

/* MAPPING -> MOVING: the mapped arrays become current. */
static void htabStartMoving(struct htab *t)
{
    t->old_slots = t->slots;
    t->old_cap = t->cap;
    t->old_count = t->count;
    t->old_pos = 0;
    t->slots = t->next_slots;
    t->cap = t->next_cap;
    t->next_slots = NULL;
    t->next_cap = t->next_mapped = 0;
}

/* Maps `chunks` more chunks of the doubled arrays (UINT32_MAX: the rest),
 * and starts moving once they are all mapped. */
static void htabMapNext(struct htab *t, uint32_t chunks)
{
    uint32_t total = htabMapChunks(t->next_cap);
    uint32_t upto =
        total - t->next_mapped < chunks ? total : t->next_mapped + chunks;
    size_t bytes = (size_t)t->next_cap * sizeof(struct hslot);
    size_t to = (size_t)upto * HTAB_MAP_STEP_BYTES;
    ledger__populate_range(t->next_slots,
                           (size_t)t->next_mapped * HTAB_MAP_STEP_BYTES,
                           to < bytes ? to : bytes);
    t->next_mapped = upto;
    if (t->next_mapped == total) {
        htabStartMoving(t);
    }
}

/* Into arrays of `cap` at once (restore, and the rare put that finds a
 * table still moving full). */
static void htabResize(struct htab *t, uint32_t cap)
{
    htabMigrate(t, UINT32_MAX / 4);
    assert(t->old_cap == 0);
    free(t->next_slots); /* a growth being mapped: this one replaces it */
    t->next_slots = NULL;
    t->next_cap = t->next_mapped = 0;
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
        htabMigrate(t, HTAB_MIGRATE_STEP); /* MOVING */
    } else if (t->next_cap != 0) {
        /* MAPPING; at load 7/8 the rest at once (never in practice: the
         * mapping takes cap / 4096 puts, the headroom is cap / 8). */
        bool full = (uint64_t)(t->count + 1) * 8 > (uint64_t)t->cap * 7;
        htabMapNext(t, full ? UINT32_MAX : 1);
    }
    if ((uint64_t)(t->count + 1) * 4 > (uint64_t)t->cap * 3 &&
        t->next_cap == 0) {
        if (t->cap < HTAB_INCREMENTAL_MIN || t->old_cap != 0) {
            htabResize(t, t->cap == 0 ? 16 : t->cap * 2);
        } else {
            /* STEADY -> MAPPING. At load 3/4 of cap and HTAB_MIGRATE_STEP
             * moves per put, the old arrays will be empty long before the
             * doubled ones fill up. */
            struct harr a;
            arrAlloc(&a, t->cap * 2);
            t->next_slots = a.s;
            t->next_cap = a.cap;
            t->next_mapped = 0;
            if ((size_t)a.cap * sizeof *a.s <= HTAB_POPULATE_MAX) {
                htabStartMoving(t); /* mapped whole by arrAlloc */
            }
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
    free(t->next_slots);
    memset(t, 0, sizeof *t);
}
