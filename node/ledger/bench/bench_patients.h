/* bench_patients: part (e) of bench_ledger, HOLD with every rule on, the
 * patient rules of protocol 3 included (accounts, account channels,
 * quotas, blacklist, the daily cancellation limit, cool-down, the
 * platform quota), on the real path (entries decoded and applied as a
 * follower does). The same command stream is applied a second time to a
 * ledger whose hospital has no patient rules: the difference is what the
 * patient rules cost. */
#ifndef SLOT_BENCH_PATIENTS_H
#define SLOT_BENCH_PATIENTS_H

#include <stdint.h>

#define PATIENTS_TARGET_HOLD_NS 2000.0 /* issue 15: HOLD, every rule on */
#define PATIENTS_CODES_MAX      128    /* result codes are < 128 */

/* One pass of the timed HOLDs over one ledger. */
struct patients_pass {
    double hold_ns;        /* per HOLD applied (OK or refused), decode incl. */
    double hold_decode_ns; /* its decoding share */
    uint32_t ok;
    uint32_t codes[PATIENTS_CODES_MAX]; /* answers by result code */
    uint32_t quota[8];                  /* QUOTA_EXCEEDED by enum slot_quota */
};

struct patients_figures {
    uint32_t pools, patients, accounts, holds;
    uint32_t blacklisted;     /* patients blacklisted before the holds */
    uint32_t cancel_limited;  /* patients with the day's cancellations used */
    struct patients_pass on;  /* every rule on */
    struct patients_pass off; /* the hospital's rules, no patient rules */
    uint64_t failures;        /* setup commands that did not answer OK */
};

/* Runs part (e) on two fresh ledgers of its own; fills f. */
void bench_patients(struct patients_figures *f);

#endif /* SLOT_BENCH_PATIENTS_H */
