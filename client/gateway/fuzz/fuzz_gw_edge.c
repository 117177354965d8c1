/* fuzz_gw_edge: slot-gateway's HTTP edge on arbitrary bytes: what a
 * request's line, path, query string and headers turn into before any
 * body parser of fuzz_gw_sched / fuzz_gw_ident runs, the bodies those two
 * leave out, and the configuration file. Every input the gateway reads
 * from the wire is handed over in a buffer of exactly its length (no NUL
 * after it, as h2o hands over a path or a header value), so ASan sees an
 * over-read. The first byte chooses what the rest is:
 *
 *   0  a request line: the next byte is the method's length (mod 9), then
 *      the method, then the path (query string included). gw_route_match
 *      gives what a reference matcher written here gives (OK on the first
 *      route of that shape and method, BAD_METHOD when only other methods
 *      have the shape, else NOT_FOUND, or BAD_ENCODING / PARAM_TOO_LONG
 *      from the matching route's parameters, whichever a parameter meets
 *      first); a match's route has that method, one parameter per
 *      "{...}" of its template, each the decoding of the non-empty path
 *      segment at its place (the raw segment itself, a substring of the
 *      path, when it has no '%'), NUL-terminated, and it encodes and
 *      decodes back to itself. The parameters then go through
 *      the handler's checker of their name, as below.
 *   1  percent-encoding: gw_pct_encode's output is [A-Za-z0-9_.~-] and
 *      %XX only, and decodes back to the input; gw_pct_decode of the raw
 *      bytes agrees with a reference decoder (length, bad escape, too long
 *      for a small buffer).
 *   2  a query string through the query parsers: what they accept is
 *      within the protocol's rules (names, pool id, limits, kind) and the
 *      event feed's (after <= 2^63, limit, wait_ms <= 30000; a stream's
 *      query is a long poll's without wait_ms), the reconciliation's
 *      (a day 1..SLOT_DAY_MAX, a name, a channel) and the statistics'
 *      (from <= to, at most GW_STATS_DAYS_MAX days, a name); the same
 *      bytes as a Last-Event-ID header against a reference parser.
 *   3  a body (the next byte chooses pool, confirm, template, empty, a
 *      PUT .../rules body, or the visit day's stop or move): what is
 *      accepted passes the protocol's validators (slot_valid.h: a
 *      confirm's pay_method the protocol's rule, never without a
 *      payment_ref; libslot's
 *      conversions for places, templates and rule sets; the stop's
 *      operator and reason, the move's target pool).
 *   4  a path argument or header value (the next byte chooses pool,
 *      patient, Idempotency-Key, id, hospital, account): accepted exactly
 *      when the protocol's validator accepts the same bytes (the id: when
 *      it is 1..2^64-1 in decimal without sign or leading zero), and then
 *      stored NUL-terminated.
 *   5  a configuration file (gw_config_parse; one naming a secret_file is
 *      skipped, the fuzzer must not read files): an accepted one has
 *      1..64 tokens by the documented rule, each of which gw_config_token
 *      finds, channels by the protocol's rule other than "admin", and
 *      every name a slot gives back; a refusal has a message.
 *
 * Every refusal of a request input carries a 4xx status (gw_err_status)
 * and a non-empty, NUL-terminated message. Seeds:
 * client/gateway/fuzz/corpus/fuzz_gw_edge/.
 */
#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_config.h"
#include "gw_err.h"
#include "gw_events.h"
#include "gw_json.h"
#include "gw_route.h"
#include "gw_sched.h"
#include "gw_stats.h"
#include "libslotInt.h"
#include "slot_err.h"
#include "slot_time.h"
#include "slot_valid.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_object_seed(1);
    return 0;
}

/* A heap copy of exactly n bytes, without a terminator (never NULL). */
static char *exact(const void *p, size_t n)
{
    char *c = malloc(n > 0 ? n : 1);
    assert(c != NULL);
    if (n > 0) {
        memcpy(c, p, n);
    }
    /* Zero bytes: a one-byte block, of which the callee may read none. */
    return n > 0 ? c : c + 1;
}

static void unexact(char *c, size_t n)
{
    free(n > 0 ? c : c - 1);
}

static void refused(const struct gw_fail *f)
{
    int st = gw_err_status(f->code);
    if (st < 400 || st > 499 || f->message[0] == '\0' ||
        memchr(f->message, '\0', sizeof f->message) == NULL) {
        fprintf(stderr, "refusal without a 4xx status or a message: %d %d\n",
                f->code, st);
        abort();
    }
}

static int valid(int (*rule)(struct slot_str), const char *s)
{
    return rule((struct slot_str){s, (uint32_t)strlen(s)});
}

/* "" or a value the rule accepts. */
static void optional(int (*rule)(struct slot_str), const char *s)
{
    assert(s[0] == '\0' || valid(rule, s) == SLOT_OK);
}

/* ---- path arguments and header values ------------------------------------ */

static bool refId(const char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 20 || s[0] == '0') {
        return false;
    }
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        uint64_t d = (uint64_t)(s[i] - '0');
        if (*v > (UINT64_MAX - d) / 10) {
            return false;
        }
        *v = *v * 10 + d;
    }
    return true;
}

/* The same bytes by the protocol's rule: the acceptance must agree. */
static void sameAsRule(bool ok, int (*rule)(struct slot_str), size_t max,
                       const char *s, size_t n, const char *stored,
                       const struct gw_fail *f)
{
    bool want = n <= max && rule((struct slot_str){s, (uint32_t)n}) == SLOT_OK;
    if (ok != want) {
        fprintf(stderr, "checker says %d, the protocol's rule %d\n", ok, want);
        abort();
    }
    if (ok) {
        assert(strlen(stored) == n && memcmp(stored, s, n) == 0);
    } else {
        refused(f);
    }
}

/* which: 0 pool, 1 patient, 2 Idempotency-Key, 3 id, 4 hospital,
 * 5 account (no secret). s[0..n) has no terminator. */
static void checkArg(int which, const char *s, size_t n)
{
    static struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    switch (which) {
        case 0:
            sameAsRule(gw_arg_pool(&a, s, n, &f), slot_valid_pool_id,
                       SLOTC_POOL_ID_MAX, s, n, a.pool, &f);
            break;
        case 1:
            sameAsRule(gw_arg_patient(&a, s, n, &f), slot_valid_patient_key,
                       SLOTC_PATIENT_KEY_MAX, s, n, a.patient, &f);
            break;
        case 2:
            sameAsRule(gw_arg_idem(&a, s, n, &f), slot_valid_idem_key,
                       SLOTC_IDEM_KEY_MAX, s, n, a.idem, &f);
            break;
        case 3: {
            uint64_t v = 0;
            bool want = refId(s, n, &v);
            bool ok = gw_arg_id(&a, s, n, &f);
            assert(ok == want);
            if (ok) {
                assert(a.id == v && v >= 1);
            } else {
                refused(&f);
            }
            break;
        }
        case 4:
            sameAsRule(gw_arg_hospital(&a, s, n, &f), slot_valid_name,
                       SLOTC_NAME_MAX, s, n, a.query.hospital, &f);
            break;
        default:
            sameAsRule(gw_arg_account(&a, NULL, false, s, n, &f),
                       slot_valid_patient_key, SLOTC_PATIENT_KEY_MAX, s, n,
                       a.account, &f);
            break;
    }
}

static void fuzzArg(const uint8_t *d, size_t n)
{
    if (n == 0) {
        return;
    }
    size_t len = n - 1;
    char *s = exact(d + 1, len);
    checkArg(d[0] % 6, s, len);
    unexact(s, len);
}

/* ---- percent-encoding --------------------------------------------------- */

static int refHex(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The decoding of s[0..n) into out (room for n bytes), or -1 for a bad
 * escape, after *done bytes (done may be NULL). */
static long refDecodeAt(const char *s, size_t n, char *out, size_t *done)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (n - i < 3 || refHex((uint8_t)s[i + 1]) < 0 ||
            refHex((uint8_t)s[i + 2]) < 0) {
            if (done != NULL) {
                *done = o;
            }
            return -1;
        }
        out[o++] =
            (char)(refHex((uint8_t)s[i + 1]) * 16 + refHex((uint8_t)s[i + 2]));
        i += 2;
    }
    return (long)o;
}

static long refDecode(const char *s, size_t n, char *out)
{
    return refDecodeAt(s, n, out, NULL);
}

static bool plain(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '~' ||
           c == '-';
}

static void fuzzPct(const uint8_t *d, size_t n)
{
    if (n == 0) {
        return;
    }
    size_t cap = d[0]; /* a small destination for the "does not fit" case */
    size_t len = n - 1;
    char *s = exact(d + 1, len);
    char *enc = malloc(3 * len + 1), *back = malloc(len + 1);
    char *ref = malloc(len + 1), *small = NULL;
    assert(enc && back && ref);

    /* Encoding: only unreserved bytes and %XX, and back again. */
    long el = gw_pct_encode(s, len, enc, 3 * len + 1);
    assert(el >= (long)len && el <= (long)(3 * len));
    assert(enc[el] == '\0');
    for (long i = 0; i < el; i++) {
        if (enc[i] == '%') {
            assert(i + 2 < el && strchr("0123456789ABCDEF", enc[i + 1]) &&
                   strchr("0123456789ABCDEF", enc[i + 2]));
            i += 2;
        } else {
            assert(plain((uint8_t)enc[i]));
        }
    }
    long bl = gw_pct_decode(enc, (size_t)el, back, len + 1);
    assert(bl == (long)len && memcmp(back, s, len) == 0 && back[len] == '\0');
    /* A destination of exactly cap bytes: fits iff the NUL fits too. */
    {
        char *e = exact("", 0);
        free(small);
        small = cap > 0 ? malloc(cap) : NULL;
        char *dst = cap > 0 ? small : e;
        long sl = gw_pct_encode(s, len, dst, cap);
        if ((size_t)el + 1 <= cap) {
            assert(sl == el && memcmp(dst, enc, (size_t)el + 1) == 0);
        } else {
            assert(sl == -1);
        }
        unexact(e, 0);
    }
    /* Decoding of the raw bytes, against the reference. */
    long want = refDecode(s, len, ref);
    long got = gw_pct_decode(s, len, back, len + 1);
    if (want < 0) {
        assert(got == -1);
    } else {
        assert(got == want && memcmp(back, ref, (size_t)want) == 0 &&
               back[want] == '\0');
        /* Decoded bytes re-encode to an equivalent spelling. */
        char *re = malloc(3 * (size_t)want + 1), *re2 = malloc(len + 1);
        assert(re && re2);
        long rl = gw_pct_encode(back, (size_t)want, re, 3 * (size_t)want + 1);
        assert(rl >= 0);
        assert(gw_pct_decode(re, (size_t)rl, re2, len + 1) == want &&
               memcmp(re2, ref, (size_t)want) == 0);
        free(re);
        free(re2);
        /* A destination of exactly cap bytes: fits iff want + 1 <= cap
         * (the NUL included). */
        char *e = exact("", 0);
        char *dst = cap > 0 ? small : e;
        long sl = gw_pct_decode(s, len, dst, cap);
        if ((size_t)want + 1 <= cap) {
            assert(sl == want && memcmp(dst, ref, (size_t)want) == 0 &&
                   dst[want] == '\0');
        } else {
            assert(sl == -2);
        }
        unexact(e, 0);
    }
    free(enc);
    free(back);
    free(ref);
    free(small);
    unexact(s, len);
}

/* ---- routes -------------------------------------------------------------- */

struct span {
    const char *p;
    size_t len;
};

/* Path (before '?') into segments after the leading '/'; -1 if it does not
 * begin with '/', else the count (at most max; more: max + 1). */
static int refSplit(const char *p, size_t n, struct span *s, int max)
{
    if (n == 0 || p[0] != '/') {
        return -1;
    }
    int k = 0;
    size_t start = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i == n || p[i] == '/') {
            if (k == max) {
                return max + 1;
            }
            s[k].p = p + start;
            s[k].len = i - start;
            k++;
            start = i + 1;
        }
    }
    return k;
}

static bool refShape(const char *tpl, const struct span *s, int k)
{
    struct span t[GW_SEGMENTS_MAX];
    int tk = refSplit(tpl, strlen(tpl), t, GW_SEGMENTS_MAX);
    if (tk != k) {
        return false;
    }
    for (int i = 0; i < k; i++) {
        if (s[i].len == 0) {
            return false;
        }
        if (t[i].p[0] == '{') {
            continue;
        }
        if (t[i].len != s[i].len || memcmp(t[i].p, s[i].p, s[i].len) != 0) {
            return false;
        }
    }
    return true;
}

/* The handler's checker of a parameter by its template name. */
static void checkParam(const char *name, size_t nl, const char *v, size_t n)
{
    static const char *const names[] = {"{pool}",    "{patient}",  "{hold}",
                                        "{booking}", "{hospital}", "{account}",
                                        NULL};
    static const int which[] = {0, 1, 3, 3, 4, 5};
    /* The console's file name: served before the matcher (gw_console.h),
     * no protocol rule to hold it to. */
    if (nl == strlen("{asset}") && memcmp(name, "{asset}", nl) == 0) {
        return;
    }
    for (int i = 0; names[i] != NULL; i++) {
        if (strlen(names[i]) == nl && memcmp(names[i], name, nl) == 0) {
            char *c = exact(v, n);
            checkArg(which[i], c, n);
            unexact(c, n);
            return;
        }
    }
    fprintf(stderr, "a template parameter the harness does not know: %.*s\n",
            (int)nl, name);
    abort();
}

static void fuzzRoute(const uint8_t *d, size_t n)
{
    if (n == 0) {
        return;
    }
    size_t ml = d[0] % 9;
    if (ml > n - 1) {
        ml = n - 1;
    }
    size_t pl = n - 1 - ml;
    char *method = exact(d + 1, ml), *path = exact(d + 1 + ml, pl);
    static struct gw_match m;
    int rc = gw_route_match(method, ml, path, pl, &m);

    /* The reference. */
    const char *q = memchr(path, '?', pl);
    size_t bare = q != NULL ? (size_t)(q - path) : pl;
    struct span s[GW_SEGMENTS_MAX + 1];
    int k = refSplit(path, bare, s, GW_SEGMENTS_MAX);
    int shape = 0, route = 0;
    for (int r = 1; k >= 0 && k <= GW_SEGMENTS_MAX && r < GW_R_COUNT; r++) {
        if (!refShape(gw_routes[r].path, s, k)) {
            continue;
        }
        shape++;
        if (strlen(gw_routes[r].method) == ml &&
            memcmp(gw_routes[r].method, method, ml) == 0) {
            route = r;
            break;
        }
    }
    if (route == 0) {
        assert(rc == (shape > 0 ? GW_MATCH_BAD_METHOD : GW_MATCH_NOT_FOUND));
        if (rc == GW_MATCH_BAD_METHOD) {
            assert(m.allow[0] != '\0');
        }
        goto out;
    }
    /* The route's parameters, by the reference decoder. */
    const struct gw_route *rt = &gw_routes[route];
    struct span t[GW_SEGMENTS_MAX];
    refSplit(rt->path, strlen(rt->path), t, GW_SEGMENTS_MAX);
    int want = GW_MATCH_OK, np = 0;
    char dec[GW_PARAMS_MAX][GW_PARAM_MAX];
    long dl[GW_PARAMS_MAX];
    int at[GW_PARAMS_MAX];
    for (int i = 0; i < k && want == GW_MATCH_OK; i++) {
        if (t[i].p[0] != '{') {
            continue;
        }
        assert(np < GW_PARAMS_MAX);
        /* Decoding stops at the first problem: a bad escape, or the
         * byte past GW_PARAM_MAX, whichever comes first. */
        char *tmp = malloc(s[i].len);
        size_t done = 0;
        assert(tmp != NULL);
        dl[np] = refDecodeAt(s[i].p, s[i].len, tmp, &done);
        if (dl[np] < 0) {
            want = done > GW_PARAM_MAX ? GW_MATCH_PARAM_TOO_LONG
                                       : GW_MATCH_BAD_ENCODING;
        } else if (dl[np] > GW_PARAM_MAX) {
            want = GW_MATCH_PARAM_TOO_LONG;
        } else {
            memcpy(dec[np], tmp, (size_t)dl[np]);
        }
        free(tmp);
        at[np++] = i;
    }
    if (rc != want) {
        fprintf(stderr, "route %s: matcher %d, reference %d\n", rt->name, rc,
                want);
        abort();
    }
    if (rc != GW_MATCH_OK) {
        goto out;
    }
    assert(m.route == route);
    assert(strlen(rt->method) == ml && memcmp(rt->method, method, ml) == 0);
    assert(m.n_params == np);
    for (int i = 0; i < np; i++) {
        const struct span *seg = &s[at[i]];
        assert(seg->len > 0 && m.len[i] > 0 && m.len[i] <= GW_PARAM_MAX);
        assert(seg->p >= path && seg->p + seg->len <= path + bare);
        assert((long)m.len[i] == dl[i] &&
               memcmp(m.params[i], dec[i], m.len[i]) == 0);
        assert(m.params[i][m.len[i]] == '\0');
        if (memchr(seg->p, '%', seg->len) == NULL) {
            assert(m.len[i] == seg->len &&
                   memcmp(m.params[i], seg->p, seg->len) == 0);
        }
        /* Encodes and decodes back to itself. */
        char enc[3 * GW_PARAM_MAX + 1], back[GW_PARAM_MAX + 1];
        long el = gw_pct_encode(m.params[i], m.len[i], enc, sizeof enc);
        assert(el >= 0);
        assert(gw_pct_decode(enc, (size_t)el, back, sizeof back) ==
                   (long)m.len[i] &&
               memcmp(back, m.params[i], m.len[i]) == 0);
        checkParam(t[at[i]].p, t[at[i]].len, m.params[i], m.len[i]);
    }
out:
    unexact(method, ml);
    unexact(path, pl);
}

/* ---- query strings ------------------------------------------------------- */

static void fuzzQuery(const uint8_t *d, size_t n)
{
    static struct gw_args a;
    struct gw_fail f;
    char *s = exact(d, n);

    gw_args_init(&a);
    if (gw_parse_pools_query(s, n, &a, &f)) {
        const struct slotc_query *q = &a.query.q;
        assert(valid(slot_valid_name, q->hospital) == SLOT_OK);
        optional(slot_valid_name, q->department);
        optional(slot_valid_name, q->doctor);
        optional(slot_valid_pool_id, q->after);
        assert(q->limit >= 1 && q->limit <= SLOTC_LIST_MAX);
        assert(q->kind >= -1 && q->kind <= SLOTC_KIND_TOP_EXPERT);
    } else {
        refused(&f);
    }
    gw_args_init(&a);
    if (gw_parse_rules_query(s, n, &a, &f)) {
        optional(slot_valid_name, a.query.department);
    } else {
        refused(&f);
    }
    gw_args_init(&a);
    if (gw_parse_log_query(s, n, &a, &f)) {
        assert(a.query.limit >= 1 && a.query.limit <= SLOTC_LIST_MAX);
    } else {
        refused(&f);
    }
    gw_args_init(&a);
    if (!gw_parse_import_query(s, n, &a, &f)) {
        refused(&f);
    }
    gw_args_init(&a);
    bool poll_ok = gw_parse_events_query(s, n, false, &a, &f);
    uint64_t poll_after = a.query.after_version;
    uint32_t poll_limit = a.query.limit;
    if (poll_ok) {
        assert(a.query.after_version <= (UINT64_C(1) << 63));
        assert(a.query.limit >= 1 && a.query.limit <= SLOTC_LIST_MAX);
        assert(a.query.wait_ms <= GW_EV_WAIT_MAX_MS);
    } else {
        refused(&f);
    }
    gw_args_init(&a);
    if (gw_parse_events_query(s, n, true, &a, &f)) {
        /* Whatever a stream accepts, a long poll accepts alike. */
        assert(poll_ok && a.query.after_version == poll_after &&
               a.query.limit == poll_limit);
    } else {
        refused(&f);
    }
    gw_args_init(&a);
    if (gw_parse_recon_query(s, n, &a, &f)) {
        assert(a.query.day >= 1 && a.query.day <= SLOT_DAY_MAX);
        optional(slot_valid_name, a.query.hospital);
        optional(slot_valid_channel, a.query.channel);
    } else {
        refused(&f);
    }
    gw_args_init(&a);
    if (gw_parse_stats_query(s, n, &a, &f)) {
        const struct slotc_query *q = &a.query.q;
        assert(q->date_from >= 1 && q->date_from <= q->date_to &&
               q->date_to <= SLOT_DAY_MAX &&
               q->date_to - q->date_from < GW_STATS_DAYS_MAX);
        optional(slot_valid_name, a.query.hospital);
    } else {
        refused(&f);
    }
    uint64_t seq = 0, ref = 0;
    size_t i = 0, e = n;
    while (i < e && s[i] == ' ') {
        i++;
    }
    while (e > i && s[e - 1] == ' ') {
        e--;
    }
    bool want = e > i && e - i <= 19;
    for (size_t k = i; want && k < e; k++) {
        want = s[k] >= '0' && s[k] <= '9';
        ref = ref * 10 + (uint64_t)(s[k] - '0');
    }
    want = want && ref <= (UINT64_C(1) << 63);
    assert(gw_parse_last_event_id(s, n, &seq) == want);
    assert(!want || seq == ref);
    unexact(s, n);
}

/* ---- bodies -------------------------------------------------------------- */

static void checkPool(const struct gw_args *a)
{
    const struct slotc_pool_spec *sp = &a->spec;
    assert(sp->pool == a->pool && valid(slot_valid_pool_id, a->pool) == 0);
    assert(sp->n_shares <= SLOTC_SHARES_MAX);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        assert(valid(slot_valid_channel, sp->shares[i].channel) == SLOT_OK);
        assert(sp->shares[i].slots >= 1 && sp->shares[i].slots <= sp->capacity);
        sum += sp->shares[i].slots;
        for (uint32_t j = 0; j < i; j++) {
            assert(strcmp(sp->shares[i].channel, sp->shares[j].channel) != 0);
        }
    }
    assert(sum <= sp->capacity);
    if (sp->place != NULL) {
        struct slot_sched w;
        assert(slotc__place_to_wire(sp->place, &w) == SLOT_OK);
    }
}

/* s[0..n) (no terminator: no str* function) is only JSON whitespace. */
static bool blankBody(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
            return false;
        }
    }
    return true;
}

static void fuzzBody(const uint8_t *d, size_t n)
{
    if (n == 0) {
        return;
    }
    static struct gw_args a;
    static struct gw_rules_body rb;
    static struct gw_template_body tb;
    struct gw_fail f;
    size_t len = n - 1;
    char *s = exact(d + 1, len);
    gw_args_init(&a);
    bool ok;
    switch (d[0] % 7) {
        case 0:
            ok = gw_parse_pool(s, len, &a, &f);
            if (ok) {
                checkPool(&a);
            }
            break;
        case 1:
            ok = gw_parse_confirm(s, len, &a, &f);
            if (ok) {
                optional(slot_valid_payment_ref, a.payment_ref);
                optional(slot_valid_pay_method, a.pay_method);
                assert(a.pay_method[0] == '\0' || a.payment_ref[0] != '\0');
            }
            break;
        case 2:
            ok = gw_parse_template(s, len, &tb, &f);
            if (ok) {
                struct slot_template w;
                struct mp_buf slices;
                mp_buf_init(&slices);
                assert(valid(slot_valid_pool_id, tb.id_prefix) == SLOT_OK);
                assert(slotc__template_to_wire(&tb.tpl, &w, &slices) ==
                       SLOT_OK);
                mp_buf_free(&slices);
            }
            break;
        case 3:
            ok = gw_parse_empty(s, len, &f);
            if (ok && !blankBody(s, len)) {
                /* Not blank: an empty object. */
                json_t *j = json_loadb(s, len, 0, NULL);
                assert(json_is_object(j) && json_object_size(j) == 0);
                json_decref(j);
            }
            break;
        case 5:
            ok = gw_parse_stop(s, len, &a, &f);
            if (ok) {
                assert(valid(slot_valid_operator, a.operator_name) == SLOT_OK);
                assert(
                    slot_valid_text(
                        (struct slot_str){a.reason, (uint32_t)strlen(a.reason)},
                        SLOTC_REASON_MAX) == SLOT_OK);
            }
            break;
        case 6:
            ok = gw_parse_move(s, len, &a, &f);
            if (ok) {
                assert(valid(slot_valid_pool_id, a.pool) == SLOT_OK);
            }
            break;
        default:
            ok = gw_parse_rules_body(s, len, &rb, &f);
            if (ok) {
                struct slot_str out[4];
                struct slot_rules w;
                assert(valid(slot_valid_operator, rb.operator_name) == SLOT_OK);
                assert(slot_valid_text(
                           (struct slot_str){rb.reason,
                                             (uint32_t)strlen(rb.reason)},
                           SLOTC_REASON_MAX) == SLOT_OK);
                optional(slot_valid_name, rb.department);
                assert(slotc__rules_set_args("h", rb.department,
                                             rb.operator_name, rb.reason,
                                             out) == SLOT_OK);
                assert(slotc__rules_to_wire(&rb.rules, &w) == SLOT_OK);
            }
            break;
    }
    if (!ok) {
        refused(&f);
    }
    unexact(s, len);
}

/* ---- configuration ------------------------------------------------------- */

/* Does the document name identity.secret_file (the parser would open it)? */
static bool namesFile(const char *s, size_t n)
{
    json_t *j = json_loadb(s, n, 0, NULL);
    json_t *id = json_is_object(j) ? json_object_get(j, "identity") : NULL;
    bool file = json_is_object(id) && json_object_get(id, "secret_file");
    json_decref(j);
    return file;
}

static bool tokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c != '\0' && strchr("._~+/=-", c));
}

static void fuzzConfig(const uint8_t *d, size_t n)
{
    static struct gw_config c;
    char err[256];
    char *s = exact(d, n);
    if (namesFile(s, n)) {
        unexact(s, n);
        return;
    }
    memset(&c, 0, sizeof c);
    memset(err, 0x55, sizeof err);
    if (gw_config_parse(s, n, &c, err, sizeof err) != 0) {
        assert(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        unexact(s, n);
        return;
    }
    assert(c.n_tokens >= 1 && c.n_tokens <= GW_TOKENS_MAX);
    assert(c.n_channels >= 0 && c.n_channels <= GW_CHANNELS_MAX);
    for (int i = 0; i < c.n_tokens; i++) {
        const struct gw_token *t = &c.tokens[i];
        assert(t->len >= GW_TOKEN_MIN && t->len <= GW_TOKEN_MAX);
        assert(t->token[t->len] == '\0');
        for (size_t k = 0; k < t->len; k++) {
            assert(tokenChar(t->token[k]));
        }
        assert(t->channel == GW_CH_ADMIN ||
               (t->channel >= GW_CH_FIRST &&
                t->channel < GW_CH_FIRST + c.n_channels));
        char *tok = exact(t->token, t->len);
        assert(gw_config_token(&c, tok, t->len) == t->channel);
        unexact(tok, t->len);
        /* The slot's name is the token's channel (which may itself be
         * spelt "-", the name of no slot). */
        const char *name = gw_config_channel_name(&c, t->channel);
        assert(t->channel == GW_CH_ADMIN
                   ? strcmp(name, "admin") == 0
                   : name == c.channels[t->channel - GW_CH_FIRST]);
    }
    for (int i = 0; i < c.n_channels; i++) {
        assert(valid(slot_valid_channel, c.channels[i]) == SLOT_OK);
        assert(strcmp(c.channels[i], "admin") != 0);
        assert(c.channel_names[i] == c.channels[i]);
        for (int j = 0; j < i; j++) {
            assert(strcmp(c.channels[i], c.channels[j]) != 0);
        }
    }
    assert(memchr(c.listen, '\0', sizeof c.listen) != NULL);
    assert(memchr(c.cluster, '\0', sizeof c.cluster) != NULL);
    /* A literal listen address is converted by the parser; a name waits
     * for gw_config_resolve at start (which the fuzzer never calls: no
     * DNS here). */
    if (c.listen_hp.kind == SLOT_HOST_NAME) {
        assert(c.listen_addr.ss_family == AF_UNSPEC);
    } else {
        assert(c.listen_addr.ss_family ==
               (c.listen_hp.kind == SLOT_HOST_IPV6 ? AF_INET6 : AF_INET));
    }
    assert(c.has_identity == (gw_config_ident(&c) != NULL));
    assert(gw_config_opaque_ok(&c, GW_CH_ADMIN));
    unexact(s, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] % 6) {
        case 0:
            fuzzRoute(d, n);
            break;
        case 1:
            fuzzPct(d, n);
            break;
        case 2:
            fuzzQuery(d, n);
            break;
        case 3:
            fuzzBody(d, n);
            break;
        case 4:
            fuzzArg(d, n);
            break;
        default:
            fuzzConfig(d, n);
            break;
    }
    return 0;
}
