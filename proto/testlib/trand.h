/* trand: the seeded PRNG of tests, the simulation, slotbench and
 * jepsen-tests: xorshift64* seeded through splitmix64. Header-only, no
 * global state: each user keeps its own `struct trand` (one per thread or
 * worker), so a seed replays the same run.
 *
 * Not for anything a scalper could exploit: the ledger's unpredictable
 * choices come from a keyed hash of replicated state, never from here. */
#ifndef SLOT_TRAND_H
#define SLOT_TRAND_H

#include <stdint.h>

struct trand {
    uint64_t s; /* never 0 */
};

/* splitmix64: spreads any seed (0, 1, 2, ...) into a good starting state. */
static inline uint64_t trand_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static inline void trand_seed(struct trand *r, uint64_t seed)
{
    r->s = trand_mix(seed);
    if (r->s == 0) {
        r->s = 0x9e3779b97f4a7c15ull;
    }
}

/* The next 64 random bits. */
static inline uint64_t trand_next(struct trand *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n) (n >= 1; the bias of the modulo is below 2^-32 for
 * the n tests use). */
static inline uint32_t trand_below(struct trand *r, uint32_t n)
{
    return (uint32_t)((trand_next(r) >> 32) % n);
}

/* True with probability pct / 100. */
static inline int trand_pct(struct trand *r, uint32_t pct)
{
    return trand_below(r, 100) < pct;
}

/* Uniform in [0, 1): the top 53 bits, so every double is exact. */
static inline double trand_unit(struct trand *r)
{
    return (double)(trand_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif /* SLOT_TRAND_H */
