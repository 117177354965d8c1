/* gw_pcache: which pools belong to a hospital's schedule, as far as this
 * gateway has seen, so that a hold without "ttl_ms" can be sent with the
 * right one without reading the pool each time.
 *
 * Why the gateway needs to know: a HOLD with ttl_ms 0 gets the hospital's
 * payment window in a scheduled pool, but is refused (TTL_OUT_OF_RANGE) in
 * a free-standing one, where a hold without "ttl_ms" has always had the
 * gateway's limits.hold_ttl_ms. The ledger decides either way; this table
 * only chooses what to send.
 *
 * A pool never stops being scheduled (POOL_UPDATE keeps or replaces its
 * place, never removes it), so a "scheduled" entry stays true; a
 * free-standing pool may be given a place later, so a "free-standing"
 * entry is believed for GW_PCACHE_FREE_MS only. Fixed table allocated at
 * init, 4-way set-associative by a keyed hash of the pool id (like
 * gw_limit.h): a full set forgets its least recently seen entry. Pure:
 * time is passed in.
 */
#ifndef GW_PCACHE_H
#define GW_PCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_PCACHE_FREE_MS 60000 /* how long "free-standing" is believed */

struct gw_pcache_entry {
    uint64_t key;     /* hash of the pool id; 0: empty */
    uint64_t seen_ms; /* when the pool was last seen */
    bool scheduled;
};

struct gw_pcache {
    uint64_t seed;
    size_t mask; /* sets - 1 */
    struct gw_pcache_entry *t;
};

/* Allocates at least `entries` entries (a power of two, at least 4).
 * Returns 0, or -1 if out of memory. */
int gw_pcache_init(struct gw_pcache *c, size_t entries, uint64_t seed);
void gw_pcache_free(struct gw_pcache *c);

/* 1: the pool is scheduled; 0: it was free-standing less than
 * GW_PCACHE_FREE_MS ago; -1: unknown (read it). */
int gw_pcache_get(struct gw_pcache *c, const char *pool, size_t len,
                  uint64_t now_ms);

/* Records what a read (or a create) said about the pool at now_ms. */
void gw_pcache_put(struct gw_pcache *c, const char *pool, size_t len,
                   bool scheduled, uint64_t now_ms);

#endif /* GW_PCACHE_H */
