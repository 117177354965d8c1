/* slot_proto: encoding and validation of commands, results, reads, replies,
 * Raft entries and client frames (contract in slot_proto.h).
 *
 * Every fixed-shape message is described once, as a table of fields
 * (kind, offset, bounds), and the same table drives the decoder, which
 * checks each bound, and the encoder, which asserts it. Encoding and
 * validation therefore cannot drift apart: whatever the encoder accepts
 * decodes, and whatever decodes re-encodes to an equal value. Rules that
 * span several fields (config ordering, segment, shares) are one check
 * function per structure, again shared by both directions.
 *
 * Error order: per-field errors come first, in field order (the reader's
 * error is sticky, so the first one wins); cross-field rules are checked
 * only once the whole structure has been read.
 */
#include "slot_proto.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "slot_admin.h"
#include "slot_time.h"
#include "slot_valid.h"

/* A pool spec's times and the ledger's stamps are bounded by
 * SLOT_TIME_MAX_MS, but a hold deadline is ledger time plus a TTL of up to
 * 24 h, so a claim's deadline may exceed it by that much. */
#define TTL_MAX_MS      86400000u
#define DEADLINE_MAX_MS (SLOT_TIME_MAX_MS + TTL_MAX_MS)

_Static_assert(SLOT_ENTRY_MAX % 8 == 0, "entry limit must be padded size");
_Static_assert(SLOT_ENTRY_MAX <= UINT32_MAX, "entry length is a u32");
_Static_assert(SLOT_FRAME_MAX <= UINT32_MAX, "frame length is a u32");
_Static_assert(SLOT_OP_MAX == SLOT_OP_CHECKIN, "op table covers every op");
_Static_assert(SLOT_READ_MAX == SLOT_READ_STATS, "read table covers all");

/* ---- names ------------------------------------------------------------ */

static const char *nameAt(const char *const *names, size_t n, int i)
{
    return i >= 0 && (size_t)i < n ? names[i] : NULL;
}

#define NAME_AT(names, i) nameAt((names), sizeof(names) / sizeof(*(names)), (i))

const char *slot_op_name(int op)
{
    static const char *const names[] = {
        NULL,
        "SESSION_OPEN",
        "CONFIG",
        "POOL_CREATE",
        "POOL_UPDATE",
        "POOL_CLOSE",
        "HOLD",
        "CONFIRM",
        "RELEASE",
        "CANCEL",
        "EXPIRE",
        "IDEM",
        "RULES_SET",
        "SCHEDULE_IMPORT",
        "SWEEP",
        "ACCOUNT_BIND",
        "ACCOUNT_UNBIND",
        "VIOLATION",
        "UNBLOCK",
        "EXCEPTION",
        "WAITLIST_JOIN",
        "WAITLIST_LEAVE",
        "POOL_STOP",
        "MOVE",
        "CHECKIN",
    };
    return NAME_AT(names, op);
}

const char *slot_quota_name(int quota)
{
    static const char *const names[] = {
        NULL,
        "day_normal",
        "day_expert",
        "dept_expert",
        "month_normal",
        "month_expert",
        "active",
        NULL,
        NULL,
        NULL,
        NULL,
        "account_day_normal",
        "account_day_expert",
        "account_dept_expert",
        "account_month_normal",
        "account_month_expert",
    };
    return NAME_AT(names, quota);
}

const char *slot_account_rule_name(int rule)
{
    static const char *const names[] = {NULL, "full", "elsewhere", "changes",
                                        "change_patients"};
    return NAME_AT(names, rule);
}

static const char *const violationNames[] = {NULL, "no_show", "unpaid", "other",
                                             "late_cancel"};

const char *slot_violation_name(int kind)
{
    return NAME_AT(violationNames, kind);
}

int slot_violation_from_name(const char *name, size_t len)
{
    for (int k = 1; k <= SLOT_VIOLATION_KIND_MAX; k++) {
        if (name != NULL && strlen(violationNames[k]) == len &&
            memcmp(violationNames[k], name, len) == 0) {
            return k;
        }
    }
    return -1;
}

static const char *const kindNames[] = {"normal", "expert", "special",
                                        "top_expert"};

const char *slot_kind_name(int kind)
{
    return NAME_AT(kindNames, kind);
}

int slot_kind_from_name(const char *name, size_t len)
{
    for (int k = 0; k <= SLOT_KIND_MAX; k++) {
        if (name != NULL && strlen(kindNames[k]) == len &&
            memcmp(kindNames[k], name, len) == 0) {
            return k;
        }
    }
    return -1;
}

const char *slot_pool_state_name(int state)
{
    static const char *const names[] = {"scheduled", "open", "closed",
                                        "stopped"};
    return NAME_AT(names, state);
}

const char *slot_event_name(int type)
{
    static const char *const names[] = {
        NULL,
        "held",
        "offered",
        "booked",
        "released",
        "expired",
        "cancelled",
        "moved",
        "checked_in",
        "no_show",
        "pool_created",
        "pool_updated",
        "pool_closed",
        "pool_stopped",
        "flowed_back",
        "slot_freed",
        "rules_changed",
        "config_changed",
        "violation",
        "unblocked",
        "exception",
        "account_bound",
        "account_unbound",
        "wait_joined",
        "wait_left",
    };
    return NAME_AT(names, type);
}

const char *slot_attendance_name(int a)
{
    static const char *const names[] = {"pending", "checked_in", "no_show"};
    return NAME_AT(names, a);
}

const char *slot_claim_state_name(int state)
{
    static const char *const names[] = {
        NULL, "held", "booked", "released", "expired", "cancelled", "moved",
    };
    return NAME_AT(names, state);
}

/* ---- strings ------------------------------------------------------------ */

/* Which kind of identifier a string field holds. The charsets and lengths
 * live in slot_valid.c, shared with snapshot restore; here we only need
 * each maximum, to refuse an oversized string before touching its bytes
 * and to size the fixed char arrays of the reply structs. */
enum str_rule {
    SR_POOL,          /* slot_valid_pool_id */
    SR_POOL_OPT,      /* "" or a pool id: POOLS "after" */
    SR_PATIENT,       /* slot_valid_patient_key */
    SR_CHANNEL,       /* slot_valid_channel */
    SR_PAYREF,        /* slot_valid_payment_ref */
    SR_PAYREF_OPT,    /* "" or a ref: none until confirmed, or pay at visit */
    SR_NAME,          /* slot_valid_name: hospital, department, ... */
    SR_NAME_OPT,      /* "" or a name */
    SR_CHANNEL_OPT,   /* "" or a channel: the remainder's bucket */
    SR_PATIENT_OPT,   /* "" or a patient key: an account, when optional */
    SR_OPERATOR,      /* slot_valid_operator */
    SR_REASON,        /* slot_valid_text up to SLOT_REASON_MAX */
    SR_PAYMETHOD_OPT, /* "" or slot_valid_pay_method (protocol 5) */
};

static const uint32_t strMax[] = {
    [SR_POOL] = SLOT_POOL_ID_MAX,
    [SR_POOL_OPT] = SLOT_POOL_ID_MAX,
    [SR_PATIENT] = SLOT_PATIENT_KEY_MAX,
    [SR_CHANNEL] = SLOT_CHANNEL_MAX,
    [SR_PAYREF] = SLOT_PAYMENT_REF_MAX,
    [SR_PAYREF_OPT] = SLOT_PAYMENT_REF_MAX,
    [SR_NAME] = SLOT_NAME_MAX,
    [SR_NAME_OPT] = SLOT_NAME_MAX,
    [SR_CHANNEL_OPT] = SLOT_CHANNEL_MAX,
    [SR_PATIENT_OPT] = SLOT_PATIENT_KEY_MAX,
    [SR_OPERATOR] = SLOT_OPERATOR_MAX,
    [SR_REASON] = SLOT_REASON_MAX,
    [SR_PAYMETHOD_OPT] = SLOT_PAY_METHOD_MAX,
};

static int strCheck(uint8_t rule, struct slot_str s)
{
    bool optional = rule == SR_POOL_OPT || rule == SR_PAYREF_OPT ||
                    rule == SR_NAME_OPT || rule == SR_CHANNEL_OPT ||
                    rule == SR_PATIENT_OPT || rule == SR_PAYMETHOD_OPT;
    if (optional && s.len == 0) {
        return SLOT_OK;
    }
    switch (rule) {
        case SR_POOL:
        case SR_POOL_OPT:
            return slot_valid_pool_id(s);
        case SR_PATIENT:
        case SR_PATIENT_OPT:
            return slot_valid_patient_key(s);
        case SR_OPERATOR:
            return slot_valid_operator(s);
        case SR_REASON:
            return slot_valid_text(s, SLOT_REASON_MAX);
        case SR_CHANNEL:
        case SR_CHANNEL_OPT:
            return slot_valid_channel(s);
        case SR_NAME:
        case SR_NAME_OPT:
            return slot_valid_name(s);
        case SR_PAYMETHOD_OPT:
            return slot_valid_pay_method(s);
        default:
            return slot_valid_payment_ref(s);
    }
}

static bool strOk(uint8_t rule, const char *p, size_t len)
{
    return len <= strMax[rule] &&
           strCheck(rule, (struct slot_str){p, (uint32_t)len}) == SLOT_OK;
}

/* Records a validation error the way mp.c records a decoding error: the
 * first one sticks and the reader reads nothing more. */
static bool rfail(struct mp_reader *r, int code)
{
    if (r->err == 0) {
        r->err = code;
    }
    r->p = r->end;
    return false;
}

/* Reads a string under a rule: over the maximum is TOO_LARGE (the reader
 * says so before looking at the bytes), anything else wrong is
 * INVALID_ARGUMENT. */
static bool readStr(struct mp_reader *r, uint8_t rule, struct slot_str *s)
{
    if (!mp_read_str(r, strMax[rule], s)) {
        return false;
    }
    int rc = strCheck(rule, *s);
    return rc == SLOT_OK || rfail(r, rc);
}

/* ---- field tables ------------------------------------------------------ */

enum field_kind {
    FK_U8, /* integers, within [min, max] */
    FK_U16,
    FK_U32,
    FK_U64,
    FK_STR,     /* struct slot_str under a string rule */
    FK_CHARS,   /* char[rule max + 1], copied and NUL-terminated */
    FK_SHARES,  /* pool spec: [[channel, slots], ...] (base: the spec) */
    FK_BUCKETS, /* pool status: [[channel, 4 counters], ...] (base) */
    FK_BUCKET,  /* remainder bucket [4 counters] (at off) */
    FK_CONFIG,  /* nested config array (at off) */
    FK_PLACE,   /* pool status: nil or the schedule fields (base) */
};

struct field {
    uint8_t kind;
    uint8_t rule; /* FK_STR, FK_CHARS */
    uint16_t off;
    uint64_t min, max;
};

#define F_INT(k, type, m, lo, hi)                                              \
    {                                                                          \
        (k), 0, (uint16_t)offsetof(type, m), (uint64_t)(lo), (uint64_t)(hi)    \
    }
#define F_U8(type, m, lo, hi)  F_INT(FK_U8, type, m, lo, hi)
#define F_U16(type, m, lo, hi) F_INT(FK_U16, type, m, lo, hi)
#define F_U32(type, m, lo, hi) F_INT(FK_U32, type, m, lo, hi)
#define F_U64(type, m, lo, hi) F_INT(FK_U64, type, m, lo, hi)
#define F_ID(type, m)          F_U64(type, m, 1, UINT64_MAX)
#define F_MS(type, m)          F_U64(type, m, 0, SLOT_TIME_MAX_MS)
#define F_STR(k, type, m, r)                                                   \
    {                                                                          \
        (k), (r), (uint16_t)offsetof(type, m), 0, 0                            \
    }
#define F_SPECIAL(k, type, m)                                                  \
    {                                                                          \
        (k), 0, (uint16_t)offsetof(type, m), 0, 0                              \
    }
#define N_FIELDS(t) ((uint8_t)(sizeof(t) / sizeof(*(t))))

/* Command arguments live in the union; their offsets are relative to it,
 * which for CONFIG and POOL_* is also relative to the member struct, so
 * the config and pool spec tables serve other messages too. */
#define U_OFF(m) (offsetof(struct slot_cmd, u.m) - offsetof(struct slot_cmd, u))
#define F_ARG_ID(m)                                                            \
    {                                                                          \
        FK_U64, 0, (uint16_t)U_OFF(m), 1, UINT64_MAX                           \
    }
#define F_ARG_STR(m, r)                                                        \
    {                                                                          \
        FK_STR, (r), (uint16_t)U_OFF(m), 0, 0                                  \
    }

static const struct field configFields[] = {
    F_U32(struct slot_config, hold_ttl_min_ms, 1, TTL_MAX_MS),
    F_U32(struct slot_config, hold_ttl_max_ms, 1, TTL_MAX_MS),
    F_U32(struct slot_config, session_max, 1, SLOT_SESSIONS_MAX),
    F_U64(struct slot_config, session_idle_ms, 1000, SLOT_TIME_MAX_MS),
    F_MS(struct slot_config, retain_ms),
    F_U32(struct slot_config, retain_max, 0, SLOT_RETAIN_MAX),
    /* Protocol 3 (CONFIG_FIELDS_V3 of them; slot_valid_config checks the
     * lower bounds once v3 is known). */
    F_U8(struct slot_config, account_patients_max, 0,
         SLOT_ACCOUNT_PATIENTS_MAX),
    F_U8(struct slot_config, account_changes_max, 0, SLOT_ACCOUNT_CHANGES_KEPT),
    F_U16(struct slot_config, account_change_window_days, 0, 3660),
    F_U8(struct slot_config, account_change_patients_max, 0,
         SLOT_ACCOUNT_PATIENTS_MAX),
    F_U16(struct slot_config, patient_active_max, 0, UINT16_MAX),
    F_U64(struct slot_config, cooldown_key[0], 0, UINT64_MAX),
    F_U64(struct slot_config, cooldown_key[1], 0, UINT64_MAX),
};
#define CONFIG_FIELDS_V3 7

static const struct field poolSpecFields[] = {
    F_STR(FK_STR, struct slot_pool_spec, pool, SR_POOL),
    F_U32(struct slot_pool_spec, capacity, 1, SLOT_POOL_CAPACITY_MAX),
    F_U8(struct slot_pool_spec, kind, 0, SLOT_KIND_MAX),
    F_U64(struct slot_pool_spec, fee_cents, 0, SLOT_FEE_MAX_CENTS),
    F_MS(struct slot_pool_spec, seg_start_ms),
    F_MS(struct slot_pool_spec, seg_end_ms),
    F_MS(struct slot_pool_spec, release_at_ms),
    F_SPECIAL(FK_SHARES, struct slot_pool_spec, n_shares),
};

static const struct field shareFields[] = {
    F_STR(FK_STR, struct slot_share, channel, SR_CHANNEL),
    F_U32(struct slot_share, slots, 0, UINT32_MAX), /* see checkCmdPool */
};

static const struct field closeFields[] = {F_ARG_STR(close.pool, SR_POOL)};

/* Optional trailing fields (protocol 3) are the last n_opt of a table. */
static const struct field holdFields[] = {
    F_ARG_STR(hold.pool, SR_POOL),
    F_ARG_STR(hold.patient, SR_PATIENT),
    F_ARG_STR(hold.channel, SR_CHANNEL),
    {FK_U32, 0, (uint16_t)U_OFF(hold.ttl_ms), 0, UINT32_MAX},
    F_ARG_STR(hold.account, SR_PATIENT_OPT),
};

/* The reference is optional since protocol 2: a pay-at-visit pool books
 * without one; a pay-online pool refuses that with PAYMENT_REQUIRED. */
static const struct field confirmFields[] = {
    F_ARG_ID(claim.id),
    F_ARG_STR(claim.payment_ref, SR_PAYREF_OPT),
    F_ARG_STR(claim.caller, SR_CHANNEL_OPT),
    F_ARG_STR(claim.account, SR_PATIENT_OPT),
    F_ARG_STR(claim.pay_method, SR_PAYMETHOD_OPT),
};

/* RELEASE and CANCEL. */
static const struct field claimCmdFields[] = {
    F_ARG_ID(claim.id),
    F_ARG_STR(claim.caller, SR_CHANNEL_OPT),
    F_ARG_STR(claim.account, SR_PATIENT_OPT),
};

static const struct field bindFields[] = {
    F_ARG_STR(bind.account, SR_PATIENT),
    F_ARG_STR(bind.patient, SR_PATIENT),
};

static const struct field violationFields[] = {
    F_ARG_STR(staff.hospital, SR_NAME),
    F_ARG_STR(staff.patient, SR_PATIENT),
    {FK_U8, 0, (uint16_t)U_OFF(staff.kind), SLOT_VIOLATION_NO_SHOW,
     SLOT_VIOLATION_OTHER},
    F_ARG_STR(staff.operator_name, SR_OPERATOR),
    F_ARG_STR(staff.reason, SR_REASON),
};

static const struct field waitJoinFields[] = {
    F_ARG_STR(wait.pool, SR_POOL),
    F_ARG_STR(wait.patient, SR_PATIENT),
    F_ARG_STR(wait.channel, SR_CHANNEL),
    F_ARG_STR(wait.account, SR_PATIENT_OPT),
};

static const struct field waitLeaveFields[] = {
    F_ARG_STR(wait.pool, SR_POOL),
    F_ARG_STR(wait.patient, SR_PATIENT),
    F_ARG_STR(wait.channel, SR_CHANNEL_OPT),
    F_ARG_STR(wait.account, SR_PATIENT_OPT),
};

static const struct field stopFields[] = {
    F_ARG_STR(stop.pool, SR_POOL),
    F_ARG_STR(stop.operator_name, SR_OPERATOR),
    F_ARG_STR(stop.reason, SR_REASON),
};

static const struct field moveFields[] = {
    F_ARG_ID(claim.id),
    F_ARG_STR(claim.pool, SR_POOL),
    F_ARG_STR(claim.caller, SR_CHANNEL_OPT),
    F_ARG_STR(claim.account, SR_PATIENT_OPT),
};

static const struct field checkinFields[] = {
    F_ARG_ID(claim.id),
    F_ARG_STR(claim.patient, SR_PATIENT),
    F_ARG_STR(claim.payment_ref, SR_PAYREF_OPT),
    F_ARG_STR(claim.pay_method, SR_PAYMETHOD_OPT),
};

/* UNBLOCK, EXCEPTION */
static const struct field staffFields[] = {
    F_ARG_STR(staff.hospital, SR_NAME),
    F_ARG_STR(staff.patient, SR_PATIENT),
    F_ARG_STR(staff.operator_name, SR_OPERATOR),
    F_ARG_STR(staff.reason, SR_REASON),
};
static const struct field expireFields[] = {
    {FK_U32, 0, (uint16_t)U_OFF(expire.max), 1, SLOT_EXPIRE_MAX},
};

static const struct field resultFields[] = {
    F_U16(struct slot_result, code, 0, UINT16_MAX),
    F_U64(struct slot_result, a, 0, UINT64_MAX),
    F_U64(struct slot_result, b, 0, UINT64_MAX),
    F_MS(struct slot_result, time_ms),
};

static const struct field bucketFields[] = {
    F_STR(FK_CHARS, struct slot_bucket, channel, SR_CHANNEL),
    F_U32(struct slot_bucket, capacity, 0, UINT32_MAX),
    F_U32(struct slot_bucket, free, 0, UINT32_MAX),
    F_U32(struct slot_bucket, held, 0, UINT32_MAX),
    F_U32(struct slot_bucket, booked, 0, UINT32_MAX),
    F_U32(struct slot_bucket, cooling, 0, UINT32_MAX),
};
/* The remainder bucket is the same minus the channel. */
static const struct field *const remainderFields = bucketFields + 1;
#define N_REMAINDER_FIELDS (N_FIELDS(bucketFields) - 1)

static const struct field statusFields[] = {
    F_STR(FK_CHARS, struct slot_pool_status, pool, SR_POOL),
    F_U8(struct slot_pool_status, kind, 0, SLOT_KIND_MAX),
    F_U8(struct slot_pool_status, state, 0, SLOT_PSTATE_STOPPED),
    F_U32(struct slot_pool_status, capacity, 1, SLOT_POOL_CAPACITY_MAX),
    F_U32(struct slot_pool_status, free, 0, UINT32_MAX),
    F_U32(struct slot_pool_status, held, 0, UINT32_MAX),
    F_U32(struct slot_pool_status, booked, 0, UINT32_MAX),
    F_U64(struct slot_pool_status, fee_cents, 0, SLOT_FEE_MAX_CENTS),
    F_MS(struct slot_pool_status, seg_start_ms),
    F_MS(struct slot_pool_status, seg_end_ms),
    F_MS(struct slot_pool_status, release_at_ms),
    F_U32(struct slot_pool_status, next_visit_no, 0, UINT32_MAX),
    F_SPECIAL(FK_BUCKETS, struct slot_pool_status, n_shares),
    F_SPECIAL(FK_BUCKET, struct slot_pool_status, remainder),
    F_SPECIAL(FK_PLACE, struct slot_pool_status, has_place),
    F_U32(struct slot_pool_status, cooling, 0, UINT32_MAX),
    F_U32(struct slot_pool_status, waiting, 0, UINT32_MAX),
};

static const struct field claimFields[] = {
    F_ID(struct slot_claim, id),
    F_U8(struct slot_claim, state, SLOT_CLAIM_HELD, SLOT_CLAIM_MOVED),
    F_STR(FK_CHARS, struct slot_claim, pool, SR_POOL),
    F_STR(FK_CHARS, struct slot_claim, patient, SR_PATIENT),
    F_STR(FK_CHARS, struct slot_claim, channel, SR_CHANNEL),
    F_MS(struct slot_claim, held_at_ms),
    F_U64(struct slot_claim, deadline_ms, 0, DEADLINE_MAX_MS),
    F_MS(struct slot_claim, booked_at_ms),
    F_MS(struct slot_claim, resolved_at_ms),
    F_U32(struct slot_claim, visit_no, 0, UINT32_MAX),
    F_STR(FK_CHARS, struct slot_claim, payment_ref, SR_PAYREF_OPT),
    F_U64(struct slot_claim, visit_start_ms, 0, DEADLINE_MAX_MS),
    F_U64(struct slot_claim, visit_end_ms, 0, DEADLINE_MAX_MS),
    F_U8(struct slot_claim, paid, 0, 1),
    F_STR(FK_CHARS, struct slot_claim, bucket, SR_CHANNEL_OPT),
    F_U8(struct slot_claim, attendance, 0, SLOT_ATTEND_NO_SHOW),
    F_MS(struct slot_claim, checked_in_at_ms),
    F_U64(struct slot_claim, moved_to, 0, UINT64_MAX),
    F_U64(struct slot_claim, moved_from, 0, UINT64_MAX),
    F_U8(struct slot_claim, refunded, 0, 1),
    F_U8(struct slot_claim, affected, 0, 1),
    F_STR(FK_CHARS, struct slot_claim, pay_method, SR_PAYMETHOD_OPT),
    F_U64(struct slot_claim, fee_paid_cents, 0, SLOT_FEE_MAX_CENTS),
};

static const struct field infoFields[] = {
    F_MS(struct slot_ledger_info, time_ms),
    F_U64(struct slot_ledger_info, state_hash, 0, UINT64_MAX),
    F_U32(struct slot_ledger_info, pools, 0, UINT32_MAX),
    F_U32(struct slot_ledger_info, patients, 0, UINT32_MAX),
    F_U32(struct slot_ledger_info, channels, 0, UINT32_MAX),
    F_U32(struct slot_ledger_info, sessions, 0, UINT32_MAX),
    F_U32(struct slot_ledger_info, holds_active, 0, UINT32_MAX),
    F_U32(struct slot_ledger_info, bookings_active, 0, UINT32_MAX),
    F_U32(struct slot_ledger_info, retained, 0, UINT32_MAX),
    F_SPECIAL(FK_CONFIG, struct slot_ledger_info, config),
};

/* ---- cross-field rules -------------------------------------------------- */

/* slot_valid checks the whole structure again, single fields included:
 * cheap, and it keeps one definition of what a valid config or pool spec
 * is. The per-field bounds in the tables only decide which error comes
 * first. */
static int checkCmdConfig(const void *args)
{
    return slot_valid_config(args);
}

/* CONFIRM, CHECKIN: a method says how a payment_ref was paid, so it
 * comes with one. */
static int checkPayment(const void *args)
{
    /* args is &cmd->u (the checks get the union, as checkCmdPool does). */
    const struct slot_cmd *c =
        (const void *)((const char *)args - offsetof(struct slot_cmd, u));
    bool bad = c->u.claim.pay_method.len > 0 && c->u.claim.payment_ref.len == 0;
    return bad ? SLOT_INVALID_ARGUMENT : SLOT_OK;
}

static int checkCmdPool(const void *args)
{
    return slot_valid_pool_spec(args);
}

/* ---- table-driven reading and packing ----------------------------------- */

static void readFields(struct mp_reader *r, const struct field *f, size_t n,
                       void *base);
static void packFields(struct mp_buf *b, const struct field *f, size_t n,
                       const void *base);

/* Fields are reached through their offset; memcpy keeps that free of
 * alignment and aliasing assumptions. */
static void storeUint(void *at, uint8_t kind, uint64_t v)
{
    uint8_t v8 = (uint8_t)v;
    uint16_t v16 = (uint16_t)v;
    uint32_t v32 = (uint32_t)v;
    switch (kind) {
        case FK_U8:
            memcpy(at, &v8, sizeof v8);
            break;
        case FK_U16:
            memcpy(at, &v16, sizeof v16);
            break;
        case FK_U32:
            memcpy(at, &v32, sizeof v32);
            break;
        default:
            memcpy(at, &v, sizeof v);
            break;
    }
}

static uint64_t loadUint(const void *at, uint8_t kind)
{
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    switch (kind) {
        case FK_U8:
            memcpy(&v8, at, sizeof v8);
            return v8;
        case FK_U16:
            memcpy(&v16, at, sizeof v16);
            return v16;
        case FK_U32:
            memcpy(&v32, at, sizeof v32);
            return v32;
        default:
            memcpy(&v64, at, sizeof v64);
            return v64;
    }
}

/* The string rules admit no NUL byte, so the copy reads back whole. */
static void readChars(struct mp_reader *r, uint8_t rule, char *out)
{
    struct slot_str s;
    if (readStr(r, rule, &s)) {
        memcpy(out, s.p, s.len);
        out[s.len] = '\0';
    }
}

static void packChars(struct mp_buf *b, uint8_t rule, const char *s)
{
    size_t len = strnlen(s, (size_t)strMax[rule] + 1);
    assert(strOk(rule, s, len));
    mp_pack_str(b, s, len);
}

/* Reads an array of at most max elements (more is TOO_LARGE, like an
 * over-long string), each an array of `per` values
 * laid out by f, into consecutive structs of `size` bytes at out. */
static void readList(struct mp_reader *r, uint32_t max, uint32_t per,
                     const struct field *f, size_t size, void *out, uint32_t *n)
{
    uint32_t count;
    if (!mp_read_array(r, &count)) {
        return;
    }
    if (count > max) {
        rfail(r, SLOT_TOO_LARGE);
        return;
    }
    for (uint32_t i = 0; i < count && r->err == 0; i++) {
        if (mp_expect_array(r, per)) {
            readFields(r, f, per, (char *)out + i * size);
        }
    }
    *n = count;
}

static void packList(struct mp_buf *b, uint32_t max, uint32_t per,
                     const struct field *f, size_t size, const void *in,
                     uint32_t n)
{
    assert(n <= max);
    mp_pack_array(b, n);
    for (uint32_t i = 0; i < n; i++) {
        mp_pack_array(b, per);
        packFields(b, f, per, (const char *)in + i * size);
    }
}

/* Inside a ledger info reply: always the protocol 3 config. */
static void readConfig(struct mp_reader *r, struct slot_config *c)
{
    if (mp_expect_array(r, N_FIELDS(configFields))) {
        readFields(r, configFields, N_FIELDS(configFields), c);
        c->v3 = true;
    }
    if (r->err == 0 && slot_valid_config(c) != SLOT_OK) {
        rfail(r, slot_valid_config(c));
    }
}

/* A pool's schedule fields as reads report them (slot_proto.h, version 2):
 * nil for a free-standing pool. */
static const struct field placeFields[] = {
    F_STR(FK_CHARS, struct slot_place, hospital, SR_NAME),
    F_STR(FK_CHARS, struct slot_place, campus, SR_NAME_OPT),
    F_STR(FK_CHARS, struct slot_place, department, SR_NAME),
    F_STR(FK_CHARS, struct slot_place, doctor, SR_NAME_OPT),
    F_U32(struct slot_place, visit_day, 1, SLOT_DAY_MAX),
    F_U8(struct slot_place, pay_mode, 0, SLOT_PAY_AT_VISIT),
    F_U32(struct slot_place, visit_slot_ms, 0, SLOT_VISIT_SLOT_MAX_MS),
};
#define PLACE_FIELDS (N_FIELDS(placeFields) + 4u)

static void readNames(struct mp_reader *r, uint32_t *n,
                      char names[][SLOT_CHANNEL_MAX + 1])
{
    if (!mp_read_array(r, n)) {
        return;
    }
    if (*n > SLOT_POOL_NAMES_MAX) {
        rfail(r, SLOT_TOO_LARGE);
        return;
    }
    for (uint32_t i = 0; i < *n && r->err == 0; i++) {
        readChars(r, SR_CHANNEL, names[i]);
    }
}

static void packNames(struct mp_buf *b, uint32_t n,
                      const char names[][SLOT_CHANNEL_MAX + 1])
{
    assert(n <= SLOT_POOL_NAMES_MAX);
    mp_pack_array(b, n);
    for (uint32_t i = 0; i < n; i++) {
        packChars(b, SR_CHANNEL, names[i]);
    }
}

static void readPlace(struct mp_reader *r, struct slot_pool_status *s)
{
    s->has_place = !(r->p < r->end && *r->p == 0xc0);
    if (!s->has_place) {
        mp_read_nil(r);
        return;
    }
    struct slot_place *p = &s->place;
    uint64_t v;
    if (!mp_expect_array(r, PLACE_FIELDS)) {
        return;
    }
    readFields(r, placeFields, N_FIELDS(placeFields), p);
    if (r->err == 0) {
        readNames(r, &p->n_eligible, p->eligible);
    }
    if (r->err == 0) {
        readNames(r, &p->n_rem_allow, p->rem_allow);
    }
    if (r->err == 0 && mp_read_uint(r, DEADLINE_MAX_MS, &p->flow_due_ms) &&
        mp_read_uint(r, 1, &v)) {
        p->flowed_back = (uint8_t)v;
    }
}

static void packPlace(struct mp_buf *b, const struct slot_pool_status *s)
{
    if (!s->has_place) {
        msgpack_pack_nil(&b->pk);
        return;
    }
    const struct slot_place *p = &s->place;
    mp_pack_array(b, PLACE_FIELDS);
    packFields(b, placeFields, N_FIELDS(placeFields), p);
    packNames(b, p->n_eligible, p->eligible);
    packNames(b, p->n_rem_allow, p->rem_allow);
    mp_pack_uint(b, p->flow_due_ms);
    mp_pack_uint(b, p->flowed_back);
}

static void readSpecial(struct mp_reader *r, const struct field *f, void *base)
{
    void *at = (char *)base + f->off;
    switch (f->kind) {
        case FK_SHARES: {
            struct slot_pool_spec *s = base;
            readList(r, SLOT_POOL_SHARES_MAX, N_FIELDS(shareFields),
                     shareFields, sizeof(struct slot_share), s->shares,
                     &s->n_shares);
            break;
        }
        case FK_BUCKETS: {
            struct slot_pool_status *s = base;
            readList(r, SLOT_POOL_SHARES_MAX, N_FIELDS(bucketFields),
                     bucketFields, sizeof(struct slot_bucket), s->shares,
                     &s->n_shares);
            break;
        }
        case FK_BUCKET:
            if (mp_expect_array(r, N_REMAINDER_FIELDS)) {
                readFields(r, remainderFields, N_REMAINDER_FIELDS, at);
            }
            break;
        case FK_PLACE:
            readPlace(r, base);
            break;
        default:
            readConfig(r, at);
            break;
    }
}

static void packSpecial(struct mp_buf *b, const struct field *f,
                        const void *base)
{
    const void *at = (const char *)base + f->off;
    switch (f->kind) {
        case FK_SHARES: {
            const struct slot_pool_spec *s = base;
            packList(b, SLOT_POOL_SHARES_MAX, N_FIELDS(shareFields),
                     shareFields, sizeof(struct slot_share), s->shares,
                     s->n_shares);
            break;
        }
        case FK_BUCKETS: {
            const struct slot_pool_status *s = base;
            packList(b, SLOT_POOL_SHARES_MAX, N_FIELDS(bucketFields),
                     bucketFields, sizeof(struct slot_bucket), s->shares,
                     s->n_shares);
            break;
        }
        case FK_BUCKET:
            mp_pack_array(b, N_REMAINDER_FIELDS);
            packFields(b, remainderFields, N_REMAINDER_FIELDS, at);
            break;
        case FK_PLACE:
            packPlace(b, base);
            break;
        default:
            assert(slot_valid_config(at) == SLOT_OK);
            mp_pack_array(b, N_FIELDS(configFields));
            packFields(b, configFields, N_FIELDS(configFields), at);
            break;
    }
}

static void readField(struct mp_reader *r, const struct field *f, void *base)
{
    void *at = (char *)base + f->off;
    uint64_t v;
    switch (f->kind) {
        case FK_U8:
        case FK_U16:
        case FK_U32:
        case FK_U64:
            if (!mp_read_uint(r, f->max, &v)) {
                return;
            }
            if (v < f->min) {
                rfail(r, SLOT_INVALID_ARGUMENT);
                return;
            }
            storeUint(at, f->kind, v);
            break;
        case FK_STR:
            readStr(r, f->rule, at);
            break;
        case FK_CHARS:
            readChars(r, f->rule, at);
            break;
        default:
            readSpecial(r, f, base);
            break;
    }
}

static void packField(struct mp_buf *b, const struct field *f, const void *base)
{
    const void *at = (const char *)base + f->off;
    switch (f->kind) {
        case FK_U8:
        case FK_U16:
        case FK_U32:
        case FK_U64: {
            uint64_t v = loadUint(at, f->kind);
            assert(v >= f->min && v <= f->max);
            mp_pack_uint(b, v);
            break;
        }
        case FK_STR: {
            const struct slot_str *s = at;
            assert(strOk(f->rule, s->p, s->len));
            mp_pack_sstr(b, *s);
            break;
        }
        case FK_CHARS:
            packChars(b, f->rule, at);
            break;
        default:
            packSpecial(b, f, base);
            break;
    }
}

static void readFields(struct mp_reader *r, const struct field *f, size_t n,
                       void *base)
{
    for (size_t i = 0; i < n && r->err == 0; i++) {
        readField(r, &f[i], base);
    }
}

static void packFields(struct mp_buf *b, const struct field *f, size_t n,
                       const void *base)
{
    for (size_t i = 0; i < n; i++) {
        packField(b, &f[i], base);
    }
}

/* ---- commands ----------------------------------------------------------- */

struct op_layout {
    const struct field *fields;
    uint8_t n_fields;
    uint8_t n_opt;  /* the last n_opt fields may be left out (protocol 3) */
    uint8_t n_opt5; /* the last n_opt5 fields (protocol 5) may be left out,
                     * and then the n_opt before them too */
    bool anonymous; /* session == seq == 0 */
    int (*check)(const void *args); /* cross-field rules, or NULL */
    /* Messages of their own shape (slot_sched.h): read / packed by these
     * instead of the field table; n_fields still counts their elements. */
    void (*read)(struct mp_reader *r, struct slot_cmd *cmd);
    void (*pack)(struct mp_buf *b, const struct slot_cmd *cmd);
    bool sched_opt; /* pool spec: an optional trailing schedule element */
};

/* RULES_SET: hospital, department ("" the hospital's own rules), operator,
 * reason, rule set. The rule set is validated here and kept as its bytes:
 * it is several kilobytes as a struct, and only the ledger needs it so. */
static void readRulesSet(struct mp_reader *r, struct slot_cmd *cmd)
{
    struct slot_rules tmp;
    if (!readStr(r, SR_NAME, &cmd->u.rules.hospital) ||
        !readStr(r, SR_NAME_OPT, &cmd->u.rules.department)) {
        return;
    }
    struct slot_str *op = &cmd->u.rules.operator_name;
    if (!mp_read_str(r, SLOT_OPERATOR_MAX, op) ||
        (slot_valid_operator(*op) != SLOT_OK &&
         !rfail(r, slot_valid_operator(*op)))) {
        return;
    }
    struct slot_str *why = &cmd->u.rules.reason;
    if (!mp_read_str(r, SLOT_REASON_MAX, why) ||
        (slot_valid_text(*why, SLOT_REASON_MAX) != SLOT_OK &&
         !rfail(r, slot_valid_text(*why, SLOT_REASON_MAX)))) {
        return;
    }
    const uint8_t *start = r->p;
    if (slot_rules_decode(r, &tmp) == SLOT_OK) {
        cmd->u.rules.rules =
            (struct slot_str){(const char *)start, (uint32_t)(r->p - start)};
    }
}

static void packRulesSet(struct mp_buf *b, const struct slot_cmd *cmd)
{
    mp_pack_sstr(b, cmd->u.rules.hospital);
    mp_pack_sstr(b, cmd->u.rules.department);
    mp_pack_sstr(b, cmd->u.rules.operator_name);
    mp_pack_sstr(b, cmd->u.rules.reason);
    mp_buf_append(b, cmd->u.rules.rules.p, cmd->u.rules.rules.len);
}

static void readImport(struct mp_reader *r, struct slot_cmd *cmd)
{
    slot_template_decode(r, &cmd->u.import);
}

static void packImport(struct mp_buf *b, const struct slot_cmd *cmd)
{
    slot_template_encode(b, &cmd->u.import);
}

/* Field tables describe a command's elements; the few with a shape of
 * their own say how to read and pack it. */
#define OP_FIELDS(t, anon, chk)                                                \
    {                                                                          \
        .fields = (t), .n_fields = N_FIELDS(t), .anonymous = (anon),           \
        .check = (chk)                                                         \
    }
#define OP_FIELDS_OPT(t, n_opt_, chk)                                          \
    {                                                                          \
        .fields = (t), .n_fields = N_FIELDS(t), .n_opt = (n_opt_),             \
        .check = (chk)                                                         \
    }
static const struct op_layout opLayouts[SLOT_OP_MAX + 1] = {
    [SLOT_OP_SESSION_OPEN] = {.anonymous = true},
    [SLOT_OP_CONFIG] =
        OP_FIELDS_OPT(configFields, CONFIG_FIELDS_V3, checkCmdConfig),
    [SLOT_OP_POOL_CREATE] = {.fields = poolSpecFields,
                             .n_fields = N_FIELDS(poolSpecFields),
                             .check = checkCmdPool,
                             .sched_opt = true},
    [SLOT_OP_POOL_UPDATE] = {.fields = poolSpecFields,
                             .n_fields = N_FIELDS(poolSpecFields),
                             .check = checkCmdPool,
                             .sched_opt = true},
    [SLOT_OP_POOL_CLOSE] = OP_FIELDS(closeFields, false, NULL),
    [SLOT_OP_HOLD] = OP_FIELDS_OPT(holdFields, 1, NULL),
    [SLOT_OP_CONFIRM] = {.fields = confirmFields,
                         .n_fields = N_FIELDS(confirmFields),
                         .n_opt = 2,
                         .n_opt5 = 1,
                         .check = checkPayment},
    [SLOT_OP_RELEASE] = OP_FIELDS_OPT(claimCmdFields, 2, NULL),
    [SLOT_OP_CANCEL] = OP_FIELDS_OPT(claimCmdFields, 2, NULL),
    [SLOT_OP_EXPIRE] = OP_FIELDS(expireFields, true, NULL),
    [SLOT_OP_RULES_SET] = {.n_fields = 5,
                           .read = readRulesSet,
                           .pack = packRulesSet},
    [SLOT_OP_SCHEDULE_IMPORT] = {.n_fields = 1,
                                 .read = readImport,
                                 .pack = packImport},
    [SLOT_OP_SWEEP] = OP_FIELDS(expireFields, true, NULL),
    [SLOT_OP_ACCOUNT_BIND] = OP_FIELDS(bindFields, false, NULL),
    [SLOT_OP_ACCOUNT_UNBIND] = OP_FIELDS(bindFields, false, NULL),
    [SLOT_OP_VIOLATION] = OP_FIELDS(violationFields, false, NULL),
    [SLOT_OP_UNBLOCK] = OP_FIELDS(staffFields, false, NULL),
    [SLOT_OP_EXCEPTION] = OP_FIELDS(staffFields, false, NULL),
    [SLOT_OP_WAITLIST_JOIN] = OP_FIELDS(waitJoinFields, false, NULL),
    [SLOT_OP_WAITLIST_LEAVE] = OP_FIELDS(waitLeaveFields, false, NULL),
    [SLOT_OP_POOL_STOP] = OP_FIELDS(stopFields, false, NULL),
    [SLOT_OP_MOVE] = OP_FIELDS(moveFields, false, NULL),
    [SLOT_OP_CHECKIN] = {.fields = checkinFields,
                         .n_fields = N_FIELDS(checkinFields),
                         .n_opt5 = 1,
                         .check = checkPayment},
};

/* [op, session, seq] precede every command's arguments. */
#define CMD_HEAD 3u

static const struct op_layout *opLayout(uint64_t op)
{
    return op >= 1 && op <= SLOT_OP_MAX && op != SLOT_OP_IDEM ? &opLayouts[op]
                                                              : NULL;
}

/* Ops an IDEM may wrap: the mutations a booking channel or admin makes. */
static bool idemWraps(uint8_t op)
{
    return (op >= SLOT_OP_POOL_CREATE && op <= SLOT_OP_CANCEL) ||
           op == SLOT_OP_RULES_SET || op == SLOT_OP_SCHEDULE_IMPORT ||
           (op >= SLOT_OP_ACCOUNT_BIND && op <= SLOT_OP_CHECKIN);
}

static bool sessionOk(const struct op_layout *l, uint64_t session, uint64_t seq)
{
    if (l->anonymous) {
        return session == 0 && seq == 0;
    }
    return session >= 1 && seq >= 1;
}

/* Reads [op, session, seq, and checks the element count against the op;
 * returns the op's layout, or NULL with r->err set. The op is judged before
 * the count because the count depends on it: a newer client's op must read
 * as UNKNOWN_OP, not as a malformed command. */
static const struct op_layout *readCmdHead(struct mp_reader *r,
                                           struct slot_cmd *cmd, bool inner,
                                           int32_t *extra)
{
    uint32_t n;
    uint64_t op;
    if (!mp_read_array(r, &n)) {
        return NULL;
    }
    if (n == 0) {
        rfail(r, SLOT_MALFORMED);
        return NULL;
    }
    if (!mp_read_u64(r, &op)) {
        return NULL;
    }
    const struct op_layout *l = opLayout(op);
    if (l == NULL) {
        rfail(r, SLOT_UNKNOWN_OP);
        return NULL;
    }
    /* *extra: 1 for a pool spec's schedule; minus the fields left out for
     * a command of an older protocol (its protocol 5 fields, and maybe its
     * protocol 3 ones before them). */
    uint32_t full = CMD_HEAD + l->n_fields;
    *extra = (int32_t)n - (int32_t)full;
    if (n != full && !(l->sched_opt && n == full + 1) &&
        !(l->n_opt5 > 0 && n == full - l->n_opt5) &&
        !(l->n_opt > 0 && n == full - l->n_opt5 - l->n_opt)) {
        rfail(r, SLOT_MALFORMED);
        return NULL;
    }
    cmd->op = (uint8_t)op;
    if (!mp_read_u64(r, &cmd->session) || !mp_read_u64(r, &cmd->seq)) {
        return NULL;
    }
    bool ok = inner ? idemWraps(cmd->op) && cmd->session == 0 && cmd->seq == 0
                    : sessionOk(l, cmd->session, cmd->seq);
    if (!ok) {
        rfail(r, SLOT_INVALID_ARGUMENT);
        return NULL;
    }
    return l;
}

/* Is the next value an array whose first element is the IDEM op? */
static bool isIdem(const struct mp_reader *r)
{
    struct mp_reader peek = *r;
    uint32_t n;
    uint64_t op;
    return mp_read_array(&peek, &n) && n >= 1 && mp_read_u64(&peek, &op) &&
           op == SLOT_OP_IDEM;
}

/* [11, session, seq, channel, key, inner]: reads the wrapper's head. */
static void readIdemHead(struct mp_reader *r, struct slot_cmd *cmd)
{
    uint64_t op;
    if (!mp_expect_array(r, 6) || !mp_read_u64(r, &op) ||
        !mp_read_u64(r, &cmd->session) || !mp_read_u64(r, &cmd->seq) ||
        !mp_read_str(r, SLOT_CHANNEL_MAX, &cmd->idem.channel) ||
        !mp_read_str(r, SLOT_IDEM_KEY_MAX, &cmd->idem.key)) {
        return;
    }
    int rc =
        cmd->session >= 1 && cmd->seq >= 1 ? SLOT_OK : SLOT_INVALID_ARGUMENT;
    if (rc == SLOT_OK) {
        rc = slot_valid_channel(cmd->idem.channel);
    }
    if (rc == SLOT_OK) {
        rc = slot_valid_idem_key(cmd->idem.key);
    }
    if (rc != SLOT_OK) {
        rfail(r, rc);
    }
}

/* One command without the IDEM wrapper; inner: the one inside an IDEM. */
static void readPlainCmd(struct mp_reader *r, struct slot_cmd *cmd, bool inner)
{
    uint64_t session = cmd->session, seq = cmd->seq;
    int32_t extra = 0;
    const struct op_layout *l = readCmdHead(r, cmd, inner, &extra);
    if (l == NULL) {
        return;
    }
    if (l->read != NULL) {
        l->read(r, cmd);
    } else {
        uint32_t n = l->n_fields - (extra < 0 ? (uint32_t)-extra : 0u);
        readFields(r, l->fields, n, &cmd->u);
        if (cmd->op == SLOT_OP_CONFIG) {
            cmd->u.config.v3 = extra == 0;
        }
    }
    if (r->err == 0 && extra == 1) {
        cmd->u.pool.has_sched = true;
        slot_sched_decode(r, &cmd->u.pool.sched);
    }
    if (r->err == 0 && l->check != NULL && l->check(&cmd->u) != SLOT_OK) {
        rfail(r, l->check(&cmd->u));
    }
    if (inner) {
        cmd->session = session;
        cmd->seq = seq;
    }
}

int slot_cmd_decode(struct mp_reader *r, struct slot_cmd *cmd)
{
    /* Cleared so that unused union members and shares are zero: two
     * decodes of one command compare equal field by field. */
    memset(cmd, 0, sizeof *cmd);
    const uint8_t *start = r->p;
    if (isIdem(r)) {
        readIdemHead(r, cmd);
        const uint8_t *inner = r->p;
        if (r->err == 0) {
            readPlainCmd(r, cmd, true);
        }
        if (r->err == 0) {
            /* Without session and seq (zero inside): the same request
             * through another gateway, on another session, matches. */
            cmd->idem.fingerprint =
                slot_hash64(inner, (size_t)(r->p - inner), 0);
        }
    } else {
        readPlainCmd(r, cmd, false);
    }
    if (r->err != 0) {
        return r->err;
    }
    /* Over the bytes as received, not a re-encoding: the bytes are what
     * the leader copies into the log and what a retry resends. */
    cmd->fingerprint = slot_hash64(start, (size_t)(r->p - start), 0);
    return SLOT_OK;
}

int slot_cmd_decode_buf(const void *buf, size_t len, struct slot_cmd *cmd)
{
    struct mp_reader r;
    mp_reader_init(&r, buf, len);
    int rc = slot_cmd_decode(&r, cmd);
    if (rc == SLOT_OK && !mp_done(&r)) {
        rc = SLOT_MALFORMED;
    }
    return rc;
}

void slot_cmd_encode(struct mp_buf *b, const struct slot_cmd *cmd)
{
    const struct op_layout *l = opLayout(cmd->op);
    assert(l != NULL);
    assert(sessionOk(l, cmd->session, cmd->seq));
    assert(l->check == NULL || l->check(&cmd->u) == SLOT_OK);
    bool idem = cmd->idem.key.len > 0;
    if (idem) {
        assert(idemWraps(cmd->op));
        assert(slot_valid_channel(cmd->idem.channel) == SLOT_OK);
        assert(slot_valid_idem_key(cmd->idem.key) == SLOT_OK);
        mp_pack_array(b, 6);
        mp_pack_uint(b, SLOT_OP_IDEM);
        mp_pack_uint(b, cmd->session);
        mp_pack_uint(b, cmd->seq);
        mp_pack_sstr(b, cmd->idem.channel);
        mp_pack_sstr(b, cmd->idem.key);
    }
    bool sched = l->sched_opt && cmd->u.pool.has_sched;
    /* Every command with all its fields, but a CONFIG made without the
     * protocol 3 ones (v3 false) as it was. */
    uint32_t n = l->n_fields;
    if (cmd->op == SLOT_OP_CONFIG && !cmd->u.config.v3) {
        n -= l->n_opt;
    }
    mp_pack_array(b, CMD_HEAD + n + (sched ? 1u : 0u));
    mp_pack_uint(b, cmd->op);
    mp_pack_uint(b, idem ? 0 : cmd->session);
    mp_pack_uint(b, idem ? 0 : cmd->seq);
    if (l->pack != NULL) {
        l->pack(b, cmd);
    } else {
        packFields(b, l->fields, n, &cmd->u);
    }
    if (sched) {
        slot_sched_encode(b, &cmd->u.pool.sched);
    }
}

/* ---- fixed-shape messages ------------------------------------------------ */

static int readStruct(struct mp_reader *r, const struct field *f, uint8_t n,
                      void *out, size_t size)
{
    /* Cleared, tails of the char arrays included: a reply struct is plain
     * data that callers may compare or hash whole. */
    memset(out, 0, size);
    if (mp_expect_array(r, n)) {
        readFields(r, f, n, out);
    }
    return r->err;
}

static void packStruct(struct mp_buf *b, const struct field *f, uint8_t n,
                       const void *in)
{
    mp_pack_array(b, n);
    packFields(b, f, n, in);
}

#define READ_STRUCT(r, t, out)                                                 \
    readStruct((r), (t), N_FIELDS(t), (out), sizeof *(out))
#define PACK_STRUCT(b, t, in) packStruct((b), (t), N_FIELDS(t), (in))

void slot_result_encode(struct mp_buf *b, const struct slot_result *res)
{
    PACK_STRUCT(b, resultFields, res);
}

int slot_result_decode(struct mp_reader *r, struct slot_result *res)
{
    return READ_STRUCT(r, resultFields, res);
}

void slot_pool_status_encode(struct mp_buf *b, const struct slot_pool_status *s)
{
    assert(s->remainder.channel[0] == '\0');
    PACK_STRUCT(b, statusFields, s);
}

int slot_pool_status_decode(struct mp_reader *r, struct slot_pool_status *s)
{
    return READ_STRUCT(r, statusFields, s);
}

void slot_claim_encode(struct mp_buf *b, const struct slot_claim *c)
{
    PACK_STRUCT(b, claimFields, c);
}

int slot_claim_decode(struct mp_reader *r, struct slot_claim *c)
{
    return READ_STRUCT(r, claimFields, c);
}

void slot_ledger_info_encode(struct mp_buf *b, const struct slot_ledger_info *i)
{
    PACK_STRUCT(b, infoFields, i);
}

int slot_ledger_info_decode(struct mp_reader *r, struct slot_ledger_info *i)
{
    return READ_STRUCT(r, infoFields, i);
}

/* ---- patients, accounts, the staff log (protocol 3) ----------------------- */

static const struct field violationInfoFields[] = {
    F_MS(struct slot_violation, at_ms),
    F_STR(FK_CHARS, struct slot_violation, hospital, SR_NAME),
    F_U8(struct slot_violation, kind, 1, SLOT_VIOLATION_KIND_MAX),
};

static const struct field standingFields[] = {
    F_STR(FK_CHARS, struct slot_standing, hospital, SR_NAME),
    F_U32(struct slot_standing, violations, 0, SLOT_VIOLATIONS_KEPT),
    F_U32(struct slot_standing, threshold, 0, SLOT_VIOLATIONS_KEPT),
    F_U8(struct slot_standing, warning, 0, 1),
    F_U64(struct slot_standing, blacklisted_until_ms, 0, UINT64_MAX),
    F_U8(struct slot_standing, exception, 0, 1),
};

static const struct field staffEntryFields[] = {
    F_ID(struct slot_staff_entry, seq),
    F_MS(struct slot_staff_entry, at_ms),
    F_U8(struct slot_staff_entry, op, SLOT_OP_VIOLATION, SLOT_OP_POOL_STOP),
    F_STR(FK_CHARS, struct slot_staff_entry, hospital, SR_NAME_OPT),
    F_STR(FK_CHARS, struct slot_staff_entry, patient, SR_PATIENT_OPT),
    F_U8(struct slot_staff_entry, kind, 0, SLOT_VIOLATION_KIND_MAX),
    F_STR(FK_CHARS, struct slot_staff_entry, operator_name, SR_OPERATOR),
    F_STR(FK_CHARS, struct slot_staff_entry, reason, SR_REASON),
    F_STR(FK_CHARS, struct slot_staff_entry, pool, SR_POOL_OPT),
};

static bool readTimes(struct mp_reader *r, uint32_t max, uint64_t *out,
                      uint32_t *n)
{
    if (!mp_read_array(r, n)) {
        return false;
    }
    if (*n > max) {
        return rfail(r, SLOT_TOO_LARGE);
    }
    for (uint32_t i = 0; i < *n && r->err == 0; i++) {
        mp_read_uint(r, SLOT_TIME_MAX_MS, &out[i]);
    }
    return r->err == 0;
}

static void packTimes(struct mp_buf *b, const uint64_t *t, uint32_t n)
{
    mp_pack_array(b, n);
    for (uint32_t i = 0; i < n; i++) {
        mp_pack_uint(b, t[i]);
    }
}

#define PATIENT_INFO_FIELDS 6

void slot_patient_info_encode(struct mp_buf *b,
                              const struct slot_patient_info *p)
{
    mp_pack_array(b, PATIENT_INFO_FIELDS);
    packChars(b, SR_PATIENT, p->patient);
    packChars(b, SR_PATIENT_OPT, p->account);
    assert(p->n_claims <= SLOT_LIST_MAX);
    mp_pack_array(b, p->n_claims);
    for (uint32_t i = 0; i < p->n_claims; i++) {
        slot_claim_encode(b, &p->claims[i]);
    }
    packList(b, SLOT_VIOLATIONS_KEPT, N_FIELDS(violationInfoFields),
             violationInfoFields, sizeof(struct slot_violation), p->violations,
             p->n_violations);
    packList(b, SLOT_VIOLATIONS_KEPT, N_FIELDS(standingFields), standingFields,
             sizeof(struct slot_standing), p->standing, p->n_standing);
    assert(p->n_cancels <= SLOT_CANCELS_KEPT);
    packTimes(b, p->cancels_ms, p->n_cancels);
}

int slot_patient_info_decode(struct mp_reader *r, struct slot_patient_info *p)
{
    struct slot_claim *claims = p->claims;
    uint32_t cap = p->claims_cap;
    memset(p, 0, sizeof *p);
    p->claims = claims;
    p->claims_cap = cap;
    uint32_t n;
    if (!mp_expect_array(r, PATIENT_INFO_FIELDS)) {
        return r->err;
    }
    readChars(r, SR_PATIENT, p->patient);
    readChars(r, SR_PATIENT_OPT, p->account);
    if (r->err != 0 || !mp_read_array(r, &n)) {
        return r->err;
    }
    if (n > SLOT_LIST_MAX || (claims != NULL && n > cap)) {
        rfail(r, SLOT_TOO_LARGE);
        return r->err;
    }
    p->n_claims = n;
    for (uint32_t i = 0; i < n && r->err == 0; i++) {
        struct slot_claim tmp;
        slot_claim_decode(r, claims != NULL ? &claims[i] : &tmp);
    }
    if (r->err == 0) {
        readList(r, SLOT_VIOLATIONS_KEPT, N_FIELDS(violationInfoFields),
                 violationInfoFields, sizeof(struct slot_violation),
                 p->violations, &p->n_violations);
    }
    if (r->err == 0) {
        readList(r, SLOT_VIOLATIONS_KEPT, N_FIELDS(standingFields),
                 standingFields, sizeof(struct slot_standing), p->standing,
                 &p->n_standing);
    }
    if (r->err == 0) {
        readTimes(r, SLOT_CANCELS_KEPT, p->cancels_ms, &p->n_cancels);
    }
    return r->err;
}

void slot_account_info_encode(struct mp_buf *b,
                              const struct slot_account_info *a)
{
    mp_pack_array(b, 3);
    packChars(b, SR_PATIENT, a->account);
    assert(a->n_patients <= SLOT_ACCOUNT_PATIENTS_MAX);
    mp_pack_array(b, a->n_patients);
    for (uint32_t i = 0; i < a->n_patients; i++) {
        packChars(b, SR_PATIENT, a->patients[i]);
    }
    assert(a->n_changes <= SLOT_ACCOUNT_CHANGES_KEPT);
    mp_pack_array(b, a->n_changes);
    for (uint32_t i = 0; i < a->n_changes; i++) {
        mp_pack_array(b, 2);
        mp_pack_uint(b, a->changes[i].at_ms);
        mp_pack_uint(b, a->changes[i].unbinds);
    }
}

int slot_account_info_decode(struct mp_reader *r, struct slot_account_info *a)
{
    memset(a, 0, sizeof *a);
    uint32_t n;
    if (!mp_expect_array(r, 3)) {
        return r->err;
    }
    readChars(r, SR_PATIENT, a->account);
    if (r->err != 0 || !mp_read_array(r, &n)) {
        return r->err;
    }
    if (n > SLOT_ACCOUNT_PATIENTS_MAX) {
        rfail(r, SLOT_TOO_LARGE);
        return r->err;
    }
    a->n_patients = n;
    for (uint32_t i = 0; i < n && r->err == 0; i++) {
        readChars(r, SR_PATIENT, a->patients[i]);
    }
    if (r->err != 0 || !mp_read_array(r, &n)) {
        return r->err;
    }
    if (n > SLOT_ACCOUNT_CHANGES_KEPT) {
        rfail(r, SLOT_TOO_LARGE);
        return r->err;
    }
    a->n_changes = n;
    for (uint32_t i = 0; i < n && r->err == 0; i++) {
        uint64_t unbinds;
        if (mp_expect_array(r, 2) &&
            mp_read_uint(r, SLOT_TIME_MAX_MS, &a->changes[i].at_ms) &&
            mp_read_uint(r, SLOT_ACCOUNT_PATIENTS_MAX, &unbinds)) {
            a->changes[i].unbinds = (uint32_t)unbinds;
        }
    }
    return r->err;
}

void slot_staff_entry_encode(struct mp_buf *b, const struct slot_staff_entry *e)
{
    PACK_STRUCT(b, staffEntryFields, e);
}

static const struct field eventFields[] = {
    F_ID(struct slot_event, seq),
    F_U64(struct slot_event, index, 0, UINT64_MAX),
    F_MS(struct slot_event, time_ms),
    F_U8(struct slot_event, type, 1, SLOT_EV_MAX),
    F_STR(FK_CHARS, struct slot_event, pool, SR_POOL_OPT),
    F_U64(struct slot_event, claim, 0, UINT64_MAX),
    F_STR(FK_CHARS, struct slot_event, patient, SR_PATIENT_OPT),
    F_STR(FK_CHARS, struct slot_event, channel, SR_CHANNEL_OPT),
    F_STR(FK_CHARS, struct slot_event, account, SR_PATIENT_OPT),
    F_STR(FK_CHARS, struct slot_event, hospital, SR_NAME_OPT),
    F_U64(struct slot_event, a, 0, UINT64_MAX),
    F_U64(struct slot_event, b, 0, UINT64_MAX),
    F_U64(struct slot_event, fee_cents, 0, SLOT_FEE_MAX_CENTS),
    F_STR(FK_CHARS, struct slot_event, payment_ref, SR_PAYREF_OPT),
    F_STR(FK_CHARS, struct slot_event, pay_method, SR_PAYMETHOD_OPT),
    F_U32(struct slot_event, local_day, 0, SLOT_LEDGER_DAY_MAX),
};

static const struct field reconRowFields[] = {
    F_U32(struct slot_recon_row, day, 0, SLOT_LEDGER_DAY_MAX),
    F_STR(FK_CHARS, struct slot_recon_row, hospital, SR_NAME_OPT),
    F_STR(FK_CHARS, struct slot_recon_row, channel, SR_CHANNEL),
    F_STR(FK_CHARS, struct slot_recon_row, pay_method, SR_PAYMETHOD_OPT),
    F_U32(struct slot_recon_row, booked, 0, UINT32_MAX),
    F_U64(struct slot_recon_row, booked_cents, 0, UINT64_MAX),
    F_U32(struct slot_recon_row, checkin_paid, 0, UINT32_MAX),
    F_U64(struct slot_recon_row, checkin_paid_cents, 0, UINT64_MAX),
    F_U32(struct slot_recon_row, checked_in, 0, UINT32_MAX),
    F_U32(struct slot_recon_row, cancelled, 0, UINT32_MAX),
    F_U64(struct slot_recon_row, cancelled_cents, 0, UINT64_MAX),
    F_U32(struct slot_recon_row, refunded, 0, UINT32_MAX),
    F_U64(struct slot_recon_row, refunded_cents, 0, UINT64_MAX),
    F_U32(struct slot_recon_row, moved, 0, UINT32_MAX),
    F_U32(struct slot_recon_row, no_show, 0, UINT32_MAX),
};

void slot_recon_row_encode(struct mp_buf *b, const struct slot_recon_row *r)
{
    PACK_STRUCT(b, reconRowFields, r);
}

int slot_recon_row_decode(struct mp_reader *r, struct slot_recon_row *row)
{
    return READ_STRUCT(r, reconRowFields, row);
}

static const struct field statsRowFields[] = {
    F_U32(struct slot_stats_row, visit_day, 1, SLOT_DAY_MAX),
    F_STR(FK_CHARS, struct slot_stats_row, hospital, SR_NAME),
    F_STR(FK_CHARS, struct slot_stats_row, department, SR_NAME),
    F_U32(struct slot_stats_row, pools, 1, UINT32_MAX),
    F_U64(struct slot_stats_row, released, 0, UINT64_MAX),
    F_U64(struct slot_stats_row, capacity, 0, UINT64_MAX),
    F_U64(struct slot_stats_row, booked_now, 0, UINT64_MAX),
    F_U64(struct slot_stats_row, booked_total, 0, UINT64_MAX),
    F_U64(struct slot_stats_row, cancelled_total, 0, UINT64_MAX),
    F_U64(struct slot_stats_row, refunded_total, 0, UINT64_MAX),
    F_U64(struct slot_stats_row, moved_total, 0, UINT64_MAX),
    F_U64(struct slot_stats_row, no_show_total, 0, UINT64_MAX),
    F_U64(struct slot_stats_row, checked_in_total, 0, UINT64_MAX),
};

void slot_stats_row_encode(struct mp_buf *b, const struct slot_stats_row *r)
{
    PACK_STRUCT(b, statsRowFields, r);
}

int slot_stats_row_decode(struct mp_reader *r, struct slot_stats_row *row)
{
    return READ_STRUCT(r, statsRowFields, row);
}

void slot_event_encode(struct mp_buf *b, const struct slot_event *e)
{
    PACK_STRUCT(b, eventFields, e);
}

int slot_event_decode(struct mp_reader *r, struct slot_event *e)
{
    return READ_STRUCT(r, eventFields, e);
}

int slot_staff_entry_decode(struct mp_reader *r, struct slot_staff_entry *e)
{
    if (READ_STRUCT(r, staffEntryFields, e) != SLOT_OK) {
        return r->err;
    }
    /* What the ledger writes: a stop names a pool and no patient; the
     * patient commands a hospital and a patient and no pool. */
    bool stop = e->op == SLOT_OP_POOL_STOP;
    bool ok = stop ? e->patient[0] == '\0' && e->pool[0] != '\0'
                   : e->op <= SLOT_OP_EXCEPTION && e->hospital[0] != '\0' &&
                         e->patient[0] != '\0' && e->pool[0] == '\0';
    if (!ok) {
        rfail(r, SLOT_INVALID_ARGUMENT);
    }
    return r->err;
}

/* ---- reads --------------------------------------------------------------- */

static const struct field readPoolFields[] = {
    F_STR(FK_STR, struct slot_read, pool, SR_POOL),
};
static const struct field readIdFields[] = {F_ID(struct slot_read, id)};
static const struct field readPatientFields[] = {
    F_STR(FK_STR, struct slot_read, pool, SR_POOL),
    F_STR(FK_STR, struct slot_read, patient, SR_PATIENT),
};
static const struct field readPoolsFields[] = {
    F_STR(FK_STR, struct slot_read, pool, SR_POOL_OPT),
    F_U32(struct slot_read, limit, 1, SLOT_LIST_MAX),
};
/* kind: a kind or SLOT_KIND_ANY (checked in slot_read_decode). */
static const struct field readQueryFields[] = {
    F_STR(FK_STR, struct slot_read, hospital, SR_NAME),
    F_STR(FK_STR, struct slot_read, department, SR_NAME_OPT),
    F_STR(FK_STR, struct slot_read, doctor, SR_NAME_OPT),
    F_U32(struct slot_read, date_from, 0, SLOT_DAY_MAX),
    F_U32(struct slot_read, date_to, 0, SLOT_DAY_MAX),
    F_U8(struct slot_read, kind, 0, SLOT_KIND_ANY),
    F_STR(FK_STR, struct slot_read, pool, SR_POOL_OPT),
    F_U32(struct slot_read, limit, 1, SLOT_LIST_MAX),
};
static const struct field readRulesFields[] = {
    F_STR(FK_STR, struct slot_read, hospital, SR_NAME),
    F_STR(FK_STR, struct slot_read, department, SR_NAME_OPT),
};
static const struct field readRulesLogFields[] = {
    F_STR(FK_STR, struct slot_read, hospital, SR_NAME),
    F_U64(struct slot_read, after_version, 0, UINT64_MAX),
    F_U32(struct slot_read, limit, 1, SLOT_LIST_MAX),
};
static const struct field readPatientInfoFields[] = {
    F_STR(FK_STR, struct slot_read, patient, SR_PATIENT),
};
static const struct field readAccountFields[] = {
    F_STR(FK_STR, struct slot_read, account, SR_PATIENT),
};
static const struct field readStaffLogFields[] = {
    F_U64(struct slot_read, after_version, 0, UINT64_MAX),
    F_U32(struct slot_read, limit, 1, SLOT_LIST_MAX),
};

static const struct field readPoolClaimsFields[] = {
    F_STR(FK_STR, struct slot_read, pool, SR_POOL),
    F_U64(struct slot_read, after_id, 0, UINT64_MAX),
    F_U32(struct slot_read, limit, 1, SLOT_LIST_MAX),
};

static const struct field readEventsFields[] = {
    F_U64(struct slot_read, after_id, 0, UINT64_MAX),
    F_U32(struct slot_read, limit, 1, SLOT_LIST_MAX),
};

/* after: rows skipped (a position, as the replies are small sorted
 * tables built per read). */
static const struct field readReconFields[] = {
    F_U32(struct slot_read, day, 0, SLOT_LEDGER_DAY_MAX),
    F_STR(FK_STR, struct slot_read, hospital, SR_NAME_OPT),
    F_STR(FK_STR, struct slot_read, channel, SR_CHANNEL_OPT),
    F_U64(struct slot_read, after_id, 0, UINT32_MAX),
    F_U32(struct slot_read, limit, 1, SLOT_LIST_MAX),
};

/* date_from..date_to checked together in slot_read_decode. */
static const struct field readStatsFields[] = {
    F_STR(FK_STR, struct slot_read, hospital, SR_NAME_OPT),
    F_U32(struct slot_read, date_from, 1, SLOT_DAY_MAX),
    F_U32(struct slot_read, date_to, 1, SLOT_DAY_MAX),
    F_U64(struct slot_read, after_id, 0, UINT32_MAX),
    F_U32(struct slot_read, limit, 1, SLOT_LIST_MAX),
};

static const struct {
    const struct field *fields;
    uint8_t n_fields;
} readLayouts[SLOT_READ_MAX + 1] = {
    [SLOT_READ_POOL] = {readPoolFields, N_FIELDS(readPoolFields)},
    [SLOT_READ_HOLD] = {readIdFields, N_FIELDS(readIdFields)},
    [SLOT_READ_BOOKING] = {readIdFields, N_FIELDS(readIdFields)},
    [SLOT_READ_PATIENT] = {readPatientFields, N_FIELDS(readPatientFields)},
    [SLOT_READ_POOLS] = {readPoolsFields, N_FIELDS(readPoolsFields)},
    [SLOT_READ_LEDGER] = {NULL, 0},
    [SLOT_READ_QUERY] = {readQueryFields, N_FIELDS(readQueryFields)},
    [SLOT_READ_RULES] = {readRulesFields, N_FIELDS(readRulesFields)},
    [SLOT_READ_RULES_LOG] = {readRulesLogFields, N_FIELDS(readRulesLogFields)},
    [SLOT_READ_SCHEDULE_CHECK] = {NULL, 1}, /* [10, template] */
    [SLOT_READ_PATIENT_INFO] = {readPatientInfoFields,
                                N_FIELDS(readPatientInfoFields)},
    [SLOT_READ_ACCOUNT] = {readAccountFields, N_FIELDS(readAccountFields)},
    [SLOT_READ_STAFF_LOG] = {readStaffLogFields, N_FIELDS(readStaffLogFields)},
    [SLOT_READ_WAITLIST] = {readPatientFields, N_FIELDS(readPatientFields)},
    [SLOT_READ_POOL_CLAIMS] = {readPoolClaimsFields,
                               N_FIELDS(readPoolClaimsFields)},
    [SLOT_READ_EVENTS] = {readEventsFields, N_FIELDS(readEventsFields)},
    [SLOT_READ_RECON] = {readReconFields, N_FIELDS(readReconFields)},
    [SLOT_READ_STATS] = {readStatsFields, N_FIELDS(readStatsFields)},
};

int slot_read_decode(struct mp_reader *r, struct slot_read *rd)
{
    memset(rd, 0, sizeof *rd);
    uint32_t n = 0;
    uint64_t op = 0;
    if (mp_read_array(r, &n) && n == 0) {
        rfail(r, SLOT_MALFORMED);
    }
    if (!mp_read_u64(r, &op)) {
        return r->err;
    }
    if (op < 1 || op > SLOT_READ_MAX) {
        rfail(r, SLOT_UNKNOWN_OP);
    } else if (op == SLOT_READ_LEDGER && n == 2) {
        /* [6, no_hash]: the optional flag of a cheap ledger read. */
        rd->op = (uint8_t)op;
        mp_read_bool(r, &rd->no_hash);
    } else if (n != 1u + readLayouts[op].n_fields) {
        rfail(r, SLOT_MALFORMED);
    } else if (op == SLOT_READ_SCHEDULE_CHECK) {
        rd->op = (uint8_t)op;
        slot_template_decode(r, &rd->tpl);
    } else {
        rd->op = (uint8_t)op;
        readFields(r, readLayouts[op].fields, readLayouts[op].n_fields, rd);
    }
    if (r->err == 0 && op == SLOT_READ_QUERY &&
        ((rd->kind > SLOT_KIND_MAX && rd->kind != SLOT_KIND_ANY) ||
         (rd->date_to != 0 && rd->date_from > rd->date_to))) {
        rfail(r, SLOT_INVALID_ARGUMENT);
    }
    if (r->err == 0 && op == SLOT_READ_STATS &&
        (rd->date_from > rd->date_to ||
         rd->date_to - rd->date_from >= SLOT_STATS_DAYS_MAX)) {
        rfail(r, SLOT_INVALID_ARGUMENT);
    }
    return r->err;
}

void slot_read_encode(struct mp_buf *b, const struct slot_read *rd)
{
    assert(rd->op >= 1 && rd->op <= SLOT_READ_MAX);
    if (rd->op == SLOT_READ_LEDGER && rd->no_hash) {
        mp_pack_array(b, 2);
        mp_pack_uint(b, rd->op);
        mp_pack_bool(b, true);
        return;
    }
    mp_pack_array(b, 1u + readLayouts[rd->op].n_fields);
    mp_pack_uint(b, rd->op);
    if (rd->op == SLOT_READ_SCHEDULE_CHECK) {
        slot_template_encode(b, &rd->tpl);
        return;
    }
    packFields(b, readLayouts[rd->op].fields, readLayouts[rd->op].n_fields, rd);
}

/* ---- Raft entries -------------------------------------------------------- */

static void putBe32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t getBe32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

void slot_entry_begin(struct slot_entry_builder *e, uint64_t stamp_ms,
                      uint64_t origin)
{
    static const uint8_t length[4] = {0}; /* patched by finish */
    static const uint8_t array32[5] = {0xdd, 0, 0, 0, 0};
    assert(stamp_ms <= SLOT_TIME_MAX_MS);
    mp_buf_init(&e->buf);
    mp_buf_append(&e->buf, SLOT_ENTRY_MAGIC, 4);
    mp_buf_append(&e->buf, length, sizeof length);
    mp_pack_array(&e->buf, 3);
    mp_pack_uint(&e->buf, stamp_ms);
    mp_pack_uint(&e->buf, origin);
    /* The count is unknown until finish: a fixed-width header can be
     * patched in place instead of moving the commands. */
    mp_buf_append(&e->buf, array32, sizeof array32);
    e->count_at = e->buf.len - 4;
    e->n_cmds = 0;
}

bool slot_entry_fits(const struct slot_entry_builder *e, size_t len)
{
    /* SLOT_ENTRY_MAX is a multiple of 8, so the padding never pushes an
     * entry that fits unpadded over it. */
    return e->n_cmds < SLOT_BATCH_CMDS_MAX && e->buf.len <= SLOT_ENTRY_MAX &&
           len <= SLOT_ENTRY_MAX - e->buf.len;
}

void slot_entry_add(struct slot_entry_builder *e, const void *cmd, size_t len)
{
    /* No second decode here: the leader decoded every command before
     * batching it (a precondition), and this is its hot path. */
    assert(slot_entry_fits(e, len));
    mp_buf_append(&e->buf, cmd, len);
    e->n_cmds++;
}

void *slot_entry_finish(struct slot_entry_builder *e, size_t *len)
{
    static const uint8_t zeros[8];
    size_t payload = e->buf.len - SLOT_ENTRY_HEADER;
    assert(e->buf.len >= SLOT_ENTRY_HEADER + 1);
    assert(pad8(e->buf.len) <= SLOT_ENTRY_MAX);
    putBe32(e->buf.data + 4, (uint32_t)payload);
    putBe32(e->buf.data + e->count_at, e->n_cmds);
    mp_buf_append(&e->buf, zeros, pad8(e->buf.len) - e->buf.len);
    e->n_cmds = 0;
    e->count_at = 0;
    return mp_buf_steal(&e->buf, len);
}

void slot_entry_builder_free(struct slot_entry_builder *e)
{
    mp_buf_free(&e->buf);
    e->n_cmds = 0;
    e->count_at = 0;
}

/* Checks the 8-byte header and the padding; on success the payload is
 * buf[8 .. 8 + *payload). */
static int entryFrame(const uint8_t *p, size_t len, size_t *payload)
{
    if (len > SLOT_ENTRY_MAX) {
        return SLOT_TOO_LARGE;
    }
    if (len < SLOT_ENTRY_HEADER || memcmp(p, SLOT_ENTRY_MAGIC, 3) != 0) {
        return SLOT_MALFORMED;
    }
    if (p[3] != (uint8_t)SLOT_ENTRY_MAGIC[3]) {
        return SLOT_BAD_VERSION;
    }
    size_t n = getBe32(p + 4);
    /* Exactly the padding the builder adds: a shorter buffer was cut, a
     * longer one carries bytes nobody wrote. */
    if (n > len - SLOT_ENTRY_HEADER || pad8(SLOT_ENTRY_HEADER + n) != len) {
        return SLOT_MALFORMED;
    }
    for (size_t i = SLOT_ENTRY_HEADER + n; i < len; i++) {
        if (p[i] != 0) {
            return SLOT_MALFORMED;
        }
    }
    *payload = n;
    return SLOT_OK;
}

int slot_entry_decode(const void *buf, size_t len, uint64_t *stamp_ms,
                      uint64_t *origin, struct slot_cmd *cmds, uint32_t *n)
{
    size_t payload;
    int rc = entryFrame(buf, len, &payload);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct mp_reader r;
    uint32_t count = 0;
    mp_reader_init(&r, (const uint8_t *)buf + SLOT_ENTRY_HEADER, payload);
    /* The reader's error is sticky: read on, check once. */
    mp_expect_array(&r, 3);
    mp_read_uint(&r, SLOT_TIME_MAX_MS, stamp_ms);
    mp_read_u64(&r, origin);
    if (mp_read_array(&r, &count) && count > SLOT_BATCH_CMDS_MAX) {
        rfail(&r, SLOT_TOO_LARGE);
    }
    /* All or nothing: the leader only batches commands that decoded, so a
     * bad one means a damaged entry, and no part of it can be trusted. */
    for (uint32_t i = 0; i < count && r.err == 0; i++) {
        slot_cmd_decode(&r, &cmds[i]);
    }
    if (r.err != 0) {
        return r.err;
    }
    if (!mp_done(&r)) {
        return SLOT_MALFORMED;
    }
    *n = count;
    return SLOT_OK;
}

/* ---- frames -------------------------------------------------------------- */

#define FRAME_HEADER 4
#define FRAME_FIELDS 4 /* [version, type, tag, payload] */

static bool frameTypeKnown(uint64_t t)
{
    switch (t) {
        case SLOT_FRAME_COMMAND:
        case SLOT_FRAME_READ:
        case SLOT_FRAME_ADMIN:
        case SLOT_FRAME_RESULT:
        case SLOT_FRAME_READ_REPLY:
        case SLOT_FRAME_ADMIN_REPLY:
        case SLOT_FRAME_ERROR:
            return true;
        default:
            return false;
    }
}

int slot_frame_peek(const void *buf, size_t len, size_t *frame_len)
{
    *frame_len = 0;
    if (len < FRAME_HEADER) {
        return SLOT_OK;
    }
    uint32_t body = getBe32(buf);
    if (body == 0) {
        return SLOT_MALFORMED;
    }
    if (body > SLOT_FRAME_MAX) {
        return SLOT_TOO_LARGE;
    }
    if (len - FRAME_HEADER >= body) {
        *frame_len = FRAME_HEADER + (size_t)body;
    }
    return SLOT_OK;
}

int slot_frame_decode(const void *body, size_t len, struct slot_frame *f)
{
    if (len > SLOT_FRAME_MAX) {
        return SLOT_TOO_LARGE;
    }
    struct mp_reader r;
    uint32_t n;
    uint64_t version, type;
    mp_reader_init(&r, body, len);
    /* The version comes before the shape check: a later version may well
     * have a different shape, and deserves BAD_VERSION, not MALFORMED. */
    if (!mp_read_array(&r, &n) || (n == 0 && !rfail(&r, SLOT_MALFORMED)) ||
        !mp_read_u64(&r, &version)) {
        return r.err;
    }
    if (version != SLOT_PROTO_VERSION) {
        return SLOT_BAD_VERSION;
    }
    if (n != FRAME_FIELDS || !mp_read_u64(&r, &type)) {
        return r.err != 0 ? r.err : SLOT_MALFORMED;
    }
    if (!frameTypeKnown(type)) {
        return SLOT_UNKNOWN_OP;
    }
    f->type = (uint8_t)type;
    mp_read_u64(&r, &f->tag);
    f->payload = r.p;
    mp_skip(&r);
    f->payload_len = (size_t)(r.p - f->payload);
    if (r.err != 0) {
        return r.err;
    }
    return mp_done(&r) ? SLOT_OK : SLOT_MALFORMED;
}

size_t slot_frame_begin(struct mp_buf *b, uint8_t type, uint64_t tag)
{
    static const uint8_t zeros[FRAME_HEADER];
    assert(frameTypeKnown(type));
    size_t start = b->len;
    mp_buf_append(b, zeros, sizeof zeros); /* body length, set by _end */
    mp_pack_array(b, FRAME_FIELDS);
    mp_pack_uint(b, SLOT_PROTO_VERSION);
    mp_pack_uint(b, type);
    mp_pack_uint(b, tag);
    return start;
}

#define ERROR_FIELDS     4 /* [code, leader_id, leader_address, executed] */
#define ERROR_FIELDS_OLD 3 /* before `executed`: outcome unknown */

void slot_frame_error(struct mp_buf *b, uint64_t tag, int code,
                      uint64_t leader_id, const char *leader_address,
                      uint8_t executed)
{
    assert(executed == SLOT_EXEC_NOT || executed == SLOT_EXEC_UNKNOWN);
    size_t start = slot_frame_begin(b, SLOT_FRAME_ERROR, tag);
    mp_pack_array(b, ERROR_FIELDS);
    mp_pack_uint(b, (uint64_t)code);
    mp_pack_uint(b, leader_id);
    mp_pack_cstr(b, leader_address);
    mp_pack_uint(b, executed);
    slot_frame_end(b, start);
}

int slot_frame_error_decode(const void *payload, size_t len,
                            struct slot_error_info *out)
{
    struct mp_reader r;
    uint32_t n;
    uint64_t code, executed = SLOT_EXEC_UNKNOWN;
    mp_reader_init(&r, payload, len);
    memset(out, 0, sizeof *out);
    if (!mp_read_array(&r, &n)) {
        return r.err;
    }
    if (n != ERROR_FIELDS && n != ERROR_FIELDS_OLD) {
        return SLOT_MALFORMED;
    }
    /* Code 0 is SLOT_OK: no error to report. */
    if (!mp_read_uint(&r, 65535, &code) || !mp_read_u64(&r, &out->leader_id) ||
        !mp_read_str(&r, SLOT_ADDRESS_MAX, &out->leader_address) ||
        (n == ERROR_FIELDS &&
         !mp_read_uint(&r, SLOT_EXEC_UNKNOWN, &executed))) {
        return r.err;
    }
    if (code == SLOT_OK || !mp_done(&r)) {
        return SLOT_MALFORMED;
    }
    out->code = (int)code;
    out->executed = (uint8_t)executed;
    return SLOT_OK;
}

void slot_frame_end(struct mp_buf *b, size_t start)
{
    assert(start + FRAME_HEADER < b->len);
    size_t body = b->len - start - FRAME_HEADER;
    assert(body <= SLOT_FRAME_MAX);
    putBe32(b->data + start, (uint32_t)body);
#ifdef SLOT_CHECK_FRAMES
    /* Catches a caller that packed no payload, or two. Decoding every
     * frame again costs the reply path; the sanitizer builds (which run
     * every suite) define this, the release build does not. */
    struct slot_frame f;
    assert(slot_frame_decode(b->data + start + FRAME_HEADER, body, &f) ==
           SLOT_OK);
#endif
}
