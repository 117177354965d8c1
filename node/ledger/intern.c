/* intern: pool ids, patient keys and channel names, each interned once
 * into a dense index that claims and buckets refer to. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

/* ---- interned names ---------------------------------------------------- */

static bool poolIdEq(const struct ledger *l, uint32_t pi, const char *s,
                     size_t len)
{
    const struct pool *p = &l->pools[pi];
    return p->id_len == len && memcmp(p->id, s, len) == 0;
}

static bool nameEq(const struct ledger *l, uint32_t ni, const char *s,
                   size_t len)
{
    return l->nlens[ni] == len && memcmp(l->nkeys + l->names[ni], s, len) == 0;
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

static uint32_t
strFind(const struct ledger *l, const struct htab *t, const char *s, size_t len,
        bool (*eq)(const struct ledger *, uint32_t, const char *, size_t))
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

uint32_t ledger__name_find(const struct ledger *l, struct slot_str name)
{
    return strFind(l, &l->name_index, name.p, name.len, nameEq);
}

/* Names live in an append-only arena like patient keys: campuses,
 * departments and doctors are few and never forgotten. */
uint32_t ledger__name_add(struct ledger *l, struct slot_str name)
{
    assert(name.len >= 1 && name.len <= SLOT_NAME_MAX);
    assert(l->n_names < LEDGER_NAMES_MAX);
    uint32_t ni = l->n_names++;
    LEDGER_GROW(l->names, l->names_cap, ni);
    LEDGER_GROW(l->nlens, l->nlens_cap, ni);
    LEDGER_GROW(l->nkeys, l->nkeys_cap, l->nkeys_len + name.len);
    l->names[ni] = l->nkeys_len;
    l->nlens[ni] = (uint8_t)name.len;
    memcpy(l->nkeys + l->nkeys_len, name.p, name.len);
    l->nkeys_len += name.len;
    ledger__htab_put(&l->name_index, slot_hash64(name.p, name.len, 0), ni);
    return ni;
}

uint32_t ledger__name_intern(struct ledger *l, struct slot_str name)
{
    if (name.len == 0) {
        return NONE;
    }
    uint32_t ni = ledger__name_find(l, name);
    return ni != NONE ? ni : ledger__name_add(l, name);
}

struct slot_str ledger__name_str(const struct ledger *l, uint32_t ni)
{
    if (ni == NONE) {
        return (struct slot_str){"", 0};
    }
    return (struct slot_str){l->nkeys + l->names[ni], l->nlens[ni]};
}

struct slot_str ledger__channel_str(const struct ledger *l, uint32_t ci)
{
    return (struct slot_str){l->channels[ci], l->channel_len[ci]};
}

uint32_t ledger__channel_find(const struct ledger *l, const char *name,
                              size_t len)
{
    /* At most LEDGER_CHANNELS_MAX short names: a scan beats a table. */
    for (uint32_t i = 0; i < l->n_channels; i++) {
        if (l->channel_len[i] == len &&
            memcmp(l->channels[i], name, len) == 0) {
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
    l->patients[pi].ext = NONE;
    l->patients[pi].pa_head = NONE;
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

uint32_t ledger__channel_intern(struct ledger *l, struct slot_str name)
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
    int s = ledger__share_of(p, c->bucket);
    POOL_ASSERT(l, c->pool, s >= 0);
    return &p->shares[s];
}

void ledger__copy_str(char *out, struct slot_str s)
{
    memcpy(out, s.p, s.len);
    out[s.len] = '\0';
}
