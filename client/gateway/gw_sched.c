/* gw_sched: rule sets, templates, places and query strings as JSON (see
 * gw_sched.h). */
#include "gw_sched.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "gw_events.h"
#include "gw_jsonInt.h"
#include "gw_route.h"
#include "gw_stats.h"
#include "slot_time.h"
#include "slot_valid.h"
#include "slotctl_sched.h"

/* slot_sched.h: pay_ttl_ms and pay_ttl_max_ms are 0 or in this range. */
#define PAY_TTL_MIN_MS 1000u
#define PAY_TTL_MAX_MS 86400000u

#define PATH_MAX_ 96 /* a field's path in a message */

static const char *const kindList =
    "\"normal\", \"expert\", \"special\" or \"top_expert\"";

/* ---- paths and members -------------------------------------------------- */

/* "base.key", or "key" when base is "". Paths are short (a few levels
 * of our own names): a longer one is cut. */
static const char *at(char *out, const char *base, const char *key)
{
    if (snprintf(out, PATH_MAX_, "%s%s%s", base, base[0] != '\0' ? "." : "",
                 key) >= PATH_MAX_) {
        out[PATH_MAX_ - 1] = '\0';
    }
    return out;
}

/* "base[i]". */
static const char *atIndex(char *out, const char *base, size_t i)
{
    if (snprintf(out, PATH_MAX_, "%s[%zu]", base, i) >= PATH_MAX_) {
        out[PATH_MAX_ - 1] = '\0';
    }
    return out;
}

/* The member key of o, or NULL; MALFORMED if required and missing. */
static bool member(json_t *o, const char *key, const char *path, bool required,
                   json_t **v, struct gw_fail *f)
{
    *v = json_object_get(o, key);
    if (*v == NULL && required) {
        return gw__fail(f, SLOT_MALFORMED, "missing field \"%s\"", path);
    }
    return true;
}

/* Unknown members of the object at path. */
static bool onlyKnownAt(json_t *o, const char *const *known, const char *path,
                        struct gw_fail *f)
{
    char where[PATH_MAX_ + 8];
    if (path[0] == '\0') {
        where[0] = '\0';
    } else {
        snprintf(where, sizeof where, "in \"%s\":", path);
    }
    return gw__only_known(o, known, where, f);
}

static bool isObject(json_t *v, const char *path, struct gw_fail *f)
{
    return json_is_object(v) ||
           gw__fail(f, SLOT_MALFORMED, "\"%s\" must be an object", path);
}

/* An array of at most max elements (INVALID_ARGUMENT beyond). */
static bool isArray(json_t *v, const char *path, size_t min, size_t max,
                    const char *what, struct gw_fail *f)
{
    if (!json_is_array(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be an array", path);
    }
    size_t n = json_array_size(v);
    if (n < min || n > max) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"%s\" must list %zu..%zu %s", path, min, max, what);
    }
    return true;
}

/* A string member into dst by rule; empty_ok: "" is allowed (none). */
static bool strAt(json_t *o, const char *key, const char *base, bool required,
                  bool empty_ok, const struct gw__str_rule *rule, char *dst,
                  size_t cap, struct gw_fail *f)
{
    char path[PATH_MAX_], what[PATH_MAX_ + 2];
    json_t *v;
    at(path, base, key);
    if (!member(o, key, path, required, &v, f)) {
        return false;
    }
    if (v == NULL) {
        return true;
    }
    if (!json_is_string(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be a string", path);
    }
    if (empty_ok && json_string_length(v) == 0) {
        dst[0] = '\0';
        return true;
    }
    snprintf(what, sizeof what, "\"%s\"", path);
    return gw__str_arg(rule, json_string_value(v), json_string_length(v), dst,
                       cap, what, f);
}

/* An integer member in min..max into *out (untouched when absent). */
static bool uintAt(json_t *o, const char *key, const char *base, bool required,
                   uint64_t min, uint64_t max, uint64_t *out, struct gw_fail *f)
{
    char path[PATH_MAX_];
    json_t *v;
    at(path, base, key);
    if (!member(o, key, path, required, &v, f)) {
        return false;
    }
    if (v == NULL) {
        return true;
    }
    if (!json_is_integer(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be an integer", path);
    }
    json_int_t i = json_integer_value(v);
    if (i < 0 || (uint64_t)i < min || (uint64_t)i > max) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"%s\" must be in %" PRIu64 "..%" PRIu64, path, min,
                        max);
    }
    *out = (uint64_t)i;
    return true;
}

static bool boolAt(json_t *o, const char *key, const char *base, bool *out,
                   struct gw_fail *f)
{
    char path[PATH_MAX_];
    json_t *v = json_object_get(o, key);
    if (v == NULL) {
        return true;
    }
    if (!json_is_boolean(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be true or false",
                        at(path, base, key));
    }
    *out = json_is_true(v);
    return true;
}

/* "HH:MM" (or null when nullable: *minute = -1). end: "24:00" too (1440,
 * a segment's end). */
static bool timeAt(json_t *o, const char *key, const char *base, bool required,
                   bool nullable, bool end, int32_t *minute, struct gw_fail *f)
{
    char path[PATH_MAX_];
    json_t *v;
    at(path, base, key);
    if (!member(o, key, path, required, &v, f)) {
        return false;
    }
    if (v == NULL) {
        return true;
    }
    if (nullable && json_is_null(v)) {
        *minute = -1;
        return true;
    }
    if (!json_is_string(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be a string%s", path,
                        nullable ? " or null" : "");
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    int32_t m = slot_minute_parse(s, n);
    if (m < 0 && end && n == 5 && memcmp(s, "24:00", 5) == 0) {
        m = (int32_t)SLOT_MINUTES_PER_DAY;
    }
    if (m < 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"%s\" must be a time of day \"HH:MM\" (00:00..%s)",
                        path, end ? "24:00" : "23:59");
    }
    *minute = m;
    return true;
}

/* A kind by name, or -1 (a NUL byte inside is no name). */
static int kindOf(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL ? -1 : slotc_kind_from_name(s);
}

/* A kind name into *kind; nullable: null gives -1 (any kind). */
static bool kindAt(json_t *o, const char *key, const char *base, bool nullable,
                   int *kind, struct gw_fail *f)
{
    char path[PATH_MAX_];
    json_t *v = json_object_get(o, key);
    at(path, base, key);
    if (v == NULL) {
        return true;
    }
    if (nullable && json_is_null(v)) {
        *kind = -1;
        return true;
    }
    if (!json_is_string(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be a string%s", path,
                        nullable ? " or null" : "");
    }
    int k = kindOf(json_string_value(v), json_string_length(v));
    if (k < 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT, "\"%s\" must be %s%s", path,
                        kindList, nullable ? " (or null: any)" : "");
    }
    *kind = k;
    return true;
}

static bool payModeAt(json_t *o, const char *base, int *mode, struct gw_fail *f)
{
    char path[PATH_MAX_];
    json_t *v = json_object_get(o, "pay_mode");
    at(path, base, "pay_mode");
    if (v == NULL) {
        return true;
    }
    if (!json_is_string(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be a string", path);
    }
    const char *s = json_string_value(v);
    int m = memchr(s, '\0', json_string_length(v)) != NULL
                ? -1
                : slotc_pay_mode_from_name(s);
    if (m < 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"%s\" must be \"online\" or \"at_visit\"", path);
    }
    *mode = m;
    return true;
}

/* A list of distinct channel (or group) names: min..max of them. what
 * says what they are in messages. */
static bool namesAt(json_t *o, const char *key, const char *base, bool required,
                    size_t min, size_t max, const char *what,
                    char (*dst)[SLOTC_CHANNEL_MAX + 1], uint32_t *n,
                    struct gw_fail *f)
{
    char path[PATH_MAX_], el[PATH_MAX_], shown[PATH_MAX_ + 2];
    json_t *v;
    at(path, base, key);
    if (!member(o, key, path, required, &v, f)) {
        return false;
    }
    if (v == NULL) {
        return true;
    }
    if (!isArray(v, path, min, max, what, f)) {
        return false;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        atIndex(el, path, i);
        if (!json_is_string(x)) {
            return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be a string", el);
        }
        snprintf(shown, sizeof shown, "\"%s\"", el);
        if (!gw__str_arg(&gw__channel_rule, json_string_value(x),
                         json_string_length(x), dst[i], sizeof dst[i], shown,
                         f)) {
            return false;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(dst[k], dst[i]) == 0) {
                return gw__fail(f, SLOT_INVALID_ARGUMENT,
                                "\"%s\" lists \"%s\" twice", path, dst[i]);
            }
        }
    }
    *n = (uint32_t)json_array_size(v);
    return true;
}

/* ---- rule sets ----------------------------------------------------------- */

/* "+08:00" -> 480; -1 if not [+-]HH:MM within the protocol's range. */
static bool parseOffset(const char *s, size_t n, int32_t *out)
{
    if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') {
        return false;
    }
    for (int i = 1; i < 6; i++) {
        if (i != 3 && (s[i] < '0' || s[i] > '9')) {
            return false;
        }
    }
    int32_t h = (s[1] - '0') * 10 + (s[2] - '0');
    int32_t m = (s[4] - '0') * 10 + (s[5] - '0');
    if (m > 59) {
        return false;
    }
    int32_t v = (h * 60 + m) * (s[0] == '-' ? -1 : 1);
    if (v < SLOT_UTC_OFFSET_MIN || v > SLOT_UTC_OFFSET_MAX) {
        return false;
    }
    *out = v;
    return true;
}

static bool offsetAt(json_t *o, const char *base, int32_t *out,
                     struct gw_fail *f)
{
    char path[PATH_MAX_];
    json_t *v = json_object_get(o, "utc_offset");
    at(path, base, "utc_offset");
    if (v == NULL) {
        return true;
    }
    if (!json_is_string(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be a string", path);
    }
    if (!parseOffset(json_string_value(v), json_string_length(v), out)) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"%s\" must be \"+HH:MM\" or \"-HH:MM\" in "
                        "-12:00..+14:00",
                        path);
    }
    return true;
}

/* pay_ttl_ms / pay_ttl_max_ms: 0 or PAY_TTL_MIN_MS..PAY_TTL_MAX_MS. */
static bool payTtlAt(json_t *o, const char *key, const char *base,
                     uint32_t *out, struct gw_fail *f)
{
    uint64_t v = *out;
    char path[PATH_MAX_];
    if (!uintAt(o, key, base, false, 0, UINT32_MAX, &v, f)) {
        return false;
    }
    if (v != 0 && (v < PAY_TTL_MIN_MS || v > PAY_TTL_MAX_MS)) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT, "\"%s\" must be 0 or %u..%u",
                        at(path, base, key), PAY_TTL_MIN_MS, PAY_TTL_MAX_MS);
    }
    *out = (uint32_t)v;
    return true;
}

static bool parseFlowBack(json_t *o, const char *base, struct slotc_rules *r,
                          struct gw_fail *f)
{
    static const char *const known[] = {"days_before", "time", "to", NULL};
    char path[PATH_MAX_];
    json_t *v = json_object_get(o, "flow_back");
    at(path, base, "flow_back");
    if (v == NULL || json_is_null(v)) {
        return true;
    }
    uint64_t days = 0;
    bool ok =
        isObject(v, path, f) && onlyKnownAt(v, known, path, f) &&
        uintAt(v, "days_before", path, false, 0, SLOT_FLOWBACK_DAYS_MAX, &days,
               f) &&
        timeAt(v, "time", path, true, false, false, &r->flowback_minute, f) &&
        strAt(v, "to", path, false, true, &gw__channel_rule, r->flowback_to,
              sizeof r->flowback_to, f);
    r->flowback_days_before = (uint32_t)days;
    return ok;
}

static bool parseGroups(json_t *o, const char *base, struct slotc_rules *r,
                        struct gw_fail *f)
{
    static const char *const known[] = {"name", "channels", NULL};
    char path[PATH_MAX_], el[PATH_MAX_];
    json_t *v = json_object_get(o, "groups");
    at(path, base, "groups");
    if (v == NULL) {
        return true;
    }
    if (!isArray(v, path, 0, SLOTC_GROUPS_MAX, "groups", f)) {
        return false;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        struct slotc_group *g = &r->groups[i];
        atIndex(el, path, i);
        if (!isObject(x, el, f) || !onlyKnownAt(x, known, el, f) ||
            !strAt(x, "name", el, true, false, &gw__channel_rule, g->name,
                   sizeof g->name, f) ||
            !namesAt(x, "channels", el, true, 1, SLOTC_GROUP_CHANNELS_MAX,
                     "channels", g->channels, &g->n, f)) {
            return false;
        }
    }
    r->n_groups = (uint32_t)json_array_size(v);
    /* A group name means one thing: never another group's, never a
     * channel of any group. */
    for (uint32_t a = 0; a < r->n_groups; a++) {
        for (uint32_t b = 0; b < r->n_groups; b++) {
            const struct slotc_group *g = &r->groups[b];
            if (b < a && strcmp(g->name, r->groups[a].name) == 0) {
                return gw__fail(f, SLOT_INVALID_ARGUMENT,
                                "\"%s\" names the group \"%s\" twice", path,
                                g->name);
            }
            for (uint32_t c = 0; c < g->n; c++) {
                if (strcmp(g->channels[c], r->groups[a].name) == 0) {
                    return gw__fail(f, SLOT_INVALID_ARGUMENT,
                                    "\"%s\": \"%s\" is both a group and a "
                                    "channel of a group",
                                    path, r->groups[a].name);
                }
            }
        }
    }
    return true;
}

/* A policy's channel: a channel, a group or "*". */
static int policyName(struct slot_str s)
{
    return s.len == 1 && s.p[0] == '*' ? SLOT_OK : slot_valid_channel(s);
}

static const struct gw__str_rule policyRule = {
    policyName, 1, SLOT_CHANNEL_MAX, "[a-z0-9_-] (or \"*\": every other)"};

static bool parsePolicies(json_t *o, const char *base, struct slotc_rules *r,
                          struct gw_fail *f)
{
    static const char *const known[] = {"channel", "horizon_days", "cutoff",
                                        "same_day", NULL};
    char path[PATH_MAX_], el[PATH_MAX_];
    json_t *v = json_object_get(o, "policies");
    at(path, base, "policies");
    if (v == NULL) {
        return true;
    }
    if (!isArray(v, path, 0, SLOTC_POLICIES_MAX, "policies", f)) {
        return false;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        struct slotc_policy *p = &r->policies[i];
        uint64_t h = 0;
        /* An entry changes what it names; left out, a field is what a
         * channel without an entry gets (the hospital's horizon, the
         * cut-off applies, same-day booking allowed). */
        p->cutoff = true;
        p->same_day = true;
        atIndex(el, path, i);
        if (!isObject(x, el, f) || !onlyKnownAt(x, known, el, f) ||
            !strAt(x, "channel", el, true, false, &policyRule, p->channel,
                   sizeof p->channel, f) ||
            !uintAt(x, "horizon_days", el, false, 0, SLOT_HORIZON_MAX, &h, f) ||
            !boolAt(x, "cutoff", el, &p->cutoff, f) ||
            !boolAt(x, "same_day", el, &p->same_day, f)) {
            return false;
        }
        p->horizon_days = (uint32_t)h;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(r->policies[k].channel, p->channel) == 0) {
                return gw__fail(f, SLOT_INVALID_ARGUMENT,
                                "\"%s\" has two policies for \"%s\"", path,
                                p->channel);
            }
        }
    }
    r->n_policies = (uint32_t)json_array_size(v);
    return true;
}

static bool parseEligibility(json_t *o, const char *base, struct slotc_rules *r,
                             struct gw_fail *f)
{
    static const char *const known[] = {"department", "kind", "channels", NULL};
    char path[PATH_MAX_], el[PATH_MAX_];
    json_t *v = json_object_get(o, "eligibility");
    at(path, base, "eligibility");
    if (v == NULL) {
        return true;
    }
    if (!isArray(v, path, 0, SLOTC_ELIG_RULES_MAX, "rules", f)) {
        return false;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        struct slotc_elig *e = &r->elig[i];
        e->kind = -1;
        atIndex(el, path, i);
        if (!isObject(x, el, f) || !onlyKnownAt(x, known, el, f) ||
            !strAt(x, "department", el, false, true, &gw__name_rule,
                   e->department, sizeof e->department, f) ||
            !kindAt(x, "kind", el, true, &e->kind, f) ||
            !namesAt(x, "channels", el, true, 1, SLOTC_POOL_NAMES_MAX,
                     "channels or groups", e->names, &e->n, f)) {
            return false;
        }
    }
    r->n_elig = (uint32_t)json_array_size(v);
    return true;
}

/* The hospital's patient rules: slotctl's parser (slotctl_sched.h), so
 * that a rule set file means the same to both, with the same messages
 * (the field's path first: "rules.quota.day_normal: ..."). */
static bool parsePatientRules(json_t *o, const char *base,
                              struct slotc_patient_rules *p, struct gw_fail *f)
{
    struct sctl_err e;
    if (sctl_patient_rules_parse(o, base, p, &e) == SLOT_OK) {
        return true;
    }
    /* TOO_LARGE (a string over its limit) is a value out of range here,
     * as for every other field of a body. */
    return gw__fail(f,
                    e.code == SLOT_TOO_LARGE ? SLOT_INVALID_ARGUMENT : e.code,
                    "%s", e.message);
}

/* The visit day's rules (rule set version 3): slotctl's parser too, for
 * the same reason as the patient rules ("rules.visit.checkin_late_ms:
 * ..."). */
static bool parseVisitRules(json_t *o, const char *base,
                            struct slotc_visit_rules *v, struct gw_fail *f)
{
    struct sctl_err e;
    if (sctl_visit_rules_parse(o, base, v, &e) == SLOT_OK) {
        return true;
    }
    return gw__fail(f,
                    e.code == SLOT_TOO_LARGE ? SLOT_INVALID_ARGUMENT : e.code,
                    "%s", e.message);
}

static bool parseRulesObj(json_t *o, const char *base, struct slotc_rules *r,
                          struct gw_fail *f)
{
    static const char *const known[] = {"utc_offset",
                                        "release_time",
                                        "horizon_days",
                                        "cutoff_time",
                                        "pay_ttl_ms",
                                        "pay_ttl_max_ms",
                                        "flow_back",
                                        "groups",
                                        "policies",
                                        "eligibility",
                                        "quota",
                                        "cancel",
                                        "blacklist",
                                        "cooldown_ms",
                                        "account_channels",
                                        "visit",
                                        NULL};
    char path[PATH_MAX_];
    slotc_rules_init(r);
    int32_t release = (int32_t)r->release_minute;
    uint64_t horizon = r->horizon_days;
    bool ok =
        isObject(o, base[0] != '\0' ? base : "the rule set", f) &&
        onlyKnownAt(o, known, base, f) &&
        offsetAt(o, base, &r->utc_offset_min, f) &&
        timeAt(o, "release_time", base, false, false, false, &release, f) &&
        uintAt(o, "horizon_days", base, false, 0, SLOT_HORIZON_MAX, &horizon,
               f) &&
        timeAt(o, "cutoff_time", base, false, true, false, &r->cutoff_minute,
               f) &&
        payTtlAt(o, "pay_ttl_ms", base, &r->pay_ttl_ms, f) &&
        payTtlAt(o, "pay_ttl_max_ms", base, &r->pay_ttl_max_ms, f) &&
        parseFlowBack(o, base, r, f) && parseGroups(o, base, r, f) &&
        parsePolicies(o, base, r, f) && parseEligibility(o, base, r, f) &&
        parsePatientRules(o, base, &r->patient, f) &&
        parseVisitRules(o, base, &r->visit, f);
    r->release_minute = (uint32_t)release;
    r->horizon_days = (uint32_t)horizon;
    if (ok && r->pay_ttl_max_ms != 0 && r->pay_ttl_ms > r->pay_ttl_max_ms) {
        ok = gw__fail(f, SLOT_INVALID_ARGUMENT,
                      "\"%s\" must not exceed \"pay_ttl_max_ms\" (%u)",
                      at(path, base, "pay_ttl_ms"), r->pay_ttl_max_ms);
    }
    return ok;
}

bool gw_parse_rules(const char *json, size_t len, struct slotc_rules *out,
                    struct gw_fail *f)
{
    json_t *j = gw__load_object(json, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok = parseRulesObj(j, "", out, f);
    json_decref(j);
    return ok;
}

static int operatorValid(struct slot_str s)
{
    return slot_valid_operator(s);
}

static int reasonValid(struct slot_str s)
{
    return slot_valid_text(s, SLOT_REASON_MAX);
}

const struct gw__str_rule gw__operator_rule = {
    operatorValid, 1, SLOT_OPERATOR_MAX, "[A-Za-z0-9_.@-]"};
const struct gw__str_rule gw__reason_rule = {
    reasonValid, 1, SLOT_REASON_MAX, "UTF-8 text without control characters"};
#define operatorRule gw__operator_rule
#define reasonRule   gw__reason_rule

bool gw_parse_rules_body(const char *body, size_t len,
                         struct gw_rules_body *out, struct gw_fail *f)
{
    static const char *const known[] = {"department", "operator", "reason",
                                        "rules", NULL};
    memset(out, 0, sizeof *out);
    slotc_rules_init(&out->rules);
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    json_t *r;
    bool ok = gw__only_known(j, known, "", f) &&
              strAt(j, "department", "", false, true, &gw__name_rule,
                    out->department, sizeof out->department, f) &&
              strAt(j, "operator", "", true, false, &operatorRule,
                    out->operator_name, sizeof out->operator_name, f) &&
              strAt(j, "reason", "", true, false, &reasonRule, out->reason,
                    sizeof out->reason, f) &&
              member(j, "rules", "rules", true, &r, f) &&
              parseRulesObj(r, "rules", &out->rules, f);
    json_decref(j);
    return ok;
}

/* ---- places and templates ------------------------------------------------ */

/* hospital, campus, department, doctor, pay_mode, visit_slot_ms, eligible,
 * remainder_allow of a place or a template, at path base. */
static bool parsePlaceFields(json_t *o, const char *base, struct gw_place_in *p,
                             struct gw_fail *f)
{
    struct slotc_place *pl = &p->place;
    uint64_t slot = 0;
    bool ok = strAt(o, "hospital", base, true, false, &gw__name_rule,
                    p->hospital, sizeof p->hospital, f) &&
              strAt(o, "campus", base, false, true, &gw__name_rule, p->campus,
                    sizeof p->campus, f) &&
              strAt(o, "department", base, true, false, &gw__name_rule,
                    p->department, sizeof p->department, f) &&
              strAt(o, "doctor", base, false, true, &gw__name_rule, p->doctor,
                    sizeof p->doctor, f) &&
              payModeAt(o, base, &pl->pay_mode, f) &&
              uintAt(o, "visit_slot_ms", base, false, 0, SLOT_VISIT_SLOT_MAX_MS,
                     &slot, f) &&
              namesAt(o, "eligible", base, false, 0, SLOTC_POOL_NAMES_MAX,
                      "channels or groups", p->eligible, &pl->n_eligible, f) &&
              namesAt(o, "remainder_allow", base, false, 0,
                      SLOTC_POOL_NAMES_MAX, "channels or groups",
                      p->remainder_allow, &pl->n_remainder_allow, f);
    pl->visit_slot_ms = (uint32_t)slot;
    return ok;
}

/* Points place's strings at their storage in p. */
static void placeLinks(struct gw_place_in *p)
{
    struct slotc_place *pl = &p->place;
    pl->hospital = p->hospital;
    pl->campus = p->campus;
    pl->department = p->department;
    pl->doctor = p->doctor;
    for (uint32_t i = 0; i < SLOTC_POOL_NAMES_MAX; i++) {
        pl->eligible[i] = p->eligible[i];
        pl->remainder_allow[i] = p->remainder_allow[i];
    }
}

/* A local date "YYYY-MM-DD" (the string v at path) into *day. */
static bool dateOf(json_t *v, const char *path, uint32_t *day,
                   struct gw_fail *f)
{
    if (!json_is_string(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be a string", path);
    }
    int64_t d = slot_day_parse(json_string_value(v), json_string_length(v));
    if (d < 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"%s\" must be a date \"YYYY-MM-DD\" in "
                        "1970-01-02..2269-12-31",
                        path);
    }
    *day = (uint32_t)d;
    return true;
}

bool gw__parse_place(json_t *obj, const char *where, struct gw_place_in *p,
                     struct gw_fail *f)
{
    static const char *const known[] = {
        "hospital",        "campus",   "department",    "doctor",
        "visit_date",      "pay_mode", "visit_slot_ms", "eligible",
        "remainder_allow", NULL};
    char path[PATH_MAX_];
    memset(p, 0, sizeof *p);
    placeLinks(p);
    json_t *d;
    return isObject(obj, where, f) && onlyKnownAt(obj, known, where, f) &&
           parsePlaceFields(obj, where, p, f) &&
           member(obj, "visit_date", at(path, where, "visit_date"), true, &d,
                  f) &&
           dateOf(d, path, &p->place.visit_day, f);
}

static bool parseShares(json_t *o, struct gw_template_body *t,
                        struct gw_fail *f)
{
    static const char *const known[] = {"channel", "permille", NULL};
    char el[PATH_MAX_];
    json_t *v = json_object_get(o, "shares");
    if (v == NULL) {
        return true;
    }
    if (!isArray(v, "shares", 0, SLOTC_SHARES_MAX, "shares", f)) {
        return false;
    }
    uint32_t sum = 0;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        struct slotc_tshare *s = &t->tpl.shares[i];
        uint64_t pm = 0;
        atIndex(el, "shares", i);
        if (!isObject(x, el, f) || !onlyKnownAt(x, known, el, f) ||
            !strAt(x, "channel", el, true, false, &gw__channel_rule,
                   t->shares[i], sizeof t->shares[i], f) ||
            !uintAt(x, "permille", el, true, 1, 1000, &pm, f)) {
            return false;
        }
        s->channel = t->shares[i];
        s->permille = (uint32_t)pm;
        sum += s->permille;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(t->shares[k], t->shares[i]) == 0) {
                return gw__fail(f, SLOT_INVALID_ARGUMENT,
                                "\"shares\" names \"%s\" twice", t->shares[i]);
            }
        }
    }
    if (sum > 1000) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"shares\": the permilles add up to %u, above 1000",
                        sum);
    }
    t->tpl.n_shares = (uint32_t)json_array_size(v);
    return true;
}

static bool parseDays(json_t *o, struct gw_template_body *t, struct gw_fail *f)
{
    char el[PATH_MAX_];
    json_t *v;
    if (!member(o, "days", "days", true, &v, f) ||
        !isArray(v, "days", 1, SLOTC_TEMPLATE_DAYS_MAX, "dates", f)) {
        return false;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!dateOf(x, atIndex(el, "days", i), &t->days[i], f)) {
            return false;
        }
        if (i > 0 && t->days[i] <= t->days[i - 1]) {
            return gw__fail(f, SLOT_INVALID_ARGUMENT,
                            "\"days\" must be strictly increasing: \"%s\" is "
                            "not after the date before it",
                            el);
        }
    }
    t->tpl.n_days = (uint32_t)json_array_size(v);
    return true;
}

static bool parseSegments(json_t *o, struct gw_template_body *t,
                          struct gw_fail *f)
{
    static const char *const known[] = {"start", "end", "capacity", NULL};
    char el[PATH_MAX_];
    json_t *v;
    if (!member(o, "segments", "segments", true, &v, f) ||
        !isArray(v, "segments", 1, SLOTC_TEMPLATE_SEGS_MAX, "segments", f)) {
        return false;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        struct slotc_segment *s = &t->segments[i];
        int32_t start = 0, end = 0;
        uint64_t cap = 0;
        atIndex(el, "segments", i);
        if (!isObject(x, el, f) || !onlyKnownAt(x, known, el, f) ||
            !timeAt(x, "start", el, true, false, false, &start, f) ||
            !timeAt(x, "end", el, true, false, true, &end, f) ||
            !uintAt(x, "capacity", el, true, 1, SLOT_POOL_CAPACITY_MAX, &cap,
                    f)) {
            return false;
        }
        s->start_minute = (uint32_t)start;
        s->end_minute = (uint32_t)end;
        s->capacity = (uint32_t)cap;
        if (start >= end) {
            return gw__fail(f, SLOT_INVALID_ARGUMENT,
                            "\"%s\": start must be before end", el);
        }
        if (i > 0 && s->start_minute < t->segments[i - 1].end_minute) {
            return gw__fail(f, SLOT_INVALID_ARGUMENT,
                            "\"segments\" must be increasing and not overlap: "
                            "\"%s\" starts before the one before it ends",
                            el);
        }
    }
    t->tpl.n_segments = (uint32_t)json_array_size(v);
    return true;
}

/* The id prefix: the pool id charset, 1..SLOTC_ID_PREFIX_MAX bytes (each
 * pool adds "/YYYYMMDD/HHMM"). */
static const struct gw__str_rule prefixRule = {
    slot_valid_pool_id, 1, SLOTC_ID_PREFIX_MAX, "[A-Za-z0-9/_.:-]"};

bool gw_parse_template(const char *body, size_t len,
                       struct gw_template_body *out, struct gw_fail *f)
{
    static const char *const known[] = {
        "id_prefix", "hospital",        "campus",   "department",    "doctor",
        "kind",      "fee_cents",       "pay_mode", "visit_slot_ms", "shares",
        "eligible",  "remainder_allow", "days",     "segments",      NULL};
    memset(out, 0, sizeof *out);
    placeLinks(&out->place);
    struct slotc_template *t = &out->tpl;
    t->id_prefix = out->id_prefix;
    t->days = out->days;
    t->segments = out->segments;
    t->kind = SLOTC_KIND_NORMAL;
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok = gw__only_known(j, known, "", f) &&
              strAt(j, "id_prefix", "", true, false, &prefixRule,
                    out->id_prefix, sizeof out->id_prefix, f) &&
              parsePlaceFields(j, "", &out->place, f) &&
              kindAt(j, "kind", "", false, &t->kind, f) &&
              uintAt(j, "fee_cents", "", false, 0, SLOT_FEE_MAX_CENTS,
                     &t->fee_cents, f) &&
              parseShares(j, out, f) && parseDays(j, out, f) &&
              parseSegments(j, out, f);
    t->place = out->place.place;
    json_decref(j);
    return ok;
}

/* ---- query strings -------------------------------------------------------- */

struct qparams {
    int n;
    char name[GW_QUERY_PARAMS_MAX][24];
    char value[GW_QUERY_PARAMS_MAX][GW_PARAM_MAX + 1];
    size_t len[GW_QUERY_PARAMS_MAX];
};

/* Splits and decodes qs, refusing parameters not in known, twice, or
 * without a value. */
static bool splitQuery(const char *qs, size_t len, const char *const *known,
                       struct qparams *p, struct gw_fail *f)
{
    p->n = 0;
    size_t i = 0;
    while (i <= len) {
        const char *s = qs + i;
        const char *amp = i < len ? memchr(s, '&', len - i) : NULL;
        size_t n = amp != NULL ? (size_t)(amp - s) : len - i;
        i += n + 1;
        if (n == 0) {
            continue;
        }
        const char *eq = memchr(s, '=', n);
        size_t nl = eq != NULL ? (size_t)(eq - s) : n;
        char name[24], shown[40];
        long dl = gw_pct_decode(s, nl, name, sizeof name);
        if (dl == -1) {
            return gw__fail(f, SLOT_MALFORMED,
                            "bad percent-encoding in the query string");
        }
        int k = -1;
        for (int j = 0; dl >= 0 && known[j] != NULL && k < 0; j++) {
            if (strlen(known[j]) == (size_t)dl &&
                memcmp(known[j], name, (size_t)dl) == 0) {
                k = j;
            }
        }
        gw__shown_name(s, nl, shown);
        if (k < 0) {
            return gw__fail(f, SLOT_MALFORMED, "unknown parameter \"%s\"",
                            shown);
        }
        if (eq == NULL) {
            return gw__fail(f, SLOT_MALFORMED,
                            "parameter \"%s\" has no value (%s=...)", shown,
                            shown);
        }
        for (int j = 0; j < p->n; j++) {
            if (strcmp(p->name[j], known[k]) == 0) {
                return gw__fail(f, SLOT_MALFORMED,
                                "parameter \"%s\" is given twice", known[k]);
            }
        }
        if (p->n == GW_QUERY_PARAMS_MAX) {
            return gw__fail(f, SLOT_MALFORMED, "more than %d parameters",
                            GW_QUERY_PARAMS_MAX);
        }
        long vl = gw_pct_decode(eq + 1, n - nl - 1, p->value[p->n],
                                sizeof p->value[0]);
        if (vl == -1) {
            return gw__fail(f, SLOT_MALFORMED,
                            "bad percent-encoding in the query string");
        }
        if (vl < 0) {
            return gw__fail(f, SLOT_INVALID_ARGUMENT,
                            "parameter \"%s\" is too long", known[k]);
        }
        snprintf(p->name[p->n], sizeof p->name[0], "%s", known[k]);
        p->len[p->n] = (size_t)vl;
        p->n++;
    }
    return true;
}

/* The decoded value of a parameter, or NULL when absent or empty. */
static const char *qget(const struct qparams *p, const char *name, size_t *len)
{
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->name[i], name) == 0) {
            *len = p->len[i];
            return p->len[i] > 0 ? p->value[i] : NULL;
        }
    }
    return NULL;
}

static bool qstr(const struct qparams *p, const char *name,
                 const struct gw__str_rule *rule, char *dst, size_t cap,
                 struct gw_fail *f)
{
    size_t n;
    const char *v = qget(p, name, &n);
    char what[40];
    dst[0] = '\0';
    snprintf(what, sizeof what, "parameter \"%s\"", name);
    return v == NULL || gw__str_arg(rule, v, n, dst, cap, what, f);
}

/* Decimal without sign or leading zeros, in min..max. */
static bool qnum(const struct qparams *p, const char *name, uint64_t min,
                 uint64_t max, uint64_t *out, struct gw_fail *f)
{
    size_t n;
    const char *v = qget(p, name, &n);
    if (v == NULL) {
        return true;
    }
    uint64_t x = 0;
    bool ok = n >= 1 && n <= 20 && (v[0] != '0' || n == 1);
    for (size_t i = 0; ok && i < n; i++) {
        uint64_t d = (uint64_t)(v[i] - '0');
        ok = v[i] >= '0' && v[i] <= '9' && x <= (UINT64_MAX - d) / 10;
        x = x * 10 + d;
    }
    if (!ok || x < min || x > max) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "parameter \"%s\" must be a decimal number in "
                        "%" PRIu64 "..%" PRIu64,
                        name, min, max);
    }
    *out = x;
    return true;
}

static bool qbool(const struct qparams *p, const char *name, bool *out,
                  struct gw_fail *f)
{
    size_t n;
    const char *v = qget(p, name, &n);
    if (v == NULL) {
        return true;
    }
    if ((n == 1 && v[0] == '1') || (n == 4 && memcmp(v, "true", 4) == 0)) {
        *out = true;
    } else if ((n == 1 && v[0] == '0') ||
               (n == 5 && memcmp(v, "false", 5) == 0)) {
        *out = false;
    } else {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "parameter \"%s\" must be 0, 1, false or true", name);
    }
    return true;
}

static bool qdate(const struct qparams *p, const char *name, uint32_t *out,
                  struct gw_fail *f)
{
    size_t n;
    const char *v = qget(p, name, &n);
    if (v == NULL) {
        return true;
    }
    int64_t d = slot_day_parse(v, n);
    if (d < 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "parameter \"%s\" must be a date YYYY-MM-DD in "
                        "1970-01-02..2269-12-31",
                        name);
    }
    *out = (uint32_t)d;
    return true;
}

bool gw_parse_pools_query(const char *qs, size_t len, struct gw_args *a,
                          struct gw_fail *f)
{
    static const char *const known[] = {
        "hospital", "department", "doctor", "date_from", "date_to",
        "kind",     "after",      "limit",  "stale",     NULL};
    struct gw_query *q = &a->query;
    struct qparams p;
    gw_query_init(q);
    if (!splitQuery(qs, len, known, &p, f)) {
        return false;
    }
    size_t kn = 0;
    const char *k = qget(&p, "kind", &kn);
    uint64_t limit = q->q.limit;
    if (!qstr(&p, "hospital", &gw__name_rule, q->hospital, sizeof q->hospital,
              f)) {
        return false;
    }
    if (q->hospital[0] == '\0') {
        return gw__fail(f, SLOT_MALFORMED,
                        "missing parameter \"hospital\" (1..%d bytes of %s)",
                        SLOT_NAME_MAX, gw__name_rule.chars);
    }
    bool ok =
        qstr(&p, "department", &gw__name_rule, q->department,
             sizeof q->department, f) &&
        qstr(&p, "doctor", &gw__name_rule, q->doctor, sizeof q->doctor, f) &&
        qdate(&p, "date_from", &q->q.date_from, f) &&
        qdate(&p, "date_to", &q->q.date_to, f) &&
        qstr(&p, "after", &gw__pool_rule, q->after, sizeof q->after, f) &&
        qnum(&p, "limit", 1, SLOTC_LIST_MAX, &limit, f) &&
        qbool(&p, "stale", &q->stale, f);
    if (ok && k != NULL && (q->q.kind = kindOf(k, kn)) < 0) {
        ok = gw__fail(f, SLOT_INVALID_ARGUMENT, "parameter \"kind\" must be %s",
                      kindList);
    }
    q->q.limit = (uint32_t)limit;
    return ok;
}

bool gw_parse_rules_query(const char *qs, size_t len, struct gw_args *a,
                          struct gw_fail *f)
{
    static const char *const known[] = {"department", NULL};
    struct qparams p;
    a->query.department[0] = '\0';
    return splitQuery(qs, len, known, &p, f) &&
           qstr(&p, "department", &gw__name_rule, a->query.department,
                sizeof a->query.department, f);
}

bool gw_parse_log_query(const char *qs, size_t len, struct gw_args *a,
                        struct gw_fail *f)
{
    static const char *const known[] = {"after", "limit", NULL};
    struct qparams p;
    uint64_t limit = GW_LIST_LIMIT_DEFAULT;
    a->query.after_version = 0;
    bool ok = splitQuery(qs, len, known, &p, f) &&
              qnum(&p, "after", 0, UINT64_MAX, &a->query.after_version, f) &&
              qnum(&p, "limit", 1, SLOTC_LIST_MAX, &limit, f);
    a->query.limit = (uint32_t)limit;
    return ok;
}

bool gw_parse_events_query(const char *qs, size_t len, bool stream,
                           struct gw_args *a, struct gw_fail *f)
{
    static const char *const poll[] = {"after", "limit", "wait_ms", NULL};
    static const char *const strm[] = {"after", "limit", NULL};
    struct qparams p;
    uint64_t limit = GW_LIST_LIMIT_DEFAULT, wait = 0;
    a->query.after_version = 0;
    /* A seq fits the protocol's integers and JSON's doubles both ways up
     * to 2^53; 2^63 keeps far from any overflow of after + 1. */
    bool ok =
        splitQuery(qs, len, stream ? strm : poll, &p, f) &&
        qnum(&p, "after", 0, UINT64_C(1) << 63, &a->query.after_version, f) &&
        qnum(&p, "limit", 1, SLOTC_LIST_MAX, &limit, f) &&
        (stream || qnum(&p, "wait_ms", 0, GW_EV_WAIT_MAX_MS, &wait, f));
    a->query.limit = (uint32_t)limit;
    a->query.wait_ms = (uint32_t)wait;
    return ok;
}

bool gw_parse_import_query(const char *qs, size_t len, struct gw_args *a,
                           struct gw_fail *f)
{
    static const char *const known[] = {"dry_run", NULL};
    struct qparams p;
    a->query.dry_run = false;
    return splitQuery(qs, len, known, &p, f) &&
           qbool(&p, "dry_run", &a->query.dry_run, f);
}

bool gw_parse_recon_query(const char *qs, size_t len, struct gw_args *a,
                          struct gw_fail *f)
{
    static const char *const known[] = {"day", "hospital", "channel", "format",
                                        NULL};
    struct gw_query *q = &a->query;
    struct qparams p;
    q->day = 0;
    q->csv = false;
    if (!splitQuery(qs, len, known, &p, f) || !qdate(&p, "day", &q->day, f) ||
        !qstr(&p, "hospital", &gw__name_rule, q->hospital, sizeof q->hospital,
              f) ||
        !qstr(&p, "channel", &gw__channel_rule, q->channel, sizeof q->channel,
              f)) {
        return false;
    }
    if (q->day == 0) {
        return gw__fail(f, SLOT_MALFORMED,
                        "missing parameter \"day\" (YYYY-MM-DD, the local "
                        "day to reconcile)");
    }
    size_t n = 0;
    const char *fmt = qget(&p, "format", &n);
    if (fmt != NULL && n == 3 && memcmp(fmt, "csv", 3) == 0) {
        q->csv = true;
    } else if (fmt != NULL && !(n == 4 && memcmp(fmt, "json", 4) == 0)) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "parameter \"format\" must be csv or json");
    }
    return true;
}

bool gw_parse_stats_query(const char *qs, size_t len, struct gw_args *a,
                          struct gw_fail *f)
{
    static const char *const known[] = {"from", "to", "hospital", NULL};
    struct gw_query *q = &a->query;
    struct qparams p;
    q->q.date_from = 0;
    q->q.date_to = 0;
    if (!splitQuery(qs, len, known, &p, f) ||
        !qdate(&p, "from", &q->q.date_from, f) ||
        !qdate(&p, "to", &q->q.date_to, f) ||
        !qstr(&p, "hospital", &gw__name_rule, q->hospital, sizeof q->hospital,
              f)) {
        return false;
    }
    if (q->q.date_from == 0 || q->q.date_to == 0) {
        return gw__fail(f, SLOT_MALFORMED,
                        "missing parameter \"%s\" (YYYY-MM-DD, a visit day)",
                        q->q.date_from == 0 ? "from" : "to");
    }
    if (q->q.date_to < q->q.date_from ||
        q->q.date_to - q->q.date_from >= GW_STATS_DAYS_MAX) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"from\" .. \"to\" must be 1..%d visit days, from "
                        "<= to",
                        GW_STATS_DAYS_MAX);
    }
    return true;
}

bool gw_arg_hospital(struct gw_args *a, const char *s, size_t len,
                     struct gw_fail *f)
{
    return gw__str_arg(&gw__name_rule, s, len, a->query.hospital,
                       sizeof a->query.hospital, "the hospital (path)", f);
}

/* ---- writers ------------------------------------------------------------ */

static void jwNames(struct gw_jw *w, const char *key, uint32_t n,
                    const char (*names)[SLOTC_CHANNEL_MAX + 1])
{
    gw_jw_key(w, key);
    gw_jw_arr(w);
    for (uint32_t i = 0; i < n; i++) {
        gw_jw_str(w, names[i]);
    }
    gw_jw_arr_end(w);
}

/* "HH:MM", or null for a minute < 0. */
static void jwTime(struct gw_jw *w, int32_t minute)
{
    if (minute < 0 || minute >= (int32_t)SLOT_MINUTES_PER_DAY) {
        gw_jw_null(w);
        return;
    }
    char t[6];
    slot_minute_format((uint32_t)minute, t);
    gw_jw_str(w, t);
}

/* The patient rules' members, in slotctl's order (sctl_rules_json). */
static void jwPatientRules(struct gw_jw *w, const struct slotc_patient_rules *p)
{
    static const char *const quotas[] = {"day_normal", "day_expert",
                                         "dept_expert", "month_normal",
                                         "month_expert"};
    const uint32_t q[] = {p->quota_day_normal, p->quota_day_expert,
                          p->quota_dept_expert, p->quota_month_normal,
                          p->quota_month_expert};
    gw_jw_key(w, "quota");
    gw_jw_obj(w);
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        gw_jw_key(w, quotas[i]);
        gw_jw_u64(w, q[i]);
    }
    gw_jw_key(w, "per_account");
    gw_jw_bool(w, p->quota_per_account);
    gw_jw_end(w);
    gw_jw_key(w, "cancel");
    gw_jw_obj(w);
    gw_jw_key(w, "days_before");
    gw_jw_u64(w, p->cancel_days_before);
    gw_jw_key(w, "time");
    jwTime(w, p->cancel_minute);
    gw_jw_key(w, "same_day");
    gw_jw_bool(w, p->cancel_same_day);
    gw_jw_key(w, "limit_per_day");
    gw_jw_u64(w, p->cancel_limit_day);
    gw_jw_end(w);
    gw_jw_key(w, "blacklist");
    gw_jw_obj(w);
    gw_jw_key(w, "threshold");
    gw_jw_u64(w, p->violation_threshold);
    gw_jw_key(w, "window_days");
    gw_jw_u64(w, p->violation_window_days);
    gw_jw_key(w, "days");
    gw_jw_u64(w, p->blacklist_days);
    gw_jw_key(w, "exempt");
    gw_jw_str(w, p->blacklist_exempt);
    gw_jw_key(w, "unpaid_is_violation");
    gw_jw_bool(w, p->unpaid_is_violation);
    gw_jw_key(w, "late_cancel_ms");
    gw_jw_u64(w, p->late_cancel_ms);
    gw_jw_end(w);
    gw_jw_key(w, "cooldown_ms");
    gw_jw_arr(w);
    gw_jw_u64(w, p->cooldown_min_ms);
    gw_jw_u64(w, p->cooldown_max_ms);
    gw_jw_arr_end(w);
    gw_jw_key(w, "account_channels");
    gw_jw_str(w, p->account_channels);
}

void gw_jw_rules(struct gw_jw *w, const struct slotc_rules *r)
{
    int32_t off = r->utc_offset_min;
    uint32_t a = (uint32_t)(off < 0 ? -off : off);
    char offset[8];
    snprintf(offset, sizeof offset, "%c%02u:%02u", off < 0 ? '-' : '+',
             (a / 60) % 100, a % 60);
    gw_jw_obj(w);
    gw_jw_key(w, "utc_offset");
    gw_jw_str(w, offset);
    gw_jw_key(w, "release_time");
    jwTime(w, (int32_t)r->release_minute);
    gw_jw_key(w, "horizon_days");
    gw_jw_u64(w, r->horizon_days);
    gw_jw_key(w, "cutoff_time");
    jwTime(w, r->cutoff_minute);
    gw_jw_key(w, "pay_ttl_ms");
    gw_jw_u64(w, r->pay_ttl_ms);
    gw_jw_key(w, "pay_ttl_max_ms");
    gw_jw_u64(w, r->pay_ttl_max_ms);
    gw_jw_key(w, "flow_back");
    if (r->flowback_minute < 0) {
        gw_jw_null(w);
    } else {
        gw_jw_obj(w);
        gw_jw_key(w, "days_before");
        gw_jw_u64(w, r->flowback_days_before);
        gw_jw_key(w, "time");
        jwTime(w, r->flowback_minute);
        gw_jw_key(w, "to");
        gw_jw_str(w, r->flowback_to);
        gw_jw_end(w);
    }
    gw_jw_key(w, "groups");
    gw_jw_arr(w);
    for (uint32_t i = 0; i < r->n_groups && i < SLOTC_GROUPS_MAX; i++) {
        const struct slotc_group *g = &r->groups[i];
        gw_jw_obj(w);
        gw_jw_key(w, "name");
        gw_jw_str(w, g->name);
        jwNames(w, "channels",
                g->n < SLOTC_GROUP_CHANNELS_MAX ? g->n
                                                : SLOTC_GROUP_CHANNELS_MAX,
                g->channels);
        gw_jw_end(w);
    }
    gw_jw_arr_end(w);
    gw_jw_key(w, "policies");
    gw_jw_arr(w);
    for (uint32_t i = 0; i < r->n_policies && i < SLOTC_POLICIES_MAX; i++) {
        const struct slotc_policy *p = &r->policies[i];
        gw_jw_obj(w);
        gw_jw_key(w, "channel");
        gw_jw_str(w, p->channel);
        gw_jw_key(w, "horizon_days");
        gw_jw_u64(w, p->horizon_days);
        gw_jw_key(w, "cutoff");
        gw_jw_bool(w, p->cutoff);
        gw_jw_key(w, "same_day");
        gw_jw_bool(w, p->same_day);
        gw_jw_end(w);
    }
    gw_jw_arr_end(w);
    gw_jw_key(w, "eligibility");
    gw_jw_arr(w);
    for (uint32_t i = 0; i < r->n_elig && i < SLOTC_ELIG_RULES_MAX; i++) {
        const struct slotc_elig *e = &r->elig[i];
        const char *k = slotc_kind_name(e->kind);
        gw_jw_obj(w);
        gw_jw_key(w, "department");
        gw_jw_str(w, e->department);
        gw_jw_key(w, "kind");
        if (k != NULL) {
            gw_jw_str(w, k);
        } else {
            gw_jw_null(w);
        }
        jwNames(w, "channels",
                e->n < SLOTC_POOL_NAMES_MAX ? e->n : SLOTC_POOL_NAMES_MAX,
                e->names);
        gw_jw_end(w);
    }
    gw_jw_arr_end(w);
    jwPatientRules(w, &r->patient);
    /* Rule set version 3: the visit day. */
    gw_jw_key(w, "visit");
    gw_jw_obj(w);
    gw_jw_key(w, "checkin_before_ms");
    gw_jw_u64(w, r->visit.checkin_before_ms);
    gw_jw_key(w, "checkin_late_ms");
    gw_jw_u64(w, r->visit.checkin_late_ms);
    gw_jw_key(w, "noshow_sweep");
    gw_jw_bool(w, r->visit.noshow_sweep);
    gw_jw_end(w);
    gw_jw_end(w);
}

void gw_json_rules(struct gw_buf *b, const struct slotc_rules *r)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_rules(&w, r);
}

/* The members of one version (inside an object already open). */
static void infoMembers(struct gw_jw *w, const struct slotc_rules_info *i)
{
    gw_jw_key(w, "department");
    gw_jw_str(w, i->department);
    gw_jw_key(w, "inherited");
    gw_jw_bool(w, i->inherited);
    gw_jw_key(w, "version");
    gw_jw_u64(w, i->version);
    gw_jw_key(w, "changed_at_ms");
    gw_jw_u64(w, i->changed_at_ms);
    gw_jw_key(w, "operator");
    gw_jw_str(w, i->operator_name);
    gw_jw_key(w, "reason");
    gw_jw_text(w, i->reason);
    gw_jw_key(w, "rules");
    gw_jw_rules(w, &i->rules);
}

void gw_json_rules_info(struct gw_buf *b, const char *hospital,
                        const struct slotc_rules_info *i)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "hospital");
    gw_jw_str(&w, hospital);
    infoMembers(&w, i);
    gw_jw_end(&w);
}

void gw_json_rules_log(struct gw_buf *b, const char *hospital,
                       const struct slotc_rules_info *v, uint32_t n,
                       uint32_t limit)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "hospital");
    gw_jw_str(&w, hospital);
    gw_jw_key(&w, "changes");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < n; i++) {
        gw_jw_obj(&w);
        infoMembers(&w, &v[i]);
        gw_jw_end(&w);
    }
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "next_after");
    if (n > 0 && n >= limit) {
        gw_jw_u64(&w, v[n - 1].version);
    } else {
        gw_jw_null(&w);
    }
    gw_jw_end(&w);
}

void gw_json_rules_set(struct gw_buf *b, const char *hospital,
                       const char *department, uint64_t version)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "hospital");
    gw_jw_str(&w, hospital);
    gw_jw_key(&w, "department");
    gw_jw_str(&w, department);
    gw_jw_key(&w, "version");
    gw_jw_u64(&w, version);
    gw_jw_end(&w);
}

void gw_json_pool_list(struct gw_buf *b, const struct slotc_out *out,
                       const struct gw_query *q)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "total");
    gw_jw_u64(&w, out->total);
    gw_jw_key(&w, "pools");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < out->n_pools; i++) {
        gw_jw_pool(&w, &out->pools[i]);
    }
    gw_jw_arr_end(&w);
    /* A full page may have a next one; from the first page, total says
     * whether it does. */
    bool more = out->n_pools > 0 && out->n_pools >= q->q.limit &&
                !(q->after[0] == '\0' && out->total <= out->n_pools);
    gw_jw_key(&w, "next_after");
    if (more) {
        gw_jw_str(&w, out->pools[out->n_pools - 1].pool);
    } else {
        gw_jw_null(&w);
    }
    /* A read's label, as slotctl gives it. */
    gw_jw_key(&w, "applied_index");
    gw_jw_u64(&w, out->index);
    gw_jw_key(&w, "node");
    gw_jw_str(&w, out->node != NULL ? out->node : "");
    gw_jw_key(&w, "stale");
    gw_jw_bool(&w, q->stale);
    gw_jw_end(&w);
}

void gw_json_import(struct gw_buf *b, uint64_t created, uint64_t unchanged,
                    const char *const *conflicts, uint32_t n_conflicts,
                    bool dry_run)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "created");
    gw_jw_u64(&w, created);
    gw_jw_key(&w, "unchanged");
    gw_jw_u64(&w, unchanged);
    gw_jw_key(&w, "conflicts");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < n_conflicts; i++) {
        gw_jw_str(&w, conflicts[i]);
    }
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "dry_run");
    gw_jw_bool(&w, dry_run);
    gw_jw_end(&w);
}

/* hospital .. remainder_allow, common to both forms of "schedule". */
static void placeHead(struct gw_jw *w, const char *hospital, const char *campus,
                      const char *department, const char *doctor, uint32_t day,
                      int pay_mode, uint32_t visit_slot_ms)
{
    char date[11];
    const char *pm = slotc_pay_mode_name(pay_mode);
    slot_day_format(day, date);
    gw_jw_key(w, "hospital");
    gw_jw_str(w, hospital);
    gw_jw_key(w, "campus");
    gw_jw_str(w, campus);
    gw_jw_key(w, "department");
    gw_jw_str(w, department);
    gw_jw_key(w, "doctor");
    gw_jw_str(w, doctor);
    gw_jw_key(w, "visit_date");
    gw_jw_str(w, date);
    gw_jw_key(w, "pay_mode");
    gw_jw_str(w, pm != NULL ? pm : "online");
    gw_jw_key(w, "visit_slot_ms");
    gw_jw_u64(w, visit_slot_ms);
}

void gw__jw_place(struct gw_jw *w, const struct slotc_pool *p)
{
    if (!p->scheduled) {
        gw_jw_null(w);
        return;
    }
    const struct slotc_pool_place *pl = &p->place;
    gw_jw_obj(w);
    placeHead(w, pl->hospital, pl->campus, pl->department, pl->doctor,
              pl->visit_day, pl->pay_mode, pl->visit_slot_ms);
    jwNames(w, "eligible",
            pl->n_eligible < SLOTC_POOL_NAMES_MAX ? pl->n_eligible
                                                  : SLOTC_POOL_NAMES_MAX,
            pl->eligible);
    jwNames(w, "remainder_allow",
            pl->n_remainder_allow < SLOTC_POOL_NAMES_MAX ? pl->n_remainder_allow
                                                         : SLOTC_POOL_NAMES_MAX,
            pl->remainder_allow);
    gw_jw_key(w, "flow_back_at_ms");
    if (pl->flow_due_ms != 0) {
        gw_jw_u64(w, pl->flow_due_ms);
    } else {
        gw_jw_null(w);
    }
    gw_jw_key(w, "flowed_back");
    gw_jw_bool(w, pl->flowed_back);
    gw_jw_end(w);
}

static void jwNameList(struct gw_jw *w, const char *key, uint32_t n,
                       const char *const *names)
{
    gw_jw_key(w, key);
    gw_jw_arr(w);
    for (uint32_t i = 0; i < n; i++) {
        gw_jw_str(w, names[i]);
    }
    gw_jw_arr_end(w);
}

void gw__jw_place_in(struct gw_jw *w, const struct slotc_place *pl)
{
    if (pl == NULL) {
        gw_jw_null(w);
        return;
    }
    gw_jw_obj(w);
    placeHead(w, pl->hospital, pl->campus != NULL ? pl->campus : "",
              pl->department, pl->doctor != NULL ? pl->doctor : "",
              pl->visit_day, pl->pay_mode, pl->visit_slot_ms);
    jwNameList(w, "eligible", pl->n_eligible, pl->eligible);
    jwNameList(w, "remainder_allow", pl->n_remainder_allow,
               pl->remainder_allow);
    gw_jw_end(w);
}
