/* sim: the simulated patients, bots and arrivals, run by worker threads.
 *
 * ---- A patient in the burst (TK_PATIENT) -----------------------------------
 *
 *   arrive ─▶ HOLD ──OK──▶ PAY (delay) ─▶ CONFIRM ──OK──▶ booked
 *              │  │                         │
 *              │  │ abandon (share)         │ HOLD_EXPIRED: back to HOLD
 *              │  └──▶ done (the hold lapses; another patient gets it)
 *              │ SOLD_OUT / NOT_RELEASED: retry after retry_min..max ms
 *              │ until patience runs out, then give up
 *              │ OUTCOME_UNKNOWN, TIMEOUT, UNAVAILABLE: retry; a retry
 *              │ answered PATIENT_HAS_CLAIM ─▶ QUERY (read_patient) adopts
 *              ▼ the hold or booking the doubtful attempt made
 *
 * ---- A bot (TK_BOT; one task per hot pool it hammers; with --rules it
 * rotates names, accounts and channels as hosp.h says)
 * ------------------------ starts bot_early_ms before the release, retries
 * every 0..bot_retry_ms on any refusal; once it holds a slot it probes
 * bot_probes more holds on the same pool (the per-patient quota:
 * PATIENT_HAS_CLAIM), then lets the hold lapse (bot_abandon, to re-hold it for
 * a buyer) or pays.
 *
 * ---- Steady arrivals (TK_STEADY)
 * --------------------------------------------- one new patient per arrival
 * (open loop at a rate, or closed loop with a fixed number in flight): HOLD,
 * then at once CONFIRM (confirm_share) or RELEASE; no retries (a retry would
 * change the offered load).
 *
 * ---- Expiry storm (TK_STORM)
 * ---------------------------------------------------- storm_holds holds on the
 * storm pool, each with ttl = common deadline - now, so all share one deadline;
 * plus steady arrivals on the live pool.
 */
#ifndef SLOTBENCH_SIM_H
#define SLOTBENCH_SIM_H

#include <stdint.h>

#include "bench.h"

enum phase {
    PH_BURST = 0, /* patients and bots race for the pools */
    PH_OPEN,      /* steady arrivals at r->rate */
    PH_CLOSED,    /* r->concurrency patients in flight, back to back */
    PH_STORM,     /* fill the storm pool, live arrivals while live_on */
};

/* Statistics of a phase (one worker's, or all merged). */
struct stats {
    struct hist lat[OPK_N][2]; /* [op][0 ok, 1 refused or failed] */
    struct hist live[2];       /* storm: live holds sent [0] before, [1] at or
                                * after the common deadline */
    struct hist service;       /* every op, from its hand-over to the backend
                                * (the rest is waiting for room in the
                                * generator's bounded connections) */
    /* Accepted requests of a backend that says when it wrote them (http),
     * their time split: [0] waiting for room in the generator (intended
     * send to hand-over), [1] waiting for a connection (hand-over to the
     * write), [2] the network, the kernel's socket buffers and the
     * server's read (the rest), [3] in the gateway (Server-Timing). */
    struct hist split[4];
    /* Refusals of the gateway's own (503 OVERLOADED, 429 RATE_LIMITED),
     * from the intended send: how fast a shed request is told. */
    struct hist shed;
    uint32_t wait_max;     /* longest wait FIFO (operations) */
    uint64_t wait_expired; /* arrivals that timed out waiting for room */
    uint64_t status[OPK_N][BENCH_STATUS_MAX];
    /* HOLD answers by who asked ([0] patients, [1] bots), and
     * QUOTA_EXCEEDED by quota (enum slotc_quota; 0: not said) */
    uint64_t hold_by[2][BENCH_STATUS_MAX];
    uint64_t quota_by[2][8];
    uint64_t decisions; /* answers of the ledger (OK or a rule error) */
    uint64_t decisions_ok;
    uint64_t bookings;
    uint64_t holds_ok;
    uint64_t client_busy; /* refused by the client library, retried */
    uint64_t dropped;     /* open loop: arrivals with no free task */
    uint64_t lagged;      /* open loop: arrivals issued late (> 1 ms) */
    uint64_t arrivals;
    uint64_t abandoned;    /* holds left to lapse */
    uint64_t gave_up;      /* patients who never got a slot */
    uint64_t doubtful;     /* outcomes unknown at the end */
    uint64_t hold_expired; /* confirms too late */
    uint64_t be_requests;  /* peers: requests sent (retries included) */
    uint64_t be_conflicts; /* peers: compare-and-swap attempts that lost */
    uint32_t n_ms;
    /* per millisecond since r->t0_ns, by completion time */
    uint32_t *dec_ms, *ok_ms, *book_ms;
    /* Answers by operation and status, per millisecond since r->t0_ns
     * (completion time): NULL until the first answer of that kind (a run
     * sees a handful of kinds), so figures over any window (release to
     * sell-out, a steady point) count holds, confirms and each refusal
     * code exactly. */
    uint32_t *code_ms[OPK_N][BENCH_STATUS_MAX];
    /* by ledger time (ms since r->t0_wall_ms) of successful decisions: the
     * earliest completion (ms since t0, plus 1; 0 = none) */
    uint32_t *first_by_ledger_ms;
};

/* A booking the simulation saw (for the correctness check). */
struct booking {
    uint32_t pool;
    uint32_t visit_no;
    uint64_t id;
    char patient[24];
};

/* An operation whose outcome was still unknown at the end. */
struct doubt {
    uint32_t pool;
    uint64_t hold; /* 0: a hold whose id is unknown */
    char patient[24];
};

struct phase_out {
    struct stats st;
    struct booking *bookings;
    uint64_t n_bookings;
    struct doubt *doubts;
    uint64_t n_doubts;
    bool truncated; /* more bookings than recorded */
    uint64_t tasks;
};

/* Live counters the main thread reads while a phase runs. */
struct sim_live {
    uint64_t decisions, decisions_ok, bookings, holds_ok, done, pending;
};

struct sim;

/* Starts r->cfg->threads workers on the phase r->phase (tasks are created
 * from the configuration). Returns NULL on error (message on stderr). */
struct sim *sim_start(struct run *r);

/* Sums the workers' live counters. */
void sim_live(struct sim *s, struct sim_live *out);

/* True once every task is done (the phase has nothing left to do). */
bool sim_all_done(struct sim *s);

/* Asks the workers to stop (r->stop), waits for them (bounded by
 * cfg->drain_ms plus the client's close), merges their results into out
 * and frees the workers. */
void sim_finish(struct sim *s, struct phase_out *out);

void phase_out_free(struct phase_out *o);

/* stats helpers */
void stats_init(struct stats *st, uint32_t n_ms);
void stats_free(struct stats *st);
void stats_merge(struct stats *dst, const struct stats *src);
/* True if status is a decision of the ledger (OK or a rule error). */
bool stats_is_decision(int status);
/* The per-ms series of (op, status), allocated (zeroed) on first use;
 * aborts when out of memory, as stats_init does. */
uint32_t *stats_code_series(struct stats *st, int op, int status);

#endif /* SLOTBENCH_SIM_H */
