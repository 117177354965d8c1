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
};

/* Runs part (d) on a fresh ledger of its own; fills f. */
void bench_sched(struct sched_figures *f);

#endif /* SLOT_BENCH_SCHED_H */
