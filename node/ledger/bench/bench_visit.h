/* bench_visit: part (f) of bench_ledger, the visit day of protocol 4
 * (ledger.h, "The visit day"): POOL_STOP and the MOVEs and refund CANCELs
 * that follow it, CHECKIN, the no-show SWEEP and the POOL_CLAIMS read, on
 * the real path (entries decoded and applied as a follower does), over one
 * hospital's day of about 100,000 bookings. */
#ifndef SLOT_BENCH_VISIT_H
#define SLOT_BENCH_VISIT_H

#include <stdint.h>

/* The day's visit rules: check-in opens 1 h before a segment starts and
 * closes 30 minutes before it ends; no-shows are swept. */
#define VISIT_CHECKIN_BEFORE_MS 3600000u
#define VISIT_CHECKIN_LATE_MS   1800000u

struct visit_figures {
    uint32_t pools, bookings;  /* the day's pools and bookings */
    uint32_t stopped;          /* pools stopped (moved + refunded) */
    uint32_t moves, refunds;   /* MOVEs and refund CANCELs applied */
    double move_ns, refund_ns; /* per command, decode included */
    uint32_t checkins;         /* CHECKINs applied */
    double checkin_ns;         /* per CHECKIN, decode included */
    uint32_t noshows;          /* bookings SWEEP marked no-show */
    uint32_t sweep_entries;    /* SWEEP entries (one command each) */
    double sweep_ns;           /* per booking marked, decode included */
    double sweep_max_ms;       /* the slowest SWEEP entry's apply */
    uint32_t sweep_max_marked; /* how many that entry marked */
    uint32_t claims;           /* claims the ledger knows after the day */
    uint32_t read_claims;      /* claims one POOL_CLAIMS read returned */
    double read_ms;            /* per POOL_CLAIMS read, reply encoded */
    double booked_bytes;       /* ledger_memory_bytes the evening before */
    double ledger_bytes;       /* ledger_memory_bytes after the day */
    uint64_t failures;         /* commands that did not answer OK */
};

/* Runs part (f) twice, each on a fresh ledger of its own; fills f (each
 * time the faster of the two passes). */
void bench_visit(struct visit_figures *f);

#endif /* SLOT_BENCH_VISIT_H */
