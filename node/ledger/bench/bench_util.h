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

#include "mp.h"
#include "slot_proto.h"
#include "slot_sched.h"

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

/* Doctor i's template in the benches' hospital "h01" (parts (e) and (f)):
 * campus "east", department "dNN" = i % departments, doctors alternating
 * expert (even i) and normal clinics, 100.00 fee, 30 % for 114, 60 % for
 * the online group, the rest for the window only; its days and segments
 * are the packed lists db and sb. doctor and prefix are the caller's
 * storage (the template points into them). */
static inline void
bench_doctor_template(struct slot_template *x, uint32_t i, uint32_t departments,
                      char doctor[16], char prefix[48], const struct mp_buf *db,
                      uint32_t n_days, const struct mp_buf *sb,
                      uint32_t n_segments)
{
    snprintf(doctor, 16, "dr-%02u", i % 100);
    snprintf(prefix, 48, "h01/east/d%02u/%s", i % departments % 100, doctor);
    memset(x, 0, sizeof *x);
    x->id_prefix = bench_str(prefix);
    x->sched.hospital = bench_str("h01");
    x->sched.campus = bench_str("east");
    x->sched.department = (struct slot_str){prefix + 9, 3};
    x->sched.doctor = bench_str(doctor);
    x->sched.n_rem_allow = 1;
    x->sched.rem_allow[0] = bench_str("window");
    x->kind = i % 2 ? SLOT_KIND_NORMAL : SLOT_KIND_EXPERT;
    x->fee_cents = 10000;
    x->n_shares = 2;
    x->shares[0] = (struct slot_tshare){bench_str("114"), 300};
    x->shares[1] = (struct slot_tshare){bench_str("online"), 600};
    x->n_days = n_days;
    x->days = (struct slot_str){(const char *)db->data, (uint32_t)db->len};
    x->n_segments = n_segments;
    x->segments = (struct slot_str){(const char *)sb->data, (uint32_t)sb->len};
}

#endif /* SLOT_BENCH_UTIL_H */
