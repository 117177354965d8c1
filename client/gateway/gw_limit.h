/* gw_limit: the per-patient rate limit (a token bucket per patient key).
 *
 * Each patient may start `burst` holds at once and then `rate_per_s` per
 * second. Buckets live in a fixed table allocated at init (no growth): 4-way
 * set-associative by a keyed hash of the patient key; when a set is full
 * the least recently used bucket is forgotten (that patient starts again
 * with a full bucket). The table is per gateway process: several gateways
 * each enforce the limit on the requests they see. Pure: time is passed in.
 */
#ifndef GW_LIMIT_H
#define GW_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw_bucket {
    uint64_t key;      /* hash of the patient key; 0: empty */
    uint64_t stamp_ms; /* last refill */
    uint64_t milli;    /* tokens * 1000 */
};

struct gw_limiter {
    uint32_t rate_per_s; /* 0: no limit */
    uint32_t burst;      /* >= 1 */
    uint64_t seed;
    size_t mask;         /* sets - 1 */
    struct gw_bucket *t; /* 4 * sets buckets */
};

/* Allocates a table of at least `entries` buckets (rounded up to a power
 * of two, at least 4). Returns 0, or -1 if out of memory. rate_per_s 0
 * disables the limit (nothing is allocated). */
int gw_limiter_init(struct gw_limiter *l, uint32_t rate_per_s, uint32_t burst,
                    size_t entries, uint64_t seed);
void gw_limiter_free(struct gw_limiter *l);

/* Takes one token for key at time now_ms. True: allowed. False: limited;
 * *retry_ms is when the next token will be there. */
bool gw_limiter_take(struct gw_limiter *l, const char *key, size_t len,
                     uint64_t now_ms, uint64_t *retry_ms);

#endif /* GW_LIMIT_H */
