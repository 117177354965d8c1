/* slot_prom: the Prometheus text exposition format (version 0.0.4), the
 * pure part shared by slotd's admin port (node/metrics.h) and
 * slot-gateway's GET /metrics (client/gateway/gw_metrics.h): metric
 * headers, label escaping, and fixed-bucket histograms.
 *
 * No I/O and no allocation: text goes to a caller's sink, so each user
 * keeps its own buffer type. A histogram is an array of per-bucket counts
 * (not cumulative: recording is one increment; the cumulative `le` series
 * are summed at render time) against an array of finite upper bounds; the
 * last count, index n_bounds, is the +Inf bucket.
 */
#ifndef SLOT_PROM_H
#define SLOT_PROM_H

#include <stddef.h>
#include <stdint.h>

/* Where text goes: put(ctx, s, n) appends n bytes. */
struct slot_prom_out {
    void (*put)(void *ctx, const char *s, size_t n);
    void *ctx;
};

/* Appends s as it is. */
void slot_prom_puts(const struct slot_prom_out *o, const char *s);
/* printf-style; a line longer than 1 KiB is cut (our lines are short). */
void slot_prom_printf(const struct slot_prom_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "# HELP name help\n# TYPE name type\n". type: "counter", "gauge",
 * "histogram" (the format's names). help must not hold a newline. */
void slot_prom_head(const struct slot_prom_out *o, const char *name,
                    const char *type, const char *help);

/* A label value with the format's three escapes (backslash, double
 * quote, newline); the caller writes the quotes around it. */
void slot_prom_label(const struct slot_prom_out *o, const char *s);

/* Counts v in the bucket of the first bound >= v (index n_bounds: +Inf).
 * buckets has n_bounds + 1 entries; bounds ascend. */
void slot_prom_hist_add(uint64_t *buckets, const uint64_t *bounds,
                        unsigned n_bounds, uint64_t v);

/* The series of one histogram: name_bucket{[label="value",]le="B"} for
 * each bound (B = bound * unit, printed %g) and +Inf, name_sum (sum * unit,
 * %.6f) and name_count (count, which must equal the buckets' total).
 * label NULL: no label but le. The head (slot_prom_head) is the
 * caller's: one per metric, before all its series. */
void slot_prom_hist(const struct slot_prom_out *o, const char *name,
                    const char *label, const char *value,
                    const uint64_t *bounds, unsigned n_bounds, double unit,
                    const uint64_t *buckets, uint64_t count, uint64_t sum);

#endif /* SLOT_PROM_H */
