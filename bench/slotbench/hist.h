/* hist: a log-bucketed latency histogram (HDR style), in nanoseconds.
 *
 * Values below 2^HIST_SUB_BITS ns land in exact buckets; above, each power
 * of two is split into 2^HIST_SUB_BITS linear sub-buckets, so a reported
 * value is within 1/2^HIST_SUB_BITS (3.1 %) of the true one. Values beyond
 * 2^HIST_TOP_BITS ns (~18 min) are clamped into the last bucket; min, max,
 * count and sum are exact. Fixed size, no allocation: one per worker and
 * op, merged at the end. Not thread-safe: one writer.
 */
#ifndef SLOTBENCH_HIST_H
#define SLOTBENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 5
#define HIST_TOP_BITS 40
#define HIST_SUB      (1u << HIST_SUB_BITS)
#define HIST_BUCKETS  ((HIST_TOP_BITS - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
    uint64_t count;
    uint64_t sum_ns;
    uint64_t min_ns;
    uint64_t max_ns;
    uint64_t b[HIST_BUCKETS];
};

/* Empties h. */
void hist_init(struct hist *h);

/* Records one value. */
void hist_add(struct hist *h, uint64_t ns);

/* Adds every value of src to dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The value at quantile q (0..1): the upper bound of the bucket holding
 * it, but never above max. 0 for an empty histogram. */
uint64_t hist_quantile(const struct hist *h, double q);

/* Mean in ns (0 if empty). */
double hist_mean(const struct hist *h);

/* Iterates the non-empty buckets in increasing order: *i starts at 0;
 * returns 0 when done, else 1 with the bucket's upper bound (ns, capped at
 * max) and the cumulative count up to and including it. */
int hist_next(const struct hist *h, uint32_t *i, uint64_t *upper_ns,
              uint64_t *cum);

#endif /* SLOTBENCH_HIST_H */
