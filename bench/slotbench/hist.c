/* hist: log-bucketed latency histogram (see hist.h). */
#include "hist.h"

#include <string.h>

_Static_assert(HIST_BUCKETS < 4096, "the histogram stays small");

static uint32_t bucketOf(uint64_t v)
{
    if (v < HIST_SUB) {
        return (uint32_t)v;
    }
    /* e >= HIST_SUB_BITS: position of the top bit. */
    uint32_t e = 63u - (uint32_t)__builtin_clzll(v);
    if (e >= HIST_TOP_BITS) {
        return HIST_BUCKETS - 1;
    }
    uint32_t sub = (uint32_t)(v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1);
    return (e - HIST_SUB_BITS + 1) * HIST_SUB + sub;
}

/* Largest value that maps to bucket i. */
static uint64_t upperOf(uint32_t i)
{
    if (i < HIST_SUB) {
        return i;
    }
    uint32_t e = i / HIST_SUB + HIST_SUB_BITS - 1;
    uint64_t sub = i % HIST_SUB;
    uint64_t lo = (1ull << e) + (sub << (e - HIST_SUB_BITS));
    return lo + (1ull << (e - HIST_SUB_BITS)) - 1;
}

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof *h);
    h->min_ns = UINT64_MAX;
}

void hist_add(struct hist *h, uint64_t ns)
{
    h->b[bucketOf(ns)]++;
    h->count++;
    h->sum_ns += ns;
    if (ns < h->min_ns) {
        h->min_ns = ns;
    }
    if (ns > h->max_ns) {
        h->max_ns = ns;
    }
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        dst->b[i] += src->b[i];
    }
    dst->count += src->count;
    dst->sum_ns += src->sum_ns;
    if (src->min_ns < dst->min_ns) {
        dst->min_ns = src->min_ns;
    }
    if (src->max_ns > dst->max_ns) {
        dst->max_ns = src->max_ns;
    }
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    if (h->count == 0) {
        return 0;
    }
    if (q <= 0) {
        return h->min_ns;
    }
    /* The rank of the value wanted, 1-based; q = 1 is the maximum. */
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank < 1) {
        rank = 1;
    }
    if (rank >= h->count) {
        return h->max_ns;
    }
    uint64_t cum = 0;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        cum += h->b[i];
        if (cum >= rank) {
            uint64_t u = upperOf(i);
            return u > h->max_ns ? h->max_ns : u;
        }
    }
    return h->max_ns;
}

double hist_mean(const struct hist *h)
{
    return h->count ? (double)h->sum_ns / (double)h->count : 0.0;
}

int hist_next(const struct hist *h, uint32_t *i, uint64_t *upper_ns,
              uint64_t *cum)
{
    if (*i == 0) {
        *cum = 0;
    }
    while (*i < HIST_BUCKETS) {
        uint32_t k = (*i)++;
        if (h->b[k] != 0) {
            *cum += h->b[k];
            uint64_t u = upperOf(k);
            *upper_ns = u > h->max_ns ? h->max_ns : u;
            return 1;
        }
    }
    return 0;
}
