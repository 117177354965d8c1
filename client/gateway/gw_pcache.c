/* gw_pcache: the pools' kinds this gateway has seen (see gw_pcache.h). */
#include "gw_pcache.h"

#include <stdlib.h>

#define WAYS 4

int gw_pcache_init(struct gw_pcache *c, size_t entries, uint64_t seed)
{
    size_t sets = 1;
    while (sets * WAYS < entries) {
        sets *= 2;
    }
    c->seed = seed;
    c->mask = sets - 1;
    c->t = calloc(sets * WAYS, sizeof *c->t);
    return c->t != NULL ? 0 : -1;
}

void gw_pcache_free(struct gw_pcache *c)
{
    free(c->t);
    c->t = NULL;
}

/* FNV-1a from a secret seed and a splitmix64 finaliser (as gw_limit.c):
 * pool ids are chosen by operators, but nothing is lost by not letting
 * anyone aim many of them at one set. */
static uint64_t hashKey(uint64_t seed, const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h != 0 ? h : 1;
}

static struct gw_pcache_entry *find(struct gw_pcache *c, uint64_t h)
{
    struct gw_pcache_entry *set = &c->t[(h & c->mask) * WAYS];
    for (int i = 0; i < WAYS; i++) {
        if (set[i].key == h) {
            return &set[i];
        }
    }
    return NULL;
}

int gw_pcache_get(struct gw_pcache *c, const char *pool, size_t len,
                  uint64_t now_ms)
{
    struct gw_pcache_entry *e = find(c, hashKey(c->seed, pool, len));
    if (e == NULL) {
        return -1;
    }
    if (e->scheduled) {
        e->seen_ms = now_ms > e->seen_ms ? now_ms : e->seen_ms;
        return 1;
    }
    return now_ms < e->seen_ms + GW_PCACHE_FREE_MS ? 0 : -1;
}

void gw_pcache_put(struct gw_pcache *c, const char *pool, size_t len,
                   bool scheduled, uint64_t now_ms)
{
    uint64_t h = hashKey(c->seed, pool, len);
    struct gw_pcache_entry *e = find(c, h);
    /* Once scheduled, always: a later read from a lagging node saying
     * otherwise does not undo it. */
    bool was = e != NULL && e->scheduled;
    if (e == NULL) {
        struct gw_pcache_entry *set = &c->t[(h & c->mask) * WAYS];
        e = &set[0];
        for (int i = 1; i < WAYS && e->key != 0; i++) {
            if (set[i].key == 0 || set[i].seen_ms < e->seen_ms) {
                e = &set[i];
            }
        }
    }
    e->key = h;
    e->seen_ms = now_ms;
    e->scheduled = scheduled || was;
}
