/* gw_json: request parsing and response building (see gw_json.h). */
#include "gw_json.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_err.h"
#include "slot_proto.h"

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

/* ---- writer ---------------------------------------------------------------
 */

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

static void putEscaped(struct gw_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    gw_buf_put(b, "\"", 1);
    size_t run = 0; /* bytes copied verbatim in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
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
    putEscaped(w->b, k, strlen(k));
    gw_buf_put(w->b, ":", 1);
    w->after_key = true;
}

void gw_jw_strn(struct gw_jw *w, const char *s, size_t n)
{
    sep(w);
    putEscaped(w->b, s, n);
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

/* ---- errors -----------------------------------------------------------------
 */

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

static bool fail(struct gw_fail *f, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct gw_fail *f, int code, const char *fmt, ...)
{
    f->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- field rules --------------------------------------------------------- */

static bool charsetOk(const char *s, size_t len, const char *extra, bool upper)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (upper && c >= 'A' && c <= 'Z') ||
                  (c != '\0' && strchr(extra, c));
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool gw_valid_pool(const char *s, size_t len)
{
    return len >= 1 && len <= SLOT_POOL_ID_MAX &&
           charsetOk(s, len, "/_.:-", true);
}

bool gw_valid_patient(const char *s, size_t len)
{
    return len >= SLOT_PATIENT_KEY_MIN && len <= SLOT_PATIENT_KEY_MAX &&
           charsetOk(s, len, "_.:-", true);
}

bool gw_valid_channel(const char *s, size_t len)
{
    return len >= 1 && len <= SLOT_CHANNEL_MAX &&
           charsetOk(s, len, "_-", false);
}

bool gw_valid_payment_ref(const char *s, size_t len)
{
    if (len < 1 || len > SLOT_PAYMENT_REF_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

bool gw_valid_idem_key(const char *s, size_t len)
{
    return len >= 1 && len <= 64 && charsetOk(s, len, "_.:-", true);
}

bool gw_parse_id(const char *s, size_t len, uint64_t *out)
{
    if (len < 1 || len > 20 || s[0] == '0') {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* ---- request bodies ------------------------------------------------------ */

/* Parses an object body. */
static json_t *loadObject(const char *body, size_t len, struct gw_fail *f)
{
    if (len == 0) {
        fail(f, SLOT_MALFORMED, "the body must be a JSON object");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        fail(f, SLOT_MALFORMED, "invalid JSON at byte %d: %s", je.position,
             je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        fail(f, SLOT_MALFORMED, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* Refuses members not in the NULL-terminated list. */
static bool onlyKnown(json_t *obj, const char *const *known, const char *where,
                      struct gw_fail *f)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (const char *const *k = known; *k != NULL && !ok; k++) {
            ok = strcmp(*k, key) == 0;
        }
        if (!ok) {
            char shown[40];
            long n = 0;
            /* Show a bounded, printable prefix of the unknown name. */
            for (const char *p = key; *p != '\0' && n < 32; p++) {
                shown[n++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
            }
            shown[n] = '\0';
            return fail(f, SLOT_MALFORMED, "unknown field %s%s\"%s\"", where,
                        where[0] ? " " : "", shown);
        }
    }
    return true;
}

/* A string member into dst (capacity cap), checked by rule. */
static bool getStr(json_t *obj, const char *name, bool required, char *dst,
                   size_t cap, bool (*rule)(const char *, size_t),
                   const char *rule_text, bool *present, struct gw_fail *f)
{
    json_t *v = json_object_get(obj, name);
    if (present != NULL) {
        *present = v != NULL;
    }
    if (v == NULL) {
        return required ? fail(f, SLOT_MALFORMED, "missing field \"%s\"", name)
                        : true;
    }
    if (!json_is_string(v)) {
        return fail(f, SLOT_MALFORMED, "\"%s\" must be a string", name);
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n >= cap || !rule(s, n)) {
        return fail(f, SLOT_INVALID_ARGUMENT, "\"%s\" must be %s", name,
                    rule_text);
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* An integer member in [min, max]. */
static bool getInt(json_t *obj, const char *name, bool required, uint64_t min,
                   uint64_t max, uint64_t *out, bool *present,
                   struct gw_fail *f)
{
    json_t *v = json_object_get(obj, name);
    if (present != NULL) {
        *present = v != NULL;
    }
    if (v == NULL) {
        return required ? fail(f, SLOT_MALFORMED, "missing field \"%s\"", name)
                        : true;
    }
    if (!json_is_integer(v)) {
        return fail(f, SLOT_MALFORMED, "\"%s\" must be an integer", name);
    }
    json_int_t i = json_integer_value(v);
    if (i < 0 || (uint64_t)i < min || (uint64_t)i > max) {
        return fail(f, SLOT_INVALID_ARGUMENT,
                    "\"%s\" must be in %" PRIu64 "..%" PRIu64, name, min, max);
    }
    *out = (uint64_t)i;
    return true;
}

static const char poolRule[] = "1..64 bytes of [A-Za-z0-9/_.:-]";
static const char patientRule[] = "8..64 bytes of [A-Za-z0-9_.:-]";
static const char channelRule[] = "1..16 bytes of [a-z0-9_-]";
static const char refRule[] = "1..64 bytes of printable ASCII (0x21..0x7e)";

static bool parseSegment(json_t *seg, struct slotc_pool_spec *s,
                         struct gw_fail *f)
{
    static const char *const known[] = {"start_ms", "end_ms", NULL};
    if (!json_is_object(seg)) {
        return fail(f, SLOT_MALFORMED, "\"segment\" must be an object");
    }
    if (!onlyKnown(seg, known, "in \"segment\":", f) ||
        !getInt(seg, "start_ms", true, 0, SLOT_TIME_MAX_MS, &s->seg_start_ms,
                NULL, f) ||
        !getInt(seg, "end_ms", true, 0, SLOT_TIME_MAX_MS, &s->seg_end_ms, NULL,
                f)) {
        return false;
    }
    if (!(s->seg_start_ms == 0 && s->seg_end_ms == 0) &&
        s->seg_start_ms >= s->seg_end_ms) {
        return fail(f, SLOT_INVALID_ARGUMENT,
                    "\"segment\": start_ms must be below end_ms (or both 0)");
    }
    return true;
}

static bool parseShares(json_t *ch, struct gw_pool_body *out, struct gw_fail *f)
{
    struct slotc_pool_spec *s = &out->spec;
    if (!json_is_object(ch)) {
        return fail(f, SLOT_MALFORMED, "\"channels\" must be an object");
    }
    if (json_object_size(ch) > SLOTC_SHARES_MAX) {
        return fail(f, SLOT_INVALID_ARGUMENT, "\"channels\": at most %d shares",
                    SLOTC_SHARES_MAX);
    }
    uint64_t sum = 0;
    const char *key;
    json_t *v;
    json_object_foreach(ch, key, v)
    {
        size_t kl = strlen(key);
        if (!gw_valid_channel(key, kl)) {
            return fail(f, SLOT_INVALID_ARGUMENT,
                        "\"channels\": a channel must be %s", channelRule);
        }
        if (!json_is_integer(v)) {
            return fail(f, SLOT_MALFORMED,
                        "\"channels\": \"%s\" must be an integer", key);
        }
        json_int_t n = json_integer_value(v);
        if (n < 1 || (uint64_t)n > s->capacity) {
            return fail(f, SLOT_INVALID_ARGUMENT,
                        "\"channels\": \"%s\" must be in 1..capacity", key);
        }
        sum += (uint64_t)n;
        memcpy(out->channels[s->n_shares], key, kl + 1);
        s->shares[s->n_shares].channel = out->channels[s->n_shares];
        s->shares[s->n_shares].slots = (uint32_t)n;
        s->n_shares++;
    }
    if (sum > s->capacity) {
        return fail(f, SLOT_INVALID_ARGUMENT,
                    "\"channels\": the shares add up to more than capacity");
    }
    return true;
}

bool gw_parse_pool(const char *body, size_t len, struct gw_pool_body *out,
                   struct gw_fail *f)
{
    static const char *const known[] = {
        "pool",    "capacity",      "kind",     "fee_cents",
        "segment", "release_at_ms", "channels", NULL};
    memset(out, 0, sizeof *out);
    json_t *j = loadObject(body, len, f);
    if (j == NULL) {
        return false;
    }
    struct slotc_pool_spec *s = &out->spec;
    uint64_t cap = 0;
    char kind[16] = "normal";
    bool ok =
        onlyKnown(j, known, "", f) &&
        getStr(j, "pool", true, out->pool, sizeof out->pool, gw_valid_pool,
               poolRule, NULL, f) &&
        getInt(j, "capacity", true, 1, SLOT_POOL_CAPACITY_MAX, &cap, NULL, f);
    if (ok) {
        json_t *k = json_object_get(j, "kind");
        if (k != NULL && !json_is_string(k)) {
            ok = fail(f, SLOT_MALFORMED, "\"kind\" must be a string");
        } else if (k != NULL) {
            const char *ks = json_string_value(k);
            int kv = json_string_length(k) < sizeof kind
                         ? slotc_kind_from_name(ks)
                         : -1;
            if (kv < 0) {
                ok = fail(
                    f, SLOT_INVALID_ARGUMENT,
                    "\"kind\" must be \"normal\", \"expert\" or \"special\"");
            } else {
                s->kind = kv;
            }
        }
    }
    s->pool = out->pool;
    s->capacity = (uint32_t)cap;
    ok = ok &&
         getInt(j, "fee_cents", false, 0, SLOT_FEE_MAX_CENTS, &s->fee_cents,
                NULL, f) &&
         getInt(j, "release_at_ms", false, 0, SLOT_TIME_MAX_MS,
                &s->release_at_ms, NULL, f);
    json_t *seg = json_object_get(j, "segment");
    ok = ok && (seg == NULL || parseSegment(seg, s, f));
    json_t *ch = json_object_get(j, "channels");
    ok = ok && (ch == NULL || parseShares(ch, out, f));
    json_decref(j);
    return ok;
}

bool gw_parse_hold(const char *body, size_t len, struct gw_hold_body *out,
                   struct gw_fail *f)
{
    static const char *const known[] = {"patient", "ttl_ms", NULL};
    memset(out, 0, sizeof *out);
    json_t *j = loadObject(body, len, f);
    if (j == NULL) {
        return false;
    }
    uint64_t ttl = 0;
    bool ok = onlyKnown(j, known, "", f) &&
              getStr(j, "patient", true, out->patient, sizeof out->patient,
                     gw_valid_patient, patientRule, NULL, f) &&
              getInt(j, "ttl_ms", false, 1, UINT32_MAX, &ttl, &out->has_ttl, f);
    out->ttl_ms = (uint32_t)ttl;
    json_decref(j);
    return ok;
}

bool gw_parse_confirm(const char *body, size_t len, struct gw_confirm_body *out,
                      struct gw_fail *f)
{
    static const char *const known[] = {"payment_ref", NULL};
    memset(out, 0, sizeof *out);
    json_t *j = loadObject(body, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok =
        onlyKnown(j, known, "", f) &&
        getStr(j, "payment_ref", true, out->payment_ref,
               sizeof out->payment_ref, gw_valid_payment_ref, refRule, NULL, f);
    json_decref(j);
    return ok;
}

bool gw_parse_empty(const char *body, size_t len, struct gw_fail *f)
{
    static const char *const known[] = {NULL};
    /* Whitespace only counts as empty. */
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
                       body[i] == '\n')) {
        i++;
    }
    if (i == len) {
        return true;
    }
    json_t *j = loadObject(body, len, f);
    if (j == NULL) {
        return false;
    }
    bool ok = onlyKnown(j, known, "", f);
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

void gw_json_pool(struct gw_buf *b, const struct slotc_pool *p)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "pool");
    gw_jw_str(&w, p->pool);
    gw_jw_key(&w, "capacity");
    gw_jw_u64(&w, p->capacity);
    gw_jw_key(&w, "free");
    gw_jw_u64(&w, p->free);
    gw_jw_key(&w, "held");
    gw_jw_u64(&w, p->held);
    gw_jw_key(&w, "booked");
    gw_jw_u64(&w, p->booked);
    gw_jw_key(&w, "channels");
    gw_jw_obj(&w);
    for (uint32_t i = 0; i < p->n_shares && i < SLOTC_SHARES_MAX; i++) {
        gw_jw_key(&w, p->shares[i].channel);
        bucket(&w, &p->shares[i]);
    }
    gw_jw_end(&w);
    gw_jw_key(&w, "shared");
    bucket(&w, &p->remainder);
    kindAndSegment(&w, p->kind, p->fee_cents, p->seg_start_ms, p->seg_end_ms,
                   p->release_at_ms);
    const char *st = slotc_pool_state_name(p->state);
    gw_jw_key(&w, "state");
    gw_jw_str(&w, st != NULL ? st : "unknown");
    gw_jw_key(&w, "next_visit_no");
    gw_jw_u64(&w, p->next_visit_no);
    gw_jw_end(&w);
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
    gw_jw_end(&w);
}

void gw_json_claim(struct gw_buf *b, const char *id_key,
                   const struct slotc_claim *c)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
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
    gw_jw_end(&w);
}
