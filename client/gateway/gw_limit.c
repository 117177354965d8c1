/* gw_limit: token buckets per patient (see gw_limit.h). */
#include "gw_limit.h"

#include <stdlib.h>

#define WAYS 4

int gw_limiter_init(struct gw_limiter *l, uint32_t rate_per_s, uint32_t burst,
                    size_t entries, uint64_t seed)
{
    l->rate_per_s = rate_per_s;
    l->burst = burst > 0 ? burst : 1;
    l->seed = seed;
    l->t = NULL;
    l->mask = 0;
    if (rate_per_s == 0) {
        return 0;
    }
    size_t sets = 1;
    while (sets * WAYS < entries) {
        sets *= 2;
    }
    l->t = calloc(sets * WAYS, sizeof *l->t);
    if (l->t == NULL) {
        return -1;
    }
    l->mask = sets - 1;
    return 0;
}

void gw_limiter_free(struct gw_limiter *l)
{
    free(l->t);
    l->t = NULL;
}

/* FNV-1a over the key, started from the secret seed, then a splitmix64
 * finaliser: a client cannot aim many patient keys at one set without
 * knowing the seed. */
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

/* Tokens are kept in thousandths so that sub-second refills add up without
 * floating point. */
bool gw_limiter_take(struct gw_limiter *l, const char *key, size_t len,
                     uint64_t now_ms, uint64_t *retry_ms)
{
    if (l->rate_per_s == 0) {
        return true;
    }
    uint64_t h = hashKey(l->seed, key, len);
    struct gw_bucket *set = &l->t[(h & l->mask) * WAYS];
    struct gw_bucket *b = NULL;
    struct gw_bucket *victim = &set[0];
    for (int i = 0; i < WAYS && b == NULL; i++) {
        if (set[i].key == h) {
            b = &set[i];
        } else if (set[i].key == 0 ||
                   (victim->key != 0 && set[i].stamp_ms < victim->stamp_ms)) {
            victim = &set[i];
        }
    }
    uint64_t full = (uint64_t)l->burst * 1000;
    if (b == NULL) {
        b = victim;
        b->key = h;
        b->stamp_ms = now_ms;
        b->milli = full;
    }
    if (now_ms > b->stamp_ms) {
        /* rate_per_s tokens per second = rate_per_s milli-tokens per ms. */
        uint64_t add = (now_ms - b->stamp_ms) * l->rate_per_s;
        b->milli = add >= full - b->milli ? full : b->milli + add;
        b->stamp_ms = now_ms;
    }
    if (b->milli >= 1000) {
        b->milli -= 1000;
        return true;
    }
    *retry_ms = (1000 - b->milli + l->rate_per_s - 1) / l->rate_per_s;
    return false;
}
