/* slotctl_sched: JSON <-> rule sets, templates and places (see the header
 * for the shapes and the error contract).
 *
 * The parsers check every field where it is read, so that an error can
 * name it: libslot would refuse the same input at submission, but only as
 * "INVALID_ARGUMENT", which does not tell an operator which of a file's
 * hundred fields is wrong. The rules are the protocol's own (slot_valid.h,
 * the limits of slot_proto.h / slot_sched.h), never a second copy.
 */
#include "slotctl_sched.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_proto.h"
#include "slot_sched.h"
#include "slot_time.h"
#include "slot_valid.h"

_Static_assert(SLOTC_SHARES_MAX == SLOT_POOL_SHARES_MAX, "shares limit");
_Static_assert(SLOTC_CHANNEL_MAX == SLOT_CHANNEL_MAX, "channel limit");

/* ---- parse context: the path of the field being read -------------------- */

struct pctx {
    struct sctl_err *e;
    char path[sizeof((struct sctl_err *)0)->field];
    size_t len;
};

static void ctxInit(struct pctx *c, struct sctl_err *e)
{
    memset(e, 0, sizeof *e);
    c->e = e;
    c->path[0] = '\0';
    c->len = 0;
}

/* Appends ".key" (or "key" at the top) and returns the old length. */
static size_t pathKey(struct pctx *c, const char *key)
{
    size_t old = c->len;
    int n = snprintf(c->path + c->len, sizeof c->path - c->len, "%s%s",
                     c->len > 0 ? "." : "", key);
    if (n > 0) {
        c->len += (size_t)n < sizeof c->path - c->len
                      ? (size_t)n
                      : sizeof c->path - c->len - 1;
    }
    return old;
}

/* Appends "[i]" and returns the old length. */
static size_t pathIndex(struct pctx *c, size_t i)
{
    size_t old = c->len;
    int n = snprintf(c->path + c->len, sizeof c->path - c->len, "[%zu]", i);
    if (n > 0) {
        c->len += (size_t)n < sizeof c->path - c->len
                      ? (size_t)n
                      : sizeof c->path - c->len - 1;
    }
    return old;
}

static void pathPop(struct pctx *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

/* Records the error at the current path; returns false for `return
 * fail(...)`. */
__attribute__((format(printf, 3, 4))) static bool fail(struct pctx *c, int code,
                                                       const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->e->code = code;
    snprintf(c->e->field, sizeof c->e->field, "%s", c->path);
    snprintf(c->e->message, sizeof c->e->message, "%s%s%s", c->path,
             c->len > 0 ? ": " : "", msg);
    return false;
}

static const char *typeName(const json_t *v)
{
    switch (json_typeof(v)) {
        case JSON_OBJECT:
            return "an object";
        case JSON_ARRAY:
            return "an array";
        case JSON_STRING:
            return "a string";
        case JSON_INTEGER:
            return "an integer";
        case JSON_REAL:
            return "a number with a fraction";
        case JSON_TRUE:
        case JSON_FALSE:
            return "a boolean";
        default:
            return "null";
    }
}

static bool wrongType(struct pctx *c, const json_t *v, const char *want)
{
    return fail(c, SLOT_MALFORMED, "expected %s, not %s", want, typeName(v));
}

/* v must be an object whose keys are all in known (NULL-terminated). */
static bool objectKeys(struct pctx *c, const json_t *v,
                       const char *const *known)
{
    if (!json_is_object(v)) {
        return wrongType(c, v, "an object");
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val)
    {
        bool ok = false;
        for (const char *const *k = known; *k != NULL && !ok; k++) {
            ok = strcmp(*k, key) == 0;
        }
        if (!ok) {
            size_t old = pathKey(c, key);
            fail(c, SLOT_MALFORMED, "unknown field");
            pathPop(c, old);
            return false;
        }
    }
    return true;
}

/* The member `key` of object o, or NULL; fails "missing" if required.
 * *ok is set false on failure. */
static const json_t *member(struct pctx *c, const json_t *o, const char *key,
                            bool required, bool *ok)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL && required) {
        size_t old = pathKey(c, key);
        *ok = fail(c, SLOT_MALFORMED, "missing (required)");
        pathPop(c, old);
    }
    return v;
}

/* What a string field must be: its limit, whether "" is allowed, and its
 * rule (NULL: any bytes) with the words that say it in an error. */
struct strRule {
    size_t max;
    bool empty_ok;
    int (*rule)(struct slot_str);
    const char *what;
};

static int policyRule(struct slot_str s)
{
    return s.len == 1 && s.p[0] == '*' ? SLOT_OK : slot_valid_channel(s);
}

static const struct strRule R_CHANNEL = {SLOT_CHANNEL_MAX, false,
                                         slot_valid_channel,
                                         "a channel or group name (1..16 "
                                         "bytes of [a-z0-9_-])"};
static const struct strRule R_CHANNEL_OR_EMPTY = {
    SLOT_CHANNEL_MAX, true, slot_valid_channel,
    "\"\" or a channel name (1..16 bytes of [a-z0-9_-])"};
static const struct strRule R_POLICY = {
    SLOT_CHANNEL_MAX, false, policyRule,
    "a channel, a group or \"*\" (1..16 bytes of [a-z0-9_-])"};
static const struct strRule R_NAME = {SLOT_NAME_MAX, false, slot_valid_name,
                                      "a name (1..32 bytes of "
                                      "[A-Za-z0-9_.-])"};
static const struct strRule R_NAME_OR_EMPTY = {
    SLOT_NAME_MAX, true, slot_valid_name,
    "\"\" or a name (1..32 bytes of [A-Za-z0-9_.-])"};
static const struct strRule R_PREFIX = {
    SLOT_ID_PREFIX_MAX, false, slot_valid_pool_id,
    "a pool id prefix (1..50 bytes of [A-Za-z0-9/_.:-])"};

/* Checks string value v (at the current path) by rule r and copies it
 * into dst[cap] (cap > r->max). */
static bool strValue(struct pctx *c, const json_t *v, const struct strRule *r,
                     char *dst, size_t cap)
{
    if (!json_is_string(v)) {
        return wrongType(c, v, "a string");
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len > r->max) {
        return fail(c, SLOT_TOO_LARGE, "%zu bytes, at most %zu: must be %s",
                    len, r->max, r->what);
    }
    if (len == 0 && !r->empty_ok) {
        return fail(c, SLOT_INVALID_ARGUMENT, "empty: must be %s", r->what);
    }
    if (len > 0 && r->rule != NULL &&
        (strlen(s) != len ||
         r->rule((struct slot_str){s, (uint32_t)len}) != SLOT_OK)) {
        return fail(c, SLOT_INVALID_ARGUMENT, "\"%s\" is not %s", s, r->what);
    }
    snprintf(dst, cap, "%s", s);
    return true;
}

/* An optional (or required) string member. Absent: dst unchanged. */
static bool strField(struct pctx *c, const json_t *o, const char *key,
                     bool required, const struct strRule *r, char *dst,
                     size_t cap)
{
    bool ok = true;
    const json_t *v = member(c, o, key, required, &ok);
    if (v == NULL) {
        return ok;
    }
    size_t old = pathKey(c, key);
    ok = strValue(c, v, r, dst, cap);
    pathPop(c, old);
    return ok;
}

/* An optional (or required) integer member in [min, max]. */
static bool intField(struct pctx *c, const json_t *o, const char *key,
                     bool required, long long min, long long max,
                     long long *dst)
{
    bool ok = true;
    const json_t *v = member(c, o, key, required, &ok);
    if (v == NULL) {
        return ok;
    }
    size_t old = pathKey(c, key);
    if (!json_is_integer(v)) {
        ok = wrongType(c, v, "an integer");
    } else if (json_integer_value(v) < min || json_integer_value(v) > max) {
        ok = fail(c, SLOT_INVALID_ARGUMENT, "%lld is out of range %lld..%lld",
                  (long long)json_integer_value(v), min, max);
    } else {
        *dst = json_integer_value(v);
    }
    pathPop(c, old);
    return ok;
}

static bool boolField(struct pctx *c, const json_t *o, const char *key,
                      bool *dst)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL) {
        return true;
    }
    size_t old = pathKey(c, key);
    bool ok = json_is_boolean(v) ? (*dst = json_is_true(v), true)
                                 : wrongType(c, v, "true or false");
    pathPop(c, old);
    return ok;
}

/* A local time of day "HH:MM" (end_ok: also "24:00", the day's end). */
static bool minuteValue(struct pctx *c, const json_t *v, bool end_ok,
                        uint32_t *dst)
{
    if (!json_is_string(v)) {
        return wrongType(c, v, "a time of day \"HH:MM\"");
    }
    const char *s = json_string_value(v);
    if (end_ok && strcmp(s, "24:00") == 0) {
        *dst = SLOT_MINUTES_PER_DAY;
        return true;
    }
    int32_t m = slotc_minute_parse(s);
    if (m < 0) {
        return fail(c, SLOT_INVALID_ARGUMENT,
                    "\"%s\" is not a time of day (HH:MM, 00:00..23:59%s)", s,
                    end_ok ? " or 24:00" : "");
    }
    *dst = (uint32_t)m;
    return true;
}

static bool minuteField(struct pctx *c, const json_t *o, const char *key,
                        bool required, bool end_ok, uint32_t *dst)
{
    bool ok = true;
    const json_t *v = member(c, o, key, required, &ok);
    if (v == NULL) {
        return ok;
    }
    size_t old = pathKey(c, key);
    ok = minuteValue(c, v, end_ok, dst);
    pathPop(c, old);
    return ok;
}

static bool dayValue(struct pctx *c, const json_t *v, uint32_t *dst)
{
    if (!json_is_string(v)) {
        return wrongType(c, v, "a date \"YYYY-MM-DD\"");
    }
    int64_t d = slotc_day_parse(json_string_value(v));
    if (d < 0) {
        return fail(c, SLOT_INVALID_ARGUMENT,
                    "\"%s\" is not a date (YYYY-MM-DD, 1970-01-02.."
                    "2269-12-31)",
                    json_string_value(v));
    }
    *dst = (uint32_t)d;
    return true;
}

/* An array member of at most max elements (min..max if required); *arr
 * NULL when absent. */
static bool arrayField(struct pctx *c, const json_t *o, const char *key,
                       bool required, size_t min, size_t max,
                       const json_t **arr)
{
    bool ok = true;
    *arr = member(c, o, key, required, &ok);
    if (*arr == NULL) {
        return ok;
    }
    size_t old = pathKey(c, key);
    if (!json_is_array(*arr)) {
        ok = wrongType(c, *arr, "an array");
    } else if (json_array_size(*arr) > max) {
        ok = fail(c, SLOT_TOO_LARGE, "%zu entries, at most %zu",
                  json_array_size(*arr), max);
    } else if (json_array_size(*arr) < min) {
        ok = fail(c, SLOT_INVALID_ARGUMENT, "%zu entries, at least %zu",
                  json_array_size(*arr), min);
    }
    pathPop(c, old);
    return ok;
}

/* A list of distinct channel or group names: dst[max][17], *n. */
static bool namesField(struct pctx *c, const json_t *o, const char *key,
                       bool required, size_t min, size_t max,
                       char (*dst)[SLOTC_CHANNEL_MAX + 1], uint32_t *n)
{
    const json_t *arr;
    if (!arrayField(c, o, key, required, min, max, &arr)) {
        return false;
    }
    if (arr == NULL) {
        return true;
    }
    size_t old = pathKey(c, key);
    bool ok = true;
    for (size_t i = 0; i < json_array_size(arr) && ok; i++) {
        size_t o2 = pathIndex(c, i);
        ok = strValue(c, json_array_get(arr, i), &R_CHANNEL, dst[i],
                      sizeof dst[i]);
        for (size_t k = 0; k < i && ok; k++) {
            if (strcmp(dst[k], dst[i]) == 0) {
                ok = fail(c, SLOT_INVALID_ARGUMENT, "\"%s\" is listed twice",
                          dst[i]);
            }
        }
        pathPop(c, o2);
    }
    pathPop(c, old);
    *n = ok ? (uint32_t)json_array_size(arr) : 0;
    return ok;
}

/* ---- file --------------------------------------------------------------- */

json_t *sctl_json_load(const char *path, struct sctl_err *e)
{
    memset(e, 0, sizeof *e);
    bool std_in = strcmp(path, "-") == 0;
    FILE *f = std_in ? stdin : fopen(path, "rb");
    if (f == NULL) {
        e->code = -1;
        snprintf(e->message, sizeof e->message, "cannot read %s: %s", path,
                 strerror(errno));
        return NULL;
    }
    /* One byte more than the limit tells "too large" from "exactly". */
    char *buf = malloc(SCTL_FILE_MAX + 1);
    size_t len = 0;
    while (buf != NULL && len <= SCTL_FILE_MAX) {
        size_t r = fread(buf + len, 1, SCTL_FILE_MAX + 1 - len, f);
        if (r == 0) {
            break;
        }
        len += r;
    }
    bool err = buf == NULL || ferror(f);
    int saved = errno;
    if (!std_in) {
        fclose(f);
    }
    const char *name = std_in ? "standard input" : path;
    if (err) {
        free(buf);
        e->code = -1;
        snprintf(e->message, sizeof e->message, "cannot read %s: %s", name,
                 strerror(buf == NULL ? ENOMEM : saved));
        return NULL;
    }
    if (len > SCTL_FILE_MAX) {
        free(buf);
        e->code = SLOT_TOO_LARGE;
        snprintf(e->message, sizeof e->message,
                 "%s: larger than %u bytes (the limit of one input)", name,
                 SCTL_FILE_MAX);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    if (j == NULL) {
        e->code = SLOT_MALFORMED;
        snprintf(e->message, sizeof e->message, "%s: line %d, column %d: %s",
                 name, je.line, je.column, je.text);
    }
    return j;
}

/* ---- rule sets ---------------------------------------------------------- */

/* "+HH:MM" / "-HH:MM", within UTC-12:00..UTC+14:00. */
static bool offsetField(struct pctx *c, const json_t *o, int32_t *dst)
{
    const json_t *v = json_object_get(o, "utc_offset");
    if (v == NULL) {
        return true;
    }
    size_t old = pathKey(c, "utc_offset");
    bool ok = json_is_string(v);
    if (!ok) {
        wrongType(c, v, "a UTC offset \"+HH:MM\"");
    } else {
        const char *s = json_string_value(v);
        int32_t m = strlen(s) == 6 && (s[0] == '+' || s[0] == '-')
                        ? slotc_minute_parse(s + 1)
                        : -1;
        int32_t off = s[0] == '-' ? -m : m;
        ok = m >= 0 && off >= SLOT_UTC_OFFSET_MIN && off <= SLOT_UTC_OFFSET_MAX;
        if (!ok) {
            fail(c, SLOT_INVALID_ARGUMENT,
                 "\"%s\" is not a UTC offset (+HH:MM or -HH:MM, "
                 "-12:00..+14:00)",
                 s);
        } else {
            *dst = off;
        }
    }
    pathPop(c, old);
    return ok;
}

/* pay_ttl_ms / pay_ttl_max_ms: 0, or 1000..86400000. */
static bool ttlField(struct pctx *c, const json_t *o, const char *key,
                     uint32_t *dst)
{
    long long v = *dst;
    if (!intField(c, o, key, false, 0, 86400000, &v)) {
        return false;
    }
    if (v > 0 && v < 1000) {
        size_t old = pathKey(c, key);
        fail(c, SLOT_INVALID_ARGUMENT, "%lld: must be 0 or 1000..86400000", v);
        pathPop(c, old);
        return false;
    }
    *dst = (uint32_t)v;
    return true;
}

static bool flowBackField(struct pctx *c, const json_t *o,
                          struct slotc_rules *r)
{
    const json_t *v = json_object_get(o, "flow_back");
    if (v == NULL || json_is_null(v)) {
        r->flowback_minute = -1;
        r->flowback_days_before = 0;
        r->flowback_to[0] = '\0';
        return true;
    }
    static const char *const known[] = {"days_before", "time", "to", NULL};
    size_t old = pathKey(c, "flow_back");
    long long days = 0;
    uint32_t minute = 0;
    bool ok = objectKeys(c, v, known) &&
              intField(c, v, "days_before", false, 0, SLOT_FLOWBACK_DAYS_MAX,
                       &days) &&
              minuteField(c, v, "time", true, false, &minute) &&
              strField(c, v, "to", false, &R_CHANNEL_OR_EMPTY, r->flowback_to,
                       sizeof r->flowback_to);
    pathPop(c, old);
    r->flowback_days_before = (uint32_t)days;
    r->flowback_minute = (int32_t)minute;
    return ok;
}

static bool groupsField(struct pctx *c, const json_t *o, struct slotc_rules *r)
{
    const json_t *arr;
    if (!arrayField(c, o, "groups", false, 0, SLOTC_GROUPS_MAX, &arr)) {
        return false;
    }
    if (arr == NULL) {
        return true;
    }
    static const char *const known[] = {"name", "channels", NULL};
    size_t old = pathKey(c, "groups");
    bool ok = true;
    for (size_t i = 0; i < json_array_size(arr) && ok; i++) {
        const json_t *g = json_array_get(arr, i);
        struct slotc_group *d = &r->groups[i];
        size_t o2 = pathIndex(c, i);
        ok =
            objectKeys(c, g, known) &&
            strField(c, g, "name", true, &R_CHANNEL, d->name, sizeof d->name) &&
            namesField(c, g, "channels", true, 1, SLOTC_GROUP_CHANNELS_MAX,
                       d->channels, &d->n);
        pathPop(c, o2);
    }
    /* A group name is never also a channel: "online" in a share must mean
     * one thing (slot_rules_check). */
    for (size_t i = 0; i < json_array_size(arr) && ok; i++) {
        size_t o2 = pathIndex(c, i);
        size_t o3 = pathKey(c, "name");
        for (size_t k = 0; k < json_array_size(arr) && ok; k++) {
            if (k < i && strcmp(r->groups[k].name, r->groups[i].name) == 0) {
                ok = fail(c, SLOT_INVALID_ARGUMENT,
                          "group \"%s\" is defined twice", r->groups[i].name);
            }
            for (uint32_t m = 0; m < r->groups[k].n && ok; m++) {
                if (strcmp(r->groups[k].channels[m], r->groups[i].name) == 0) {
                    ok = fail(c, SLOT_INVALID_ARGUMENT,
                              "\"%s\" is a channel of groups[%zu], so it "
                              "cannot name a group",
                              r->groups[i].name, k);
                }
            }
        }
        pathPop(c, o3);
        pathPop(c, o2);
    }
    pathPop(c, old);
    r->n_groups = ok ? (uint32_t)json_array_size(arr) : 0;
    return ok;
}

static bool policiesField(struct pctx *c, const json_t *o,
                          struct slotc_rules *r)
{
    const json_t *arr;
    if (!arrayField(c, o, "policies", false, 0, SLOTC_POLICIES_MAX, &arr)) {
        return false;
    }
    if (arr == NULL) {
        return true;
    }
    static const char *const known[] = {"channel", "horizon_days", "cutoff",
                                        "same_day", NULL};
    size_t old = pathKey(c, "policies");
    bool ok = true;
    for (size_t i = 0; i < json_array_size(arr) && ok; i++) {
        const json_t *p = json_array_get(arr, i);
        struct slotc_policy *d = &r->policies[i];
        /* An entry says only what differs from a channel without one. */
        long long horizon = 0;
        d->cutoff = true;
        d->same_day = true;
        size_t o2 = pathIndex(c, i);
        ok = objectKeys(c, p, known) &&
             strField(c, p, "channel", true, &R_POLICY, d->channel,
                      sizeof d->channel) &&
             intField(c, p, "horizon_days", false, 0, SLOT_HORIZON_MAX,
                      &horizon) &&
             boolField(c, p, "cutoff", &d->cutoff) &&
             boolField(c, p, "same_day", &d->same_day);
        d->horizon_days = (uint32_t)horizon;
        for (size_t k = 0; k < i && ok; k++) {
            if (strcmp(r->policies[k].channel, d->channel) == 0) {
                size_t o3 = pathKey(c, "channel");
                ok = fail(c, SLOT_INVALID_ARGUMENT,
                          "\"%s\" already has a policy (policies[%zu])",
                          d->channel, k);
                pathPop(c, o3);
            }
        }
        pathPop(c, o2);
    }
    pathPop(c, old);
    r->n_policies = ok ? (uint32_t)json_array_size(arr) : 0;
    return ok;
}

/* A pool kind by name, or null (allow_null: any kind, -1). */
static bool kindField(struct pctx *c, const json_t *o, bool allow_null,
                      int *dst)
{
    const json_t *v = json_object_get(o, "kind");
    if (v == NULL) {
        return true;
    }
    size_t old = pathKey(c, "kind");
    bool ok = true;
    if (allow_null && json_is_null(v)) {
        *dst = -1;
    } else if (!json_is_string(v)) {
        ok = wrongType(c, v, allow_null ? "a kind or null" : "a kind");
    } else if ((*dst = slotc_kind_from_name(json_string_value(v))) < 0) {
        ok = fail(c, SLOT_INVALID_ARGUMENT,
                  "\"%s\" is not a kind (normal, expert, special, "
                  "top_expert)",
                  json_string_value(v));
    }
    pathPop(c, old);
    return ok;
}

static bool eligibilityField(struct pctx *c, const json_t *o,
                             struct slotc_rules *r)
{
    const json_t *arr;
    if (!arrayField(c, o, "eligibility", false, 0, SLOTC_ELIG_RULES_MAX,
                    &arr)) {
        return false;
    }
    if (arr == NULL) {
        return true;
    }
    static const char *const known[] = {"department", "kind", "channels", NULL};
    size_t old = pathKey(c, "eligibility");
    bool ok = true;
    for (size_t i = 0; i < json_array_size(arr) && ok; i++) {
        const json_t *el = json_array_get(arr, i);
        struct slotc_elig *d = &r->elig[i];
        d->kind = -1;
        size_t o2 = pathIndex(c, i);
        ok = objectKeys(c, el, known) &&
             strField(c, el, "department", false, &R_NAME_OR_EMPTY,
                      d->department, sizeof d->department) &&
             kindField(c, el, true, &d->kind) &&
             namesField(c, el, "channels", true, 1, SLOTC_POOL_NAMES_MAX,
                        d->names, &d->n);
        pathPop(c, o2);
    }
    pathPop(c, old);
    r->n_elig = ok ? (uint32_t)json_array_size(arr) : 0;
    return ok;
}

/* ---- the patient rules (rule set version 2) ---- */

static bool quotaField(struct pctx *c, const json_t *o,
                       struct slotc_patient_rules *p)
{
    const json_t *v = json_object_get(o, "quota");
    if (v == NULL) {
        return true;
    }
    static const char *const known[] = {
        "day_normal",   "day_expert",  "dept_expert", "month_normal",
        "month_expert", "per_account", NULL};
    uint32_t *dst[] = {&p->quota_day_normal, &p->quota_day_expert,
                       &p->quota_dept_expert, &p->quota_month_normal,
                       &p->quota_month_expert};
    size_t old = pathKey(c, "quota");
    bool ok = objectKeys(c, v, known);
    for (size_t i = 0; ok && i < sizeof dst / sizeof dst[0]; i++) {
        long long q = *dst[i];
        ok = intField(c, v, known[i], false, 0, UINT8_MAX, &q);
        *dst[i] = (uint32_t)q;
    }
    ok = ok && boolField(c, v, "per_account", &p->quota_per_account);
    pathPop(c, old);
    return ok;
}

static bool cancelField(struct pctx *c, const json_t *o,
                        struct slotc_patient_rules *p)
{
    const json_t *v = json_object_get(o, "cancel");
    if (v == NULL) {
        return true;
    }
    static const char *const known[] = {"days_before", "time", "same_day",
                                        "limit_per_day", NULL};
    size_t old = pathKey(c, "cancel");
    long long days = p->cancel_days_before, limit = p->cancel_limit_day;
    bool ok =
        objectKeys(c, v, known) &&
        intField(c, v, "days_before", false, 0, SLOT_HORIZON_MAX, &days) &&
        boolField(c, v, "same_day", &p->cancel_same_day) &&
        intField(c, v, "limit_per_day", false, 0, SLOT_CANCELS_KEPT, &limit);
    const json_t *t = ok ? json_object_get(v, "time") : NULL;
    if (t != NULL && json_is_null(t)) {
        p->cancel_minute = -1;
    } else if (t != NULL) {
        uint32_t m = 0;
        ok = minuteField(c, v, "time", false, false, &m);
        p->cancel_minute = (int32_t)m;
    }
    pathPop(c, old);
    p->cancel_days_before = (uint32_t)days;
    p->cancel_limit_day = (uint32_t)limit;
    return ok;
}

static bool blacklistField(struct pctx *c, const json_t *o,
                           struct slotc_patient_rules *p)
{
    const json_t *v = json_object_get(o, "blacklist");
    if (v == NULL) {
        return true;
    }
    static const char *const known[] = {
        "threshold",           "window_days",    "days", "exempt",
        "unpaid_is_violation", "late_cancel_ms", NULL};
    size_t old = pathKey(c, "blacklist");
    long long threshold = p->violation_threshold,
              window = p->violation_window_days, days = p->blacklist_days,
              late = p->late_cancel_ms;
    bool ok = objectKeys(c, v, known) &&
              intField(c, v, "threshold", false, 0, SLOT_VIOLATIONS_KEPT,
                       &threshold) &&
              intField(c, v, "window_days", false, 1, SLOTC_WINDOW_DAYS_MAX,
                       &window) &&
              intField(c, v, "days", false, 1, SLOTC_WINDOW_DAYS_MAX, &days) &&
              strField(c, v, "exempt", false, &R_CHANNEL_OR_EMPTY,
                       p->blacklist_exempt, sizeof p->blacklist_exempt) &&
              boolField(c, v, "unpaid_is_violation", &p->unpaid_is_violation) &&
              intField(c, v, "late_cancel_ms", false, 0,
                       SLOT_LATE_CANCEL_MAX_MS, &late);
    pathPop(c, old);
    p->late_cancel_ms = (uint32_t)late;
    p->violation_threshold = (uint32_t)threshold;
    p->violation_window_days = (uint32_t)window;
    p->blacklist_days = (uint32_t)days;
    return ok;
}

/* "cooldown_ms": [min, max], 0 <= min <= max <= SLOTC_COOLDOWN_MAX_MS. */
static bool cooldownField(struct pctx *c, const json_t *o,
                          struct slotc_patient_rules *p)
{
    const json_t *v = json_object_get(o, "cooldown_ms");
    if (v == NULL) {
        return true;
    }
    size_t old = pathKey(c, "cooldown_ms");
    bool ok = json_is_array(v) && json_array_size(v) == 2;
    if (!ok) {
        wrongType(c, v, "[min, max]");
    }
    uint32_t ms[2] = {0, 0};
    for (size_t i = 0; i < 2 && ok; i++) {
        const json_t *x = json_array_get(v, i);
        size_t o2 = pathIndex(c, i);
        if (!json_is_integer(x)) {
            ok = wrongType(c, x, "an integer");
        } else if (json_integer_value(x) < 0 ||
                   json_integer_value(x) > SLOTC_COOLDOWN_MAX_MS) {
            ok = fail(c, SLOT_INVALID_ARGUMENT, "%lld is out of range 0..%u",
                      (long long)json_integer_value(x), SLOTC_COOLDOWN_MAX_MS);
        } else {
            ms[i] = (uint32_t)json_integer_value(x);
        }
        pathPop(c, o2);
    }
    if (ok && ms[0] > ms[1]) {
        ok = fail(c, SLOT_INVALID_ARGUMENT, "min %u is above max %u", ms[0],
                  ms[1]);
    }
    pathPop(c, old);
    p->cooldown_min_ms = ms[0];
    p->cooldown_max_ms = ms[1];
    return ok;
}

static bool patientFields(struct pctx *c, const json_t *o,
                          struct slotc_patient_rules *p)
{
    return quotaField(c, o, p) && cancelField(c, o, p) &&
           blacklistField(c, o, p) && cooldownField(c, o, p) &&
           strField(c, o, "account_channels", false, &R_CHANNEL_OR_EMPTY,
                    p->account_channels, sizeof p->account_channels);
}

int sctl_patient_rules_parse(const json_t *j, const char *base,
                             struct slotc_patient_rules *p, struct sctl_err *e)
{
    struct pctx c;
    ctxInit(&c, e);
    if (base[0] != '\0') {
        pathKey(&c, base);
    }
    return patientFields(&c, j, p) ? SLOT_OK : e->code;
}

/* ---- the visit-day rules (rule set version 3) ---- */

static bool visitField(struct pctx *c, const json_t *o,
                       struct slotc_visit_rules *v)
{
    const json_t *x = json_object_get(o, "visit");
    if (x == NULL) {
        return true;
    }
    static const char *const known[] = {"checkin_before_ms", "checkin_late_ms",
                                        "noshow_sweep", NULL};
    size_t old = pathKey(c, "visit");
    long long before = v->checkin_before_ms, late = v->checkin_late_ms;
    bool ok = objectKeys(c, x, known) &&
              intField(c, x, "checkin_before_ms", false, 0,
                       SLOTC_CHECKIN_MAX_MS, &before) &&
              intField(c, x, "checkin_late_ms", false, 0, SLOTC_CHECKIN_MAX_MS,
                       &late) &&
              boolField(c, x, "noshow_sweep", &v->noshow_sweep);
    pathPop(c, old);
    v->checkin_before_ms = (uint32_t)before;
    v->checkin_late_ms = (uint32_t)late;
    return ok;
}

int sctl_visit_rules_parse(const json_t *j, const char *base,
                           struct slotc_visit_rules *v, struct sctl_err *e)
{
    struct pctx c;
    ctxInit(&c, e);
    if (base[0] != '\0') {
        pathKey(&c, base);
    }
    return visitField(&c, j, v) ? SLOT_OK : e->code;
}

int sctl_rules_parse(const json_t *j, struct slotc_rules *out,
                     struct sctl_err *e)
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
    struct pctx c;
    ctxInit(&c, e);
    slotc_rules_init(out);
    long long horizon = out->horizon_days;
    uint32_t release = out->release_minute;
    bool ok =
        objectKeys(&c, j, known) && offsetField(&c, j, &out->utc_offset_min) &&
        minuteField(&c, j, "release_time", false, false, &release) &&
        intField(&c, j, "horizon_days", false, 0, SLOT_HORIZON_MAX, &horizon);
    out->release_minute = release;
    out->horizon_days = (uint32_t)horizon;
    if (ok) {
        const json_t *v = json_object_get(j, "cutoff_time");
        uint32_t m = 0;
        if (v != NULL && json_is_null(v)) {
            out->cutoff_minute = -1;
        } else if (v != NULL) {
            ok = minuteField(&c, j, "cutoff_time", false, false, &m);
            out->cutoff_minute = (int32_t)m;
        }
    }
    ok = ok && ttlField(&c, j, "pay_ttl_ms", &out->pay_ttl_ms) &&
         ttlField(&c, j, "pay_ttl_max_ms", &out->pay_ttl_max_ms);
    if (ok && out->pay_ttl_max_ms != 0 &&
        out->pay_ttl_ms > out->pay_ttl_max_ms) {
        size_t old = pathKey(&c, "pay_ttl_ms");
        ok = fail(&c, SLOT_INVALID_ARGUMENT, "%u is above pay_ttl_max_ms (%u)",
                  out->pay_ttl_ms, out->pay_ttl_max_ms);
        pathPop(&c, old);
    }
    ok = ok && flowBackField(&c, j, out) && groupsField(&c, j, out) &&
         policiesField(&c, j, out) && eligibilityField(&c, j, out) &&
         patientFields(&c, j, &out->patient) && visitField(&c, j, &out->visit);
    return ok ? SLOT_OK : e->code;
}

static json_t *minuteJson(int32_t m)
{
    if (m < 0) {
        return json_null();
    }
    char buf[6];
    slotc_minute_format((uint32_t)m, buf);
    return json_string(buf);
}

/* The names of a char[n][SLOTC_CHANNEL_MAX + 1] array (first = its
 * first byte) as a JSON array. */
static json_t *namesJson(const char *first, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++) {
        json_array_append_new(
            a, json_string(first + (size_t)i * (SLOTC_CHANNEL_MAX + 1)));
    }
    return a;
}

json_t *sctl_rules_json(const struct slotc_rules *r)
{
    json_t *o = json_object();
    int32_t off =
        r->utc_offset_min < 0 ? -r->utc_offset_min : r->utc_offset_min;
    char buf[16];
    snprintf(buf, sizeof buf, "%c%02d:%02d", r->utc_offset_min < 0 ? '-' : '+',
             (int)(off / 60), (int)(off % 60));
    json_object_set_new(o, "utc_offset", json_string(buf));
    json_object_set_new(o, "release_time",
                        minuteJson((int32_t)r->release_minute));
    json_object_set_new(o, "horizon_days", json_integer(r->horizon_days));
    json_object_set_new(o, "cutoff_time", minuteJson(r->cutoff_minute));
    json_object_set_new(o, "pay_ttl_ms", json_integer(r->pay_ttl_ms));
    json_object_set_new(o, "pay_ttl_max_ms", json_integer(r->pay_ttl_max_ms));
    json_object_set_new(o, "flow_back",
                        r->flowback_minute < 0
                            ? json_null()
                            : json_pack("{s:I, s:o, s:s}", "days_before",
                                        (json_int_t)r->flowback_days_before,
                                        "time", minuteJson(r->flowback_minute),
                                        "to", r->flowback_to));
    json_t *groups = json_array();
    for (uint32_t i = 0; i < r->n_groups; i++) {
        json_array_append_new(
            groups,
            json_pack("{s:s, s:o}", "name", r->groups[i].name, "channels",
                      namesJson(r->groups[i].channels[0], r->groups[i].n)));
    }
    json_object_set_new(o, "groups", groups);
    json_t *pol = json_array();
    for (uint32_t i = 0; i < r->n_policies; i++) {
        const struct slotc_policy *p = &r->policies[i];
        json_array_append_new(
            pol, json_pack("{s:s, s:I, s:b, s:b}", "channel", p->channel,
                           "horizon_days", (json_int_t)p->horizon_days,
                           "cutoff", p->cutoff, "same_day", p->same_day));
    }
    json_object_set_new(o, "policies", pol);
    json_t *el = json_array();
    for (uint32_t i = 0; i < r->n_elig; i++) {
        const struct slotc_elig *e = &r->elig[i];
        const char *kind = slotc_kind_name(e->kind);
        json_array_append_new(
            el,
            json_pack("{s:s, s:o, s:o}", "department", e->department, "kind",
                      kind != NULL ? json_string(kind) : json_null(),
                      "channels", namesJson(e->names[0], e->n)));
    }
    json_object_set_new(o, "eligibility", el);
    const struct slotc_patient_rules *p = &r->patient;
    json_object_set_new(
        o, "quota",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:b}", "day_normal",
                  (json_int_t)p->quota_day_normal, "day_expert",
                  (json_int_t)p->quota_day_expert, "dept_expert",
                  (json_int_t)p->quota_dept_expert, "month_normal",
                  (json_int_t)p->quota_month_normal, "month_expert",
                  (json_int_t)p->quota_month_expert, "per_account",
                  p->quota_per_account));
    json_object_set_new(o, "cancel",
                        json_pack("{s:I, s:o, s:b, s:I}", "days_before",
                                  (json_int_t)p->cancel_days_before, "time",
                                  minuteJson(p->cancel_minute), "same_day",
                                  p->cancel_same_day, "limit_per_day",
                                  (json_int_t)p->cancel_limit_day));
    json_object_set_new(
        o, "blacklist",
        json_pack("{s:I, s:I, s:I, s:s, s:b, s:I}", "threshold",
                  (json_int_t)p->violation_threshold, "window_days",
                  (json_int_t)p->violation_window_days, "days",
                  (json_int_t)p->blacklist_days, "exempt", p->blacklist_exempt,
                  "unpaid_is_violation", p->unpaid_is_violation,
                  "late_cancel_ms", (json_int_t)p->late_cancel_ms));
    json_object_set_new(o, "cooldown_ms",
                        json_pack("[I, I]", (json_int_t)p->cooldown_min_ms,
                                  (json_int_t)p->cooldown_max_ms));
    json_object_set_new(o, "account_channels",
                        json_string(p->account_channels));
    json_object_set_new(o, "visit", sctl_visit_rules_json(&r->visit));
    return o;
}

json_t *sctl_visit_rules_json(const struct slotc_visit_rules *v)
{
    return json_pack("{s:I, s:I, s:b}", "checkin_before_ms",
                     (json_int_t)v->checkin_before_ms, "checkin_late_ms",
                     (json_int_t)v->checkin_late_ms, "noshow_sweep",
                     v->noshow_sweep);
}

/* ---- templates ---------------------------------------------------------- */

static bool payModeField(struct pctx *c, const json_t *o, int *dst)
{
    const json_t *v = json_object_get(o, "pay_mode");
    if (v == NULL) {
        return true;
    }
    size_t old = pathKey(c, "pay_mode");
    bool ok = true;
    if (!json_is_string(v)) {
        ok = wrongType(c, v, "a payment mode");
    } else if ((*dst = slotc_pay_mode_from_name(json_string_value(v))) < 0) {
        ok = fail(c, SLOT_INVALID_ARGUMENT,
                  "\"%s\" is not a payment mode (online, at_visit)",
                  json_string_value(v));
    }
    pathPop(c, old);
    return ok;
}

static bool sharesField(struct pctx *c, const json_t *o,
                        struct sctl_template *t)
{
    const json_t *arr;
    if (!arrayField(c, o, "shares", false, 0, SLOTC_SHARES_MAX, &arr)) {
        return false;
    }
    if (arr == NULL) {
        return true;
    }
    static const char *const known[] = {"channel", "permille", NULL};
    size_t old = pathKey(c, "shares");
    bool ok = true;
    long long sum = 0;
    for (size_t i = 0; i < json_array_size(arr) && ok; i++) {
        const json_t *s = json_array_get(arr, i);
        long long pm = 0;
        size_t o2 = pathIndex(c, i);
        ok = objectKeys(c, s, known) &&
             strField(c, s, "channel", true, &R_CHANNEL, t->share_names[i],
                      sizeof t->share_names[i]) &&
             intField(c, s, "permille", true, 1, 1000, &pm);
        for (size_t k = 0; k < i && ok; k++) {
            if (strcmp(t->share_names[k], t->share_names[i]) == 0) {
                size_t o3 = pathKey(c, "channel");
                ok = fail(c, SLOT_INVALID_ARGUMENT,
                          "\"%s\" already has a share (shares[%zu])",
                          t->share_names[i], k);
                pathPop(c, o3);
            }
        }
        t->t.shares[i].channel = t->share_names[i];
        t->t.shares[i].permille = (uint32_t)pm;
        sum += pm;
        pathPop(c, o2);
    }
    if (ok && sum > 1000) {
        ok = fail(c, SLOT_INVALID_ARGUMENT,
                  "the permilles sum to %lld, at most 1000", sum);
    }
    pathPop(c, old);
    t->t.n_shares = ok ? (uint32_t)json_array_size(arr) : 0;
    return ok;
}

static bool daysField(struct pctx *c, const json_t *o, struct sctl_template *t)
{
    const json_t *arr;
    if (!arrayField(c, o, "days", true, 1, SLOTC_TEMPLATE_DAYS_MAX, &arr)) {
        return false;
    }
    size_t old = pathKey(c, "days");
    bool ok = true;
    for (size_t i = 0; i < json_array_size(arr) && ok; i++) {
        size_t o2 = pathIndex(c, i);
        ok = dayValue(c, json_array_get(arr, i), &t->days[i]);
        if (ok && i > 0 && t->days[i] <= t->days[i - 1]) {
            ok = fail(c, SLOT_INVALID_ARGUMENT,
                      "%s is not after days[%zu] (days must increase)",
                      json_string_value(json_array_get(arr, i)), i - 1);
        }
        pathPop(c, o2);
    }
    pathPop(c, old);
    t->t.n_days = ok ? (uint32_t)json_array_size(arr) : 0;
    t->t.days = t->days;
    return ok;
}

static bool segmentsField(struct pctx *c, const json_t *o,
                          struct sctl_template *t)
{
    const json_t *arr;
    if (!arrayField(c, o, "segments", true, 1, SLOTC_TEMPLATE_SEGS_MAX, &arr)) {
        return false;
    }
    static const char *const known[] = {"start", "end", "capacity", NULL};
    size_t old = pathKey(c, "segments");
    bool ok = true;
    for (size_t i = 0; i < json_array_size(arr) && ok; i++) {
        const json_t *s = json_array_get(arr, i);
        struct slotc_segment *d = &t->segments[i];
        long long cap = 0;
        size_t o2 = pathIndex(c, i);
        ok = objectKeys(c, s, known) &&
             minuteField(c, s, "start", true, false, &d->start_minute) &&
             minuteField(c, s, "end", true, true, &d->end_minute) &&
             intField(c, s, "capacity", true, 1, SLOT_POOL_CAPACITY_MAX, &cap);
        d->capacity = (uint32_t)cap;
        if (ok && d->end_minute <= d->start_minute) {
            size_t o3 = pathKey(c, "end");
            ok = fail(c, SLOT_INVALID_ARGUMENT, "not after start");
            pathPop(c, o3);
        }
        if (ok && i > 0 && d->start_minute < t->segments[i - 1].end_minute) {
            size_t o3 = pathKey(c, "start");
            ok = fail(c, SLOT_INVALID_ARGUMENT,
                      "before the end of segments[%zu] (segments must "
                      "increase and not overlap)",
                      i - 1);
            pathPop(c, o3);
        }
        pathPop(c, o2);
    }
    pathPop(c, old);
    t->t.n_segments = ok ? (uint32_t)json_array_size(arr) : 0;
    t->t.segments = t->segments;
    return ok;
}

static bool templateParse(struct pctx *c, const json_t *j,
                          struct sctl_template *t)
{
    static const char *const known[] = {
        "id_prefix", "hospital",        "campus",   "department",    "doctor",
        "kind",      "fee_cents",       "pay_mode", "visit_slot_ms", "shares",
        "eligible",  "remainder_allow", "days",     "segments",      NULL};
    memset(t, 0, sizeof *t);
    t->t.id_prefix = t->id_prefix;
    t->t.place.hospital = t->hospital;
    t->t.place.campus = t->campus;
    t->t.place.department = t->department;
    t->t.place.doctor = t->doctor;
    t->t.place.pay_mode = SLOTC_PAY_ONLINE;
    t->t.kind = SLOTC_KIND_NORMAL;
    long long fee = 0, slot = 0;
    bool ok =
        objectKeys(c, j, known) &&
        strField(c, j, "id_prefix", true, &R_PREFIX, t->id_prefix,
                 sizeof t->id_prefix) &&
        strField(c, j, "hospital", true, &R_NAME, t->hospital,
                 sizeof t->hospital) &&
        strField(c, j, "campus", false, &R_NAME_OR_EMPTY, t->campus,
                 sizeof t->campus) &&
        strField(c, j, "department", true, &R_NAME, t->department,
                 sizeof t->department) &&
        strField(c, j, "doctor", false, &R_NAME_OR_EMPTY, t->doctor,
                 sizeof t->doctor) &&
        kindField(c, j, false, &t->t.kind) &&
        intField(c, j, "fee_cents", false, 0, (long long)SLOT_FEE_MAX_CENTS,
                 &fee) &&
        payModeField(c, j, &t->t.place.pay_mode) &&
        intField(c, j, "visit_slot_ms", false, 0, SLOT_VISIT_SLOT_MAX_MS,
                 &slot) &&
        sharesField(c, j, t) &&
        namesField(c, j, "eligible", false, 0, SLOTC_POOL_NAMES_MAX,
                   t->eligible, &t->t.place.n_eligible) &&
        namesField(c, j, "remainder_allow", false, 0, SLOTC_POOL_NAMES_MAX,
                   t->remainder_allow, &t->t.place.n_remainder_allow) &&
        daysField(c, j, t) && segmentsField(c, j, t);
    t->t.fee_cents = (uint64_t)fee;
    t->t.place.visit_slot_ms = (uint32_t)slot;
    for (uint32_t i = 0; i < SLOTC_POOL_NAMES_MAX; i++) {
        t->t.place.eligible[i] = t->eligible[i];
        t->t.place.remainder_allow[i] = t->remainder_allow[i];
    }
    return ok;
}

int sctl_templates_parse(const json_t *j, struct sctl_template **out, size_t *n,
                         struct sctl_err *e)
{
    struct pctx c;
    ctxInit(&c, e);
    *out = NULL;
    *n = 0;
    bool many = json_is_array(j);
    size_t count = many ? json_array_size(j) : 1;
    if (!many && !json_is_object(j)) {
        wrongType(&c, j, "a template object or an array of them");
        return e->code;
    }
    if (count == 0 || count > SCTL_TEMPLATES_MAX) {
        fail(&c, count == 0 ? SLOT_INVALID_ARGUMENT : SLOT_TOO_LARGE,
             "%zu templates: 1..%d per file", count, SCTL_TEMPLATES_MAX);
        return e->code;
    }
    struct sctl_template *t = calloc(count, sizeof *t);
    if (t == NULL) {
        fail(&c, SLOT_TOO_LARGE, "out of memory for %zu templates", count);
        return e->code;
    }
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++) {
        size_t old = many ? pathIndex(&c, i) : 0;
        ok = templateParse(&c, many ? json_array_get(j, i) : j, &t[i]);
        pathPop(&c, old);
    }
    if (!ok) {
        free(t);
        return e->code;
    }
    *out = t;
    *n = count;
    return SLOT_OK;
}

static json_t *cnamesJson(const char *const *names, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++) {
        json_array_append_new(a, json_string(names[i]));
    }
    return a;
}

static const char *orEmpty(const char *s)
{
    return s != NULL ? s : "";
}

json_t *sctl_template_json(const struct slotc_template *t)
{
    const char *kind = slotc_kind_name(t->kind);
    const char *pay = slotc_pay_mode_name(t->place.pay_mode);
    json_t *o = json_object();
    json_object_set_new(o, "id_prefix", json_string(orEmpty(t->id_prefix)));
    json_object_set_new(o, "hospital", json_string(orEmpty(t->place.hospital)));
    json_object_set_new(o, "campus", json_string(orEmpty(t->place.campus)));
    json_object_set_new(o, "department",
                        json_string(orEmpty(t->place.department)));
    json_object_set_new(o, "doctor", json_string(orEmpty(t->place.doctor)));
    json_object_set_new(o, "kind", json_string(kind != NULL ? kind : "?"));
    json_object_set_new(o, "fee_cents", json_integer((json_int_t)t->fee_cents));
    json_object_set_new(o, "pay_mode", json_string(pay != NULL ? pay : "?"));
    json_object_set_new(o, "visit_slot_ms",
                        json_integer(t->place.visit_slot_ms));
    json_t *shares = json_array();
    for (uint32_t i = 0; i < t->n_shares; i++) {
        json_array_append_new(
            shares,
            json_pack("{s:s, s:I}", "channel", orEmpty(t->shares[i].channel),
                      "permille", (json_int_t)t->shares[i].permille));
    }
    json_object_set_new(o, "shares", shares);
    json_object_set_new(o, "eligible",
                        cnamesJson(t->place.eligible, t->place.n_eligible));
    json_object_set_new(
        o, "remainder_allow",
        cnamesJson(t->place.remainder_allow, t->place.n_remainder_allow));
    json_t *days = json_array();
    for (uint32_t i = 0; i < t->n_days; i++) {
        char d[11];
        slotc_day_format(t->days[i], d);
        json_array_append_new(days, json_string(d));
    }
    json_object_set_new(o, "days", days);
    json_t *segs = json_array();
    for (uint32_t i = 0; i < t->n_segments; i++) {
        const struct slotc_segment *s = &t->segments[i];
        json_array_append_new(
            segs, json_pack("{s:o, s:o, s:I}", "start",
                            minuteJson((int32_t)s->start_minute), "end",
                            s->end_minute == SLOT_MINUTES_PER_DAY
                                ? json_string("24:00")
                                : minuteJson((int32_t)s->end_minute),
                            "capacity", (json_int_t)s->capacity));
    }
    json_object_set_new(o, "segments", segs);
    return o;
}

uint32_t sctl_template_pools(const struct slotc_template *t)
{
    return t->n_days * t->n_segments;
}

/* ---- places ------------------------------------------------------------- */

json_t *sctl_place_json(const struct slotc_pool_place *p)
{
    const char *pay = slotc_pay_mode_name(p->pay_mode);
    char day[11];
    slotc_day_format(p->visit_day, day);
    json_t *o = json_object();
    json_object_set_new(o, "hospital", json_string(p->hospital));
    json_object_set_new(o, "campus", json_string(p->campus));
    json_object_set_new(o, "department", json_string(p->department));
    json_object_set_new(o, "doctor", json_string(p->doctor));
    json_object_set_new(o, "visit_date", json_string(day));
    json_object_set_new(o, "pay_mode", json_string(pay != NULL ? pay : "?"));
    json_object_set_new(o, "visit_slot_ms", json_integer(p->visit_slot_ms));
    json_object_set_new(o, "eligible",
                        namesJson(p->eligible[0], p->n_eligible));
    json_object_set_new(o, "remainder_allow",
                        namesJson(p->remainder_allow[0], p->n_remainder_allow));
    /* The gateway's names: null when no flow-back is due (none applies,
     * or it has happened). */
    json_object_set_new(o, "flow_back_at_ms",
                        p->flow_due_ms != 0
                            ? json_integer((json_int_t)p->flow_due_ms)
                            : json_null());
    json_object_set_new(o, "flowed_back", json_boolean(p->flowed_back));
    return o;
}

json_t *sctl_place_spec_json(const struct slotc_place *p)
{
    const char *pay = slotc_pay_mode_name(p->pay_mode);
    char day[11];
    slotc_day_format(p->visit_day, day);
    json_t *o = json_object();
    json_object_set_new(o, "hospital", json_string(orEmpty(p->hospital)));
    json_object_set_new(o, "campus", json_string(orEmpty(p->campus)));
    json_object_set_new(o, "department", json_string(orEmpty(p->department)));
    json_object_set_new(o, "doctor", json_string(orEmpty(p->doctor)));
    json_object_set_new(o, "visit_date", json_string(day));
    json_object_set_new(o, "pay_mode", json_string(pay != NULL ? pay : "?"));
    json_object_set_new(o, "visit_slot_ms", json_integer(p->visit_slot_ms));
    json_object_set_new(o, "eligible", cnamesJson(p->eligible, p->n_eligible));
    json_object_set_new(o, "remainder_allow",
                        cnamesJson(p->remainder_allow, p->n_remainder_allow));
    return o;
}
