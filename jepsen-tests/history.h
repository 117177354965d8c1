/* history: reads a jepsen-tests history (JSON lines) into operations.
 *
 * A line is one event: process, type (invoke / ok / fail / info), f, value,
 * time (ns, monotonic), optionally wall (ms, real time) and, on completions
 * the ledger answered, ltime (ms)
 * and index, plus error (a slot_err name) on failures. An operation is an
 * invocation and the next completion of the same process; an invocation
 * that never completes is info (its outcome is unknown, forever pending).
 * Process "nemesis" lines are fault events: an invoke and an info per
 * start / stop, and lone info lines (crash, restart; "plan", the run's
 * request, first; "summary", the nemesis's counts, last).
 *
 * Scheduled pools (the slots workload): a create's value names its shares
 * and place, a rules operation (f "rules") a hospital's rule set, a hold
 * its channel; pool reads report each bucket and the flow-back state,
 * claim reads the bucket and channel (jepsen-tests/README.md, History).
 *
 * The quotas workload adds: the patient rules of a rules operation
 * ("quotas", "cooldown"), a create's "dept", a hold's "account", a
 * refusal's "quota" and "window", pool reads' "cooling", claims' "held_at"
 * (and "pool" in read_patient_info), waitlist operations and positions.
 *
 * The visit workload adds: pool_stop (its "bookings" and "holds" counters),
 * move ("target", the answer's "new_id"), checkin (the "patient" given),
 * read_pool_claims; claims' "attendance", "checked_in_at", "moved_to",
 * "moved_from", "refunded", "affected" and the state "moved"; pool reads'
 * "stopped"; a create's "seg" ([start, end], UTC ms); a rules
 * operation's "visit" ([checkin_before_ms, checkin_late_ms,
 * noshow_sweep]).
 *
 * The feed follower (every workload) adds read_events: value after,
 * limit, on / stale / final; the answer's first, last and events, each
 * [seq, index, time_ms, type, claim, pool, patient, channel, a, b] and
 * optionally the account and (pool-less events) the hospital; since
 * protocol 5 always account and hospital, then fee_cents, payment_ref,
 * pay_method and local_day.
 *
 * Protocol 5 (every workload): confirm and checkin values name their
 * payment_ref and pay_method; the final phase adds read_recon (value
 * day, hospital, channel, limit, final; the answer's kept_from_day, total
 * and rows, each [day, hospital, channel, pay_method, booked,
 * booked_cents, checkin_paid, checkin_paid_cents, checked_in, cancelled,
 * cancelled_cents, refunded, refunded_cents, moved, no_show]).
 *
 * Ownership: history_load returns a struct history the caller frees with
 * history_free; ops keep their json values (value, and the raw lines) for
 * reporting, and their sched.
 */
#ifndef JEPSEN_HISTORY_H
#define JEPSEN_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define H_STR_MAX  72
#define H_NAME_MAX 17 /* a channel or group name (16 bytes) and its NUL */
#define H_LIST_MAX 8  /* shares, eligible / remainder_allow names, groups */

enum h_type { H_INVOKE, H_OK, H_FAIL, H_INFO };

enum h_f {
    HF_CREATE,
    HF_HOLD,
    HF_CONFIRM,
    HF_RELEASE,
    HF_CANCEL,
    HF_READ_POOL,
    HF_READ_PATIENT,
    HF_READ_HOLD,
    HF_STATUS,
    HF_CONFIG,
    HF_RULES,
    HF_READ_PINFO,   /* read_patient_info: a patient's active claims */
    HF_JOIN,         /* waitlist_join */
    HF_LEAVE,        /* waitlist_leave */
    HF_READ_WAIT,    /* read_waitlist: a patient's place on a pool's list */
    HF_STOP,         /* pool_stop: the doctor's stoppage */
    HF_MOVE,         /* move: a stopped pool's booking to another pool */
    HF_CHECKIN,      /* checkin: a booking's patient on the visit day */
    HF_READ_PCLAIMS, /* read_pool_claims: a pool's claims (any state) */
    HF_READ_EVENTS,  /* read_events: a page of the event feed (the feed
                      * check reads its events from the raw line) */
    HF_READ_RECON,   /* read_recon: a day's reconciliation counters (the
                      * recon check reads the rows from the raw line) */
    HF_NEMESIS,
    HF_OTHER,
    HF_COUNT
};

/* Claim states, as the wire names them (slotc_claim_state_name). */
enum h_claim {
    HC_NONE,
    HC_HELD,
    HC_BOOKED,
    HC_RELEASED,
    HC_EXPIRED,
    HC_CANCELLED,
    HC_MOVED /* protocol 4: moved to another pool (moved_to) */
};

/* A booking's attendance as claim reads report it (-1: not reported). */
enum h_attend { HA_PENDING, HA_CHECKED_IN, HA_NO_SHOW };

struct h_claimv {
    uint64_t id;
    int state; /* enum h_claim */
    char patient[H_STR_MAX];
    uint64_t deadline;
    uint32_t visit;
    bool has_bucket;         /* the read reported bucket and channel */
    char bucket[H_NAME_MAX]; /* the share it took from; "": the remainder */
    char channel[H_NAME_MAX];
    char pool[H_STR_MAX]; /* read_patient_info: the claim's pool */
    uint64_t held_at;     /* when it was held (0: not recorded) */
    /* protocol 4 (the visit workload): -1 when the read did not say */
    int attendance; /* enum h_attend, or -1 */
    uint64_t checked_in_at, moved_to, moved_from;
    bool refunded, affected;
};

/* One bucket of a pool read: a share (its channel or group) or the
 * remainder (name ""). */
struct h_bucket {
    char name[H_NAME_MAX];
    uint32_t cap, free, held, booked;
    uint32_t cooling; /* freed by a cancel, not free yet (0 if absent) */
};

/* A hospital's eligibility rule: department ("" any) and kind (-1 any). */
struct h_elig {
    char dept[H_STR_MAX];
    int kind;
    int n;
    char names[H_LIST_MAX][H_NAME_MAX];
};

/* What a create says about its pool's buckets and place, or what a rules
 * operation set (the fields of its kind; the others zero). */
struct h_sched {
    /* create: the shares (any pool) and the place (scheduled pools) */
    int n_shares;
    char share[H_LIST_MAX][H_NAME_MAX];
    uint32_t share_slots[H_LIST_MAX];
    bool placed; /* has a place: a scheduled pool */
    char hospital[H_STR_MAX];
    char dept[H_STR_MAX];
    int kind;
    uint32_t day; /* local visit date */
    int n_eligible;
    char eligible[H_LIST_MAX][H_NAME_MAX];
    int n_rem_allow;
    char rem_allow[H_LIST_MAX][H_NAME_MAX];
    /* rules (hospital above) */
    int32_t offset_min;
    int32_t flow_minute; /* -1: no flow-back */
    uint32_t flow_days;
    char flow_to[H_NAME_MAX];
    int n_groups;
    char group[H_LIST_MAX][H_NAME_MAX];
    int group_n[H_LIST_MAX];
    char group_ch[H_LIST_MAX][16][H_NAME_MAX];
    int n_elig;
    struct h_elig elig[16];
    /* rules: the patient rules (quotas workload; 0 = no limit) */
    bool has_patient;
    uint32_t quota[5]; /* day_normal, day_expert, dept_expert, month_normal,
                        * month_expert */
    uint32_t cool_min_ms, cool_max_ms;
    /* create: the segment (UTC ms; 0: not recorded) */
    uint64_t seg_start, seg_end;
    /* rules: the visit-day rules (the visit workload) */
    bool has_visit;
    uint32_t checkin_before_ms, checkin_late_ms;
    bool noshow_sweep;
};

struct h_op {
    int process; /* -1: nemesis */
    int f;       /* enum h_f */
    char fname[24];
    int type;                    /* completion: H_OK, H_FAIL, H_INFO */
    uint64_t t_inv, t_ret;       /* ns; t_ret UINT64_MAX if never completed */
    uint64_t wall_inv, wall_ret; /* ms of CLOCK_REALTIME, 0 if not recorded */
    uint64_t lt_max;        /* set by the checker: ledger time at this op is at
                             * most this (0: no bound known) */
    int line_inv, line_ret; /* 1-based; 0 if none */
    json_t *inv, *ret;      /* the raw lines (owned) */

    /* inputs */
    char pool[H_STR_MAX];
    char patient[H_STR_MAX];
    uint32_t ttl;
    uint64_t id;              /* confirm / release / cancel / read_hold */
    uint32_t capacity;        /* create */
    char channel[H_NAME_MAX]; /* hold ("" when not recorded) */
    struct h_sched *sched;    /* create with shares or a place; rules */
    bool stale, pinned, final;

    /* outcome */
    int err;       /* 0 ok; slot_err code; -1 unnamed */
    bool observed; /* the ledger answered (index present) */
    uint64_t ltime, index;
    uint64_t hold_id, deadline;
    uint32_t visit;
    bool has_counts;
    uint32_t r_cap, r_free, r_held, r_booked, r_cooling;
    bool has_buckets;
    uint32_t b_cap, b_free, b_held, b_booked, b_cooling;
    bool has_rb; /* read_pool: each bucket, and the flow-back state */
    int n_rb;
    struct h_bucket rb[H_LIST_MAX]; /* the shares, in the pool's order */
    struct h_bucket rrem;           /* the remainder */
    bool flowed;
    uint64_t flow_due;
    uint64_t version; /* rules: the new version */
    int n_claims;
    struct h_claimv claim;   /* read_patient / read_hold: the one claim */
    struct h_claimv *claims; /* read_patient_info, read_pool_claims: all
                              * n_claims (owned) */
    char target[H_STR_MAX];  /* move: the target pool */
    uint64_t new_id;         /* move: the new booking's id */
    bool has_stopped;        /* read_pool: said whether it is stopped */
    bool stopped;            /* read_pool: it is */
    uint32_t stop_bookings;  /* pool_stop: its booked counter */
    char account[H_STR_MAX]; /* hold / join: the account named ("": none) */
    int quota;               /* QUOTA_EXCEEDED: which (enum slotc_quota) */
    uint32_t window;         /* QUOTA_EXCEEDED: the window's first day */
    uint32_t position;       /* waitlist_join, read_waitlist: place (0: not
                              * on the list) */
    char node[H_STR_MAX];
    /* status */
    uint64_t applied, hash, status_node;
    char role[16];
    /* nemesis */
    char fault[32];
    int64_t offset_ms; /* clock fault: the offset applied */
    bool nem_start;    /* start (else stop / crash / restart / plan / ...) */
    bool nem_acted;    /* a start's completion says the fault is in force
                        * ("acted": true, or, in histories older than that
                        * field, no "error"); false while not completed */
    int n_nodes;
    int nodes[8];
};

struct history {
    struct h_op *ops;
    int n_ops;
    int lines;
    uint64_t t_end;  /* last time seen */
    char error[256]; /* non-empty: malformed */
};

/* Reads path. Returns NULL only when the file cannot be read (errno);
 * a malformed history comes back with error set. */
struct history *history_load(const char *path);
void history_free(struct history *h);

/* "hold", ...; the name of enum h_f. */
const char *history_f_name(int f);
const char *history_claim_name(int state);

/* A short JSON description of op (its lines), new reference. */
json_t *history_op_json(const struct h_op *op);

/* True for a client-side failure: the operation certainly took no effect
 * and observed nothing (no index: TIMEOUT, UNAVAILABLE, NOT_LEADER, ...). */
bool history_unobserved_fail(const struct h_op *op);

#endif /* JEPSEN_HISTORY_H */
