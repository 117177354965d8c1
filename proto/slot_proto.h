/* slot_proto: the slot pool's commands, results and reads, their msgpack
 * encoding, the Raft entry (batch) format and the client frame format.
 *
 * One encoding serves the client protocol and the Raft log: a command
 * travels from libslot to the leader inside a frame, and the leader copies
 * the very same bytes into a Raft entry. Followers decode it again from the
 * entry, so every replica sees identical input.
 *
 * Decoders read untrusted bytes. Each returns SLOT_OK or an error code
 * (MALFORMED, TOO_LARGE, BAD_VERSION, INVALID_ARGUMENT, UNKNOWN_OP) and on
 * error leaves nothing half-done: outputs are only meaningful on SLOT_OK.
 * Decoded strings (struct slot_str) point into the input buffer; they stay
 * valid while the caller keeps that buffer.
 *
 * ---- Command encoding (a msgpack array; the first three are common) -----
 *
 *   [op, session, seq, args...]
 *
 *   op                args                              result a, b
 *   1  SESSION_OPEN   -                                 session, 0
 *   2  CONFIG         hold_ttl_min_ms, hold_ttl_max_ms, 0, 0
 *                     session_max, session_idle_ms,
 *                     retain_ms, retain_max
 *   3  POOL_CREATE    pool spec (below)                 0, 0
 *   4  POOL_UPDATE    pool spec (below)                 0, 0
 *   5  POOL_CLOSE     pool                              0, 0
 *   6  HOLD           pool, patient, channel, ttl_ms    hold, deadline_ms
 *                     [, account]
 *   7  CONFIRM        hold, payment_ref [, caller,      booking, visit_no
 *                     account [, pay_method]]
 *   8  RELEASE        hold [, caller, account]          0, 0
 *   9  CANCEL         booking [, caller, account]       0, 0
 *   10 EXPIRE         max                               expired, still_due
 *   11 IDEM           channel, key, inner command       the inner's
 *   12 RULES_SET      hospital, department, operator,   version, 0
 *                     reason, rule set (slot_sched.h)
 *   13 SCHEDULE_IMPORT template (slot_sched.h)          created, unchanged
 *   14 SWEEP          max                               done, still_due
 *   15 ACCOUNT_BIND   account, patient                  bound patients, 0
 *   16 ACCOUNT_UNBIND account, patient                  bound patients, 0
 *   17 VIOLATION      hospital, patient, kind,          violations in
 *                     operator, reason                  window, until_ms
 *   18 UNBLOCK        hospital, patient, operator,      lifted (0/1), 0
 *                     reason
 *   19 EXCEPTION      hospital, patient, operator,      0, 0
 *                     reason
 *   20 WAITLIST_JOIN  pool, patient, channel, account   position, 0
 *   21 WAITLIST_LEAVE pool, patient, caller, account    0, 0
 *   22 POOL_STOP      pool, operator, reason            bookings, holds
 *                                                       affected
 *   23 MOVE           booking, target pool, caller,     new booking,
 *                     account                           visit_no
 *   24 CHECKIN        booking, patient, payment_ref     visit_no, 0
 *                     ("" none) [, pay_method]
 *
 * Optional trailing arguments (protocol 3; a command without them is the
 * version 2 command, which the Raft log may hold): HOLD's account ("" none:
 * the hold names no account); CONFIRM's, RELEASE's and CANCEL's caller
 * (the calling channel, "" = an administrator: slotctl, the hospital's
 * staff) and account ("" none); CONFIG's account and patient limits and
 * the cool-down key (struct slot_config). A command encodes with all of
 * them. Account keys follow the patient key rules. Protocol 5 adds
 * CONFIRM's and CHECKIN's pay_method ("" none, else 1..SLOT_PAY_METHOD_MAX
 * bytes of [a-z0-9_-]: how the payment_ref was paid, e.g. "wechat"); a
 * pay_method without a payment_ref is INVALID_ARGUMENT. A CONFIRM without
 * it may also leave out caller and account (the version 2 form).
 *
 * A refused command answers a = b = 0, except: QUOTA_EXCEEDED a = which
 * quota (enum slot_quota), b = the window's first local day; BLACKLISTED
 * b = blacklisted until (ms); CANCEL_LIMIT b = the local day;
 * ACCOUNT_LIMIT a = which rule (enum slot_account_rule).
 *
 * IDEM wraps one POOL_CREATE / POOL_UPDATE / POOL_CLOSE / HOLD / CONFIRM /
 * RELEASE / CANCEL / RULES_SET / SCHEDULE_IMPORT / ACCOUNT_BIND /
 * ACCOUNT_UNBIND / VIOLATION / UNBLOCK / EXCEPTION / WAITLIST_JOIN /
 * WAITLIST_LEAVE / POOL_STOP / MOVE / CHECKIN with an idempotency key chosen by the client (the HTTP
 * shim's Idempotency-Key): [11, session, seq, channel, key, [op, 0, 0,
 * args...]]. The inner command has session = seq = 0; the ledger remembers
 * its result under (channel, key) with the inner command's fingerprint, so
 * a retry through any gateway gets the original answer (ledger.h). A
 * decoded IDEM is the inner command (its op) with `idem` set.
 *
 *   pool spec = pool, capacity, kind, fee_cents, seg_start_ms, seg_end_ms,
 *               release_at_ms, [[channel|group, slots], ...] [, schedule]
 *   (the optional schedule fields, slot_sched.h, make it a pool of a
 *   hospital's schedule: its date rules apply; a spec without them is a
 *   free-standing pool, as in protocol version 1)
 *
 * SWEEP is the leader's proposal for time-driven work other than holds'
 * expiry (ledger.h: flow-back of unsold shares); like EXPIRE it has no
 * session (0, 0) and max is 1..SLOT_EXPIRE_MAX.
 *
 * session/seq identify the request for exactly-once (see ledger.h). They are
 * 0, 0 for SESSION_OPEN, EXPIRE and SWEEP, which need no deduplication, and
 * must be non-zero for every other command.
 *
 * Validation done by the decoder (the ledger relies on it):
 *   - exact element count per op (else MALFORMED); unknown op: UNKNOWN_OP;
 *   - session == 0 && seq == 0 for SESSION_OPEN and EXPIRE, both >= 1
 *     otherwise (INVALID_ARGUMENT);
 *   - pool ids 1..SLOT_POOL_ID_MAX bytes of [A-Za-z0-9/_.:-]; patient keys
 *     SLOT_PATIENT_KEY_MIN..SLOT_PATIENT_KEY_MAX bytes of [A-Za-z0-9_.:-];
 *     channels 1..SLOT_CHANNEL_MAX bytes of [a-z0-9_-]; payment refs
 *     1..SLOT_PAYMENT_REF_MAX bytes of printable ASCII 0x21..0x7e
 *     (a string over its maximum is TOO_LARGE, a bad length or byte below
 *     it INVALID_ARGUMENT);
 *   - pool spec: capacity 1..SLOT_POOL_CAPACITY_MAX, kind <= SLOT_KIND_MAX,
 *     fee_cents <= SLOT_FEE_MAX_CENTS, every *_ms <= SLOT_TIME_MAX_MS,
 *     segment both 0 or start < end, at most SLOT_POOL_SHARES_MAX shares,
 *     each 1..capacity slots, channels distinct, sum of shares <= capacity;
 *   - config: 1 <= hold_ttl_min_ms <= hold_ttl_max_ms <= 86400000,
 *     1 <= session_max <= SLOT_SESSIONS_MAX, 1000 <= session_idle_ms <=
 *     SLOT_TIME_MAX_MS, retain_ms <= SLOT_TIME_MAX_MS, retain_max <=
 *     SLOT_RETAIN_MAX;
 *   - HOLD ttl_ms any u32 (the ledger checks it against the config);
 *     CONFIRM/RELEASE/CANCEL/MOVE/CHECKIN ids >= 1; EXPIRE max
 *     1..SLOT_EXPIRE_MAX; POOL_STOP operator and reason as RULES_SET's
 *     (slot_sched.h); MOVE's target a pool id, caller "" or a channel,
 *     account "" or a key; CHECKIN's patient a key, payment_ref "" or a
 *     reference.
 *
 * ---- Result encoding --------------------------------------------------
 *
 *   [code, a, b, ledger_time_ms]
 *
 * ---- Raft entry (one batch of commands) --------------------------------
 *
 *   bytes 0-3   magic "SLE1" (the 1 is the entry format version)
 *   bytes 4-7   payload length, u32 big-endian
 *   bytes 8-    payload: msgpack [stamp_ms, origin, [cmd, cmd, ...]]
 *               origin: chosen by the proposing leader so that it can
 *               route the results back to the waiting requests; the
 *               ledger ignores it.
 *   then        zero padding to a multiple of 8 bytes: the raft library
 *               requires every entry buffer to be a multiple of 8 bytes
 *               (older versions silently lose other sizes at restart).
 *
 * ---- Client frames ------------------------------------------------------
 *
 *   u32 big-endian body length (1..SLOT_FRAME_MAX), then the body:
 *   msgpack [SLOT_PROTO_VERSION, type, tag, payload]
 *   tag is chosen by the client and echoed in the response, so requests can
 *   be pipelined and answered out of order.
 */
#ifndef SLOT_PROTO_H
#define SLOT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mp.h"
#include "slot_err.h"
#include "slot_sched.h"

/* ---- Limits (all of them; a value outside is INVALID_ARGUMENT or
 * TOO_LARGE). Changing one is a protocol change. ------------------------ */
/* 2: replies carry the schedule fields (pool status, claims). 3: the
 * patient rules: buckets and pool status report slots cooling down, new
 * commands and reads, optional trailing arguments. 4: the visit day:
 * POOL_STOP, MOVE, CHECKIN, READ_POOL_CLAIMS, claims report check-in,
 * no-show, moves and refunds, staff log entries name a pool. 5: the money:
 * CONFIRM's and CHECKIN's pay_method, claims and events carry the payment
 * (fee paid, reference, method), events their local day, READ_RECON and
 * READ_STATS. Frames of an older version are refused with BAD_VERSION;
 * commands of versions 1 to 4 still decode (the Raft log may hold them).
 * Within a version, a reply may gain optional trailing fields that its
 * decoder accepts with or without (ERROR's executed, the node status's
 * membership fields): no version change, old peers keep working. */
#define SLOT_PROTO_VERSION   5
#define SLOT_FRAME_MAX       (1u << 20) /* bytes of one frame body */
#define SLOT_ENTRY_MAX       (4u << 20) /* bytes of one Raft entry */
#define SLOT_BATCH_CMDS_MAX  1024       /* commands in one entry */
#define SLOT_POOL_ID_MAX     64         /* bytes; [A-Za-z0-9/_.:-] */
#define SLOT_PATIENT_KEY_MAX 64         /* bytes; [A-Za-z0-9_.:-], >= 8 */
#define SLOT_PATIENT_KEY_MIN 8
#define SLOT_CHANNEL_MAX     16 /* bytes; [a-z0-9_-] */
#define SLOT_PAYMENT_REF_MAX 64 /* bytes; printable ASCII */
#define SLOT_PAY_METHOD_MAX  16 /* bytes; [a-z0-9_-] */
#define SLOT_STATS_DAYS_MAX  62 /* visit days of one STATS read */
/* The local day (slot_time.h) of any ledger time in any offset: events'
 * local_day and reconciliation days go this far (SLOT_DAY_MAX bounds
 * schedules, not the clock). */
#define SLOT_LEDGER_DAY_MAX                                                    \
    ((uint32_t)((SLOT_TIME_MAX_MS + 50400000ull) / 86400000ull))
#define SLOT_POOL_SHARES_MAX      8            /* channel shares of one pool */
#define SLOT_POOL_CAPACITY_MAX    100000       /* slots of one pool */
#define SLOT_EXPIRE_MAX           4096         /* holds one EXPIRE may free */
#define SLOT_EXPIRE_DUE_COUNT_MAX 1024         /* still_due is capped here */
#define SLOT_TIME_MAX_MS          (1ull << 53) /* any *_ms field */
#define SLOT_FEE_MAX_CENTS        100000000ull /* 1,000,000.00 */
#define SLOT_LIST_MAX             1000         /* entries of one list read */

/* ---- Commands --------------------------------------------------------- */
enum slot_op {
    SLOT_OP_SESSION_OPEN = 1,
    SLOT_OP_CONFIG = 2,
    SLOT_OP_POOL_CREATE = 3,
    SLOT_OP_POOL_UPDATE = 4,
    SLOT_OP_POOL_CLOSE = 5,
    SLOT_OP_HOLD = 6,
    SLOT_OP_CONFIRM = 7,
    SLOT_OP_RELEASE = 8,
    SLOT_OP_CANCEL = 9,
    SLOT_OP_EXPIRE = 10,
    SLOT_OP_IDEM = 11, /* a wrapper: never the op of a decoded command */
    SLOT_OP_RULES_SET = 12,
    SLOT_OP_SCHEDULE_IMPORT = 13,
    SLOT_OP_SWEEP = 14,
    SLOT_OP_ACCOUNT_BIND = 15,
    SLOT_OP_ACCOUNT_UNBIND = 16,
    SLOT_OP_VIOLATION = 17,
    SLOT_OP_UNBLOCK = 18,
    SLOT_OP_EXCEPTION = 19,
    SLOT_OP_WAITLIST_JOIN = 20,
    SLOT_OP_WAITLIST_LEAVE = 21,
    SLOT_OP_POOL_STOP = 22,
    SLOT_OP_MOVE = 23,
    SLOT_OP_CHECKIN = 24,
};
#define SLOT_OP_MAX       24
#define SLOT_IDEM_KEY_MAX 64 /* bytes; [A-Za-z0-9_.:-], >= 1 */

/* Name of an op ("HOLD"), or NULL. Static storage. */
const char *slot_op_name(int op);

enum slot_pool_kind {
    SLOT_KIND_NORMAL = 0,
    SLOT_KIND_EXPERT = 1,
    SLOT_KIND_SPECIAL = 2,
    SLOT_KIND_TOP_EXPERT = 3,
};
#define SLOT_KIND_MAX 3
/* "normal" / "expert" / "special" / "top_expert", or NULL. */
const char *slot_kind_name(int kind);
/* The kind for a name, or -1. */
int slot_kind_from_name(const char *name, size_t len);

struct slot_share {
    struct slot_str channel;
    uint32_t slots;
};

struct slot_pool_spec {
    struct slot_str pool;
    uint32_t capacity;     /* 1..SLOT_POOL_CAPACITY_MAX */
    uint8_t kind;          /* enum slot_pool_kind */
    uint64_t fee_cents;    /* 0..SLOT_FEE_MAX_CENTS */
    uint64_t seg_start_ms; /* both 0, or seg_start_ms < seg_end_ms */
    uint64_t seg_end_ms;
    uint64_t release_at_ms; /* holds refused while ledger time < this */
    uint32_t n_shares;      /* distinct channels; sum(slots) <= capacity */
    struct slot_share shares[SLOT_POOL_SHARES_MAX];
    bool has_sched;          /* the optional 9th element */
    struct slot_sched sched; /* slot_sched.h */
};

/* Which quota refused a HOLD (QUOTA_EXCEEDED's a). */
enum slot_quota {
    SLOT_QUOTA_DAY_NORMAL = 1,  /* normal pools of one visit day */
    SLOT_QUOTA_DAY_EXPERT = 2,  /* expert pools of one visit day */
    SLOT_QUOTA_DEPT_EXPERT = 3, /* expert pools of one department and day */
    SLOT_QUOTA_MONTH_NORMAL = 4,
    SLOT_QUOTA_MONTH_EXPERT = 5,
    SLOT_QUOTA_ACTIVE = 6, /* platform-wide: active claims of a patient */
    /* The same quotas counted over an account's patients together
     * (quota_per_account): SLOT_QUOTA_ACCOUNT + the patient's quota. */
    SLOT_QUOTA_ACCOUNT = 10,
    SLOT_QUOTA_ACCOUNT_DAY_NORMAL = 11,
    SLOT_QUOTA_ACCOUNT_DAY_EXPERT = 12,
    SLOT_QUOTA_ACCOUNT_DEPT_EXPERT = 13,
    SLOT_QUOTA_ACCOUNT_MONTH_NORMAL = 14,
    SLOT_QUOTA_ACCOUNT_MONTH_EXPERT = 15,
};
/* "day_normal", ..., "active", "account_day_normal", ..., or NULL. */
const char *slot_quota_name(int quota);

/* Which binding rule refused (ACCOUNT_LIMIT's a). */
enum slot_account_rule {
    SLOT_ACCOUNT_FULL = 1,           /* account_patients_max bound */
    SLOT_ACCOUNT_ELSEWHERE = 2,      /* the patient is bound to another */
    SLOT_ACCOUNT_CHANGES = 3,        /* account_changes_max in the window */
    SLOT_ACCOUNT_CHANGE_PATIENTS = 4 /* account_change_patients_max */
};
/* "full", "elsewhere", "changes", "change_patients", or NULL. */
const char *slot_account_rule_name(int rule);

enum slot_violation_kind {
    SLOT_VIOLATION_NO_SHOW = 1,     /* VIOLATION (later: the visit-day work) */
    SLOT_VIOLATION_UNPAID = 2,      /* a hold expired unpaid (rule set) */
    SLOT_VIOLATION_OTHER = 3,       /* VIOLATION by staff, with its reason */
    SLOT_VIOLATION_LATE_CANCEL = 4, /* a cancel close to the visit (rules) */
};
#define SLOT_VIOLATION_KIND_MAX 4
/* "no_show" / "unpaid" / "other" / "late_cancel", or NULL; and back. */
const char *slot_violation_name(int kind);
int slot_violation_from_name(const char *name, size_t len);

#define SLOT_ACCOUNT_PATIENTS_MAX 8 /* account_patients_max at most */
#define SLOT_ACCOUNT_CHANGES_KEPT 8 /* unbinds an account's record keeps */

/* Replicated rule parameters (SLOT_OP_CONFIG replaces all of them). */
struct slot_config {
    uint32_t hold_ttl_min_ms; /* 1 <= min <= max <= 24 h */
    uint32_t hold_ttl_max_ms;
    uint32_t session_max;     /* 1..SLOT_SESSIONS_MAX: clients remembered */
    uint64_t session_idle_ms; /* a session unused this long is forgotten */
    uint64_t retain_ms;       /* resolved holds/bookings kept for queries */
    uint32_t retain_max;      /* ... and at most this many of them */
    /* Protocol 3 (a decoded version 2 CONFIG has v3 false: the ledger then
     * keeps its values of these). Accounts: at most account_patients_max
     * (1..SLOT_ACCOUNT_PATIENTS_MAX) patients bound to one account; an
     * unbind starts a change unless one started within the last 24 h; at
     * most account_changes_max (1..SLOT_ACCOUNT_CHANGES_KEPT) changes per
     * account_change_window_days (1..3660) and at most
     * account_change_patients_max (1..SLOT_ACCOUNT_PATIENTS_MAX) unbinds
     * per change. patient_active_max: 0 (none) or the active claims one
     * patient may have across the platform. cooldown_key: the SipHash key
     * of the cool-down times (never reported by reads). */
    bool v3;
    uint8_t account_patients_max;
    uint8_t account_changes_max;
    uint16_t account_change_window_days;
    uint8_t account_change_patients_max;
    uint16_t patient_active_max;
    uint64_t cooldown_key[2];
};
#define SLOT_SESSIONS_MAX 1000000
#define SLOT_RETAIN_MAX   10000000

struct slot_cmd {
    uint8_t op;
    uint64_t session;
    uint64_t seq;
    uint64_t fingerprint; /* slot_hash64 of the command's encoded bytes */
    struct {
        struct slot_str channel; /* len 0: no idempotency key */
        struct slot_str key;
        uint64_t fingerprint; /* of the inner command's bytes */
    } idem;
    union {
        struct slot_config config;
        struct slot_pool_spec pool; /* POOL_CREATE, POOL_UPDATE */
        struct {
            struct slot_str pool;
        } close;
        struct {
            struct slot_str pool;
            struct slot_str patient;
            struct slot_str channel;
            uint32_t ttl_ms;
            struct slot_str account; /* "" none */
        } hold;
        /* CONFIRM, RELEASE, CANCEL: the claim, and who asks (caller ""
         * = an administrator). */
        struct {
            uint64_t id;
            struct slot_str payment_ref; /* CONFIRM; CHECKIN ("" none) */
            struct slot_str pay_method;  /* CONFIRM; CHECKIN ("" none) */
            struct slot_str caller;
            struct slot_str account;
            struct slot_str pool;    /* MOVE: the target pool */
            struct slot_str patient; /* CHECKIN: who checks in */
        } claim; /* CONFIRM, RELEASE, CANCEL, MOVE, CHECKIN */
        struct {
            struct slot_str pool;
            struct slot_str operator_name;
            struct slot_str reason;
        } stop; /* POOL_STOP */
        struct {
            struct slot_str account;
            struct slot_str patient;
        } bind; /* ACCOUNT_BIND, ACCOUNT_UNBIND */
        struct {
            struct slot_str hospital;
            struct slot_str patient;
            uint8_t kind; /* VIOLATION: NO_SHOW or OTHER */
            struct slot_str operator_name;
            struct slot_str reason;
        } staff; /* VIOLATION, UNBLOCK, EXCEPTION */
        struct {
            struct slot_str pool;
            struct slot_str patient;
            struct slot_str channel; /* JOIN: the channel; LEAVE: the
                                      * caller ("" an administrator) */
            struct slot_str account; /* "" none */
        } wait;                      /* WAITLIST_JOIN, WAITLIST_LEAVE */
        struct {
            uint32_t max; /* 1..SLOT_EXPIRE_MAX */
        } expire;         /* and SWEEP */
        struct {
            struct slot_str hospital;
            struct slot_str department; /* "": the hospital's own rules */
            struct slot_str operator_name;
            struct slot_str reason;
            struct slot_str rules; /* the rule set's bytes, validated:
                                    * slot_rules_decode reads them */
        } rules;
        struct slot_template import;
    } u;
};

/* The outcome of one command. Fixed size so the session table can keep it
 * and a retry gets back exactly these values. */
struct slot_result {
    uint16_t code; /* enum slot_err */
    uint64_t a;    /* see the table above */
    uint64_t b;
    uint64_t time_ms; /* ledger time at which the command was applied */
};

/* Decodes one command at the reader's position, validating every field's
 * type, range and charset (so the ledger only sees well-formed commands),
 * and sets cmd->fingerprint over exactly the bytes consumed. */
int slot_cmd_decode(struct mp_reader *r, struct slot_cmd *cmd);
/* Decodes a buffer that must hold exactly one command. */
int slot_cmd_decode_buf(const void *buf, size_t len, struct slot_cmd *cmd);
/* Appends the encoding of cmd. Precondition: cmd would decode (this is our
 * own data; the encoder asserts rather than checks). */
void slot_cmd_encode(struct mp_buf *b, const struct slot_cmd *cmd);

void slot_result_encode(struct mp_buf *b, const struct slot_result *res);
int slot_result_decode(struct mp_reader *r, struct slot_result *res);

/* ---- Raft entries ---------------------------------------------------- */
#define SLOT_ENTRY_MAGIC  "SLE1"
#define SLOT_ENTRY_HEADER 8

/* Builds one entry from commands that are already encoded (the leader
 * copies client bytes in unchanged). */
struct slot_entry_builder {
    struct mp_buf buf;
    uint32_t n_cmds;
    size_t count_at; /* offset of the array32 count to patch */
};
/* Starts an entry (initialising the builder: a builder must be finished or
 * freed before it is begun again, or its buffer leaks). */
void slot_entry_begin(struct slot_entry_builder *e, uint64_t stamp_ms,
                      uint64_t origin);
/* Precondition: cmd is one complete encoded command that decoded OK, and
 * the entry has room (see slot_entry_fits). */
void slot_entry_add(struct slot_entry_builder *e, const void *cmd, size_t len);
/* Would adding len more bytes keep the entry within SLOT_ENTRY_MAX and
 * SLOT_BATCH_CMDS_MAX? */
bool slot_entry_fits(const struct slot_entry_builder *e, size_t len);
/* Finishes the entry: patches count and length, pads to 8. The caller owns
 * the returned buffer (free()); *len is a multiple of 8. The builder is
 * empty afterwards and can be begun again. */
void *slot_entry_finish(struct slot_entry_builder *e, size_t *len);
void slot_entry_builder_free(struct slot_entry_builder *e);

/* Decodes a whole entry into cmds[0..*n). cmds must have room for
 * SLOT_BATCH_CMDS_MAX commands. Strings point into buf. */
int slot_entry_decode(const void *buf, size_t len, uint64_t *stamp_ms,
                      uint64_t *origin, struct slot_cmd *cmds, uint32_t *n);

/* ---- Reads ----------------------------------------------------------- */
/* Read encodings: [op, args...] as listed; decoder checks the same string
 * rules as commands (POOLS "after" may be empty), ids >= 1, limit
 * 1..SLOT_LIST_MAX, exact element counts.
 * Reply bodies (ledger_read packs them):
 *   pool status = [pool, kind, state, capacity, free, held, booked,
 *                  fee_cents, seg_start_ms, seg_end_ms, release_at_ms,
 *                  next_visit_no, [[channel, capacity, free, held, booked],
 *                  ...], [capacity, free, held, booked]]   (remainder)
 *   claim       = [id, state, pool, patient, channel, held_at_ms,
 *                  deadline_ms, booked_at_ms, resolved_at_ms, visit_no,
 *                  payment_ref]
 *   ledger info = [time_ms, state_hash, pools, patients, channels, sessions,
 *                  holds_active, bookings_active, retained,
 *                  [hold_ttl_min_ms, hold_ttl_max_ms, session_max,
 *                   session_idle_ms, retain_ms, retain_max]]
 *   PATIENT and POOLS replies are arrays of claims / pool statuses.
 * Version 2 appends to pool status: nil or [hospital, campus, department,
 * doctor, visit_day, pay_mode, visit_slot_ms, [eligible...],
 * [remainder_allow...], flow_due_ms, flowed_back]; and to claim:
 * visit_start_ms, visit_end_ms, paid, bucket ("" the remainder, else the
 * share's channel or group).
 *   QUERY reply = [total, [pool status...]]: pools of one hospital in
 *     (visit_day, seg_start_ms, department, doctor, pool) order; department,
 *     doctor "" and kind 255 match any; date_from/date_to 0: unbounded;
 *     "after" (a pool of that hospital, or "") starts after that pool;
 *     total counts every match, not just the page.
 *   RULES reply = rules info (below): the department's own rules, or the
 *     hospital's (inherited true) when it has none.
 *   RULES_LOG reply = [rules info...]: changes with version > after, oldest
 *     first, at most limit (the ledger keeps the last
 *     LEDGER_RULES_LOG_MAX per hospital).
 *   rules info = [inherited, version, department, changed_at_ms,
 *                 operator, reason, rule set]
 *   SCHEDULE_CHECK reply = [new, unchanged, [conflicting pool id...]]: what
 *     SCHEDULE_IMPORT of the template would do (at most SLOT_LIST_MAX ids
 *     listed).
 * Version 3 appends to every bucket (shares and remainder) its slots
 * cooling down, and to pool status the pool's and then the length of its
 * waitlist; and adds:
 *   PATIENT_INFO reply = patient info: [patient, account ("" none),
 *     [claim...] (active: HELD before its deadline or BOOKED, by id; at
 *     most SLOT_LIST_MAX), [[at_ms, hospital, kind], ...] (violations
 *     kept, oldest first), [[hospital, violations_in_window, threshold,
 *     warning, blacklisted_until_ms, exception], ...] (per hospital with
 *     violations or a blacklist), [cancelled_at_ms, ...] (the patient's
 *     own cancellations kept, oldest first)]. UNKNOWN_PATIENT never: a
 *     patient the ledger does not know reads as empty.
 *   ACCOUNT reply = [account, [patient...], [[change_at_ms, unbinds],
 *     ...]] (bound patients in binding order; changes kept, oldest
 *     first): an unknown account reads as empty.
 *   WAITLIST reply = [position (1 = next; 0 = not waiting), length]
 *   STAFF_LOG reply = [[seq, at_ms, op, hospital, patient, kind,
 *     operator, reason], ...]: VIOLATION / UNBLOCK / EXCEPTION commands
 *     that took effect, seq > after, oldest first, at most limit (the
 *     ledger keeps the last LEDGER_STAFF_LOG_MAX).
 * Version 4 appends to claim: attendance (0 pending, 1 checked in, 2
 * no-show), checked_in_at_ms, moved_to, moved_from, refunded, affected;
 * to a staff log entry: pool (POOL_STOP's; the entry's patient is "");
 * pool state 3 is STOPPED; and adds:
 *   POOL_CLAIMS reply = [claim...]: the pool's claims the ledger still
 *     knows (active, or resolved within retention), id > after, by id, at
 *     most limit: a stopped clinic's holds and bookings to tell. O(claims
 *     of the whole ledger) per read.
 *   EVENTS reply = [first, last, [event...]]: the feed's events with seq >
 *     after, oldest first, at most limit; first = the oldest seq the
 *     ledger still holds (last + 1 when it holds none), last = the newest
 *     seq ever (0: none yet). after + 1 < first means events after the
 *     cursor were dropped (clients answer CURSOR_EXPIRED, naming first).
 *   event = [seq, index, time_ms, type, pool, claim, patient, channel,
 *            account, hospital, a, b] (ledger.h, "The event feed"; ""
 *            and 0 where the type has none).
 * Version 5 appends to claim: pay_method, fee_paid_cents; to event:
 * fee_cents, payment_ref, pay_method (a claim event's claim payment right
 * after the event; 0 / "" unpaid or not a claim's), local_day (of time_ms
 * in the event's hospital's local time; UTC without one); and adds:
 *   RECON reply = [kept_from_day, total, [recon row...]]: the ledger's
 *     reconciliation counters of local day `day` (ledger.h, "Money and
 *     statistics"), hospital "" any, channel "" any, sorted by (hospital,
 *     channel, pay_method), from position `after` (rows skipped), at most
 *     limit; total counts every match; kept_from_day = the oldest day the
 *     ledger still keeps counters of: an earlier day reads empty because
 *     it was forgotten (it follows the newest day counted, 400 days on).
 *   recon row = [day, hospital, channel, pay_method, booked, booked_cents,
 *     checkin_paid, checkin_paid_cents, checked_in, cancelled,
 *     cancelled_cents, refunded, refunded_cents, moved, no_show]
 *   STATS reply = [total, [stats row...]]: per (visit_day, hospital,
 *     department) of the scheduled pools with visit days date_from ..
 *     date_to (inclusive, fewer than SLOT_STATS_DAYS_MAX days), hospital
 *     "" any, in that order, from position `after`, at most limit.
 *   stats row = [visit_day, hospital, department, pools, released,
 *     capacity, booked_now, booked_total, cancelled_total, refunded_total,
 *     moved_total, no_show_total, checked_in_total] */
enum slot_read_op {
    SLOT_READ_POOL = 1,      /* [1, pool]                -> pool status */
    SLOT_READ_HOLD = 2,      /* [2, hold]                -> claim */
    SLOT_READ_BOOKING = 3,   /* [3, booking]             -> claim */
    SLOT_READ_PATIENT = 4,   /* [4, pool, patient]       -> [claim...] */
    SLOT_READ_POOLS = 5,     /* [5, after_pool, limit]   -> [pool status...] */
    SLOT_READ_LEDGER = 6,    /* [6] or [6, no_hash]      -> ledger info */
    SLOT_READ_QUERY = 7,     /* [7, hospital, department, doctor, date_from,
                            *  date_to, kind, after, limit] -> page */
    SLOT_READ_RULES = 8,     /* [8, hospital, department] -> rules info */
    SLOT_READ_RULES_LOG = 9, /* [9, hospital, after, limit] -> [info...] */
    SLOT_READ_SCHEDULE_CHECK = 10, /* [10, template]  -> check */
    SLOT_READ_PATIENT_INFO = 11,   /* [11, patient] -> patient info */
    SLOT_READ_ACCOUNT = 12,        /* [12, account] -> account info */
    SLOT_READ_STAFF_LOG = 13,      /* [13, after, limit] -> [entry...] */
    SLOT_READ_WAITLIST = 14,       /* [14, pool, patient] -> position */
    SLOT_READ_POOL_CLAIMS = 15,    /* [15, pool, after, limit] -> [claim...] */
    SLOT_READ_EVENTS = 16,         /* [16, after, limit] -> events page */
    SLOT_READ_RECON = 17, /* [17, day, hospital, channel, after, limit] */
    SLOT_READ_STATS = 18, /* [18, hospital, date_from, date_to, after,
                           *  limit] */
};
#define SLOT_READ_MAX 18

struct slot_read {
    uint8_t op;
    struct slot_str pool;     /* POOL, PATIENT; POOLS: "after", may be empty */
    struct slot_str patient;  /* PATIENT */
    uint64_t id;              /* HOLD, BOOKING */
    uint32_t limit;           /* POOLS, QUERY, RULES_LOG: 1..SLOT_LIST_MAX */
    bool no_hash;             /* LEDGER: skip the O(state) state hash (the
                              * reply's state_hash is 0): health probes */
    struct slot_str hospital; /* QUERY, RULES, RULES_LOG */
    struct slot_str department;  /* QUERY, RULES: "" any / the hospital */
    struct slot_str doctor;      /* QUERY: "" any */
    uint32_t date_from, date_to; /* QUERY: local days, 0 unbounded */
    uint8_t kind;                /* QUERY: SLOT_KIND_ANY or a kind */
    uint64_t after_version;      /* RULES_LOG; STAFF_LOG: after seq */
    struct slot_template tpl;    /* SCHEDULE_CHECK */
    struct slot_str account;     /* ACCOUNT */
    uint64_t after_id;           /* POOL_CLAIMS: claims with id > this;
                                  * EVENTS: events with seq > this;
                                  * RECON, STATS: rows skipped */
    uint32_t day;                /* RECON: the local day */
    struct slot_str channel;     /* RECON: "" any */
};
int slot_read_decode(struct mp_reader *r, struct slot_read *rd);
void slot_read_encode(struct mp_buf *b, const struct slot_read *rd);

/* (Not SLOT_POOL_*: SLOT_POOL_CLOSED is the error code.) */
enum slot_pool_state {
    SLOT_PSTATE_SCHEDULED = 0, /* open, but ledger time < release_at_ms */
    SLOT_PSTATE_OPEN = 1,
    SLOT_PSTATE_CLOSED = 2,
    SLOT_PSTATE_STOPPED = 3, /* version 4: POOL_STOP (the doctor's stoppage) */
};
/* "scheduled" / "open" / "closed" / "stopped", or NULL. */
const char *slot_pool_state_name(int state);

/* Counters of one bucket: a channel's share, or the shared remainder. */
struct slot_bucket {
    char channel[SLOT_CHANNEL_MAX + 1]; /* "" for the remainder */
    uint32_t capacity;
    uint32_t free;
    uint32_t held;
    uint32_t booked;
    uint32_t cooling; /* freed by a cancel, not free yet (version 3) */
};

/* A pool's schedule fields as reads report them. */
struct slot_place {
    char hospital[SLOT_NAME_MAX + 1];
    char campus[SLOT_NAME_MAX + 1];
    char department[SLOT_NAME_MAX + 1];
    char doctor[SLOT_NAME_MAX + 1];
    uint32_t visit_day;
    uint8_t pay_mode;
    uint32_t visit_slot_ms;
    uint32_t n_eligible;
    char eligible[SLOT_POOL_NAMES_MAX][SLOT_CHANNEL_MAX + 1];
    uint32_t n_rem_allow;
    char rem_allow[SLOT_POOL_NAMES_MAX][SLOT_CHANNEL_MAX + 1];
    uint64_t flow_due_ms; /* 0: no flow-back configured */
    uint8_t flowed_back;
};

struct slot_pool_status {
    char pool[SLOT_POOL_ID_MAX + 1];
    uint8_t kind;
    uint8_t state; /* enum slot_pool_state */
    uint32_t capacity, free, held, booked;
    uint64_t fee_cents;
    uint64_t seg_start_ms, seg_end_ms, release_at_ms;
    uint32_t next_visit_no;
    uint32_t n_shares;
    struct slot_bucket shares[SLOT_POOL_SHARES_MAX];
    struct slot_bucket remainder;
    bool has_place; /* nil on the wire when false */
    struct slot_place place;
    uint32_t cooling; /* version 3: free + held + booked + cooling ==
                       * capacity */
    uint32_t waiting; /* version 3: patients on the waitlist */
};
void slot_pool_status_encode(struct mp_buf *b,
                             const struct slot_pool_status *s);
int slot_pool_status_decode(struct mp_reader *r, struct slot_pool_status *s);

enum slot_claim_state {
    SLOT_CLAIM_HELD = 1,
    SLOT_CLAIM_BOOKED = 2,
    SLOT_CLAIM_RELEASED = 3,
    SLOT_CLAIM_EXPIRED = 4,
    SLOT_CLAIM_CANCELLED = 5,
    SLOT_CLAIM_MOVED = 6, /* version 4: a booking MOVE took elsewhere */
};
/* "held" / "booked" / "released" / "expired" / "cancelled" / "moved", or
 * NULL. */
const char *slot_claim_state_name(int state);

/* A hold and, once confirmed, the booking made from it (same id). */
struct slot_claim {
    uint64_t id;
    uint8_t state; /* enum slot_claim_state */
    char pool[SLOT_POOL_ID_MAX + 1];
    char patient[SLOT_PATIENT_KEY_MAX + 1];
    char channel[SLOT_CHANNEL_MAX + 1];
    uint64_t held_at_ms;
    uint64_t deadline_ms;
    uint64_t booked_at_ms;   /* 0 unless confirmed */
    uint64_t resolved_at_ms; /* 0 while held or booked */
    uint32_t visit_no;       /* 0 unless confirmed */
    char payment_ref[SLOT_PAYMENT_REF_MAX + 1];
    uint64_t visit_start_ms; /* the visit number's estimated window in the */
    uint64_t visit_end_ms;   /* segment; 0 unless booked in a segment */
    uint8_t paid;            /* confirmed with a payment reference */
    char bucket[SLOT_CHANNEL_MAX + 1]; /* "" remainder, else the share */
    /* version 4: the visit day */
    uint8_t attendance;        /* enum slot_attendance (BOOKED claims) */
    uint64_t checked_in_at_ms; /* 0 unless checked in */
    uint64_t moved_to;         /* MOVED: the new booking's id */
    uint64_t moved_from;       /* a booking MOVE made: the old one's id */
    uint8_t refunded;          /* CANCELLED as a stopped clinic's refund */
    uint8_t affected; /* its pool is stopped (HELD / BOOKED / resolved) */
    /* version 5: the payment (with payment_ref) */
    char pay_method[SLOT_PAY_METHOD_MAX + 1]; /* "" none given / unpaid */
    uint64_t fee_paid_cents;                  /* 0 unpaid */
};
enum slot_attendance {
    SLOT_ATTEND_PENDING = 0,
    SLOT_ATTEND_CHECKED_IN = 1,
    SLOT_ATTEND_NO_SHOW = 2,
};
/* "pending" / "checked_in" / "no_show", or NULL. */
const char *slot_attendance_name(int a);
void slot_claim_encode(struct mp_buf *b, const struct slot_claim *c);
int slot_claim_decode(struct mp_reader *r, struct slot_claim *c);

/* ---- patients and accounts (version 3) ---- */
struct slot_violation {
    uint64_t at_ms;
    char hospital[SLOT_NAME_MAX + 1];
    uint8_t kind; /* enum slot_violation_kind */
};
struct slot_standing {
    char hospital[SLOT_NAME_MAX + 1];
    uint32_t violations;           /* in the hospital's window, now */
    uint32_t threshold;            /* 0: no blacklist rule */
    bool warning;                  /* one more violation blacklists */
    uint64_t blacklisted_until_ms; /* 0: not blacklisted */
    bool exception;                /* an EXCEPTION lets the next hold through */
};
/* A patient's info (PATIENT_INFO). claims points at caller storage of
 * claims_cap entries (decoding more is TOO_LARGE); NULL: decoding skips
 * them but still counts n_claims. */
struct slot_patient_info {
    char patient[SLOT_PATIENT_KEY_MAX + 1];
    char account[SLOT_PATIENT_KEY_MAX + 1];
    uint32_t n_claims, claims_cap;
    struct slot_claim *claims;
    uint32_t n_violations;
    struct slot_violation violations[SLOT_VIOLATIONS_KEPT];
    uint32_t n_standing;
    struct slot_standing standing[SLOT_VIOLATIONS_KEPT];
    uint32_t n_cancels;
    uint64_t cancels_ms[SLOT_CANCELS_KEPT];
};
void slot_patient_info_encode(struct mp_buf *b,
                              const struct slot_patient_info *p);
int slot_patient_info_decode(struct mp_reader *r, struct slot_patient_info *p);

struct slot_account_info {
    char account[SLOT_PATIENT_KEY_MAX + 1];
    uint32_t n_patients;
    char patients[SLOT_ACCOUNT_PATIENTS_MAX][SLOT_PATIENT_KEY_MAX + 1];
    uint32_t n_changes; /* oldest first */
    struct {
        uint64_t at_ms; /* the change's first unbind */
        uint32_t unbinds;
    } changes[SLOT_ACCOUNT_CHANGES_KEPT];
};
void slot_account_info_encode(struct mp_buf *b,
                              const struct slot_account_info *a);
int slot_account_info_decode(struct mp_reader *r, struct slot_account_info *a);

struct slot_staff_entry {
    uint64_t seq;
    uint64_t at_ms;
    uint8_t op; /* VIOLATION, UNBLOCK, EXCEPTION, POOL_STOP (version 4) */
    char hospital[SLOT_NAME_MAX + 1];       /* "": a free-standing pool's */
    char patient[SLOT_PATIENT_KEY_MAX + 1]; /* "": POOL_STOP */
    uint8_t kind;                           /* VIOLATION's, else 0 */
    char operator_name[SLOT_OPERATOR_MAX + 1];
    char reason[SLOT_REASON_MAX + 1];
    char pool[SLOT_POOL_ID_MAX + 1]; /* version 4: POOL_STOP's, else "" */
};
void slot_staff_entry_encode(struct mp_buf *b,
                             const struct slot_staff_entry *e);
int slot_staff_entry_decode(struct mp_reader *r, struct slot_staff_entry *e);

/* ---- the event feed (version 4; ledger.h, "The event feed") ---- */
enum slot_event_type {
    SLOT_EV_HELD = 1,    /* a = deadline_ms */
    SLOT_EV_OFFERED = 2, /* a waitlist offer, a HELD claim: a = deadline */
    SLOT_EV_BOOKED = 3,  /* a = visit_no, b = paid */
    SLOT_EV_RELEASED = 4,
    SLOT_EV_EXPIRED = 5,
    SLOT_EV_CANCELLED = 6,  /* a = refunded */
    SLOT_EV_MOVED = 7,      /* the old booking: a = the new booking's id */
    SLOT_EV_CHECKED_IN = 8, /* a = visit_no */
    SLOT_EV_NO_SHOW = 9,
    SLOT_EV_POOL_CREATED = 10,
    SLOT_EV_POOL_UPDATED = 11,
    SLOT_EV_POOL_CLOSED = 12,
    SLOT_EV_POOL_STOPPED = 13, /* a = bookings, b = holds affected */
    SLOT_EV_FLOWED_BACK = 14,
    SLOT_EV_SLOT_FREED = 15,    /* a cancelled slot back from cooling */
    SLOT_EV_RULES_CHANGED = 16, /* a = the hospital's version */
    SLOT_EV_CONFIG_CHANGED = 17,
    SLOT_EV_VIOLATION = 18, /* a = kind, b = blacklisted until (0) */
    SLOT_EV_UNBLOCKED = 19,
    SLOT_EV_EXCEPTION = 20,
    SLOT_EV_ACCOUNT_BOUND = 21,
    SLOT_EV_ACCOUNT_UNBOUND = 22,
    SLOT_EV_WAIT_JOINED = 23, /* a = position */
    SLOT_EV_WAIT_LEFT = 24,
};
#define SLOT_EV_MAX 24
/* "held", "offered", ..., "wait_left", or NULL. */
const char *slot_event_name(int type);

struct slot_event {
    uint64_t seq;     /* 1, 2, ... in apply order, never reused */
    uint64_t index;   /* the Raft entry that made it */
    uint64_t time_ms; /* ledger time of the entry */
    uint8_t type;     /* enum slot_event_type */
    char pool[SLOT_POOL_ID_MAX + 1];
    uint64_t claim; /* 0: none */
    char patient[SLOT_PATIENT_KEY_MAX + 1];
    char channel[SLOT_CHANNEL_MAX + 1];
    char account[SLOT_PATIENT_KEY_MAX + 1]; /* the patient's, at the event */
    char hospital[SLOT_NAME_MAX + 1];
    uint64_t a, b;
    /* version 5 */
    uint64_t fee_cents; /* a claim event: the claim's fee paid, 0 unpaid */
    char payment_ref[SLOT_PAYMENT_REF_MAX + 1];
    char pay_method[SLOT_PAY_METHOD_MAX + 1];
    uint32_t local_day; /* of time_ms in the hospital's local time */
};
void slot_event_encode(struct mp_buf *b, const struct slot_event *e);
int slot_event_decode(struct mp_reader *r, struct slot_event *e);

/* ---- money and statistics (version 5; ledger.h, "Money and
 * statistics") ---- */
struct slot_recon_row {
    uint32_t day;
    char hospital[SLOT_NAME_MAX + 1]; /* "": free-standing pools */
    char channel[SLOT_CHANNEL_MAX + 1];
    char pay_method[SLOT_PAY_METHOD_MAX + 1]; /* "": unpaid / none given */
    uint32_t booked, checkin_paid, checked_in, cancelled, refunded, moved,
        no_show;
    uint64_t booked_cents, checkin_paid_cents, cancelled_cents, refunded_cents;
};
void slot_recon_row_encode(struct mp_buf *b, const struct slot_recon_row *r);
int slot_recon_row_decode(struct mp_reader *r, struct slot_recon_row *row);

struct slot_stats_row {
    uint32_t visit_day;
    char hospital[SLOT_NAME_MAX + 1];
    char department[SLOT_NAME_MAX + 1];
    uint32_t pools;
    uint64_t released, capacity, booked_now;
    uint64_t booked_total, cancelled_total, refunded_total, moved_total,
        no_show_total, checked_in_total;
};
void slot_stats_row_encode(struct mp_buf *b, const struct slot_stats_row *r);
int slot_stats_row_decode(struct mp_reader *r, struct slot_stats_row *row);

/* Ledger-wide figures. */
struct slot_ledger_info {
    uint64_t time_ms;
    uint64_t state_hash;
    uint32_t pools, patients, channels, sessions;
    uint32_t holds_active, bookings_active, retained;
    struct slot_config config;
};
void slot_ledger_info_encode(struct mp_buf *b,
                             const struct slot_ledger_info *i);
int slot_ledger_info_decode(struct mp_reader *r, struct slot_ledger_info *i);

/* ---- Client frames --------------------------------------------------- */
enum slot_frame_type {
    SLOT_FRAME_COMMAND = 1, /* payload: cmd            -> RESULT */
    SLOT_FRAME_READ = 2, /* payload: [linearizable(bool), read] -> READ_REPLY */
    SLOT_FRAME_ADMIN =
        3, /* payload: node-defined (slotd)       -> ADMIN_REPLY */
    SLOT_FRAME_RESULT = 16,      /* payload: [result, raft_index] */
    SLOT_FRAME_READ_REPLY = 17,  /* payload: [code, applied_index, body|nil] */
    SLOT_FRAME_ADMIN_REPLY = 18, /* payload: [code, body|nil] */
    SLOT_FRAME_ERROR = 19,       /* payload: [code, leader_id, leader_address,
                                  * executed] (below) */
};

/* An ERROR frame's `executed`: whether the refused request ran.
 *
 *   NOT      not proposed to raft: certainly not executed, and never will
 *            be. Any refusal before raft_apply / raft_add / ... accepted
 *            it (a follower, no leader, BUSY, a closing node, MALFORMED,
 *            every read), and a promotion that failed while raft was still
 *            catching the server up (its entry never appended). The client
 *            may send it again, to any node, even if it is not idempotent.
 *   UNKNOWN  proposed, outcome unknown: raft accepted it and then reported
 *            an error (leadership lost, shutdown with entries in flight, a
 *            membership change failed after its entry was appended, a
 *            transfer that did not complete); it may still take effect
 *            under the next leader. Only a session (session, seq) makes a
 *            command's retry safe.
 *
 * The field is optional on the wire (like the trailing fields of
 * commands): a node built before it sends [code, leader_id,
 * leader_address], which decodes as UNKNOWN, the safe reading. Another
 * integer is INVALID_ARGUMENT, anything else MALFORMED. */
enum slot_exec {
    SLOT_EXEC_NOT = 0,
    SLOT_EXEC_UNKNOWN = 1,
};

/* A decoded ERROR payload. leader_address points into the frame. */
struct slot_error_info {
    int code;
    uint64_t leader_id;
    struct slot_str leader_address; /* "" when no leader is named */
    uint8_t executed;               /* enum slot_exec */
};

struct slot_frame {
    uint8_t type;
    uint64_t tag;
    const uint8_t *payload; /* points into the frame body */
    size_t payload_len;
};

/* Looks at the start of a receive buffer. Returns SLOT_OK and sets
 * *frame_len (header + body) when a whole frame is present; returns
 * SLOT_OK with *frame_len == 0 when more bytes are needed; returns
 * SLOT_TOO_LARGE or SLOT_MALFORMED (length 0) when the declared length is
 * invalid: the connection cannot be resynchronised and must be closed. */
int slot_frame_peek(const void *buf, size_t len, size_t *frame_len);
/* Decodes a frame body (without the 4-byte length). */
int slot_frame_decode(const void *body, size_t len, struct slot_frame *f);
/* Starts a frame: reserves the length word and packs [version, type, tag,
 * then the caller packs exactly one payload value, then calls
 * slot_frame_end(b, start). */
size_t slot_frame_begin(struct mp_buf *b, uint8_t type, uint64_t tag);
void slot_frame_end(struct mp_buf *b, size_t start);
/* Appends a whole ERROR frame: [code, leader_id, leader_address, executed]
 * (0 and "" when no leader is named; executed: enum slot_exec). */
void slot_frame_error(struct mp_buf *b, uint64_t tag, int code,
                      uint64_t leader_id, const char *leader_address,
                      uint8_t executed);
/* Decodes an ERROR frame's payload (all of it: trailing bytes are
 * MALFORMED). The 3-field form of older nodes gives executed = UNKNOWN.
 * Refused: another field count, a field of the wrong type, code 0
 * (MALFORMED); executed outside enum slot_exec or a code above 65535
 * (INVALID_ARGUMENT); an address longer than SLOT_ADDRESS_MAX
 * (TOO_LARGE). */
int slot_frame_error_decode(const void *payload, size_t len,
                            struct slot_error_info *out);

#endif /* SLOT_PROTO_H */
