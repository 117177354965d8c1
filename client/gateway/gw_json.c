/* gw_json: request parsing and response building (see gw_json.h). */
#include "gw_json.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_err.h"
#include "gw_ident.h"
#include "gw_jsonInt.h"
#include "slot_valid.h"

/* ---- buffer -------------------------------------------------------------- */

void gw_buf_init(struct gw_buf *b, char *storage, size_t cap)
{
    b->p = storage;
    b->len = 0;
    b->cap = cap;
    b->heap = false;
    b->oom = false;
    if (cap > 0) {
        b->p[0] = '\0';
    }
}

void gw_buf_free(struct gw_buf *b)
{
    if (b->heap) {
        free(b->p);
    }
    b->p = NULL;
    b->len = b->cap = 0;
    b->heap = false;
}

/* Makes room for n more bytes plus a NUL; false (and oom) if impossible. */
static bool reserve(struct gw_buf *b, size_t n)
{
    if (b->oom) {
        return false;
    }
    if (b->len + n + 1 <= b->cap) {
        return true;
    }
    size_t cap = b->cap > 0 ? b->cap : 256;
    while (cap < b->len + n + 1) {
        cap *= 2;
    }
    char *p = b->heap ? realloc(b->p, cap) : malloc(cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    if (!b->heap && b->len > 0) {
        memcpy(p, b->p, b->len);
    }
    b->p = p;
    b->cap = cap;
    b->heap = true;
    return true;
}

void gw_buf_put(struct gw_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n)) {
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void gw_buf_puts(struct gw_buf *b, const char *s)
{
    gw_buf_put(b, s, strlen(s));
}

void gw_buf_printf(struct gw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    int n = vsnprintf(room > 0 ? b->p + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < room) {
        b->len += (size_t)n;
        return;
    }
    if (!reserve(b, (size_t)n)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* ---- writer -------------------------------------------------------------- */

void gw_jw_init(struct gw_jw *w, struct gw_buf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
}

/* Before a value or a key: the comma that separates it from the previous
 * member (none right after a key). */
static void sep(struct gw_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0 && w->need_comma[w->depth - 1]) {
        gw_buf_put(w->b, ",", 1);
    }
    if (w->depth > 0) {
        w->need_comma[w->depth - 1] = true;
    }
}

void gw_jw_obj(struct gw_jw *w)
{
    sep(w);
    gw_buf_put(w->b, "{", 1);
    if (w->depth < GW_JW_DEPTH_MAX) {
        w->need_comma[w->depth] = false;
    }
    w->depth++;
}

void gw_jw_end(struct gw_jw *w)
{
    gw_buf_put(w->b, "}", 1);
    w->depth--;
}

/* An array's elements are separated like an object's members (sep). */
void gw_jw_arr(struct gw_jw *w)
{
    sep(w);
    gw_buf_put(w->b, "[", 1);
    if (w->depth < GW_JW_DEPTH_MAX) {
        w->need_comma[w->depth] = false;
    }
    w->depth++;
}

void gw_jw_arr_end(struct gw_jw *w)
{
    gw_buf_put(w->b, "]", 1);
    w->depth--;
}

/* Is s[0..n) well-formed UTF-8 (shortest forms, no surrogates, at most
 * U+10FFFF)? */
static bool validUtf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k;                      /* continuation bytes */
        unsigned lo = 0x80, hi = 0xbf; /* range of the first of them */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
            hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            lo = c == 0xf0 ? 0x90 : 0x80;
            hi = c == 0xf4 ? 0x8f : 0xbf; /* <= U+10FFFF */
        } else {
            return false;
        }
        if (n - i <= k) {
            return false;
        }
        for (size_t j = 1; j <= k; j++) {
            unsigned char d = s[i + j];
            if (d < (j == 1 ? lo : 0x80) || d > (j == 1 ? hi : 0xbf)) {
                return false;
            }
        }
        i += k + 1;
    }
    return true;
}

/* utf8: bytes >= 0x80 are copied as they are (the caller checked that the
 * string is valid UTF-8). */
static void putEscaped(struct gw_buf *b, const char *s, size_t n, bool utf8)
{
    static const char hex[] = "0123456789abcdef";
    gw_buf_put(b, "\"", 1);
    size_t run = 0; /* bytes copied verbatim in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ||
            (utf8 && c >= 0x80)) {
            continue;
        }
        gw_buf_put(b, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            gw_buf_put(b, e, 2);
        } else {
            /* Control bytes, DEL and non-ASCII (our values are ASCII by
             * their field rules; escaping keeps any stray byte valid
             * JSON). */
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            gw_buf_put(b, e, 6);
        }
    }
    gw_buf_put(b, s + run, n - run);
    gw_buf_put(b, "\"", 1);
}

void gw_jw_key(struct gw_jw *w, const char *k)
{
    sep(w);
    putEscaped(w->b, k, strlen(k), false);
    gw_buf_put(w->b, ":", 1);
    w->after_key = true;
}

void gw_jw_strn(struct gw_jw *w, const char *s, size_t n)
{
    sep(w);
    putEscaped(w->b, s, n, false);
}

void gw_jw_text(struct gw_jw *w, const char *s)
{
    size_t n = strlen(s);
    sep(w);
    putEscaped(w->b, s, n, validUtf8((const unsigned char *)s, n));
}

void gw_jw_bool(struct gw_jw *w, bool v)
{
    sep(w);
    gw_buf_puts(w->b, v ? "true" : "false");
}

void gw_jw_null(struct gw_jw *w)
{
    sep(w);
    gw_buf_puts(w->b, "null");
}

void gw_jw_str(struct gw_jw *w, const char *s)
{
    gw_jw_strn(w, s, strlen(s));
}

void gw_jw_u64(struct gw_jw *w, uint64_t v)
{
    sep(w);
    /* By hand: this runs a few times per response on the hot path. */
    char num[24];
    size_t i = sizeof num;
    do {
        num[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    gw_buf_put(w->b, num + i, sizeof num - i);
}

void gw_jw_raw(struct gw_jw *w, const char *json)
{
    sep(w);
    gw_buf_puts(w->b, json);
}

/* ---- errors -------------------------------------------------------------- */

void gw_json_error(struct gw_buf *b, int code, const char *message,
                   const char *extra)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "error");
    gw_jw_obj(&w);
    gw_jw_key(&w, "code");
    gw_jw_str(&w, gw_err_name(code));
    gw_jw_key(&w, "message");
    gw_jw_str(&w, message != NULL && message[0] != '\0' ? message
                                                        : gw_err_message(code));
    if (extra != NULL && extra[0] != '\0') {
        gw_buf_put(b, ",", 1);
        gw_buf_puts(b, extra);
    }
    gw_jw_end(&w);
    gw_jw_end(&w);
}

bool gw__fail(struct gw_fail *f, int code, const char *fmt, ...)
{
    f->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- request arguments -------------------------------------------------- */

const struct gw__str_rule gw__pool_rule = {
    slot_valid_pool_id, 1, SLOT_POOL_ID_MAX, "[A-Za-z0-9/_.:-]"};
const struct gw__str_rule gw__channel_rule = {slot_valid_channel, 1,
                                              SLOT_CHANNEL_MAX, "[a-z0-9_-]"};
const struct gw__str_rule gw__name_rule = {slot_valid_name, 1, SLOT_NAME_MAX,
                                           "[A-Za-z0-9_.-]"};
static const struct gw__str_rule patientRule = {
    slot_valid_patient_key, SLOT_PATIENT_KEY_MIN, SLOT_PATIENT_KEY_MAX,
    "[A-Za-z0-9_.:-]"};
static const struct gw__str_rule refRule = {slot_valid_payment_ref, 1,
                                            SLOT_PAYMENT_REF_MAX,
                                            "printable ASCII (0x21..0x7e)"};
/* A payment method (protocol 5): the protocol's own rule decides. */
static const struct gw__str_rule payMethodRule = {
    slot_valid_pay_method, 1, SLOT_PAY_METHOD_MAX, "[a-z0-9_-]"};
static const struct gw__str_rule idemRule = {
    slot_valid_idem_key, 1, SLOT_IDEM_KEY_MAX, "[A-Za-z0-9_.:-]"};

bool gw__str_arg(const struct gw__str_rule *rule, const char *s, size_t len,
                 char *dst, size_t cap, const char *what, struct gw_fail *f)
{
    /* Longer than the rule's maximum: refused before the length is cut to
     * the u32 of struct slot_str. */
    if (len >= cap ||
        rule->valid((struct slot_str){s, (uint32_t)len}) != SLOT_OK) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "%s must be %u..%u bytes of %s", what, rule->min,
                        rule->max, rule->chars);
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
    return true;
}

void gw_query_init(struct gw_query *q)
{
    memset(q, 0, sizeof *q);
    q->q.hospital = q->hospital;
    q->q.department = q->department;
    q->q.doctor = q->doctor;
    q->q.after = q->after;
    q->q.kind = -1;
    q->q.limit = GW_LIST_LIMIT_DEFAULT;
    q->limit = GW_LIST_LIMIT_DEFAULT;
}

void gw_args_init(struct gw_args *a)
{
    memset(a, 0, sizeof *a);
    gw_query_init(&a->query);
}

bool gw_arg_pool(struct gw_args *a, const char *s, size_t len,
                 struct gw_fail *f)
{
    return gw__str_arg(&gw__pool_rule, s, len, a->pool, sizeof a->pool,
                       "the pool id (percent-encoded)", f);
}

bool gw_arg_patient(struct gw_args *a, const char *s, size_t len,
                    struct gw_fail *f)
{
    return gw__str_arg(&patientRule, s, len, a->patient, sizeof a->patient,
                       "the patient key", f);
}

bool gw_arg_idem(struct gw_args *a, const char *s, size_t len,
                 struct gw_fail *f)
{
    return gw__str_arg(&idemRule, s, len, a->idem, sizeof a->idem,
                       "Idempotency-Key", f);
}

bool gw_arg_account(struct gw_args *a, const struct gw_ident *ident,
                    bool key_ok, const char *s, size_t len, struct gw_fail *f)
{
    if (ident == NULL) {
        return gw__str_arg(&patientRule, s, len, a->account, sizeof a->account,
                           "the account", f);
    }
    /* An account key itself ("ac:" + 32 lowercase hex digits), as a
     * patient's record shows it: the operator's way to an account. */
    /* s is not NUL-terminated (a header's bytes): no str* function. */
    size_t pl = strlen(GW_ACCOUNT_KEY_PREFIX);
    bool is_key =
        len == GW_IDENT_KEY_LEN && memcmp(s, GW_ACCOUNT_KEY_PREFIX, pl) == 0;
    for (size_t i = pl; is_key && i < len; i++) {
        is_key = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
    }
    if (key_ok && is_key) {
        memcpy(a->account, s, len);
        a->account[len] = '\0';
        return true;
    }
    if (gw_ident_account_key(ident, s, len, a->account) != GW_IDENT_OK) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "the account (the channel's user id) must be 1..%u "
                        "bytes of printable ASCII (0x21..0x7e)",
                        (unsigned)GW_ACCOUNT_USER_MAX);
    }
    return true;
}

bool gw_arg_id(struct gw_args *a, const char *s, size_t len, struct gw_fail *f)
{
    uint64_t v = 0;
    bool ok = len >= 1 && len <= 20 && s[0] != '0';
    for (size_t i = 0; ok && i < len; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        ok = s[i] >= '0' && s[i] <= '9' && v <= (UINT64_MAX - d) / 10;
        v = v * 10 + d;
    }
    if (!ok) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "the id must be a decimal number 1..2^64-1");
    }
    a->id = v;
    return true;
}

/* ---- request bodies ------------------------------------------------------ */

json_t *gw__load_object(const char *body, size_t len, struct gw_fail *f)
{
    if (len == 0) {
        gw__fail(f, SLOT_MALFORMED, "the body must be a JSON object");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        /* jansson's text quotes the input "near '...'": that may be an
         * identity number (id_number sent unquoted or cut off), which no
         * message may repeat. The rest says what went wrong. */
        char *near = strstr(je.text, " near ");
        if (near != NULL) {
            *near = '\0';
        }
        gw__fail(f, SLOT_MALFORMED, "invalid JSON at byte %d: %s", je.position,
                 je.text);
        gw_ident_wipe(&je, sizeof je);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        gw__fail(f, SLOT_MALFORMED, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

void gw__shown_name(const char *key, size_t len, char out[40])
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < 32; i++) {
        out[n++] = (key[i] >= 0x20 && key[i] < 0x7f) ? key[i] : '?';
    }
    out[n] = '\0';
}

/* Byte-exact: a name with a NUL byte in it is unknown. */
bool gw__only_known(json_t *obj, const char *const *known, const char *where,
                    struct gw_fail *f)
{
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach(obj, key, klen, v)
    {
        bool ok = false;
        for (const char *const *k = known; *k != NULL && !ok; k++) {
            ok = strlen(*k) == klen && memcmp(*k, key, klen) == 0;
        }
        if (!ok) {
            char shown[40];
            gw__shown_name(key, klen, shown);
            return gw__fail(f, SLOT_MALFORMED, "unknown field %s%s\"%s\"",
                            where, where[0] ? " " : "", shown);
        }
    }
    return true;
}

/* A string member into dst (capacity cap), checked by rule. */
static bool getStr(json_t *obj, const char *name, bool required,
                   const struct gw__str_rule *rule, char *dst, size_t cap,
                   struct gw_fail *f)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL) {
        return required
                   ? gw__fail(f, SLOT_MALFORMED, "missing field \"%s\"", name)
                   : true;
    }
    if (!json_is_string(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be a string", name);
    }
    char what[40];
    snprintf(what, sizeof what, "\"%s\"", name);
    return gw__str_arg(rule, json_string_value(v), json_string_length(v), dst,
                       cap, what, f);
}

/* An integer member: its presence and type (MALFORMED). *out is set only
 * when present; *fits says whether it is within 0..max (the width of the
 * field it goes to: the rules are the protocol's). */
static bool getInt(json_t *obj, const char *name, bool required, uint64_t max,
                   uint64_t *out, bool *fits, struct gw_fail *f)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL) {
        return required
                   ? gw__fail(f, SLOT_MALFORMED, "missing field \"%s\"", name)
                   : true;
    }
    if (!json_is_integer(v)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be an integer", name);
    }
    json_int_t i = json_integer_value(v);
    *fits = *fits && i >= 0 && (uint64_t)i <= max;
    *out = i >= 0 ? (uint64_t)i : 0;
    return true;
}

/* The INVALID_ARGUMENT of a pool definition, by the field
 * slot_valid_pool_spec_field named (or a value too wide for its field). */
static bool specFail(struct gw_fail *f, const char *field, bool has_sched)
{
    if (strcmp(field, "pool") == 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"pool\" must be 1..%u bytes of %s", gw__pool_rule.max,
                        gw__pool_rule.chars);
    }
    if (strcmp(field, "capacity") == 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"capacity\" must be in 1..%u",
                        (unsigned)SLOT_POOL_CAPACITY_MAX);
    }
    if (strcmp(field, "fee_cents") == 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"fee_cents\" must be in 0..%llu",
                        (unsigned long long)SLOT_FEE_MAX_CENTS);
    }
    if (strcmp(field, "segment") == 0 && has_sched) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"segment\": a pool with a \"schedule\" needs "
                        "one (start_ms above 0, below end_ms)");
    }
    if (strcmp(field, "segment") == 0) {
        return gw__fail(
            f, SLOT_INVALID_ARGUMENT,
            "\"segment\": start_ms must be below end_ms (or both 0), "
            "each in 0..%llu",
            (unsigned long long)SLOT_TIME_MAX_MS);
    }
    if (strcmp(field, "release_at_ms") == 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"release_at_ms\" must be in 0..%llu",
                        (unsigned long long)SLOT_TIME_MAX_MS);
    }
    if (strcmp(field, "schedule") == 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"schedule\" breaks a rule of the protocol's "
                        "schedule fields");
    }
    if (strcmp(field, "shares") == 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"channels\": at most %d distinct channels of 1..%d "
                        "bytes of [a-z0-9_-], each with 1..capacity slots, "
                        "adding up to at most capacity",
                        SLOT_POOL_SHARES_MAX, SLOT_CHANNEL_MAX);
    }
    return gw__fail(f, SLOT_INVALID_ARGUMENT, "\"%s\" is out of range", field);
}

static bool parseSegment(json_t *seg, struct slotc_pool_spec *s, bool *fits,
                         struct gw_fail *f)
{
    static const char *const known[] = {"start_ms", "end_ms", NULL};
    if (!json_is_object(seg)) {
        return gw__fail(f, SLOT_MALFORMED, "\"segment\" must be an object");
    }
    return gw__only_known(seg, known, "in \"segment\":", f) &&
           getInt(seg, "start_ms", true, UINT64_MAX, &s->seg_start_ms, fits,
                  f) &&
           getInt(seg, "end_ms", true, UINT64_MAX, &s->seg_end_ms, fits, f);
}

/* "channels": {"114": 30, ...} into a->spec.shares and a->channels. */
static bool parseShares(json_t *ch, struct gw_args *a, struct gw_fail *f)
{
    struct slotc_pool_spec *s = &a->spec;
    if (!json_is_object(ch)) {
        return gw__fail(f, SLOT_MALFORMED, "\"channels\" must be an object");
    }
    bool fits = json_object_size(ch) <= SLOTC_SHARES_MAX;
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach(ch, key, klen, v)
    {
        if (!json_is_integer(v)) {
            char shown[40];
            gw__shown_name(key, klen, shown);
            return gw__fail(f, SLOT_MALFORMED,
                            "\"channels\": \"%s\" must be an integer", shown);
        }
        json_int_t n = json_integer_value(v);
        /* (jansson refuses a NUL byte in a member name.) */
        if (!fits || klen >= sizeof a->channels[0] || n < 0 ||
            n > (json_int_t)UINT32_MAX) {
            fits = false;
            continue;
        }
        memcpy(a->channels[s->n_shares], key, klen);
        a->channels[s->n_shares][klen] = '\0';
        s->shares[s->n_shares].channel = a->channels[s->n_shares];
        s->shares[s->n_shares].slots = (uint32_t)n;
        s->n_shares++;
    }
    return fits ? true : specFail(f, "shares", false);
}

static struct slot_str zstr(const char *s)
{
    return (struct slot_str){s, (uint32_t)strlen(s)};
}

/* The spec's rules, all of them the protocol's. */
static bool checkSpec(const struct gw_args *a, struct gw_fail *f)
{
    const struct slotc_pool_spec *s = &a->spec;
    struct slot_pool_spec sp = {
        .pool = {a->pool, (uint32_t)strlen(a->pool)},
        .capacity = s->capacity,
        .kind = (uint8_t)s->kind,
        .fee_cents = s->fee_cents,
        .seg_start_ms = s->seg_start_ms,
        .seg_end_ms = s->seg_end_ms,
        .release_at_ms = s->release_at_ms,
        .n_shares = s->n_shares,
    };
    for (uint32_t i = 0; i < s->n_shares; i++) {
        sp.shares[i].channel =
            (struct slot_str){a->channels[i], (uint32_t)strlen(a->channels[i])};
        sp.shares[i].slots = s->shares[i].slots;
    }
    const struct slotc_place *pl = s->place;
    if (pl != NULL) {
        sp.has_sched = true;
        sp.sched.hospital = zstr(pl->hospital);
        sp.sched.campus = zstr(pl->campus);
        sp.sched.department = zstr(pl->department);
        sp.sched.doctor = zstr(pl->doctor);
        sp.sched.visit_day = pl->visit_day;
        sp.sched.pay_mode = (uint8_t)pl->pay_mode;
        sp.sched.visit_slot_ms = pl->visit_slot_ms;
        sp.sched.n_eligible = pl->n_eligible;
        for (uint32_t i = 0; i < pl->n_eligible; i++) {
            sp.sched.eligible[i] = zstr(pl->eligible[i]);
        }
        sp.sched.n_rem_allow = pl->n_remainder_allow;
        for (uint32_t i = 0; i < pl->n_remainder_allow; i++) {
            sp.sched.rem_allow[i] = zstr(pl->remainder_allow[i]);
        }
    }
    const char *field = "pool";
    return slot_valid_pool_spec_field(&sp, &field) == SLOT_OK ||
           specFail(f, field, pl != NULL);
}

bool gw_parse_pool(const char *body, size_t len, struct gw_args *a,
                   struct gw_fail *f)
{
    static const char *const known[] = {
        "pool",          "capacity", "kind",     "fee_cents", "segment",
        "release_at_ms", "channels", "schedule", NULL};
    struct slotc_pool_spec *s = &a->spec;
    memset(s, 0, sizeof *s);
    s->pool = a->pool;
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    uint64_t cap = 0;
    /* Values too wide for their field are refused with the rule of the
     * first such field. */
    bool fits_cap = true, fits_fee = true, fits_rel = true, fits_seg = true;
    bool ok =
        gw__only_known(j, known, "", f) &&
        getStr(j, "pool", true, &gw__pool_rule, a->pool, sizeof a->pool, f) &&
        getInt(j, "capacity", true, UINT32_MAX, &cap, &fits_cap, f);
    s->capacity = (uint32_t)cap;
    json_t *k = json_object_get(j, "kind");
    if (ok && k != NULL && !json_is_string(k)) {
        ok = gw__fail(f, SLOT_MALFORMED, "\"kind\" must be a string");
    } else if (ok && k != NULL) {
        /* A name, not a rule: slotc_kind_from_name is the list (jansson
         * refuses NUL bytes in strings). */
        s->kind = slotc_kind_from_name(json_string_value(k));
        if (s->kind < 0) {
            ok = gw__fail(f, SLOT_INVALID_ARGUMENT,
                          "\"kind\" must be \"normal\", \"expert\", "
                          "\"special\" or \"top_expert\"");
        }
    }
    ok = ok &&
         getInt(j, "fee_cents", false, UINT64_MAX, &s->fee_cents, &fits_fee,
                f) &&
         getInt(j, "release_at_ms", false, UINT64_MAX, &s->release_at_ms,
                &fits_rel, f);
    json_t *seg = json_object_get(j, "segment");
    ok = ok && (seg == NULL || parseSegment(seg, s, &fits_seg, f));
    if (ok && !(fits_cap && fits_fee && fits_seg && fits_rel)) {
        ok = specFail(f,
                      !fits_cap   ? "capacity"
                      : !fits_fee ? "fee_cents"
                      : !fits_seg ? "segment"
                                  : "release_at_ms",
                      false);
    }
    json_t *ch = json_object_get(j, "channels");
    ok = ok && (ch == NULL || parseShares(ch, a, f));
    json_t *sc = json_object_get(j, "schedule");
    if (ok && sc != NULL && !json_is_null(sc)) {
        ok = gw__parse_place(sc, "schedule", &a->place, f);
        s->place = &a->place.place;
    }
    ok = ok && checkSpec(a, f);
    json_decref(j);
    return ok;
}

/* The patient key of an identity: id_type and id_number, both strings
 * (checked by the caller). The number is never copied into a message. */
static bool identityKey(json_t *t, json_t *n, const struct gw_ident *ident,
                        struct gw_args *a, struct gw_fail *f)
{
    int type = gw_ident_type(json_string_value(t), json_string_length(t));
    if (type < 0) {
        return gw__fail(f, SLOT_INVALID_ARGUMENT, "\"id_type\" must be %s",
                        gw_ident_type_list());
    }
    if (ident == NULL) {
        return gw__fail(f, GW_IDENTITY_NOT_CONFIGURED,
                        "this gateway's configuration has no \"identity\" "
                        "secret, so it cannot turn id_type and id_number "
                        "into a patient key: send \"patient\"");
    }
    char key[GW_IDENT_KEY_LEN + 1];
    int rc = gw_ident_key(ident, type, json_string_value(n),
                          json_string_length(n), key);
    if (rc == GW_IDENT_BAD_CHECK) {
        return gw__fail(f, GW_INVALID_ID_NUMBER,
                        "\"id_number\": the check digit of this %s number "
                        "does not match its other digits",
                        gw_ident_type_name(type));
    }
    if (rc != GW_IDENT_OK) {
        return gw__fail(f, GW_INVALID_ID_NUMBER,
                        "\"id_number\": a %s number is %s",
                        gw_ident_type_name(type), gw_ident_rule(type));
    }
    memcpy(a->patient, key, sizeof key);
    return true;
}

/* The patient of a hold or lookup body (see gw_json.h). */
static bool patientOf(json_t *j, const struct gw_patient_rules *pr,
                      struct gw_args *a, struct gw_fail *f)
{
    json_t *p = json_object_get(j, "patient");
    json_t *t = json_object_get(j, "id_type");
    json_t *n = json_object_get(j, "id_number");
    if (p != NULL && (t != NULL || n != NULL)) {
        return gw__fail(f, SLOT_MALFORMED,
                        "give either \"patient\" or \"id_type\" and "
                        "\"id_number\", not both");
    }
    if (p != NULL) {
        if (!pr->opaque_ok) {
            return gw__fail(f, GW_OPAQUE_KEY_NOT_ALLOWED,
                            "this channel may not send a \"patient\" key: "
                            "name the patient by \"id_type\" and "
                            "\"id_number\"");
        }
        if (!getStr(j, "patient", true, &patientRule, a->patient,
                    sizeof a->patient, f)) {
            return false;
        }
        /* The derived keys' namespace is the gateway's: an opaque key there
         * could stand for a real-name patient's. */
        if (pr->ident != NULL && strncmp(a->patient, GW_IDENT_KEY_PREFIX,
                                         strlen(GW_IDENT_KEY_PREFIX)) == 0) {
            a->patient[0] = '\0';
            return gw__fail(f, SLOT_INVALID_ARGUMENT,
                            "\"patient\": keys beginning \"%s\" are derived "
                            "from an identity: send \"id_type\" and "
                            "\"id_number\"",
                            GW_IDENT_KEY_PREFIX);
        }
        return true;
    }
    if (t == NULL && n == NULL) {
        return gw__fail(f, SLOT_MALFORMED,
                        "missing field \"patient\" (or \"id_type\" and "
                        "\"id_number\")");
    }
    if (t == NULL || n == NULL) {
        return gw__fail(f, SLOT_MALFORMED, "missing field \"%s\"",
                        t == NULL ? "id_type" : "id_number");
    }
    if (!json_is_string(t) || !json_is_string(n)) {
        return gw__fail(f, SLOT_MALFORMED, "\"%s\" must be a string",
                        !json_is_string(t) ? "id_type" : "id_number");
    }
    return identityKey(t, n, pr->ident, a, f);
}

/* Wipes jansson's copy of an id_number before the document is freed,
 * whatever the outcome. (The request buffers of h2o and of jansson's lexer
 * are freed without it: they never leave this process's memory.) */
static void wipeNumber(json_t *j)
{
    json_t *n = json_object_get(j, "id_number");
    if (json_is_string(n)) {
        gw_ident_wipe((char *)json_string_value(n), json_string_length(n));
    }
}

bool gw_parse_lookup(const char *body, size_t len,
                     const struct gw_patient_rules *pr, struct gw_args *a,
                     struct gw_fail *f)
{
    static const char *const known[] = {"patient", "id_type", "id_number",
                                        NULL};
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok = gw__only_known(j, known, "", f) && patientOf(j, pr, a, f);
    wipeNumber(j);
    json_decref(j);
    return ok;
}

bool gw_parse_staff(const char *body, size_t len,
                    const struct gw_patient_rules *pr, bool violation,
                    struct gw_args *a, struct gw_fail *f)
{
    static const char *const known_v[] = {
        "patient", "id_type", "id_number", "operator", "reason", "kind", NULL};
    static const char *const known[] = {"patient",  "id_type", "id_number",
                                        "operator", "reason",  NULL};
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok = gw__only_known(j, violation ? known_v : known, "", f) &&
              patientOf(j, pr, a, f) &&
              getStr(j, "operator", true, &gw__operator_rule, a->operator_name,
                     sizeof a->operator_name, f) &&
              getStr(j, "reason", true, &gw__reason_rule, a->reason,
                     sizeof a->reason, f);
    if (ok && violation) {
        json_t *k = json_object_get(j, "kind");
        if (k == NULL) {
            ok = gw__fail(f, SLOT_MALFORMED, "missing field \"kind\"");
        } else if (!json_is_string(k)) {
            ok = gw__fail(f, SLOT_MALFORMED, "\"kind\" must be a string");
        } else {
            a->kind = slotc_violation_from_name(json_string_value(k));
            if (a->kind != SLOTC_VIOLATION_NO_SHOW &&
                a->kind != SLOTC_VIOLATION_OTHER) {
                ok = gw__fail(f, SLOT_INVALID_ARGUMENT,
                              "\"kind\" must be \"no_show\" or \"other\" "
                              "(unpaid holds are the ledger's own)");
            }
        }
    }
    wipeNumber(j);
    json_decref(j);
    return ok;
}

bool gw_parse_hold(const char *body, size_t len,
                   const struct gw_patient_rules *pr, struct gw_args *a,
                   struct gw_fail *f)
{
    static const char *const known[] = {"patient", "id_type", "id_number",
                                        "ttl_ms", NULL};
    a->ttl_ms = 0;
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    /* ttl_ms: any u32 for the protocol (the ledger checks it against its
     * configured bounds); 0 is not a TTL here, it means "none given". */
    uint64_t ttl = 1;
    bool fits = true;
    bool ok = gw__only_known(j, known, "", f) && patientOf(j, pr, a, f) &&
              getInt(j, "ttl_ms", false, UINT32_MAX, &ttl, &fits, f);
    if (ok && (!fits || ttl == 0)) {
        ok = gw__fail(f, SLOT_INVALID_ARGUMENT, "\"ttl_ms\" must be in 1..%u",
                      (unsigned)UINT32_MAX);
    }
    a->ttl_ms = json_object_get(j, "ttl_ms") != NULL ? (uint32_t)ttl : 0;
    wipeNumber(j);
    json_decref(j);
    return ok;
}

/* Whitespace only counts as no body. */
static bool blank(const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
                       body[i] == '\n')) {
        i++;
    }
    return i == len;
}

/* The optional "pay_method" of a confirm or check-in into a->pay_method,
 * after its "payment_ref": a method names how a payment was made, so one
 * without a reference is refused here as the protocol's decoder would
 * (INVALID_ARGUMENT), before it costs a round trip. */
static bool payMethod(json_t *j, struct gw_args *a, struct gw_fail *f)
{
    if (!getStr(j, "pay_method", false, &payMethodRule, a->pay_method,
                sizeof a->pay_method, f)) {
        a->pay_method[0] = '\0';
        return false;
    }
    if (a->pay_method[0] != '\0' && a->payment_ref[0] == '\0') {
        a->pay_method[0] = '\0';
        return gw__fail(f, SLOT_INVALID_ARGUMENT,
                        "\"pay_method\" needs a \"payment_ref\" (the payment "
                        "it names)");
    }
    return true;
}

bool gw_parse_confirm(const char *body, size_t len, struct gw_args *a,
                      struct gw_fail *f)
{
    static const char *const known[] = {"payment_ref", "pay_method", NULL};
    a->payment_ref[0] = '\0';
    a->pay_method[0] = '\0';
    if (blank(body, len)) {
        return true; /* no reference: the ledger decides (pay at visit) */
    }
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok = gw__only_known(j, known, "", f) &&
              getStr(j, "payment_ref", false, &refRule, a->payment_ref,
                     sizeof a->payment_ref, f) &&
              payMethod(j, a, f);
    json_decref(j);
    return ok;
}

bool gw_parse_stop(const char *body, size_t len, struct gw_args *a,
                   struct gw_fail *f)
{
    static const char *const known[] = {"operator", "reason", NULL};
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok = gw__only_known(j, known, "", f) &&
              getStr(j, "operator", true, &gw__operator_rule, a->operator_name,
                     sizeof a->operator_name, f) &&
              getStr(j, "reason", true, &gw__reason_rule, a->reason,
                     sizeof a->reason, f);
    json_decref(j);
    return ok;
}

bool gw_parse_move(const char *body, size_t len, struct gw_args *a,
                   struct gw_fail *f)
{
    static const char *const known[] = {"pool", NULL};
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok =
        gw__only_known(j, known, "", f) &&
        getStr(j, "pool", true, &gw__pool_rule, a->pool, sizeof a->pool, f);
    json_decref(j);
    return ok;
}

bool gw_parse_checkin(const char *body, size_t len,
                      const struct gw_patient_rules *pr, struct gw_args *a,
                      struct gw_fail *f)
{
    static const char *const known[] = {
        "patient", "id_type", "id_number", "payment_ref", "pay_method", NULL};
    a->payment_ref[0] = '\0';
    a->pay_method[0] = '\0';
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok = gw__only_known(j, known, "", f) && patientOf(j, pr, a, f) &&
              getStr(j, "payment_ref", false, &refRule, a->payment_ref,
                     sizeof a->payment_ref, f) &&
              payMethod(j, a, f);
    if (!ok) {
        /* A refusal names no patient, even one parsed before it. */
        a->patient[0] = '\0';
    }
    wipeNumber(j);
    json_decref(j);
    return ok;
}

bool gw_parse_empty(const char *body, size_t len, struct gw_fail *f)
{
    static const char *const known[] = {NULL};
    if (blank(body, len)) {
        return true;
    }
    json_t *j = gw__load_object(body, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok = gw__only_known(j, known, "", f);
    json_decref(j);
    return ok;
}

/* ---- response bodies ----------------------------------------------------- */

static void bucket(struct gw_jw *w, const struct slotc_bucket *b)
{
    gw_jw_obj(w);
    gw_jw_key(w, "capacity");
    gw_jw_u64(w, b->capacity);
    gw_jw_key(w, "free");
    gw_jw_u64(w, b->free);
    gw_jw_key(w, "held");
    gw_jw_u64(w, b->held);
    gw_jw_key(w, "booked");
    gw_jw_u64(w, b->booked);
    gw_jw_key(w, "cooling");
    gw_jw_u64(w, b->cooling);
    gw_jw_end(w);
}

static void kindAndSegment(struct gw_jw *w, int kind, uint64_t fee,
                           uint64_t start, uint64_t end, uint64_t release)
{
    const char *k = slotc_kind_name(kind);
    gw_jw_key(w, "kind");
    gw_jw_str(w, k != NULL ? k : "normal");
    gw_jw_key(w, "fee_cents");
    gw_jw_u64(w, fee);
    gw_jw_key(w, "segment");
    gw_jw_obj(w);
    gw_jw_key(w, "start_ms");
    gw_jw_u64(w, start);
    gw_jw_key(w, "end_ms");
    gw_jw_u64(w, end);
    gw_jw_end(w);
    gw_jw_key(w, "release_at_ms");
    gw_jw_u64(w, release);
}

void gw_jw_pool(struct gw_jw *w, const struct slotc_pool *p)
{
    gw_jw_obj(w);
    gw_jw_key(w, "pool");
    gw_jw_str(w, p->pool);
    gw_jw_key(w, "capacity");
    gw_jw_u64(w, p->capacity);
    gw_jw_key(w, "free");
    gw_jw_u64(w, p->free);
    gw_jw_key(w, "held");
    gw_jw_u64(w, p->held);
    gw_jw_key(w, "booked");
    gw_jw_u64(w, p->booked);
    gw_jw_key(w, "channels");
    gw_jw_obj(w);
    for (uint32_t i = 0; i < p->n_shares && i < SLOTC_SHARES_MAX; i++) {
        gw_jw_key(w, p->shares[i].channel);
        bucket(w, &p->shares[i]);
    }
    gw_jw_end(w);
    gw_jw_key(w, "shared");
    bucket(w, &p->remainder);
    kindAndSegment(w, p->kind, p->fee_cents, p->seg_start_ms, p->seg_end_ms,
                   p->release_at_ms);
    const char *st = slotc_pool_state_name(p->state);
    gw_jw_key(w, "state");
    gw_jw_str(w, st != NULL ? st : "unknown");
    gw_jw_key(w, "next_visit_no");
    gw_jw_u64(w, p->next_visit_no);
    gw_jw_key(w, "schedule");
    gw__jw_place(w, p);
    /* Protocol 3: slots a cancel freed that are not free yet, and the
     * patients waiting for one. */
    gw_jw_key(w, "cooling");
    gw_jw_u64(w, p->cooling);
    gw_jw_key(w, "waiting");
    gw_jw_u64(w, p->waiting);
    gw_jw_end(w);
}

void gw_json_pool(struct gw_buf *b, const struct slotc_pool *p)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_pool(&w, p);
}

void gw_json_pool_spec(struct gw_buf *b, const struct slotc_pool_spec *s)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "pool");
    gw_jw_str(&w, s->pool);
    gw_jw_key(&w, "capacity");
    gw_jw_u64(&w, s->capacity);
    gw_jw_key(&w, "channels");
    gw_jw_obj(&w);
    for (uint32_t i = 0; i < s->n_shares; i++) {
        gw_jw_key(&w, s->shares[i].channel);
        gw_jw_u64(&w, s->shares[i].slots);
    }
    gw_jw_end(&w);
    kindAndSegment(&w, s->kind, s->fee_cents, s->seg_start_ms, s->seg_end_ms,
                   s->release_at_ms);
    gw_jw_key(&w, "schedule");
    gw__jw_place_in(&w, s->place);
    gw_jw_end(&w);
}

void gw_jw_claim(struct gw_jw *wp, const char *id_key,
                 const struct slotc_claim *c)
{
    struct gw_jw w = *wp;
    gw_jw_obj(&w);
    gw_jw_key(&w, id_key);
    gw_jw_u64(&w, c->id);
    const char *st = slotc_claim_state_name(c->state);
    gw_jw_key(&w, "state");
    gw_jw_str(&w, st != NULL ? st : "unknown");
    gw_jw_key(&w, "pool");
    gw_jw_str(&w, c->pool);
    gw_jw_key(&w, "patient");
    gw_jw_str(&w, c->patient);
    gw_jw_key(&w, "channel");
    gw_jw_str(&w, c->channel);
    gw_jw_key(&w, "held_at_ms");
    gw_jw_u64(&w, c->held_at_ms);
    gw_jw_key(&w, "deadline_ms");
    gw_jw_u64(&w, c->deadline_ms);
    gw_jw_key(&w, "booked_at_ms");
    gw_jw_u64(&w, c->booked_at_ms);
    gw_jw_key(&w, "resolved_at_ms");
    gw_jw_u64(&w, c->resolved_at_ms);
    gw_jw_key(&w, "visit_no");
    gw_jw_u64(&w, c->visit_no);
    gw_jw_key(&w, "payment_ref");
    gw_jw_str(&w, c->payment_ref);
    gw_jw_key(&w, "visit_start_ms");
    gw_jw_u64(&w, c->visit_start_ms);
    gw_jw_key(&w, "visit_end_ms");
    gw_jw_u64(&w, c->visit_end_ms);
    gw_jw_key(&w, "paid");
    gw_jw_bool(&w, c->paid);
    gw_jw_key(&w, "bucket");
    gw_jw_str(&w, c->bucket);
    /* Protocol 4: the visit day. */
    const char *att = slotc_attendance_name(c->attendance);
    gw_jw_key(&w, "attendance");
    gw_jw_str(&w, att != NULL ? att : "unknown");
    gw_jw_key(&w, "checked_in_at_ms");
    gw_jw_u64(&w, c->checked_in_at_ms);
    gw_jw_key(&w, "moved_to");
    gw_jw_u64(&w, c->moved_to);
    gw_jw_key(&w, "moved_from");
    gw_jw_u64(&w, c->moved_from);
    gw_jw_key(&w, "refunded");
    gw_jw_bool(&w, c->refunded);
    gw_jw_key(&w, "affected");
    gw_jw_bool(&w, c->affected);
    /* Protocol 5: how it was paid, and the fee paid (0 unpaid). */
    gw_jw_key(&w, "pay_method");
    gw_jw_str(&w, c->pay_method);
    gw_jw_key(&w, "fee_paid_cents");
    gw_jw_u64(&w, c->fee_paid_cents);
    gw_jw_end(&w);
    *wp = w;
}

void gw_json_claim(struct gw_buf *b, const char *id_key,
                   const struct slotc_claim *c)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_claim(&w, id_key, c);
}

void gw_json_claim_list(struct gw_buf *b, const char *pool,
                        const struct slotc_claim *c, uint32_t n, uint32_t limit)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "pool");
    gw_jw_str(&w, pool);
    gw_jw_key(&w, "claims");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < n; i++) {
        gw_jw_claim(&w, "hold", &c[i]);
    }
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "next_after");
    if (n > 0 && n == limit) {
        gw_jw_u64(&w, c[n - 1].id);
    } else {
        gw_jw_null(&w);
    }
    gw_jw_end(&w);
}

void gw_json_patient_info(struct gw_buf *b, const struct slotc_patient_info *p)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "patient");
    gw_jw_str(&w, p->patient);
    gw_jw_key(&w, "account");
    gw_jw_str(&w, p->account);
    gw_jw_key(&w, "claims");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < p->n_claims; i++) {
        gw_jw_claim(&w, "hold", &p->claims[i]);
    }
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "violations");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < p->n_violations && i < SLOTC_VIOLATIONS_KEPT;
         i++) {
        const struct slotc_violation *v = &p->violations[i];
        const char *k = slotc_violation_name(v->kind);
        gw_jw_obj(&w);
        gw_jw_key(&w, "at_ms");
        gw_jw_u64(&w, v->at_ms);
        gw_jw_key(&w, "hospital");
        gw_jw_str(&w, v->hospital);
        gw_jw_key(&w, "kind");
        gw_jw_str(&w, k != NULL ? k : "unknown");
        gw_jw_end(&w);
    }
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "standings");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < p->n_standing && i < SLOTC_VIOLATIONS_KEPT; i++) {
        const struct slotc_standing *d = &p->standing[i];
        gw_jw_obj(&w);
        gw_jw_key(&w, "hospital");
        gw_jw_str(&w, d->hospital);
        gw_jw_key(&w, "violations");
        gw_jw_u64(&w, d->violations);
        gw_jw_key(&w, "threshold");
        gw_jw_u64(&w, d->threshold);
        gw_jw_key(&w, "warning");
        gw_jw_bool(&w, d->warning);
        gw_jw_key(&w, "blacklisted");
        gw_jw_bool(&w, d->blacklisted_until_ms != 0);
        gw_jw_key(&w, "blacklisted_until_ms");
        gw_jw_u64(&w, d->blacklisted_until_ms);
        gw_jw_key(&w, "exception");
        gw_jw_bool(&w, d->exception);
        gw_jw_end(&w);
    }
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "cancellations_ms");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < p->n_cancels && i < SLOTC_CANCELS_KEPT; i++) {
        gw_jw_u64(&w, p->cancels_ms[i]);
    }
    gw_jw_arr_end(&w);
    gw_jw_end(&w);
}

void gw_json_account(struct gw_buf *b, const struct slotc_account_info *a)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "account");
    gw_jw_str(&w, a->account);
    gw_jw_key(&w, "patients");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < a->n_patients && i < SLOTC_ACCOUNT_PATIENTS_MAX;
         i++) {
        gw_jw_str(&w, a->patients[i]);
    }
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "changes");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < a->n_changes && i < SLOTC_ACCOUNT_CHANGES_KEPT;
         i++) {
        gw_jw_obj(&w);
        gw_jw_key(&w, "at_ms");
        gw_jw_u64(&w, a->changes[i].at_ms);
        gw_jw_key(&w, "unbinds");
        gw_jw_u64(&w, a->changes[i].unbinds);
        gw_jw_end(&w);
    }
    gw_jw_arr_end(&w);
    gw_jw_end(&w);
}

static const char *staffOpName(int op)
{
    switch (op) {
        case SLOTC_OP_VIOLATION:
            return "violation";
        case SLOTC_OP_UNBLOCK:
            return "unblock";
        case SLOTC_OP_EXCEPTION:
            return "exception";
        case SLOTC_OP_POOL_STOP:
            return "pool_stop";
        default:
            return "unknown";
    }
}

void gw_json_staff_log(struct gw_buf *b, const struct slotc_staff_entry *e,
                       uint32_t n, uint32_t limit)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "entries");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < n; i++) {
        const char *op = staffOpName(e[i].op);
        const char *k = slotc_violation_name(e[i].kind);
        gw_jw_obj(&w);
        gw_jw_key(&w, "seq");
        gw_jw_u64(&w, e[i].seq);
        gw_jw_key(&w, "at_ms");
        gw_jw_u64(&w, e[i].at_ms);
        gw_jw_key(&w, "op");
        gw_jw_str(&w, op);
        gw_jw_key(&w, "hospital");
        gw_jw_str(&w, e[i].hospital);
        gw_jw_key(&w, "patient");
        gw_jw_str(&w, e[i].patient);
        gw_jw_key(&w, "kind");
        if (k != NULL) {
            gw_jw_str(&w, k);
        } else {
            gw_jw_null(&w);
        }
        gw_jw_key(&w, "operator");
        gw_jw_str(&w, e[i].operator_name);
        gw_jw_key(&w, "reason");
        gw_jw_text(&w, e[i].reason);
        gw_jw_key(&w, "pool"); /* protocol 4: a pool_stop's, else "" */
        gw_jw_str(&w, e[i].pool);
        gw_jw_end(&w);
    }
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "next_after");
    if (n > 0 && n == limit) {
        gw_jw_u64(&w, e[n - 1].seq);
    } else {
        gw_jw_null(&w);
    }
    gw_jw_end(&w);
}
