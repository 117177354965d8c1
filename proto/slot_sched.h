/* slot_sched: the hospitals' schedule and rule messages of the slot
 * protocol: hospital rule sets, a pool's place in a schedule (hospital,
 * campus, department, doctor, visit date, payment mode, eligible channels,
 * protected remainder), schedule templates (one request creates a doctor's
 * week of pools), and the pool query. Same rules as slot_proto.h: decoders
 * take untrusted bytes, validate everything (so the ledger only sees
 * well-formed input), and return a slot_err code; decoded strings
 * (struct slot_str) point into the input.
 *
 * ---- Names --------------------------------------------------------------
 *   hospital, campus, department, doctor: 1..SLOT_NAME_MAX bytes of
 *     [A-Za-z0-9_.-] (campus and doctor may be empty: a department-level
 *     clinic). They are interned by the ledger.
 *   channel groups share the channel namespace: a share, a remainder
 *     restriction or an eligibility list may name a channel ("114") or a
 *     group of the pool's hospital ("online" = app, wechat, bank, kiosk).
 *   operator: 1..SLOT_OPERATOR_MAX bytes of [A-Za-z0-9_.@-]; reason:
 *     1..SLOT_REASON_MAX bytes of UTF-8 text without control characters.
 *
 * ---- Rule set (format version 1), one per hospital, overridable per
 *      department: a msgpack array -------------------------------------
 *   [1, utc_offset_min, release_minute, horizon_days, cutoff_minute,
 *    pay_ttl_ms, pay_ttl_max_ms, flowback_days_before, flowback_minute,
 *    flowback_to, [[group, [channel, ...]], ...],
 *    [[channel|group|"*", horizon_days, cutoff, same_day], ...],
 *    [[department|"", kind|255, [channel|group, ...]], ...]]
 *   utc_offset_min      SLOT_UTC_OFFSET_MIN..MAX (Beijing: 480)
 *   release_minute      0..1439: local minute at which the day
 *                       horizon_days ahead opens (540: 09:00)
 *   horizon_days        0..SLOT_HORIZON_MAX; 0: no horizon rule
 *   cutoff_minute       0..1439 or SLOT_MINUTE_NONE: on the day before the
 *                       visit, booking closes at this minute for channels
 *                       whose policy says cutoff (900: 15:00)
 *   pay_ttl_ms          0, or 1000..86400000: the payment window a HOLD
 *                       with ttl_ms 0 gets (300000: 5 minutes)
 *   pay_ttl_max_ms      0 (the ledger config's maximum), or 1000..86400000
 *   flowback_*          unsold channel shares flow back at local minute
 *                       flowback_minute (0..1439, NONE: never) of the day
 *                       flowback_days_before (0..7) days before the visit,
 *                       into the share named flowback_to ("" or no such
 *                       share: the remainder)
 *   groups              <= SLOT_GROUPS_MAX, names distinct and not also a
 *                       channel of any group, each 1..SLOT_GROUP_CHANNELS_MAX
 *                       distinct channels
 *   policies            <= SLOT_POLICIES_MAX, channel|group|"*" distinct;
 *                       horizon_days 0 (the hospital's) ..SLOT_HORIZON_MAX;
 *                       cutoff, same_day booleans. A channel's policy: its
 *                       own entry, else the first group entry containing
 *                       it, else "*", else {hospital's horizon, cutoff
 *                       applies, same day allowed}
 *   eligibility         <= SLOT_ELIG_RULES_MAX rules; the first whose
 *                       department ("" any) and kind (255 any) match a
 *                       pool lists the channels/groups that may book it
 *                       (1..SLOT_POOL_NAMES_MAX distinct names); no match:
 *                       every channel. A pool's own eligible list wins.
 *
 * ---- Rule set format version 2: version 1's elements with 2 in the first
 *      place, then one more element, the patient rules (issue "patients"):
 *   [quota_day_normal, quota_day_expert, quota_dept_expert,
 *    quota_month_normal, quota_month_expert, cancel_days_before,
 *    cancel_minute, cancel_same_day, cancel_limit_day,
 *    violation_window_days, violation_threshold, blacklist_days,
 *    blacklist_exempt, unpaid_is_violation, cooldown_min_ms,
 *    cooldown_max_ms, account_channels, quota_per_account, late_cancel_ms]
 *   quota_*             0 (no limit) .. 255: a patient's HELD + BOOKED
 *                       claims at this hospital: on one visit day, normal
 *                       pools (3) and expert pools (kinds other than
 *                       normal; 2), expert pools of one department on one
 *                       visit day (1); in one calendar month of visit days,
 *                       normal (12) and expert (4)
 *   cancel_days_before  0..SLOT_HORIZON_MAX and
 *   cancel_minute       0..1439 or SLOT_MINUTE_NONE (no deadline): a
 *                       booking may be cancelled until local minute
 *                       cancel_minute of day visit_day - cancel_days_before
 *                       (1 and 900: 15:00 the day before)
 *   cancel_same_day     bool: a booking made at or after that deadline may
 *                       still be cancelled until its segment starts
 *   cancel_limit_day    0 (none) .. SLOT_CANCELS_KEPT: a patient who
 *                       cancelled this many bookings on one local day gets
 *                       no new holds that day
 *   violation_window_days 1..SLOT_HORIZON_MAX*10, violation_threshold 0
 *                       (no blacklist) .. SLOT_VIOLATIONS_KEPT,
 *                       blacklist_days 1..SLOT_HORIZON_MAX*10: threshold
 *                       violations within the window blacklist the
 *                       patient for blacklist_days; at threshold - 1 reads
 *                       show a warning
 *   blacklist_exempt    "" or a channel or group that still books for a
 *                       blacklisted patient (the hospital's window)
 *   unpaid_is_violation bool: a hold that expires unpaid is a violation
 *   cooldown_min_ms <= cooldown_max_ms <= SLOT_COOLDOWN_MAX_MS: a slot
 *                       freed by a cancelled booking returns to free at an
 *                       unpredictable time in [min, max] after the cancel
 *                       (max 0: at once)
 *   account_channels    "" or a channel or group whose holds must name an
 *                       account the patient is bound to
 *   quota_per_account   bool: the quotas also count, together, the claims
 *                       of every patient bound to the holding patient's
 *                       account (the "one user" of a hospital's app)
 *   late_cancel_ms      0 (off) .. SLOT_LATE_CANCEL_MAX_MS: a patient's own
 *                       cancel less than this before the segment starts
 *                       is a violation (LATE_CANCEL)
 *   A version 1 rule set decodes with slot_patient_rules_default's values
 *   (nothing restricted).
 *
 * ---- Rule set format version 3: version 2's elements with 3 in the first
 *      place, then the visit-day rules (issue "visit day"):
 *   [checkin_before_ms, checkin_late_ms, noshow_sweep]
 *   checkin_before_ms   0..SLOT_CHECKIN_MAX_MS: check-in opens this long
 *                       before the pool's segment starts
 *   checkin_late_ms     0..SLOT_CHECKIN_MAX_MS: and closes this long before
 *                       the segment ends: CHECKIN is accepted in
 *                       [seg_start - before, seg_end - late)
 *   noshow_sweep        bool: a booking not checked in when check-in
 *                       closes is marked a no-show (a NO_SHOW violation)
 *   A version 1 or 2 rule set decodes with slot_visit_rules_default's
 *   values (check-in from 24 h before, no sweep); the encoder always
 *   writes version 3.
 *
 * ---- A pool's schedule fields: the optional 9th element of a pool spec --
 *   [hospital, campus, department, doctor, visit_day, pay_mode,
 *    visit_slot_ms, [eligible...], [remainder_allow...]]
 *   visit_day       local date, days since 1970-01-01, 1..SLOT_DAY_MAX
 *   pay_mode        0 pay online (CONFIRM needs a payment_ref), 1 pay at
 *                   the visit (CONFIRM without one books it unpaid)
 *   visit_slot_ms   0..86400000: minutes one visit number stands for; 0:
 *                   segment length / capacity
 *   eligible        <= SLOT_POOL_NAMES_MAX channels/groups; empty: by rule
 *   remainder_allow <= SLOT_POOL_NAMES_MAX channels/groups that may take
 *                   from the shared remainder; empty: every eligible one
 *   A pool with schedule fields must have a segment (seg_start_ms > 0).
 *
 * ---- Schedule template (SCHEDULE_IMPORT, READ_SCHEDULE_CHECK) ------------
 *   [id_prefix, hospital, campus, department, doctor, kind, fee_cents,
 *    pay_mode, visit_slot_ms, [[channel|group, permille], ...],
 *    [eligible...], [remainder_allow...], [visit_day, ...],
 *    [[start_minute, end_minute, capacity], ...]]
 *   One pool per (visit day, segment), id "<id_prefix>/YYYYMMDD/HHMM"
 *   (id_prefix: pool-id charset, 1..SLOT_ID_PREFIX_MAX bytes); segment
 *   times are local (hospital offset); each share gets
 *   floor(capacity * permille / 1000) slots (a share of 0 is left out);
 *   permilles 1..1000, names distinct, sum <= 1000; days strictly
 *   increasing, 1..SLOT_TEMPLATE_DAYS_MAX of them; segments 0 <= start <
 *   end <= 1440, increasing and not overlapping, 1..SLOT_TEMPLATE_SEGS_MAX
 *   (so at most SLOT_IMPORT_POOLS_MAX pools per import).
 */
#ifndef SLOT_SCHED_H
#define SLOT_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "mp.h"
#include "slot_err.h"

#define SLOT_NAME_MAX           32 /* hospital, campus, department, doctor */
#define SLOT_OPERATOR_MAX       32
#define SLOT_REASON_MAX         256
#define SLOT_CHANNEL_NAME_MAX   16 /* = SLOT_CHANNEL_MAX (slot_proto.h) */
#define SLOT_GROUPS_MAX         8
#define SLOT_GROUP_CHANNELS_MAX 16
#define SLOT_POLICIES_MAX       16
#define SLOT_ELIG_RULES_MAX     16
#define SLOT_POOL_NAMES_MAX     8 /* eligible / remainder_allow of a pool */
#define SLOT_HORIZON_MAX        366
#define SLOT_FLOWBACK_DAYS_MAX  7
#define SLOT_MINUTE_NONE        0xffffu
#define SLOT_KIND_ANY           255
#define SLOT_RULES_VERSION      3
#define SLOT_CHECKIN_MAX_MS     86400000u /* checkin_before/late_ms at most */
#define SLOT_CANCELS_KEPT       8 /* cancellations a patient's record keeps */
#define SLOT_VIOLATIONS_KEPT    8 /* violations a patient's record keeps */
#define SLOT_COOLDOWN_MAX_MS    (60u * 60u * 1000u)
#define SLOT_LATE_CANCEL_MAX_MS (7u * 86400000u)
#define SLOT_ID_PREFIX_MAX      50 /* + "/YYYYMMDD/HHMM" <= pool id max */
#define SLOT_TEMPLATE_DAYS_MAX  366
#define SLOT_TEMPLATE_SEGS_MAX  48
/* Pools one import creates at most: days x segments. */
#define SLOT_IMPORT_POOLS_MAX  (SLOT_TEMPLATE_DAYS_MAX * SLOT_TEMPLATE_SEGS_MAX)
#define SLOT_VISIT_SLOT_MAX_MS 86400000u

enum slot_pay_mode {
    SLOT_PAY_ONLINE = 0,
    SLOT_PAY_AT_VISIT = 1,
};
/* "online" / "at_visit", or NULL; and back (-1 if unknown). */
const char *slot_pay_mode_name(int mode);
int slot_pay_mode_from_name(const char *name, size_t len);

/* ---- rule sets (plain data: fixed arrays, no pointers) ------------------ */

struct slot_group {
    char name[SLOT_CHANNEL_NAME_MAX + 1];
    uint8_t n;
    char channels[SLOT_GROUP_CHANNELS_MAX][SLOT_CHANNEL_NAME_MAX + 1];
};

struct slot_policy {
    char channel[SLOT_CHANNEL_NAME_MAX + 1]; /* channel, group or "*" */
    uint16_t horizon_days;                   /* 0: the hospital's */
    bool cutoff;                             /* the cut-off applies */
    bool same_day;                           /* may book for today */
};

struct slot_elig {
    char department[SLOT_NAME_MAX + 1]; /* "": any department */
    uint8_t kind;                       /* SLOT_KIND_ANY: any kind */
    uint8_t n;
    char names[SLOT_POOL_NAMES_MAX][SLOT_CHANNEL_NAME_MAX + 1];
};

/* Rule set version 2's patient rules (see the format above). */
struct slot_patient_rules {
    uint8_t quota_day_normal, quota_day_expert, quota_dept_expert;
    uint8_t quota_month_normal, quota_month_expert;
    uint16_t cancel_days_before;
    uint16_t cancel_minute; /* or SLOT_MINUTE_NONE: no deadline */
    bool cancel_same_day;
    uint8_t cancel_limit_day;
    uint16_t violation_window_days;
    uint8_t violation_threshold;
    uint16_t blacklist_days;
    char blacklist_exempt[SLOT_CHANNEL_NAME_MAX + 1];
    bool unpaid_is_violation;
    uint32_t cooldown_min_ms, cooldown_max_ms;
    char account_channels[SLOT_CHANNEL_NAME_MAX + 1];
    bool quota_per_account;
    uint32_t late_cancel_ms;
};
/* Rule set version 3's visit-day rules (see the format above). */
struct slot_visit_rules {
    uint32_t checkin_before_ms;
    uint32_t checkin_late_ms;
    bool noshow_sweep;
};
/* Check-in from SLOT_CHECKIN_MAX_MS before the segment to its end; no
 * no-show sweep. */
void slot_visit_rules_default(struct slot_visit_rules *v);

/* Nothing restricted: no quota, no deadline, no limit, no blacklist, no
 * cool-down, no account channels (window 30 days, 90 days' blacklist, so
 * that a threshold alone turns the rule on). */
void slot_patient_rules_default(struct slot_patient_rules *p);

struct slot_rules {
    int16_t utc_offset_min;
    uint16_t release_minute;
    uint16_t horizon_days;
    uint16_t cutoff_minute; /* or SLOT_MINUTE_NONE */
    uint32_t pay_ttl_ms;
    uint32_t pay_ttl_max_ms;
    uint8_t flowback_days_before;
    uint16_t flowback_minute; /* or SLOT_MINUTE_NONE */
    char flowback_to[SLOT_CHANNEL_NAME_MAX + 1];
    uint8_t n_groups;
    struct slot_group groups[SLOT_GROUPS_MAX];
    uint8_t n_policies;
    struct slot_policy policies[SLOT_POLICIES_MAX];
    uint8_t n_elig;
    struct slot_elig elig[SLOT_ELIG_RULES_MAX];
    struct slot_patient_rules patient; /* version 2 */
    struct slot_visit_rules visit;     /* version 3 */
};

/* The rule set a hospital without one behaves as if it had: nothing is
 * restricted (no horizon, no cut-off, no default payment window, no
 * flow-back, no groups, every channel eligible), offset 0. */
void slot_rules_default(struct slot_rules *r);

/* Decodes and validates one rule set at the reader's position. Clears *out
 * first; on error *out is unspecified. */
int slot_rules_decode(struct mp_reader *r, struct slot_rules *out);
/* Precondition: r validates (our own data; asserted). Canonical: equal
 * rule sets encode to equal bytes (strings end at their NUL). */
void slot_rules_encode(struct mp_buf *b, const struct slot_rules *r);
/* The validation alone (the ranges and uniqueness rules above). */
int slot_rules_check(const struct slot_rules *r);

/* Lookups every user of a rule set needs, so that the ledger, the tools
 * and the tests agree. The group named `name`, or NULL. */
const struct slot_group *slot_rules_group(const struct slot_rules *r,
                                          const char *name, size_t len);
/* Does `name` (a channel or a group of r) cover channel ch? */
bool slot_rules_covers(const struct slot_rules *r, const char *name,
                       size_t name_len, const char *ch, size_t ch_len);
/* The policy that applies to channel ch (see the contract above). */
struct slot_policy slot_rules_policy(const struct slot_rules *r, const char *ch,
                                     size_t ch_len);

/* A hospital's (or a department's) rules as reads report them: READ_RULES
 * answers one, READ_RULES_LOG a list (slot_proto.h). */
struct slot_rules_info {
    bool inherited; /* a department without its own: the hospital's */
    uint64_t version;
    char department[SLOT_NAME_MAX + 1]; /* "": the hospital's own */
    uint64_t changed_at_ms;
    char operator_name[SLOT_OPERATOR_MAX + 1];
    char reason[SLOT_REASON_MAX + 1];
    struct slot_rules rules;
};
void slot_rules_info_encode(struct mp_buf *b, const struct slot_rules_info *i);
int slot_rules_info_decode(struct mp_reader *r, struct slot_rules_info *i);

/* ---- a pool's schedule fields ------------------------------------------- */

struct slot_sched {
    struct slot_str hospital, campus, department, doctor;
    uint32_t visit_day;
    uint8_t pay_mode;
    uint32_t visit_slot_ms;
    uint32_t n_eligible;
    struct slot_str eligible[SLOT_POOL_NAMES_MAX];
    uint32_t n_rem_allow;
    struct slot_str rem_allow[SLOT_POOL_NAMES_MAX];
};
int slot_sched_decode(struct mp_reader *r, struct slot_sched *out);
void slot_sched_encode(struct mp_buf *b, const struct slot_sched *s);
int slot_sched_check(const struct slot_sched *s);

/* ---- schedule templates -------------------------------------------------- */

struct slot_tshare {
    struct slot_str name;
    uint16_t permille;
};

struct slot_segment {
    uint16_t start_minute, end_minute;
    uint32_t capacity;
};

/* Days and segments stay in their (validated) encoded form: a template
 * may name hundreds of days, and commands are copied around whole. */
struct slot_template {
    struct slot_str id_prefix;
    struct slot_sched sched; /* visit_day unused (0) */
    uint8_t kind;
    uint64_t fee_cents;
    uint32_t n_shares;
    struct slot_tshare shares[8]; /* SLOT_POOL_SHARES_MAX */
    uint32_t n_days;
    struct slot_str days; /* the msgpack array, as received */
    uint32_t n_segments;
    struct slot_str segments;
};
int slot_template_decode(struct mp_reader *r, struct slot_template *out);
/* The rules of everything but the days and segments (id prefix, place,
 * kind, fee, shares): what slot_template_encode requires. Days and
 * segments are checked by decoding an encoded template. */
int slot_template_check(const struct slot_template *t);
/* Precondition: t validates; its days and segments slices are copied as
 * they are (build them with slot_days_pack / slot_segments_pack). */
void slot_template_encode(struct mp_buf *b, const struct slot_template *t);
void slot_days_pack(struct mp_buf *b, const uint32_t *days, uint32_t n);
void slot_segments_pack(struct mp_buf *b, const struct slot_segment *s,
                        uint32_t n);
/* The template's days / segments into out[n_days] / out[n_segments].
 * Precondition: t came from slot_template_decode (cannot fail then). */
void slot_template_days(const struct slot_template *t, uint32_t *out);
void slot_template_segments(const struct slot_template *t,
                            struct slot_segment *out);
/* The pool id of (day, segment): "<prefix>/YYYYMMDD/HHMM" into id (65
 * bytes); returns its length. */
uint32_t slot_template_pool_id(const struct slot_template *t, uint32_t day,
                               const struct slot_segment *seg, char *id);

#endif /* SLOT_SCHED_H */
