/* htab: the ledger's u64 -> u32 hash tables (ledgerInt.h, struct htab):
 * linear probing, backward-shift deletion, incremental growth. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

/* ---- hash tables --------------------------------------------------------- */

/* Tables below this capacity double in one step (a few microseconds). */
#define HTAB_INCREMENTAL_MIN 1024
/* Old entries moved per put while a table grows: at load 3/4, with at most
 * 4 positions looked at per move, the old arrays empty within ~1/10 of the
 * puts that would fill the doubled ones. */
#define HTAB_MIGRATE_STEP 8

static uint32_t htabHome(uint64_t key, uint32_t mask)
{
    /* Keys are either hashes already or sequential ids: one multiply
     * spreads the latter. */
    return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & mask;
}

/* One array of a table: linear probing with backward-shift deletion. */
struct harr {
    uint64_t *keys;
    uint32_t *vals;
    uint32_t cap;
};

static struct harr curArr(const struct htab *t)
{
    return (struct harr){t->keys, t->vals, t->cap};
}

static struct harr oldArr(const struct htab *t)
{
    return (struct harr){t->old_keys, t->old_vals, t->old_cap};
}

static void arrInsert(struct harr a, uint64_t key, uint32_t val)
{
    uint32_t mask = a.cap - 1;
    uint32_t j = htabHome(key, mask);
    while (a.vals[j] != NONE) {
        j = (j + 1) & mask;
    }
    a.keys[j] = key;
    a.vals[j] = val;
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
        if (a.vals[j] == NONE) {
            break;
        }
        uint32_t home = htabHome(a.keys[j], mask);
        /* Move j back to i unless its home lies cyclically in (i, j]. */
        bool stay = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stay) {
            a.keys[i] = a.keys[j];
            a.vals[i] = a.vals[j];
            i = j;
        }
    }
    a.vals[i] = NONE;
}

/* Position of the first entry under key that match accepts (any entry
 * under key if match is NULL), or NONE. */
static uint32_t arrSlot(struct harr a, uint64_t key,
                        bool (*match)(const void *ctx, uint32_t val),
                        const void *ctx)
{
    if (a.cap == 0) {
        return NONE;
    }
    uint32_t mask = a.cap - 1;
    for (uint32_t j = htabHome(key, mask);; j = (j + 1) & mask) {
        if (a.vals[j] == NONE) {
            return NONE;
        }
        if (a.keys[j] == key && (match == NULL || match(ctx, a.vals[j]))) {
            return j;
        }
    }
}

static bool sameVal(const void *ctx, uint32_t val)
{
    return val == *(const uint32_t *)ctx;
}

static void arrAlloc(struct harr *a, uint32_t cap)
{
    a->cap = cap;
    a->keys = ledger__realloc(NULL, (size_t)cap * sizeof *a->keys);
    a->vals = ledger__realloc(NULL, (size_t)cap * sizeof *a->vals);
    memset(a->vals, 0xff, (size_t)cap * sizeof *a->vals);
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
        if (old.vals[i] == NONE) {
            t->old_pos = (i + 1) & (old.cap - 1);
            continue;
        }
        arrInsert(curArr(t), old.keys[i], old.vals[i]);
        arrDelAt(old, i); /* may pull the next entry into i: look again */
        t->old_count--;
        moves--;
    }
    if (t->old_cap != 0 && t->old_count == 0) {
        free(t->old_keys);
        free(t->old_vals);
        t->old_keys = NULL;
        t->old_vals = NULL;
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
        if (from.vals[i] != NONE) {
            arrInsert(to, from.keys[i], from.vals[i]);
        }
    }
    free(from.keys);
    free(from.vals);
    t->keys = to.keys;
    t->vals = to.vals;
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
            t->old_keys = t->keys;
            t->old_vals = t->vals;
            t->old_cap = t->cap;
            t->old_count = t->count;
            t->old_pos = 0;
            struct harr a;
            arrAlloc(&a, t->cap * 2);
            t->keys = a.keys;
            t->vals = a.vals;
            t->cap = a.cap;
        }
    }
    arrInsert(curArr(t), key, val);
    t->count++;
}

uint32_t ledger__htab_find(const struct htab *t, uint64_t key,
                           bool (*match)(const void *ctx, uint32_t val),
                           const void *ctx)
{
    struct harr cur = curArr(t);
    uint32_t i = arrSlot(cur, key, match, ctx);
    if (i != NONE) {
        return cur.vals[i];
    }
    if (t->old_count > 0) {
        struct harr old = oldArr(t);
        i = arrSlot(old, key, match, ctx);
        return i != NONE ? old.vals[i] : NONE;
    }
    return NONE;
}

/* First value stored under key (unique-key tables). */
uint32_t ledger__htab_get(const struct htab *t, uint64_t key)
{
    return ledger__htab_find(t, key, NULL, NULL);
}

void ledger__htab_del(struct htab *t, uint64_t key, uint32_t val)
{
    uint32_t i = arrSlot(curArr(t), key, sameVal, &val);
    if (i != NONE) {
        arrDelAt(curArr(t), i);
    } else {
        i = t->old_count > 0 ? arrSlot(oldArr(t), key, sameVal, &val) : NONE;
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
    free(t->keys);
    free(t->vals);
    free(t->old_keys);
    free(t->old_vals);
    memset(t, 0, sizeof *t);
}
