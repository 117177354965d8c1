/* slot_sched: codecs and validation of rule sets, schedule fields and
 * schedule templates (contract in slot_sched.h).
 *
 * Each message is read field by field with the reader's sticky error, so
 * the first problem wins and is reported with the protocol's usual codes
 * (MALFORMED for shape and type, TOO_LARGE for an over-long string or
 * list, INVALID_ARGUMENT for a value out of its range or charset); rules
 * that span fields (distinct names, ordering, sums) are checked once the
 * message is read, by the same *_check functions the encoders assert.
 */
#include "slot_sched.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "slot_proto.h"
#include "slot_time.h"
#include "slot_valid.h"

_Static_assert(SLOT_CHANNEL_NAME_MAX == SLOT_CHANNEL_MAX,
               "group and channel names share one namespace");
_Static_assert(SLOT_ID_PREFIX_MAX + 14 <= SLOT_POOL_ID_MAX,
               "template pool ids fit a pool id");

const char *slot_pay_mode_name(int mode)
{
    return mode == SLOT_PAY_ONLINE     ? "online"
           : mode == SLOT_PAY_AT_VISIT ? "at_visit"
                                       : NULL;
}

int slot_pay_mode_from_name(const char *name, size_t len)
{
    for (int m = SLOT_PAY_ONLINE; m <= SLOT_PAY_AT_VISIT; m++) {
        const char *n = slot_pay_mode_name(m);
        if (name != NULL && strlen(n) == len && memcmp(n, name, len) == 0) {
            return m;
        }
    }
    return -1;
}

/* ---- reading helpers ----------------------------------------------------- */

static bool fail(struct mp_reader *r, int code)
{
    if (r->err == 0) {
        r->err = code;
    }
    r->p = r->end;
    return false;
}

/* A string under a validator; over max is TOO_LARGE before its bytes are
 * looked at. empty_ok: "" is allowed (an optional name). */
static bool readChecked(struct mp_reader *r, uint32_t max,
                        int (*valid)(struct slot_str), bool empty_ok,
                        struct slot_str *out)
{
    if (!mp_read_str(r, max, out)) {
        return false;
    }
    if (empty_ok && out->len == 0) {
        return true;
    }
    int rc = valid(*out);
    return rc == SLOT_OK || fail(r, rc);
}

/* The same into a NUL-terminated char array of max + 1 bytes. */
static bool readCharsChecked(struct mp_reader *r, uint32_t max,
                             int (*valid)(struct slot_str), bool empty_ok,
                             char *out)
{
    struct slot_str s;
    if (!readChecked(r, max, valid, empty_ok, &s)) {
        return false;
    }
    memcpy(out, s.p, s.len);
    out[s.len] = '\0';
    return true;
}

static bool readUint(struct mp_reader *r, uint64_t min, uint64_t max,
                     uint64_t *v)
{
    if (!mp_read_uint(r, max, v)) {
        return false;
    }
    return *v >= min || fail(r, SLOT_INVALID_ARGUMENT);
}

/* A list header of at most max elements (more: TOO_LARGE). */
static bool readList(struct mp_reader *r, uint32_t max, uint32_t *n)
{
    if (!mp_read_array(r, n)) {
        return false;
    }
    return *n <= max || fail(r, SLOT_TOO_LARGE);
}

/* A minute of the day, or SLOT_MINUTE_NONE. */
static bool readMinuteOrNone(struct mp_reader *r, uint16_t *out)
{
    uint64_t v;
    if (!mp_read_uint(r, SLOT_MINUTE_NONE, &v)) {
        return false;
    }
    if (v >= SLOT_MINUTES_PER_DAY && v != SLOT_MINUTE_NONE) {
        return fail(r, SLOT_INVALID_ARGUMENT);
    }
    *out = (uint16_t)v;
    return true;
}

static int validPolicyName(struct slot_str s)
{
    return s.len == 1 && s.p[0] == '*' ? SLOT_OK : slot_valid_channel(s);
}

static bool strEqZ(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static bool sstrEq(struct slot_str a, struct slot_str b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* ---- rule sets ----------------------------------------------------------- */

void slot_patient_rules_default(struct slot_patient_rules *p)
{
    memset(p, 0, sizeof *p);
    p->cancel_minute = SLOT_MINUTE_NONE;
    p->violation_window_days = 30;
    p->blacklist_days = 90;
}

void slot_visit_rules_default(struct slot_visit_rules *v)
{
    memset(v, 0, sizeof *v);
    v->checkin_before_ms = SLOT_CHECKIN_MAX_MS;
}

void slot_rules_default(struct slot_rules *r)
{
    memset(r, 0, sizeof *r);
    r->cutoff_minute = SLOT_MINUTE_NONE;
    r->flowback_minute = SLOT_MINUTE_NONE;
    slot_patient_rules_default(&r->patient);
    slot_visit_rules_default(&r->visit);
}

#define SLOT_WINDOW_DAYS_MAX (SLOT_HORIZON_MAX * 10)

static bool validGroupOrChannel(const char *z);

static bool patientRulesOk(const struct slot_patient_rules *p)
{
    return p->cancel_days_before <= SLOT_HORIZON_MAX &&
           (p->cancel_minute < SLOT_MINUTES_PER_DAY ||
            p->cancel_minute == SLOT_MINUTE_NONE) &&
           p->cancel_limit_day <= SLOT_CANCELS_KEPT &&
           p->violation_window_days >= 1 &&
           p->violation_window_days <= SLOT_WINDOW_DAYS_MAX &&
           p->violation_threshold <= SLOT_VIOLATIONS_KEPT &&
           p->blacklist_days >= 1 &&
           p->blacklist_days <= SLOT_WINDOW_DAYS_MAX &&
           p->cooldown_min_ms <= p->cooldown_max_ms &&
           p->cooldown_max_ms <= SLOT_COOLDOWN_MAX_MS &&
           validGroupOrChannel(p->blacklist_exempt) &&
           validGroupOrChannel(p->account_channels) &&
           p->late_cancel_ms <= SLOT_LATE_CANCEL_MAX_MS;
}

static bool validTtl(uint32_t ms)
{
    return ms == 0 || (ms >= 1000 && ms <= 86400000u);
}

static bool groupHas(const struct slot_group *g, const char *ch)
{
    for (uint8_t i = 0; i < g->n; i++) {
        if (strEqZ(g->channels[i], ch)) {
            return true;
        }
    }
    return false;
}

static struct slot_str zstr(const char *z)
{
    return (struct slot_str){z, (uint32_t)strlen(z)};
}

/* "" or a channel / group name. */
static bool validGroupOrChannel(const char *z)
{
    return z[0] == '\0' || slot_valid_channel(zstr(z)) == SLOT_OK;
}

int slot_rules_check(const struct slot_rules *r)
{
    bool ok = r->utc_offset_min >= SLOT_UTC_OFFSET_MIN &&
              r->utc_offset_min <= SLOT_UTC_OFFSET_MAX &&
              r->release_minute < SLOT_MINUTES_PER_DAY &&
              r->horizon_days <= SLOT_HORIZON_MAX &&
              (r->cutoff_minute < SLOT_MINUTES_PER_DAY ||
               r->cutoff_minute == SLOT_MINUTE_NONE) &&
              validTtl(r->pay_ttl_ms) && validTtl(r->pay_ttl_max_ms) &&
              (r->pay_ttl_max_ms == 0 || r->pay_ttl_ms <= r->pay_ttl_max_ms) &&
              r->flowback_days_before <= SLOT_FLOWBACK_DAYS_MAX &&
              (r->flowback_minute < SLOT_MINUTES_PER_DAY ||
               r->flowback_minute == SLOT_MINUTE_NONE) &&
              (r->flowback_to[0] == '\0' ||
               slot_valid_channel(zstr(r->flowback_to)) == SLOT_OK) &&
              r->n_groups <= SLOT_GROUPS_MAX &&
              r->n_policies <= SLOT_POLICIES_MAX &&
              r->n_elig <= SLOT_ELIG_RULES_MAX && patientRulesOk(&r->patient) &&
              r->visit.checkin_before_ms <= SLOT_CHECKIN_MAX_MS &&
              r->visit.checkin_late_ms <= SLOT_CHECKIN_MAX_MS;
    if (!ok) {
        return SLOT_INVALID_ARGUMENT;
    }
    for (uint8_t i = 0; i < r->n_groups; i++) {
        const struct slot_group *g = &r->groups[i];
        if (slot_valid_channel(zstr(g->name)) != SLOT_OK || g->n < 1 ||
            g->n > SLOT_GROUP_CHANNELS_MAX) {
            return SLOT_INVALID_ARGUMENT;
        }
        for (uint8_t j = 0; j < g->n; j++) {
            if (slot_valid_channel(zstr(g->channels[j])) != SLOT_OK) {
                return SLOT_INVALID_ARGUMENT;
            }
            for (uint8_t k = 0; k < j; k++) {
                if (strEqZ(g->channels[k], g->channels[j])) {
                    return SLOT_INVALID_ARGUMENT;
                }
            }
        }
        /* A group name is never also a channel: "online" in a share must
         * mean one thing. */
        for (uint8_t k = 0; k < r->n_groups; k++) {
            if ((k < i && strEqZ(r->groups[k].name, g->name)) ||
                groupHas(&r->groups[k], g->name)) {
                return SLOT_INVALID_ARGUMENT;
            }
        }
    }
    for (uint8_t i = 0; i < r->n_policies; i++) {
        const struct slot_policy *p = &r->policies[i];
        if (validPolicyName(zstr(p->channel)) != SLOT_OK ||
            p->horizon_days > SLOT_HORIZON_MAX) {
            return SLOT_INVALID_ARGUMENT;
        }
        for (uint8_t k = 0; k < i; k++) {
            if (strEqZ(r->policies[k].channel, p->channel)) {
                return SLOT_INVALID_ARGUMENT;
            }
        }
    }
    for (uint8_t i = 0; i < r->n_elig; i++) {
        const struct slot_elig *e = &r->elig[i];
        if ((e->department[0] != '\0' &&
             slot_valid_name(zstr(e->department)) != SLOT_OK) ||
            (e->kind > SLOT_KIND_MAX && e->kind != SLOT_KIND_ANY) || e->n < 1 ||
            e->n > SLOT_POOL_NAMES_MAX) {
            return SLOT_INVALID_ARGUMENT;
        }
        for (uint8_t j = 0; j < e->n; j++) {
            if (slot_valid_channel(zstr(e->names[j])) != SLOT_OK) {
                return SLOT_INVALID_ARGUMENT;
            }
            for (uint8_t k = 0; k < j; k++) {
                if (strEqZ(e->names[k], e->names[j])) {
                    return SLOT_INVALID_ARGUMENT;
                }
            }
        }
    }
    return SLOT_OK;
}

static void readGroup(struct mp_reader *r, struct slot_group *g)
{
    uint32_t n;
    if (!mp_expect_array(r, 2) ||
        !readCharsChecked(r, SLOT_CHANNEL_MAX, slot_valid_channel, false,
                          g->name) ||
        !readList(r, SLOT_GROUP_CHANNELS_MAX, &n)) {
        return;
    }
    g->n = (uint8_t)n;
    for (uint32_t i = 0; i < n && r->err == 0; i++) {
        readCharsChecked(r, SLOT_CHANNEL_MAX, slot_valid_channel, false,
                         g->channels[i]);
    }
}

static void readPolicy(struct mp_reader *r, struct slot_policy *p)
{
    uint64_t h;
    if (mp_expect_array(r, 4) &&
        readCharsChecked(r, SLOT_CHANNEL_MAX, validPolicyName, false,
                         p->channel) &&
        readUint(r, 0, SLOT_HORIZON_MAX, &h) && mp_read_bool(r, &p->cutoff) &&
        mp_read_bool(r, &p->same_day)) {
        p->horizon_days = (uint16_t)h;
    }
}

static void readElig(struct mp_reader *r, struct slot_elig *e)
{
    uint64_t kind;
    uint32_t n;
    if (!mp_expect_array(r, 3) ||
        !readCharsChecked(r, SLOT_NAME_MAX, slot_valid_name, true,
                          e->department) ||
        !readUint(r, 0, SLOT_KIND_ANY, &kind) ||
        !readList(r, SLOT_POOL_NAMES_MAX, &n)) {
        return;
    }
    if (kind > SLOT_KIND_MAX && kind != SLOT_KIND_ANY) {
        fail(r, SLOT_INVALID_ARGUMENT);
        return;
    }
    e->kind = (uint8_t)kind;
    e->n = (uint8_t)n;
    for (uint32_t i = 0; i < n && r->err == 0; i++) {
        readCharsChecked(r, SLOT_CHANNEL_MAX, slot_valid_channel, false,
                         e->names[i]);
    }
}

#define RULES_FIELDS_V1      13
#define RULES_FIELDS_V2      14 /* version 2: + the patient rules */
#define RULES_FIELDS         15 /* version 3: + the visit-day rules */
#define PATIENT_RULES_FIELDS 19
#define VISIT_RULES_FIELDS   3

static bool readU8(struct mp_reader *r, uint64_t max, uint8_t *out)
{
    uint64_t v;
    if (!readUint(r, 0, max, &v)) {
        return false;
    }
    *out = (uint8_t)v;
    return true;
}

static bool readU16(struct mp_reader *r, uint64_t min, uint64_t max,
                    uint16_t *out)
{
    uint64_t v;
    if (!readUint(r, min, max, &v)) {
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

/* The ranges are slot_rules_check's (patientRulesOk), checked after. */
static void readPatientRules(struct mp_reader *r, struct slot_patient_rules *p)
{
    (void)(mp_expect_array(r, PATIENT_RULES_FIELDS) &&
           readU8(r, UINT8_MAX, &p->quota_day_normal) &&
           readU8(r, UINT8_MAX, &p->quota_day_expert) &&
           readU8(r, UINT8_MAX, &p->quota_dept_expert) &&
           readU8(r, UINT8_MAX, &p->quota_month_normal) &&
           readU8(r, UINT8_MAX, &p->quota_month_expert) &&
           readU16(r, 0, SLOT_HORIZON_MAX, &p->cancel_days_before) &&
           readMinuteOrNone(r, &p->cancel_minute) &&
           mp_read_bool(r, &p->cancel_same_day) &&
           readU8(r, SLOT_CANCELS_KEPT, &p->cancel_limit_day) &&
           readU16(r, 1, SLOT_WINDOW_DAYS_MAX, &p->violation_window_days) &&
           readU8(r, SLOT_VIOLATIONS_KEPT, &p->violation_threshold) &&
           readU16(r, 1, SLOT_WINDOW_DAYS_MAX, &p->blacklist_days) &&
           readCharsChecked(r, SLOT_CHANNEL_MAX, slot_valid_channel, true,
                            p->blacklist_exempt) &&
           mp_read_bool(r, &p->unpaid_is_violation) &&
           mp_read_u32(r, &p->cooldown_min_ms) &&
           mp_read_u32(r, &p->cooldown_max_ms) &&
           readCharsChecked(r, SLOT_CHANNEL_MAX, slot_valid_channel, true,
                            p->account_channels) &&
           mp_read_bool(r, &p->quota_per_account) &&
           mp_read_u32(r, &p->late_cancel_ms));
}

static void readVisitRules(struct mp_reader *r, struct slot_visit_rules *v)
{
    (void)(mp_expect_array(r, VISIT_RULES_FIELDS) &&
           mp_read_u32(r, &v->checkin_before_ms) &&
           mp_read_u32(r, &v->checkin_late_ms) &&
           mp_read_bool(r, &v->noshow_sweep));
}

static void packVisitRules(struct mp_buf *b, const struct slot_visit_rules *v)
{
    mp_pack_array(b, VISIT_RULES_FIELDS);
    mp_pack_uint(b, v->checkin_before_ms);
    mp_pack_uint(b, v->checkin_late_ms);
    mp_pack_bool(b, v->noshow_sweep);
}

static void packPatientRules(struct mp_buf *b,
                             const struct slot_patient_rules *p)
{
    mp_pack_array(b, PATIENT_RULES_FIELDS);
    mp_pack_uint(b, p->quota_day_normal);
    mp_pack_uint(b, p->quota_day_expert);
    mp_pack_uint(b, p->quota_dept_expert);
    mp_pack_uint(b, p->quota_month_normal);
    mp_pack_uint(b, p->quota_month_expert);
    mp_pack_uint(b, p->cancel_days_before);
    mp_pack_uint(b, p->cancel_minute);
    mp_pack_bool(b, p->cancel_same_day);
    mp_pack_uint(b, p->cancel_limit_day);
    mp_pack_uint(b, p->violation_window_days);
    mp_pack_uint(b, p->violation_threshold);
    mp_pack_uint(b, p->blacklist_days);
    mp_pack_cstr(b, p->blacklist_exempt);
    mp_pack_bool(b, p->unpaid_is_violation);
    mp_pack_uint(b, p->cooldown_min_ms);
    mp_pack_uint(b, p->cooldown_max_ms);
    mp_pack_cstr(b, p->account_channels);
    mp_pack_bool(b, p->quota_per_account);
    mp_pack_uint(b, p->late_cancel_ms);
}

int slot_rules_decode(struct mp_reader *r, struct slot_rules *out)
{
    slot_rules_default(out);
    uint64_t version, v;
    int64_t offset;
    uint32_t n, fields;
    if (!mp_read_array(r, &fields)) {
        return r->err;
    }
    if (fields < 1) {
        fail(r, SLOT_MALFORMED);
        return r->err;
    }
    if (!mp_read_uint(r, UINT32_MAX, &version)) {
        return r->err;
    }
    /* Older rule sets stay readable: RULES_SET entries in the Raft log
     * and older snapshots hold them. */
    if (version < 1 || version > SLOT_RULES_VERSION) {
        fail(r, SLOT_BAD_VERSION);
        return r->err;
    }
    if (fields != (version == 1   ? RULES_FIELDS_V1
                   : version == 2 ? RULES_FIELDS_V2
                                  : RULES_FIELDS)) {
        fail(r, SLOT_MALFORMED);
        return r->err;
    }
    if (!mp_read_int(r, SLOT_UTC_OFFSET_MIN, SLOT_UTC_OFFSET_MAX, &offset)) {
        return r->err;
    }
    out->utc_offset_min = (int16_t)offset;
    if (!readUint(r, 0, SLOT_MINUTES_PER_DAY - 1, &v)) {
        return r->err;
    }
    out->release_minute = (uint16_t)v;
    if (!readUint(r, 0, SLOT_HORIZON_MAX, &v)) {
        return r->err;
    }
    out->horizon_days = (uint16_t)v;
    if (!readMinuteOrNone(r, &out->cutoff_minute) ||
        !mp_read_u32(r, &out->pay_ttl_ms) ||
        !mp_read_u32(r, &out->pay_ttl_max_ms) ||
        !readUint(r, 0, SLOT_FLOWBACK_DAYS_MAX, &v)) {
        return r->err;
    }
    out->flowback_days_before = (uint8_t)v;
    if (!readMinuteOrNone(r, &out->flowback_minute) ||
        !readCharsChecked(r, SLOT_CHANNEL_MAX, slot_valid_channel, true,
                          out->flowback_to) ||
        !readList(r, SLOT_GROUPS_MAX, &n)) {
        return r->err;
    }
    out->n_groups = (uint8_t)n;
    for (uint32_t i = 0; i < n && r->err == 0; i++) {
        readGroup(r, &out->groups[i]);
    }
    if (r->err != 0 || !readList(r, SLOT_POLICIES_MAX, &n)) {
        return r->err;
    }
    out->n_policies = (uint8_t)n;
    for (uint32_t i = 0; i < n && r->err == 0; i++) {
        readPolicy(r, &out->policies[i]);
    }
    if (r->err != 0 || !readList(r, SLOT_ELIG_RULES_MAX, &n)) {
        return r->err;
    }
    out->n_elig = (uint8_t)n;
    for (uint32_t i = 0; i < n && r->err == 0; i++) {
        readElig(r, &out->elig[i]);
    }
    if (r->err == 0 && version >= 2) {
        readPatientRules(r, &out->patient);
    }
    if (r->err == 0 && version >= 3) {
        readVisitRules(r, &out->visit);
    }
    if (r->err == 0 && slot_rules_check(out) != SLOT_OK) {
        fail(r, slot_rules_check(out));
    }
    return r->err;
}

void slot_rules_encode(struct mp_buf *b, const struct slot_rules *r)
{
    assert(slot_rules_check(r) == SLOT_OK);
    mp_pack_array(b, RULES_FIELDS);
    mp_pack_uint(b, SLOT_RULES_VERSION);
    mp_pack_int(b, r->utc_offset_min);
    mp_pack_uint(b, r->release_minute);
    mp_pack_uint(b, r->horizon_days);
    mp_pack_uint(b, r->cutoff_minute);
    mp_pack_uint(b, r->pay_ttl_ms);
    mp_pack_uint(b, r->pay_ttl_max_ms);
    mp_pack_uint(b, r->flowback_days_before);
    mp_pack_uint(b, r->flowback_minute);
    mp_pack_cstr(b, r->flowback_to);
    mp_pack_array(b, r->n_groups);
    for (uint8_t i = 0; i < r->n_groups; i++) {
        const struct slot_group *g = &r->groups[i];
        mp_pack_array(b, 2);
        mp_pack_cstr(b, g->name);
        mp_pack_array(b, g->n);
        for (uint8_t j = 0; j < g->n; j++) {
            mp_pack_cstr(b, g->channels[j]);
        }
    }
    mp_pack_array(b, r->n_policies);
    for (uint8_t i = 0; i < r->n_policies; i++) {
        const struct slot_policy *p = &r->policies[i];
        mp_pack_array(b, 4);
        mp_pack_cstr(b, p->channel);
        mp_pack_uint(b, p->horizon_days);
        mp_pack_bool(b, p->cutoff);
        mp_pack_bool(b, p->same_day);
    }
    mp_pack_array(b, r->n_elig);
    for (uint8_t i = 0; i < r->n_elig; i++) {
        const struct slot_elig *e = &r->elig[i];
        mp_pack_array(b, 3);
        mp_pack_cstr(b, e->department);
        mp_pack_uint(b, e->kind);
        mp_pack_array(b, e->n);
        for (uint8_t j = 0; j < e->n; j++) {
            mp_pack_cstr(b, e->names[j]);
        }
    }
    packPatientRules(b, &r->patient);
    packVisitRules(b, &r->visit);
}

static int validReason(struct slot_str s)
{
    return slot_valid_text(s, SLOT_REASON_MAX);
}

#define INFO_FIELDS 7

void slot_rules_info_encode(struct mp_buf *b, const struct slot_rules_info *i)
{
    mp_pack_array(b, INFO_FIELDS);
    mp_pack_bool(b, i->inherited);
    mp_pack_uint(b, i->version);
    mp_pack_cstr(b, i->department);
    mp_pack_uint(b, i->changed_at_ms);
    mp_pack_cstr(b, i->operator_name);
    mp_pack_cstr(b, i->reason);
    slot_rules_encode(b, &i->rules);
}

int slot_rules_info_decode(struct mp_reader *r, struct slot_rules_info *i)
{
    memset(i, 0, sizeof *i);
    if (mp_expect_array(r, INFO_FIELDS) && mp_read_bool(r, &i->inherited) &&
        mp_read_u64(r, &i->version) &&
        readCharsChecked(r, SLOT_NAME_MAX, slot_valid_name, true,
                         i->department) &&
        readUint(r, 0, SLOT_TIME_MAX_MS, &i->changed_at_ms) &&
        readCharsChecked(r, SLOT_OPERATOR_MAX, slot_valid_operator, false,
                         i->operator_name) &&
        readCharsChecked(r, SLOT_REASON_MAX, validReason, false, i->reason)) {
        slot_rules_decode(r, &i->rules);
    }
    return r->err;
}

static bool zEqN(const char *z, const char *p, size_t len)
{
    return strlen(z) == len && memcmp(z, p, len) == 0;
}

const struct slot_group *slot_rules_group(const struct slot_rules *r,
                                          const char *name, size_t len)
{
    for (uint8_t i = 0; i < r->n_groups; i++) {
        if (zEqN(r->groups[i].name, name, len)) {
            return &r->groups[i];
        }
    }
    return NULL;
}

bool slot_rules_covers(const struct slot_rules *r, const char *name,
                       size_t name_len, const char *ch, size_t ch_len)
{
    if (name_len == ch_len && memcmp(name, ch, ch_len) == 0) {
        return true;
    }
    const struct slot_group *g = slot_rules_group(r, name, name_len);
    for (uint8_t i = 0; g != NULL && i < g->n; i++) {
        if (zEqN(g->channels[i], ch, ch_len)) {
            return true;
        }
    }
    return false;
}

struct slot_policy slot_rules_policy(const struct slot_rules *r, const char *ch,
                                     size_t ch_len)
{
    const struct slot_policy *own = NULL, *group = NULL, *any = NULL;
    for (uint8_t i = 0; i < r->n_policies; i++) {
        const struct slot_policy *p = &r->policies[i];
        if (zEqN(p->channel, ch, ch_len)) {
            own = p;
            break;
        }
        if (group == NULL && p->channel[0] != '*' &&
            slot_rules_covers(r, p->channel, strlen(p->channel), ch, ch_len)) {
            group = p;
        }
        if (any == NULL && strEqZ(p->channel, "*")) {
            any = p;
        }
    }
    const struct slot_policy *p = own != NULL     ? own
                                  : group != NULL ? group
                                                  : any;
    if (p != NULL) {
        return *p;
    }
    struct slot_policy d;
    memset(&d, 0, sizeof d);
    d.cutoff = true;
    d.same_day = true;
    return d;
}

/* ---- a pool's schedule fields ------------------------------------------ */

static bool namesDistinct(const struct slot_str *names, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < i; j++) {
            if (sstrEq(names[i], names[j])) {
                return false;
            }
        }
    }
    return true;
}

static int checkNames(const struct slot_str *names, uint32_t n)
{
    if (n > SLOT_POOL_NAMES_MAX) {
        return SLOT_TOO_LARGE;
    }
    for (uint32_t i = 0; i < n; i++) {
        int rc = slot_valid_channel(names[i]);
        if (rc != SLOT_OK) {
            return rc;
        }
    }
    return namesDistinct(names, n) ? SLOT_OK : SLOT_INVALID_ARGUMENT;
}

/* Common to a pool's schedule fields and a template's. */
static int checkPlace(const struct slot_sched *s)
{
    int rc = slot_valid_name(s->hospital);
    if (rc == SLOT_OK && s->campus.len > 0) {
        rc = slot_valid_name(s->campus);
    }
    if (rc == SLOT_OK) {
        rc = slot_valid_name(s->department);
    }
    if (rc == SLOT_OK && s->doctor.len > 0) {
        rc = slot_valid_name(s->doctor);
    }
    if (rc == SLOT_OK) {
        rc = checkNames(s->eligible, s->n_eligible);
    }
    if (rc == SLOT_OK) {
        rc = checkNames(s->rem_allow, s->n_rem_allow);
    }
    if (rc == SLOT_OK && (s->pay_mode > SLOT_PAY_AT_VISIT ||
                          s->visit_slot_ms > SLOT_VISIT_SLOT_MAX_MS)) {
        rc = SLOT_INVALID_ARGUMENT;
    }
    return rc;
}

int slot_sched_check(const struct slot_sched *s)
{
    int rc = checkPlace(s);
    if (rc == SLOT_OK && (s->visit_day < 1 || s->visit_day > SLOT_DAY_MAX)) {
        rc = SLOT_INVALID_ARGUMENT;
    }
    return rc;
}

static void readNameList(struct mp_reader *r, struct slot_str *out, uint32_t *n)
{
    if (!readList(r, SLOT_POOL_NAMES_MAX, n)) {
        return;
    }
    for (uint32_t i = 0; i < *n && r->err == 0; i++) {
        readChecked(r, SLOT_CHANNEL_MAX, slot_valid_channel, false, &out[i]);
    }
}

static void packNameList(struct mp_buf *b, const struct slot_str *names,
                         uint32_t n)
{
    mp_pack_array(b, n);
    for (uint32_t i = 0; i < n; i++) {
        mp_pack_sstr(b, names[i]);
    }
}

/* hospital, campus, department, doctor: the head of both messages. */
static bool readPlaceNames(struct mp_reader *r, struct slot_sched *s)
{
    return readChecked(r, SLOT_NAME_MAX, slot_valid_name, false,
                       &s->hospital) &&
           readChecked(r, SLOT_NAME_MAX, slot_valid_name, true, &s->campus) &&
           readChecked(r, SLOT_NAME_MAX, slot_valid_name, false,
                       &s->department) &&
           readChecked(r, SLOT_NAME_MAX, slot_valid_name, true, &s->doctor);
}

static void packPlaceNames(struct mp_buf *b, const struct slot_sched *s)
{
    mp_pack_sstr(b, s->hospital);
    mp_pack_sstr(b, s->campus);
    mp_pack_sstr(b, s->department);
    mp_pack_sstr(b, s->doctor);
}

static bool readPayAndSlot(struct mp_reader *r, struct slot_sched *s)
{
    uint64_t v;
    if (!readUint(r, 0, SLOT_PAY_AT_VISIT, &v)) {
        return false;
    }
    s->pay_mode = (uint8_t)v;
    if (!readUint(r, 0, SLOT_VISIT_SLOT_MAX_MS, &v)) {
        return false;
    }
    s->visit_slot_ms = (uint32_t)v;
    return true;
}

#define SCHED_FIELDS 9

int slot_sched_decode(struct mp_reader *r, struct slot_sched *out)
{
    memset(out, 0, sizeof *out);
    uint64_t day;
    if (!mp_expect_array(r, SCHED_FIELDS) || !readPlaceNames(r, out) ||
        !readUint(r, 1, SLOT_DAY_MAX, &day)) {
        return r->err;
    }
    out->visit_day = (uint32_t)day;
    if (!readPayAndSlot(r, out)) {
        return r->err;
    }
    readNameList(r, out->eligible, &out->n_eligible);
    readNameList(r, out->rem_allow, &out->n_rem_allow);
    if (r->err == 0 && slot_sched_check(out) != SLOT_OK) {
        fail(r, slot_sched_check(out));
    }
    return r->err;
}

void slot_sched_encode(struct mp_buf *b, const struct slot_sched *s)
{
    assert(slot_sched_check(s) == SLOT_OK);
    mp_pack_array(b, SCHED_FIELDS);
    packPlaceNames(b, s);
    mp_pack_uint(b, s->visit_day);
    mp_pack_uint(b, s->pay_mode);
    mp_pack_uint(b, s->visit_slot_ms);
    packNameList(b, s->eligible, s->n_eligible);
    packNameList(b, s->rem_allow, s->n_rem_allow);
}

/* ---- schedule templates ----------------------------------------------- */

static int validIdPrefix(struct slot_str s)
{
    if (s.len > SLOT_ID_PREFIX_MAX) {
        return SLOT_TOO_LARGE;
    }
    return slot_valid_pool_id(s);
}

/* Reads [day, ...]: strictly increasing days in 1..SLOT_DAY_MAX. */
static void readDays(struct mp_reader *r, struct slot_template *t)
{
    const uint8_t *start = r->p;
    uint64_t prev = 0, day;
    if (!readList(r, SLOT_TEMPLATE_DAYS_MAX, &t->n_days)) {
        return;
    }
    if (t->n_days == 0) {
        fail(r, SLOT_INVALID_ARGUMENT);
        return;
    }
    for (uint32_t i = 0; i < t->n_days; i++) {
        if (!readUint(r, 1, SLOT_DAY_MAX, &day)) {
            return;
        }
        if (day <= prev) {
            fail(r, SLOT_INVALID_ARGUMENT);
            return;
        }
        prev = day;
    }
    t->days = (struct slot_str){(const char *)start, (uint32_t)(r->p - start)};
}

/* Reads [[start, end, capacity], ...]: increasing, not overlapping. */
static void readSegments(struct mp_reader *r, struct slot_template *t)
{
    const uint8_t *start = r->p;
    uint64_t prev_end = 0, s, e, cap;
    if (!readList(r, SLOT_TEMPLATE_SEGS_MAX, &t->n_segments)) {
        return;
    }
    if (t->n_segments == 0) {
        fail(r, SLOT_INVALID_ARGUMENT);
        return;
    }
    for (uint32_t i = 0; i < t->n_segments; i++) {
        if (!mp_expect_array(r, 3) ||
            !readUint(r, 0, SLOT_MINUTES_PER_DAY - 1, &s) ||
            !readUint(r, 1, SLOT_MINUTES_PER_DAY, &e) ||
            !readUint(r, 1, SLOT_POOL_CAPACITY_MAX, &cap)) {
            return;
        }
        if (s >= e || (i > 0 && s < prev_end)) {
            fail(r, SLOT_INVALID_ARGUMENT);
            return;
        }
        prev_end = e;
    }
    t->segments =
        (struct slot_str){(const char *)start, (uint32_t)(r->p - start)};
}

static int checkTemplateShares(const struct slot_template *t)
{
    uint32_t sum = 0;
    struct slot_str names[SLOT_POOL_SHARES_MAX];
    if (t->n_shares > SLOT_POOL_SHARES_MAX) {
        return SLOT_TOO_LARGE;
    }
    for (uint32_t i = 0; i < t->n_shares; i++) {
        int rc = slot_valid_channel(t->shares[i].name);
        if (rc != SLOT_OK) {
            return rc;
        }
        if (t->shares[i].permille < 1 || t->shares[i].permille > 1000) {
            return SLOT_INVALID_ARGUMENT;
        }
        sum += t->shares[i].permille;
        names[i] = t->shares[i].name;
    }
    return sum <= 1000 && namesDistinct(names, t->n_shares)
               ? SLOT_OK
               : SLOT_INVALID_ARGUMENT;
}

int slot_template_check(const struct slot_template *t)
{
    int rc = validIdPrefix(t->id_prefix);
    if (rc == SLOT_OK) {
        rc = checkPlace(&t->sched);
    }
    if (rc == SLOT_OK) {
        rc = t->kind > SLOT_KIND_MAX || t->fee_cents > SLOT_FEE_MAX_CENTS
                 ? SLOT_INVALID_ARGUMENT
                 : checkTemplateShares(t);
    }
    return rc;
}

#define TEMPLATE_FIELDS 14

int slot_template_decode(struct mp_reader *r, struct slot_template *out)
{
    memset(out, 0, sizeof *out);
    uint64_t kind, v;
    uint32_t n;
    if (!mp_expect_array(r, TEMPLATE_FIELDS) ||
        !readChecked(r, SLOT_ID_PREFIX_MAX, validIdPrefix, false,
                     &out->id_prefix) ||
        !readPlaceNames(r, &out->sched) ||
        !readUint(r, 0, SLOT_KIND_MAX, &kind) ||
        !readUint(r, 0, SLOT_FEE_MAX_CENTS, &out->fee_cents) ||
        !readPayAndSlot(r, &out->sched) ||
        !readList(r, SLOT_POOL_SHARES_MAX, &n)) {
        return r->err;
    }
    out->kind = (uint8_t)kind;
    out->n_shares = n;
    for (uint32_t i = 0; i < n && r->err == 0; i++) {
        if (mp_expect_array(r, 2) &&
            readChecked(r, SLOT_CHANNEL_MAX, slot_valid_channel, false,
                        &out->shares[i].name) &&
            readUint(r, 1, 1000, &v)) {
            out->shares[i].permille = (uint16_t)v;
        }
    }
    if (r->err != 0) {
        return r->err;
    }
    readNameList(r, out->sched.eligible, &out->sched.n_eligible);
    readNameList(r, out->sched.rem_allow, &out->sched.n_rem_allow);
    readDays(r, out);
    readSegments(r, out);
    if (r->err != 0) {
        return r->err;
    }
    int rc = checkPlace(&out->sched);
    if (rc == SLOT_OK) {
        rc = checkTemplateShares(out);
    }
    if (rc != SLOT_OK) {
        fail(r, rc);
    }
    return r->err;
}

void slot_days_pack(struct mp_buf *b, const uint32_t *days, uint32_t n)
{
    mp_pack_array(b, n);
    for (uint32_t i = 0; i < n; i++) {
        mp_pack_uint(b, days[i]);
    }
}

void slot_segments_pack(struct mp_buf *b, const struct slot_segment *s,
                        uint32_t n)
{
    mp_pack_array(b, n);
    for (uint32_t i = 0; i < n; i++) {
        mp_pack_array(b, 3);
        mp_pack_uint(b, s[i].start_minute);
        mp_pack_uint(b, s[i].end_minute);
        mp_pack_uint(b, s[i].capacity);
    }
}

void slot_template_encode(struct mp_buf *b, const struct slot_template *t)
{
    assert(checkPlace(&t->sched) == SLOT_OK);
    assert(checkTemplateShares(t) == SLOT_OK);
    mp_pack_array(b, TEMPLATE_FIELDS);
    mp_pack_sstr(b, t->id_prefix);
    packPlaceNames(b, &t->sched);
    mp_pack_uint(b, t->kind);
    mp_pack_uint(b, t->fee_cents);
    mp_pack_uint(b, t->sched.pay_mode);
    mp_pack_uint(b, t->sched.visit_slot_ms);
    mp_pack_array(b, t->n_shares);
    for (uint32_t i = 0; i < t->n_shares; i++) {
        mp_pack_array(b, 2);
        mp_pack_sstr(b, t->shares[i].name);
        mp_pack_uint(b, t->shares[i].permille);
    }
    packNameList(b, t->sched.eligible, t->sched.n_eligible);
    packNameList(b, t->sched.rem_allow, t->sched.n_rem_allow);
    mp_buf_append(b, t->days.p, t->days.len);
    mp_buf_append(b, t->segments.p, t->segments.len);
}

void slot_template_days(const struct slot_template *t, uint32_t *out)
{
    struct mp_reader r;
    uint32_t n = 0;
    mp_reader_init(&r, t->days.p, t->days.len);
    bool ok = mp_read_array(&r, &n) && n == t->n_days;
    for (uint32_t i = 0; ok && i < n; i++) {
        ok = mp_read_u32(&r, &out[i]);
    }
    assert(ok && mp_done(&r));
    (void)ok;
}

void slot_template_segments(const struct slot_template *t,
                            struct slot_segment *out)
{
    struct mp_reader r;
    uint32_t n = 0;
    uint64_t s = 0, e = 0, cap = 0;
    mp_reader_init(&r, t->segments.p, t->segments.len);
    bool ok = mp_read_array(&r, &n) && n == t->n_segments;
    for (uint32_t i = 0; ok && i < n; i++) {
        ok = mp_expect_array(&r, 3) && mp_read_uint(&r, UINT16_MAX, &s) &&
             mp_read_uint(&r, UINT16_MAX, &e) &&
             mp_read_uint(&r, UINT32_MAX, &cap);
        out[i] = (struct slot_segment){(uint16_t)s, (uint16_t)e, (uint32_t)cap};
    }
    assert(ok && mp_done(&r));
    (void)ok;
}

uint32_t slot_template_pool_id(const struct slot_template *t, uint32_t day,
                               const struct slot_segment *seg, char *id)
{
    int64_t y;
    uint32_t m, d;
    slot_civil_from_day(day, &y, &m, &d);
    int n = snprintf(id, SLOT_POOL_ID_MAX + 1, "%.*s/%04d%02u%02u/%02u%02u",
                     (int)t->id_prefix.len, t->id_prefix.p, (int)y, m, d,
                     seg->start_minute / 60u, seg->start_minute % 60u);
    assert(n > 0 && n <= (int)SLOT_POOL_ID_MAX);
    return (uint32_t)n;
}
