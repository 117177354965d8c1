/* libslot: the C client of the slot pool ledger (a cluster of slotd nodes).
 *
 * This header is the library's documentation. The library connects to a
 * list of nodes, finds the leader (following NOT_LEADER hints), pipelines
 * requests over one connection, reconnects with bounded backoff, and
 * retries every mutating request with the same (session, request number)
 * until the caller's deadline, so that the ledger applies it at most once.
 *
 * ---- Two faces over one core ----------------------------------------------
 *
 *   async   struct slotc on the caller's libuv loop. Every operation takes a
 *           caller-owned struct slotc_req and a completion callback, which is
 *           called exactly once, on the loop thread, if (and only if) the
 *           submitting call returned SLOT_OK.
 *   blocking  struct slotc_sync: the same operations, each waiting for its
 *           answer on a private loop (slotc_sync_*).
 *
 * ---- Thread safety --------------------------------------------------------
 *
 *   - An async client and all its requests belong to the thread that runs
 *     its loop: call slotc_* only from that thread (from callbacks or from
 *     code that runs between turns of the loop). To submit from another
 *     thread, hand the work over with your own uv_async_t.
 *   - A blocking client is used by one thread at a time (it owns a private
 *     loop; calls on it must not overlap). Distinct clients, async or
 *     blocking, share nothing: any number may be used by different threads.
 *   - The library has no global state and changes no signal disposition.
 *     Writing to a socket the peer closed raises SIGPIPE: a process using
 *     libslot should ignore it (signal(SIGPIPE, SIG_IGN)), as slotctl does.
 *
 * ---- Requests and memory --------------------------------------------------
 *
 *   - struct slotc_req is owned by the caller. Zero it (or slotc_req_init)
 *     and set the inputs (data, timeout_ms, flags, node) before submitting.
 *     From a successful submit until its callback returns the request
 *     belongs to the library: do not touch, free or resubmit it. Inside or
 *     after its callback it may be reused or freed.
 *   - String and struct arguments are copied at submission: the caller may
 *     free them as soon as the submitting call returns.
 *   - Outputs (the `out` part of the request, and every pointer in it) are
 *     owned by the library and valid only inside the completion callback
 *     (blocking face: until the next call on the same struct slotc_sync, or
 *     its close). Copy what you need to keep.
 *
 * ---- Outcomes: status codes -----------------------------------------------
 *
 * A request's status is one code of enum slot_err (slot_err.h, installed
 * beside this header; slotc_err_name() gives the stable name, e.g.
 * "SOLD_OUT"). Besides the ledger's rule errors listed per operation:
 *
 *   SLOT_OK               done; the outputs are set.
 *   SLOT_OUTCOME_UNKNOWN  a mutating request (or a membership change) that
 *                         may or may not have been applied, and no later
 *                         attempt settled it, when its deadline passed (or
 *                         the client closed, or its session was forgotten
 *                         by the ledger, or a retry was refused). "May have
 *                         been applied" means exactly: an attempt was on a
 *                         connection that broke or was still unanswered at
 *                         the deadline or close, or a node answered it with
 *                         an ERROR saying "executed: UNKNOWN" (the node had
 *                         proposed it to raft and then lost leadership or
 *                         shut down; a node too old to say counts as that).
 *                         A refusal saying "executed: NOT" (a follower, no
 *                         leader, BUSY, a closing node) never leads here: the
 *                         request is retried and its next answer counts, and
 *                         if every attempt was refused so, the deadline
 *                         gives TIMEOUT. Never a guess: query it. out.id names the hold / booking it
 *                         was about (CONFIRM, RELEASE: the hold id; CANCEL:
 *                         the booking id; which are the same number). For a
 *                         HOLD, whose id only the ledger knows, out.pool and
 *                         out.patient name what to query
 *                         (slotc_read_patient); for the account and
 *                         staff commands out.patient (slotc_read_account,
 *                         slotc_read_patient_info, slotc_read_staff_log);
 *                         MOVE and CHECKIN: out.id the booking (MOVE also
 *                         out.pool, the target: query slotc_read_booking,
 *                         whose moved_to tells); POOL_STOP: out.pool.
 *                         A command abandoned in
 *                         flight may still be applied a little later (it may
 *                         sit in the Raft log): query after the cluster has
 *                         a leader again.
 *   SLOT_TIMEOUT          the deadline passed while nodes were answering:
 *                         the request was in flight on a connection whose
 *                         node had answered before, a node had answered it
 *                         with a retryable error saying "executed: NOT"
 *                         (NOT_LEADER, NO_LEADER, BUSY, ...), or some
 *                         node was answering at the deadline. A
 *                         mutation with this status was certainly not
 *                         applied (else OUTCOME_UNKNOWN): e.g. it never left
 *                         the client because no session could be opened.
 *   SLOT_UNAVAILABLE      the deadline passed and no node could be reached:
 *                         no node answered anything on the connections the
 *                         request used (refused, reset, closed mid-frame,
 *                         silent), and none was answering at the deadline
 *                         (wrong addresses, all nodes down). A mutation with
 *                         this status was certainly not applied.
 *   SLOT_NAME_UNRESOLVED  the same, and the last try of every node the
 *                         request could use failed because the node's host
 *                         name did not resolve (no such name, or no
 *                         resolver answered): fix the addresses, /etc/hosts
 *                         or DNS. Never applied.
 *   SLOT_SHUTDOWN         the client was closed before an answer (a mutation
 *                         that may have been applied reports OUTCOME_UNKNOWN
 *                         instead).
 *   SLOT_MALFORMED, SLOT_INVALID_ARGUMENT, SLOT_TOO_LARGE, SLOT_UNKNOWN_OP,
 *   SLOT_BAD_VERSION      the node refused the request as invalid (final).
 *   SLOT_NOT_LEADER, SLOT_NO_LEADER, SLOT_SHUTDOWN  only for a request
 *                         pinned to one node (req.node): that node needs to
 *                         lead and does not, or is shutting down (unpinned
 *                         requests retry elsewhere instead).
 *   SLOT_REQUEST_MISMATCH  the request's idem_key was used before with a
 *                         different command (see idem_key); nothing ran.
 *   SLOT_SESSION_UNKNOWN, SLOT_REQUEST_TOO_OLD, and REQUEST_MISMATCH on the
 *                         library's own (session, number), never reach the
 *                         caller: the library handles them (a new session;
 *                         OUTCOME_UNKNOWN when in doubt).
 *
 * The submitting call itself returns SLOT_OK (accepted: the callback will
 * run), or, and then the callback is never called:
 *   SLOT_INVALID_ARGUMENT / SLOT_TOO_LARGE  an argument breaks the protocol's
 *                         rules (slot_proto.h: id charsets and lengths,
 *                         ranges); nothing was sent.
 *   SLOT_BUSY             the client already holds opts.queue_max requests
 *                         (or its node table is full, or memory ran out).
 *   SLOT_SHUTDOWN         the client is closing.
 *
 * ---- Exactly-once ---------------------------------------------------------
 *
 * The client opens up to opts.sessions_max ledger sessions and numbers each
 * session's mutating requests 1, 2, 3, ... A request keeps its (session,
 * number) across every retry, reconnect and leader change; the ledger
 * answers a retry with the original result. At most 32 requests of one
 * session are unanswered at a time (the ledger's window); more wait in the
 * client's queue (bounded by queue_max). If the ledger has forgotten a
 * session (idle, or evicted), requests that certainly never ran are moved
 * to a new session; the others complete with OUTCOME_UNKNOWN.
 */
#ifndef LIBSLOT_H
#define LIBSLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slot_err.h"

/* libuv's loop (uv_loop_t is a typedef of it): the async face takes the
 * caller's loop, so callers of it include <uv.h>; the blocking face needs
 * no libuv header. */
struct uv_loop_s;

#ifndef SLOT_API
#define SLOT_API __attribute__((visibility("default")))
#endif

/* 2: protocol version 2 (hospital schedules and rules); struct slotc_pool,
 * slotc_claim, slotc_pool_spec and slotc_out grew (an ABI change:
 * libslot.so.2).
 * 3: protocol version 3 (the patient rules: accounts, quotas,
 * cancellations, violations and blacklists, cool-down); struct
 * slotc_config, slotc_bucket, slotc_pool, slotc_rules and slotc_out (so
 * slotc_req) grew (an ABI change: libslot.so.3). Every version 2 call
 * keeps its signature and meaning (source compatible).
 * 3.1: waitlists; slotc_pool.waiting and slotc_out.position / length
 * appended (before any release of 3: still libslot.so.3).
 * 4: protocol version 4 (the visit day: doctor's stoppage, moves,
 * check-in, no-shows); struct slotc_claim, slotc_rules, slotc_staff_entry
 * and slotc_out (so slotc_req) grew (an ABI change: libslot.so.4). Every
 * version 3 call keeps its signature and meaning (source compatible).
 * 4.1: the event feed (slotc_read_events, slotc_sync_events_follow, struct
 * slotc_event); slotc_out.events, n_events, first and last appended
 * before any release of 4: still libslot.so.4.
 * 5: protocol version 5 (the money: payment methods, the payment in
 * claims and events, reconciliation counters, statistics); struct
 * slotc_claim, slotc_event and slotc_out (so slotc_req) grew (an ABI
 * change: libslot.so.5). Every version 4 call keeps its signature and
 * meaning (source compatible). */
#define SLOTC_VERSION_MAJOR 5
#define SLOTC_VERSION_MINOR 0

/* Limits, equal to the protocol's (slot_proto.h). */
#define SLOTC_POOL_ID_MAX     64 /* bytes of [A-Za-z0-9/_.:-] */
#define SLOTC_PATIENT_KEY_MIN 8  /* bytes of [A-Za-z0-9_.:-] */
#define SLOTC_PATIENT_KEY_MAX 64
#define SLOTC_CHANNEL_MAX     16    /* bytes of [a-z0-9_-] */
#define SLOTC_PAYMENT_REF_MAX 64    /* bytes of printable ASCII 0x21..0x7e */
#define SLOTC_PAY_METHOD_MAX  16    /* bytes of [a-z0-9_-] (protocol 5) */
#define SLOTC_IDEM_KEY_MAX    64    /* bytes of [A-Za-z0-9_.:-] (idem_key) */
#define SLOTC_SHARES_MAX      8     /* channel shares of one pool */
#define SLOTC_LIST_MAX        1000  /* pools of one list read */
#define SLOTC_ADDRESS_MAX     255   /* bytes of a member address */
#define SLOTC_MEMBERS_MAX     16    /* members in a node status */
#define SLOTC_NODES_MAX       16    /* nodes one client knows */
#define SLOTC_SESSIONS_MAX    64    /* upper bound of opts.sessions_max */
#define SLOTC_QUEUE_MAX       65536 /* upper bound of opts.queue_max */
/* Schedules and rules (slot_sched.h). */
#define SLOTC_NAME_MAX                                                         \
    32                               /* hospital, campus, department, doctor:
                                     * bytes of [A-Za-z0-9_.-] */
#define SLOTC_OPERATOR_MAX       32  /* bytes of [A-Za-z0-9_.@-] */
#define SLOTC_REASON_MAX         256 /* bytes of UTF-8, no control chars */
#define SLOTC_POOL_NAMES_MAX     8   /* eligible / remainder_allow names */
#define SLOTC_GROUPS_MAX         8   /* channel groups of a hospital */
#define SLOTC_GROUP_CHANNELS_MAX 16  /* channels of one group */
#define SLOTC_POLICIES_MAX       16  /* per-channel policies */
#define SLOTC_ELIG_RULES_MAX     16  /* eligibility rules */
#define SLOTC_ID_PREFIX_MAX      50  /* a template's pool id prefix */
#define SLOTC_TEMPLATE_DAYS_MAX  366
#define SLOTC_TEMPLATE_SEGS_MAX  48
#define SLOTC_RULES_LOG_MAX      32 /* changes a hospital's log keeps */
/* Patients and accounts (protocol 3). */
#define SLOTC_ACCOUNT_PATIENTS_MAX 8 /* config.account_patients_max at most */
#define SLOTC_ACCOUNT_CHANGES_KEPT 8 /* unbind changes an account keeps */
#define SLOTC_VIOLATIONS_KEPT                                                  \
    8                           /* violations (and hospitals' standings)
                                      * a patient's record keeps */
#define SLOTC_CANCELS_KEPT    8 /* cancellations a patient's record keeps */
#define SLOTC_COOLDOWN_MAX_MS 3600000u /* cooldown_max_ms at most */
#define SLOTC_WINDOW_DAYS_MAX 3660     /* violation window, blacklist days */
/* The visit day (protocol 4). */
#define SLOTC_CHECKIN_MAX_MS 86400000u /* checkin_before/late_ms at most */

/* ---- Errors ------------------------------------------------------------- */

/* Stable name of a code ("SOLD_OUT"), or NULL if it is not one. Static. */
SLOT_API const char *slotc_err_name(int code);
/* Human message of a code ("unknown error" if it is not one). Static. */
SLOT_API const char *slotc_err_message(int code);

/* ---- Value types --------------------------------------------------------- */

enum slotc_kind {
    SLOTC_KIND_NORMAL = 0,
    SLOTC_KIND_EXPERT = 1,
    SLOTC_KIND_SPECIAL = 2,
    SLOTC_KIND_TOP_EXPERT = 3
};
/* How a scheduled pool is paid. */
enum slotc_pay_mode {
    SLOTC_PAY_ONLINE = 0,  /* CONFIRM needs a payment_ref */
    SLOTC_PAY_AT_VISIT = 1 /* CONFIRM without one books it unpaid */
};
enum slotc_pool_state {
    SLOTC_POOL_SCHEDULED = 0, /* open, but ledger time < release_at_ms */
    SLOTC_POOL_OPEN = 1,
    SLOTC_POOL_CLOSED = 2,
    SLOTC_POOL_STOPPED = 3, /* the doctor's stoppage (slotc_pool_stop): for
                             * good, closed or not */
};
enum slotc_claim_state {
    SLOTC_CLAIM_HELD = 1,
    SLOTC_CLAIM_BOOKED = 2,
    SLOTC_CLAIM_RELEASED = 3,
    SLOTC_CLAIM_EXPIRED = 4,
    SLOTC_CLAIM_CANCELLED = 5,
    SLOTC_CLAIM_MOVED = 6, /* a booking slotc_move took to another pool
                            * (claim.moved_to) */
};
/* A BOOKED claim's attendance on the visit day. */
enum slotc_attendance {
    SLOTC_ATTEND_PENDING = 0,
    SLOTC_ATTEND_CHECKED_IN = 1, /* slotc_checkin */
    SLOTC_ATTEND_NO_SHOW = 2     /* check-in closed without it, under rules
                                  * with visit.noshow_sweep */
};
enum slotc_member_role {
    SLOTC_ROLE_STANDBY = 0,
    SLOTC_ROLE_VOTER = 1,
    SLOTC_ROLE_SPARE = 2
};

/* Names ("expert", "open", "booked", "voter"), or NULL. Static storage. */
SLOT_API const char *slotc_kind_name(int kind);
SLOT_API const char *slotc_pool_state_name(int state);
SLOT_API const char *slotc_claim_state_name(int state);
SLOT_API const char *slotc_member_role_name(int role);
SLOT_API const char *slotc_pay_mode_name(int mode); /* "online", "at_visit" */
/* "pending", "checked_in", "no_show", or NULL. Static. */
SLOT_API const char *slotc_attendance_name(int attendance);
/* The value for a name, or -1. */
SLOT_API int slotc_kind_from_name(const char *name);
SLOT_API int slotc_pay_mode_from_name(const char *name);

/* Dates and times of day in a hospital's local time (slot_time.h): a
 * local date is a day number (days since 1970-01-01, 1..109572); a time of
 * day a minute 0..1439. Parsing takes exactly "YYYY-MM-DD" / "HH:MM" and
 * returns -1 for anything else (or an impossible date); formatting writes
 * 11 / 6 bytes with the NUL. slotc_local_day gives the local date of a
 * UTC instant at a UTC offset (minutes, -720..840). */
SLOT_API int64_t slotc_day_parse(const char *s);
SLOT_API void slotc_day_format(uint32_t day, char out[11]);
SLOT_API int32_t slotc_minute_parse(const char *s);
SLOT_API void slotc_minute_format(uint32_t minute, char out[6]);
SLOT_API uint32_t slotc_local_day(uint64_t utc_ms, int32_t utc_offset_min);
SLOT_API int slotc_member_role_from_name(const char *name);

/* Which quota refused a hold (out.quota of QUOTA_EXCEEDED). */
enum slotc_quota {
    SLOTC_QUOTA_DAY_NORMAL = 1,   /* normal pools of one visit day */
    SLOTC_QUOTA_DAY_EXPERT = 2,   /* expert pools of one visit day */
    SLOTC_QUOTA_DEPT_EXPERT = 3,  /* expert pools of one department and day */
    SLOTC_QUOTA_MONTH_NORMAL = 4, /* normal pools of one calendar month */
    SLOTC_QUOTA_MONTH_EXPERT = 5, /* expert pools of one calendar month */
    SLOTC_QUOTA_ACTIVE = 6,       /* config.patient_active_max, across the
                             * platform */
    /* quota_per_account: SLOTC_QUOTA_ACCOUNT + one of the first five,
     * counted over the account's patients together */
    SLOTC_QUOTA_ACCOUNT = 10
};
/* Which binding rule refused (out.account_rule of ACCOUNT_LIMIT). */
enum slotc_account_rule {
    SLOTC_ACCOUNT_FULL = 1,           /* account_patients_max are bound */
    SLOTC_ACCOUNT_ELSEWHERE = 2,      /* the patient is bound to another */
    SLOTC_ACCOUNT_CHANGES = 3,        /* account_changes_max in the window */
    SLOTC_ACCOUNT_CHANGE_PATIENTS = 4 /* account_change_patients_max unbinds
                                       * in the change open (24 h) */
};
enum slotc_violation_kind {
    SLOTC_VIOLATION_NO_SHOW = 1,     /* staff: the patient did not come */
    SLOTC_VIOLATION_UNPAID = 2,      /* the ledger: a hold expired unpaid (only
                                  * recorded by the ledger itself) */
    SLOTC_VIOLATION_OTHER = 3,       /* staff, with its reason */
    SLOTC_VIOLATION_LATE_CANCEL = 4, /* the ledger: a cancel close to the
                                      * visit (late_cancel_ms) */
};
/* Names: "day_normal", "day_expert", "dept_expert", "month_normal",
 * "month_expert", "active", "account_day_normal", ...,
 * "account_month_expert"; "full", "elsewhere", "changes",
 * "change_patients"; "no_show", "unpaid", "other", "late_cancel"; or
 * NULL. Static. */
SLOT_API const char *slotc_quota_name(int quota);
SLOT_API const char *slotc_account_rule_name(int rule);
SLOT_API const char *slotc_violation_name(int kind);
/* The kind for a name, or -1. */
SLOT_API int slotc_violation_from_name(const char *name);

/* Replicated rule parameters (slotc_config replaces all of them). Ranges:
 * 1 <= hold_ttl_min_ms <= hold_ttl_max_ms <= 86400000; session_max
 * 1..1000000; session_idle_ms 1000..2^53; retain_ms <= 2^53; retain_max
 * <= 10000000.
 *
 * The account and patient limits (protocol 3) travel only when v3 is
 * true; then they are all replaced, with the ranges: account_patients_max
 * 1..SLOTC_ACCOUNT_PATIENTS_MAX (patients one account binds; ledger
 * default 4), account_changes_max 1..SLOTC_ACCOUNT_CHANGES_KEPT (unbind
 * changes per window; 1), account_change_window_days 1..3660 (365),
 * account_change_patients_max 1..SLOTC_ACCOUNT_PATIENTS_MAX (unbinds in
 * one change; 2), patient_active_max 0..65535 (active claims one patient
 * may have across the platform; 0: no limit), cooldown_key (the secret
 * that makes a cancelled slot's return time unpredictable). v3 false
 * (what a zeroed struct of a version 2 caller says): the other fields must
 * be 0 and the ledger keeps its values of them. Reads report v3 true and
 * cooldown_key zero (the ledger never discloses it): to change only the
 * first six fields of a config that was read, clear v3 before sending it
 * back, or the key is replaced by zeros. */
struct slotc_config {
    uint32_t hold_ttl_min_ms;
    uint32_t hold_ttl_max_ms;
    uint32_t session_max;
    uint64_t session_idle_ms;
    uint64_t retain_ms;
    uint32_t retain_max;
    bool v3;
    uint32_t account_patients_max;
    uint32_t account_changes_max;
    uint32_t account_change_window_days;
    uint32_t account_change_patients_max;
    uint32_t patient_active_max;
    uint64_t cooldown_key[2];
};

struct slotc_share {
    const char *channel; /* 1..SLOTC_CHANNEL_MAX bytes of [a-z0-9_-] */
    uint32_t slots;      /* 1..capacity */
};

/* A pool's place in a hospital's schedule (slot_sched.h): the hospital
 * (which must have rules: slotc_rules_set), campus and doctor ("" for a
 * department-level clinic), department, the local visit date, how it is
 * paid, how long one visit number stands for (0: segment / capacity),
 * which channels or groups may book it (none: the hospital's eligibility
 * rules decide) and which may take from its shared remainder (none: every
 * eligible one). Names are channels or groups of the hospital. */
struct slotc_place {
    const char *hospital;
    const char *campus; /* NULL or "": none */
    const char *department;
    const char *doctor; /* NULL or "": none */
    uint32_t visit_day; /* local date (slotc_day_parse) */
    int pay_mode;       /* enum slotc_pay_mode */
    uint32_t visit_slot_ms;
    uint32_t n_eligible;
    const char *eligible[SLOTC_POOL_NAMES_MAX];
    uint32_t n_remainder_allow;
    const char *remainder_allow[SLOTC_POOL_NAMES_MAX];
};

/* A pool definition (POOL_CREATE / POOL_UPDATE). Rules: capacity
 * 1..100000; kind <= 3; fee_cents <= 100000000; every *_ms <= 2^53; the
 * segment both 0 or start < end; shares distinct, sum <= capacity; a
 * share's channel may name a group of the pool's hospital ("online"). A
 * pool with a place must have a segment (seg_start_ms > 0): its visit
 * numbers stand for times in it. */
struct slotc_pool_spec {
    const char *pool;
    uint32_t capacity;
    int kind; /* enum slotc_kind */
    uint64_t fee_cents;
    uint64_t seg_start_ms;
    uint64_t seg_end_ms;
    uint64_t release_at_ms; /* holds refused while ledger time < this (a
                             * scheduled pool also waits for its
                             * hospital's release time) */
    uint32_t n_shares;
    struct slotc_share shares[SLOTC_SHARES_MAX];
    const struct slotc_place *place; /* NULL: a free-standing pool */
};

/* Counters of one bucket: a channel's share, or the shared remainder.
 * free + held + booked + cooling == capacity. */
struct slotc_bucket {
    char channel[SLOTC_CHANNEL_MAX + 1]; /* "" for the remainder */
    uint32_t capacity, free, held, booked;
    uint32_t cooling; /* freed by a cancel, not free again yet (the
                       * hospital's cool-down) */
};

/* A scheduled pool's place as reads report it. */
struct slotc_pool_place {
    char hospital[SLOTC_NAME_MAX + 1];
    char campus[SLOTC_NAME_MAX + 1];
    char department[SLOTC_NAME_MAX + 1];
    char doctor[SLOTC_NAME_MAX + 1];
    uint32_t visit_day;
    int pay_mode; /* enum slotc_pay_mode */
    uint32_t visit_slot_ms;
    uint32_t n_eligible;
    char eligible[SLOTC_POOL_NAMES_MAX][SLOTC_CHANNEL_MAX + 1];
    uint32_t n_remainder_allow;
    char remainder_allow[SLOTC_POOL_NAMES_MAX][SLOTC_CHANNEL_MAX + 1];
    uint64_t flow_due_ms; /* when unsold shares flow back; 0: no flow-back
                           * rule, or flowed back already */
    bool flowed_back;     /* they have (once: never again) */
};

struct slotc_pool {
    char pool[SLOTC_POOL_ID_MAX + 1];
    int kind;  /* enum slotc_kind */
    int state; /* enum slotc_pool_state */
    uint32_t capacity, free, held, booked;
    uint64_t fee_cents;
    uint64_t seg_start_ms, seg_end_ms;
    uint64_t release_at_ms; /* scheduled pools: when holds open (the later
                             * of the pool's own and the hospital's) */
    uint32_t next_visit_no;
    uint32_t n_shares;
    struct slotc_bucket shares[SLOTC_SHARES_MAX];
    struct slotc_bucket remainder;
    bool scheduled; /* place is set */
    struct slotc_pool_place place;
    uint32_t cooling; /* free + held + booked + cooling == capacity */
    uint32_t waiting; /* patients on the pool's waitlist */
};

/* A hold and, once confirmed, the booking made from it (same id). */
struct slotc_claim {
    uint64_t id;
    int state; /* enum slotc_claim_state */
    char pool[SLOTC_POOL_ID_MAX + 1];
    char patient[SLOTC_PATIENT_KEY_MAX + 1];
    char channel[SLOTC_CHANNEL_MAX + 1];
    uint64_t held_at_ms;
    uint64_t deadline_ms;
    uint64_t booked_at_ms;   /* 0 unless confirmed */
    uint64_t resolved_at_ms; /* 0 while held or booked */
    uint32_t visit_no;       /* 0 unless confirmed */
    char payment_ref[SLOTC_PAYMENT_REF_MAX + 1];
    uint64_t visit_start_ms; /* the visit number's estimated window in */
    uint64_t visit_end_ms;   /* the segment; 0 unless booked in one */
    bool paid;               /* confirmed with a payment reference */
    char bucket[SLOTC_CHANNEL_MAX + 1]; /* the share it took from ("" the
                                         * remainder): a channel or group */
    /* ---- protocol 4: the visit day ---- */
    int attendance;            /* enum slotc_attendance (BOOKED claims) */
    uint64_t checked_in_at_ms; /* 0 unless checked in */
    uint64_t moved_to;         /* MOVED: the new booking's id, else 0 */
    uint64_t moved_from;       /* a booking slotc_move made: the old one's id,
                                * else 0 */
    bool refunded;             /* CANCELLED as a stopped clinic's refund */
    bool affected;             /* its pool is stopped */
    /* ---- protocol 5: the payment (with payment_ref) ---- */
    char pay_method[SLOTC_PAY_METHOD_MAX + 1]; /* "": none given / unpaid */
    uint64_t fee_paid_cents; /* the pool's fee when it was paid; 0 unpaid */
};

/* ---- A hospital's rules (slot_sched.h has the full contract) ------------ */

/* A named group of channels ("online" = app, wechat, bank, kiosk). */
struct slotc_group {
    char name[SLOTC_CHANNEL_MAX + 1];
    uint32_t n;
    char channels[SLOTC_GROUP_CHANNELS_MAX][SLOTC_CHANNEL_MAX + 1];
};
/* How the date rules apply to a channel, group or "*" (everyone else). */
struct slotc_policy {
    char channel[SLOTC_CHANNEL_MAX + 1];
    uint32_t horizon_days; /* 0: the hospital's */
    bool cutoff;           /* the day-before cut-off applies */
    bool same_day;         /* may book for today */
};
/* Which channels/groups may book the pools of a department ("" any) and
 * kind (-1 any); the first matching rule decides. */
struct slotc_elig {
    char department[SLOTC_NAME_MAX + 1];
    int kind;
    uint32_t n;
    char names[SLOTC_POOL_NAMES_MAX][SLOTC_CHANNEL_MAX + 1];
};
/* A hospital's patient rules (rule set version 2; slot_sched.h has the
 * full contract). They apply to the hospital's scheduled pools (a
 * department's own rule set does not change them). slotc_rules_init
 * restricts nothing: no quota, no deadline, no limit, no blacklist, no
 * cool-down, no account channels (window 30 days, blacklist 90 days, so
 * that a threshold alone turns the blacklist on). */
struct slotc_patient_rules {
    /* 0 (no limit) .. 255: a patient's held + booked claims at the
     * hospital on one visit day in normal pools / in expert pools (every
     * kind but normal), in one department's expert pools on one day, in
     * one calendar month of visit days (normal / expert). */
    uint32_t quota_day_normal, quota_day_expert, quota_dept_expert;
    uint32_t quota_month_normal, quota_month_expert;
    /* A booking may be cancelled (by a channel; an administrator always
     * may) until local minute cancel_minute (0..1439; -1: no deadline) of
     * the day cancel_days_before (0..366) days before the visit day;
     * cancel_same_day: one booked at or after that deadline still may,
     * until its segment starts. */
    uint32_t cancel_days_before;
    int32_t cancel_minute;
    bool cancel_same_day;
    uint32_t cancel_limit_day; /* 0 (none) .. SLOTC_CANCELS_KEPT: a patient
                                * who cancelled this many times on one local
                                * day gets no new holds that day */
    /* violation_threshold (0: no blacklist .. SLOTC_VIOLATIONS_KEPT)
     * violations within violation_window_days (1..3660) blacklist the
     * patient at the hospital for blacklist_days (1..3660); one fewer
     * shows a warning. */
    uint32_t violation_window_days;
    uint32_t violation_threshold;
    uint32_t blacklist_days;
    char blacklist_exempt[SLOTC_CHANNEL_MAX + 1]; /* "" or a channel or
                                                   * group that still books
                                                   * for a blacklisted
                                                   * patient */
    bool unpaid_is_violation; /* a hold that expires unpaid is one */
    /* A slot freed by a cancel returns to free at an unpredictable time in
     * [min, max] ms after it (max 0: at once); max <= 3600000. */
    uint32_t cooldown_min_ms, cooldown_max_ms;
    char account_channels[SLOTC_CHANNEL_MAX + 1]; /* "" or a channel or
                                                   * group whose holds must
                                                   * name an account the
                                                   * patient is bound to */
    /* The quotas also count, together, the claims of every patient bound
     * to the holding patient's account (out.quota SLOTC_QUOTA_ACCOUNT +
     * the quota). */
    bool quota_per_account;
    /* 0 (off) .. 604800000: a patient's own cancel less than this before
     * the segment starts is a violation (SLOTC_VIOLATION_LATE_CANCEL). */
    uint32_t late_cancel_ms;
};

/* A hospital's visit-day rules (rule set version 3; slot_sched.h has the
 * full contract). CHECKIN is accepted in [segment start -
 * checkin_before_ms, segment end - checkin_late_ms); both
 * 0..SLOTC_CHECKIN_MAX_MS. noshow_sweep: a booking not checked in when
 * check-in closes is marked a no-show (a NO_SHOW violation of its
 * patient). slotc_rules_init: check-in from SLOTC_CHECKIN_MAX_MS (24 h)
 * before the segment to its end, no sweep. They apply to the pools of the
 * rule set (a department's own rules, else the hospital's). */
struct slotc_visit_rules {
    uint32_t checkin_before_ms;
    uint32_t checkin_late_ms;
    bool noshow_sweep;
};

struct slotc_rules {
    int32_t utc_offset_min;  /* -720..840 (Beijing: 480) */
    uint32_t release_minute; /* 0..1439: the day horizon_days ahead opens */
    uint32_t horizon_days;   /* 0..366; 0: no horizon rule */
    int32_t cutoff_minute;   /* 0..1439 on the day before the visit; -1:
                              * no cut-off */
    uint32_t pay_ttl_ms;     /* 0 or 1000..86400000: a HOLD's default ttl */
    uint32_t pay_ttl_max_ms; /* 0 (the ledger's maximum) or 1000..86400000 */
    uint32_t flowback_days_before;           /* 0..7 */
    int32_t flowback_minute;                 /* 0..1439; -1: no flow-back */
    char flowback_to[SLOTC_CHANNEL_MAX + 1]; /* a share; "": the remainder */
    uint32_t n_groups;
    struct slotc_group groups[SLOTC_GROUPS_MAX];
    uint32_t n_policies;
    struct slotc_policy policies[SLOTC_POLICIES_MAX];
    uint32_t n_elig;
    struct slotc_elig elig[SLOTC_ELIG_RULES_MAX];
    struct slotc_patient_rules patient; /* the hospital's; a department's
                                         * own are stored, not applied */
    struct slotc_visit_rules visit;     /* protocol 4 */
};
/* Rules that restrict nothing (what a hospital without rules behaves as),
 * UTC offset 0. */
SLOT_API void slotc_rules_init(struct slotc_rules *r);

/* A version of a hospital's (or a department's) rules. */
struct slotc_rules_info {
    bool inherited; /* a department without its own: the hospital's */
    uint64_t version;
    char department[SLOTC_NAME_MAX + 1]; /* "": the hospital's own */
    uint64_t changed_at_ms;
    char operator_name[SLOTC_OPERATOR_MAX + 1];
    char reason[SLOTC_REASON_MAX + 1];
    struct slotc_rules rules;
};

/* ---- Schedule templates -------------------------------------------------- */

struct slotc_segment {
    uint32_t start_minute, end_minute; /* local, 0 <= start < end <= 1440 */
    uint32_t capacity;                 /* 1..100000 */
};
struct slotc_tshare {
    const char *channel; /* a channel or a group of the hospital */
    uint32_t permille;   /* 1..1000: floor(capacity * permille / 1000) */
};
/* One pool per (day, segment), id "<id_prefix>/YYYYMMDD/HHMM", each with
 * the template's place (place.visit_day is ignored), kind, fee and
 * shares. Days strictly increasing; segments increasing, not
 * overlapping. */
struct slotc_template {
    const char *id_prefix; /* 1..SLOTC_ID_PREFIX_MAX bytes, pool charset */
    struct slotc_place place;
    int kind;
    uint64_t fee_cents;
    uint32_t n_shares;
    struct slotc_tshare shares[SLOTC_SHARES_MAX];
    uint32_t n_days; /* 1..SLOTC_TEMPLATE_DAYS_MAX */
    const uint32_t *days;
    uint32_t n_segments; /* 1..SLOTC_TEMPLATE_SEGS_MAX */
    const struct slotc_segment *segments;
};

/* A pool query (slotc_read_query): one hospital's pools in (visit date,
 * segment start, department, doctor, pool) order. */
struct slotc_query {
    const char *hospital;
    const char *department; /* NULL or "": any */
    const char *doctor;     /* NULL or "": any */
    uint32_t date_from;     /* local dates; 0: unbounded */
    uint32_t date_to;
    int kind;          /* -1: any */
    const char *after; /* NULL or "": from the first; else a pool of the
                        * hospital: the page after it */
    uint32_t limit;    /* 1..SLOTC_LIST_MAX */
};

struct slotc_ledger_info {
    uint64_t time_ms;
    uint64_t state_hash;
    uint32_t pools, patients, channels, sessions;
    uint32_t holds_active, bookings_active, retained;
    struct slotc_config config;
};

struct slotc_member {
    uint64_t id;
    char address[SLOTC_ADDRESS_MAX + 1]; /* "RAFT_HOST:PORT/CLIENT_HOST:PORT" */
    int role;                            /* enum slotc_member_role */
};

/* One node's own view (ADMIN STATUS). */
struct slotc_node_status {
    uint64_t id;
    char role[16]; /* "leader" / "follower" / "candidate" / "unavailable" */
    uint64_t term;
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t leader_id;                  /* 0: none known */
    char address[SLOTC_ADDRESS_MAX + 1]; /* its own, RAFT/CLIENT */
    uint32_t n_members;
    struct slotc_member members[SLOTC_MEMBERS_MAX];
    uint64_t state_hash;
    uint64_t ledger_time_ms;
    uint64_t entries_applied;
    uint64_t commands_applied;
    /* raft's membership state, for a change refused BUSY (raft's
     * CANTCHANGE) for long: the index of the last committed configuration,
     * of one appended and not committed yet (0: none), and on the leader
     * a server being caught up for promotion (0: none). raft allows one
     * change at a time: no new one while either of the last two is set.
     * All 0 from a node that predates them. */
    uint64_t config_committed_index;
    uint64_t config_uncommitted_index;
    uint64_t promotee_id;
    /* The commit path's stalls: loop turns of >= 5 ms (SLOT_STALL_US) of
     * callbacks without polling while this node led, since it started,
     * and the longest; 0 from a node that predates them. */
    uint64_t leader_stalls;
    uint64_t leader_stall_max_us;
};

/* ---- Patients, accounts and the staff log (protocol 3) ------------------- */

struct slotc_violation {
    uint64_t at_ms;
    char hospital[SLOTC_NAME_MAX + 1];
    int kind; /* enum slotc_violation_kind */
};
/* A patient's standing at one hospital (one with violations, a blacklist
 * or an exception). */
struct slotc_standing {
    char hospital[SLOTC_NAME_MAX + 1];
    uint32_t violations;           /* within the hospital's window, now */
    uint32_t threshold;            /* 0: the hospital has no blacklist rule */
    bool warning;                  /* one more violation blacklists */
    uint64_t blacklisted_until_ms; /* 0: not blacklisted */
    bool exception;                /* staff let the next hold through */
};
/* A patient's record (slotc_read_patient_info). A patient the ledger does
 * not know reads as empty. */
struct slotc_patient_info {
    char patient[SLOTC_PATIENT_KEY_MAX + 1];
    char account[SLOTC_PATIENT_KEY_MAX + 1]; /* "" none */
    uint32_t n_claims; /* active claims (held before their deadline, or */
    const struct slotc_claim *claims; /* booked), by id; = out.claims */
    uint32_t n_violations;            /* kept, oldest first */
    struct slotc_violation violations[SLOTC_VIOLATIONS_KEPT];
    uint32_t n_standing;
    struct slotc_standing standing[SLOTC_VIOLATIONS_KEPT];
    uint32_t n_cancels; /* the patient's own cancellations (by a channel),
                         * kept, oldest first */
    uint64_t cancels_ms[SLOTC_CANCELS_KEPT];
};
struct slotc_account_change {
    uint64_t at_ms;   /* the change's first unbind */
    uint32_t unbinds; /* in that change */
};
/* An account (slotc_read_account); an unknown one reads as empty. */
struct slotc_account_info {
    char account[SLOTC_PATIENT_KEY_MAX + 1];
    uint32_t n_patients; /* bound, in binding order */
    char patients[SLOTC_ACCOUNT_PATIENTS_MAX][SLOTC_PATIENT_KEY_MAX + 1];
    uint32_t n_changes; /* kept, oldest first */
    struct slotc_account_change changes[SLOTC_ACCOUNT_CHANGES_KEPT];
};
/* One entry of the staff log: a VIOLATION, UNBLOCK, EXCEPTION or
 * POOL_STOP that took effect. */
struct slotc_staff_entry {
    uint64_t seq; /* 1, 2, ... */
    uint64_t at_ms;
    int op; /* SLOTC_OP_VIOLATION, SLOTC_OP_UNBLOCK, SLOTC_OP_EXCEPTION or
             * SLOTC_OP_POOL_STOP */
    char hospital[SLOTC_NAME_MAX + 1];       /* "": a free-standing pool's */
    char patient[SLOTC_PATIENT_KEY_MAX + 1]; /* "": POOL_STOP */
    int kind; /* VIOLATION's (enum slotc_violation_kind), else 0 */
    char operator_name[SLOTC_OPERATOR_MAX + 1];
    char reason[SLOTC_REASON_MAX + 1];
    char pool[SLOTC_POOL_ID_MAX + 1]; /* protocol 4: POOL_STOP's, else "" */
};

/* ---- The event feed (protocol 4) ------------------------------------------
 * Every state change the ledger makes is an event, numbered 1, 2, ... (seq)
 * in apply order, the same on every replica: a reader's cursor is the seq
 * of the last event it handled, and reading on from it through any node,
 * after any leader change, gives no gap and no duplicate. The ledger keeps
 * a window of the newest events (at most 1M, none older than 24 h);
 * a cursor that fell out of it gets SLOT_CURSOR_EXPIRED. */

/* Event types and the meaning of a and b (ledger.h, "The event feed",
 * lists which command makes which). */
enum slotc_event_type {
    SLOTC_EV_HELD = 1,    /* a = the hold's deadline_ms */
    SLOTC_EV_OFFERED = 2, /* a waitlist's offer (a HELD claim): a = deadline */
    SLOTC_EV_BOOKED = 3,  /* a = visit_no, b = paid (0/1) */
    SLOTC_EV_RELEASED = 4,
    SLOTC_EV_EXPIRED = 5,
    SLOTC_EV_CANCELLED = 6,  /* a = refunded (0/1) */
    SLOTC_EV_MOVED = 7,      /* the old booking: a = the new booking's id */
    SLOTC_EV_CHECKED_IN = 8, /* a = visit_no, b = 1: it paid (protocol 5) */
    SLOTC_EV_NO_SHOW = 9,
    SLOTC_EV_POOL_CREATED = 10,
    SLOTC_EV_POOL_UPDATED = 11,
    SLOTC_EV_POOL_CLOSED = 12,
    SLOTC_EV_POOL_STOPPED = 13, /* a = bookings, b = holds affected */
    SLOTC_EV_FLOWED_BACK = 14,
    SLOTC_EV_SLOT_FREED = 15,    /* a cancelled slot back from cooling */
    SLOTC_EV_RULES_CHANGED = 16, /* a = the hospital's rules version */
    SLOTC_EV_CONFIG_CHANGED = 17,
    SLOTC_EV_VIOLATION = 18, /* a = kind (enum slotc_violation_kind), b =
                              * blacklisted until (0: not) */
    SLOTC_EV_UNBLOCKED = 19,
    SLOTC_EV_EXCEPTION = 20,
    SLOTC_EV_ACCOUNT_BOUND = 21,
    SLOTC_EV_ACCOUNT_UNBOUND = 22,
    SLOTC_EV_WAIT_JOINED = 23, /* a = position */
    SLOTC_EV_WAIT_LEFT = 24,
};
/* "held", "offered", ..., "wait_left", or NULL. Static. */
SLOT_API const char *slotc_event_name(int type);

/* One event. Fields a type does not name are "" or 0. */
struct slotc_event {
    uint64_t seq;     /* 1, 2, ... in apply order, never reused */
    uint64_t index;   /* the Raft entry that made it: equal for the events
                       * of one entry, increasing with seq */
    uint64_t time_ms; /* ledger time of that entry */
    int type;         /* enum slotc_event_type */
    char pool[SLOTC_POOL_ID_MAX + 1];
    uint64_t claim; /* the hold / booking id; 0: none */
    char patient[SLOTC_PATIENT_KEY_MAX + 1];
    char channel[SLOTC_CHANNEL_MAX + 1];
    char account[SLOTC_PATIENT_KEY_MAX + 1]; /* the patient's at the event */
    char hospital[SLOTC_NAME_MAX + 1];       /* "": a free-standing pool's */
    uint64_t a, b;                           /* per type, above */
    /* ---- protocol 5 ---- */
    uint64_t fee_cents; /* a claim's event: the claim's fee paid right after
                         * the event (0: unpaid); others 0 */
    char payment_ref[SLOTC_PAYMENT_REF_MAX + 1]; /* the same: its payment */
    char pay_method[SLOTC_PAY_METHOD_MAX + 1];   /* reference and method */
    uint32_t local_day; /* days since 1970-01-01 of time_ms in the hospital's
                         * local time (UTC without a hospital): the day
                         * the reconciliation counts it in */
};

/* ---- Money and statistics (protocol 5) ---------------------------------
 * The ledger counts, per local day (the hospital's), hospital, channel
 * and payment method, what finance reconciles; each counter is moved by
 * exactly one kind of event (so the events of a day, from the feed or
 * the archive, must sum to the counters):
 *   booked, booked_cents        BOOKED by a confirm (not by a move):
 *                               the fee paid (0 unpaid)
 *   checkin_paid, _cents        CHECKED_IN that paid (b = 1)
 *   checked_in                  every CHECKED_IN
 *   cancelled, cancelled_cents  CANCELLED (a = 0): the fee to return
 *   refunded, refunded_cents    CANCELLED (a = 1, a stopped clinic)
 *   moved                       MOVED
 *   no_show                     NO_SHOW
 * Net cents = booked + checkin_paid - cancelled - refunded cents. The
 * ledger keeps the newest 400 days of counters. */
struct slotc_recon_row {
    uint32_t day;                      /* local day */
    char hospital[SLOTC_NAME_MAX + 1]; /* "": free-standing pools */
    char channel[SLOTC_CHANNEL_MAX + 1];
    char pay_method[SLOTC_PAY_METHOD_MAX + 1]; /* "": unpaid / none given */
    uint32_t booked, checkin_paid, checked_in, cancelled, refunded, moved,
        no_show;
    uint64_t booked_cents, checkin_paid_cents, cancelled_cents, refunded_cents;
};
/* Per visit day, hospital and department, over the scheduled pools'
 * lives. Booking rate = booked_now / released (0 when nothing released). */
struct slotc_stats_row {
    uint32_t visit_day;
    char hospital[SLOTC_NAME_MAX + 1];
    char department[SLOTC_NAME_MAX + 1];
    uint32_t pools;
    uint64_t released;   /* capacity of the pools released by now */
    uint64_t capacity;   /* of all of them */
    uint64_t booked_now; /* slots booked now */
    uint64_t booked_total, cancelled_total, refunded_total, moved_total,
        no_show_total, checked_in_total;
};

/* Splits a member address "RAFT/CLIENT" into its parts (client "" when
 * absent). Returns SLOT_OK, or SLOT_INVALID_ARGUMENT if a part does not fit
 * its buffer. */
SLOT_API int slotc_address_split(const char *address, char *raft,
                                 size_t raft_len, char *client,
                                 size_t client_len);

/* ---- Requests ------------------------------------------------------------ */

enum slotc_op {
    SLOTC_OP_NONE = 0,
    /* commands (mutating, exactly-once) */
    SLOTC_OP_CONFIG = 1,
    SLOTC_OP_POOL_CREATE,
    SLOTC_OP_POOL_UPDATE,
    SLOTC_OP_POOL_CLOSE,
    SLOTC_OP_HOLD,
    SLOTC_OP_CONFIRM,
    SLOTC_OP_RELEASE,
    SLOTC_OP_CANCEL,
    SLOTC_OP_EXPIRE,
    /* reads */
    SLOTC_OP_READ_POOL,
    SLOTC_OP_READ_HOLD,
    SLOTC_OP_READ_BOOKING,
    SLOTC_OP_READ_PATIENT,
    SLOTC_OP_READ_POOLS,
    SLOTC_OP_READ_LEDGER,
    /* administration */
    SLOTC_OP_STATUS,
    SLOTC_OP_MEMBER_ADD,
    SLOTC_OP_MEMBER_ASSIGN,
    SLOTC_OP_MEMBER_REMOVE,
    SLOTC_OP_TRANSFER,
    /* hospitals' schedules and rules (commands, then reads) */
    SLOTC_OP_RULES_SET,
    SLOTC_OP_SCHEDULE_IMPORT,
    SLOTC_OP_READ_QUERY,
    SLOTC_OP_READ_RULES,
    SLOTC_OP_READ_RULES_LOG,
    SLOTC_OP_SCHEDULE_CHECK,
    /* patients and accounts (protocol 3: commands, then reads) */
    SLOTC_OP_ACCOUNT_BIND,
    SLOTC_OP_ACCOUNT_UNBIND,
    SLOTC_OP_VIOLATION,
    SLOTC_OP_UNBLOCK,
    SLOTC_OP_EXCEPTION,
    SLOTC_OP_READ_PATIENT_INFO,
    SLOTC_OP_READ_ACCOUNT,
    SLOTC_OP_READ_STAFF_LOG,
    /* waitlists (protocol 3: commands, then the read) */
    SLOTC_OP_WAITLIST_JOIN,
    SLOTC_OP_WAITLIST_LEAVE,
    SLOTC_OP_READ_WAITLIST,
    /* the visit day (protocol 4: commands, then the read) */
    SLOTC_OP_POOL_STOP,
    SLOTC_OP_MOVE,
    SLOTC_OP_CHECKIN,
    SLOTC_OP_READ_POOL_CLAIMS,
    /* the event feed (protocol 4, libslot 4.1) */
    SLOTC_OP_READ_EVENTS,
    /* money and statistics (protocol 5) */
    SLOTC_OP_READ_RECON,
    SLOTC_OP_READ_STATS,
};
/* "HOLD", "READ_POOL", "STATUS", ...; NULL for an unknown op. Static. */
SLOT_API const char *slotc_op_name(int op);

/* Request flags (req.flags, or-ed). */
/* Reads: serve from any node's local state (or from req.node), labelled
 * with its applied index, instead of a linearizable read on the leader. */
#define SLOTC_STALE 1u
/* slotc_read_ledger and slotc_status: the node leaves the state hash out
 * (out.ledger->state_hash, out.status->state_hash are 0). Computing it
 * costs O(ledger state) on the node's loop (about 0.5 s with 1M claims,
 * every client of that node waiting meanwhile); every other figure costs
 * O(1). Set it for health probes, leader polling and anything frequent;
 * leave it off where the hash is wanted (comparing replicas: slotctl
 * status, slotctl show ledger). Other operations ignore it. */
#define SLOTC_NO_HASH 2u

struct slotc_req;
typedef void (*slotc_cb)(struct slotc_req *req);

/* Outputs of a completed request. Which fields are set depends on the op
 * and is listed with each operation; the others are 0 / NULL. */
struct slotc_out {
    uint64_t index;          /* commands: Raft index of the entry that
                              * answered it (a retry the ledger answered
                              * from its session table: the retry's entry,
                              * later than the one that applied it); reads:
                              * the serving node's applied index */
    uint64_t ledger_time_ms; /* commands: ledger time when applied (a
                              * retry's too: the original's) */
    uint64_t id;             /* HOLD: hold id; CONFIRM: booking id (== hold
                              * id); MOVE: the new booking's id;
                              * OUTCOME_UNKNOWN: see above */
    uint64_t deadline_ms;    /* HOLD: the hold's deadline (ledger time) */
    uint32_t visit_no;       /* CONFIRM, MOVE (the new booking's), CHECKIN:
                              * visit order number */
    uint64_t expired;        /* EXPIRE: holds expired */
    uint64_t still_due;      /* EXPIRE: holds still due (capped at 1024) */
    uint64_t version;        /* RULES_SET: the new version */
    uint64_t created;        /* SCHEDULE_IMPORT / SCHEDULE_CHECK: pools */
    uint64_t unchanged;      /* ... new, and already there as they are */
    uint64_t total;          /* READ_QUERY, READ_RECON, READ_STATS: every
                              * match, not just the page */
    const char *pool;        /* OUTCOME_UNKNOWN of HOLD / POOL_*: the pool */
    const char *patient;     /* OUTCOME_UNKNOWN of HOLD: the patient */
    const char *node;        /* reads, STATUS: "host:port" of the node that
                              * answered */
    const struct slotc_claim *claims; /* READ_HOLD/BOOKING: 1; PATIENT: 0..1;
                                       * READ_POOL_CLAIMS: 0..limit */
    uint32_t n_claims;
    const struct slotc_pool *pools; /* READ_POOL: 1; READ_POOLS: 0..limit */
    uint32_t n_pools;
    const struct slotc_ledger_info *ledger; /* READ_LEDGER */
    const struct slotc_node_status *status; /* STATUS */
    const struct slotc_rules_info *rules;   /* READ_RULES: 1; LOG: 0..limit */
    uint32_t n_rules;
    const char *const *conflicts; /* SCHEDULE_CHECK: pools that exist with
                                   * another definition (at most
                                   * SLOTC_LIST_MAX listed) */
    uint32_t n_conflicts;
    /* ---- protocol 3 ---- */
    uint32_t bound;      /* ACCOUNT_BIND / UNBIND: patients now bound to the
                          * account */
    uint32_t violations; /* VIOLATION: the patient's violations at the
                          * hospital within its window */
    uint64_t until_ms;   /* VIOLATION: blacklisted until (0: not);
                          * refused BLACKLISTED: the same */
    bool lifted;         /* UNBLOCK: the patient was blacklisted there */
    /* What a refusal names (0 otherwise): */
    int quota;           /* QUOTA_EXCEEDED: enum slotc_quota */
    uint32_t window_day; /* QUOTA_EXCEEDED: the quota window's first local
                          * day (the visit day, or the month's first);
                          * CANCEL_LIMIT: today (local) */
    int account_rule;    /* ACCOUNT_LIMIT: enum slotc_account_rule */
    const struct slotc_patient_info *patient_info; /* READ_PATIENT_INFO */
    const struct slotc_account_info *account;      /* READ_ACCOUNT */
    const struct slotc_staff_entry *staff;         /* READ_STAFF_LOG */
    uint32_t n_staff;
    uint32_t position; /* WAITLIST_JOIN: the place taken (1 = next);
                        * READ_WAITLIST: the patient's (0: not waiting) */
    uint32_t length;   /* READ_WAITLIST: patients waiting */
    /* ---- protocol 4 ---- */
    uint32_t bookings; /* POOL_STOP: the pool's bookings affected */
    uint32_t holds;    /* POOL_STOP: its holds affected (due holds not yet
                        * expired included) */
    /* ---- the event feed (4.1) ---- */
    const struct slotc_event *events; /* READ_EVENTS: 0..limit, by seq */
    uint32_t n_events;
    uint64_t first; /* READ_EVENTS (OK or CURSOR_EXPIRED): the oldest seq
                     * the node holds (last + 1 when it holds none) */
    uint64_t last;  /* READ_EVENTS (OK or CURSOR_EXPIRED): the newest seq
                     * ever (0: none yet) */
    /* ---- protocol 5 ---- */
    const struct slotc_recon_row *recon; /* READ_RECON: 0..limit (out.total:
                                          * every match) */
    uint32_t n_recon;
    uint32_t kept_from_day; /* READ_RECON: the oldest local day the ledger
                             * keeps counters for: an earlier day reads
                             * empty because it was forgotten */
    const struct slotc_stats_row *stats; /* READ_STATS: 0..limit (out.total:
                                          * every match) */
    uint32_t n_stats;
};

struct slotc_req {
    /* ---- inputs: set by the caller before submitting ---- */
    void *data;               /* the caller's (the blocking face borrows it
                               * during a call and restores it) */
    uint32_t timeout_ms;      /* deadline, relative to submission; 0: the
                               * client's opts.timeout_ms */
    uint32_t flags;           /* SLOTC_STALE */
    const char *node;         /* NULL: any node / the leader, as the op needs.
                               * "host:port" of a node's client listener: send
                               * only there (STATUS of that node, a stale read
                               * of its state; a request that needs the leader
                               * gets NOT_LEADER if it is not). Copied. */
    const char *idem_key;     /* POOL_CREATE / POOL_UPDATE / POOL_CLOSE /
                               * HOLD / CONFIRM / RELEASE / CANCEL /
                               * RULES_SET / SCHEDULE_IMPORT /
                               * ACCOUNT_BIND / ACCOUNT_UNBIND / VIOLATION /
                               * UNBLOCK / EXCEPTION / WAITLIST_JOIN /
                               * WAITLIST_LEAVE / POOL_STOP / MOVE /
                               * CHECKIN: an
                               * idempotency key (1..64 bytes of
                               * [A-Za-z0-9_.:-]) the ledger remembers with
                               * the result (ledger.h, IDEM): the same key
                               * and command, from any client or gateway,
                               * gets the original result; the same key
                               * with another command REQUEST_MISMATCH.
                               * NULL: none. Copied. Other ops:
                               * INVALID_ARGUMENT. */
    const char *idem_channel; /* the key's namespace, a channel name; NULL:
                               * the HOLD's channel (required for the other
                               * ops). Copied. */
    /* ---- outputs: set by the library, valid inside the callback ---- */
    int op;     /* enum slotc_op, set at submission */
    int status; /* enum slot_err */
    struct slotc_out out;
    /* ---- private: the library's state while the request is pending (links,
     * tag, session and seq, deadline, a copy of the arguments). Never read
     * or write it; it need not be initialised. Its size is part of the ABI:
     * new state must fit in it. ---- */
    uint64_t _reserved[24];
};

/* Zeroes a request (inputs to their defaults). */
SLOT_API void slotc_req_init(struct slotc_req *req);

/* ---- Client -------------------------------------------------------------- */

struct slotc_options {
    /* Comma-separated client addresses of the nodes, "HOST:PORT,...": host
     * names ("slot-a.campus.example:7001", "localhost:7001"), IPv4 literals
     * or "[IPv6]:PORT" (proto/slot_addr.h has the rules); at most
     * SLOTC_NODES_MAX. Leaders named in NOT_LEADER answers are added as they
     * appear. A name is resolved with uv_getaddrinfo (libuv's thread pool,
     * never blocking the loop) each time a connection to its node is made,
     * and never cached: after a node moves to a new address, the next
     * reconnect finds it there. Of several addresses, IPv4 ones are tried
     * first, and each failed attempt moves on to the next. */
    const char *cluster;
    uint32_t timeout_ms;         /* default request deadline (10000) */
    uint32_t connect_timeout_ms; /* one TCP connect attempt (1000) */
    uint32_t attempt_timeout_ms; /* a connection with requests in flight and
                                  * nothing received for this long is
                                  * deemed dead and replaced (3000) */
    uint32_t backoff_min_ms;     /* reconnect backoff per node: starts here, */
    uint32_t backoff_max_ms;     /* doubles per failure up to here (25, 1000) */
    uint32_t retry_ms;           /* wait before retrying after NO_LEADER or
                                  * BUSY (50) */
    uint32_t sessions_max; /* ledger sessions, 1..SLOTC_SESSIONS_MAX (4) */
    uint32_t queue_max;    /* requests accepted and not completed,
                            * 1..SLOTC_QUEUE_MAX (4096) */
    /* Nonzero: a node's BUSY completes the request with SLOT_BUSY at once
     * (it never ran; OUTCOME_UNKNOWN if an earlier attempt may have)
     * instead of retrying every retry_ms until the deadline. For callers
     * that shed load themselves (a gateway answering 503): under overload
     * a refusal then costs one round trip, not a deadline. (0) */
    uint32_t busy_fails;
    uint32_t _reserved[7]; /* zero */
};

/* Fills o with the defaults above (cluster NULL). */
SLOT_API void slotc_options_init(struct slotc_options *o);

struct slotc;

/* Creates a client on the caller's loop. Nothing is sent until the first
 * request. Returns SLOT_OK and *out, or SLOT_INVALID_ARGUMENT (no cluster,
 * an address that does not parse, too many, an option out of range) with
 * *out NULL. The client's handles keep the loop alive only while requests
 * are pending (and while closing). */
SLOT_API int slotc_open(struct uv_loop_s *loop, const struct slotc_options *o,
                        struct slotc **out);

/* Checks a cluster list as slotc_open would (syntax only: nothing is
 * resolved). Returns SLOT_OK, or SLOT_INVALID_ARGUMENT / SLOT_TOO_LARGE with
 * a message in err (err_len bytes) that starts with `field` (the option's
 * name to show: "--cluster", "cluster") and says which address breaks which
 * rule. */
SLOT_API int slotc_cluster_check(const char *cluster, const char *field,
                                 char *err, size_t err_len);

/* Closes the client: completes every pending request at once (SHUTDOWN, or
 * OUTCOME_UNKNOWN for a mutation that may have been applied), closes the
 * connections, then calls close_cb(data) (may be NULL) from the loop and
 * frees the client. Callable from a completion callback. After this call
 * the client accepts nothing (SHUTDOWN); do not use it after close_cb. */
SLOT_API void slotc_close(struct slotc *c, void (*close_cb)(void *data),
                          void *data);

/* Requests accepted and not yet completed. */
SLOT_API uint32_t slotc_pending(const struct slotc *c);

/* ---- Commands (async) -------------------------------------------------------
 * Each is sent to
 * the leader with the client's (session, number) and retried, same number,
 * until answered or the deadline. On SLOT_OK: out.index, out.ledger_time_ms,
 * and what each lists. */

/* Replaces the ledger's rule parameters. Sync errors: INVALID_ARGUMENT
 * (ranges above). */
SLOT_API int slotc_config(struct slotc *c, struct slotc_req *req,
                          const struct slotc_config *cfg, slotc_cb cb);

/* Creates a pool. Errors: POOL_EXISTS, LIMIT_REACHED. */
SLOT_API int slotc_pool_create(struct slotc *c, struct slotc_req *req,
                               const struct slotc_pool_spec *spec, slotc_cb cb);

/* Replaces a pool's kind, fee, segment, release time, capacity and shares.
 * Errors: UNKNOWN_POOL, POOL_STOPPED, POOL_CLOSED, CAPACITY_CONFLICT,
 * LIMIT_REACHED. */
SLOT_API int slotc_pool_update(struct slotc *c, struct slotc_req *req,
                               const struct slotc_pool_spec *spec, slotc_cb cb);

/* Closes a pool to new holds (existing ones may still be confirmed or
 * cancelled). Errors: UNKNOWN_POOL, POOL_STOPPED, POOL_CLOSED. */
SLOT_API int slotc_pool_close(struct slotc *c, struct slotc_req *req,
                              const char *pool, slotc_cb cb);

/* Holds one slot of `pool` for `patient` through `channel` for ttl_ms (0:
 * the hospital's payment window, for a scheduled pool whose hospital sets
 * one), naming no account (slotc_hold_account with account ""). out.id =
 * hold id, out.deadline_ms. Errors, in the ledger's order (ledger.h):
 * UNKNOWN_POOL, POOL_STOPPED, POOL_CLOSED, CHANNEL_NOT_ALLOWED, OUTSIDE_HORIZON,
 * NOT_RELEASED, BOOKING_CLOSED, TTL_OUT_OF_RANGE, NOT_BOUND, BLACKLISTED
 * (out.until_ms), CANCEL_LIMIT (out.window_day = today), PATIENT_HAS_CLAIM,
 * QUOTA_EXCEEDED (out.quota, out.window_day), SOLD_OUT (also while freed
 * slots cool down), LIMIT_REACHED. OUTCOME_UNKNOWN: out.pool and
 * out.patient (query with slotc_read_patient). */
SLOT_API int slotc_hold(struct slotc *c, struct slotc_req *req,
                        const char *pool, const char *patient,
                        const char *channel, uint32_t ttl_ms, slotc_cb cb);

/* slotc_hold on behalf of an account: account NULL or "" is none, else a
 * key of the patient key rules (SLOTC_PATIENT_KEY_MIN..MAX bytes) that the
 * patient must be bound to (NOT_BOUND otherwise). A channel covered by the
 * hospital's account_channels rule must name one (NOT_BOUND without).
 * The hold belongs to its channel, and to the account's channel calls
 * while the patient stays bound to it (see slotc_confirm_as). */
SLOT_API int slotc_hold_account(struct slotc *c, struct slotc_req *req,
                                const char *pool, const char *patient,
                                const char *channel, const char *account,
                                uint32_t ttl_ms, slotc_cb cb);

/* Confirms (books) a hold as an administrator (caller ""; see
 * slotc_confirm_as). out.id = booking id (the hold id), out.visit_no.
 * payment_ref NULL: no payment (a pay-at-visit pool books it unpaid; any
 * other pool refuses PAYMENT_REQUIRED). Errors: UNKNOWN_HOLD,
 * HOLD_EXPIRED, ALREADY_CONFIRMED, ALREADY_RELEASED, POOL_STOPPED (the
 * pool was stopped: the hold stays until released or expired),
 * PAYMENT_REQUIRED.
 * Sync: INVALID_ARGUMENT for hold 0 or a bad ref. */
SLOT_API int slotc_confirm(struct slotc *c, struct slotc_req *req,
                           uint64_t hold, const char *payment_ref, slotc_cb cb);

/* Releases a hold as an administrator. Errors: as slotc_confirm (a
 * stopped pool's hold is released as any other). */
SLOT_API int slotc_release(struct slotc *c, struct slotc_req *req,
                           uint64_t hold, slotc_cb cb);

/* Cancels a booking as an administrator: no cancellation deadline
 * applies and the patient's cancellation count does not grow. Errors:
 * UNKNOWN_BOOKING, ALREADY_CANCELLED (also a MOVED booking), then, unless
 * its pool is stopped, ALREADY_CHECKED_IN, NO_SHOW. The booking of a
 * stopped pool is refunded: CANCELLED with refunded set, whatever its
 * attendance, by anyone who may cancel it, never CANCEL_CLOSED, not one
 * of the patient's cancellations, no violation, its slot free at once. */
SLOT_API int slotc_cancel(struct slotc *c, struct slotc_req *req,
                          uint64_t booking, slotc_cb cb);

/* The same on behalf of a calling channel (caller, a channel name; NULL
 * or "": an administrator, as the calls above) and an account (NULL or
 * "": none). The ledger lets a channel touch only its own claims: a claim
 * made through another channel answers NOT_OWNER (right after
 * UNKNOWN_HOLD / UNKNOWN_BOOKING, changing nothing) unless the account is
 * given and the claim's patient is bound to it now (so a patient's
 * account may confirm through the app what it held through wechat).
 * A cancel by a channel is subject to the hospital's cancellation
 * deadline (CANCEL_CLOSED, after ALREADY_CANCELLED, ALREADY_CHECKED_IN and
 * NO_SHOW) and counts towards the patient's daily cancellation limit
 * (neither for a stopped pool's refund). Whatever serves patients (the
 * HTTP shim) must use these forms with the caller's own channel: the
 * forms above act with an administrator's rights. */
SLOT_API int slotc_confirm_as(struct slotc *c, struct slotc_req *req,
                              uint64_t hold, const char *payment_ref,
                              const char *caller, const char *account,
                              slotc_cb cb);
SLOT_API int slotc_release_as(struct slotc *c, struct slotc_req *req,
                              uint64_t hold, const char *caller,
                              const char *account, slotc_cb cb);
SLOT_API int slotc_cancel_as(struct slotc *c, struct slotc_req *req,
                             uint64_t booking, const char *caller,
                             const char *account, slotc_cb cb);

/* Binds patient to account (both keys of the patient key rules): a
 * patient has at most one account, an account at most
 * config.account_patients_max patients. Binding a bound pair changes
 * nothing (OK). out.bound = patients bound to the account. Errors:
 * ACCOUNT_LIMIT (out.account_rule: ELSEWHERE, the patient is bound to
 * another account; FULL), LIMIT_REACHED. */
SLOT_API int slotc_account_bind(struct slotc *c, struct slotc_req *req,
                                const char *account, const char *patient,
                                slotc_cb cb);
/* Unbinds a patient (the patient's claims stay as they are). Unbinds
 * within 24 h of a change's first count as that change. out.bound.
 * Errors: NOT_BOUND (not bound to this account), ACCOUNT_LIMIT
 * (out.account_rule: CHANGES, account_changes_max changes in the
 * window; CHANGE_PATIENTS, account_change_patients_max unbinds in this
 * change). */
SLOT_API int slotc_account_unbind(struct slotc *c, struct slotc_req *req,
                                  const char *account, const char *patient,
                                  slotc_cb cb);

/* Staff commands on a patient at a hospital (a name, with rules), each
 * recorded in the staff log with who (operator_name, 1..32 bytes of
 * [A-Za-z0-9_.@-]) and why (reason, 1..256 bytes of UTF-8 without control
 * characters). */
/* Records a violation of `kind` (SLOTC_VIOLATION_NO_SHOW or
 * SLOTC_VIOLATION_OTHER; UNPAID is the ledger's own: INVALID_ARGUMENT).
 * out.violations (within the hospital's window), out.until_ms (blacklisted
 * until, 0 if not: the hospital's threshold was reached). Errors:
 * UNKNOWN_HOSPITAL, LIMIT_REACHED. */
SLOT_API int slotc_violation(struct slotc *c, struct slotc_req *req,
                             const char *hospital, const char *patient,
                             int kind, const char *operator_name,
                             const char *reason, slotc_cb cb);
/* Lifts the patient's blacklist at the hospital and forgets the
 * patient's violations there. out.lifted: the patient was blacklisted.
 * Errors: UNKNOWN_HOSPITAL. */
SLOT_API int slotc_unblock(struct slotc *c, struct slotc_req *req,
                           const char *hospital, const char *patient,
                           const char *operator_name, const char *reason,
                           slotc_cb cb);
/* Lets the patient's next successful hold at the hospital through a
 * blacklist. Errors: UNKNOWN_HOSPITAL, LIMIT_REACHED. */
SLOT_API int slotc_exception(struct slotc *c, struct slotc_req *req,
                             const char *hospital, const char *patient,
                             const char *operator_name, const char *reason,
                             slotc_cb cb);

/* Waitlists (anti-transfer release). A slot a cancelled booking frees in
 * an open pool is first offered to the head of the pool's waitlist: a
 * hold in the patient's name through the channel it joined with, for
 * the hospital's payment window (confirm it like any hold; one that
 * lapses or is released cools down instead of returning at once). */
/* Puts the patient at the tail of the pool's waitlist, through channel
 * and (optional: NULL or "") account. Only a sold-out pool has one:
 * every refusal of a hold up to QUOTA_EXCEEDED applies first (but not
 * TTL_OUT_OF_RANGE). out.position (1 = next). Errors: those of
 * slotc_hold_account, ALREADY_WAITING, NOT_SOLD_OUT (the channel could
 * hold a slot now), LIMIT_REACHED (the waitlist is full). */
SLOT_API int slotc_waitlist_join(struct slotc *c, struct slotc_req *req,
                                 const char *pool, const char *patient,
                                 const char *channel, const char *account,
                                 slotc_cb cb);
/* Takes the patient off the pool's waitlist; caller and account as for
 * slotc_cancel_as (caller NULL or "": an administrator). Errors:
 * UNKNOWN_POOL, NOT_WAITING, NOT_OWNER (another channel's entry and not
 * the patient's account). */
SLOT_API int slotc_waitlist_leave(struct slotc *c, struct slotc_req *req,
                                  const char *pool, const char *patient,
                                  const char *caller, const char *account,
                                  slotc_cb cb);

/* ---- The visit day (protocol 4) ---- */

/* Stops a pool for good (the doctor's stoppage), whether closed or not:
 * no new holds, confirms or waitlist entries; its waitlist is emptied (no
 * offers); its claims stay as they are and read as affected. Each
 * booking is then moved (slotc_move) or cancelled for a refund
 * (slotc_cancel, refunded); each hold is released or expires.
 * slotc_read_pool_claims lists them. Recorded in the staff log with the
 * pool, who (operator_name) and why (reason), as the staff commands.
 * out.bookings, out.holds: the pool's booked and held counters (the
 * patients to tell). Errors: UNKNOWN_POOL, POOL_STOPPED (already
 * stopped). */
SLOT_API int slotc_pool_stop(struct slotc *c, struct slotc_req *req,
                             const char *pool, const char *operator_name,
                             const char *reason, slotc_cb cb);
/* Moves a booking of a stopped pool to target_pool: another pool of the
 * same hospital, department and kind (not free-standing), taking a slot
 * of the booking's channel there (its first bucket with one, in HOLD's
 * order). Horizon, release time, cut-off, eligibility and quotas are not
 * asked: the hospital moves its patients to any open clinic of the
 * department. The old booking becomes MOVED (moved_to, its slot freed);
 * the new one is BOOKED for the same patient and channel with the same
 * payment (reference, paid), moved_from the old id, a new visit number.
 * caller and account as for slotc_cancel_as (caller NULL or "": an
 * administrator). out.id = the new booking's id, out.visit_no. Errors,
 * in the ledger's order: UNKNOWN_BOOKING (unknown, or never confirmed),
 * NOT_OWNER, ALREADY_CANCELLED (CANCELLED or MOVED), NOT_STOPPED (the
 * booking's pool is not stopped), UNKNOWN_POOL (the target),
 * MOVE_MISMATCH (a free-standing pool, the same pool, or another
 * hospital, department or kind), POOL_STOPPED, POOL_CLOSED,
 * BOOKING_CLOSED (the target's visit day is past, or its segment has
 * ended), PATIENT_HAS_CLAIM (the patient holds or booked the target
 * already), SOLD_OUT, LIMIT_REACHED. */
SLOT_API int slotc_move(struct slotc *c, struct slotc_req *req,
                        uint64_t booking, const char *target_pool,
                        const char *caller, const char *account, slotc_cb cb);
/* Checks the booking's patient in on the visit day: the patient (a key
 * of the patient key rules) must be the booking's. A pool with a segment
 * accepts it in [seg_start - checkin_before_ms, seg_end -
 * checkin_late_ms) of its rules (slotc_visit_rules); one without, any
 * time. payment_ref (NULL or "": none) pays an unpaid booking at the
 * desk (a paid one keeps its reference). out.visit_no. Errors, in the
 * ledger's order: UNKNOWN_BOOKING (unknown, or never confirmed),
 * PATIENT_MISMATCH, ALREADY_CANCELLED (CANCELLED or MOVED), POOL_STOPPED,
 * ALREADY_CHECKED_IN, NO_SHOW, CHECKIN_NOT_OPEN, CHECKIN_CLOSED. */
SLOT_API int slotc_checkin(struct slotc *c, struct slotc_req *req,
                           uint64_t booking, const char *patient,
                           const char *payment_ref, slotc_cb cb);
/* slotc_confirm_as and slotc_checkin naming how the payment_ref was paid:
 * pay_method NULL or "" (none), else 1..SLOTC_PAY_METHOD_MAX bytes of
 * [a-z0-9_-] ("wechat", "alipay", "card", "insurance", "cash"). The
 * booking records its payment (reference, method, and the pool's fee now
 * as fee_paid_cents); a check-in with a reference pays an unpaid booking
 * (a paid one keeps its payment). Errors: as those calls, then
 * LIMIT_REACHED (the ledger knows 16 methods and this is a new one).
 * Sync: INVALID_ARGUMENT for a bad method or a method without a
 * payment_ref, TOO_LARGE for one over SLOTC_PAY_METHOD_MAX bytes. */
SLOT_API int slotc_confirm_pay(struct slotc *c, struct slotc_req *req,
                               uint64_t hold, const char *payment_ref,
                               const char *pay_method, const char *caller,
                               const char *account, slotc_cb cb);
SLOT_API int slotc_checkin_pay(struct slotc *c, struct slotc_req *req,
                               uint64_t booking, const char *patient,
                               const char *payment_ref, const char *pay_method,
                               slotc_cb cb);

/* Expires up to max (1..4096) due holds now (the leader also does this by
 * itself). Not deduplicated (it needs none). out.expired, out.still_due. */
SLOT_API int slotc_expire(struct slotc *c, struct slotc_req *req, uint32_t max,
                          slotc_cb cb);

/* Sets the rules of `hospital` (department NULL or "") or overrides them
 * for one department, recording who (operator_name) and why (reason) in
 * the hospital's change log. The first rule set creates the hospital.
 * out.version = the new version. Errors: INVALID_ARGUMENT (a rule out of
 * range; a UTC offset change while the hospital has pools or department
 * overrides), UNKNOWN_HOSPITAL (a department override of a hospital
 * without rules), LIMIT_REACHED. */
SLOT_API int slotc_rules_set(struct slotc *c, struct slotc_req *req,
                             const char *hospital, const char *department,
                             const char *operator_name, const char *reason,
                             const struct slotc_rules *rules, slotc_cb cb);

/* Creates a schedule's pools from a template, atomically: all or none.
 * Idempotent: pools that exist exactly as the template defines them are
 * left alone (out.unchanged); out.created the others. Errors:
 * UNKNOWN_HOSPITAL, SCHEDULE_CONFLICT (some pool exists with another
 * definition: slotc_schedule_check lists them), LIMIT_REACHED. */
SLOT_API int slotc_schedule_import(struct slotc *c, struct slotc_req *req,
                                   const struct slotc_template *tpl,
                                   slotc_cb cb);

/* ---- Reads (async) ----------------------------------------------------------
 * Linearizable
 * (served by the leader after confirming its leadership), unless req.flags has
 * SLOTC_STALE. out.index = the serving node's applied index, out.node its
 * address. */

/* One pool: out.pools[0]. Errors: UNKNOWN_POOL. */
SLOT_API int slotc_read_pool(struct slotc *c, struct slotc_req *req,
                             const char *pool, slotc_cb cb);
/* A hold by id (any state): out.claims[0]. Errors: UNKNOWN_HOLD. */
SLOT_API int slotc_read_hold(struct slotc *c, struct slotc_req *req,
                             uint64_t hold, slotc_cb cb);
/* A booking by id (confirmed claims only): out.claims[0]. Errors:
 * UNKNOWN_BOOKING. */
SLOT_API int slotc_read_booking(struct slotc *c, struct slotc_req *req,
                                uint64_t booking, slotc_cb cb);
/* The patient's active claim in the pool (BOOKED, or HELD before its
 * deadline): out.claims[0..n_claims), n_claims 0 or 1. Errors:
 * UNKNOWN_POOL. */
SLOT_API int slotc_read_patient(struct slotc *c, struct slotc_req *req,
                                const char *pool, const char *patient,
                                slotc_cb cb);
/* Pools in creation order after `after` (NULL or "": from the first), at
 * most limit (1..SLOTC_LIST_MAX): out.pools. Errors: UNKNOWN_POOL (after). */
SLOT_API int slotc_read_pools(struct slotc *c, struct slotc_req *req,
                              const char *after, uint32_t limit, slotc_cb cb);
/* Ledger-wide figures: *out.ledger. Its state_hash, a digest of the
 * whole ledger, costs O(state) on the node: set SLOTC_NO_HASH in
 * req.flags unless it is wanted (then state_hash is 0). */
SLOT_API int slotc_read_ledger(struct slotc *c, struct slotc_req *req,
                               slotc_cb cb);

/* One page of a hospital's pools: out.pools (0..limit), out.total.
 * Errors: UNKNOWN_HOSPITAL, UNKNOWN_POOL (after). */
SLOT_API int slotc_read_query(struct slotc *c, struct slotc_req *req,
                              const struct slotc_query *q, slotc_cb cb);
/* The rules in force for a hospital (department NULL or "") or one of its
 * departments (its own, else the hospital's with inherited set):
 * out.rules[0]. Errors: UNKNOWN_HOSPITAL. */
SLOT_API int slotc_read_rules(struct slotc *c, struct slotc_req *req,
                              const char *hospital, const char *department,
                              slotc_cb cb);
/* The hospital's rule changes with version > after_version, oldest first,
 * at most limit (1..SLOTC_LIST_MAX; the ledger keeps the last
 * SLOTC_RULES_LOG_MAX): out.rules, out.n_rules. Errors: UNKNOWN_HOSPITAL. */
SLOT_API int slotc_read_rules_log(struct slotc *c, struct slotc_req *req,
                                  const char *hospital, uint64_t after_version,
                                  uint32_t limit, slotc_cb cb);
/* A patient's record: *out.patient_info, its active claims also as
 * out.claims / out.n_claims (at most SLOTC_LIST_MAX). Never
 * UNKNOWN_PATIENT: an unknown patient reads as empty. */
SLOT_API int slotc_read_patient_info(struct slotc *c, struct slotc_req *req,
                                     const char *patient, slotc_cb cb);
/* An account's bound patients and changes: *out.account (an unknown
 * account reads as empty). */
SLOT_API int slotc_read_account(struct slotc *c, struct slotc_req *req,
                                const char *account, slotc_cb cb);
/* The staff log's entries with seq > after_seq, oldest first, at most
 * limit (1..SLOTC_LIST_MAX; the ledger keeps the last 4096): out.staff,
 * out.n_staff. */
SLOT_API int slotc_read_staff_log(struct slotc *c, struct slotc_req *req,
                                  uint64_t after_seq, uint32_t limit,
                                  slotc_cb cb);
/* The patient's place on the pool's waitlist: out.position (1 = next; 0:
 * not waiting) and out.length. Errors: UNKNOWN_POOL. */
SLOT_API int slotc_read_waitlist(struct slotc *c, struct slotc_req *req,
                                 const char *pool, const char *patient,
                                 slotc_cb cb);
/* The pool's claims the ledger knows (any state: active, or resolved
 * within its retention) with id > after_id, by id, at most limit
 * (1..SLOTC_LIST_MAX): out.claims, out.n_claims (fewer than limit: the
 * last page). A stopped clinic's holds and bookings, to tell their
 * patients. It scans every claim of the ledger on the node: for staff,
 * not for a channel's hot path. Errors: UNKNOWN_POOL. */
SLOT_API int slotc_read_pool_claims(struct slotc *c, struct slotc_req *req,
                                    const char *pool, uint64_t after_id,
                                    uint32_t limit, slotc_cb cb);
/* The event feed (see "The event feed" above) after the cursor `after`
 * (the seq of the last event the caller handled; 0: from the first event
 * ever): out.events (seq > after, oldest first, at most limit, 1..
 * SLOTC_LIST_MAX; fewer than limit: nothing newer yet), out.first and
 * out.last. SLOTC_STALE reads a node's own copy, which may lag the
 * leader's: it may show fewer events, never other ones, so a reader may
 * switch nodes between reads. Errors: CURSOR_EXPIRED when events after
 * `after` were dropped from the window (after + 1 < first): no events are
 * given; out.first names the oldest the node holds, out.last is set too
 * (resume from first - 1 to read on, knowing that the events in between
 * are lost to this reader); MALFORMED for a reply whose page does not
 * start right after the cursor or has a hole (never from a correct
 * node). */
SLOT_API int slotc_read_events(struct slotc *c, struct slotc_req *req,
                               uint64_t after, uint32_t limit, slotc_cb cb);
/* The reconciliation counters of local day `day` (see "Money and
 * statistics"): hospital and channel NULL or "" for any, rows sorted by
 * (hospital, channel, pay_method), skipping `after` rows, at most limit
 * (1..SLOTC_LIST_MAX): out.recon, out.n_recon, out.total (every match),
 * out.kept_from_day. Sync: INVALID_ARGUMENT (a day past SLOT_LEDGER_DAY_MAX
 * of slot_proto.h: the local day of any ledger time; a bad name; limit). */
SLOT_API int slotc_read_recon(struct slotc *c, struct slotc_req *req,
                              uint32_t day, const char *hospital,
                              const char *channel, uint32_t after,
                              uint32_t limit, slotc_cb cb);
/* Statistics of the scheduled pools with visit days date_from..date_to
 * (local days, inclusive, at most 62 of them), hospital NULL or "" for
 * any: rows per (visit_day, hospital, department) in that order, skipping
 * `after`, at most limit: out.stats, out.n_stats, out.total. Scans every
 * pool on the node: for staff and metrics, not a hot path. */
SLOT_API int slotc_read_stats(struct slotc *c, struct slotc_req *req,
                              const char *hospital, uint32_t date_from,
                              uint32_t date_to, uint32_t after, uint32_t limit,
                              slotc_cb cb);

/* What slotc_schedule_import of tpl would do now, changing nothing:
 * out.created (new pools), out.unchanged, out.conflicts. Errors:
 * UNKNOWN_HOSPITAL. */
SLOT_API int slotc_schedule_check(struct slotc *c, struct slotc_req *req,
                                  const struct slotc_template *tpl,
                                  slotc_cb cb);

/* ---- Cluster administration (async) -------------------------------------- */

/* A node's status: *out.status, out.node. Any node answers: set req.node to
 * ask a given one (else the client's current node). SLOTC_NO_HASH in
 * req.flags: state_hash is 0 and the status costs O(1) on the node (see
 * SLOTC_NO_HASH). */
SLOT_API int slotc_status(struct slotc *c, struct slotc_req *req, slotc_cb cb);

/* Membership changes go to the leader. They have no session: a change
 * refused "executed: NOT" (a follower, no leader, BUSY) is simply sent
 * again; after an attempt whose outcome is unknown (its connection broke,
 * or "executed: UNKNOWN": the old leader had proposed it) it is sent again
 * too, since raft refuses a second copy of a change that did run (duplicate
 * id, bad id, same role): a success then settles it, but a refusal (or the
 * deadline) reports OUTCOME_UNKNOWN (out.id the member): check with
 * slotc_status. Errors: INVALID_ARGUMENT (unknown or duplicate id or
 * address, bad role), BUSY is retried (a change in progress), IO. */

/* Adds node `id` at address "RAFT_HOST:PORT/CLIENT_HOST:PORT" as a spare
 * (then promote it with slotc_member_assign). */
SLOT_API int slotc_member_add(struct slotc *c, struct slotc_req *req,
                              uint64_t id, const char *address, slotc_cb cb);
/* Gives member `id` a role (enum slotc_member_role): voter to promote. */
SLOT_API int slotc_member_assign(struct slotc *c, struct slotc_req *req,
                                 uint64_t id, int role, slotc_cb cb);
/* Removes member `id` (it stops itself). */
SLOT_API int slotc_member_remove(struct slotc *c, struct slotc_req *req,
                                 uint64_t id, slotc_cb cb);
/* Transfers leadership to voter `id` (0: the leader picks). OK once another
 * node leads. */
SLOT_API int slotc_transfer(struct slotc *c, struct slotc_req *req, uint64_t id,
                            slotc_cb cb);

/* ---- Blocking face ----------------------------------------------------------
 * struct
 * slotc_sync owns a private loop and an async client on it. Each
 * slotc_sync_X(s, req, args) submits slotc_X(…) and runs the private loop
 * until the request completes (at the latest at its deadline). It returns
 * the status: the submit's error if the submit failed, else req->status.
 * req's inputs are honoured (timeout_ms, flags, node); its outputs, and the
 * memory they point to, stay valid until the next call on s or
 * slotc_sync_close(s). One thread at a time per struct slotc_sync. */

struct slotc_sync;

/* Opens a blocking client (options as slotc_open). Returns SLOT_OK and *out,
 * or SLOT_INVALID_ARGUMENT / SLOT_BUSY (no memory). */
SLOT_API int slotc_sync_open(const struct slotc_options *o,
                             struct slotc_sync **out);
/* Closes the connections and frees everything (and the last outputs). */
SLOT_API void slotc_sync_close(struct slotc_sync *s);

SLOT_API int slotc_sync_config(struct slotc_sync *s, struct slotc_req *req,
                               const struct slotc_config *cfg);
SLOT_API int slotc_sync_pool_create(struct slotc_sync *s, struct slotc_req *req,
                                    const struct slotc_pool_spec *spec);
SLOT_API int slotc_sync_pool_update(struct slotc_sync *s, struct slotc_req *req,
                                    const struct slotc_pool_spec *spec);
SLOT_API int slotc_sync_pool_close(struct slotc_sync *s, struct slotc_req *req,
                                   const char *pool);
SLOT_API int slotc_sync_hold(struct slotc_sync *s, struct slotc_req *req,
                             const char *pool, const char *patient,
                             const char *channel, uint32_t ttl_ms);
SLOT_API int slotc_sync_confirm(struct slotc_sync *s, struct slotc_req *req,
                                uint64_t hold, const char *payment_ref);
SLOT_API int slotc_sync_release(struct slotc_sync *s, struct slotc_req *req,
                                uint64_t hold);
SLOT_API int slotc_sync_cancel(struct slotc_sync *s, struct slotc_req *req,
                               uint64_t booking);
SLOT_API int slotc_sync_expire(struct slotc_sync *s, struct slotc_req *req,
                               uint32_t max);
SLOT_API int slotc_sync_read_pool(struct slotc_sync *s, struct slotc_req *req,
                                  const char *pool);
SLOT_API int slotc_sync_read_hold(struct slotc_sync *s, struct slotc_req *req,
                                  uint64_t hold);
SLOT_API int slotc_sync_read_booking(struct slotc_sync *s,
                                     struct slotc_req *req, uint64_t booking);
SLOT_API int slotc_sync_read_patient(struct slotc_sync *s,
                                     struct slotc_req *req, const char *pool,
                                     const char *patient);
SLOT_API int slotc_sync_read_pools(struct slotc_sync *s, struct slotc_req *req,
                                   const char *after, uint32_t limit);
SLOT_API int slotc_sync_read_ledger(struct slotc_sync *s,
                                    struct slotc_req *req);
SLOT_API int slotc_sync_status(struct slotc_sync *s, struct slotc_req *req);
SLOT_API int slotc_sync_rules_set(struct slotc_sync *s, struct slotc_req *req,
                                  const char *hospital, const char *department,
                                  const char *operator_name, const char *reason,
                                  const struct slotc_rules *rules);
SLOT_API int slotc_sync_schedule_import(struct slotc_sync *s,
                                        struct slotc_req *req,
                                        const struct slotc_template *tpl);
SLOT_API int slotc_sync_read_query(struct slotc_sync *s, struct slotc_req *req,
                                   const struct slotc_query *q);
SLOT_API int slotc_sync_read_rules(struct slotc_sync *s, struct slotc_req *req,
                                   const char *hospital,
                                   const char *department);
SLOT_API int slotc_sync_read_rules_log(struct slotc_sync *s,
                                       struct slotc_req *req,
                                       const char *hospital,
                                       uint64_t after_version, uint32_t limit);
SLOT_API int slotc_sync_schedule_check(struct slotc_sync *s,
                                       struct slotc_req *req,
                                       const struct slotc_template *tpl);
SLOT_API int slotc_sync_member_add(struct slotc_sync *s, struct slotc_req *req,
                                   uint64_t id, const char *address);
SLOT_API int slotc_sync_member_assign(struct slotc_sync *s,
                                      struct slotc_req *req, uint64_t id,
                                      int role);
SLOT_API int slotc_sync_member_remove(struct slotc_sync *s,
                                      struct slotc_req *req, uint64_t id);
SLOT_API int slotc_sync_transfer(struct slotc_sync *s, struct slotc_req *req,
                                 uint64_t id);
/* Protocol 3. */
SLOT_API int slotc_sync_hold_account(struct slotc_sync *s,
                                     struct slotc_req *req, const char *pool,
                                     const char *patient, const char *channel,
                                     const char *account, uint32_t ttl_ms);
SLOT_API int slotc_sync_confirm_as(struct slotc_sync *s, struct slotc_req *req,
                                   uint64_t hold, const char *payment_ref,
                                   const char *caller, const char *account);
SLOT_API int slotc_sync_release_as(struct slotc_sync *s, struct slotc_req *req,
                                   uint64_t hold, const char *caller,
                                   const char *account);
SLOT_API int slotc_sync_cancel_as(struct slotc_sync *s, struct slotc_req *req,
                                  uint64_t booking, const char *caller,
                                  const char *account);
SLOT_API int slotc_sync_account_bind(struct slotc_sync *s,
                                     struct slotc_req *req, const char *account,
                                     const char *patient);
SLOT_API int slotc_sync_account_unbind(struct slotc_sync *s,
                                       struct slotc_req *req,
                                       const char *account,
                                       const char *patient);
SLOT_API int slotc_sync_violation(struct slotc_sync *s, struct slotc_req *req,
                                  const char *hospital, const char *patient,
                                  int kind, const char *operator_name,
                                  const char *reason);
SLOT_API int slotc_sync_unblock(struct slotc_sync *s, struct slotc_req *req,
                                const char *hospital, const char *patient,
                                const char *operator_name, const char *reason);
SLOT_API int slotc_sync_exception(struct slotc_sync *s, struct slotc_req *req,
                                  const char *hospital, const char *patient,
                                  const char *operator_name,
                                  const char *reason);
SLOT_API int slotc_sync_read_patient_info(struct slotc_sync *s,
                                          struct slotc_req *req,
                                          const char *patient);
SLOT_API int slotc_sync_read_account(struct slotc_sync *s,
                                     struct slotc_req *req,
                                     const char *account);
SLOT_API int slotc_sync_read_staff_log(struct slotc_sync *s,
                                       struct slotc_req *req,
                                       uint64_t after_seq, uint32_t limit);
SLOT_API int slotc_sync_waitlist_join(struct slotc_sync *s,
                                      struct slotc_req *req, const char *pool,
                                      const char *patient, const char *channel,
                                      const char *account);
SLOT_API int slotc_sync_waitlist_leave(struct slotc_sync *s,
                                       struct slotc_req *req, const char *pool,
                                       const char *patient, const char *caller,
                                       const char *account);
SLOT_API int slotc_sync_read_waitlist(struct slotc_sync *s,
                                      struct slotc_req *req, const char *pool,
                                      const char *patient);
/* Protocol 4. */
SLOT_API int slotc_sync_pool_stop(struct slotc_sync *s, struct slotc_req *req,
                                  const char *pool, const char *operator_name,
                                  const char *reason);
SLOT_API int slotc_sync_move(struct slotc_sync *s, struct slotc_req *req,
                             uint64_t booking, const char *target_pool,
                             const char *caller, const char *account);
SLOT_API int slotc_sync_checkin(struct slotc_sync *s, struct slotc_req *req,
                                uint64_t booking, const char *patient,
                                const char *payment_ref);
SLOT_API int slotc_sync_read_pool_claims(struct slotc_sync *s,
                                         struct slotc_req *req,
                                         const char *pool, uint64_t after_id,
                                         uint32_t limit);
/* The event feed (4.1). */
SLOT_API int slotc_sync_read_events(struct slotc_sync *s, struct slotc_req *req,
                                    uint64_t after, uint32_t limit);
/* Protocol 5. */
SLOT_API int slotc_sync_confirm_pay(struct slotc_sync *s, struct slotc_req *req,
                                    uint64_t hold, const char *payment_ref,
                                    const char *pay_method, const char *caller,
                                    const char *account);
SLOT_API int slotc_sync_checkin_pay(struct slotc_sync *s, struct slotc_req *req,
                                    uint64_t booking, const char *patient,
                                    const char *payment_ref,
                                    const char *pay_method);
SLOT_API int slotc_sync_read_recon(struct slotc_sync *s, struct slotc_req *req,
                                   uint32_t day, const char *hospital,
                                   const char *channel, uint32_t after,
                                   uint32_t limit);
SLOT_API int slotc_sync_read_stats(struct slotc_sync *s, struct slotc_req *req,
                                   const char *hospital, uint32_t date_from,
                                   uint32_t date_to, uint32_t after,
                                   uint32_t limit);

/* Following the event feed: a long-running reader (an archiver, a
 * notifier, `slotctl events --follow`). Reads pages of at most limit
 * events (1..SLOTC_LIST_MAX) after *after with slotc_sync_read_events
 * (req's inputs honoured: timeout_ms per read, SLOTC_STALE, node) and
 * calls page_cb(req) after every read, the page in req->out (req->data is
 * the caller's), n_events 0 included, so that the callback can stop on a
 * condition of its own (a signal, a budget). Before page_cb is called,
 * *after is set to the last seq of the page: the cursor to save. A full
 * page is followed at once by the next read; a short one (the reader has
 * caught up) by a pause of interval_ms (1..3600000) first; a signal
 * cuts the pause short. At most one read is in flight; memory is one page.
 * Returns:
 *   - page_cb's value when it returns nonzero (the follow stops; pick a
 *     value no status code takes, e.g. a negative one);
 *   - a read's error status: CURSOR_EXPIRED (req->out.first: the oldest
 *     seq held), or TIMEOUT / UNAVAILABLE when no node answered within
 *     the read's deadline (a leader change within it is ridden out), or
 *     another; *after is the cursor of the last page handled, so calling
 *     again resumes with no gap and no duplicate;
 *   - INVALID_ARGUMENT (limit or interval_ms out of range) before reading.
 * The async face has no follower: resubmit slotc_read_events from its
 * callback with the new cursor, and arm a uv_timer_t when a page was
 * short. */
SLOT_API int slotc_sync_events_follow(struct slotc_sync *s,
                                      struct slotc_req *req, uint64_t *after,
                                      uint32_t limit, uint32_t interval_ms,
                                      int (*page_cb)(struct slotc_req *req));

#endif /* LIBSLOT_H */
