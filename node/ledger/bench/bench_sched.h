/* bench_sched: part (d) of bench_ledger, the hospitals' rules on their real
 * path: importing a 10,000-pool schedule (SCHEDULE_IMPORT entries decoded
 * and applied as a follower does), HOLD on scheduled pools with every rule
 * on (eligibility, horizon, release minute, cut-off, channel groups, the
 * protected remainder, the payment window from the rules), and listing the
 * 10,000 pools through READ_QUERY, encoded as a node would reply. */
#ifndef SLOT_BENCH_SCHED_H
#define SLOT_BENCH_SCHED_H

#include <stdint.h>

#define SCHED_POOLS          10000u
#define SCHED_TARGET_HOLD_NS 1500.0 /* HOLD with every rule on */
#define SCHED_RUNS           5      /* part (d) runs; the median is reported */
#define SCHED_TARGET_LIST_MS 10.0   /* listing the 10,000 pools */

struct sched_figures {
    uint32_t pools, imports;
    double import_ms; /* all imports: decode + apply */
    uint32_t holds;
    double hold_ns; /* per HOLD, decode included */
    double hold_decode_ns;
    uint32_t pages;
    double list_ms;    /* every page of the query, encoded */
    uint64_t failures; /* unexpected results */
    /* Filled by bench_sched_median: how many runs, and the fastest and
     * slowest run's HOLD (the other figures are the median run's). */
    uint32_t runs;
    double hold_ns_min, hold_ns_max;
};

/* Runs part (d) on a fresh ledger of its own; fills f. */
void bench_sched(struct sched_figures *f);

/* Part (d) runs times (each on a fresh ledger, in a fresh child process
 * so that no run reuses pages another freed): f is the run with the
 * median HOLD time, with runs, hold_ns_min/max and the failures of all
 * runs. One run's 42,000 HOLDs take ~60 ms, as long as a scheduler hiccup
 * or a burst of page faults on this VM: the median of a few says what
 * the code costs. */
void bench_sched_median(struct sched_figures *f, uint32_t runs);

#endif /* SLOT_BENCH_SCHED_H */
