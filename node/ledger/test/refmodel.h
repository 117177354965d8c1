/* refmodel: an independent, deliberately naive model of the ledger's
 * semantics (node/ledger/ledger.h, "Exact rules", "Hospitals, schedules
 * and their rules", the patient rules, "The visit day", "The event feed"
 * and "Money and statistics"; slot_sched.h, slot_time.h), used as the
 * oracle of the property test
 * (test_ledger_prop.c).
 *
 * It shares no code with the ledger (node/ledger/) and was written from
 * the contract alone: plain arrays, linear scans, counters recomputed from
 * the claims every time they are needed, flow-back due times recomputed
 * from the rules whenever they are asked for. It uses the proto helpers
 * the contract names (slot_rules_policy, slot_rules_covers,
 * slot_local_day/minute, slot_utc_ms_of, slot_template_*). It is meant
 * to be read and trusted, not to be fast or to scale. Of the ledger's
 * table limits it models the channel table (LEDGER_CHANNELS_MAX, small
 * enough for a test to fill), the pay-method table
 * (LEDGER_PAY_METHODS_MAX), the reconciliation days kept
 * (LEDGER_RECON_DAYS_KEPT), the hospital table and the department
 * overrides; the others (pools, patients, claims, names) hold millions
 * and are left out: no LIMIT_REACHED from them.
 *
 * The functions take and produce the same structs as their ledger
 * counterparts (struct slot_cmd in, struct slot_result / slot_pool_status /
 * slot_claim / slot_ledger_info out), so the test compares them field by
 * field. Commands are taken as decoded commands: already validated, with
 * cmd->fingerprint set. The model copies every string it keeps, so the
 * caller may free the command buffers after refmodel_apply() returns.
 *
 * Where ledger.h leaves a choice open, refmodel.c says which reading it
 * implements (search for "Interpretation").
 */
#ifndef SLOT_REFMODEL_H
#define SLOT_REFMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "slot_proto.h"

struct refmodel;

/* A new, empty model at time 0 with the LEDGER_DEFAULT_* config. Aborts on
 * allocation failure (it is test code). Free with refmodel_destroy(). */
struct refmodel *refmodel_create(void);
void refmodel_destroy(struct refmodel *m);

/* Same contract as ledger_apply(): time = max(time, stamp_ms), then one
 * result per command into results[0..n). */
void refmodel_apply(struct refmodel *m, uint64_t stamp_ms,
                    const struct slot_cmd *cmds, uint32_t n,
                    struct slot_result *results);

/* The same for the Raft entry at index (ledger_apply_at): the events the
 * batch makes carry it; refmodel_apply passes 0. */
void refmodel_apply_at(struct refmodel *m, uint64_t index, uint64_t stamp_ms,
                       const struct slot_cmd *cmds, uint32_t n,
                       struct slot_result *results);

uint64_t refmodel_time_ms(const struct refmodel *m);
/* Same as ledger_next_deadline_ms(). */
uint64_t refmodel_next_deadline_ms(const struct refmodel *m);

/* Same contracts as ledger_read_pool / _claim / _patient / _pools. Output
 * structs are zeroed before they are filled. */
int refmodel_read_pool(const struct refmodel *m, struct slot_str pool,
                       struct slot_pool_status *out);
int refmodel_read_claim(const struct refmodel *m, uint64_t id, bool booking,
                        struct slot_claim *out);
int refmodel_read_patient(const struct refmodel *m, struct slot_str pool,
                          struct slot_str patient, struct slot_claim *out,
                          uint32_t cap, uint32_t *n);
int refmodel_read_pools(const struct refmodel *m, struct slot_str after,
                        uint32_t limit, struct slot_pool_status *out,
                        uint32_t *n);
/* Same as ledger_info(), except state_hash, which the model does not
 * compute: it is always 0. */
void refmodel_info(const struct refmodel *m, struct slot_ledger_info *out);
/* Same as ledger_next_sweep_ms() (flow-backs and, P8, cooling slots). */
uint64_t refmodel_next_sweep_ms(const struct refmodel *m);
/* Same contracts as ledger_read_patient_info / _account / _staff_log
 * (protocol 3). The standings are listed in hospital name order (P10: the
 * test compares them as a set). */
void refmodel_read_patient_info(const struct refmodel *m,
                                struct slot_str patient,
                                struct slot_patient_info *out);
void refmodel_read_account(const struct refmodel *m, struct slot_str account,
                           struct slot_account_info *out);
void refmodel_read_staff_log(const struct refmodel *m, uint64_t after,
                             uint32_t limit, struct slot_staff_entry *out,
                             uint32_t *n);
/* Same contract as ledger_read_waitlist (UNKNOWN_POOL; position 0 = not
 * waiting). */
int refmodel_read_waitlist(const struct refmodel *m, struct slot_str pool,
                           struct slot_str patient, uint32_t *position,
                           uint32_t *length);
/* READ_POOL_CLAIMS (protocol 4): the pool's known claims with id > after,
 * by id, at most limit, into out (room for limit). UNKNOWN_POOL. */
int refmodel_read_pool_claims(const struct refmodel *m, struct slot_str pool,
                              uint64_t after, uint32_t limit,
                              struct slot_claim *out, uint32_t *n);
/* Same contract as ledger_read_events (the event feed, protocol 4):
 * events with seq > after, at most limit, into out; *first = the oldest
 * held (last + 1 if none), *last = the newest ever. */
void refmodel_read_events(const struct refmodel *m, uint64_t after,
                          uint32_t limit, struct slot_event *out, uint32_t *n,
                          uint64_t *first, uint64_t *last);
/* Same contracts as ledger_read_query / _rules / _rules_log /
 * _schedule_check. */
int refmodel_read_query(const struct refmodel *m, const struct slot_read *rd,
                        struct slot_pool_status *out, uint32_t cap, uint32_t *n,
                        uint32_t *total);
int refmodel_read_rules(const struct refmodel *m, struct slot_str hospital,
                        struct slot_str department,
                        struct slot_rules_info *out);
int refmodel_read_rules_log(const struct refmodel *m, struct slot_str hospital,
                            uint64_t after, uint32_t limit,
                            struct slot_rules_info *out, uint32_t *n);
int refmodel_read_schedule_check(const struct refmodel *m,
                                 const struct slot_template *t, uint32_t *fresh,
                                 uint32_t *same,
                                 char (*ids)[SLOT_POOL_ID_MAX + 1],
                                 uint32_t cap, uint32_t *n_conflicts);

/* Protocol 5 (ledger.h, "Money and statistics"): same contracts as
 * ledger_read_recon and ledger_read_stats. out has room for limit. */
void refmodel_read_recon(const struct refmodel *m, uint32_t day,
                         struct slot_str hospital, struct slot_str channel,
                         uint32_t after, uint32_t limit,
                         struct slot_recon_row *out, uint32_t *n,
                         uint32_t *total, uint32_t *kept_from);
void refmodel_read_stats(const struct refmodel *m, struct slot_str hospital,
                         uint32_t date_from, uint32_t date_to, uint32_t after,
                         uint32_t limit, struct slot_stats_row *out,
                         uint32_t *n, uint32_t *total);

/* ---- Introspection for the test's command generator (no ledger
 * counterpart) ---------------------------------------------------------- */

/* Is the session id currently known (opened and not forgotten)? */
bool refmodel_session_alive(const struct refmodel *m, uint64_t id);
/* Known sessions, most recently used first; writes at most cap ids and
 * returns the number known. */
uint32_t refmodel_sessions(const struct refmodel *m, uint64_t *ids,
                           uint32_t cap);
/* Number of pools created. */
uint32_t refmodel_pool_count(const struct refmodel *m);
/* Highest session id / claim id handed out so far (0 if none). */
uint64_t refmodel_last_session_id(const struct refmodel *m);
uint64_t refmodel_last_claim_id(const struct refmodel *m);
/* The config in force. */
struct slot_config refmodel_config(const struct refmodel *m);
/* The id of the i-th pool (creation order, i < refmodel_pool_count()).
 * The string is the model's: valid until the next refmodel_apply(). */
const char *refmodel_pool_id(const struct refmodel *m, uint32_t i);
/* The length of the pool's waitlist (0 for an unknown pool); when i is
 * below it, the i-th entry's (0 = head) patient and channel, the model's
 * strings: valid until the next refmodel_apply(). */
uint32_t refmodel_waiter(const struct refmodel *m, struct slot_str pool,
                         uint32_t i, const char **patient,
                         const char **channel);
/* The pool's check-in window under its rules now, [open, close): false
 * for an unknown pool or one without a segment. */
bool refmodel_checkin_window(const struct refmodel *m, struct slot_str pool,
                             uint64_t *open_ms, uint64_t *close_ms);

/* Events the generator is there to produce but that no result code names
 * on its own; the test asserts minimums of them per profile. */
struct refmodel_stats {
    uint64_t not_released_minute; /* HOLD refused before the release minute */
    uint64_t closed_cutoff;       /* BOOKING_CLOSED by the cut-off ... */
    uint64_t closed_same_day;     /* ... by a policy without same-day */
    uint64_t closed_over;         /* ... the visit day or segment is over */
    uint64_t elig_by_rule;        /* CHANNEL_NOT_ALLOWED by a rule's list */
    uint64_t elig_by_pool;        /* ... by the pool's own list */
    uint64_t group_share;         /* HOLD took a share naming a group */
    uint64_t protected_sold_out;  /* SOLD_OUT, remainder free but refused */
    uint64_t ttl_default;         /* HOLD with ttl 0 got R.pay_ttl_ms */
    uint64_t ttl_rule_max;        /* TTL refused by R.pay_ttl_max_ms only */
    uint64_t visit_reused;        /* CONFIRM took a freed visit number */
    uint64_t unpaid;              /* CONFIRM booked a pay-at-visit unpaid */
    uint64_t flow_moved;          /* a flow-back moved slots */
    uint64_t flow_to_share;       /* ... into a named share */
    uint64_t flow_kept_held;      /* ... of a pool with held/booked shares */
    uint64_t import_created;      /* SCHEDULE_IMPORT created pools */
    uint64_t import_unchanged;    /* ... found every pool as it was */
    uint64_t import_same_flowed;  /* ... found a flowed pool as it was */
    uint64_t log_dropped;         /* RULES_SET dropped the oldest change */
    uint64_t early_by_policy;     /* HOLD OK before the day opens under R's
                                   * horizon (a longer policy horizon) */
    /* Protocol 3's patient rules. */
    uint64_t quota[SLOT_QUOTA_ACCOUNT_MONTH_EXPERT + 1];     /* QUOTA_EXCEEDED
                                                          * by its a */
    uint64_t account_rule[SLOT_ACCOUNT_CHANGE_PATIENTS + 1]; /* by its a */
    uint64_t not_bound_channel; /* NOT_BOUND: account channel, no account */
    uint64_t owner_by_account;  /* ownership granted by the bound account */
    uint64_t cooled;            /* a cancel sent its slot to cooling */
    uint64_t cool_returned;     /* SWEEP returned a cooling slot */
    uint64_t unpaid_violation;  /* an expiry recorded an UNPAID violation */
    uint64_t blacklisted;       /* a violation reached the threshold */
    uint64_t exception_used;    /* a pending exception let a HOLD through */
    uint64_t exempt_hold;       /* a blacklisted patient's HOLD through an
                                 * exempt channel */
    uint64_t cancel_same_day;   /* a cancel after D allowed by same-day */
    uint64_t standing_replaced; /* a ninth hospital's standing */
    uint64_t bind_same;         /* ACCOUNT_BIND of a bound pair */
    uint64_t change_joined;     /* an unbind joined an open change */
    uint64_t late_cancel;       /* a CANCEL recorded a LATE_CANCEL violation */
    uint64_t late_blacklisted;  /* ... that reached the threshold */
    /* Waitlists. */
    uint64_t offers;             /* a CANCEL offered its slot to a waiter */
    uint64_t offer_confirmed;    /* an offer was CONFIRMed (a booking) */
    uint64_t offer_released;     /* an offer was RELEASEd (declined) */
    uint64_t offer_expired;      /* an offer lapsed (EXPIRE or lazily) */
    uint64_t offer_cooled;       /* a declined / lapsed offer went cooling */
    uint64_t offer_freed;        /* ... went free at once under a cool-down
                               * (its due time already passed) */
    uint64_t wait_dropped;       /* an ineligible waiter dropped at a CANCEL */
    uint64_t skip_bound;         /* a CANCEL stopped at an ineligible waiter
                               * after SLOT_WAITLIST_SKIP_MAX drops */
    uint64_t offer_after_drop;   /* an offer made after dropping waiters */
    uint64_t offer_no_exception; /* a waiter dropped as BLACKLISTED though
                                  * an exception was pending */
    uint64_t join_exception;     /* a JOIN let through by a pending exception
                               * (which stays pending) */
    uint64_t leave_by_account;   /* a LEAVE allowed by the bound account */
    uint64_t wait_closed_kept;   /* a CANCEL in a closed pool with waiters:
                                * no offer */
    uint64_t wait_longest;       /* the longest list a CANCEL found (a
                                * maximum, not a count) */
    /* The visit day (protocol 4). */
    uint64_t stops;                  /* POOL_STOP took effect */
    uint64_t stop_waiters;           /* ... waiters it dropped */
    uint64_t stop_closed;            /* ... stops of a closed pool */
    uint64_t confirm_stopped_kept;   /* CONFIRM of a live hold refused */
    uint64_t refunds;                /* CANCEL of a stopped pool's booking */
    uint64_t refund_attended;        /* ... of a checked-in booking */
    uint64_t moves;                  /* MOVE took effect */
    uint64_t move_attended;          /* ... of a checked-in one */
    uint64_t move_expired_own;       /* MOVE expired the patient's due hold
                                      * in the target */
    uint64_t checkins;               /* CHECKIN took effect */
    uint64_t checkin_paid;           /* ... paying an unpaid booking */
    uint64_t checkin_closed_by_late; /* CHECKIN_CLOSED before seg_end */
    uint64_t noshow_marked;          /* SWEEP marked a no-show */
    uint64_t noshow_blacklisted;     /* ... whose violation blacklisted */
    uint64_t noshow_dropped_stopped; /* SWEEP dropped: pool stopped */
    uint64_t noshow_dropped_rule;    /* SWEEP dropped: R has no sweep now */
    uint64_t noshow_put_back;        /* SWEEP put an entry back (R moved
                                      * check-in's close later) */
    uint64_t stopped_expiry_excused; /* a stopped pool's hold expired
                                      * without its UNPAID violation */
    /* The event feed. */
    uint64_t ev_types[SLOT_EV_MAX + 1]; /* events appended, by type */
    uint64_t ev_dropped_old; /* dropped: older than LEDGER_EVENTS_RETAIN_MS */
    uint64_t ev_dropped_max; /* dropped: beyond LEDGER_EVENTS_MAX */
    uint64_t ev_refused;     /* events of refused commands (expiries) */
    uint64_t ev_offer_late;  /* a CANCEL both offered and late (E5) */
    uint64_t ev_offer_expired_own; /* a CANCEL's offer expired the waiter's
                                    * own due hold first (E6) */
    /* Money (protocol 5). */
    uint64_t method_full_confirm; /* CONFIRM: LIMIT_REACHED, a new method */
    uint64_t method_full_checkin; /* CHECKIN: the same, paying at check-in */
    uint64_t paid_cancelled;      /* a paid booking cancelled (owed back) */
    uint64_t paid_refunded;       /* a paid booking refunded (stopped) */
    uint64_t paid_moved;          /* a paid booking moved */
    uint64_t recon_too_old;       /* a count older than kept_from dropped */
    uint64_t recon_dropped;       /* rows dropped: older than the days kept */
    uint64_t recon_other_day;     /* a booking's later event counted on
                                   * another local day than its BOOKED */
    uint64_t paid_fee_changed;    /* a paid booking cancelled or refunded
                                   * when its pool's fee is another now */
};
struct refmodel_stats refmodel_stats(const struct refmodel *m);

#endif /* SLOT_REFMODEL_H */
