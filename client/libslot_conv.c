/* libslot conversions: the public value types of libslot.h to and from
 * the protocol's (slot_proto.h, slot_sched.h), and the name and date
 * helpers. Pure functions: no loop, no I/O, no allocation.
 *
 * Why a second set of types at all: libslot.h is an installed, versioned
 * ABI whose structs own their strings (char arrays in outputs, C strings
 * in inputs), while the protocol's structs point into frames (struct
 * slot_str) and change with the wire format. Inputs are validated here by
 * the protocol's own rules (slot_valid.h, slot_*_check, and, for a
 * template, by decoding what would be sent), so a request the library
 * accepts is one the nodes accept.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "libslotInt.h"
#include "slot_sched.h"
#include "slot_time.h"
#include "slot_valid.h"

_Static_assert(SLOTC_NAME_MAX == SLOT_NAME_MAX, "name limit");
_Static_assert(SLOTC_OPERATOR_MAX == SLOT_OPERATOR_MAX, "operator limit");
_Static_assert(SLOTC_REASON_MAX == SLOT_REASON_MAX, "reason limit");
_Static_assert(SLOTC_POOL_NAMES_MAX == SLOT_POOL_NAMES_MAX, "names limit");
_Static_assert(SLOTC_GROUPS_MAX == SLOT_GROUPS_MAX, "groups limit");
_Static_assert(SLOTC_GROUP_CHANNELS_MAX == SLOT_GROUP_CHANNELS_MAX,
               "group channels limit");
_Static_assert(SLOTC_POLICIES_MAX == SLOT_POLICIES_MAX, "policies limit");
_Static_assert(SLOTC_ELIG_RULES_MAX == SLOT_ELIG_RULES_MAX, "elig limit");
_Static_assert(SLOTC_ID_PREFIX_MAX == SLOT_ID_PREFIX_MAX, "prefix limit");
_Static_assert(SLOTC_TEMPLATE_DAYS_MAX == SLOT_TEMPLATE_DAYS_MAX, "days");
_Static_assert(SLOTC_TEMPLATE_SEGS_MAX == SLOT_TEMPLATE_SEGS_MAX, "segs");
_Static_assert((int)SLOTC_KIND_TOP_EXPERT == (int)SLOT_KIND_TOP_EXPERT,
               "kinds");
_Static_assert((int)SLOTC_PAY_AT_VISIT == (int)SLOT_PAY_AT_VISIT, "pay");
_Static_assert(SLOTC_ACCOUNT_PATIENTS_MAX == SLOT_ACCOUNT_PATIENTS_MAX,
               "account limit");
_Static_assert(SLOTC_ACCOUNT_CHANGES_KEPT == SLOT_ACCOUNT_CHANGES_KEPT,
               "account changes");
_Static_assert(SLOTC_VIOLATIONS_KEPT == SLOT_VIOLATIONS_KEPT, "violations");
_Static_assert(SLOTC_CANCELS_KEPT == SLOT_CANCELS_KEPT, "cancels");
_Static_assert(SLOTC_COOLDOWN_MAX_MS == SLOT_COOLDOWN_MAX_MS, "cool-down");
_Static_assert(SLOTC_WINDOW_DAYS_MAX == SLOT_HORIZON_MAX * 10, "window");
_Static_assert((int)SLOTC_QUOTA_ACTIVE == (int)SLOT_QUOTA_ACTIVE, "quotas");
_Static_assert((int)SLOTC_QUOTA_ACCOUNT == (int)SLOT_QUOTA_ACCOUNT, "quotas");
_Static_assert((int)SLOTC_VIOLATION_LATE_CANCEL ==
                   (int)SLOT_VIOLATION_LATE_CANCEL,
               "violation kinds");
_Static_assert((int)SLOTC_ACCOUNT_CHANGE_PATIENTS ==
                   (int)SLOT_ACCOUNT_CHANGE_PATIENTS,
               "account rules");
_Static_assert((int)SLOTC_VIOLATION_OTHER == (int)SLOT_VIOLATION_OTHER,
               "violation kinds");
_Static_assert(SLOTC_CHECKIN_MAX_MS == SLOT_CHECKIN_MAX_MS, "check-in window");
_Static_assert((int)SLOTC_POOL_STOPPED == (int)SLOT_PSTATE_STOPPED,
               "pool states");
_Static_assert((int)SLOTC_CLAIM_MOVED == (int)SLOT_CLAIM_MOVED, "claim states");
_Static_assert((int)SLOTC_ATTEND_NO_SHOW == (int)SLOT_ATTEND_NO_SHOW,
               "attendance");
_Static_assert((int)SLOTC_EV_WAIT_LEFT == (int)SLOT_EV_WAIT_LEFT &&
                   SLOT_EV_MAX == SLOT_EV_WAIT_LEFT,
               "event types");
_Static_assert(SLOTC_LIST_MAX == SLOT_LIST_MAX, "list limit");
_Static_assert(SLOTC_PAY_METHOD_MAX == SLOT_PAY_METHOD_MAX, "pay method limit");
_Static_assert(SLOTC_PAYMENT_REF_MAX == SLOT_PAYMENT_REF_MAX, "payment ref");

/* ---- names and dates ------------------------------------------------------ */

const char *slotc_event_name(int type)
{
    return slot_event_name(type);
}

const char *slotc_pay_mode_name(int mode)
{
    return slot_pay_mode_name(mode);
}

int slotc_pay_mode_from_name(const char *name)
{
    return name == NULL ? -1 : slot_pay_mode_from_name(name, strlen(name));
}

int64_t slotc_day_parse(const char *s)
{
    return s == NULL ? -1 : slot_day_parse(s, strlen(s));
}

void slotc_day_format(uint32_t day, char out[11])
{
    slot_day_format(day, out);
}

int32_t slotc_minute_parse(const char *s)
{
    return s == NULL ? -1 : slot_minute_parse(s, strlen(s));
}

void slotc_minute_format(uint32_t minute, char out[6])
{
    slot_minute_format(minute, out);
}

uint32_t slotc_local_day(uint64_t utc_ms, int32_t utc_offset_min)
{
    if (utc_offset_min < SLOT_UTC_OFFSET_MIN ||
        utc_offset_min > SLOT_UTC_OFFSET_MAX) {
        return 0;
    }
    return slot_local_day(utc_ms, utc_offset_min);
}

const char *slotc_quota_name(int quota)
{
    return slot_quota_name(quota);
}

const char *slotc_account_rule_name(int rule)
{
    return slot_account_rule_name(rule);
}

const char *slotc_violation_name(int kind)
{
    return slot_violation_name(kind);
}

int slotc_violation_from_name(const char *name)
{
    return name == NULL ? -1 : slot_violation_from_name(name, strlen(name));
}

/* ---- small helpers -------------------------------------------------------- */

static void copyStr(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

/* A C string as a slot_str, or SLOT_INVALID_ARGUMENT / SLOT_TOO_LARGE by
 * the rule, without reading more than max + 1 bytes of it. NULL counts as
 * "" when empty_ok (then the rule is not asked). */
static int strArg(const char *s, bool empty_ok, int (*rule)(struct slot_str),
                  uint32_t max, struct slot_str *out)
{
    if (s == NULL || s[0] == '\0') {
        *out = (struct slot_str){"", 0};
        return empty_ok ? SLOT_OK : SLOT_INVALID_ARGUMENT;
    }
    size_t len = strnlen(s, (size_t)max + 1);
    if (len > max) {
        return SLOT_TOO_LARGE;
    }
    *out = (struct slot_str){s, (uint32_t)len};
    return rule(*out);
}

static int textRule(struct slot_str s)
{
    return slot_valid_text(s, SLOT_REASON_MAX);
}

/* A fixed char array's string, checked by rule when non-empty (the
 * arrays of struct slotc_rules: they must hold a NUL within their size). */
static int arrStr(const char *s, size_t cap, int (*rule)(struct slot_str))
{
    size_t len = strnlen(s, cap);
    if (len == cap) {
        return SLOT_TOO_LARGE;
    }
    return len == 0 ? SLOT_OK : rule((struct slot_str){s, (uint32_t)len});
}

/* ---- rules ---------------------------------------------------------------- */

static uint16_t minuteIn(int32_t m)
{
    return m < 0 ? SLOT_MINUTE_NONE : (uint16_t)(m > 0xfffe ? 0xfffe : m);
}

static int32_t minuteOut(uint16_t m)
{
    return m == SLOT_MINUTE_NONE ? -1 : (int32_t)m;
}

/* The patient rules into the wire's narrower fields: a value that does
 * not fit is out of range (never truncated into it); the ranges
 * themselves are slot_rules_check's. */
static int patientToWire(const struct slotc_patient_rules *in,
                         struct slot_patient_rules *out)
{
    if (in->quota_day_normal > UINT8_MAX || in->quota_day_expert > UINT8_MAX ||
        in->quota_dept_expert > UINT8_MAX ||
        in->quota_month_normal > UINT8_MAX ||
        in->quota_month_expert > UINT8_MAX ||
        in->cancel_days_before > UINT16_MAX || in->cancel_minute < -1 ||
        in->cancel_minute >= (int32_t)SLOT_MINUTES_PER_DAY ||
        in->cancel_limit_day > UINT8_MAX ||
        in->violation_window_days > UINT16_MAX ||
        in->violation_threshold > UINT8_MAX ||
        in->blacklist_days > UINT16_MAX ||
        in->late_cancel_ms > SLOT_LATE_CANCEL_MAX_MS) {
        return SLOT_INVALID_ARGUMENT;
    }
    int rc = arrStr(in->blacklist_exempt, sizeof in->blacklist_exempt,
                    slot_valid_channel);
    if (rc == SLOT_OK) {
        rc = arrStr(in->account_channels, sizeof in->account_channels,
                    slot_valid_channel);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    out->quota_day_normal = (uint8_t)in->quota_day_normal;
    out->quota_day_expert = (uint8_t)in->quota_day_expert;
    out->quota_dept_expert = (uint8_t)in->quota_dept_expert;
    out->quota_month_normal = (uint8_t)in->quota_month_normal;
    out->quota_month_expert = (uint8_t)in->quota_month_expert;
    out->cancel_days_before = (uint16_t)in->cancel_days_before;
    out->cancel_minute = minuteIn(in->cancel_minute);
    out->cancel_same_day = in->cancel_same_day;
    out->cancel_limit_day = (uint8_t)in->cancel_limit_day;
    out->violation_window_days = (uint16_t)in->violation_window_days;
    out->violation_threshold = (uint8_t)in->violation_threshold;
    out->blacklist_days = (uint16_t)in->blacklist_days;
    copyStr(out->blacklist_exempt, sizeof out->blacklist_exempt,
            in->blacklist_exempt);
    out->unpaid_is_violation = in->unpaid_is_violation;
    out->cooldown_min_ms = in->cooldown_min_ms;
    out->cooldown_max_ms = in->cooldown_max_ms;
    copyStr(out->account_channels, sizeof out->account_channels,
            in->account_channels);
    out->quota_per_account = in->quota_per_account;
    out->late_cancel_ms = in->late_cancel_ms;
    return SLOT_OK;
}

static void patientFromWire(struct slotc_patient_rules *d,
                            const struct slot_patient_rules *s)
{
    d->quota_day_normal = s->quota_day_normal;
    d->quota_day_expert = s->quota_day_expert;
    d->quota_dept_expert = s->quota_dept_expert;
    d->quota_month_normal = s->quota_month_normal;
    d->quota_month_expert = s->quota_month_expert;
    d->cancel_days_before = s->cancel_days_before;
    d->cancel_minute = minuteOut(s->cancel_minute);
    d->cancel_same_day = s->cancel_same_day;
    d->cancel_limit_day = s->cancel_limit_day;
    d->violation_window_days = s->violation_window_days;
    d->violation_threshold = s->violation_threshold;
    d->blacklist_days = s->blacklist_days;
    copyStr(d->blacklist_exempt, sizeof d->blacklist_exempt,
            s->blacklist_exempt);
    d->unpaid_is_violation = s->unpaid_is_violation;
    d->cooldown_min_ms = s->cooldown_min_ms;
    d->cooldown_max_ms = s->cooldown_max_ms;
    copyStr(d->account_channels, sizeof d->account_channels,
            s->account_channels);
    d->quota_per_account = s->quota_per_account;
    d->late_cancel_ms = s->late_cancel_ms;
}

int slotc__rules_to_wire(const struct slotc_rules *in, struct slot_rules *out)
{
    slot_rules_default(out); /* patient rules: nothing restricted */
    if (in->utc_offset_min < SLOT_UTC_OFFSET_MIN ||
        in->utc_offset_min > SLOT_UTC_OFFSET_MAX ||
        in->release_minute > 0xffff || in->horizon_days > 0xffff ||
        in->flowback_days_before > 0xff || in->n_groups > SLOT_GROUPS_MAX ||
        in->n_policies > SLOT_POLICIES_MAX ||
        in->n_elig > SLOT_ELIG_RULES_MAX) {
        return SLOT_INVALID_ARGUMENT;
    }
    int rc =
        arrStr(in->flowback_to, sizeof in->flowback_to, slot_valid_channel);
    for (uint32_t i = 0; i < in->n_groups && rc == SLOT_OK; i++) {
        const struct slotc_group *g = &in->groups[i];
        rc = g->n > SLOT_GROUP_CHANNELS_MAX
                 ? SLOT_INVALID_ARGUMENT
                 : arrStr(g->name, sizeof g->name, slot_valid_channel);
        for (uint32_t j = 0; j < g->n && rc == SLOT_OK; j++) {
            rc = arrStr(g->channels[j], sizeof g->channels[j],
                        slot_valid_channel);
        }
    }
    for (uint32_t i = 0; i < in->n_elig && rc == SLOT_OK; i++) {
        const struct slotc_elig *e = &in->elig[i];
        rc = e->n > SLOT_POOL_NAMES_MAX || e->kind < -1 ||
                     e->kind > SLOT_KIND_MAX
                 ? SLOT_INVALID_ARGUMENT
                 : arrStr(e->department, sizeof e->department, slot_valid_name);
    }
    if (rc == SLOT_OK) {
        rc = patientToWire(&in->patient, &out->patient);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    /* Same widths as the wire's: slot_rules_check judges the ranges. */
    out->visit.checkin_before_ms = in->visit.checkin_before_ms;
    out->visit.checkin_late_ms = in->visit.checkin_late_ms;
    out->visit.noshow_sweep = in->visit.noshow_sweep;
    /* Every string fits its array (checked above); the rest of the rules,
     * including the channel charsets and uniqueness, slot_rules_check. */
    out->utc_offset_min = (int16_t)in->utc_offset_min;
    out->release_minute = (uint16_t)in->release_minute;
    out->horizon_days = (uint16_t)in->horizon_days;
    out->cutoff_minute = minuteIn(in->cutoff_minute);
    out->pay_ttl_ms = in->pay_ttl_ms;
    out->pay_ttl_max_ms = in->pay_ttl_max_ms;
    out->flowback_days_before = (uint8_t)in->flowback_days_before;
    out->flowback_minute = minuteIn(in->flowback_minute);
    copyStr(out->flowback_to, sizeof out->flowback_to, in->flowback_to);
    out->n_groups = (uint8_t)in->n_groups;
    for (uint32_t i = 0; i < in->n_groups; i++) {
        copyStr(out->groups[i].name, sizeof out->groups[i].name,
                in->groups[i].name);
        out->groups[i].n = (uint8_t)in->groups[i].n;
        for (uint32_t j = 0; j < in->groups[i].n; j++) {
            copyStr(out->groups[i].channels[j],
                    sizeof out->groups[i].channels[j],
                    in->groups[i].channels[j]);
        }
    }
    out->n_policies = (uint8_t)in->n_policies;
    for (uint32_t i = 0; i < in->n_policies; i++) {
        const struct slotc_policy *p = &in->policies[i];
        if (strnlen(p->channel, sizeof p->channel) == sizeof p->channel ||
            p->horizon_days > 0xffff) {
            return SLOT_INVALID_ARGUMENT;
        }
        copyStr(out->policies[i].channel, sizeof out->policies[i].channel,
                p->channel);
        out->policies[i].horizon_days = (uint16_t)p->horizon_days;
        out->policies[i].cutoff = p->cutoff;
        out->policies[i].same_day = p->same_day;
    }
    out->n_elig = (uint8_t)in->n_elig;
    for (uint32_t i = 0; i < in->n_elig; i++) {
        const struct slotc_elig *e = &in->elig[i];
        copyStr(out->elig[i].department, sizeof out->elig[i].department,
                e->department);
        out->elig[i].kind = e->kind < 0 ? SLOT_KIND_ANY : (uint8_t)e->kind;
        out->elig[i].n = (uint8_t)e->n;
        for (uint32_t j = 0; j < e->n; j++) {
            if (strnlen(e->names[j], sizeof e->names[j]) ==
                sizeof e->names[j]) {
                return SLOT_TOO_LARGE;
            }
            copyStr(out->elig[i].names[j], sizeof out->elig[i].names[j],
                    e->names[j]);
        }
    }
    return slot_rules_check(out);
}

void slotc__rules_from_wire(struct slotc_rules *d, const struct slot_rules *s)
{
    memset(d, 0, sizeof *d);
    d->utc_offset_min = s->utc_offset_min;
    d->release_minute = s->release_minute;
    d->horizon_days = s->horizon_days;
    d->cutoff_minute = minuteOut(s->cutoff_minute);
    d->pay_ttl_ms = s->pay_ttl_ms;
    d->pay_ttl_max_ms = s->pay_ttl_max_ms;
    d->flowback_days_before = s->flowback_days_before;
    d->flowback_minute = minuteOut(s->flowback_minute);
    copyStr(d->flowback_to, sizeof d->flowback_to, s->flowback_to);
    d->n_groups = s->n_groups;
    for (uint32_t i = 0; i < s->n_groups; i++) {
        copyStr(d->groups[i].name, sizeof d->groups[i].name, s->groups[i].name);
        d->groups[i].n = s->groups[i].n;
        for (uint32_t j = 0; j < s->groups[i].n; j++) {
            copyStr(d->groups[i].channels[j], sizeof d->groups[i].channels[j],
                    s->groups[i].channels[j]);
        }
    }
    d->n_policies = s->n_policies;
    for (uint32_t i = 0; i < s->n_policies; i++) {
        copyStr(d->policies[i].channel, sizeof d->policies[i].channel,
                s->policies[i].channel);
        d->policies[i].horizon_days = s->policies[i].horizon_days;
        d->policies[i].cutoff = s->policies[i].cutoff;
        d->policies[i].same_day = s->policies[i].same_day;
    }
    d->n_elig = s->n_elig;
    for (uint32_t i = 0; i < s->n_elig; i++) {
        copyStr(d->elig[i].department, sizeof d->elig[i].department,
                s->elig[i].department);
        d->elig[i].kind =
            s->elig[i].kind == SLOT_KIND_ANY ? -1 : (int)s->elig[i].kind;
        d->elig[i].n = s->elig[i].n;
        for (uint32_t j = 0; j < s->elig[i].n; j++) {
            copyStr(d->elig[i].names[j], sizeof d->elig[i].names[j],
                    s->elig[i].names[j]);
        }
    }
    patientFromWire(&d->patient, &s->patient);
    d->visit.checkin_before_ms = s->visit.checkin_before_ms;
    d->visit.checkin_late_ms = s->visit.checkin_late_ms;
    d->visit.noshow_sweep = s->visit.noshow_sweep;
}

void slotc_rules_init(struct slotc_rules *r)
{
    struct slot_rules w;
    slot_rules_default(&w);
    slotc__rules_from_wire(r, &w);
}

void slotc__rules_info_from_wire(struct slotc_rules_info *d,
                                 const struct slot_rules_info *s)
{
    memset(d, 0, sizeof *d);
    d->inherited = s->inherited;
    d->version = s->version;
    copyStr(d->department, sizeof d->department, s->department);
    d->changed_at_ms = s->changed_at_ms;
    copyStr(d->operator_name, sizeof d->operator_name, s->operator_name);
    copyStr(d->reason, sizeof d->reason, s->reason);
    slotc__rules_from_wire(&d->rules, &s->rules);
}

int slotc__rules_set_args(const char *hospital, const char *department,
                          const char *operator_name, const char *reason,
                          struct slot_str out[4])
{
    int rc = strArg(hospital, false, slot_valid_name, SLOT_NAME_MAX, &out[0]);
    if (rc == SLOT_OK) {
        rc = strArg(department, true, slot_valid_name, SLOT_NAME_MAX, &out[1]);
    }
    if (rc == SLOT_OK) {
        rc = strArg(operator_name, false, slot_valid_operator,
                    SLOT_OPERATOR_MAX, &out[2]);
    }
    if (rc == SLOT_OK) {
        rc = strArg(reason, false, textRule, SLOT_REASON_MAX, &out[3]);
    }
    return rc;
}

/* ---- places and templates ------------------------------------------------- */

/* eligible / remainder_allow lists: channels or groups. */
static int namesArg(uint32_t n, const char *const *in, struct slot_str *out)
{
    if (n > SLOT_POOL_NAMES_MAX) {
        return SLOT_INVALID_ARGUMENT;
    }
    for (uint32_t i = 0; i < n; i++) {
        int rc =
            strArg(in[i], false, slot_valid_channel, SLOT_CHANNEL_MAX, &out[i]);
        if (rc != SLOT_OK) {
            return rc;
        }
    }
    return SLOT_OK;
}

int slotc__place_to_wire(const struct slotc_place *pl, struct slot_sched *out)
{
    memset(out, 0, sizeof *out);
    if (pl->pay_mode < 0 || pl->pay_mode > SLOT_PAY_AT_VISIT) {
        return SLOT_INVALID_ARGUMENT;
    }
    int rc = strArg(pl->hospital, false, slot_valid_name, SLOT_NAME_MAX,
                    &out->hospital);
    if (rc == SLOT_OK) {
        rc = strArg(pl->campus, true, slot_valid_name, SLOT_NAME_MAX,
                    &out->campus);
    }
    if (rc == SLOT_OK) {
        rc = strArg(pl->department, false, slot_valid_name, SLOT_NAME_MAX,
                    &out->department);
    }
    if (rc == SLOT_OK) {
        rc = strArg(pl->doctor, true, slot_valid_name, SLOT_NAME_MAX,
                    &out->doctor);
    }
    if (rc == SLOT_OK) {
        rc = namesArg(pl->n_eligible, pl->eligible, out->eligible);
    }
    if (rc == SLOT_OK) {
        rc = namesArg(pl->n_remainder_allow, pl->remainder_allow,
                      out->rem_allow);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    out->visit_day = pl->visit_day;
    out->pay_mode = (uint8_t)pl->pay_mode;
    out->visit_slot_ms = pl->visit_slot_ms;
    out->n_eligible = pl->n_eligible;
    out->n_rem_allow = pl->n_remainder_allow;
    return SLOT_OK;
}

size_t slotc__sched_bytes(const struct slot_sched *s)
{
    size_t n =
        s->hospital.len + s->campus.len + s->department.len + s->doctor.len + 4;
    for (uint32_t i = 0; i < s->n_eligible; i++) {
        n += s->eligible[i].len + 1;
    }
    for (uint32_t i = 0; i < s->n_rem_allow; i++) {
        n += s->rem_allow[i].len + 1;
    }
    return n;
}

int slotc__template_to_wire(const struct slotc_template *t,
                            struct slot_template *out, struct mp_buf *slices)
{
    memset(out, 0, sizeof *out);
    if (t->kind < 0 || t->kind > SLOT_KIND_MAX ||
        t->n_shares > SLOT_POOL_SHARES_MAX || t->n_days == 0 ||
        t->n_days > SLOT_TEMPLATE_DAYS_MAX || t->days == NULL ||
        t->n_segments == 0 || t->n_segments > SLOT_TEMPLATE_SEGS_MAX ||
        t->segments == NULL) {
        return SLOT_INVALID_ARGUMENT;
    }
    int rc = strArg(t->id_prefix, false, slot_valid_pool_id, SLOT_ID_PREFIX_MAX,
                    &out->id_prefix);
    if (rc == SLOT_OK) {
        rc = slotc__place_to_wire(&t->place, &out->sched);
    }
    for (uint32_t i = 0; i < t->n_shares && rc == SLOT_OK; i++) {
        rc = t->shares[i].permille > 0xffff
                 ? SLOT_INVALID_ARGUMENT
                 : strArg(t->shares[i].channel, false, slot_valid_channel,
                          SLOT_CHANNEL_MAX, &out->shares[i].name);
        out->shares[i].permille = (uint16_t)t->shares[i].permille;
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    out->sched.visit_day = 0;
    out->kind = (uint8_t)t->kind;
    out->fee_cents = t->fee_cents;
    out->n_shares = t->n_shares;
    /* Days and segments travel as msgpack arrays: pack them once, here. */
    struct slot_segment segs[SLOT_TEMPLATE_SEGS_MAX];
    for (uint32_t i = 0; i < t->n_segments; i++) {
        if (t->segments[i].start_minute > 0xffff ||
            t->segments[i].end_minute > 0xffff) {
            return SLOT_INVALID_ARGUMENT;
        }
        segs[i].start_minute = (uint16_t)t->segments[i].start_minute;
        segs[i].end_minute = (uint16_t)t->segments[i].end_minute;
        segs[i].capacity = t->segments[i].capacity;
    }
    size_t days_at = slices->len;
    slot_days_pack(slices, t->days, t->n_days);
    size_t segs_at = slices->len;
    slot_segments_pack(slices, segs, t->n_segments);
    out->n_days = t->n_days;
    out->days = (struct slot_str){(const char *)slices->data + days_at,
                                  (uint32_t)(segs_at - days_at)};
    out->n_segments = t->n_segments;
    out->segments = (struct slot_str){(const char *)slices->data + segs_at,
                                      (uint32_t)(slices->len - segs_at)};
    /* The template's rules: the parts the encoder requires, then days and
     * segments (increasing, capacities) by decoding what would be sent. */
    rc = slot_template_check(out);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct mp_buf enc;
    mp_buf_init(&enc);
    slot_template_encode(&enc, out);
    struct slot_template back;
    struct mp_reader r;
    mp_reader_init(&r, enc.data, enc.len);
    rc = slot_template_decode(&r, &back);
    mp_buf_free(&enc);
    return rc;
}

size_t slotc__template_bytes(const struct slot_template *t)
{
    size_t n = t->id_prefix.len + 1 + slotc__sched_bytes(&t->sched) +
               t->days.len + 1 + t->segments.len + 1;
    for (uint32_t i = 0; i < t->n_shares; i++) {
        n += t->shares[i].name.len + 1;
    }
    return n;
}

/* ---- replies --------------------------------------------------------------- */

static void convBucket(struct slotc_bucket *d, const struct slot_bucket *s)
{
    copyStr(d->channel, sizeof d->channel, s->channel);
    d->capacity = s->capacity;
    d->free = s->free;
    d->held = s->held;
    d->booked = s->booked;
    d->cooling = s->cooling;
}

static void convPlace(struct slotc_pool_place *d, const struct slot_place *s)
{
    copyStr(d->hospital, sizeof d->hospital, s->hospital);
    copyStr(d->campus, sizeof d->campus, s->campus);
    copyStr(d->department, sizeof d->department, s->department);
    copyStr(d->doctor, sizeof d->doctor, s->doctor);
    d->visit_day = s->visit_day;
    d->pay_mode = s->pay_mode;
    d->visit_slot_ms = s->visit_slot_ms;
    d->n_eligible = s->n_eligible;
    for (uint32_t i = 0; i < s->n_eligible && i < SLOTC_POOL_NAMES_MAX; i++) {
        copyStr(d->eligible[i], sizeof d->eligible[i], s->eligible[i]);
    }
    d->n_remainder_allow = s->n_rem_allow;
    for (uint32_t i = 0; i < s->n_rem_allow && i < SLOTC_POOL_NAMES_MAX; i++) {
        copyStr(d->remainder_allow[i], sizeof d->remainder_allow[i],
                s->rem_allow[i]);
    }
    d->flow_due_ms = s->flow_due_ms;
    d->flowed_back = s->flowed_back != 0;
}

void slotc__pool_from_wire(struct slotc_pool *d,
                           const struct slot_pool_status *s)
{
    memset(d, 0, sizeof *d);
    copyStr(d->pool, sizeof d->pool, s->pool);
    d->kind = s->kind;
    d->state = s->state;
    d->capacity = s->capacity;
    d->free = s->free;
    d->held = s->held;
    d->booked = s->booked;
    d->fee_cents = s->fee_cents;
    d->seg_start_ms = s->seg_start_ms;
    d->seg_end_ms = s->seg_end_ms;
    d->release_at_ms = s->release_at_ms;
    d->next_visit_no = s->next_visit_no;
    d->n_shares = s->n_shares;
    for (uint32_t i = 0; i < s->n_shares && i < SLOTC_SHARES_MAX; i++) {
        convBucket(&d->shares[i], &s->shares[i]);
    }
    convBucket(&d->remainder, &s->remainder);
    d->scheduled = s->has_place;
    if (s->has_place) {
        convPlace(&d->place, &s->place);
    }
    d->cooling = s->cooling;
    d->waiting = s->waiting;
}

void slotc__claim_from_wire(struct slotc_claim *d, const struct slot_claim *s)
{
    memset(d, 0, sizeof *d);
    d->id = s->id;
    d->state = s->state;
    copyStr(d->pool, sizeof d->pool, s->pool);
    copyStr(d->patient, sizeof d->patient, s->patient);
    copyStr(d->channel, sizeof d->channel, s->channel);
    d->held_at_ms = s->held_at_ms;
    d->deadline_ms = s->deadline_ms;
    d->booked_at_ms = s->booked_at_ms;
    d->resolved_at_ms = s->resolved_at_ms;
    d->visit_no = s->visit_no;
    copyStr(d->payment_ref, sizeof d->payment_ref, s->payment_ref);
    d->visit_start_ms = s->visit_start_ms;
    d->visit_end_ms = s->visit_end_ms;
    d->paid = s->paid != 0;
    copyStr(d->bucket, sizeof d->bucket, s->bucket);
    d->attendance = s->attendance;
    d->checked_in_at_ms = s->checked_in_at_ms;
    d->moved_to = s->moved_to;
    d->moved_from = s->moved_from;
    d->refunded = s->refunded != 0;
    d->affected = s->affected != 0;
    copyStr(d->pay_method, sizeof d->pay_method, s->pay_method);
    d->fee_paid_cents = s->fee_paid_cents;
}

void slotc__recon_row_from_wire(struct slotc_recon_row *d,
                                const struct slot_recon_row *s)
{
    memset(d, 0, sizeof *d);
    d->day = s->day;
    copyStr(d->hospital, sizeof d->hospital, s->hospital);
    copyStr(d->channel, sizeof d->channel, s->channel);
    copyStr(d->pay_method, sizeof d->pay_method, s->pay_method);
    d->booked = s->booked;
    d->checkin_paid = s->checkin_paid;
    d->checked_in = s->checked_in;
    d->cancelled = s->cancelled;
    d->refunded = s->refunded;
    d->moved = s->moved;
    d->no_show = s->no_show;
    d->booked_cents = s->booked_cents;
    d->checkin_paid_cents = s->checkin_paid_cents;
    d->cancelled_cents = s->cancelled_cents;
    d->refunded_cents = s->refunded_cents;
}

void slotc__stats_row_from_wire(struct slotc_stats_row *d,
                                const struct slot_stats_row *s)
{
    memset(d, 0, sizeof *d);
    d->visit_day = s->visit_day;
    copyStr(d->hospital, sizeof d->hospital, s->hospital);
    copyStr(d->department, sizeof d->department, s->department);
    d->pools = s->pools;
    d->released = s->released;
    d->capacity = s->capacity;
    d->booked_now = s->booked_now;
    d->booked_total = s->booked_total;
    d->cancelled_total = s->cancelled_total;
    d->refunded_total = s->refunded_total;
    d->moved_total = s->moved_total;
    d->no_show_total = s->no_show_total;
    d->checked_in_total = s->checked_in_total;
}

/* The wire's op of a staff log entry as the public op. */
static int staffOp(uint8_t op)
{
    switch (op) {
        case SLOT_OP_VIOLATION:
            return SLOTC_OP_VIOLATION;
        case SLOT_OP_UNBLOCK:
            return SLOTC_OP_UNBLOCK;
        case SLOT_OP_EXCEPTION:
            return SLOTC_OP_EXCEPTION;
        case SLOT_OP_POOL_STOP:
            return SLOTC_OP_POOL_STOP;
        default:
            return SLOTC_OP_NONE;
    }
}

void slotc__patient_info_from_wire(struct slotc_patient_info *d,
                                   const struct slot_patient_info *s,
                                   struct slotc_claim *claims)
{
    memset(d, 0, sizeof *d);
    copyStr(d->patient, sizeof d->patient, s->patient);
    copyStr(d->account, sizeof d->account, s->account);
    d->n_claims = s->claims != NULL ? s->n_claims : 0;
    for (uint32_t i = 0; i < d->n_claims; i++) {
        slotc__claim_from_wire(&claims[i], &s->claims[i]);
    }
    d->claims = claims;
    d->n_violations = s->n_violations;
    for (uint32_t i = 0; i < s->n_violations && i < SLOTC_VIOLATIONS_KEPT;
         i++) {
        d->violations[i].at_ms = s->violations[i].at_ms;
        copyStr(d->violations[i].hospital, sizeof d->violations[i].hospital,
                s->violations[i].hospital);
        d->violations[i].kind = s->violations[i].kind;
    }
    d->n_standing = s->n_standing;
    for (uint32_t i = 0; i < s->n_standing && i < SLOTC_VIOLATIONS_KEPT; i++) {
        const struct slot_standing *w = &s->standing[i];
        struct slotc_standing *p = &d->standing[i];
        copyStr(p->hospital, sizeof p->hospital, w->hospital);
        p->violations = w->violations;
        p->threshold = w->threshold;
        p->warning = w->warning;
        p->blacklisted_until_ms = w->blacklisted_until_ms;
        p->exception = w->exception;
    }
    d->n_cancels = s->n_cancels;
    for (uint32_t i = 0; i < s->n_cancels && i < SLOTC_CANCELS_KEPT; i++) {
        d->cancels_ms[i] = s->cancels_ms[i];
    }
}

void slotc__account_from_wire(struct slotc_account_info *d,
                              const struct slot_account_info *s)
{
    memset(d, 0, sizeof *d);
    copyStr(d->account, sizeof d->account, s->account);
    d->n_patients = s->n_patients;
    for (uint32_t i = 0; i < s->n_patients && i < SLOTC_ACCOUNT_PATIENTS_MAX;
         i++) {
        copyStr(d->patients[i], sizeof d->patients[i], s->patients[i]);
    }
    d->n_changes = s->n_changes;
    for (uint32_t i = 0; i < s->n_changes && i < SLOTC_ACCOUNT_CHANGES_KEPT;
         i++) {
        d->changes[i].at_ms = s->changes[i].at_ms;
        d->changes[i].unbinds = s->changes[i].unbinds;
    }
}

void slotc__staff_from_wire(struct slotc_staff_entry *d,
                            const struct slot_staff_entry *s)
{
    memset(d, 0, sizeof *d);
    d->seq = s->seq;
    d->at_ms = s->at_ms;
    d->op = staffOp(s->op);
    copyStr(d->hospital, sizeof d->hospital, s->hospital);
    copyStr(d->patient, sizeof d->patient, s->patient);
    d->kind = s->kind;
    copyStr(d->operator_name, sizeof d->operator_name, s->operator_name);
    copyStr(d->reason, sizeof d->reason, s->reason);
    copyStr(d->pool, sizeof d->pool, s->pool);
}

/* The cursor check is here rather than left to callers because a reader
 * that skipped it would take the page after a hole for the next one: the
 * hole must be an error it cannot overlook. */
int slotc__events_from_wire(struct mp_reader *r, uint64_t after, uint32_t cap,
                            struct slotc_event *out, uint32_t *n,
                            uint64_t *first, uint64_t *last)
{
    uint32_t count;
    *n = 0;
    if (!mp_expect_array(r, 3) || !mp_read_u64(r, first) ||
        !mp_read_u64(r, last) || !mp_read_array(r, &count) || count > cap) {
        return SLOT_MALFORMED;
    }
    if (*first > 0 && after < *first - 1) {
        return SLOT_CURSOR_EXPIRED;
    }
    /* The window is contiguous, so a page starts right after the cursor
     * and has no holes: anything else would be a gap the caller cannot
     * see. */
    for (uint32_t i = 0; i < count; i++) {
        struct slot_event e;
        uint64_t want = i == 0 ? after + 1 : out[i - 1].seq + 1;
        if (slot_event_decode(r, &e) != SLOT_OK || e.seq != want) {
            return SLOT_MALFORMED;
        }
        struct slotc_event *d = &out[i];
        memset(d, 0, sizeof *d);
        d->seq = e.seq;
        d->index = e.index;
        d->time_ms = e.time_ms;
        d->type = e.type;
        copyStr(d->pool, sizeof d->pool, e.pool);
        d->claim = e.claim;
        copyStr(d->patient, sizeof d->patient, e.patient);
        copyStr(d->channel, sizeof d->channel, e.channel);
        copyStr(d->account, sizeof d->account, e.account);
        copyStr(d->hospital, sizeof d->hospital, e.hospital);
        d->a = e.a;
        d->b = e.b;
        d->fee_cents = e.fee_cents;
        copyStr(d->payment_ref, sizeof d->payment_ref, e.payment_ref);
        copyStr(d->pay_method, sizeof d->pay_method, e.pay_method);
        d->local_day = e.local_day;
    }
    *n = count;
    return SLOT_OK;
}
