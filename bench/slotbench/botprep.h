/* botprep: what the patients and the rotating bots of a --rules burst
 * did before the release (hosp.h, "The rotating bots"): accounts bound,
 * and each bot's burned name given HOSP_VIOLATIONS no-shows. Runs through
 * libslot's async API on a loop of its own, before the burst's clock
 * starts: none of it is in the burst's figures. Private to
 * bench/slotbench/. */
#ifndef SLOTBENCH_BOTPREP_H
#define SLOTBENCH_BOTPREP_H

#include <jansson.h>
#include <stdint.h>

#include "bench.h"
#include "hosp.h"

struct botprep_result {
    uint64_t binds, binds_ok;       /* ACCOUNT_BIND sent, answered OK */
    uint64_t binds_over;            /* sent past the bots' accounts' room */
    uint64_t binds_refused_limit;   /* ... answered ACCOUNT_LIMIT */
    uint64_t no_shows, no_shows_ok; /* VIOLATION sent, answered OK */
    uint64_t blacklisted;           /* names whose last no-show blacklisted */
    uint64_t other;                 /* any other answer (a failure) */
    uint64_t status[BENCH_STATUS_MAX];
    double ms; /* from the first submit to the last */
};

/* Binds (if h->accounts) and blacklists as hosp.h says, for the burst of
 * c (patients, bot_share, bot_names, bot_accounts) at the cluster addrs.
 * 0, or -1 if the client could not be opened. The answers are in *out:
 * the caller judges them (botprep_json, and its check). */
int botprep_run(const char *addrs, const struct cfg *c, const struct hosp *h,
                struct botprep_result *out);

/* *out as the run's JSON records it (a new reference). */
json_t *botprep_json(const struct botprep_result *r);

#endif /* SLOTBENCH_BOTPREP_H */
