/* The ledger: applying commands and answering reads. Snapshot, restore and
 * the invariant checker are in ledger_snap.c. See ledger.h for the contract
 * and the claim lifecycle, ledgerInt.h for the data layout. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

/* An invariant broken inside apply is a programmer error: say which pool,
 * then crash (a replica that continued would diverge silently). */
#define POOL_ASSERT(l, pi, cond)                                             \
    do {                                                                     \
        if (!(cond)) {                                                       \
            poolPanic((l), (pi), #cond, __FILE__, __LINE__);                 \
        }                                                                    \
    } while (0)

static void poolPanic(const struct ledger *l, uint32_t pi, const char *what,
                      const char *file, int line)
{
    const struct pool *p = &l->pools[pi];
    fprintf(stderr,
            "%s:%d: ledger invariant broken in pool %.*s: %s "
            "(time %llu)\n",
            file, line, (int)p->id_len, p->id, what,
            (unsigned long long)l->time_ms);
    abort();
}

void *ledger__realloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL && n > 0) {
        /* See ledger.h: a replica cannot refuse what the others applied. */
        fprintf(stderr, "ledger: out of memory (%zu bytes)\n", n);
        abort();
    }
    return q;
}

/* ---- hash tables ---------------------------------------------------------- */

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

/* ---- interned names ---------------------------------------------------- */

static bool poolIdEq(const struct ledger *l, uint32_t pi, const char *s,
                     size_t len)
{
    const struct pool *p = &l->pools[pi];
    return p->id_len == len && memcmp(p->id, s, len) == 0;
}

static bool patientEq(const struct ledger *l, uint32_t pi, const char *s,
                      size_t len)
{
    const struct patient *p = &l->patients[pi];
    return p->key_len == len && memcmp(l->pkeys + p->key_off, s, len) == 0;
}

/* Lookup in a string-keyed table: several names may share a hash. */
struct strKey {
    const struct ledger *l;
    const char *s;
    size_t len;
    bool (*eq)(const struct ledger *, uint32_t, const char *, size_t);
};

static bool strMatch(const void *ctx, uint32_t val)
{
    const struct strKey *k = ctx;
    return k->eq(k->l, val, k->s, k->len);
}

static uint32_t strFind(const struct ledger *l, const struct htab *t,
                        const char *s, size_t len,
                        bool (*eq)(const struct ledger *, uint32_t,
                                   const char *, size_t))
{
    if (t->count == 0) {
        return NONE;
    }
    struct strKey k = {l, s, len, eq};
    return ledger__htab_find(t, slot_hash64(s, len, 0), strMatch, &k);
}

uint32_t ledger__pool_find(const struct ledger *l, const char *id, size_t len)
{
    return strFind(l, &l->pool_index, id, len, poolIdEq);
}

uint32_t ledger__patient_find(const struct ledger *l, const char *key,
                              size_t len)
{
    return strFind(l, &l->patient_index, key, len, patientEq);
}

uint32_t ledger__channel_find(const struct ledger *l, const char *name,
                              size_t len)
{
    /* At most LEDGER_CHANNELS_MAX short names: a scan beats a table. */
    for (uint32_t i = 0; i < l->n_channels; i++) {
        if (l->channel_len[i] == len && memcmp(l->channels[i], name, len) == 0) {
            return i;
        }
    }
    return NONE;
}

uint32_t ledger__pool_add(struct ledger *l, const char *id, size_t len)
{
    assert(len >= 1 && len <= SLOT_POOL_ID_MAX);
    assert(l->n_pools < LEDGER_POOLS_MAX);
    uint32_t pi = l->n_pools++;
    LEDGER_GROW(l->pools, l->pools_cap, pi);
    struct pool *p = &l->pools[pi];
    memset(p, 0, sizeof *p);
    memcpy(p->id, id, len);
    p->id_len = (uint8_t)len;
    ledger__htab_put(&l->pool_index, slot_hash64(id, len, 0), pi);
    return pi;
}

uint32_t ledger__patient_add(struct ledger *l, const char *key, size_t len)
{
    assert(len >= 1 && len <= SLOT_PATIENT_KEY_MAX);
    assert(l->n_patients < LEDGER_PATIENTS_MAX);
    uint32_t pi = l->n_patients++;
    LEDGER_GROW(l->patients, l->patients_cap, pi);
    LEDGER_GROW(l->pkeys, l->pkeys_cap, l->pkeys_len + (uint32_t)len);
    l->patients[pi].key_off = l->pkeys_len;
    l->patients[pi].key_len = (uint8_t)len;
    memcpy(l->pkeys + l->pkeys_len, key, len);
    l->pkeys_len += (uint32_t)len;
    ledger__htab_put(&l->patient_index, slot_hash64(key, len, 0), pi);
    return pi;
}

uint32_t ledger__channel_add(struct ledger *l, const char *name, size_t len)
{
    assert(len >= 1 && len <= SLOT_CHANNEL_MAX);
    assert(l->n_channels < LEDGER_CHANNELS_MAX);
    uint32_t ci = l->n_channels++;
    memcpy(l->channels[ci], name, len);
    l->channel_len[ci] = (uint8_t)len;
    return ci;
}

static uint32_t channelIntern(struct ledger *l, struct slot_str name)
{
    uint32_t ci = ledger__channel_find(l, name.p, name.len);
    return ci != NONE ? ci : ledger__channel_add(l, name.p, name.len);
}

int ledger__share_of(const struct pool *p, uint32_t channel)
{
    for (int i = 0; i < p->n_shares; i++) {
        if (p->shares[i].channel == channel) {
            return i;
        }
    }
    return -1;
}

struct bucket *ledger__claim_bucket(struct ledger *l, const struct claim *c)
{
    struct pool *p = &l->pools[c->pool];
    if (!c->from_share) {
        return &p->rem;
    }
    int s = ledger__share_of(p, c->channel);
    POOL_ASSERT(l, c->pool, s >= 0);
    return &p->shares[s];
}

/* ---- claims, expiry heap, retained FIFO ------------------------------------ */

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
    l->claims[ci].link = NONE;
    return ci;
}

uint32_t ledger__payref_alloc(struct ledger *l, const char *s, size_t len)
{
    assert(len <= SLOT_PAYMENT_REF_MAX);
    uint32_t pi;
    if (l->payrefs_free != NONE) {
        pi = l->payrefs_free;
        memcpy(&l->payrefs_free, l->payrefs[pi].s, sizeof l->payrefs_free);
    } else {
        pi = l->payrefs_len++;
        LEDGER_GROW(l->payrefs, l->payrefs_cap, pi);
    }
    memcpy(l->payrefs[pi].s, s, len);
    l->payrefs[pi].len = (uint8_t)len;
    return pi;
}

static void payrefFree(struct ledger *l, uint32_t pi)
{
    /* The free list runs through the first bytes of the unused entry. */
    memcpy(l->payrefs[pi].s, &l->payrefs_free, sizeof l->payrefs_free);
    l->payrefs[pi].len = 0;
    l->payrefs_free = pi;
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

void ledger__heap_push(struct ledger *l, uint32_t ci)
{
    LEDGER_GROW(l->heap, l->heap_cap, l->heap_len);
    uint32_t pos = l->heap_len++;
    l->heap[pos] = ci;
    heapUp(l, pos);
}

static void heapRemove(struct ledger *l, uint32_t ci)
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

static uint64_t ppKey(uint32_t pool, uint32_t patient)
{
    return (uint64_t)pool << 32 | patient;
}

static void bucketAssert(const struct ledger *l, uint32_t pi,
                         const struct bucket *b)
{
    POOL_ASSERT(l, pi, b->free + b->held + b->booked == b->capacity);
}

/* HELD -> RELEASED / EXPIRED, or BOOKED -> CANCELLED: the slot is free
 * again and the claim moves to the retained FIFO. */
static void claimResolve(struct ledger *l, uint32_t ci, uint8_t state)
{
    struct claim *c = &l->claims[ci];
    struct bucket *b = ledger__claim_bucket(l, c);
    if (c->state == SLOT_CLAIM_HELD) {
        assert(state == SLOT_CLAIM_RELEASED || state == SLOT_CLAIM_EXPIRED);
        heapRemove(l, ci);
        POOL_ASSERT(l, c->pool, b->held > 0);
        b->held--;
        l->n_held--;
    } else {
        assert(c->state == SLOT_CLAIM_BOOKED && state == SLOT_CLAIM_CANCELLED);
        POOL_ASSERT(l, c->pool, b->booked > 0);
        b->booked--;
        l->n_booked--;
    }
    b->free++;
    bucketAssert(l, c->pool, b);
    ledger__htab_del(&l->pp_index, ppKey(c->pool, c->patient), ci);
    c->state = state;
    c->resolved_at_ms = l->time_ms;
    ledger__retain_push(l, ci);
}

/* A retained claim leaves the ledger: its id becomes unknown. */
static void claimForget(struct ledger *l, uint32_t ci)
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
    c->state = 0;
    c->link = l->claims_free;
    l->claims_free = ci;
}

/* ---- sessions ------------------------------------------------------------- */

static void lruUnlink(struct ledger *l, uint32_t si)
{
    struct session *s = &l->sessions[si];
    if (s->prev != NONE) {
        l->sessions[s->prev].next = s->next;
    } else {
        l->lru_head = s->next;
    }
    if (s->next != NONE) {
        l->sessions[s->next].prev = s->prev;
    } else {
        l->lru_tail = s->prev;
    }
}

static void lruAppend(struct ledger *l, uint32_t si)
{
    struct session *s = &l->sessions[si];
    s->prev = l->lru_tail;
    s->next = NONE;
    if (l->lru_tail != NONE) {
        l->sessions[l->lru_tail].next = si;
    } else {
        l->lru_head = si;
    }
    l->lru_tail = si;
}

uint32_t ledger__session_alloc(struct ledger *l, uint64_t id,
                               uint64_t last_used_ms)
{
    uint32_t si;
    if (l->sessions_free != NONE) {
        si = l->sessions_free;
        l->sessions_free = l->sessions[si].next;
    } else {
        si = l->sessions_len++;
        LEDGER_GROW(l->sessions, l->sessions_cap, si);
    }
    struct session *s = &l->sessions[si];
    s->id = id;
    s->last_used_ms = last_used_ms;
    s->max_seq = 0;
    s->ring = ledger__realloc(NULL, SLOT_SESSION_WINDOW * sizeof *s->ring);
    memset(s->ring, 0, SLOT_SESSION_WINDOW * sizeof *s->ring);
    lruAppend(l, si);
    ledger__htab_put(&l->session_index, id, si);
    l->n_sessions++;
    return si;
}

static void sessionForget(struct ledger *l, uint32_t si)
{
    struct session *s = &l->sessions[si];
    lruUnlink(l, si);
    ledger__htab_del(&l->session_index, s->id, si);
    free(s->ring);
    s->ring = NULL;
    s->id = 0;
    s->next = l->sessions_free;
    l->sessions_free = si;
    l->n_sessions--;
}

/* ---- idempotency keys ------------------------------------------------------ */

uint64_t ledger__idem_hash(struct slot_str channel, struct slot_str key)
{
    return slot_hash64(key.p, key.len, slot_hash64(channel.p, channel.len, 0));
}

struct idemKey {
    const struct ledger *l;
    struct slot_str channel, key;
};

static bool idemMatch(const void *ctx, uint32_t val)
{
    const struct idemKey *k = ctx;
    const struct idem *e = &k->l->idems[val];
    return e->channel_len == k->channel.len && e->key_len == k->key.len &&
           memcmp(e->channel, k->channel.p, k->channel.len) == 0 &&
           memcmp(e->key, k->key.p, k->key.len) == 0;
}

uint32_t ledger__idem_find(const struct ledger *l, struct slot_str channel,
                           struct slot_str key)
{
    if (l->idem_index.count == 0) {
        return NONE;
    }
    struct idemKey k = {l, channel, key};
    return ledger__htab_find(&l->idem_index, ledger__idem_hash(channel, key),
                             idemMatch, &k);
}

void ledger__idem_add(struct ledger *l, struct slot_str channel,
                      struct slot_str key, uint64_t fingerprint,
                      const struct slot_result *r)
{
    assert(channel.len <= SLOT_CHANNEL_MAX && key.len <= SLOT_IDEM_KEY_MAX);
    uint32_t ii;
    if (l->idems_free != NONE) {
        ii = l->idems_free;
        l->idems_free = l->idems[ii].link;
    } else {
        ii = l->idems_len++;
        LEDGER_GROW(l->idems, l->idems_cap, ii);
    }
    struct idem *e = &l->idems[ii];
    memset(e, 0, sizeof *e);
    memcpy(e->channel, channel.p, channel.len);
    memcpy(e->key, key.p, key.len);
    e->channel_len = (uint8_t)channel.len;
    e->key_len = (uint8_t)key.len;
    e->fingerprint = fingerprint;
    e->r = *r;
    e->link = NONE;
    if (l->idem_tail == NONE) {
        l->idem_head = ii;
    } else {
        l->idems[l->idem_tail].link = ii;
    }
    l->idem_tail = ii;
    l->n_idems++;
    ledger__htab_put(&l->idem_index, ledger__idem_hash(channel, key), ii);
}

static void idemForgetOldest(struct ledger *l)
{
    uint32_t ii = l->idem_head;
    struct idem *e = &l->idems[ii];
    struct slot_str ch = {e->channel, e->channel_len};
    struct slot_str key = {e->key, e->key_len};
    ledger__htab_del(&l->idem_index, ledger__idem_hash(ch, key), ii);
    l->idem_head = e->link;
    if (l->idem_head == NONE) {
        l->idem_tail = NONE;
    }
    l->n_idems--;
    e->key_len = 0;
    e->link = l->idems_free;
    l->idems_free = ii;
}

/* Bounded housekeeping before each command (ledger.h, "Exact rules"). */
static void evictBounded(struct ledger *l)
{
    for (int i = 0; i < SLOT_SESSION_EVICT_PER_CMD; i++) {
        uint32_t si = l->lru_head;
        if (si == NONE) {
            break;
        }
        const struct session *s = &l->sessions[si];
        if (l->n_sessions <= l->config.session_max &&
            s->last_used_ms + l->config.session_idle_ms > l->time_ms) {
            break;
        }
        sessionForget(l, si);
    }
    for (int i = 0; i < SLOT_RETAIN_EVICT_PER_CMD; i++) {
        uint32_t ci = l->ret_head;
        if (ci == NONE) {
            break;
        }
        if (l->n_retained <= l->config.retain_max &&
            l->claims[ci].resolved_at_ms + l->config.retain_ms > l->time_ms) {
            break;
        }
        claimForget(l, ci);
    }
    for (int i = 0; i < SLOT_RETAIN_EVICT_PER_CMD && l->idem_head != NONE; i++) {
        const struct idem *e = &l->idems[l->idem_head];
        if (l->n_idems <= LEDGER_IDEM_MAX &&
            e->r.time_ms + l->config.retain_ms > l->time_ms) {
            break;
        }
        idemForgetOldest(l);
    }
}

/* ---- commands ------------------------------------------------------------- */

static uint32_t claimFind(const struct ledger *l, uint64_t id)
{
    return ledger__htab_get(&l->claim_index, id);
}

static bool claimDue(const struct ledger *l, const struct claim *c)
{
    return c->state == SLOT_CLAIM_HELD && c->deadline_ms <= l->time_ms;
}

static int sessionOpen(struct ledger *l, struct slot_result *res)
{
    if (l->n_sessions >= l->config.session_max) {
        sessionForget(l, l->lru_head);
    }
    uint64_t id = l->next_session_id++;
    ledger__session_alloc(l, id, l->time_ms);
    res->a = id;
    return SLOT_OK;
}

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
        out[i] = channelIntern(l, sp->shares[i].channel);
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

static int poolCreate(struct ledger *l, const struct slot_pool_spec *sp)
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

static int poolUpdate(struct ledger *l, const struct slot_pool_spec *sp)
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

static int poolClose(struct ledger *l, struct slot_str id)
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

static int hold(struct ledger *l, const struct slot_cmd *cmd,
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
        uint32_t prev = ledger__htab_get(&l->pp_index, ppKey(pi, patient));
        if (prev != NONE) {
            if (!claimDue(l, &l->claims[prev])) {
                return SLOT_PATIENT_HAS_CLAIM;
            }
            claimResolve(l, prev, SLOT_CLAIM_EXPIRED);
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
    bucketAssert(l, pi, b);
    l->n_held++;
    ledger__heap_push(l, ci);
    ledger__htab_put(&l->claim_index, c->id, ci);
    ledger__htab_put(&l->pp_index, ppKey(pi, patient), ci);
    res->a = c->id;
    res->b = c->deadline_ms;
    return SLOT_OK;
}

/* Shared refusals of CONFIRM and RELEASE; expires a due hold on the way.
 * Returns SLOT_OK when the claim is HELD and before its deadline. */
static int heldCheck(struct ledger *l, uint64_t id, uint32_t *out)
{
    uint32_t ci = claimFind(l, id);
    if (ci == NONE) {
        return SLOT_UNKNOWN_HOLD;
    }
    struct claim *c = &l->claims[ci];
    switch (c->state) {
        case SLOT_CLAIM_HELD:
            if (claimDue(l, c)) {
                /* Refused even if no sweep has run: the deadline is
                 * judged against ledger time only. */
                claimResolve(l, ci, SLOT_CLAIM_EXPIRED);
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

static int confirm(struct ledger *l, const struct slot_cmd *cmd,
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
    heapRemove(l, ci);
    c->state = SLOT_CLAIM_BOOKED;
    c->booked_at_ms = l->time_ms;
    c->visit_no = p->next_visit_no++;
    c->payref = ledger__payref_alloc(l, cmd->u.confirm.payment_ref.p,
                                     cmd->u.confirm.payment_ref.len);
    b->held--;
    b->booked++;
    bucketAssert(l, c->pool, b);
    l->n_held--;
    l->n_booked++;
    res->a = c->id;
    res->b = c->visit_no;
    return SLOT_OK;
}

static int release(struct ledger *l, uint64_t id)
{
    uint32_t ci;
    int rc = heldCheck(l, id, &ci);
    if (rc != SLOT_OK) {
        return rc;
    }
    claimResolve(l, ci, SLOT_CLAIM_RELEASED);
    return SLOT_OK;
}

static int cancel(struct ledger *l, uint64_t id)
{
    uint32_t ci = claimFind(l, id);
    if (ci == NONE) {
        return SLOT_UNKNOWN_BOOKING;
    }
    switch (l->claims[ci].state) {
        case SLOT_CLAIM_BOOKED:
            claimResolve(l, ci, SLOT_CLAIM_CANCELLED);
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

static int expire(struct ledger *l, uint32_t max, struct slot_result *res)
{
    uint32_t n = 0;
    while (n < max && l->heap_len > 0 &&
           l->claims[l->heap[0]].deadline_ms <= l->time_ms) {
        claimResolve(l, l->heap[0], SLOT_CLAIM_EXPIRED);
        n++;
    }
    res->a = n;
    res->b = dueCount(l, SLOT_EXPIRE_DUE_COUNT_MAX);
    return SLOT_OK;
}

static int run(struct ledger *l, const struct slot_cmd *cmd,
               struct slot_result *res)
{
    switch (cmd->op) {
        case SLOT_OP_SESSION_OPEN:
            return sessionOpen(l, res);
        case SLOT_OP_CONFIG:
            l->config = cmd->u.config;
            return SLOT_OK;
        case SLOT_OP_POOL_CREATE:
            return poolCreate(l, &cmd->u.pool);
        case SLOT_OP_POOL_UPDATE:
            return poolUpdate(l, &cmd->u.pool);
        case SLOT_OP_POOL_CLOSE:
            return poolClose(l, cmd->u.close.pool);
        case SLOT_OP_HOLD:
            return hold(l, cmd, res);
        case SLOT_OP_CONFIRM:
            return confirm(l, cmd, res);
        case SLOT_OP_RELEASE:
            return release(l, cmd->u.release.hold);
        case SLOT_OP_CANCEL:
            return cancel(l, cmd->u.cancel.booking);
        case SLOT_OP_EXPIRE:
            return expire(l, cmd->u.expire.max, res);
    }
    assert(0 && "op not validated by the decoder");
    return SLOT_UNKNOWN_OP;
}

/* A command with an idempotency key: the remembered answer, or run it and
 * remember (ledger.h, "Exact rules"). */
static void idemRun(struct ledger *l, const struct slot_cmd *cmd,
                    struct slot_result *res)
{
    uint32_t ii = ledger__idem_find(l, cmd->idem.channel, cmd->idem.key);
    if (ii != NONE) {
        if (l->idems[ii].fingerprint == cmd->idem.fingerprint) {
            *res = l->idems[ii].r;
        } else {
            res->code = SLOT_REQUEST_MISMATCH;
        }
        return;
    }
    res->code = (uint16_t)run(l, cmd, res);
    ledger__idem_add(l, cmd->idem.channel, cmd->idem.key, cmd->idem.fingerprint,
                     res);
}

/* Results that fell out of the window are unreachable (REQUEST_TOO_OLD is
 * answered first) but would still be snapshotted and hashed: forget them,
 * so the state is exactly "the window". O(window) per advance. */
static void sessionDropOld(struct session *s)
{
    if (s->max_seq < SLOT_SESSION_WINDOW) {
        return;
    }
    uint64_t oldest = s->max_seq - SLOT_SESSION_WINDOW;
    for (uint32_t i = 0; i < SLOT_SESSION_WINDOW; i++) {
        if (s->ring[i].seq != 0 && s->ring[i].seq <= oldest) {
            memset(&s->ring[i], 0, sizeof s->ring[i]);
        }
    }
}

static void applyOne(struct ledger *l, const struct slot_cmd *cmd,
                     struct slot_result *res)
{
    memset(res, 0, sizeof *res);
    res->time_ms = l->time_ms;
    evictBounded(l);
    if (cmd->op == SLOT_OP_SESSION_OPEN || cmd->op == SLOT_OP_EXPIRE) {
        res->code = (uint16_t)run(l, cmd, res);
        return;
    }
    uint32_t si = ledger__htab_get(&l->session_index, cmd->session);
    if (si == NONE) {
        res->code = SLOT_SESSION_UNKNOWN;
        return;
    }
    struct session *s = &l->sessions[si];
    s->last_used_ms = l->time_ms;
    lruUnlink(l, si);
    lruAppend(l, si);
    if (s->max_seq >= SLOT_SESSION_WINDOW &&
        cmd->seq <= s->max_seq - SLOT_SESSION_WINDOW) {
        res->code = SLOT_REQUEST_TOO_OLD;
        return;
    }
    struct sres *slot = &s->ring[cmd->seq % SLOT_SESSION_WINDOW];
#ifdef SLOT_TEST_BUG_NO_SESSIONS
    /* Deliberately broken test build (jepsen-tests' tests of the tests): a
     * retried request runs again instead of getting its stored result.
     * Never defined in a normal build. */
    slot->seq = 0;
#endif
    if (slot->seq == cmd->seq) {
        if (slot->fingerprint == cmd->fingerprint) {
            *res = slot->r;
        } else {
            res->code = SLOT_REQUEST_MISMATCH;
        }
        return;
    }
    if (cmd->idem.key.len > 0) {
        idemRun(l, cmd, res);
    } else {
        res->code = (uint16_t)run(l, cmd, res);
    }
    slot->seq = cmd->seq;
    slot->fingerprint = cmd->fingerprint;
    slot->r = *res;
    if (cmd->seq > s->max_seq) {
        s->max_seq = cmd->seq;
        sessionDropOld(s);
    }
}

void ledger_apply(struct ledger *l, uint64_t stamp_ms,
                  const struct slot_cmd *cmds, uint32_t n,
                  struct slot_result *results)
{
    assert(n <= SLOT_BATCH_CMDS_MAX);
    if (stamp_ms > l->time_ms) {
        l->time_ms = stamp_ms;
    }
    for (uint32_t i = 0; i < n; i++) {
        applyOne(l, &cmds[i], &results[i]);
    }
}

/* ---- life cycle ------------------------------------------------------------ */

struct ledger *ledger_create(void)
{
    struct ledger *l = calloc(1, sizeof *l);
    if (l == NULL) {
        return NULL;
    }
    l->next_claim_id = 1;
    l->next_session_id = 1;
    l->config.hold_ttl_min_ms = LEDGER_DEFAULT_TTL_MIN_MS;
    l->config.hold_ttl_max_ms = LEDGER_DEFAULT_TTL_MAX_MS;
    l->config.session_max = LEDGER_DEFAULT_SESSION_MAX;
    l->config.session_idle_ms = LEDGER_DEFAULT_SESSION_IDLE_MS;
    l->config.retain_ms = LEDGER_DEFAULT_RETAIN_MS;
    l->config.retain_max = LEDGER_DEFAULT_RETAIN_MAX;
    l->claims_free = NONE;
    l->payrefs_free = NONE;
    l->sessions_free = NONE;
    l->ret_head = l->ret_tail = NONE;
    l->lru_head = l->lru_tail = NONE;
    l->idems_free = NONE;
    l->idem_head = l->idem_tail = NONE;
    return l;
}

void ledger_destroy(struct ledger *l)
{
    if (l == NULL) {
        return;
    }
    for (uint32_t i = 0; i < l->sessions_len; i++) {
        free(l->sessions[i].ring);
    }
    free(l->sessions);
    free(l->pools);
    free(l->patients);
    free(l->pkeys);
    free(l->claims);
    free(l->heap);
    free(l->payrefs);
    free(l->idems);
    ledger__htab_free(&l->idem_index);
    ledger__htab_free(&l->pool_index);
    ledger__htab_free(&l->patient_index);
    ledger__htab_free(&l->claim_index);
    ledger__htab_free(&l->pp_index);
    ledger__htab_free(&l->session_index);
    free(l);
}

uint64_t ledger_time_ms(const struct ledger *l)
{
    return l->time_ms;
}

uint64_t ledger_next_deadline_ms(const struct ledger *l)
{
    return l->heap_len == 0 ? UINT64_MAX : l->claims[l->heap[0]].deadline_ms;
}

size_t ledger_memory_bytes(const struct ledger *l)
{
    const struct htab *tabs[] = {&l->pool_index,  &l->patient_index,
                                 &l->claim_index, &l->pp_index,
                                 &l->session_index, &l->idem_index};
    size_t n = sizeof *l;
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        n += ((size_t)tabs[i]->cap + tabs[i]->old_cap) *
             (sizeof(uint64_t) + sizeof(uint32_t));
    }
    n += (size_t)l->pools_cap * sizeof *l->pools;
    n += (size_t)l->patients_cap * sizeof *l->patients + l->pkeys_cap;
    n += (size_t)l->claims_cap * sizeof *l->claims;
    n += (size_t)l->heap_cap * sizeof *l->heap;
    n += (size_t)l->payrefs_cap * sizeof *l->payrefs;
    n += (size_t)l->idems_cap * sizeof *l->idems;
    n += (size_t)l->sessions_cap * sizeof *l->sessions;
    n += (size_t)l->n_sessions * SLOT_SESSION_WINDOW * sizeof(struct sres);
    return n;
}

/* ---- reads ----------------------------------------------------------------- */

static void bucketOut(const struct ledger *l, const struct bucket *b,
                      bool share, struct slot_bucket *out)
{
    memset(out, 0, sizeof *out);
    if (share) {
        memcpy(out->channel, l->channels[b->channel],
               l->channel_len[b->channel]);
    }
    out->capacity = b->capacity;
    out->free = b->free;
    out->held = b->held;
    out->booked = b->booked;
}

static void poolStatus(const struct ledger *l, uint32_t pi,
                       struct slot_pool_status *out)
{
    const struct pool *p = &l->pools[pi];
    memset(out, 0, sizeof *out);
    memcpy(out->pool, p->id, p->id_len);
    out->kind = p->kind;
    out->state = p->closed                         ? SLOT_PSTATE_CLOSED
                 : l->time_ms < p->release_at_ms ? SLOT_PSTATE_SCHEDULED
                                                 : SLOT_PSTATE_OPEN;
    out->capacity = p->capacity;
    out->fee_cents = p->fee_cents;
    out->seg_start_ms = p->seg_start_ms;
    out->seg_end_ms = p->seg_end_ms;
    out->release_at_ms = p->release_at_ms;
    out->next_visit_no = p->next_visit_no;
    out->n_shares = p->n_shares;
    for (uint32_t i = 0; i < p->n_shares; i++) {
        bucketOut(l, &p->shares[i], true, &out->shares[i]);
    }
    bucketOut(l, &p->rem, false, &out->remainder);
    const struct slot_bucket *all = out->shares;
    for (uint32_t i = 0; i <= p->n_shares; i++) {
        const struct slot_bucket *b = i < p->n_shares ? &all[i] : &out->remainder;
        out->free += b->free;
        out->held += b->held;
        out->booked += b->booked;
    }
}

int ledger_read_pool(const struct ledger *l, struct slot_str pool,
                     struct slot_pool_status *out)
{
    uint32_t pi = ledger__pool_find(l, pool.p, pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    poolStatus(l, pi, out);
    return SLOT_OK;
}

static void claimOut(const struct ledger *l, const struct claim *c,
                     struct slot_claim *out)
{
    const struct pool *p = &l->pools[c->pool];
    const struct patient *pt = &l->patients[c->patient];
    memset(out, 0, sizeof *out);
    out->id = c->id;
    out->state = claimDue(l, c) ? SLOT_CLAIM_EXPIRED : c->state;
    memcpy(out->pool, p->id, p->id_len);
    memcpy(out->patient, l->pkeys + pt->key_off, pt->key_len);
    memcpy(out->channel, l->channels[c->channel], l->channel_len[c->channel]);
    out->held_at_ms = c->held_at_ms;
    out->deadline_ms = c->deadline_ms;
    out->booked_at_ms = c->booked_at_ms;
    out->resolved_at_ms = c->resolved_at_ms;
    out->visit_no = c->visit_no;
    if (c->payref != NONE) {
        memcpy(out->payment_ref, l->payrefs[c->payref].s,
               l->payrefs[c->payref].len);
    }
}

int ledger_read_claim(const struct ledger *l, uint64_t id, bool booking,
                      struct slot_claim *out)
{
    uint32_t ci = claimFind(l, id);
    if (ci == NONE || (booking && l->claims[ci].state != SLOT_CLAIM_BOOKED &&
                       l->claims[ci].state != SLOT_CLAIM_CANCELLED)) {
        return booking ? SLOT_UNKNOWN_BOOKING : SLOT_UNKNOWN_HOLD;
    }
    claimOut(l, &l->claims[ci], out);
    return SLOT_OK;
}

int ledger_read_patient(const struct ledger *l, struct slot_str pool,
                        struct slot_str patient, struct slot_claim *out,
                        uint32_t cap, uint32_t *n)
{
    *n = 0;
    uint32_t pi = ledger__pool_find(l, pool.p, pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    uint32_t pt = ledger__patient_find(l, patient.p, patient.len);
    uint32_t ci = pt == NONE ? NONE : ledger__htab_get(&l->pp_index, ppKey(pi, pt));
    /* A hold past its deadline is no longer active, swept or not. */
    if (ci != NONE && cap > 0 && !claimDue(l, &l->claims[ci])) {
        claimOut(l, &l->claims[ci], &out[0]);
        *n = 1;
    }
    return SLOT_OK;
}

int ledger_read_pools(const struct ledger *l, struct slot_str after,
                      uint32_t limit, struct slot_pool_status *out,
                      uint32_t *n)
{
    uint32_t start = 0;
    *n = 0;
    if (after.len > 0) {
        uint32_t pi = ledger__pool_find(l, after.p, after.len);
        if (pi == NONE) {
            return SLOT_UNKNOWN_POOL;
        }
        start = pi + 1;
    }
    for (uint32_t pi = start; pi < l->n_pools && *n < limit; pi++) {
        poolStatus(l, pi, &out[(*n)++]);
    }
    return SLOT_OK;
}

void ledger_info(const struct ledger *l, struct slot_ledger_info *out)
{
    memset(out, 0, sizeof *out);
    out->time_ms = l->time_ms;
    out->state_hash = ledger_state_hash(l);
    out->pools = l->n_pools;
    out->patients = l->n_patients;
    out->channels = l->n_channels;
    out->sessions = l->n_sessions;
    out->holds_active = l->n_held;
    out->bookings_active = l->n_booked;
    out->retained = l->n_retained;
    out->config = l->config;
}

int ledger_read(const struct ledger *l, const struct slot_read *rd,
                struct mp_buf *out)
{
    int rc = SLOT_OK;
    switch (rd->op) {
        case SLOT_READ_POOL: {
            struct slot_pool_status st;
            rc = ledger_read_pool(l, rd->pool, &st);
            if (rc == SLOT_OK) {
                slot_pool_status_encode(out, &st);
            }
            return rc;
        }
        case SLOT_READ_HOLD:
        case SLOT_READ_BOOKING: {
            struct slot_claim c;
            rc = ledger_read_claim(l, rd->id, rd->op == SLOT_READ_BOOKING, &c);
            if (rc == SLOT_OK) {
                slot_claim_encode(out, &c);
            }
            return rc;
        }
        case SLOT_READ_PATIENT: {
            struct slot_claim c;
            uint32_t n;
            rc = ledger_read_patient(l, rd->pool, rd->patient, &c, 1, &n);
            if (rc == SLOT_OK) {
                mp_pack_array(out, n);
                if (n == 1) {
                    slot_claim_encode(out, &c);
                }
            }
            return rc;
        }
        case SLOT_READ_POOLS: {
            struct slot_pool_status *st =
                ledger__realloc(NULL, rd->limit * sizeof *st);
            uint32_t n;
            rc = ledger_read_pools(l, rd->pool, rd->limit, st, &n);
            if (rc == SLOT_OK) {
                mp_pack_array(out, n);
                for (uint32_t i = 0; i < n; i++) {
                    slot_pool_status_encode(out, &st[i]);
                }
            }
            free(st);
            return rc;
        }
        case SLOT_READ_LEDGER: {
            struct slot_ledger_info info;
            ledger_info(l, &info);
            slot_ledger_info_encode(out, &info);
            return SLOT_OK;
        }
    }
    return SLOT_UNKNOWN_OP;
}
