/* bench_util: the little helpers bench_ledger's parts share (timing, an
 * allocation that exits on failure, a string view, the fixed
 * pseudo-random choices), so that each part's file holds only its
 * scenario. Header-only: static inline. */
#ifndef SLOT_BENCH_UTIL_H
#define SLOT_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slot_proto.h"

/* Monotonic time in ns. */
static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A string view of a C string (commands point at it; encoding copies). */
static inline struct slot_str bench_str(const char *s)
{
    return (struct slot_str){s, (uint32_t)strlen(s)};
}

/* calloc that never returns NULL: a bench out of memory has no figure. */
static inline void *bench_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    return p;
}

/* splitmix64: the benches' pseudo-random choices, the same every run. */
static inline uint64_t bench_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

#endif /* SLOT_BENCH_UTIL_H */
