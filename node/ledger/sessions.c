/* sessions: exactly-once sessions (LRU, result windows), idempotency keys
 * of the HTTP shim, and the bounded housekeeping run before each command
 * (ledger.h, "Exact rules"). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

/* ---- sessions ------------------------------------------------------------ */

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

/* A request of the session: it is now the most recently used. */
void ledger__session_touch(struct ledger *l, uint32_t si)
{
    l->sessions[si].last_used_ms = l->time_ms;
    lruUnlink(l, si);
    lruAppend(l, si);
}

/* Where the result of request `seq` is (or will be) remembered. A separate
 * function, not an inline index, so that jepsen-tests' deliberately broken
 * build can wrap it at link time (test/bug_nosessions.c) without a test
 * switch in this file. */
struct sres *ledger__session_slot(struct session *s, uint64_t seq)
{
    return &s->ring[seq % SLOT_SESSION_WINDOW];
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

struct sessionKey {
    const struct ledger *l;
    uint64_t id;
};

static bool sessionIs(const void *ctx, uint32_t si)
{
    const struct sessionKey *k = ctx;
    return k->l->sessions[si].id == k->id;
}

uint32_t ledger__session_find(const struct ledger *l, uint64_t id)
{
    struct sessionKey k = {l, id};
    return ledger__htab_find(&l->session_index, id, sessionIs, &k);
}

void ledger__session_forget(struct ledger *l, uint32_t si)
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

/* ---- idempotency keys ---------------------------------------------------- */

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
void ledger__evict_bounded(struct ledger *l)
{
    ledger__events_evict(l);
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
        ledger__session_forget(l, si);
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
        ledger__claim_forget(l, ci);
    }
    for (int i = 0; i < SLOT_RETAIN_EVICT_PER_CMD && l->idem_head != NONE;
         i++) {
        const struct idem *e = &l->idems[l->idem_head];
        if (l->n_idems <= LEDGER_IDEM_MAX &&
            e->r.time_ms + l->config.retain_ms > l->time_ms) {
            break;
        }
        idemForgetOldest(l);
    }
}

/* Results that fell out of the window are unreachable (REQUEST_TOO_OLD is
 * answered first) but would still be snapshotted and hashed: forget them,
 * so the state is exactly "the window". O(window) per advance. */
void ledger__session_drop_old(struct session *s)
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
