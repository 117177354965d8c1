/* Unit tests of proto/: slot_proto (every message, every validation rule of
 * slot_proto.h with its documented code), and slot_err's name table.
 *
 * Invalid inputs are made by editing valid encodings in place (replacing one
 * element, at any depth, by raw msgpack, or changing an array's count), so
 * each test states only what it breaks and the codec's own encoder cannot
 * refuse to produce it.
 */
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slot_addr.h"
#include "slot_admin.h"
#include "slot_proto.h"
#include "slot_time.h"
#include "slot_valid.h"
#include "tsched.h"
#include "check.h"

/* ---- toolkit ------------------------------------------------------------ */

/* One raw msgpack value, for splicing into an encoding. */
struct val {
    uint8_t b[4096];
    size_t n;
};

static struct val valOf(struct mp_buf *m)
{
    struct val v;
    CHECK(m->len <= sizeof v.b);
    memcpy(v.b, m->data, m->len);
    v.n = m->len;
    mp_buf_free(m);
    return v;
}

static struct val vu(uint64_t x)
{
    struct mp_buf m;
    mp_buf_init(&m);
    mp_pack_uint(&m, x);
    return valOf(&m);
}

static struct val vraw(const void *p, size_t n)
{
    struct val v;
    CHECK(n <= sizeof v.b);
    memcpy(v.b, p, n);
    v.n = n;
    return v;
}

static struct val vbytes(const void *p, size_t n) /* a str of these bytes */
{
    struct mp_buf m;
    mp_buf_init(&m);
    mp_pack_str(&m, p, n);
    return valOf(&m);
}

static struct val vs(const char *s)
{
    return vbytes(s, strlen(s));
}

static struct val vrep(char c, size_t n) /* str of n times c */
{
    char s[300];
    CHECK(n <= sizeof s);
    memset(s, c, n);
    return vbytes(s, n);
}

/* [[channel, slots], ...] */
static struct val vshares(uint32_t n, const char *const *ch,
                          const uint32_t *slots)
{
    struct mp_buf m;
    mp_buf_init(&m);
    mp_pack_array(&m, n);
    for (uint32_t i = 0; i < n; i++) {
        mp_pack_array(&m, 2);
        mp_pack_cstr(&m, ch[i]);
        mp_pack_uint(&m, slots[i]);
    }
    return valOf(&m);
}

/* [name, ...] */
static struct val vnames(uint32_t n, const char *const *names)
{
    struct mp_buf m;
    mp_buf_init(&m);
    mp_pack_array(&m, n);
    for (uint32_t i = 0; i < n; i++) {
        mp_pack_cstr(&m, names[i]);
    }
    return valOf(&m);
}

/* Copies p[0..n) into `out`, replacing the element at `path` (one index per
 * array level) by v. */
static void replaceAt(const uint8_t *p, size_t n, const uint32_t *path,
                      unsigned depth, const struct val *v, struct mp_buf *out)
{
    struct mp_reader r;
    uint32_t cnt;
    mp_reader_init(&r, p, n);
    CHECK(mp_read_array(&r, &cnt));
    CHECK(path[0] < cnt);
    mp_buf_append(out, p, (size_t)(r.p - p));
    for (uint32_t i = 0; i < cnt; i++) {
        const uint8_t *s = r.p;
        CHECK(mp_skip(&r));
        size_t len = (size_t)(r.p - s);
        if (i != path[0]) {
            mp_buf_append(out, s, len);
        } else if (depth == 1) {
            mp_buf_append(out, v->b, v->n);
        } else {
            replaceAt(s, len, path + 1, depth - 1, v, out);
        }
    }
    mp_buf_append(out, r.p, mp_left(&r));
}

/* Re-packs the top-level array with delta elements dropped (< 0) from the
 * end, or zeros appended (> 0). */
static void withCount(const uint8_t *p, size_t n, int delta, struct mp_buf *out)
{
    struct mp_reader r;
    uint32_t cnt;
    mp_reader_init(&r, p, n);
    CHECK(mp_read_array(&r, &cnt));
    uint32_t keep = delta < 0 ? cnt - (uint32_t)-delta : cnt;
    mp_pack_array(out, (uint32_t)((int)cnt + delta));
    for (uint32_t i = 0; i < cnt; i++) {
        const uint8_t *s = r.p;
        CHECK(mp_skip(&r));
        if (i < keep) {
            mp_buf_append(out, s, (size_t)(r.p - s));
        }
    }
    for (int i = 0; i < delta; i++) {
        mp_pack_uint(out, 0);
    }
}

static uint32_t topCount(const uint8_t *p, size_t n)
{
    struct mp_reader r;
    uint32_t cnt;
    mp_reader_init(&r, p, n);
    CHECK(mp_read_array(&r, &cnt));
    return cnt;
}

/* Byte range of top-level element i. */
static const uint8_t *elemAt(const uint8_t *p, size_t n, uint32_t i,
                             size_t *len)
{
    struct mp_reader r;
    uint32_t cnt;
    mp_reader_init(&r, p, n);
    CHECK(mp_read_array(&r, &cnt));
    for (uint32_t k = 0; k < i; k++) {
        CHECK(mp_skip(&r));
    }
    const uint8_t *s = r.p;
    CHECK(mp_skip(&r));
    *len = (size_t)(r.p - s);
    return s;
}

/* Decoders with one signature: a buffer holding exactly one value. */
typedef int (*dec_fn)(const void *p, size_t n);

static int decCmd(const void *p, size_t n)
{
    struct slot_cmd c;
    return slot_cmd_decode_buf(p, n, &c);
}

#define DEC_WRAP(fname, type, fn)                                              \
    static int fname(const void *p, size_t n)                                  \
    {                                                                          \
        struct mp_reader r;                                                    \
        type out;                                                              \
        mp_reader_init(&r, p, n);                                              \
        int rc = fn(&r, &out);                                                 \
        return rc == SLOT_OK && !mp_done(&r) ? SLOT_MALFORMED : rc;            \
    }
DEC_WRAP(decResult, struct slot_result, slot_result_decode)
DEC_WRAP(decRead, struct slot_read, slot_read_decode)
DEC_WRAP(decAdmin, struct slot_admin, slot_admin_decode)
DEC_WRAP(decStatus, struct slot_pool_status, slot_pool_status_decode)
DEC_WRAP(decClaim, struct slot_claim, slot_claim_decode)
DEC_WRAP(decInfo, struct slot_ledger_info, slot_ledger_info_decode)

/* Decodes a copy in an exactly-sized allocation, so that AddressSanitizer
 * sees any read past the end. */
static int decExact(dec_fn dec, const void *p, size_t n)
{
    void *copy = malloc(n > 0 ? n : 1);
    CHECK(copy != NULL);
    if (n > 0) {
        memcpy(copy, p, n);
    }
    int rc = dec(copy, n);
    free(copy);
    return rc;
}

static int decWith(dec_fn dec, const struct mp_buf *base, const uint32_t *path,
                   unsigned depth, struct val v)
{
    struct mp_buf m;
    mp_buf_init(&m);
    replaceAt(base->data, base->len, path, depth, &v, &m);
    int rc = decExact(dec, m.data, m.len);
    mp_buf_free(&m);
    return rc;
}

static int decCount(dec_fn dec, const struct mp_buf *base, int delta)
{
    struct mp_buf m;
    mp_buf_init(&m);
    withCount(base->data, base->len, delta, &m);
    int rc = decExact(dec, m.data, m.len);
    mp_buf_free(&m);
    return rc;
}

/* Top-level element idx replaced by v. */
#define WITH(dec, base, idx, v)                                                \
    decWith((dec), (base), (const uint32_t[]){(idx)}, 1, (v))
#define WITH2(dec, base, i, j, v)                                              \
    decWith((dec), (base), (const uint32_t[]){(i), (j)}, 2, (v))
#define WITH3(dec, base, i, j, k, v)                                           \
    decWith((dec), (base), (const uint32_t[]){(i), (j), (k)}, 3, (v))

/* Top-level elements i and j replaced by vi and vj. */
static int decWithTwo(dec_fn dec, const struct mp_buf *base, uint32_t i,
                      struct val vi, uint32_t j, struct val vj)
{
    struct mp_buf m1, m2;
    mp_buf_init(&m1);
    mp_buf_init(&m2);
    replaceAt(base->data, base->len, (const uint32_t[]){i}, 1, &vi, &m1);
    replaceAt(m1.data, m1.len, (const uint32_t[]){j}, 1, &vj, &m2);
    int rc = decExact(dec, m2.data, m2.len);
    mp_buf_free(&m1);
    mp_buf_free(&m2);
    return rc;
}
#define WITH_TWO(dec, base, i, j, vi, vj)                                      \
    decWithTwo((dec), (base), (i), (vi), (j), (vj))

/* Every proper prefix of a valid encoding is refused, and the whole is
 * accepted, with no read past the end (run under ASan too). */
static void checkTruncations(dec_fn dec, const uint8_t *p, size_t n)
{
    CHECK_EQ(decExact(dec, p, n), SLOT_OK);
    for (size_t k = 0; k < n; k++) {
        if (decExact(dec, p, k) == SLOT_OK) {
            fprintf(stderr, "prefix %zu of %zu accepted\n", k, n);
            CHECK(0);
        }
    }
}

static bool isStrByte(uint8_t t)
{
    return (t & 0xe0) == 0xa0 || (t >= 0xd9 && t <= 0xdb);
}

static bool isUintByte(uint8_t t)
{
    return t <= 0x7f || (t >= 0xcc && t <= 0xcf);
}

/* Every element, at every depth, replaced by a value of the wrong type is
 * MALFORMED; every integer replaced by a negative one too. */
/* An element checkTypes leaves alone: a nil that means "absent", an int
 * that may be negative (a UTC offset). At most one per call. */
static const uint32_t *typeSkip;
static unsigned typeSkipDepth;

static bool skipped(const uint32_t *path, unsigned depth)
{
    return typeSkip != NULL && depth == typeSkipDepth &&
           memcmp(path, typeSkip, depth * sizeof *path) == 0;
}

static void checkTypesAt(dec_fn dec, const struct mp_buf *base,
                         const uint8_t *p, size_t n, uint32_t *path,
                         unsigned depth)
{
    static const uint8_t negs[][9] = {
        {0xff},
        {0xe0},
        {0xd0, 0xff},
        {0xd1, 0x80, 0x00},
        {0xd2, 0xff, 0xff, 0xff, 0xff},
        {0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0},
    };
    static const size_t negLen[] = {1, 1, 2, 3, 5, 9};
    uint32_t cnt = topCount(p, n);
    for (uint32_t i = 0; i < cnt; i++) {
        size_t len;
        const uint8_t *e = elemAt(p, n, i, &len);
        path[depth] = i;
        unsigned d = depth + 1;
        if (skipped(path, d)) {
            continue;
        }
        /* A nil replaced by nil, a bool by a bool, is no type error. */
        if (e[0] != 0xc0) {
            CHECK_EQ(decWith(dec, base, path, d, vraw("\xc0", 1)),
                     SLOT_MALFORMED);
        }
        CHECK_EQ(decWith(dec, base, path, d, vraw("\x80", 1)), SLOT_MALFORMED);
        if (e[0] != 0xc2 && e[0] != 0xc3) {
            CHECK_EQ(decWith(dec, base, path, d, vraw("\xc3", 1)),
                     SLOT_MALFORMED);
        }
        CHECK_EQ(
            decWith(dec, base, path, d, vraw("\xcb\x3f\xf0\0\0\0\0\0\0", 9)),
            SLOT_MALFORMED); /* float64 1.0 */
        CHECK_EQ(decWith(dec, base, path, d, vraw("\xc4\x01x", 3)),
                 SLOT_MALFORMED); /* bin */
        if (isStrByte(e[0])) {
            CHECK_EQ(decWith(dec, base, path, d, vu(1)), SLOT_MALFORMED);
        } else {
            CHECK_EQ(decWith(dec, base, path, d, vs("1")), SLOT_MALFORMED);
        }
        if (isUintByte(e[0])) {
            for (size_t k = 0; k < sizeof negLen / sizeof *negLen; k++) {
                CHECK_EQ(decWith(dec, base, path, d, vraw(negs[k], negLen[k])),
                         SLOT_MALFORMED);
            }
        }
        if ((e[0] & 0xf0) == 0x90 && depth < 3 && len > 1) {
            checkTypesAt(dec, base, e, len, path, d);
        }
    }
}

static void checkTypes(dec_fn dec, const struct mp_buf *base)
{
    uint32_t path[4];
    checkTypesAt(dec, base, base->data, base->len, path, 0);
}

static void checkTypesSkip(dec_fn dec, const struct mp_buf *base,
                           const uint32_t *skip, unsigned skip_depth)
{
    typeSkip = skip;
    typeSkipDepth = skip_depth;
    checkTypes(dec, base);
    typeSkip = NULL;
}

/* Rules of slot_proto.h, written out independently of the codec. */
struct str_rule {
    uint32_t min, max;
    const char *extra; /* allowed besides alnum; NULL: printable ASCII */
    bool upper;
};
static const struct str_rule rulePool = {1, 64, "/_.:-", true};
static const struct str_rule rulePoolOpt = {0, 64, "/_.:-", true};
static const struct str_rule rulePatient = {8, 64, "_.:-", true};
static const struct str_rule ruleChannel = {1, 16, "_-", false};
static const struct str_rule ruleChannelOpt = {0, 16, "_-", false};
static const struct str_rule ruleName = {1, 32, "_.-", true};
static const struct str_rule ruleNameOpt = {0, 32, "_.-", true};
static const struct str_rule rulePayrefOpt = {0, 64, NULL, true};
static const struct str_rule rulePayMethodOpt = {0, 16, "_-", false};
static const struct str_rule ruleOperator = {1, 32, "_.@-", true};

static bool ruleByte(const struct str_rule *r, uint8_t c)
{
    if (r->extra == NULL) {
        return c >= 0x21 && c <= 0x7e;
    }
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 (r->upper && c >= 'A' && c <= 'Z');
    return alnum || (c != 0 && strchr(r->extra, c) != NULL);
}

/* The string at `path`: lengths min-1 / min / max / max+1 (and far over),
 * and each of the 256 byte values in a string of valid length. */
static void checkStrRule(dec_fn dec, const struct mp_buf *base,
                         const uint32_t *path, unsigned depth,
                         const struct str_rule *r)
{
    if (r->min > 0) {
        CHECK_EQ(decWith(dec, base, path, depth, vrep('a', r->min - 1)),
                 SLOT_INVALID_ARGUMENT);
    }
    CHECK_EQ(decWith(dec, base, path, depth, vrep('a', r->min)), SLOT_OK);
    CHECK_EQ(decWith(dec, base, path, depth, vrep('a', r->max)), SLOT_OK);
    CHECK_EQ(decWith(dec, base, path, depth, vrep('a', r->max + 1)),
             SLOT_TOO_LARGE);
    CHECK_EQ(decWith(dec, base, path, depth, vrep('a', 255)), SLOT_TOO_LARGE);
    /* A length beyond the limit is refused before the bytes are looked
     * for: no body at all follows this str32 header. */
    CHECK_EQ(decWith(dec, base, path, depth, vraw("\xdb\x7f\xff\xff\xff", 5)),
             SLOT_TOO_LARGE);
    uint32_t len = r->min > 3 ? r->min : 3;
    for (unsigned c = 0; c < 256; c++) {
        char s[64];
        memset(s, 'a', len);
        s[1] = (char)c;
        int want = ruleByte(r, (uint8_t)c) ? SLOT_OK : SLOT_INVALID_ARGUMENT;
        if (decWith(dec, base, path, depth, vbytes(s, len)) != want) {
            fprintf(stderr, "byte 0x%02x: want %s\n", c, slot_err_name(want));
            CHECK(0);
        }
    }
}

static void encodeCmd(const struct slot_cmd *c, struct mp_buf *b)
{
    mp_buf_init(b);
    slot_cmd_encode(b, c);
}

static struct slot_str S(const char *s) {
    return (struct slot_str){s, (uint32_t)strlen(s)};
}

static bool
strEq(struct slot_str a, struct slot_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* ---- sample commands ----------------------------------------------------- */

#define TIME_MAX SLOT_TIME_MAX_MS
static const char pool64[] =
    "Aa0/_.:-Bb1/_.:-Cc2/_.:-Dd3/_.:-Ee4/_.:-Ff5/_.:-Gg6/_.:-Zz9/_.:-";
static const char patient64[] =
    "Zz9_.:-xYy8_.:-xXx7_.:-xWw6_.:-xVv5_.:-xUu4_.:-xTt3_.:-xSs2_.:-x";
static const char chan16[] = "a0_-b1_-c2_-z9_-";
static char payref64[65]; /* 0x21..0x60, filled by initSamples */
static const char op32[] = "Aa0_.@-Zz9_.@-operator.name@h-01";
static char reason256[SLOT_REASON_MAX + 1]; /* filled by initSamples */
static const char payrefTilde[] = "~}|{zyxwvutsrqponmlkjihgfedcba`_";
static const char *const chans8[8] = {"app",    "wechat", "114", "kiosk",
                                      "window", "bank",   "a",   chan16};

enum sample {
    SM_OPEN,
    SM_CONFIG_MIN,
    SM_CONFIG_MAX,
    SM_POOL_MIN,
    SM_POOL_MAX,
    SM_POOL_UPDATE,
    SM_CLOSE,
    SM_HOLD,
    SM_HOLD_MAX,
    SM_HOLD_TTL0,
    SM_CONFIRM,
    SM_CONFIRM_MAX,
    SM_RELEASE,
    SM_CANCEL,
    SM_EXPIRE,
    SM_EXPIRE_MAX,
    SM_POOL_SCHED,       /* a pool of a hospital's schedule */
    SM_CONFIRM_AT_VISIT, /* no payment reference */
    SM_RULES_MIN,        /* the default rule set, hospital level */
    SM_RULES_MAX,        /* every list full, a department override */
    SM_IMPORT,
    SM_SWEEP,
    SM_HOLD_ACCOUNT, /* protocol 3: HOLD with an account */
    SM_CANCEL_AS,    /* protocol 3: CANCEL with caller and account */
    SM_BIND,
    SM_UNBIND,
    SM_VIOLATION,
    SM_UNBLOCK,
    SM_EXCEPTION,
    SM_CONFIG_V3,
    SM_WAIT_JOIN,
    SM_WAIT_LEAVE,
    SM_STOP,        /* protocol 4: POOL_STOP */
    SM_STOP_MAX,    /* every string at its maximum */
    SM_MOVE,        /* by a channel, for an account */
    SM_MOVE_ADMIN,  /* caller "" (an administrator), account "" */
    SM_CHECKIN,     /* pay at the visit: a payment reference */
    SM_CHECKIN_MIN, /* no payment reference */
    SM_COUNT
};
static struct slot_cmd samples[SM_COUNT];

static struct slot_cmd mk(uint8_t op, uint64_t session, uint64_t seq)
{
    struct slot_cmd c;
    memset(&c, 0, sizeof c);
    c.op = op;
    c.session = session;
    c.seq = seq;
    return c;
}

static void initConfigSamples(void)
{
    struct slot_cmd *c = &samples[SM_CONFIG_MIN];
    *c = mk(SLOT_OP_CONFIG, 1, 1);
    c->u.config = (struct slot_config){1, 1, 1, 1000, 0, 0, .v3 = false};
    c = &samples[SM_CONFIG_MAX];
    *c = mk(SLOT_OP_CONFIG, UINT64_MAX, UINT64_MAX);
    c->u.config = (struct slot_config){86400000,   86400000, SLOT_SESSIONS_MAX,
                                       TIME_MAX,   TIME_MAX, SLOT_RETAIN_MAX,
                                       .v3 = false};
}

static void initPoolSamples(void)
{
    struct slot_cmd *c = &samples[SM_POOL_MIN];
    *c = mk(SLOT_OP_POOL_CREATE, 1, 2);
    c->u.pool.pool = S("p");
    c->u.pool.capacity = 1;
    c = &samples[SM_POOL_MAX];
    *c = mk(SLOT_OP_POOL_CREATE, 7, 9);
    struct slot_pool_spec *s = &c->u.pool;
    *s = (struct slot_pool_spec){.pool = S(pool64),
                                 .capacity = SLOT_POOL_CAPACITY_MAX,
                                 .kind = 2,
                                 .fee_cents = SLOT_FEE_MAX_CENTS,
                                 .seg_start_ms = 0,
                                 .seg_end_ms = TIME_MAX,
                                 .release_at_ms = TIME_MAX,
                                 .n_shares = 8};
    for (int i = 0; i < 8; i++) {
        s->shares[i] = (struct slot_share){S(chans8[i]), 12500};
    }
    c = &samples[SM_POOL_UPDATE];
    *c = mk(SLOT_OP_POOL_UPDATE, 3, 4);
    s = &c->u.pool;
    *s = (struct slot_pool_spec){.pool = S("h1/cardio/dr-li/2024-05-01:am"),
                                 .capacity = 30,
                                 .kind = 1,
                                 .fee_cents = 5000,
                                 .seg_start_ms = 1714550400000ull,
                                 .seg_end_ms = 1714564800000ull,
                                 .release_at_ms = 1713945600000ull,
                                 .n_shares = 2};
    s->shares[0] = (struct slot_share){S("app"), 20};
    s->shares[1] = (struct slot_share){S("114"), 9};
    c = &samples[SM_CLOSE];
    *c = mk(SLOT_OP_POOL_CLOSE, 3, 5);
    c->u.close.pool = S("h1/cardio/dr-li/2024-05-01:am");
}

/* Protocol 4: the visit day. */
static void initVisitSamples(void)
{
    struct slot_cmd *c = &samples[SM_STOP];
    *c = mk(SLOT_OP_POOL_STOP, 7, 1);
    c->u.stop.pool = S("h1/cardio/dr-li/2024-05-01:am");
    c->u.stop.operator_name = S("ops@pumch.example");
    c->u.stop.reason = S("\u505c\u8bca: the doctor is ill");
    c = &samples[SM_STOP_MAX];
    *c = mk(SLOT_OP_POOL_STOP, UINT64_MAX, UINT64_MAX);
    c->u.stop.pool = S(pool64);
    c->u.stop.operator_name = S(op32);
    c->u.stop.reason = S(reason256);
    c = &samples[SM_MOVE];
    *c = mk(SLOT_OP_MOVE, 7, 2);
    c->u.claim.id = 17;
    c->u.claim.pool = S("h1/cardio/dr-li/2024-05-02:am");
    c->u.claim.caller = S("wechat");
    c->u.claim.account = S("acct:wx-0001");
    c = &samples[SM_MOVE_ADMIN];
    *c = mk(SLOT_OP_MOVE, 7, 3);
    c->u.claim.id = UINT64_MAX;
    c->u.claim.pool = S(pool64);
    c = &samples[SM_CHECKIN];
    *c = mk(SLOT_OP_CHECKIN, 7, 4);
    c->u.claim.id = 1;
    c->u.claim.patient = S(patient64);
    c->u.claim.payment_ref = S(payref64);
    c->u.claim.pay_method = S("insurance"); /* protocol 5 */
    c = &samples[SM_CHECKIN_MIN];
    *c = mk(SLOT_OP_CHECKIN, 7, 5);
    c->u.claim.id = UINT64_MAX;
    c->u.claim.patient = S("12345678");
}

static void initClaimSamples(void)
{
    struct slot_cmd *c = &samples[SM_HOLD];
    *c = mk(SLOT_OP_HOLD, 5, 1);
    c->u.hold.pool = S("h1/cardio/dr-li/2024-05-01:am");
    c->u.hold.patient = S("pk:9f86d081884c7d65");
    c->u.hold.channel = S("wechat");
    c->u.hold.ttl_ms = 300000;
    c = &samples[SM_HOLD_MAX];
    *c = mk(SLOT_OP_HOLD, 5, 2);
    c->u.hold.pool = S(pool64);
    c->u.hold.patient = S(patient64);
    c->u.hold.channel = S(chan16);
    c->u.hold.ttl_ms = UINT32_MAX;
    samples[SM_HOLD_TTL0] = samples[SM_HOLD];
    samples[SM_HOLD_TTL0].u.hold.ttl_ms = 0;
    samples[SM_HOLD_TTL0].u.hold.patient = S("12345678");
    c = &samples[SM_CONFIRM];
    *c = mk(SLOT_OP_CONFIRM, 5, 3);
    c->u.claim.id = 1;
    c->u.claim.payment_ref = S("!");
    c = &samples[SM_CONFIRM_MAX];
    *c = mk(SLOT_OP_CONFIRM, 5, 4);
    c->u.claim.id = UINT64_MAX;
    c->u.claim.payment_ref = S(payref64);
    c->u.claim.pay_method = S(chan16); /* protocol 5 */
    samples[SM_RELEASE] = mk(SLOT_OP_RELEASE, 5, 5);
    samples[SM_RELEASE].u.claim.id = 42;
    samples[SM_CANCEL] = mk(SLOT_OP_CANCEL, 5, 6);
    samples[SM_CANCEL].u.claim.id = UINT64_MAX;
    samples[SM_HOLD_ACCOUNT] = samples[SM_HOLD];
    samples[SM_HOLD_ACCOUNT].u.hold.account = S("acct:wx-0001");
    samples[SM_CANCEL_AS] = mk(SLOT_OP_CANCEL, 5, 7);
    samples[SM_CANCEL_AS].u.claim.id = 9;
    samples[SM_CANCEL_AS].u.claim.caller = S("wechat");
    samples[SM_CANCEL_AS].u.claim.account = S(patient64);
    c = &samples[SM_BIND];
    *c = mk(SLOT_OP_ACCOUNT_BIND, 6, 1);
    c->u.bind.account = S("acct:wx-0001");
    c->u.bind.patient = S("pk:9f86d081884c7d65");
    samples[SM_UNBIND] = samples[SM_BIND];
    samples[SM_UNBIND].op = SLOT_OP_ACCOUNT_UNBIND;
    c = &samples[SM_VIOLATION];
    *c = mk(SLOT_OP_VIOLATION, 6, 2);
    c->u.staff.hospital = S("pumch");
    c->u.staff.patient = S(patient64);
    c->u.staff.kind = SLOT_VIOLATION_NO_SHOW;
    c->u.staff.operator_name = S("nurse.wang@pumch");
    c->u.staff.reason = S("did not come to the 08:00 clinic");
    samples[SM_UNBLOCK] = samples[SM_VIOLATION];
    samples[SM_UNBLOCK].op = SLOT_OP_UNBLOCK;
    samples[SM_UNBLOCK].u.staff.kind = 0;
    samples[SM_EXCEPTION] = samples[SM_UNBLOCK];
    samples[SM_EXCEPTION].op = SLOT_OP_EXCEPTION;
    c = &samples[SM_WAIT_JOIN];
    *c = mk(SLOT_OP_WAITLIST_JOIN, 6, 3);
    c->u.wait.pool = S(pool64);
    c->u.wait.patient = S(patient64);
    c->u.wait.channel = S(chan16);
    c->u.wait.account = S("acct:wx-0001");
    c = &samples[SM_WAIT_LEAVE];
    *c = mk(SLOT_OP_WAITLIST_LEAVE, 6, 4);
    c->u.wait.pool = S("p");
    c->u.wait.patient = S("12345678");
    c = &samples[SM_CONFIG_V3];
    *c = mk(SLOT_OP_CONFIG, 2, 2);
    c->u.config = (struct slot_config){
        1000, 1800000, 100,        60000,          0, 0, true, 8, 8,
        3660, 8,       UINT16_MAX, {1, UINT64_MAX}};
}

/* A rule set with something in every list (groups, policies,
 * eligibility), Beijing's offset and hours. */
static struct slot_rules rulesSample(void)
{
    struct slot_rules r = tsched_beijing();
    r.flowback_days_before = 1;
    r.flowback_minute = 900;
    strcpy(r.flowback_to, "window");
    r.n_policies = 3;
    r.policies[2] = (struct slot_policy){"*", 0, true, false};
    return r;
}

/* dst (a char array) = the formatted text, which the test makes fit. */
#define FMT_NAME(dst, ...)                                                     \
    do {                                                                       \
        char tmp_[64];                                                         \
        int n_ = snprintf(tmp_, sizeof tmp_, __VA_ARGS__);                     \
        CHECK(n_ > 0 && (size_t)n_ < sizeof(dst));                             \
        memcpy((dst), tmp_, (size_t)n_ + 1);                                   \
    } while (0)

/* Every list at its maximum. */
static struct slot_rules rulesFull(void)
{
    struct slot_rules r = rulesSample();
    r.utc_offset_min = SLOT_UTC_OFFSET_MIN;
    r.n_groups = SLOT_GROUPS_MAX;
    for (int g = 0; g < SLOT_GROUPS_MAX; g++) {
        FMT_NAME(r.groups[g].name, "group-%d", g);
        r.groups[g].n = SLOT_GROUP_CHANNELS_MAX;
        for (int c = 0; c < SLOT_GROUP_CHANNELS_MAX; c++) {
            FMT_NAME(r.groups[g].channels[c], "ch-%d-%d", g, c);
        }
    }
    r.n_policies = SLOT_POLICIES_MAX;
    for (int p = 0; p < SLOT_POLICIES_MAX; p++) {
        FMT_NAME(r.policies[p].channel, "pol-%d", p);
        r.policies[p].horizon_days = SLOT_HORIZON_MAX;
    }
    r.n_elig = SLOT_ELIG_RULES_MAX;
    for (int e = 0; e < SLOT_ELIG_RULES_MAX; e++) {
        FMT_NAME(r.elig[e].department, "Dept_%02d.department-name-32bytes", e);
        r.elig[e].kind = SLOT_KIND_ANY;
        r.elig[e].n = SLOT_POOL_NAMES_MAX;
        for (int n = 0; n < SLOT_POOL_NAMES_MAX; n++) {
            FMT_NAME(r.elig[e].names[n], "e%d", n);
        }
    }
    return r;
}

static struct mp_buf rulesBufs[2], daysBuf, segsBuf;
static const uint32_t sampleDays[] = {20801, 20802, 20805};
static const struct slot_segment sampleSegs[] = {
    {480, 510, 10}, {510, 540, 12}, {780, 1440, 1}};

static void initSchedSamples(void)
{
    struct slot_cmd *c = &samples[SM_POOL_SCHED];
    *c = mk(SLOT_OP_POOL_CREATE, 2, 3);
    struct slot_pool_spec *p = &c->u.pool;
    p->pool = S("pumch/east/cardio/dr-wang/20261214/0800");
    p->capacity = 30;
    p->kind = SLOT_KIND_EXPERT;
    p->fee_cents = 10000;
    p->seg_start_ms = 1797206400000ull;
    p->seg_end_ms = 1797208200000ull;
    p->n_shares = 2;
    p->shares[0] = (struct slot_share){S("114"), 9};
    p->shares[1] = (struct slot_share){S("online"), 21};
    p->has_sched = true;
    p->sched.hospital = S("pumch");
    p->sched.campus = S("east");
    p->sched.department = S("cardio");
    p->sched.doctor = S("dr-wang");
    p->sched.visit_day = 20801;
    p->sched.pay_mode = SLOT_PAY_AT_VISIT;
    p->sched.visit_slot_ms = 60000;
    p->sched.n_eligible = 2;
    p->sched.eligible[0] = S("online");
    p->sched.eligible[1] = S("window");
    p->sched.n_rem_allow = 1;
    p->sched.rem_allow[0] = S("window");
    samples[SM_CONFIRM_AT_VISIT] = mk(SLOT_OP_CONFIRM, 5, 7);
    samples[SM_CONFIRM_AT_VISIT].u.claim.id = 3;

    struct slot_rules r[2] = {rulesSample(), rulesFull()};
    slot_rules_default(&r[0]);
    for (int i = 0; i < 2; i++) {
        mp_buf_init(&rulesBufs[i]);
        slot_rules_encode(&rulesBufs[i], &r[i]);
        c = &samples[SM_RULES_MIN + i];
        *c = mk(SLOT_OP_RULES_SET, 9, 1 + (uint64_t)i);
        c->u.rules.hospital =
            S(i == 0 ? "h" : "Hospital_0123456789.abcdef-XYZ");
        c->u.rules.department = S(i == 0 ? "" : "cardio");
        c->u.rules.operator_name = S(i == 0 ? "a" : "ops@pumch.example");
        c->u.rules.reason =
            S(i == 0 ? "x" : "\u95e8\u8bca\u8c03\u6574: 09:15 release");
        c->u.rules.rules = (struct slot_str){(const char *)rulesBufs[i].data,
                                             (uint32_t)rulesBufs[i].len};
    }

    mp_buf_init(&daysBuf);
    mp_buf_init(&segsBuf);
    slot_days_pack(&daysBuf, sampleDays, 3);
    slot_segments_pack(&segsBuf, sampleSegs, 3);
    c = &samples[SM_IMPORT];
    *c = mk(SLOT_OP_SCHEDULE_IMPORT, 2, 4);
    struct slot_template *t = &c->u.import;
    t->id_prefix = S("pumch/east/cardio/dr-wang");
    t->sched = p->sched;
    t->sched.visit_day = 0;
    t->kind = SLOT_KIND_EXPERT;
    t->fee_cents = 10000;
    t->n_shares = 2;
    t->shares[0] = (struct slot_tshare){S("114"), 300};
    t->shares[1] = (struct slot_tshare){S("online"), 700};
    t->n_days = 3;
    t->days =
        (struct slot_str){(const char *)daysBuf.data, (uint32_t)daysBuf.len};
    t->n_segments = 3;
    t->segments =
        (struct slot_str){(const char *)segsBuf.data, (uint32_t)segsBuf.len};
    samples[SM_SWEEP] = mk(SLOT_OP_SWEEP, 0, 0);
    samples[SM_SWEEP].u.expire.max = SLOT_EXPIRE_MAX;
}

static void initSamples(void)
{
    for (int i = 0; i < 64; i++) {
        payref64[i] = (char)(0x21 + i);
    }
    /* 0x20..0x7e over and over: every printable byte a reason may hold. */
    for (int i = 0; i < SLOT_REASON_MAX; i++) {
        reason256[i] = (char)(0x20 + i % 95);
    }
    samples[SM_OPEN] = mk(SLOT_OP_SESSION_OPEN, 0, 0);
    initConfigSamples();
    initPoolSamples();
    initClaimSamples();
    initVisitSamples();
    samples[SM_EXPIRE] = mk(SLOT_OP_EXPIRE, 0, 0);
    samples[SM_EXPIRE].u.expire.max = 1;
    samples[SM_EXPIRE_MAX] = mk(SLOT_OP_EXPIRE, 0, 0);
    samples[SM_EXPIRE_MAX].u.expire.max = SLOT_EXPIRE_MAX;
    initSchedSamples();
}

static bool namesEq(const struct slot_str *a, uint32_t na,
                    const struct slot_str *b, uint32_t nb)
{
    if (na != nb) {
        return false;
    }
    for (uint32_t i = 0; i < na; i++) {
        if (!strEq(a[i], b[i])) {
            return false;
        }
    }
    return true;
}

static bool schedEq(const struct slot_sched *a, const struct slot_sched *b)
{
    return strEq(a->hospital, b->hospital) && strEq(a->campus, b->campus) &&
           strEq(a->department, b->department) && strEq(a->doctor, b->doctor) &&
           a->visit_day == b->visit_day && a->pay_mode == b->pay_mode &&
           a->visit_slot_ms == b->visit_slot_ms &&
           namesEq(a->eligible, a->n_eligible, b->eligible, b->n_eligible) &&
           namesEq(a->rem_allow, a->n_rem_allow, b->rem_allow, b->n_rem_allow);
}

static bool templateEq(const struct slot_template *a,
                       const struct slot_template *b)
{
    if (!strEq(a->id_prefix, b->id_prefix) || !schedEq(&a->sched, &b->sched) ||
        a->kind != b->kind || a->fee_cents != b->fee_cents ||
        a->n_shares != b->n_shares || a->n_days != b->n_days ||
        !strEq(a->days, b->days) || a->n_segments != b->n_segments ||
        !strEq(a->segments, b->segments)) {
        return false;
    }
    for (uint32_t i = 0; i < a->n_shares; i++) {
        if (!strEq(a->shares[i].name, b->shares[i].name) ||
            a->shares[i].permille != b->shares[i].permille) {
            return false;
        }
    }
    return true;
}

static bool poolSpecEq(const struct slot_pool_spec *a,
                       const struct slot_pool_spec *b)
{
    if (a->has_sched != b->has_sched ||
        (a->has_sched && !schedEq(&a->sched, &b->sched))) {
        return false;
    }
    if (!strEq(a->pool, b->pool) || a->capacity != b->capacity ||
        a->kind != b->kind || a->fee_cents != b->fee_cents ||
        a->seg_start_ms != b->seg_start_ms || a->seg_end_ms != b->seg_end_ms ||
        a->release_at_ms != b->release_at_ms || a->n_shares != b->n_shares) {
        return false;
    }
    for (uint32_t i = 0; i < a->n_shares; i++) {
        if (!strEq(a->shares[i].channel, b->shares[i].channel) ||
            a->shares[i].slots != b->shares[i].slots) {
            return false;
        }
    }
    return true;
}

static bool argsEq(const struct slot_cmd *a, const struct slot_cmd *b)
{
    switch (a->op) {
        case SLOT_OP_CONFIG:
            return memcmp(&a->u.config, &b->u.config, sizeof a->u.config) == 0;
        case SLOT_OP_POOL_CREATE:
        case SLOT_OP_POOL_UPDATE:
            return poolSpecEq(&a->u.pool, &b->u.pool);
        case SLOT_OP_POOL_CLOSE:
            return strEq(a->u.close.pool, b->u.close.pool);
        case SLOT_OP_HOLD:
            return strEq(a->u.hold.pool, b->u.hold.pool) &&
                   strEq(a->u.hold.patient, b->u.hold.patient) &&
                   strEq(a->u.hold.channel, b->u.hold.channel) &&
                   a->u.hold.ttl_ms == b->u.hold.ttl_ms &&
                   strEq(a->u.hold.account, b->u.hold.account);
        case SLOT_OP_CONFIRM:
        case SLOT_OP_RELEASE:
        case SLOT_OP_CANCEL:
            return a->u.claim.id == b->u.claim.id &&
                   strEq(a->u.claim.payment_ref, b->u.claim.payment_ref) &&
                   strEq(a->u.claim.caller, b->u.claim.caller) &&
                   strEq(a->u.claim.account, b->u.claim.account);
        case SLOT_OP_MOVE:
            return a->u.claim.id == b->u.claim.id &&
                   strEq(a->u.claim.pool, b->u.claim.pool) &&
                   strEq(a->u.claim.caller, b->u.claim.caller) &&
                   strEq(a->u.claim.account, b->u.claim.account) &&
                   a->u.claim.payment_ref.len == 0 &&
                   a->u.claim.patient.len == 0 &&
                   b->u.claim.payment_ref.len == 0 &&
                   b->u.claim.patient.len == 0;
        case SLOT_OP_CHECKIN:
            return a->u.claim.id == b->u.claim.id &&
                   strEq(a->u.claim.patient, b->u.claim.patient) &&
                   strEq(a->u.claim.payment_ref, b->u.claim.payment_ref) &&
                   a->u.claim.pool.len == 0 && a->u.claim.caller.len == 0 &&
                   a->u.claim.account.len == 0 && b->u.claim.pool.len == 0 &&
                   b->u.claim.caller.len == 0 && b->u.claim.account.len == 0;
        case SLOT_OP_POOL_STOP:
            return strEq(a->u.stop.pool, b->u.stop.pool) &&
                   strEq(a->u.stop.operator_name, b->u.stop.operator_name) &&
                   strEq(a->u.stop.reason, b->u.stop.reason);
        case SLOT_OP_ACCOUNT_BIND:
        case SLOT_OP_ACCOUNT_UNBIND:
            return strEq(a->u.bind.account, b->u.bind.account) &&
                   strEq(a->u.bind.patient, b->u.bind.patient);
        case SLOT_OP_WAITLIST_JOIN:
        case SLOT_OP_WAITLIST_LEAVE:
            return strEq(a->u.wait.pool, b->u.wait.pool) &&
                   strEq(a->u.wait.patient, b->u.wait.patient) &&
                   strEq(a->u.wait.channel, b->u.wait.channel) &&
                   strEq(a->u.wait.account, b->u.wait.account);
        case SLOT_OP_VIOLATION:
        case SLOT_OP_UNBLOCK:
        case SLOT_OP_EXCEPTION:
            return strEq(a->u.staff.hospital, b->u.staff.hospital) &&
                   strEq(a->u.staff.patient, b->u.staff.patient) &&
                   a->u.staff.kind == b->u.staff.kind &&
                   strEq(a->u.staff.operator_name, b->u.staff.operator_name) &&
                   strEq(a->u.staff.reason, b->u.staff.reason);
        case SLOT_OP_EXPIRE:
        case SLOT_OP_SWEEP:
            return a->u.expire.max == b->u.expire.max;
        case SLOT_OP_RULES_SET:
            return strEq(a->u.rules.hospital, b->u.rules.hospital) &&
                   strEq(a->u.rules.department, b->u.rules.department) &&
                   strEq(a->u.rules.operator_name, b->u.rules.operator_name) &&
                   strEq(a->u.rules.reason, b->u.rules.reason) &&
                   strEq(a->u.rules.rules, b->u.rules.rules);
        case SLOT_OP_SCHEDULE_IMPORT:
            return templateEq(&a->u.import, &b->u.import);
        default:
            return true;
    }
}

static bool cmdEq(const struct slot_cmd *a, const struct slot_cmd *b)
{
    return a->op == b->op && a->session == b->session && a->seq == b->seq &&
           argsEq(a, b);
}

/* The encoding of a sample, for editing. */
static struct mp_buf sampleBuf(enum sample s)
{
    struct mp_buf b;
    encodeCmd(&samples[s], &b);
    return b;
}

/* ---- names --------------------------------------------------------------- */

static void test_err_names(void)
{
    int known = 0;
#define CHECK_ERR_(name, num, msg)                                             \
    CHECK_STR(slot_err_name(num), #name);                                      \
    CHECK_EQ(slot_err_from_name(#name), num);                                  \
    CHECK_STR(slot_err_message(num), msg);                                     \
    CHECK_EQ(SLOT_##name, num);                                                \
    known++;
    SLOT_ERR_MAP(CHECK_ERR_)
#undef CHECK_ERR_
    int named = 0;
    for (int code = -1000; code < 1000; code++) {
        const char *n = slot_err_name(code);
        if (n == NULL) {
            CHECK_STR(slot_err_message(code), "unknown error");
            continue;
        }
        named++;
        CHECK_EQ(slot_err_from_name(n), code);
    }
    CHECK_EQ(named, known);
    CHECK(slot_err_name(7) == NULL && slot_err_name(19) == NULL);
    CHECK(slot_err_name(58) == NULL && slot_err_name(59) == NULL);
    CHECK(slot_err_name(-1) == NULL);
    CHECK_STR(slot_err_name(SLOT_NO_SHOW), "NO_SHOW");
    CHECK_STR(slot_err_name(SLOT_NOT_OWNER), "NOT_OWNER");
    CHECK_STR(slot_err_name(SLOT_OUTSIDE_HORIZON), "OUTSIDE_HORIZON");
    CHECK_STR(slot_err_name(SLOT_UNKNOWN_HOSPITAL), "UNKNOWN_HOSPITAL");
    CHECK_EQ(slot_err_from_name(""), -1);
    CHECK_EQ(slot_err_from_name("ok"), -1);
    CHECK_EQ(slot_err_from_name("SOLD_OUTX"), -1);
    CHECK_EQ(slot_err_from_name("SOLD_OU"), -1);
}

static void test_op_and_state_names(void)
{
    static const char *const ops[] = {
        "SESSION_OPEN",    "CONFIG",    "POOL_CREATE",  "POOL_UPDATE",
        "POOL_CLOSE",      "HOLD",      "CONFIRM",      "RELEASE",
        "CANCEL",          "EXPIRE",    "IDEM",         "RULES_SET",
        "SCHEDULE_IMPORT", "SWEEP",     "ACCOUNT_BIND", "ACCOUNT_UNBIND",
        "VIOLATION",       "UNBLOCK",   "EXCEPTION",    "WAITLIST_JOIN",
        "WAITLIST_LEAVE",  "POOL_STOP", "MOVE",         "CHECKIN"};
    CHECK_EQ(sizeof ops / sizeof *ops, SLOT_OP_MAX);
    for (int op = 1; op <= SLOT_OP_MAX; op++) {
        CHECK_STR(slot_op_name(op), ops[op - 1]);
    }
    CHECK(slot_op_name(0) == NULL && slot_op_name(25) == NULL);
    CHECK_STR(slot_quota_name(SLOT_QUOTA_DEPT_EXPERT), "dept_expert");
    CHECK(slot_quota_name(7) == NULL && slot_quota_name(0) == NULL);
    CHECK_STR(slot_account_rule_name(SLOT_ACCOUNT_CHANGES), "changes");
    CHECK_EQ(slot_violation_from_name("no_show", 7), SLOT_VIOLATION_NO_SHOW);
    CHECK_EQ(slot_violation_from_name("no_sho", 6), -1);
    CHECK_STR(slot_violation_name(SLOT_VIOLATION_UNPAID), "unpaid");
    CHECK(slot_op_name(-1) == NULL && slot_op_name(256) == NULL);
    CHECK_STR(slot_pool_state_name(SLOT_PSTATE_SCHEDULED), "scheduled");
    CHECK_STR(slot_pool_state_name(SLOT_PSTATE_OPEN), "open");
    CHECK_STR(slot_pool_state_name(SLOT_PSTATE_CLOSED), "closed");
    CHECK_STR(slot_pool_state_name(SLOT_PSTATE_STOPPED), "stopped");
    CHECK(slot_pool_state_name(4) == NULL && slot_pool_state_name(-1) == NULL);
    static const char *const claims[] = {"held",    "booked",    "released",
                                         "expired", "cancelled", "moved"};
    for (int s = SLOT_CLAIM_HELD; s <= SLOT_CLAIM_MOVED; s++) {
        CHECK_STR(slot_claim_state_name(s), claims[s - 1]);
    }
    CHECK(slot_claim_state_name(0) == NULL);
    CHECK(slot_claim_state_name(7) == NULL);
    static const char *const attend[] = {"pending", "checked_in", "no_show"};
    for (int a = SLOT_ATTEND_PENDING; a <= SLOT_ATTEND_NO_SHOW; a++) {
        CHECK_STR(slot_attendance_name(a), attend[a]);
    }
    CHECK(slot_attendance_name(3) == NULL && slot_attendance_name(-1) == NULL);
    CHECK_STR(slot_op_name(SLOT_OP_POOL_STOP), "POOL_STOP");
    CHECK_STR(slot_op_name(SLOT_OP_MOVE), "MOVE");
    CHECK_STR(slot_op_name(SLOT_OP_CHECKIN), "CHECKIN");
    CHECK_STR(slot_err_name(SLOT_POOL_STOPPED), "POOL_STOPPED");
    CHECK_STR(slot_err_name(SLOT_CHECKIN_NOT_OPEN), "CHECKIN_NOT_OPEN");
}

static void test_kind_names(void)
{
    static const char *const kinds[] = {"normal", "expert", "special",
                                        "top_expert"};
    for (int k = 0; k <= SLOT_KIND_MAX; k++) {
        CHECK_STR(slot_kind_name(k), kinds[k]);
        CHECK_EQ(slot_kind_from_name(kinds[k], strlen(kinds[k])), k);
    }
    CHECK(slot_kind_name(-1) == NULL && slot_kind_name(4) == NULL);
    CHECK_EQ(slot_kind_from_name("expert", 5), -1);
    CHECK_EQ(slot_kind_from_name("experts", 7), -1);
    CHECK_EQ(slot_kind_from_name("Expert", 6), -1);
    CHECK_EQ(slot_kind_from_name("", 0), -1);
    CHECK_EQ(slot_kind_from_name(NULL, 0), -1);
    /* Not NUL-terminated: only len bytes count. */
    CHECK_EQ(slot_kind_from_name("specialty", 7), SLOT_KIND_SPECIAL);
}

/* ---- commands: round trips ----------------------------------------------- */

static void test_cmd_round_trip(void)
{
    for (int i = 0; i < SM_COUNT; i++) {
        struct mp_buf b, b2;
        struct slot_cmd got;
        encodeCmd(&samples[i], &b);
        CHECK_EQ(slot_cmd_decode_buf(b.data, b.len, &got), SLOT_OK);
        CHECK(cmdEq(&got, &samples[i]));
        CHECK(got.fingerprint == slot_hash64(b.data, b.len, 0));
        encodeCmd(&got, &b2); /* canonical: same bytes again */
        CHECK_EQ(b2.len, b.len);
        CHECK(memcmp(b.data, b2.data, b.len) == 0);
        mp_buf_free(&b);
        mp_buf_free(&b2);
    }
    /* Every op is covered. */
    bool seen[SLOT_OP_MAX + 1] = {false};
    for (int i = 0; i < SM_COUNT; i++) {
        seen[samples[i].op] = true;
    }
    for (int op = 1; op <= SLOT_OP_MAX; op++) {
        CHECK(seen[op] || op == SLOT_OP_IDEM); /* IDEM: test_cmd_idem */
    }
}

static void test_cmd_fingerprint_and_stream(void)
{
    /* Commands back to back: each decode consumes exactly its own bytes and
     * fingerprints exactly them. */
    struct mp_buf b;
    size_t ends[SM_COUNT];
    mp_buf_init(&b);
    for (int i = 0; i < SM_COUNT; i++) {
        slot_cmd_encode(&b, &samples[i]);
        ends[i] = b.len;
    }
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    size_t at = 0;
    for (int i = 0; i < SM_COUNT; i++) {
        struct slot_cmd c;
        CHECK_EQ(slot_cmd_decode(&r, &c), SLOT_OK);
        CHECK_EQ((size_t)(r.p - b.data), ends[i]);
        CHECK(c.fingerprint == slot_hash64(b.data + at, ends[i] - at, 0));
        CHECK(cmdEq(&c, &samples[i]));
        at = ends[i];
    }
    CHECK(mp_done(&r));
    /* Different content, different fingerprint. */
    struct slot_cmd x, y;
    struct mp_buf bx, by;
    encodeCmd(&samples[SM_RELEASE], &bx);
    samples[SM_RELEASE].u.claim.id++;
    encodeCmd(&samples[SM_RELEASE], &by);
    CHECK_EQ(slot_cmd_decode_buf(bx.data, bx.len, &x), SLOT_OK);
    CHECK_EQ(slot_cmd_decode_buf(by.data, by.len, &y), SLOT_OK);
    CHECK(x.fingerprint != y.fingerprint);
    /* decode_buf wants exactly one command. */
    CHECK_EQ(slot_cmd_decode_buf(b.data, ends[1], &x), SLOT_MALFORMED);
    CHECK_EQ(slot_cmd_decode_buf(b.data, 0, &x), SLOT_MALFORMED);
    mp_buf_free(&b);
    mp_buf_free(&bx);
    mp_buf_free(&by);
}

static void test_cmd_lenient_int_encodings(void)
{
    /* Any msgpack int encoding of a value in range is that value (positive
     * signed ints included); the fingerprint covers the actual bytes. */
    static const uint8_t wide[] = {
        0x94, 0xcf, 0,    0,    0, 0, 0, 0, 0, 10, 0xd0, 0x00,
        0xcd, 0x00, 0x00, 0xd3, 0, 0, 0, 0, 0, 0,  0x10, 0x00};
    struct slot_cmd c;
    CHECK_EQ(slot_cmd_decode_buf(wide, sizeof wide, &c), SLOT_OK);
    CHECK_EQ(c.op, SLOT_OP_EXPIRE);
    CHECK_EQ(c.u.expire.max, 4096);
    CHECK(c.fingerprint == slot_hash64(wide, sizeof wide, 0));
    struct mp_buf b;
    encodeCmd(&c, &b);
    CHECK_EQ(b.len, 7); /* re-encoded canonically: 94 0a 00 00 cd 10 00 */
    mp_buf_free(&b);
    /* str8 for a short string, and array16 for the command. */
    static const uint8_t s8[] = {0xdc, 0x00, 0x04, 0x05, 0x01,
                                 0x01, 0xd9, 0x01, 'p'};
    CHECK_EQ(slot_cmd_decode_buf(s8, sizeof s8, &c), SLOT_OK);
    CHECK(strEq(c.u.close.pool, S("p")));
}

static void test_cmd_truncation(void)
{
    for (int i = 0; i < SM_COUNT; i++) {
        struct mp_buf b = sampleBuf(i);
        checkTruncations(decCmd, b.data, b.len);
        mp_buf_free(&b);
    }
}

/* ---- commands: validation ------------------------------------------------ */

static void test_cmd_shape(void)
{
    for (int i = 0; i < SM_COUNT; i++) {
        struct mp_buf b = sampleBuf(i);
        /* A pool spec without its optional schedule is the version 1 form. */
        bool sched = (samples[i].op == SLOT_OP_POOL_CREATE ||
                      samples[i].op == SLOT_OP_POOL_UPDATE) &&
                     samples[i].u.pool.has_sched;
        /* Protocol 3's optional trailing fields: without them, the
         * version 2 command (HOLD: 1; RELEASE, CANCEL: 2; CONFIG: 7,
         * tested in test_cmd_config_versions); protocol 5's: CONFIRM's and
         * CHECKIN's pay_method (1), and CONFIRM without it and its
         * protocol 3 fields (3). */
        uint8_t op = samples[i].op;
        bool opt1 = op == SLOT_OP_HOLD || op == SLOT_OP_CONFIRM ||
                    op == SLOT_OP_CHECKIN;
        bool opt2 = op == SLOT_OP_RELEASE || op == SLOT_OP_CANCEL;
        bool opt3 = op == SLOT_OP_CONFIRM;
        CHECK_EQ(decCount(decCmd, &b, -1),
                 sched || opt1 ? SLOT_OK : SLOT_MALFORMED);
        CHECK_EQ(decCount(decCmd, &b, +1), SLOT_MALFORMED);
        if (topCount(b.data, b.len) > 3) {
            CHECK_EQ(decCount(decCmd, &b, -2), opt2 ? SLOT_OK : SLOT_MALFORMED);
        }
        if (topCount(b.data, b.len) > 4) {
            CHECK_EQ(decCount(decCmd, &b, -3), opt3 ? SLOT_OK : SLOT_MALFORMED);
        }
        mp_buf_free(&b);
    }
    struct slot_cmd c;
    CHECK_EQ(slot_cmd_decode_buf("\x90", 1, &c), SLOT_MALFORMED);
    CHECK_EQ(slot_cmd_decode_buf("\x91\x01", 2, &c), SLOT_MALFORMED);
    CHECK_EQ(slot_cmd_decode_buf("\x93\x01\x00", 3, &c), SLOT_MALFORMED);
    CHECK_EQ(slot_cmd_decode_buf("\x80", 1, &c), SLOT_MALFORMED);
    CHECK_EQ(slot_cmd_decode_buf("\x01", 1, &c), SLOT_MALFORMED);
    CHECK_EQ(slot_cmd_decode_buf("\xc0", 1, &c), SLOT_MALFORMED);
    CHECK_EQ(slot_cmd_decode_buf("\xc1", 1, &c), SLOT_MALFORMED);
    /* A count the input cannot hold. */
    CHECK_EQ(slot_cmd_decode_buf("\xdd\xff\xff\xff\xff\x01", 6, &c),
             SLOT_MALFORMED);
}

/* IDEM: [11, session, seq, channel, key, [op, 0, 0, args...]]. */
static struct slot_str idemStr(const char *s)
{
    struct slot_str x = {s, (uint32_t)strlen(s)};
    return x;
}

static void idemHold(struct slot_cmd *c, uint64_t session, uint64_t seq,
                     const char *key)
{
    memset(c, 0, sizeof *c);
    c->op = SLOT_OP_HOLD;
    c->session = session;
    c->seq = seq;
    c->u.hold.pool = idemStr("P/1");
    c->u.hold.patient = idemStr("patient-01");
    c->u.hold.channel = idemStr("app");
    c->u.hold.ttl_ms = 5000;
    c->idem.channel = idemStr("app");
    c->idem.key = idemStr(key);
}

static int idemRaw(uint64_t op, uint64_t s, uint64_t q, const char *ch,
                   const char *key, uint64_t inner_op, uint64_t is, uint64_t iq)
{
    struct mp_buf b;
    struct slot_cmd c;
    mp_buf_init(&b);
    mp_pack_array(&b, 6);
    mp_pack_uint(&b, op);
    mp_pack_uint(&b, s);
    mp_pack_uint(&b, q);
    mp_pack_cstr(&b, ch);
    mp_pack_cstr(&b, key);
    mp_pack_array(&b, 4);
    mp_pack_uint(&b, inner_op);
    mp_pack_uint(&b, is);
    mp_pack_uint(&b, iq);
    mp_pack_uint(&b, inner_op == SLOT_OP_EXPIRE ? 5 : 7); /* max / hold id */
    int rc = slot_cmd_decode_buf(b.data, b.len, &c);
    mp_buf_free(&b);
    return rc;
}

static void test_cmd_idem(void)
{
    struct slot_cmd c, d;
    struct mp_buf b1, b2;
    mp_buf_init(&b1);
    mp_buf_init(&b2);
    idemHold(&c, 3, 9, "key-1");
    slot_cmd_encode(&b1, &c);
    CHECK_EQ(slot_cmd_decode_buf(b1.data, b1.len, &d), SLOT_OK);
    CHECK_EQ(d.op, SLOT_OP_HOLD);
    CHECK_EQ(d.session, 3);
    CHECK_EQ(d.seq, 9);
    CHECK(d.idem.key.len == 5 && memcmp(d.idem.key.p, "key-1", 5) == 0);
    CHECK(d.idem.channel.len == 3 && memcmp(d.idem.channel.p, "app", 3) == 0);
    CHECK_EQ(d.u.hold.ttl_ms, 5000);
    /* Re-encoding gives the same bytes. */
    slot_cmd_encode(&b2, &d);
    CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    uint64_t inner_fp = d.idem.fingerprint, whole_fp = d.fingerprint;
    CHECK(inner_fp != 0 && inner_fp != whole_fp);
    /* Another session and seq: same inner fingerprint, other whole one. */
    idemHold(&c, 4, 1, "key-1");
    mp_buf_reset(&b1);
    slot_cmd_encode(&b1, &c);
    CHECK_EQ(slot_cmd_decode_buf(b1.data, b1.len, &d), SLOT_OK);
    CHECK(d.idem.fingerprint == inner_fp && d.fingerprint != whole_fp);
    /* A different inner command: a different inner fingerprint. */
    c.u.hold.ttl_ms = 6000;
    mp_buf_reset(&b1);
    slot_cmd_encode(&b1, &c);
    CHECK_EQ(slot_cmd_decode_buf(b1.data, b1.len, &d), SLOT_OK);
    CHECK(d.idem.fingerprint != inner_fp);
    /* Plain commands carry no key. */
    c.idem.key.len = 0;
    mp_buf_reset(&b1);
    slot_cmd_encode(&b1, &c);
    CHECK_EQ(slot_cmd_decode_buf(b1.data, b1.len, &d), SLOT_OK);
    CHECK_EQ(d.idem.key.len, 0);
    mp_buf_free(&b1);
    mp_buf_free(&b2);

    CHECK_EQ(idemRaw(11, 1, 1, "app", "k", SLOT_OP_RELEASE, 0, 0), SLOT_OK);
    /* Outer session/seq must be set, inner ones zero. */
    CHECK_EQ(idemRaw(11, 0, 1, "app", "k", SLOT_OP_RELEASE, 0, 0),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(idemRaw(11, 1, 0, "app", "k", SLOT_OP_RELEASE, 0, 0),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(idemRaw(11, 1, 1, "app", "k", SLOT_OP_RELEASE, 1, 1),
             SLOT_INVALID_ARGUMENT);
    /* Only the channel mutations may be wrapped; no nesting. */
    CHECK_EQ(idemRaw(11, 1, 1, "app", "k", SLOT_OP_EXPIRE, 0, 0),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(idemRaw(11, 1, 1, "app", "k", SLOT_OP_IDEM, 0, 0),
             SLOT_UNKNOWN_OP);
    /* Key and channel rules. */
    CHECK_EQ(idemRaw(11, 1, 1, "app", "", SLOT_OP_RELEASE, 0, 0),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(idemRaw(11, 1, 1, "app", "bad key", SLOT_OP_RELEASE, 0, 0),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(idemRaw(11, 1, 1, "App", "k", SLOT_OP_RELEASE, 0, 0),
             SLOT_INVALID_ARGUMENT);
    char longkey[SLOT_IDEM_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[SLOT_IDEM_KEY_MAX] = '\0';
    CHECK_EQ(idemRaw(11, 1, 1, "app", longkey, SLOT_OP_RELEASE, 0, 0), SLOT_OK);
    longkey[SLOT_IDEM_KEY_MAX] = 'k';
    longkey[SLOT_IDEM_KEY_MAX + 1] = '\0';
    CHECK_EQ(idemRaw(11, 1, 1, "app", longkey, SLOT_OP_RELEASE, 0, 0),
             SLOT_TOO_LARGE);
}

static void test_cmd_unknown_op(void)
{
    struct mp_buf b = sampleBuf(SM_OPEN);
    static const uint64_t bad[] = {0, 25, 127, 255, 256, 65536, UINT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_EQ(WITH(decCmd, &b, 0, vu(bad[i])), SLOT_UNKNOWN_OP);
    }
    /* Unknown wins over the element count: the count depends on the op. */
    struct slot_cmd c;
    CHECK_EQ(slot_cmd_decode_buf("\x91\x19", 2, &c), SLOT_UNKNOWN_OP);
    CHECK_EQ(slot_cmd_decode_buf("\x91\x00", 2, &c), SLOT_UNKNOWN_OP);
    CHECK_EQ(WITH(decCmd, &b, 0, vraw("\xff", 1)), SLOT_MALFORMED);
    CHECK_EQ(WITH(decCmd, &b, 0, vs("HOLD")), SLOT_MALFORMED);
    mp_buf_free(&b);
}

static void test_cmd_types(void)
{
    for (int i = 0; i < SM_COUNT; i++) {
        struct mp_buf b = sampleBuf(i);
        if (samples[i].op == SLOT_OP_RULES_SET) {
            /* The rule set's UTC offset may be negative. */
            checkTypesSkip(decCmd, &b, (const uint32_t[]){7, 1}, 2);
        } else {
            checkTypes(decCmd, &b);
        }
        mp_buf_free(&b);
    }
}

static void test_cmd_session_rules(void)
{
    static const uint64_t pairs[][2] = {
        {0, 0}, {0, 1}, {1, 0}, {1, 1}, {UINT64_MAX, UINT64_MAX}};
    for (int i = 0; i < SM_COUNT; i++) {
        struct mp_buf b = sampleBuf(i);
        bool anon = samples[i].op == SLOT_OP_SESSION_OPEN ||
                    samples[i].op == SLOT_OP_EXPIRE ||
                    samples[i].op == SLOT_OP_SWEEP;
        for (size_t k = 0; k < 5; k++) {
            struct mp_buf m;
            struct val s = vu(pairs[k][0]), q = vu(pairs[k][1]);
            mp_buf_init(&m);
            replaceAt(b.data, b.len, (const uint32_t[]){1}, 1, &s, &m);
            int rc = WITH(decCmd, &m, 2, q);
            bool zero = pairs[k][0] == 0 && pairs[k][1] == 0;
            bool both = pairs[k][0] >= 1 && pairs[k][1] >= 1;
            CHECK_EQ(rc,
                     (anon ? zero : both) ? SLOT_OK : SLOT_INVALID_ARGUMENT);
            mp_buf_free(&m);
        }
        mp_buf_free(&b);
    }
}

/* One edited element and its expected code. */
struct row {
    enum sample base;
    uint32_t idx;
    uint64_t v;
    int code;
};

static void checkRows(const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct mp_buf b = sampleBuf(rows[i].base);
        int rc = WITH(decCmd, &b, rows[i].idx, vu(rows[i].v));
        if (rc != rows[i].code) {
            fprintf(stderr, "row %zu: %s elem %u = %llu: got %s want %s\n", i,
                    slot_op_name(samples[rows[i].base].op), rows[i].idx,
                    (unsigned long long)rows[i].v, slot_err_name(rc),
                    slot_err_name(rows[i].code));
            CHECK(0);
        }
        mp_buf_free(&b);
    }
}

#define OK  SLOT_OK
#define INV SLOT_INVALID_ARGUMENT

static void test_cmd_config_ranges(void)
{
    static const struct row rows[] = {
        /* hold_ttl_min_ms: 1..max */
        {SM_CONFIG_MAX, 3, 0, INV},
        {SM_CONFIG_MAX, 3, 1, OK},
        {SM_CONFIG_MAX, 3, 86400000, OK},
        {SM_CONFIG_MAX, 3, 86400001, INV},
        {SM_CONFIG_MIN, 3, 2, INV}, /* min > max */
        /* hold_ttl_max_ms: min..86400000 */
        {SM_CONFIG_MIN, 4, 0, INV},
        {SM_CONFIG_MIN, 4, 1, OK},
        {SM_CONFIG_MIN, 4, 86400000, OK},
        {SM_CONFIG_MIN, 4, 86400001, INV},
        {SM_CONFIG_MIN, 4, UINT32_MAX + 1ull, INV},
        {SM_CONFIG_MAX, 4, 86399999, INV},
        /* session_max: 1..SLOT_SESSIONS_MAX */
        {SM_CONFIG_MIN, 5, 0, INV},
        {SM_CONFIG_MIN, 5, 1, OK},
        {SM_CONFIG_MIN, 5, SLOT_SESSIONS_MAX, OK},
        {SM_CONFIG_MIN, 5, SLOT_SESSIONS_MAX + 1, INV},
        /* session_idle_ms: 1000..TIME_MAX */
        {SM_CONFIG_MIN, 6, 999, INV},
        {SM_CONFIG_MIN, 6, 1000, OK},
        {SM_CONFIG_MIN, 6, TIME_MAX, OK},
        {SM_CONFIG_MIN, 6, TIME_MAX + 1, INV},
        {SM_CONFIG_MIN, 6, UINT64_MAX, INV},
        /* retain_ms: 0..TIME_MAX */
        {SM_CONFIG_MIN, 7, 0, OK},
        {SM_CONFIG_MIN, 7, TIME_MAX, OK},
        {SM_CONFIG_MIN, 7, TIME_MAX + 1, INV},
        /* retain_max: 0..SLOT_RETAIN_MAX */
        {SM_CONFIG_MIN, 8, 0, OK},
        {SM_CONFIG_MIN, 8, SLOT_RETAIN_MAX, OK},
        {SM_CONFIG_MIN, 8, SLOT_RETAIN_MAX + 1, INV},
    };
    checkRows(rows, sizeof rows / sizeof *rows);
}

static void test_cmd_pool_ranges(void)
{
    static const struct row rows[] = {
        /* capacity 1..SLOT_POOL_CAPACITY_MAX */
        {SM_POOL_MIN, 4, 0, INV},
        {SM_POOL_MIN, 4, 1, OK},
        {SM_POOL_MIN, 4, SLOT_POOL_CAPACITY_MAX, OK},
        {SM_POOL_MIN, 4, SLOT_POOL_CAPACITY_MAX + 1, INV},
        {SM_POOL_MIN, 4, UINT32_MAX + 1ull, INV},
        /* kind <= SLOT_KIND_MAX */
        {SM_POOL_MIN, 5, 0, OK},
        {SM_POOL_MIN, 5, SLOT_KIND_MAX, OK},
        {SM_POOL_MIN, 5, SLOT_KIND_MAX + 1, INV},
        {SM_POOL_MIN, 5, 256, INV},
        /* fee_cents <= SLOT_FEE_MAX_CENTS */
        {SM_POOL_MIN, 6, SLOT_FEE_MAX_CENTS, OK},
        {SM_POOL_MIN, 6, SLOT_FEE_MAX_CENTS + 1, INV},
        /* segment: times <= TIME_MAX; start < end unless both 0 */
        {SM_POOL_MAX, 7, TIME_MAX - 1, OK},
        {SM_POOL_MAX, 7, TIME_MAX, INV},
        {SM_POOL_MAX, 7, TIME_MAX + 1, INV},
        {SM_POOL_MAX, 8, TIME_MAX + 1, INV},
        {SM_POOL_MAX, 8, 1, OK},
        {SM_POOL_MAX, 8, 0, OK},                    /* both 0 */
        {SM_POOL_UPDATE, 7, 1714564800000ull, INV}, /* start == end */
        {SM_POOL_UPDATE, 7, 1714564800001ull, INV}, /* start > end */
        {SM_POOL_UPDATE, 8, 0, INV},                /* start > end == 0 */
        {SM_POOL_MIN, 8, 5, OK},                    /* 0 < 5 */
        {SM_POOL_MIN, 7, 5, INV},                   /* 5 > 0 */
        /* release_at_ms <= TIME_MAX */
        {SM_POOL_MIN, 9, TIME_MAX, OK},
        {SM_POOL_MIN, 9, TIME_MAX + 1, INV},
    };
    checkRows(rows, sizeof rows / sizeof *rows);
}

static void test_cmd_pool_shares(void)
{
    struct mp_buf b = sampleBuf(SM_POOL_UPDATE); /* capacity 30 */
    const char *two[] = {"app", "114"};
    const char *dup[] = {"app", "app"};
    const char *nine[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    static const uint32_t ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(0, two, ones)), OK);
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(8, nine, ones)), OK);
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(9, nine, ones)), SLOT_TOO_LARGE);
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(2, dup, ones)), INV);
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(1, two, (uint32_t[]){0})), INV);
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(1, two, (uint32_t[]){30})), OK);
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(1, two, (uint32_t[]){31})), INV);
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(2, two, (uint32_t[]){15, 15})), OK);
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(2, two, (uint32_t[]){15, 16})), INV);
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(1, two, (uint32_t[]){UINT32_MAX})),
             INV);
    /* Duplicates are byte-wise: "app" and "app2" are distinct. */
    const char *near[] = {"app", "app2"};
    CHECK_EQ(WITH(decCmd, &b, 10, vshares(2, near, ones)), OK);
    /* Shape of one share. */
    CHECK_EQ(WITH2(decCmd, &b, 10, 0, vraw("\x93\xa1x\x01\x01", 5)),
             SLOT_MALFORMED);
    CHECK_EQ(WITH2(decCmd, &b, 10, 0, vraw("\x91\xa1x", 3)), SLOT_MALFORMED);
    CHECK_EQ(WITH2(decCmd, &b, 10, 0, vraw("\x90", 1)), SLOT_MALFORMED);
    CHECK_EQ(WITH3(decCmd, &b, 10, 0, 1, vu(UINT32_MAX + 1ull)), INV);
    /* The share channel's charset and lengths. */
    checkStrRule(decCmd, &b, (const uint32_t[]){10, 0, 0}, 3, &ruleChannel);
    mp_buf_free(&b);
    /* Eight shares summing to exactly the maximum capacity (the sample). */
    b = sampleBuf(SM_POOL_MAX);
    CHECK_EQ(WITH3(decCmd, &b, 10, 7, 1, vu(12501)), INV);
    CHECK_EQ(WITH3(decCmd, &b, 10, 7, 1, vu(12499)), OK);
    CHECK_EQ(WITH3(decCmd, &b, 10, 7, 0, vs("app")), INV); /* dup of [0] */
    mp_buf_free(&b);
}

static void test_cmd_claim_ranges(void)
{
    static const struct row rows[] = {
        /* HOLD ttl_ms: any u32 */
        {SM_HOLD, 6, 0, OK},
        {SM_HOLD, 6, UINT32_MAX, OK},
        {SM_HOLD, 6, UINT32_MAX + 1ull, INV},
        /* ids >= 1 */
        {SM_CONFIRM, 3, 0, INV},
        {SM_CONFIRM, 3, 1, OK},
        {SM_CONFIRM, 3, UINT64_MAX, OK},
        {SM_RELEASE, 3, 0, INV},
        {SM_RELEASE, 3, 1, OK},
        {SM_RELEASE, 3, UINT64_MAX, OK},
        {SM_CANCEL, 3, 0, INV},
        {SM_CANCEL, 3, 1, OK},
        {SM_CANCEL, 3, UINT64_MAX, OK},
        /* EXPIRE max 1..SLOT_EXPIRE_MAX */
        {SM_EXPIRE, 3, 0, INV},
        {SM_EXPIRE, 3, 1, OK},
        {SM_EXPIRE, 3, SLOT_EXPIRE_MAX, OK},
        {SM_EXPIRE, 3, SLOT_EXPIRE_MAX + 1, INV},
        {SM_EXPIRE, 3, UINT64_MAX, INV},
    };
    checkRows(rows, sizeof rows / sizeof *rows);
}

static void test_cmd_strings(void)
{
    static const struct {
        enum sample base;
        uint32_t idx;
        const struct str_rule *rule;
    } fields[] = {
        {SM_POOL_MIN, 3, &rulePool},     {SM_POOL_UPDATE, 3, &rulePool},
        {SM_CLOSE, 3, &rulePool},        {SM_HOLD, 3, &rulePool},
        {SM_HOLD, 4, &rulePatient},      {SM_HOLD, 5, &ruleChannel},
        {SM_CONFIRM, 4, &rulePayrefOpt},
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        struct mp_buf b = sampleBuf(fields[i].base);
        checkStrRule(decCmd, &b, &fields[i].idx, 1, fields[i].rule);
        mp_buf_free(&b);
    }
    /* The sample strings exercise every special byte of each set. */
    struct mp_buf b = sampleBuf(SM_CONFIRM);
    CHECK_EQ(WITH(decCmd, &b, 4, vs(payrefTilde)), OK);
    CHECK_EQ(WITH(decCmd, &b, 4, vs("ref 1")), INV);
    mp_buf_free(&b);
    b = sampleBuf(SM_HOLD);
    CHECK_EQ(WITH(decCmd, &b, 4, vs("patient/1")), INV); /* no '/' */
    CHECK_EQ(WITH(decCmd, &b, 5, vs("WeChat")), INV);    /* lower only */
    CHECK_EQ(WITH(decCmd, &b, 5, vs("we.chat")), INV);
    CHECK_EQ(WITH(decCmd, &b, 3, vraw("\xd9\x03p/q", 5)), OK); /* str8 */
    /* A string as bin is a type error, not a charset one. */
    CHECK_EQ(WITH(decCmd, &b, 3, vraw("\xc4\x01p", 3)), SLOT_MALFORMED);
    mp_buf_free(&b);
}

/* ---- commands: the visit day (protocol 4) -------------------------------- */

/* A reason (slot_valid_text up to SLOT_REASON_MAX) at top-level idx. */
static void checkReasonAt(dec_fn dec, const struct mp_buf *b, uint32_t idx)
{
    CHECK_EQ(WITH(dec, b, idx, vs("\u505c\u8bca ok")), OK);
    CHECK_EQ(WITH(dec, b, idx, vs("")), INV);
    CHECK_EQ(WITH(dec, b, idx, vs("tab\there")), INV);
    CHECK_EQ(WITH(dec, b, idx, vs("nl\n")), INV);
    CHECK_EQ(WITH(dec, b, idx, vs("del\x7f")), INV);
    CHECK_EQ(WITH(dec, b, idx, vbytes("\xc3\x28", 2)), INV);
    CHECK_EQ(WITH(dec, b, idx, vbytes("\xe4\xb8", 2)), INV); /* cut */
    CHECK_EQ(WITH(dec, b, idx, vrep('r', SLOT_REASON_MAX)), OK);
    CHECK_EQ(WITH(dec, b, idx, vrep('r', SLOT_REASON_MAX + 1)), SLOT_TOO_LARGE);
}

static void test_cmd_visit_ranges(void)
{
    static const struct row rows[] = {
        /* MOVE and CHECKIN: booking ids >= 1 */
        {SM_MOVE, 3, 0, INV},
        {SM_MOVE, 3, 1, OK},
        {SM_MOVE, 3, UINT64_MAX, OK},
        {SM_MOVE_ADMIN, 3, 0, INV},
        {SM_CHECKIN, 3, 0, INV},
        {SM_CHECKIN, 3, 1, OK},
        {SM_CHECKIN, 3, UINT64_MAX, OK},
        {SM_CHECKIN_MIN, 3, 0, INV},
    };
    checkRows(rows, sizeof rows / sizeof *rows);
}

static void test_cmd_visit_strings(void)
{
    static const struct {
        enum sample base;
        uint32_t idx;
        const struct str_rule *rule;
    } fields[] = {
        {SM_STOP, 3, &rulePool},
        {SM_STOP, 4, &ruleOperator},
        {SM_STOP_MAX, 3, &rulePool},
        {SM_STOP_MAX, 4, &ruleOperator},
        {SM_MOVE, 4, &rulePool},
        {SM_MOVE, 5, &ruleChannelOpt},
        {SM_MOVE_ADMIN, 4, &rulePool},
        {SM_MOVE_ADMIN, 5, &ruleChannelOpt},
        {SM_CHECKIN, 4, &rulePatient},
        /* (SM_CHECKIN names a pay method: its reference may not be "";
         * test_cmd_pay_method.) */
        {SM_CHECKIN_MIN, 5, &rulePayrefOpt},
        /* The account: "" or a patient key (tested with "" below). */
        {SM_MOVE, 6, &rulePatient},
        {SM_MOVE_ADMIN, 6, &rulePatient},
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        struct mp_buf b = sampleBuf(fields[i].base);
        checkStrRule(decCmd, &b, &fields[i].idx, 1, fields[i].rule);
        mp_buf_free(&b);
    }
    struct mp_buf b = sampleBuf(SM_STOP);
    checkReasonAt(decCmd, &b, 5);
    /* POOL_STOP's strings are all required. */
    CHECK_EQ(WITH(decCmd, &b, 3, vs("")), INV);
    CHECK_EQ(WITH(decCmd, &b, 4, vs("")), INV);
    CHECK_EQ(WITH(decCmd, &b, 4, vs("ops pumch")), INV);
    CHECK_EQ(WITH(decCmd, &b, 4, vrep('o', SLOT_OPERATOR_MAX + 1)),
             SLOT_TOO_LARGE);
    CHECK_EQ(WITH(decCmd, &b, 3, vs("h1 cardio")), INV);
    mp_buf_free(&b);
    /* MOVE: the target pool is required; caller and account may be "". */
    b = sampleBuf(SM_MOVE);
    CHECK_EQ(WITH(decCmd, &b, 4, vs("")), INV);
    CHECK_EQ(WITH(decCmd, &b, 5, vs("")), OK);
    CHECK_EQ(WITH(decCmd, &b, 6, vs("")), OK);
    CHECK_EQ(WITH(decCmd, &b, 5, vs("WeChat")), INV);
    CHECK_EQ(WITH(decCmd, &b, 6, vs("acct/1234")), INV);
    CHECK_EQ(WITH(decCmd, &b, 6, vs("short")), INV); /* under 8 bytes */
    mp_buf_free(&b);
    /* CHECKIN: the patient is required; the payment ref may be "" (when
     * no pay method is named). */
    b = sampleBuf(SM_CHECKIN_MIN);
    CHECK_EQ(WITH(decCmd, &b, 4, vs("")), INV);
    CHECK_EQ(WITH(decCmd, &b, 4, vs("1234567")), INV);
    CHECK_EQ(WITH(decCmd, &b, 4, vs("patient/1")), INV);
    CHECK_EQ(WITH(decCmd, &b, 5, vs("")), OK);
    CHECK_EQ(WITH(decCmd, &b, 5, vs(payrefTilde)), OK);
    CHECK_EQ(WITH(decCmd, &b, 5, vs("ref 1")), INV);
    CHECK_EQ(WITH(decCmd, &b, 5, vbytes("r\x80", 2)), INV);
    mp_buf_free(&b);
}

/* The new commands have no optional trailing arguments (unlike CONFIRM,
 * RELEASE and CANCEL), but CHECKIN's protocol 5 pay_method: any other
 * element count is MALFORMED. */
static void test_cmd_visit_shape(void)
{
    static const enum sample s[] = {SM_STOP, SM_MOVE, SM_MOVE_ADMIN,
                                    SM_CHECKIN};
    static const uint32_t n[] = {6, 7, 7, 7};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
        struct mp_buf b = sampleBuf(s[i]);
        CHECK_EQ(topCount(b.data, b.len), n[i]);
        for (int d = -3; d <= 2; d++) {
            if (d != 0) {
                bool opt5 = s[i] == SM_CHECKIN && d == -1;
                CHECK_EQ(decCount(decCmd, &b, d),
                         opt5 ? SLOT_OK : SLOT_MALFORMED);
            }
        }
        mp_buf_free(&b);
    }
    /* The decoded command uses only its own fields of the union. */
    struct slot_cmd c;
    struct mp_buf b = sampleBuf(SM_CHECKIN);
    CHECK_EQ(slot_cmd_decode_buf(b.data, b.len, &c), SLOT_OK);
    CHECK_EQ(c.op, SLOT_OP_CHECKIN);
    CHECK(c.u.claim.id == 1 && strEq(c.u.claim.patient, S(patient64)) &&
          strEq(c.u.claim.payment_ref, S(payref64)));
    CHECK(c.u.claim.pool.len == 0 && c.u.claim.caller.len == 0 &&
          c.u.claim.account.len == 0);
    mp_buf_free(&b);
    b = sampleBuf(SM_MOVE);
    CHECK_EQ(slot_cmd_decode_buf(b.data, b.len, &c), SLOT_OK);
    CHECK_EQ(c.op, SLOT_OP_MOVE);
    CHECK(c.u.claim.id == 17 &&
          strEq(c.u.claim.pool, S("h1/cardio/dr-li/2024-05-02:am")) &&
          strEq(c.u.claim.caller, S("wechat")) &&
          strEq(c.u.claim.account, S("acct:wx-0001")));
    CHECK(c.u.claim.patient.len == 0 && c.u.claim.payment_ref.len == 0);
    mp_buf_free(&b);
    b = sampleBuf(SM_STOP_MAX);
    CHECK_EQ(slot_cmd_decode_buf(b.data, b.len, &c), SLOT_OK);
    CHECK_EQ(c.op, SLOT_OP_POOL_STOP);
    CHECK(strEq(c.u.stop.pool, S(pool64)) &&
          strEq(c.u.stop.operator_name, S(op32)) &&
          strEq(c.u.stop.reason, S(reason256)));
    mp_buf_free(&b);
}

/* [11, session, seq, channel, key, inner]: the sample's encoding as the
 * inner command (session and seq zeroed). */
static struct mp_buf idemAround(enum sample s, const char *key)
{
    struct mp_buf in = sampleBuf(s), z1, z2, out;
    struct val zero = vu(0);
    mp_buf_init(&z1);
    mp_buf_init(&z2);
    replaceAt(in.data, in.len, (const uint32_t[]){1}, 1, &zero, &z1);
    replaceAt(z1.data, z1.len, (const uint32_t[]){2}, 1, &zero, &z2);
    mp_buf_init(&out);
    mp_pack_array(&out, 6);
    mp_pack_uint(&out, SLOT_OP_IDEM);
    mp_pack_uint(&out, 3);
    mp_pack_uint(&out, 9);
    mp_pack_cstr(&out, "app");
    mp_pack_cstr(&out, key);
    mp_buf_append(&out, z2.data, z2.len);
    mp_buf_free(&in);
    mp_buf_free(&z1);
    mp_buf_free(&z2);
    return out;
}

/* Which ops an IDEM may wrap, over every sample: the mutations (now
 * POOL_STOP, MOVE and CHECKIN too), never SESSION_OPEN, CONFIG, EXPIRE or
 * SWEEP. */
static void test_cmd_idem_ops(void)
{
    for (int i = 0; i < SM_COUNT; i++) {
        uint8_t op = samples[i].op;
        bool wraps = op != SLOT_OP_SESSION_OPEN && op != SLOT_OP_CONFIG &&
                     op != SLOT_OP_EXPIRE && op != SLOT_OP_SWEEP;
        struct mp_buf b = idemAround(i, "key-1");
        int rc = decCmd(b.data, b.len);
        if (rc != (wraps ? SLOT_OK : SLOT_INVALID_ARGUMENT)) {
            fprintf(stderr, "IDEM around %s: %s\n", slot_op_name(op),
                    slot_err_name(rc));
            CHECK(0);
        }
        mp_buf_free(&b);
    }
    static const enum sample s[] = {SM_STOP,       SM_STOP_MAX, SM_MOVE,
                                    SM_MOVE_ADMIN, SM_CHECKIN,  SM_CHECKIN_MIN};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
        /* Through the encoder: the same bytes as built by hand. */
        struct slot_cmd c = samples[s[i]], d;
        c.session = 3;
        c.seq = 9;
        c.idem.channel = S("app");
        c.idem.key = S("key-1");
        struct mp_buf enc, hand = idemAround(s[i], "key-1");
        encodeCmd(&c, &enc);
        CHECK(enc.len == hand.len && memcmp(enc.data, hand.data, enc.len) == 0);
        CHECK_EQ(slot_cmd_decode_buf(enc.data, enc.len, &d), SLOT_OK);
        CHECK(cmdEq(&d, &c));
        CHECK(strEq(d.idem.key, S("key-1")) && strEq(d.idem.channel, S("app")));
        size_t inner_len;
        const uint8_t *inner = elemAt(enc.data, enc.len, 5, &inner_len);
        CHECK(d.idem.fingerprint == slot_hash64(inner, inner_len, 0));
        CHECK(d.fingerprint == slot_hash64(enc.data, enc.len, 0));
        checkTruncations(decCmd, enc.data, enc.len);
        checkTypes(decCmd, &enc);
        /* The inner command keeps its own rules. */
        CHECK_EQ(WITH2(decCmd, &enc, 5, 1, vu(1)), INV); /* inner session */
        CHECK_EQ(WITH2(decCmd, &enc, 5, 3, vu(0)),
                 samples[s[i]].op == SLOT_OP_POOL_STOP ? SLOT_MALFORMED
                                                       : INV); /* id 0 */
        CHECK_EQ(WITH2(decCmd, &enc, 5, 0, vu(SLOT_OP_MAX + 1)),
                 SLOT_UNKNOWN_OP);
        struct mp_buf inner_short;
        mp_buf_init(&inner_short);
        withCount(inner, inner_len, -1, &inner_short);
        /* (CONFIRM and CHECKIN without protocol 5's pay_method are
         * their protocol 4 forms.) */
        bool opt5 = samples[s[i]].op == SLOT_OP_CONFIRM ||
                    samples[s[i]].op == SLOT_OP_CHECKIN;
        CHECK_EQ(WITH(decCmd, &enc, 5, vraw(inner_short.data, inner_short.len)),
                 opt5 ? SLOT_OK : SLOT_MALFORMED);
        mp_buf_free(&inner_short);
        mp_buf_free(&enc);
        mp_buf_free(&hand);
    }
}

/* ---- results ------------------------------------------------------------- */

static struct mp_buf resultBuf(const struct slot_result *res)
{
    struct mp_buf b;
    mp_buf_init(&b);
    slot_result_encode(&b, res);
    return b;
}

static void test_result(void)
{
    static const struct slot_result rs[] = {
        {SLOT_OK, 0, 0, 0},
        {SLOT_OK, 17, 1714550700000ull, 1714550400000ull},
        {SLOT_SOLD_OUT, UINT64_MAX, UINT64_MAX, TIME_MAX},
        {UINT16_MAX, 1, 2, 3},
    };
    for (size_t i = 0; i < sizeof rs / sizeof *rs; i++) {
        struct mp_buf b = resultBuf(&rs[i]);
        struct slot_result got;
        struct mp_reader r;
        mp_reader_init(&r, b.data, b.len);
        CHECK_EQ(slot_result_decode(&r, &got), SLOT_OK);
        CHECK(mp_done(&r));
        CHECK(got.code == rs[i].code && got.a == rs[i].a && got.b == rs[i].b &&
              got.time_ms == rs[i].time_ms);
        checkTruncations(decResult, b.data, b.len);
        checkTypes(decResult, &b);
        CHECK_EQ(decCount(decResult, &b, -1), SLOT_MALFORMED);
        CHECK_EQ(decCount(decResult, &b, +1), SLOT_MALFORMED);
        mp_buf_free(&b);
    }
    struct mp_buf b = resultBuf(&rs[1]);
    CHECK_EQ(WITH(decResult, &b, 0, vu(UINT16_MAX + 1u)), INV);
    CHECK_EQ(WITH(decResult, &b, 3, vu(TIME_MAX + 1)), INV);
    CHECK_EQ(WITH(decResult, &b, 3, vu(TIME_MAX)), OK);
    mp_buf_free(&b);
}

/* ---- reads --------------------------------------------------------------- */

static struct slot_read readSample(uint8_t op)
{
    struct slot_read rd;
    memset(&rd, 0, sizeof rd);
    rd.op = op;
    switch (op) {
        case SLOT_READ_POOL:
            rd.pool = S(pool64);
            break;
        case SLOT_READ_HOLD:
            rd.id = 1;
            break;
        case SLOT_READ_BOOKING:
            rd.id = UINT64_MAX;
            break;
        case SLOT_READ_PATIENT:
            rd.pool = S("p");
            rd.patient = S(patient64);
            break;
        case SLOT_READ_POOLS:
            rd.pool = S("h1/a");
            rd.limit = SLOT_LIST_MAX;
            break;
        case SLOT_READ_QUERY:
            rd.hospital = S("pumch");
            rd.department = S("cardio");
            rd.doctor = S("");
            rd.date_from = 20800;
            rd.date_to = SLOT_DAY_MAX;
            rd.kind = SLOT_KIND_ANY;
            rd.pool = S("pumch/east/cardio/dr-wang/20261214/0800");
            rd.limit = 50;
            break;
        case SLOT_READ_RULES:
            rd.hospital = S("pumch");
            rd.department = S("");
            break;
        case SLOT_READ_RULES_LOG:
            rd.hospital = S("pumch");
            rd.after_version = UINT64_MAX;
            rd.limit = 1;
            break;
        case SLOT_READ_SCHEDULE_CHECK:
            rd.tpl = samples[SM_IMPORT].u.import;
            break;
        case SLOT_READ_PATIENT_INFO:
            rd.patient = S(patient64);
            break;
        case SLOT_READ_ACCOUNT:
            rd.account = S("acct:wx-0001");
            break;
        case SLOT_READ_STAFF_LOG:
            rd.after_version = 7;
            rd.limit = SLOT_LIST_MAX;
            break;
        case SLOT_READ_WAITLIST:
            rd.pool = S(pool64);
            rd.patient = S("12345678");
            break;
        case SLOT_READ_POOL_CLAIMS:
            rd.pool = S(pool64);
            rd.after_id = UINT64_MAX;
            rd.limit = SLOT_LIST_MAX;
            break;
        case SLOT_READ_EVENTS:
            rd.after_id = 12345;
            rd.limit = 7;
            break;
        case SLOT_READ_RECON:
            rd.day = 20795;
            rd.hospital = S("pumch");
            rd.channel = S("wechat");
            rd.after_id = 3;
            rd.limit = 50;
            break;
        case SLOT_READ_STATS:
            rd.hospital = S("");
            rd.date_from = 20795;
            rd.date_to = 20795 + SLOT_STATS_DAYS_MAX - 1;
            rd.after_id = UINT32_MAX;
            rd.limit = SLOT_LIST_MAX;
            break;
        default:
            break;
    }
    return rd;
}

static struct mp_buf readBuf(uint8_t op)
{
    struct slot_read rd = readSample(op);
    struct mp_buf b;
    mp_buf_init(&b);
    slot_read_encode(&b, &rd);
    return b;
}

static void test_read_round_trip(void)
{
    for (uint8_t op = 1; op <= SLOT_READ_MAX; op++) {
        struct slot_read want = readSample(op), got;
        struct mp_buf b = readBuf(op);
        struct mp_reader r;
        mp_reader_init(&r, b.data, b.len);
        CHECK_EQ(slot_read_decode(&r, &got), SLOT_OK);
        CHECK(mp_done(&r));
        CHECK(got.op == want.op && got.id == want.id &&
              got.limit == want.limit && strEq(got.pool, want.pool) &&
              strEq(got.patient, want.patient) &&
              strEq(got.account, want.account) &&
              got.after_version == want.after_version &&
              got.after_id == want.after_id && got.day == want.day &&
              strEq(got.hospital, want.hospital) &&
              strEq(got.channel, want.channel) &&
              got.date_from == want.date_from && got.date_to == want.date_to);
        checkTruncations(decRead, b.data, b.len);
        checkTypes(decRead, &b);
        CHECK_EQ(decCount(decRead, &b, +1), SLOT_MALFORMED);
        if (op != SLOT_READ_LEDGER) {
            CHECK_EQ(decCount(decRead, &b, -1), SLOT_MALFORMED);
        }
        mp_buf_free(&b);
    }
    CHECK_EQ(decRead("\x91\x06", 2), SLOT_OK);
}

static void test_read_validation(void)
{
    struct mp_buf b = readBuf(SLOT_READ_POOL);
    checkStrRule(decRead, &b, (const uint32_t[]){1}, 1, &rulePool);
    CHECK_EQ(WITH(decRead, &b, 0, vu(0)), SLOT_UNKNOWN_OP);
    CHECK_EQ(WITH(decRead, &b, 0, vu(SLOT_READ_MAX + 1)), SLOT_UNKNOWN_OP);
    CHECK_EQ(WITH(decRead, &b, 0, vu(UINT64_MAX)), SLOT_UNKNOWN_OP);
    mp_buf_free(&b);
    CHECK_EQ(decRead("\x90", 1), SLOT_MALFORMED);
    CHECK_EQ(decRead("\x91\x13", 2), SLOT_UNKNOWN_OP);
    CHECK_EQ(decRead("\x92\x06\x00", 3), SLOT_MALFORMED);
    for (uint8_t op = SLOT_READ_HOLD; op <= SLOT_READ_BOOKING; op++) {
        b = readBuf(op);
        CHECK_EQ(WITH(decRead, &b, 1, vu(0)), INV);
        CHECK_EQ(WITH(decRead, &b, 1, vu(1)), OK);
        mp_buf_free(&b);
    }
    b = readBuf(SLOT_READ_PATIENT);
    checkStrRule(decRead, &b, (const uint32_t[]){1}, 1, &rulePool);
    checkStrRule(decRead, &b, (const uint32_t[]){2}, 1, &rulePatient);
    mp_buf_free(&b);
    b = readBuf(SLOT_READ_POOLS);
    checkStrRule(decRead, &b, (const uint32_t[]){1}, 1, &rulePoolOpt);
    CHECK_EQ(WITH(decRead, &b, 2, vu(0)), INV);
    CHECK_EQ(WITH(decRead, &b, 2, vu(1)), OK);
    CHECK_EQ(WITH(decRead, &b, 2, vu(SLOT_LIST_MAX)), OK);
    CHECK_EQ(WITH(decRead, &b, 2, vu(SLOT_LIST_MAX + 1)), INV);
    mp_buf_free(&b);
}

/* READ_POOL_CLAIMS (protocol 4): [15, pool, after_id, limit]. */
static void test_read_pool_claims(void)
{
    struct mp_buf b = readBuf(SLOT_READ_POOL_CLAIMS);
    CHECK_EQ(topCount(b.data, b.len), 4);
    checkStrRule(decRead, &b, (const uint32_t[]){1}, 1, &rulePool);
    CHECK_EQ(WITH(decRead, &b, 1, vs("")), INV); /* a pool, not "after" */
    CHECK_EQ(WITH(decRead, &b, 2, vu(0)), OK);   /* from the first claim */
    CHECK_EQ(WITH(decRead, &b, 2, vu(1)), OK);
    CHECK_EQ(WITH(decRead, &b, 2, vu(UINT64_MAX)), OK);
    CHECK_EQ(WITH(decRead, &b, 3, vu(0)), INV);
    CHECK_EQ(WITH(decRead, &b, 3, vu(1)), OK);
    CHECK_EQ(WITH(decRead, &b, 3, vu(SLOT_LIST_MAX)), OK);
    CHECK_EQ(WITH(decRead, &b, 3, vu(SLOT_LIST_MAX + 1)), INV);
    CHECK_EQ(WITH(decRead, &b, 3, vu(UINT32_MAX + 1ull)), INV);
    mp_buf_free(&b);
    /* after 0, limit 1, by hand; the decoded fields. */
    struct slot_read rd = {.op = SLOT_READ_POOL_CLAIMS,
                           .pool = S("p"),
                           .after_id = 0,
                           .limit = 1},
                     got;
    mp_buf_init(&b);
    slot_read_encode(&b, &rd);
    static const uint8_t want[] = {0x94, 0x0f, 0xa1, 'p', 0x00, 0x01};
    CHECK(b.len == sizeof want && memcmp(b.data, want, b.len) == 0);
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    memset(&got, 0xa5, sizeof got);
    CHECK_EQ(slot_read_decode(&r, &got), SLOT_OK);
    CHECK(got.op == SLOT_READ_POOL_CLAIMS && strEq(got.pool, S("p")) &&
          got.after_id == 0 && got.limit == 1 && got.id == 0 &&
          got.after_version == 0 && got.patient.len == 0);
    mp_buf_free(&b);
    CHECK_EQ(decRead("\x93\x0f\xa1p\x00", 5), SLOT_MALFORMED); /* no limit */
}

/* READ_EVENTS (protocol 4): [16, after, limit]. */
static void test_read_events(void)
{
    struct mp_buf b = readBuf(SLOT_READ_EVENTS);
    CHECK_EQ(topCount(b.data, b.len), 3);
    CHECK_EQ(WITH(decRead, &b, 1, vu(0)), OK); /* from the first event */
    CHECK_EQ(WITH(decRead, &b, 1, vu(UINT64_MAX)), OK);
    CHECK_EQ(WITH(decRead, &b, 2, vu(0)), INV);
    CHECK_EQ(WITH(decRead, &b, 2, vu(SLOT_LIST_MAX)), OK);
    CHECK_EQ(WITH(decRead, &b, 2, vu(SLOT_LIST_MAX + 1)), INV);
    CHECK_EQ(decCount(decRead, &b, -1), SLOT_MALFORMED);
    CHECK_EQ(decCount(decRead, &b, +1), SLOT_MALFORMED);
    mp_buf_free(&b);
    static const uint8_t want[] = {0x93, 0x10, 0x00, 0x01};
    struct slot_read rd = {.op = SLOT_READ_EVENTS, .after_id = 0, .limit = 1};
    mp_buf_init(&b);
    slot_read_encode(&b, &rd);
    CHECK(b.len == sizeof want && memcmp(b.data, want, b.len) == 0);
    mp_buf_free(&b);
}

DEC_WRAP(decEvent, struct slot_event, slot_event_decode)

/* An event (the feed's reply element): every field in range, names
 * optional (a pool event has no patient), type 1..SLOT_EV_MAX. */
static void test_event(void)
{
    struct slot_event want, got;
    memset(&want, 0, sizeof want);
    want.seq = UINT64_MAX;
    want.index = 77;
    want.time_ms = TIME_MAX;
    want.type = SLOT_EV_MOVED;
    strcpy(want.pool, pool64);
    want.claim = 9;
    strcpy(want.patient, patient64);
    strcpy(want.channel, "wechat");
    strcpy(want.account, "ac:family-0001");
    strcpy(want.hospital, "pumch");
    want.a = 10;
    want.b = UINT64_MAX;
    want.fee_cents = SLOT_FEE_MAX_CENTS;
    strcpy(want.payment_ref, payref64);
    strcpy(want.pay_method, chan16);
    want.local_day = SLOT_DAY_MAX;
    struct mp_buf b;
    mp_buf_init(&b);
    slot_event_encode(&b, &want);
    CHECK_EQ(topCount(b.data, b.len), 16);
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    memset(&got, 0xa5, sizeof got);
    CHECK_EQ(slot_event_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r) && memcmp(&got, &want, sizeof got) == 0);
    checkTruncations(decEvent, b.data, b.len);
    checkTypes(decEvent, &b);
    CHECK_EQ(decCount(decEvent, &b, -1), SLOT_MALFORMED);
    CHECK_EQ(decCount(decEvent, &b, +1), SLOT_MALFORMED);
    CHECK_EQ(WITH(decEvent, &b, 0, vu(0)), INV); /* seqs start at 1 */
    CHECK_EQ(WITH(decEvent, &b, 2, vu(TIME_MAX + 1)), INV);
    CHECK_EQ(WITH(decEvent, &b, 3, vu(0)), INV);
    CHECK_EQ(WITH(decEvent, &b, 3, vu(SLOT_EV_MAX)), OK);
    CHECK_EQ(WITH(decEvent, &b, 3, vu(SLOT_EV_MAX + 1)), INV);
    checkStrRule(decEvent, &b, (const uint32_t[]){4}, 1, &rulePoolOpt);
    checkStrRule(decEvent, &b, (const uint32_t[]){7}, 1, &ruleChannelOpt);
    checkStrRule(decEvent, &b, (const uint32_t[]){9}, 1, &ruleNameOpt);
    CHECK_EQ(WITH(decEvent, &b, 6, vs("")), OK);
    CHECK_EQ(WITH(decEvent, &b, 6, vs("short")), INV); /* a key is >= 8 */
    CHECK_EQ(WITH(decEvent, &b, 8, vs("")), OK);
    /* protocol 5: the payment and the local day */
    CHECK_EQ(WITH(decEvent, &b, 12, vu(SLOT_FEE_MAX_CENTS + 1)), INV);
    checkStrRule(decEvent, &b, (const uint32_t[]){13}, 1, &rulePayrefOpt);
    checkStrRule(decEvent, &b, (const uint32_t[]){14}, 1, &rulePayMethodOpt);
    CHECK_EQ(WITH(decEvent, &b, 15, vu(0)), OK);
    CHECK_EQ(WITH(decEvent, &b, 15, vu(SLOT_LEDGER_DAY_MAX)), OK);
    CHECK_EQ(WITH(decEvent, &b, 15, vu(SLOT_LEDGER_DAY_MAX + 1ull)), INV);
    CHECK_EQ(decCount(decEvent, &b, -4), SLOT_MALFORMED); /* a v4 event */
    mp_buf_free(&b);
    CHECK_STR(slot_event_name(SLOT_EV_HELD), "held");
    CHECK_STR(slot_event_name(SLOT_EV_WAIT_LEFT), "wait_left");
    CHECK(slot_event_name(0) == NULL &&
          slot_event_name(SLOT_EV_MAX + 1) == NULL);
    CHECK_STR(slot_err_name(SLOT_CURSOR_EXPIRED), "CURSOR_EXPIRED");
}

/* Protocol 5: CONFIRM's and CHECKIN's pay_method. */
static void test_cmd_pay_method(void)
{
    struct mp_buf b = sampleBuf(SM_CONFIRM_MAX);
    CHECK_EQ(topCount(b.data, b.len), 8);
    checkStrRule(decCmd, &b, (const uint32_t[]){7}, 1, &rulePayMethodOpt);
    /* A method says how a reference was paid: not without one. */
    CHECK_EQ(WITH_TWO(decCmd, &b, 4, 7, vs(""), vs("wechat")), INV);
    CHECK_EQ(WITH_TWO(decCmd, &b, 4, 7, vs(""), vs("")), OK);
    struct slot_cmd c;
    CHECK_EQ(slot_cmd_decode_buf(b.data, b.len, &c), SLOT_OK);
    CHECK(strEq(c.u.claim.pay_method, S(chan16)));
    mp_buf_free(&b);
    b = sampleBuf(SM_CHECKIN);
    CHECK_EQ(topCount(b.data, b.len), 7);
    checkStrRule(decCmd, &b, (const uint32_t[]){6}, 1, &rulePayMethodOpt);
    CHECK_EQ(WITH_TWO(decCmd, &b, 5, 6, vs(""), vs("cash")), INV);
    CHECK_EQ(slot_cmd_decode_buf(b.data, b.len, &c), SLOT_OK);
    CHECK(strEq(c.u.claim.pay_method, S("insurance")));
    /* The protocol 4 form: no method. */
    struct mp_buf shorter;
    mp_buf_init(&shorter);
    withCount(b.data, b.len, -1, &shorter);
    CHECK_EQ(slot_cmd_decode_buf(shorter.data, shorter.len, &c), SLOT_OK);
    CHECK(c.u.claim.pay_method.len == 0);
    mp_buf_free(&shorter);
    mp_buf_free(&b);
    CHECK_EQ(slot_valid_pay_method(S("wechat")), SLOT_OK);
    CHECK_EQ(slot_valid_pay_method(S("")), INV);
    CHECK_EQ(slot_valid_pay_method(S("WeChat")), INV);
    CHECK_EQ(slot_valid_pay_method(S("12345678901234567")), SLOT_TOO_LARGE);
}

DEC_WRAP(decRecon, struct slot_recon_row, slot_recon_row_decode)
DEC_WRAP(decStats, struct slot_stats_row, slot_stats_row_decode)

/* Protocol 5's rows: RECON's and STATS'. */
static void test_money_rows(void)
{
    struct slot_recon_row want, got;
    memset(&want, 0, sizeof want);
    want.day = SLOT_DAY_MAX;
    strcpy(want.hospital, "pumch");
    strcpy(want.channel, chan16);
    strcpy(want.pay_method, "wechat");
    want.booked = UINT32_MAX;
    want.booked_cents = UINT64_MAX;
    want.checkin_paid = 1;
    want.checkin_paid_cents = 2;
    want.checked_in = 3;
    want.cancelled = 4;
    want.cancelled_cents = 5;
    want.refunded = 6;
    want.refunded_cents = 7;
    want.moved = 8;
    want.no_show = 9;
    struct mp_buf b;
    mp_buf_init(&b);
    slot_recon_row_encode(&b, &want);
    CHECK_EQ(topCount(b.data, b.len), 15);
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    memset(&got, 0xa5, sizeof got);
    CHECK_EQ(slot_recon_row_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r) && memcmp(&got, &want, sizeof got) == 0);
    checkTruncations(decRecon, b.data, b.len);
    checkTypes(decRecon, &b);
    CHECK_EQ(decCount(decRecon, &b, -1), SLOT_MALFORMED);
    CHECK_EQ(WITH(decRecon, &b, 0, vu(SLOT_LEDGER_DAY_MAX + 1ull)), INV);
    checkStrRule(decRecon, &b, (const uint32_t[]){1}, 1, &ruleNameOpt);
    checkStrRule(decRecon, &b, (const uint32_t[]){2}, 1, &ruleChannel);
    checkStrRule(decRecon, &b, (const uint32_t[]){3}, 1, &rulePayMethodOpt);
    mp_buf_free(&b);

    struct slot_stats_row sw, sg;
    memset(&sw, 0, sizeof sw);
    sw.visit_day = 20795;
    strcpy(sw.hospital, "pumch");
    strcpy(sw.department, "cardiology");
    sw.pools = 3;
    sw.released = 20;
    sw.capacity = 30;
    sw.booked_now = 10;
    sw.booked_total = 12;
    sw.cancelled_total = 1;
    sw.refunded_total = 1;
    sw.moved_total = UINT64_MAX;
    sw.no_show_total = 2;
    sw.checked_in_total = 7;
    mp_buf_init(&b);
    slot_stats_row_encode(&b, &sw);
    CHECK_EQ(topCount(b.data, b.len), 13);
    mp_reader_init(&r, b.data, b.len);
    memset(&sg, 0xa5, sizeof sg);
    CHECK_EQ(slot_stats_row_decode(&r, &sg), SLOT_OK);
    CHECK(mp_done(&r) && memcmp(&sg, &sw, sizeof sg) == 0);
    checkTruncations(decStats, b.data, b.len);
    checkTypes(decStats, &b);
    CHECK_EQ(WITH(decStats, &b, 0, vu(0)), INV);
    CHECK_EQ(WITH(decStats, &b, 3, vu(0)), INV); /* a group has a pool */
    checkStrRule(decStats, &b, (const uint32_t[]){1}, 1, &ruleName);
    checkStrRule(decStats, &b, (const uint32_t[]){2}, 1, &ruleName);
    mp_buf_free(&b);
}

/* READ_RECON and READ_STATS: their argument rules. */
static void test_read_money(void)
{
    struct mp_buf b = readBuf(SLOT_READ_RECON);
    CHECK_EQ(WITH(decRead, &b, 1, vu(0)), OK);
    CHECK_EQ(WITH(decRead, &b, 1, vu(SLOT_LEDGER_DAY_MAX)), OK);
    CHECK_EQ(WITH(decRead, &b, 1, vu(SLOT_LEDGER_DAY_MAX + 1ull)), INV);
    checkStrRule(decRead, &b, (const uint32_t[]){2}, 1, &ruleNameOpt);
    checkStrRule(decRead, &b, (const uint32_t[]){3}, 1, &ruleChannelOpt);
    CHECK_EQ(WITH(decRead, &b, 4, vu(UINT32_MAX)), OK);
    CHECK_EQ(WITH(decRead, &b, 4, vu((uint64_t)UINT32_MAX + 1)), INV);
    CHECK_EQ(WITH(decRead, &b, 5, vu(0)), INV);
    CHECK_EQ(WITH(decRead, &b, 5, vu(SLOT_LIST_MAX + 1)), INV);
    mp_buf_free(&b);
    b = readBuf(SLOT_READ_STATS);
    checkStrRule(decRead, &b, (const uint32_t[]){1}, 1, &ruleNameOpt);
    CHECK_EQ(WITH(decRead, &b, 2, vu(0)), INV);
    /* from..to: ordered, fewer than SLOT_STATS_DAYS_MAX days */
    CHECK_EQ(WITH_TWO(decRead, &b, 2, 3, vu(100), vu(100)), OK);
    CHECK_EQ(WITH_TWO(decRead, &b, 2, 3, vu(101), vu(100)), INV);
    CHECK_EQ(
        WITH_TWO(decRead, &b, 2, 3, vu(100), vu(100 + SLOT_STATS_DAYS_MAX - 1)),
        OK);
    CHECK_EQ(
        WITH_TWO(decRead, &b, 2, 3, vu(100), vu(100 + SLOT_STATS_DAYS_MAX)),
        INV);
    CHECK_EQ(WITH(decRead, &b, 5, vu(0)), INV);
    mp_buf_free(&b);
}

/* READ_LEDGER's optional no_hash flag: [6] (hash) or [6, bool]. */
static void test_read_no_hash(void)
{
    struct slot_read rd = {.op = SLOT_READ_LEDGER, .no_hash = true}, got;
    struct mp_buf b;
    mp_buf_init(&b);
    slot_read_encode(&b, &rd);
    CHECK_EQ(b.len, 3); /* [6, true] */
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    CHECK_EQ(slot_read_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r) && got.op == SLOT_READ_LEDGER && got.no_hash);
    checkTruncations(decRead, b.data, b.len);
    mp_buf_reset(&b);
    rd.no_hash = false;
    slot_read_encode(&b, &rd);
    CHECK_EQ(b.len, 2); /* [6]: what older clients send */
    mp_reader_init(&r, b.data, b.len);
    CHECK_EQ(slot_read_decode(&r, &got), SLOT_OK);
    CHECK(!got.no_hash);
    mp_buf_free(&b);
    CHECK_EQ(decRead("\x92\x06\xc2", 3), SLOT_OK);        /* [6, false] */
    CHECK_EQ(decRead("\x92\x06\x01", 3), SLOT_MALFORMED); /* not a bool */
    CHECK_EQ(decRead("\x93\x06\xc3\xc3", 4), SLOT_MALFORMED);
    CHECK_EQ(decRead("\x92\x01\xc3", 3), SLOT_MALFORMED); /* only LEDGER */
}

/* STATUS's optional no_hash flag: [1] or [1, bool]; other admin shapes
 * unchanged. */
static void test_admin_status(void)
{
    struct slot_admin a = {.op = SLOT_ADMIN_STATUS, .no_hash = true}, got;
    struct mp_buf b;
    mp_buf_init(&b);
    slot_admin_encode(&b, &a);
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    CHECK_EQ(slot_admin_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r) && got.op == SLOT_ADMIN_STATUS && got.no_hash);
    checkTruncations(decAdmin, b.data, b.len);
    mp_buf_free(&b);
    CHECK_EQ(decAdmin("\x91\x01", 2), SLOT_OK);
    CHECK_EQ(decAdmin("\x92\x01\xc2", 3), SLOT_OK);
    CHECK_EQ(decAdmin("\x92\x01\x01", 3), SLOT_MALFORMED);
    CHECK_EQ(decAdmin("\x93\x01\xc3\xc3", 4), SLOT_MALFORMED);
    CHECK_EQ(decAdmin("\x92\x04\x05", 3), SLOT_OK);        /* REMOVE 5 */
    CHECK_EQ(decAdmin("\x92\x04\xc3", 3), SLOT_MALFORMED); /* id, not bool */
}

/* ---- replies: pool status, claim, ledger info ---------------------------- */

static struct slot_pool_status statusSample(uint32_t n_shares)
{
    struct slot_pool_status s;
    memset(&s, 0, sizeof s);
    strcpy(s.pool, pool64);
    s.kind = SLOT_KIND_SPECIAL;
    s.state = SLOT_PSTATE_CLOSED;
    s.capacity = SLOT_POOL_CAPACITY_MAX;
    s.free = 99000;
    s.held = 600;
    s.booked = 400;
    s.fee_cents = SLOT_FEE_MAX_CENTS;
    s.seg_start_ms = 1;
    s.seg_end_ms = TIME_MAX;
    s.release_at_ms = TIME_MAX;
    s.next_visit_no = UINT32_MAX;
    s.n_shares = n_shares;
    for (uint32_t i = 0; i < n_shares; i++) {
        s.shares[i] =
            (struct slot_bucket){"", 10000, 9000 + i, 600 - i, 400 + 2 * i, i};
        strcpy(s.shares[i].channel, chans8[i]);
    }
    s.remainder = (struct slot_bucket){"", UINT32_MAX, 1, 2, 3, 4};
    return s;
}

static struct mp_buf statusBuf(const struct slot_pool_status *s)
{
    struct mp_buf b;
    mp_buf_init(&b);
    slot_pool_status_encode(&b, s);
    return b;
}

static void test_pool_status(void)
{
    static const uint32_t counts[] = {0, 1, 8};
    for (size_t i = 0; i < 3; i++) {
        struct slot_pool_status want = statusSample(counts[i]), got;
        struct mp_buf b = statusBuf(&want);
        struct mp_reader r;
        mp_reader_init(&r, b.data, b.len);
        memset(&got, 0xa5, sizeof got); /* the decoder must clear it */
        CHECK_EQ(slot_pool_status_decode(&r, &got), SLOT_OK);
        CHECK(mp_done(&r));
        CHECK(memcmp(&got, &want, sizeof got) == 0);
        CHECK_STR(got.remainder.channel, "");
        checkTruncations(decStatus, b.data, b.len);
        CHECK_EQ(decCount(decStatus, &b, -1), SLOT_MALFORMED);
        CHECK_EQ(decCount(decStatus, &b, +1), SLOT_MALFORMED);
        mp_buf_free(&b);
    }
    struct slot_pool_status s = statusSample(1);
    struct mp_buf b = statusBuf(&s);
    checkTypes(decStatus, &b);
    checkStrRule(decStatus, &b, (const uint32_t[]){0}, 1, &rulePool);
    checkStrRule(decStatus, &b, (const uint32_t[]){12, 0, 0}, 3, &ruleChannel);
    CHECK_EQ(WITH(decStatus, &b, 1, vu(SLOT_KIND_MAX + 1)), INV);
    CHECK_EQ(WITH(decStatus, &b, 2, vu(SLOT_PSTATE_STOPPED)), OK);
    CHECK_EQ(WITH(decStatus, &b, 2, vu(SLOT_PSTATE_STOPPED + 1)), INV);
    CHECK_EQ(WITH(decStatus, &b, 3, vu(0)), INV);
    CHECK_EQ(WITH(decStatus, &b, 3, vu(SLOT_POOL_CAPACITY_MAX + 1)), INV);
    CHECK_EQ(WITH(decStatus, &b, 7, vu(SLOT_FEE_MAX_CENTS + 1)), INV);
    for (uint32_t i = 8; i <= 10; i++) {
        CHECK_EQ(WITH(decStatus, &b, i, vu(TIME_MAX + 1)), INV);
    }
    CHECK_EQ(WITH(decStatus, &b, 4, vu(UINT32_MAX + 1ull)), INV);
    CHECK_EQ(WITH2(decStatus, &b, 12, 0, vraw("\x94\xa1x\x01\x01\x01", 6)),
             SLOT_MALFORMED);
    CHECK_EQ(WITH(decStatus, &b, 13, vraw("\x95\xa0\x01\x01\x01\x01", 6)),
             SLOT_MALFORMED); /* the remainder has no channel */
    mp_buf_free(&b);
    s = statusSample(8);
    b = statusBuf(&s);
    struct mp_buf nine;
    mp_buf_init(&nine);
    mp_pack_array(&nine, 9);
    for (int i = 0; i < 9; i++) {
        mp_pack_array(&nine, 5);
        mp_pack_cstr(&nine, "c");
        for (int k = 0; k < 4; k++) {
            mp_pack_uint(&nine, 1);
        }
    }
    CHECK_EQ(WITH(decStatus, &b, 12, vraw(nine.data, nine.len)),
             SLOT_TOO_LARGE);
    mp_buf_free(&nine);
    mp_buf_free(&b);
}

static struct slot_claim claimSample(bool max)
{
    struct slot_claim c;
    memset(&c, 0, sizeof c);
    c.id = max ? UINT64_MAX : 1;
    c.state = max ? SLOT_CLAIM_MOVED : SLOT_CLAIM_HELD;
    strcpy(c.pool, max ? pool64 : "p");
    strcpy(c.patient, max ? patient64 : "12345678");
    strcpy(c.channel, max ? chan16 : "a");
    c.held_at_ms = max ? TIME_MAX : 0;
    /* Ledger time plus the longest TTL may pass TIME_MAX. */
    c.deadline_ms = max ? TIME_MAX + 86400000 : 0;
    c.booked_at_ms = max ? TIME_MAX : 0;
    c.resolved_at_ms = max ? TIME_MAX : 0;
    c.visit_no = max ? UINT32_MAX : 0;
    strcpy(c.payment_ref, max ? payref64 : "");
    c.visit_start_ms = max ? TIME_MAX + 86400000 : 0;
    c.visit_end_ms = max ? TIME_MAX + 86400000 : 0;
    c.paid = max ? 1 : 0;
    strcpy(c.bucket, max ? chan16 : "");
    /* version 4 */
    c.attendance = max ? SLOT_ATTEND_NO_SHOW : SLOT_ATTEND_PENDING;
    c.checked_in_at_ms = max ? TIME_MAX : 0;
    c.moved_to = max ? UINT64_MAX : 0;
    c.moved_from = max ? UINT64_MAX - 1 : 0;
    c.refunded = max ? 1 : 0;
    c.affected = max ? 1 : 0;
    /* version 5 */
    strcpy(c.pay_method, max ? chan16 : "");
    c.fee_paid_cents = max ? SLOT_FEE_MAX_CENTS : 0;
    return c;
}

static void test_claim(void)
{
    for (int m = 0; m < 2; m++) {
        struct slot_claim want = claimSample(m), got;
        struct mp_buf b;
        mp_buf_init(&b);
        slot_claim_encode(&b, &want);
        struct mp_reader r;
        mp_reader_init(&r, b.data, b.len);
        memset(&got, 0xa5, sizeof got);
        CHECK_EQ(slot_claim_decode(&r, &got), SLOT_OK);
        CHECK(mp_done(&r));
        CHECK(memcmp(&got, &want, sizeof got) == 0);
        checkTruncations(decClaim, b.data, b.len);
        checkTypes(decClaim, &b);
        CHECK_EQ(decCount(decClaim, &b, -1), SLOT_MALFORMED);
        CHECK_EQ(decCount(decClaim, &b, +1), SLOT_MALFORMED);
        checkStrRule(decClaim, &b, (const uint32_t[]){2}, 1, &rulePool);
        checkStrRule(decClaim, &b, (const uint32_t[]){3}, 1, &rulePatient);
        checkStrRule(decClaim, &b, (const uint32_t[]){4}, 1, &ruleChannel);
        checkStrRule(decClaim, &b, (const uint32_t[]){10}, 1, &rulePayrefOpt);
        checkStrRule(decClaim, &b, (const uint32_t[]){14}, 1, &ruleChannelOpt);
        CHECK_EQ(WITH(decClaim, &b, 13, vu(2)), INV); /* paid: 0 or 1 */
        CHECK_EQ(WITH(decClaim, &b, 0, vu(0)), INV);
        CHECK_EQ(WITH(decClaim, &b, 1, vu(0)), INV);
        CHECK_EQ(WITH(decClaim, &b, 1, vu(SLOT_CLAIM_MOVED)), OK);
        CHECK_EQ(WITH(decClaim, &b, 1, vu(SLOT_CLAIM_MOVED + 1)), INV);
        CHECK_EQ(WITH(decClaim, &b, 5, vu(TIME_MAX + 1)), INV);
        CHECK_EQ(WITH(decClaim, &b, 6, vu(TIME_MAX + 86400001)), INV);
        CHECK_EQ(WITH(decClaim, &b, 7, vu(TIME_MAX + 1)), INV);
        CHECK_EQ(WITH(decClaim, &b, 8, vu(TIME_MAX + 1)), INV);
        CHECK_EQ(WITH(decClaim, &b, 9, vu(UINT32_MAX + 1ull)), INV);
        mp_buf_free(&b);
    }
}

/* The claim's version 4 fields: attendance, checked_in_at_ms, moved_to,
 * moved_from, refunded, affected (elements 15..20). */
static void test_claim_visit(void)
{
    struct slot_claim want = claimSample(true), got;
    CHECK_EQ(want.state, SLOT_CLAIM_MOVED);
    struct mp_buf b;
    mp_buf_init(&b);
    slot_claim_encode(&b, &want);
    CHECK_EQ(topCount(b.data, b.len), 23);
    /* A version 3 claim (15 elements) is not a version 4 one, nor is a
     * version 4 one (21) a version 5 one. */
    CHECK_EQ(decCount(decClaim, &b, -8), SLOT_MALFORMED);
    CHECK_EQ(decCount(decClaim, &b, -2), SLOT_MALFORMED);
    /* attendance: 0..2 */
    CHECK_EQ(WITH(decClaim, &b, 15, vu(SLOT_ATTEND_PENDING)), OK);
    CHECK_EQ(WITH(decClaim, &b, 15, vu(SLOT_ATTEND_CHECKED_IN)), OK);
    CHECK_EQ(WITH(decClaim, &b, 15, vu(SLOT_ATTEND_NO_SHOW)), OK);
    CHECK_EQ(WITH(decClaim, &b, 15, vu(3)), INV);
    CHECK_EQ(WITH(decClaim, &b, 15, vu(256)), INV);
    /* checked_in_at_ms: a time */
    CHECK_EQ(WITH(decClaim, &b, 16, vu(0)), OK);
    CHECK_EQ(WITH(decClaim, &b, 16, vu(TIME_MAX)), OK);
    CHECK_EQ(WITH(decClaim, &b, 16, vu(TIME_MAX + 1)), INV);
    /* moved_to, moved_from: 0 (none) or any id */
    for (uint32_t i = 17; i <= 18; i++) {
        CHECK_EQ(WITH(decClaim, &b, i, vu(0)), OK);
        CHECK_EQ(WITH(decClaim, &b, i, vu(1)), OK);
        CHECK_EQ(WITH(decClaim, &b, i, vu(UINT64_MAX)), OK);
    }
    /* refunded, affected: 0 or 1 */
    for (uint32_t i = 19; i <= 20; i++) {
        CHECK_EQ(WITH(decClaim, &b, i, vu(0)), OK);
        CHECK_EQ(WITH(decClaim, &b, i, vu(1)), OK);
        CHECK_EQ(WITH(decClaim, &b, i, vu(2)), INV);
        CHECK_EQ(WITH(decClaim, &b, i, vu(UINT64_MAX)), INV);
    }
    mp_buf_free(&b);
    /* Each field reads back into its own member. */
    want = claimSample(false);
    want.state = SLOT_CLAIM_BOOKED;
    want.attendance = SLOT_ATTEND_CHECKED_IN;
    want.checked_in_at_ms = 1797206000000ull;
    want.moved_from = 41;
    want.affected = 1;
    mp_buf_init(&b);
    slot_claim_encode(&b, &want);
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    memset(&got, 0xa5, sizeof got);
    CHECK_EQ(slot_claim_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r) && memcmp(&got, &want, sizeof got) == 0);
    CHECK(got.attendance == 1 && got.checked_in_at_ms == 1797206000000ull &&
          got.moved_to == 0 && got.moved_from == 41 && got.refunded == 0 &&
          got.affected == 1);
    mp_buf_free(&b);
}

/* ---- staff log entries (protocol 3; POOL_STOP and its pool: 4) ----------- */

DEC_WRAP(decStaff, struct slot_staff_entry, slot_staff_entry_decode)

static struct slot_staff_entry staffSample(bool stop)
{
    struct slot_staff_entry e;
    memset(&e, 0, sizeof e);
    e.seq = stop ? UINT64_MAX : 1;
    e.at_ms = stop ? TIME_MAX : 0;
    if (stop) {
        /* A stoppage names its pool; no patient; a free-standing pool has
         * no hospital. */
        e.op = SLOT_OP_POOL_STOP;
        strcpy(e.pool, pool64);
        strcpy(e.operator_name, op32);
        strcpy(e.reason, reason256);
    } else {
        e.op = SLOT_OP_VIOLATION;
        strcpy(e.hospital, "pumch");
        strcpy(e.patient, patient64);
        e.kind = SLOT_VIOLATION_KIND_MAX;
        strcpy(e.operator_name, "nurse.wang@pumch");
        strcpy(e.reason, "did not come");
    }
    return e;
}

static void test_staff_entry(void)
{
    for (int m = 0; m < 2; m++) {
        struct slot_staff_entry want = staffSample(m), got;
        struct mp_buf b;
        mp_buf_init(&b);
        slot_staff_entry_encode(&b, &want);
        CHECK_EQ(topCount(b.data, b.len), 9);
        struct mp_reader r;
        mp_reader_init(&r, b.data, b.len);
        memset(&got, 0xa5, sizeof got);
        CHECK_EQ(slot_staff_entry_decode(&r, &got), SLOT_OK);
        CHECK(mp_done(&r) && memcmp(&got, &want, sizeof got) == 0);
        checkTruncations(decStaff, b.data, b.len);
        checkTypes(decStaff, &b);
        CHECK_EQ(decCount(decStaff, &b, -1), SLOT_MALFORMED); /* version 3 */
        CHECK_EQ(decCount(decStaff, &b, +1), SLOT_MALFORMED);
        /* What the ledger writes (slot_staff_entry_decode): a stop names
         * a pool and no patient, its hospital "" for a free-standing
         * pool; the patient commands a hospital and a patient, no pool. */
        checkStrRule(decStaff, &b, (const uint32_t[]){3}, 1,
                     m ? &ruleNameOpt : &ruleName);
        if (m) {
            CHECK_EQ(WITH(decStaff, &b, 4, vs("patient-01")), INV);
            checkStrRule(decStaff, &b, (const uint32_t[]){8}, 1, &rulePool);
        } else {
            checkStrRule(decStaff, &b, (const uint32_t[]){4}, 1, &rulePatient);
            CHECK_EQ(WITH(decStaff, &b, 8, vs("p1")), INV);
        }
        checkStrRule(decStaff, &b, (const uint32_t[]){6}, 1, &ruleOperator);
        checkReasonAt(decStaff, &b, 7);
        CHECK_EQ(WITH(decStaff, &b, 0, vu(0)), INV);
        CHECK_EQ(WITH(decStaff, &b, 1, vu(TIME_MAX + 1)), INV);
        /* op: VIOLATION, UNBLOCK, EXCEPTION, POOL_STOP, nothing between */
        CHECK_EQ(WITH(decStaff, &b, 2, vu(SLOT_OP_VIOLATION - 1)), INV);
        CHECK_EQ(WITH(decStaff, &b, 2, vu(SLOT_OP_VIOLATION)), m ? INV : OK);
        CHECK_EQ(WITH(decStaff, &b, 2, vu(SLOT_OP_EXCEPTION)), m ? INV : OK);
        CHECK_EQ(WITH(decStaff, &b, 2, vu(SLOT_OP_WAITLIST_JOIN)), INV);
        CHECK_EQ(WITH(decStaff, &b, 2, vu(SLOT_OP_WAITLIST_LEAVE)), INV);
        CHECK_EQ(WITH(decStaff, &b, 2, vu(SLOT_OP_POOL_STOP)), m ? OK : INV);
        CHECK_EQ(WITH(decStaff, &b, 2, vu(SLOT_OP_POOL_STOP + 1)), INV);
        CHECK_EQ(WITH(decStaff, &b, 5, vu(SLOT_VIOLATION_KIND_MAX)), OK);
        CHECK_EQ(WITH(decStaff, &b, 5, vu(SLOT_VIOLATION_KIND_MAX + 1)), INV);
        mp_buf_free(&b);
    }
}

static void test_ledger_info(void)
{
    struct slot_ledger_info want, got;
    memset(&want, 0, sizeof want);
    want = (struct slot_ledger_info){TIME_MAX,
                                     UINT64_MAX,
                                     1,
                                     2,
                                     3,
                                     UINT32_MAX,
                                     5,
                                     6,
                                     7,
                                     {1000,
                                      1800000,
                                      65536,
                                      3600000,
                                      86400000,
                                      4000000,
                                      true,
                                      4,
                                      1,
                                      365,
                                      2,
                                      0,
                                      {0, 0}}};
    struct mp_buf b;
    mp_buf_init(&b);
    slot_ledger_info_encode(&b, &want);
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    memset(&got, 0xa5, sizeof got);
    CHECK_EQ(slot_ledger_info_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r));
    CHECK(memcmp(&got.config, &want.config, sizeof got.config) == 0);
    CHECK(got.time_ms == want.time_ms && got.state_hash == want.state_hash);
    CHECK(got.pools == 1 && got.patients == 2 && got.channels == 3 &&
          got.sessions == UINT32_MAX && got.holds_active == 5 &&
          got.bookings_active == 6 && got.retained == 7);
    checkTruncations(decInfo, b.data, b.len);
    checkTypes(decInfo, &b);
    CHECK_EQ(decCount(decInfo, &b, -1), SLOT_MALFORMED);
    CHECK_EQ(decCount(decInfo, &b, +1), SLOT_MALFORMED);
    CHECK_EQ(WITH(decInfo, &b, 0, vu(TIME_MAX + 1)), INV);
    CHECK_EQ(WITH(decInfo, &b, 2, vu(UINT32_MAX + 1ull)), INV);
    /* The nested config follows the CONFIG command's rules. */
    CHECK_EQ(WITH2(decInfo, &b, 9, 0, vu(0)), INV);
    CHECK_EQ(WITH2(decInfo, &b, 9, 0, vu(1800001)), INV); /* min > max */
    CHECK_EQ(WITH2(decInfo, &b, 9, 1, vu(86400001)), INV);
    CHECK_EQ(WITH2(decInfo, &b, 9, 2, vu(0)), INV);
    CHECK_EQ(WITH2(decInfo, &b, 9, 2, vu(SLOT_SESSIONS_MAX + 1)), INV);
    CHECK_EQ(WITH2(decInfo, &b, 9, 3, vu(999)), INV);
    CHECK_EQ(WITH2(decInfo, &b, 9, 4, vu(TIME_MAX + 1)), INV);
    CHECK_EQ(WITH2(decInfo, &b, 9, 5, vu(SLOT_RETAIN_MAX + 1)), INV);
    CHECK_EQ(WITH(decInfo, &b, 9, vraw("\x95\x01\x01\x01\xcd\x03\xe8\x00", 8)),
             SLOT_MALFORMED);
    mp_buf_free(&b);
}

/* ---- schedules: time, rule sets, schedule fields, templates -------------- */

static void test_time(void)
{
    CHECK_EQ(slot_day_from_civil(1970, 1, 1), 0);
    CHECK_EQ(slot_day_from_civil(1970, 1, 2), 1);
    CHECK_EQ(slot_day_from_civil(2026, 12, 14), 20801);
    CHECK_EQ(slot_day_from_civil(2000, 2, 29), 11016); /* 400: leap */
    CHECK_EQ(slot_day_from_civil(2100, 2, 29), -1);    /* 100: not leap */
    CHECK_EQ(slot_day_from_civil(2028, 2, 29), 21243);
    CHECK_EQ(slot_day_from_civil(2027, 2, 29), -1);
    CHECK_EQ(slot_day_from_civil(2026, 4, 31), -1);
    CHECK_EQ(slot_day_from_civil(2026, 13, 1), -1);
    CHECK_EQ(slot_day_from_civil(2026, 0, 1), -1);
    CHECK_EQ(slot_day_from_civil(2026, 1, 0), -1);
    CHECK_EQ(slot_day_from_civil(1969, 12, 31), -1);
    /* Every day of 1970..2269 and back, and month boundaries in order. */
    for (uint32_t d = 0; d <= SLOT_DAY_MAX; d++) {
        int64_t y;
        uint32_t m, md;
        slot_civil_from_day(d, &y, &m, &md);
        CHECK_EQ(slot_day_from_civil(y, m, md), d);
    }
    char buf[11];
    slot_day_format(20801, buf);
    CHECK_STR(buf, "2026-12-14");
    CHECK_EQ(slot_day_parse("2026-12-14", 10), 20801);
    CHECK_EQ(slot_day_parse("2026-12-31", 10) + 1,
             slot_day_parse("2027-01-01", 10));
    CHECK_EQ(slot_day_parse("2024-02-29", 10) + 1,
             slot_day_parse("2024-03-01", 10));
    CHECK_EQ(slot_day_parse("1970-01-01", 10), -1); /* day 0: not a visit */
    CHECK_EQ(slot_day_parse("2026-12-1", 9), -1);
    CHECK_EQ(slot_day_parse("2026/12/14", 10), -1);
    CHECK_EQ(slot_day_parse("2026-1a-14", 10), -1);
    CHECK_EQ(slot_day_parse("2270-01-01", 10), -1); /* beyond DAY_MAX */
    CHECK_EQ(slot_day_parse(NULL, 0), -1);
    char hm[6];
    slot_minute_format(540, hm);
    CHECK_STR(hm, "09:00");
    CHECK_EQ(slot_minute_parse("15:00", 5), 900);
    CHECK_EQ(slot_minute_parse("23:59", 5), 1439);
    CHECK_EQ(slot_minute_parse("24:00", 5), -1);
    CHECK_EQ(slot_minute_parse("9:00", 4), -1);
    CHECK_EQ(slot_minute_parse("09:60", 5), -1);
    /* Beijing (+08:00): UTC 16:00 is the next local day's midnight. */
    uint64_t midnight = slot_utc_ms_of(20801, 0, 480);
    CHECK(midnight == 20801ull * 86400000 - 8 * 3600000ull);
    CHECK_EQ(slot_local_day(midnight, 480), 20801);
    CHECK_EQ(slot_local_minute(midnight, 480), 0);
    CHECK_EQ(slot_local_day(midnight - 1, 480), 20800);
    CHECK_EQ(slot_local_minute(midnight - 1, 480), 1439);
    CHECK_EQ(slot_local_day(midnight, 0), 20800); /* UTC: still the 13th */
    CHECK_EQ(slot_local_minute(midnight, 0), 16 * 60);
    /* West of UTC, and the end of a month and of a year. */
    uint64_t ny = slot_utc_ms_of(20819, 0, -300); /* 2027-01-01 00:00 -05 */
    CHECK_EQ(slot_local_day(ny - 1, -300), 20818);
    CHECK_EQ(slot_local_minute(ny - 1, -300), 1439);
    CHECK_EQ(slot_utc_ms_of(20801, 1440, 480), slot_utc_ms_of(20802, 0, 480));
    CHECK_EQ(slot_local_day(0, 480), 0);
    CHECK_EQ(slot_local_day(0, -720), 0); /* before the epoch: clamped */
    CHECK_EQ(slot_utc_ms_of(0, 0, 840), 0);
}

static struct mp_buf rulesBuf(const struct slot_rules *r)
{
    struct mp_buf b;
    mp_buf_init(&b);
    slot_rules_encode(&b, r);
    return b;
}

DEC_WRAP(decRules, struct slot_rules, slot_rules_decode)

/* Encodes r without the encoder's assertion (an invalid rule set, for the
 * decoder to refuse): the fields by hand, in the wire order. */
static struct mp_buf rulesRaw(const struct slot_rules *r)
{
    struct mp_buf b;
    mp_buf_init(&b);
    mp_pack_array(&b, 13);
    mp_pack_uint(&b, 1);
    mp_pack_int(&b, r->utc_offset_min);
    mp_pack_uint(&b, r->release_minute);
    mp_pack_uint(&b, r->horizon_days);
    mp_pack_uint(&b, r->cutoff_minute);
    mp_pack_uint(&b, r->pay_ttl_ms);
    mp_pack_uint(&b, r->pay_ttl_max_ms);
    mp_pack_uint(&b, r->flowback_days_before);
    mp_pack_uint(&b, r->flowback_minute);
    mp_pack_cstr(&b, r->flowback_to);
    mp_pack_array(&b, r->n_groups);
    /* Counts one over a maximum are packed as said, the elements past the
     * array repeated: the decoder refuses the count before reading them. */
    for (int i = 0; i < r->n_groups; i++) {
        const struct slot_group *g = &r->groups[i % SLOT_GROUPS_MAX];
        mp_pack_array(&b, 2);
        mp_pack_cstr(&b, g->name);
        mp_pack_array(&b, g->n);
        for (int j = 0; j < g->n; j++) {
            mp_pack_cstr(&b, g->channels[j % SLOT_GROUP_CHANNELS_MAX]);
        }
    }
    mp_pack_array(&b, r->n_policies);
    for (int i = 0; i < r->n_policies; i++) {
        const struct slot_policy *p = &r->policies[i % SLOT_POLICIES_MAX];
        mp_pack_array(&b, 4);
        mp_pack_cstr(&b, p->channel);
        mp_pack_uint(&b, p->horizon_days);
        mp_pack_bool(&b, p->cutoff);
        mp_pack_bool(&b, p->same_day);
    }
    mp_pack_array(&b, r->n_elig);
    for (int i = 0; i < r->n_elig; i++) {
        const struct slot_elig *e = &r->elig[i % SLOT_ELIG_RULES_MAX];
        mp_pack_array(&b, 3);
        mp_pack_cstr(&b, e->department);
        mp_pack_uint(&b, e->kind);
        mp_pack_array(&b, e->n);
        for (int j = 0; j < e->n; j++) {
            mp_pack_cstr(&b, e->names[j % SLOT_POOL_NAMES_MAX]);
        }
    }
    return b;
}

static int rulesRc(const struct slot_rules *r)
{
    struct mp_buf b = rulesRaw(r);
    int rc = decRules(b.data, b.len);
    mp_buf_free(&b);
    return rc;
}

static void test_rules_codec(void)
{
    struct slot_rules sets[3];
    sets[0] = rulesSample();
    sets[1] = rulesFull();
    slot_rules_default(&sets[2]);
    for (int i = 0; i < 3; i++) {
        struct mp_buf b = rulesBuf(&sets[i]);
        struct slot_rules got;
        struct mp_reader r;
        mp_reader_init(&r, b.data, b.len);
        memset(&got, 0xa5, sizeof got);
        CHECK_EQ(slot_rules_decode(&r, &got), SLOT_OK);
        CHECK(mp_done(&r));
        struct mp_buf again = rulesBuf(&got); /* canonical */
        CHECK(again.len == b.len && memcmp(again.data, b.data, b.len) == 0);
        mp_buf_free(&again);
        checkTruncations(decRules, b.data, b.len);
        checkTypesSkip(decRules, &b, (const uint32_t[]){1}, 1);
        CHECK_EQ(decCount(decRules, &b, -1), SLOT_MALFORMED);
        CHECK_EQ(decCount(decRules, &b, +1), SLOT_MALFORMED);
        mp_buf_free(&b);
    }
    struct mp_buf b = rulesBuf(&sets[0]);
    CHECK_EQ(WITH(decRules, &b, 0, vu(4)), SLOT_BAD_VERSION);
    /* Versions 1 and 2 have fewer elements: with version 3's, malformed. */
    CHECK_EQ(WITH(decRules, &b, 0, vu(1)), SLOT_MALFORMED);
    CHECK_EQ(WITH(decRules, &b, 0, vu(2)), SLOT_MALFORMED);
    CHECK_EQ(WITH(decRules, &b, 0, vu(0)), SLOT_BAD_VERSION);
    checkStrRule(decRules, &b, (const uint32_t[]){9}, 1, &ruleChannelOpt);
    checkStrRule(decRules, &b, (const uint32_t[]){10, 0, 0}, 3, &ruleChannel);
    checkStrRule(decRules, &b, (const uint32_t[]){10, 0, 1, 0}, 4,
                 &ruleChannel);
    checkStrRule(decRules, &b, (const uint32_t[]){12, 0, 0}, 3, &ruleNameOpt);
    checkStrRule(decRules, &b, (const uint32_t[]){12, 0, 2, 0}, 4,
                 &ruleChannel);
    mp_buf_free(&b);

    /* Every range: the edges pass, one beyond fails. */
    struct slot_rules r = rulesSample();
#define EDGE(field, ok, bad)                                                   \
    do {                                                                       \
        r = rulesSample();                                                     \
        r.field = (ok);                                                        \
        CHECK_EQ(rulesRc(&r), SLOT_OK);                                        \
        r.field = (bad);                                                       \
        CHECK(rulesRc(&r) != SLOT_OK);                                         \
    } while (0)
    EDGE(utc_offset_min, SLOT_UTC_OFFSET_MAX, SLOT_UTC_OFFSET_MAX + 1);
    EDGE(utc_offset_min, SLOT_UTC_OFFSET_MIN, SLOT_UTC_OFFSET_MIN - 1);
    EDGE(release_minute, 1439, 1440);
    EDGE(horizon_days, SLOT_HORIZON_MAX, SLOT_HORIZON_MAX + 1);
    EDGE(cutoff_minute, 1439, 1440);
    EDGE(cutoff_minute, SLOT_MINUTE_NONE, SLOT_MINUTE_NONE - 1);
    EDGE(pay_ttl_ms, 1000, 999);
    EDGE(pay_ttl_max_ms, 86400000, 86400001);
    EDGE(pay_ttl_ms, 900000, 900001); /* above this rule set's max */
    EDGE(flowback_days_before, SLOT_FLOWBACK_DAYS_MAX,
         SLOT_FLOWBACK_DAYS_MAX + 1);
    EDGE(flowback_minute, 0, 1440);
    EDGE(policies[0].horizon_days, SLOT_HORIZON_MAX, SLOT_HORIZON_MAX + 1);
    EDGE(elig[0].kind, SLOT_KIND_ANY, SLOT_KIND_MAX + 1);
    EDGE(elig[0].kind, SLOT_KIND_MAX, SLOT_KIND_ANY - 1);
#undef EDGE
    /* Names: distinct, group names never channels, "*" only in policies. */
    r = rulesSample();
    strcpy(r.groups[0].channels[1], "app");
    CHECK_EQ(rulesRc(&r), INV);
    r = rulesSample();
    r.n_groups = 2;
    r.groups[1] = r.groups[0];
    CHECK_EQ(rulesRc(&r), INV); /* two groups "online" */
    strcpy(r.groups[1].name, "app");
    CHECK_EQ(rulesRc(&r), INV); /* a group named like a member channel */
    strcpy(r.groups[1].name, "all");
    CHECK_EQ(rulesRc(&r), OK);
    r.groups[1].n = 0;
    CHECK_EQ(rulesRc(&r), INV); /* an empty group */
    r = rulesSample();
    strcpy(r.policies[1].channel, "window");
    CHECK_EQ(rulesRc(&r), INV);
    strcpy(r.policies[1].channel, "**");
    CHECK_EQ(rulesRc(&r), INV);
    strcpy(r.groups[0].name, "*");
    CHECK_EQ(rulesRc(&r), INV);
    r = rulesSample();
    r.elig[0].n = 0;
    CHECK_EQ(rulesRc(&r), INV);
    r = rulesSample();
    strcpy(r.elig[0].names[1], "app");
    CHECK_EQ(rulesRc(&r), INV);
    strcpy(r.elig[0].department, "bad dept");
    CHECK_EQ(rulesRc(&r), INV);
    /* Over-long lists: TOO_LARGE, like an over-long string. */
    r = rulesFull();
    struct mp_buf full = rulesBuf(&r);
    CHECK_EQ(decRules(full.data, full.len), OK);
    r.n_groups = SLOT_GROUPS_MAX + 1;
    CHECK_EQ(rulesRc(&r), SLOT_TOO_LARGE);
    r = rulesFull();
    r.groups[0].n = SLOT_GROUP_CHANNELS_MAX + 1;
    CHECK_EQ(rulesRc(&r), SLOT_TOO_LARGE);
    r = rulesFull();
    r.n_policies = SLOT_POLICIES_MAX + 1;
    CHECK_EQ(rulesRc(&r), SLOT_TOO_LARGE);
    r = rulesFull();
    r.n_elig = SLOT_ELIG_RULES_MAX + 1;
    CHECK_EQ(rulesRc(&r), SLOT_TOO_LARGE);
    r = rulesFull();
    r.elig[0].n = SLOT_POOL_NAMES_MAX + 1;
    CHECK_EQ(rulesRc(&r), SLOT_TOO_LARGE);
    mp_buf_free(&full);
}

/* Rule set version 3: the 15th element, [checkin_before_ms,
 * checkin_late_ms, noshow_sweep]; versions 1 and 2 get the defaults. */
static void test_rules_visit(void)
{
    struct slot_visit_rules v;
    memset(&v, 0xa5, sizeof v);
    slot_visit_rules_default(&v);
    CHECK(v.checkin_before_ms == SLOT_CHECKIN_MAX_MS &&
          v.checkin_before_ms == 86400000 && v.checkin_late_ms == 0 &&
          !v.noshow_sweep);
    struct slot_rules def;
    slot_rules_default(&def);
    CHECK(memcmp(&def.visit, &v, sizeof v) == 0);
    CHECK_EQ(SLOT_RULES_VERSION, 3);

    struct slot_rules want = rulesSample(), got;
    want.visit = (struct slot_visit_rules){3600000, 600000, true};
    struct mp_buf b = rulesBuf(&want);
    CHECK_EQ(topCount(b.data, b.len), 15);
    size_t n;
    const uint8_t *e = elemAt(b.data, b.len, 0, &n);
    CHECK(n == 1 && e[0] == 3); /* the encoder writes version 3 */
    e = elemAt(b.data, b.len, 14, &n);
    static const uint8_t visit[] = {0x93, 0xce, 0x00, 0x36, 0xee, 0x80,
                                    0xce, 0x00, 0x09, 0x27, 0xc0, 0xc3};
    CHECK(n == sizeof visit && memcmp(e, visit, n) == 0);
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    memset(&got, 0xa5, sizeof got);
    CHECK_EQ(slot_rules_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r));
    CHECK(got.visit.checkin_before_ms == 3600000 &&
          got.visit.checkin_late_ms == 600000 && got.visit.noshow_sweep);
    CHECK(memcmp(&got.patient, &want.patient, sizeof got.patient) == 0);
    /* checkin_before_ms, checkin_late_ms: 0..SLOT_CHECKIN_MAX_MS */
    for (uint32_t i = 0; i < 2; i++) {
        CHECK_EQ(WITH2(decRules, &b, 14, i, vu(0)), OK);
        CHECK_EQ(WITH2(decRules, &b, 14, i, vu(SLOT_CHECKIN_MAX_MS)), OK);
        CHECK_EQ(WITH2(decRules, &b, 14, i, vu(86400001)), INV);
        CHECK_EQ(WITH2(decRules, &b, 14, i, vu(UINT32_MAX + 1ull)), INV);
    }
    CHECK_EQ(WITH2(decRules, &b, 14, 2, vraw("\xc2", 1)), OK);
    CHECK_EQ(WITH2(decRules, &b, 14, 2, vu(1)), SLOT_MALFORMED); /* bool */
    CHECK_EQ(WITH(decRules, &b, 14, vraw("\x92\x00\x00", 3)), SLOT_MALFORMED);
    CHECK_EQ(WITH(decRules, &b, 14, vraw("\x94\x00\x00\xc2\x00", 5)),
             SLOT_MALFORMED);
    CHECK_EQ(WITH(decRules, &b, 14, vraw("\xc0", 1)), SLOT_MALFORMED);
    /* slot_rules_check agrees; the encoder takes the edges. */
    got = want;
    got.visit.checkin_before_ms = SLOT_CHECKIN_MAX_MS + 1;
    CHECK_EQ(slot_rules_check(&got), INV);
    got = want;
    got.visit.checkin_late_ms = SLOT_CHECKIN_MAX_MS + 1;
    CHECK_EQ(slot_rules_check(&got), INV);
    got = want;
    got.visit = (struct slot_visit_rules){SLOT_CHECKIN_MAX_MS,
                                          SLOT_CHECKIN_MAX_MS, false};
    CHECK_EQ(slot_rules_check(&got), OK);
    struct mp_buf edge = rulesBuf(&got);
    CHECK_EQ(decRules(edge.data, edge.len), OK);
    mp_buf_free(&edge);
    /* Version 4: refused as BAD_VERSION, whatever its shape. */
    CHECK_EQ(WITH(decRules, &b, 0, vu(4)), SLOT_BAD_VERSION);

    /* A version 2 rule set (version 3's first 14 elements, version 2)
     * still decodes, with the default visit rules. */
    struct mp_buf v2a, v2;
    struct val two = vu(2);
    mp_buf_init(&v2a);
    mp_buf_init(&v2);
    withCount(b.data, b.len, -1, &v2a);
    replaceAt(v2a.data, v2a.len, (const uint32_t[]){0}, 1, &two, &v2);
    mp_reader_init(&r, v2.data, v2.len);
    memset(&got, 0xa5, sizeof got);
    CHECK_EQ(slot_rules_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r));
    CHECK(memcmp(&got.visit, &v, sizeof v) == 0);
    CHECK(memcmp(&got.patient, &want.patient, sizeof got.patient) == 0);
    checkTruncations(decRules, v2.data, v2.len);
    /* Re-encoded, it is version 3 with the defaults. */
    struct mp_buf again = rulesBuf(&got);
    CHECK_EQ(topCount(again.data, again.len), 15);
    CHECK_EQ(again.data[1], 3);
    mp_buf_free(&again);
    /* Version 2 with 15 elements, or version 3 with 14: malformed. */
    CHECK_EQ(WITH(decRules, &b, 0, vu(2)), SLOT_MALFORMED);
    CHECK_EQ(WITH(decRules, &v2, 0, vu(3)), SLOT_MALFORMED);
    /* The RULES_SET command of the Raft log may hold a version 2 set. */
    struct slot_cmd c = samples[SM_RULES_MIN], d;
    c.u.rules.rules =
        (struct slot_str){(const char *)v2.data, (uint32_t)v2.len};
    struct mp_buf cb;
    encodeCmd(&c, &cb);
    CHECK_EQ(slot_cmd_decode_buf(cb.data, cb.len, &d), SLOT_OK);
    CHECK(strEq(d.u.rules.rules, c.u.rules.rules));
    mp_buf_free(&cb);
    mp_buf_free(&v2a);
    mp_buf_free(&v2);
    mp_buf_free(&b);

    /* A version 1 rule set gets both defaults. */
    want = rulesSample();
    b = rulesRaw(&want);
    mp_reader_init(&r, b.data, b.len);
    memset(&got, 0xa5, sizeof got);
    CHECK_EQ(slot_rules_decode(&r, &got), SLOT_OK);
    CHECK(memcmp(&got.visit, &v, sizeof v) == 0);
    mp_buf_free(&b);
}

static void test_rules_lookup(void)
{
    struct slot_rules r = rulesSample();
    CHECK(slot_rules_group(&r, "online", 6) != NULL);
    CHECK(slot_rules_group(&r, "app", 3) == NULL);
    CHECK(slot_rules_covers(&r, "online", 6, "wechat", 6));
    CHECK(slot_rules_covers(&r, "114", 3, "114", 3));
    CHECK(!slot_rules_covers(&r, "online", 6, "114", 3));
    CHECK(!slot_rules_covers(&r, "onlin", 5, "app", 3));
    CHECK(!slot_rules_covers(&r, "window", 6, "app", 3));
    /* A channel's own policy, else its group's, else "*", else default. */
    struct slot_policy p = slot_rules_policy(&r, "window", 6);
    CHECK(!p.cutoff && p.same_day);
    p = slot_rules_policy(&r, "doctor", 6);
    CHECK_EQ(p.horizon_days, 90);
    p = slot_rules_policy(&r, "app", 3);
    CHECK(p.cutoff && !p.same_day && p.horizon_days == 0);
    r.n_policies = 4;
    r.policies[3] = (struct slot_policy){"online", 3, false, false};
    p = slot_rules_policy(&r, "app", 3);
    CHECK(!p.cutoff && p.horizon_days == 3); /* the group's, before "*" */
    p = slot_rules_policy(&r, "114", 3);
    CHECK(p.cutoff && p.horizon_days == 0); /* "*" */
    r.n_policies = 0;
    p = slot_rules_policy(&r, "114", 3);
    CHECK(p.cutoff && p.same_day && p.horizon_days == 0); /* defaults */
    CHECK_STR(slot_pay_mode_name(SLOT_PAY_AT_VISIT), "at_visit");
    CHECK_EQ(slot_pay_mode_from_name("online", 6), SLOT_PAY_ONLINE);
    CHECK_EQ(slot_pay_mode_from_name("onlin", 5), -1);
    CHECK(slot_pay_mode_name(2) == NULL);
}

static void test_rules_info(void)
{
    struct slot_rules_info in, got;
    memset(&in, 0, sizeof in);
    in.inherited = true;
    in.version = 7;
    strcpy(in.department, "cardio");
    in.changed_at_ms = 1797206400000ull;
    strcpy(in.operator_name, "ops@pumch");
    strcpy(in.reason, "\u96c6\u4e2d\u653e\u53f7 09:15");
    in.rules = rulesSample();
    struct mp_buf b;
    mp_buf_init(&b);
    slot_rules_info_encode(&b, &in);
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    CHECK_EQ(slot_rules_info_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r) && memcmp(&in, &got, sizeof in) == 0);
    mp_buf_free(&b);
}

/* The UTF-8 rule of reasons: text, no control characters, well-formed. */
static void test_reason_text(void)
{
    struct mp_buf b = sampleBuf(SM_RULES_MAX);
    CHECK_EQ(WITH(decCmd, &b, 6, vs("\u9000\u53f7 ok")), OK);
    CHECK_EQ(WITH(decCmd, &b, 6, vs("")), INV);
    CHECK_EQ(WITH(decCmd, &b, 6, vs("tab\there")), INV);
    CHECK_EQ(WITH(decCmd, &b, 6, vs("del\x7f")), INV);
    CHECK_EQ(WITH(decCmd, &b, 6, vbytes("\xc3\x28", 2)), INV); /* bad cont. */
    CHECK_EQ(WITH(decCmd, &b, 6, vbytes("\xc0\xaf", 2)), INV); /* overlong */
    CHECK_EQ(WITH(decCmd, &b, 6, vbytes("\xed\xa0\x80", 3)), INV); /* UTF-16
                                                                     * half */
    CHECK_EQ(WITH(decCmd, &b, 6, vbytes("\xf4\x90\x80\x80", 4)), INV);
    CHECK_EQ(WITH(decCmd, &b, 6, vbytes("\xe4\xb8", 2)), INV); /* cut */
    CHECK_EQ(WITH(decCmd, &b, 6, vrep('r', SLOT_REASON_MAX)), OK);
    CHECK_EQ(WITH(decCmd, &b, 6, vrep('r', SLOT_REASON_MAX + 1)),
             SLOT_TOO_LARGE);
    checkStrRule(decCmd, &b, (const uint32_t[]){3}, 1, &ruleName);
    checkStrRule(decCmd, &b, (const uint32_t[]){4}, 1, &ruleNameOpt);
    CHECK_EQ(WITH(decCmd, &b, 5, vs("ops@pumch.example")), OK);
    CHECK_EQ(WITH(decCmd, &b, 5, vs("ops pumch")), INV);
    CHECK_EQ(WITH(decCmd, &b, 5, vs("")), INV);
    CHECK_EQ(WITH(decCmd, &b, 5, vrep('o', SLOT_OPERATOR_MAX + 1)),
             SLOT_TOO_LARGE);
    mp_buf_free(&b);
}

static void test_sched_fields(void)
{
    struct mp_buf b = sampleBuf(SM_POOL_SCHED);
    /* [op, session, seq, 8 spec fields, schedule] -> the schedule at 11 */
    checkStrRule(decCmd, &b, (const uint32_t[]){11, 0}, 2, &ruleName);
    checkStrRule(decCmd, &b, (const uint32_t[]){11, 1}, 2, &ruleNameOpt);
    checkStrRule(decCmd, &b, (const uint32_t[]){11, 2}, 2, &ruleName);
    checkStrRule(decCmd, &b, (const uint32_t[]){11, 3}, 2, &ruleNameOpt);
    checkStrRule(decCmd, &b, (const uint32_t[]){11, 7, 0}, 3, &ruleChannel);
    checkStrRule(decCmd, &b, (const uint32_t[]){11, 8, 0}, 3, &ruleChannel);
    CHECK_EQ(WITH2(decCmd, &b, 11, 4, vu(0)), INV);
    CHECK_EQ(WITH2(decCmd, &b, 11, 4, vu(1)), OK);
    CHECK_EQ(WITH2(decCmd, &b, 11, 4, vu(SLOT_DAY_MAX)), OK);
    CHECK_EQ(WITH2(decCmd, &b, 11, 4, vu(SLOT_DAY_MAX + 1)), INV);
    CHECK_EQ(WITH2(decCmd, &b, 11, 5, vu(2)), INV);
    CHECK_EQ(WITH2(decCmd, &b, 11, 6, vu(SLOT_VISIT_SLOT_MAX_MS)), OK);
    CHECK_EQ(WITH2(decCmd, &b, 11, 6, vu(SLOT_VISIT_SLOT_MAX_MS + 1)), INV);
    const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    const char *dup[] = {"app", "app"};
    CHECK_EQ(WITH2(decCmd, &b, 11, 7, vnames(8, names)), OK);
    CHECK_EQ(WITH2(decCmd, &b, 11, 7, vnames(9, names)), SLOT_TOO_LARGE);
    CHECK_EQ(WITH2(decCmd, &b, 11, 8, vnames(2, dup)), INV);
    CHECK_EQ(WITH2(decCmd, &b, 11, 8, vnames(0, dup)), OK);
    /* A pool of a schedule has a segment. */
    CHECK_EQ(WITH(decCmd, &b, 7, vu(0)), INV);
    /* Shares may name groups: any channel-charset name. */
    CHECK_EQ(WITH3(decCmd, &b, 10, 1, 0, vs("online")), OK);
    mp_buf_free(&b);
    /* Confirm without a reference (pay at visit) decodes. */
    b = sampleBuf(SM_CONFIRM_AT_VISIT);
    struct slot_cmd c;
    CHECK_EQ(slot_cmd_decode_buf(b.data, b.len, &c), SLOT_OK);
    CHECK_EQ(c.u.claim.payment_ref.len, 0);
    mp_buf_free(&b);
}

static struct val vdays(uint32_t n, const uint32_t *days)
{
    struct mp_buf m;
    mp_buf_init(&m);
    slot_days_pack(&m, days, n);
    return valOf(&m);
}

static struct val vsegs(uint32_t n, const struct slot_segment *s)
{
    struct mp_buf m;
    mp_buf_init(&m);
    slot_segments_pack(&m, s, n);
    return valOf(&m);
}

static void test_template(void)
{
    const struct slot_template *t = &samples[SM_IMPORT].u.import;
    uint32_t days[3];
    struct slot_segment segs[3];
    slot_template_days(t, days);
    slot_template_segments(t, segs);
    CHECK(memcmp(days, sampleDays, sizeof days) == 0);
    CHECK(memcmp(segs, sampleSegs, sizeof segs) == 0);
    char id[SLOT_POOL_ID_MAX + 1];
    CHECK_EQ(slot_template_pool_id(t, 20801, &segs[0], id), 39);
    CHECK_STR(id, "pumch/east/cardio/dr-wang/20261214/0800");
    slot_template_pool_id(t, 20805, &segs[2], id);
    CHECK_STR(id, "pumch/east/cardio/dr-wang/20261218/1300");

    /* slot_template_check: the parts the encoder requires. */
    struct slot_template c = *t;
    CHECK_EQ(slot_template_check(&c), OK);
    c.kind = SLOT_KIND_MAX + 1;
    CHECK_EQ(slot_template_check(&c), INV);
    c = *t;
    c.fee_cents = SLOT_FEE_MAX_CENTS + 1;
    CHECK_EQ(slot_template_check(&c), INV);
    c = *t;
    c.id_prefix = (struct slot_str){"a b", 3};
    CHECK_EQ(slot_template_check(&c), INV);
    c = *t;
    c.sched.hospital = (struct slot_str){"", 0};
    CHECK_EQ(slot_template_check(&c), INV);
    c = *t;
    c.n_shares = 2;
    c.shares[0] = (struct slot_tshare){{"114", 3}, 600};
    c.shares[1] = (struct slot_tshare){{"app", 3}, 401};
    CHECK_EQ(slot_template_check(&c), INV); /* 1001 permille */
    c.shares[1].name = (struct slot_str){"114", 3};
    c.shares[1].permille = 100;
    CHECK_EQ(slot_template_check(&c), INV); /* the same channel twice */

    /* [13, s, seq, template]: the template's fields at 3.x */
    struct mp_buf b = sampleBuf(SM_IMPORT);
    char prefix[SLOT_ID_PREFIX_MAX + 2];
    memset(prefix, 'p', sizeof prefix - 1);
    prefix[SLOT_ID_PREFIX_MAX] = '\0';
    CHECK_EQ(WITH2(decCmd, &b, 3, 0, vs(prefix)), OK);
    prefix[SLOT_ID_PREFIX_MAX] = 'p';
    prefix[SLOT_ID_PREFIX_MAX + 1] = '\0';
    CHECK_EQ(WITH2(decCmd, &b, 3, 0, vs(prefix)), SLOT_TOO_LARGE);
    CHECK_EQ(WITH2(decCmd, &b, 3, 0, vs("a b")), INV);
    checkStrRule(decCmd, &b, (const uint32_t[]){3, 1}, 2, &ruleName);
    checkStrRule(decCmd, &b, (const uint32_t[]){3, 3}, 2, &ruleName);
    CHECK_EQ(WITH2(decCmd, &b, 3, 5, vu(SLOT_KIND_MAX + 1)), INV);
    CHECK_EQ(WITH2(decCmd, &b, 3, 7, vu(2)), INV);
    /* shares: permille 1..1000, sum <= 1000, names distinct */
    CHECK_EQ(WITH3(decCmd, &b, 3, 9, 0,
                   vraw("\x92\xa3"
                        "114\x00",
                        6)),
             INV);
    CHECK_EQ(WITH3(decCmd, &b, 3, 9, 0,
                   vraw("\x92\xa3"
                        "114\xcd\x01\x2d",
                        8)),
             INV); /* 301 + 700 */
    CHECK_EQ(WITH3(decCmd, &b, 3, 9, 0,
                   vraw("\x92\xa3"
                        "114\xcd\x01\x2c",
                        8)),
             OK);
    CHECK_EQ(WITH3(decCmd, &b, 3, 9, 0, vraw("\x92\xa6online\x01", 9)), INV);
    /* days: strictly increasing, 1..DAY_MAX, 1..366 of them */
    CHECK_EQ(WITH2(decCmd, &b, 3, 12, vdays(2, (uint32_t[]){5, 5})), INV);
    CHECK_EQ(WITH2(decCmd, &b, 3, 12, vdays(2, (uint32_t[]){6, 5})), INV);
    CHECK_EQ(WITH2(decCmd, &b, 3, 12, vdays(1, (uint32_t[]){0})), INV);
    CHECK_EQ(WITH2(decCmd, &b, 3, 12, vdays(1, (uint32_t[]){SLOT_DAY_MAX})),
             OK);
    CHECK_EQ(WITH2(decCmd, &b, 3, 12, vdays(0, NULL)), INV);
    static uint32_t many[SLOT_TEMPLATE_DAYS_MAX + 1];
    for (uint32_t i = 0; i <= SLOT_TEMPLATE_DAYS_MAX; i++) {
        many[i] = 20000 + i;
    }
    CHECK_EQ(WITH2(decCmd, &b, 3, 12, vdays(SLOT_TEMPLATE_DAYS_MAX, many)), OK);
    CHECK_EQ(WITH2(decCmd, &b, 3, 12, vdays(SLOT_TEMPLATE_DAYS_MAX + 1, many)),
             SLOT_TOO_LARGE);
    /* segments: start < end <= 1440, in order, not overlapping */
    struct slot_segment s2[2] = {{480, 540, 5}, {540, 600, 5}};
    CHECK_EQ(WITH2(decCmd, &b, 3, 13, vsegs(2, s2)), OK);
    s2[1].start_minute = 539;
    CHECK_EQ(WITH2(decCmd, &b, 3, 13, vsegs(2, s2)), INV);
    s2[0] = (struct slot_segment){480, 480, 5};
    CHECK_EQ(WITH2(decCmd, &b, 3, 13, vsegs(1, s2)), INV);
    s2[0] = (struct slot_segment){0, 1440, 1};
    CHECK_EQ(WITH2(decCmd, &b, 3, 13, vsegs(1, s2)), OK);
    s2[0] = (struct slot_segment){0, 1441, 1};
    CHECK_EQ(WITH2(decCmd, &b, 3, 13, vsegs(1, s2)), INV);
    s2[0] = (struct slot_segment){0, 60, 0};
    CHECK_EQ(WITH2(decCmd, &b, 3, 13, vsegs(1, s2)), INV);
    s2[0] = (struct slot_segment){0, 60, SLOT_POOL_CAPACITY_MAX + 1};
    CHECK_EQ(WITH2(decCmd, &b, 3, 13, vsegs(1, s2)), INV);
    CHECK_EQ(WITH2(decCmd, &b, 3, 13, vsegs(0, s2)), INV);
    static struct slot_segment segMany[SLOT_TEMPLATE_SEGS_MAX + 1];
    for (uint32_t i = 0; i <= SLOT_TEMPLATE_SEGS_MAX; i++) {
        segMany[i] = (struct slot_segment){(uint16_t)(i * 29),
                                           (uint16_t)(i * 29 + 29), 1};
    }
    CHECK_EQ(WITH2(decCmd, &b, 3, 13, vsegs(SLOT_TEMPLATE_SEGS_MAX, segMany)),
             OK);
    CHECK_EQ(
        WITH2(decCmd, &b, 3, 13, vsegs(SLOT_TEMPLATE_SEGS_MAX + 1, segMany)),
        SLOT_TOO_LARGE);
    mp_buf_free(&b);
}

static void test_place_status(void)
{
    struct slot_pool_status s = statusSample(2);
    s.has_place = true;
    struct slot_place *p = &s.place;
    strcpy(p->hospital, "pumch");
    strcpy(p->department, "cardio");
    p->visit_day = 20801;
    p->pay_mode = SLOT_PAY_AT_VISIT;
    p->visit_slot_ms = 60000;
    p->n_eligible = 2;
    strcpy(p->eligible[0], "online");
    strcpy(p->eligible[1], "window");
    p->n_rem_allow = 1;
    strcpy(p->rem_allow[0], "window");
    p->flow_due_ms = 1797148800000ull;
    p->flowed_back = 1;
    struct mp_buf b = statusBuf(&s);
    struct slot_pool_status got;
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    memset(&got, 0xa5, sizeof got);
    CHECK_EQ(slot_pool_status_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r) && memcmp(&got, &s, sizeof s) == 0);
    checkTruncations(decStatus, b.data, b.len);
    checkTypesSkip(decStatus, &b, (const uint32_t[]){14}, 1);
    checkStrRule(decStatus, &b, (const uint32_t[]){14, 0}, 2, &ruleName);
    checkStrRule(decStatus, &b, (const uint32_t[]){14, 1}, 2, &ruleNameOpt);
    checkStrRule(decStatus, &b, (const uint32_t[]){14, 7, 0}, 3, &ruleChannel);
    CHECK_EQ(WITH2(decStatus, &b, 14, 4, vu(0)), INV);
    CHECK_EQ(WITH2(decStatus, &b, 14, 10, vu(2)), INV);
    CHECK_EQ(WITH(decStatus, &b, 14, vraw("\xc0", 1)), OK); /* absent */
    mp_buf_free(&b);
}

/* ---- Raft entries -------------------------------------------------------- */

static uint64_t cmdsBuf[SLOT_BATCH_CMDS_MAX * sizeof(struct slot_cmd) / 8 + 1];
#define CMDS ((struct slot_cmd *)cmdsBuf)

static void *buildEntry(uint64_t stamp, const enum sample *which, size_t n,
                        size_t *len)
{
    struct slot_entry_builder e;
    slot_entry_begin(&e, stamp, stamp ^ 0xa5a5);
    for (size_t i = 0; i < n; i++) {
        struct mp_buf b = sampleBuf(which[i]);
        CHECK(slot_entry_fits(&e, b.len));
        slot_entry_add(&e, b.data, b.len);
        mp_buf_free(&b);
    }
    CHECK_EQ(e.n_cmds, n);
    void *p = slot_entry_finish(&e, len);
    slot_entry_builder_free(&e);
    return p;
}

static int decEntry(const void *p, size_t n)
{
    uint64_t stamp, origin;
    uint32_t count;
    return slot_entry_decode(p, n, &stamp, &origin, CMDS, &count);
}

static void test_entry_round_trip(void)
{
    enum sample all[SM_COUNT];
    for (int i = 0; i < SM_COUNT; i++) {
        all[i] = i;
    }
    size_t len;
    uint8_t *p = buildEntry(1714550400123ull, all, SM_COUNT, &len);
    CHECK_EQ(len % 8, 0);
    CHECK(memcmp(p, "SLE1", 4) == 0);
    uint64_t stamp, origin;
    uint32_t n;
    CHECK_EQ(slot_entry_decode(p, len, &stamp, &origin, CMDS, &n), SLOT_OK);
    CHECK(stamp == 1714550400123ull);
    CHECK_EQ(n, SM_COUNT);
    for (int i = 0; i < SM_COUNT; i++) {
        struct mp_buf b = sampleBuf(i);
        CHECK(cmdEq(&CMDS[i], &samples[i]));
        CHECK(CMDS[i].fingerprint == slot_hash64(b.data, b.len, 0));
        mp_buf_free(&b);
    }
    checkTruncations(decEntry, p, len);
    free(p);
    /* Empty batch, and the extreme stamps. */
    p = buildEntry(0, NULL, 0, &len);
    CHECK_EQ(slot_entry_decode(p, len, &stamp, &origin, CMDS, &n), SLOT_OK);
    CHECK(n == 0 && stamp == 0);
    free(p);
    p = buildEntry(TIME_MAX, all, 1, &len);
    CHECK_EQ(slot_entry_decode(p, len, &stamp, &origin, CMDS, &n), SLOT_OK);
    CHECK(n == 1 && stamp == TIME_MAX);
    free(p);
}

static void test_entry_builder_reuse_and_padding(void)
{
    /* EXPIRE encodes in 5 bytes, so 0..7 of them give every padding. */
    struct slot_entry_builder e;
    bool padSeen[8] = {false};
    struct mp_buf x = sampleBuf(SM_EXPIRE);
    for (uint32_t k = 0; k < 16; k++) {
        slot_entry_begin(&e, k, k ^ 0xa5a5);
        for (uint32_t i = 0; i < k; i++) {
            slot_entry_add(&e, x.data, x.len);
        }
        size_t len;
        uint8_t *p = slot_entry_finish(&e, &len);
        CHECK_EQ(e.n_cmds, 0);
        CHECK_EQ(e.buf.len, 0);
        CHECK_EQ(len % 8, 0);
        uint32_t plen = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
                        (uint32_t)p[6] << 8 | p[7];
        size_t pad = len - 8 - plen;
        CHECK(pad < 8);
        padSeen[pad] = true;
        for (size_t i = 8 + plen; i < len; i++) {
            CHECK_EQ(p[i], 0);
        }
        uint64_t stamp, origin;
        uint32_t n;
        CHECK_EQ(slot_entry_decode(p, len, &stamp, &origin, CMDS, &n), SLOT_OK);
        CHECK(n == k && stamp == k);
        free(p);
    }
    for (int i = 0; i < 8; i++) {
        CHECK(padSeen[i]);
    }
    slot_entry_builder_free(&e);
    mp_buf_free(&x);
}

static void test_entry_fits(void)
{
    struct slot_entry_builder e;
    struct mp_buf x = sampleBuf(SM_EXPIRE);
    slot_entry_begin(&e, 1, 1 ^ 0xa5a5);
    CHECK(slot_entry_fits(&e, SLOT_ENTRY_MAX - e.buf.len));
    CHECK(!slot_entry_fits(&e, SLOT_ENTRY_MAX - e.buf.len + 1));
    CHECK(!slot_entry_fits(&e, SIZE_MAX));
    for (uint32_t i = 0; i < SLOT_BATCH_CMDS_MAX; i++) {
        CHECK(slot_entry_fits(&e, x.len));
        slot_entry_add(&e, x.data, x.len);
    }
    CHECK(!slot_entry_fits(&e, x.len));
    CHECK(!slot_entry_fits(&e, 0));
    size_t len;
    void *p = slot_entry_finish(&e, &len);
    uint64_t stamp, origin;
    uint32_t n;
    CHECK_EQ(slot_entry_decode(p, len, &stamp, &origin, CMDS, &n), SLOT_OK);
    CHECK_EQ(n, SLOT_BATCH_CMDS_MAX);
    free(p);
    slot_entry_builder_free(&e);
    mp_buf_free(&x);
}

/* An entry around a hand-made payload: magic, declared length, padding. */
static size_t rawEntry(uint8_t *out, const char *magic, const void *payload,
                       size_t plen, uint32_t declared, size_t pad,
                       uint8_t padByte)
{
    memcpy(out, magic, 4);
    out[4] = (uint8_t)(declared >> 24);
    out[5] = (uint8_t)(declared >> 16);
    out[6] = (uint8_t)(declared >> 8);
    out[7] = (uint8_t)declared;
    memcpy(out + 8, payload, plen);
    memset(out + 8 + plen, padByte, pad);
    return 8 + plen + pad;
}

/* [stamp, [count x the given command]] */
static struct mp_buf batchPayload(uint64_t stamp, uint32_t count,
                                  const void *cmd, size_t cmdLen)
{
    struct mp_buf b;
    mp_buf_init(&b);
    mp_pack_array(&b, 3);
    mp_pack_uint(&b, stamp);
    mp_pack_uint(&b, stamp + 1); /* origin */
    mp_pack_array(&b, count);
    for (uint32_t i = 0; i < count; i++) {
        mp_buf_append(&b, cmd, cmdLen);
    }
    return b;
}

/* Decodes a hand-made payload wrapped in a well-formed entry. */
static int decPayload(const void *p, size_t n)
{
    uint8_t *buf = malloc(n + 16);
    CHECK(buf != NULL);
    size_t len = rawEntry(buf, "SLE1", p, n, (uint32_t)n, (8 - n % 8) % 8, 0);
    int rc = decExact(decEntry, buf, len);
    free(buf);
    return rc;
}

static int entryOf(const struct mp_buf *pl)
{
    return decPayload(pl->data, pl->len);
}

static void test_entry_header_and_padding(void)
{
    struct mp_buf x = sampleBuf(SM_EXPIRE);
    struct mp_buf pl = batchPayload(5, 2, x.data, x.len);
    const uint8_t *d = pl.data;
    uint32_t n = (uint32_t)pl.len;
    size_t pad = (8 - n % 8) % 8;
    CHECK(pad > 0);
    uint8_t buf[64];
    size_t len;
    len = rawEntry(buf, "SLE1", d, n, n, pad, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_OK);
    for (size_t i = 0; i < pad; i++) { /* any non-zero padding byte */
        buf[8 + n + i] = 0x80;
        CHECK_EQ(decExact(decEntry, buf, len), SLOT_MALFORMED);
        buf[8 + n + i] = 0;
    }
    len = rawEntry(buf, "SLE1", d, n, n, pad + 8, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_MALFORMED); /* pad >= 8 */
    len = rawEntry(buf, "SLE1", d, n, n, 0, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_MALFORMED); /* no pad */
    len = rawEntry(buf, "SLE1", d, n, n, pad - 1, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_MALFORMED); /* short pad */
    len = rawEntry(buf, "SLE1", d, n, n + 1, pad, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_MALFORMED); /* len lies */
    len = rawEntry(buf, "SLE1", d, n, n + (uint32_t)pad + 1, pad, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_MALFORMED); /* > actual */
    len = rawEntry(buf, "SLE1", d, n, 0xffffffffu, pad, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_MALFORMED);
    len = rawEntry(buf, "SLE1", d, n, n - 1, pad, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_MALFORMED); /* < actual */
    len = rawEntry(buf, "SLE1", d, n, 0, pad, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_MALFORMED);
    len = rawEntry(buf, "SLE2", d, n, n, pad, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_BAD_VERSION);
    len = rawEntry(buf, "SLE0", d, n, n, pad, 0);
    CHECK_EQ(decExact(decEntry, buf, len), SLOT_BAD_VERSION);
    static const char *const magics[] = {"sle1", "XLE1", "SXE1", "SLX1",
                                         "\0\0\0\0"};
    for (int i = 0; i < 5; i++) {
        len = rawEntry(buf, magics[i], d, n, n, pad, 0);
        CHECK_EQ(decExact(decEntry, buf, len), SLOT_MALFORMED);
    }
    for (size_t k = 0; k < 8; k++) {
        CHECK_EQ(decExact(decEntry, buf, k), SLOT_MALFORMED);
    }
    CHECK_EQ(decExact(decEntry, "SLE1\0\0\0\0", 8), SLOT_MALFORMED);
    mp_buf_free(&pl);
    mp_buf_free(&x);
}

static void test_entry_limits(void)
{
    struct mp_buf x = sampleBuf(SM_EXPIRE);
    struct mp_buf pl = batchPayload(1, SLOT_BATCH_CMDS_MAX, x.data, x.len);
    CHECK_EQ(entryOf(&pl), SLOT_OK);
    mp_buf_free(&pl);
    pl = batchPayload(1, SLOT_BATCH_CMDS_MAX + 1, x.data, x.len);
    CHECK_EQ(entryOf(&pl), SLOT_TOO_LARGE);
    mp_buf_free(&pl);
    pl = batchPayload(TIME_MAX, 0, NULL, 0);
    CHECK_EQ(entryOf(&pl), SLOT_OK);
    mp_buf_free(&pl);
    pl = batchPayload(TIME_MAX + 1, 0, NULL, 0);
    CHECK_EQ(entryOf(&pl), INV);
    mp_buf_free(&pl);
    /* Total size: SLOT_ENTRY_MAX is looked at (and then the payload found
     * wanting), one padded step more is TOO_LARGE before anything else. */
    size_t big = SLOT_ENTRY_MAX + 8;
    uint8_t *buf = calloc(1, big);
    memcpy(buf, "SLE1", 4);
    uint32_t d = SLOT_ENTRY_MAX - 8;
    buf[4] = (uint8_t)(d >> 24);
    buf[5] = (uint8_t)(d >> 16);
    buf[6] = (uint8_t)(d >> 8);
    buf[7] = (uint8_t)d;
    CHECK_EQ(decEntry(buf, SLOT_ENTRY_MAX), SLOT_MALFORMED);
    CHECK_EQ(decEntry(buf, big), SLOT_TOO_LARGE);
    CHECK_EQ(decEntry(buf, SLOT_ENTRY_MAX + 1), SLOT_TOO_LARGE);
    free(buf);
    mp_buf_free(&x);
}

static void test_entry_payload_shape(void)
{
    struct mp_buf x = sampleBuf(SM_EXPIRE);
    struct mp_buf pl = batchPayload(1, 1, x.data, x.len);
    CHECK_EQ(entryOf(&pl), SLOT_OK);
    struct mp_buf m;
    mp_buf_init(&m);
    withCount(pl.data, pl.len, +1, &m);
    CHECK_EQ(entryOf(&m), SLOT_MALFORMED); /* [stamp, cmds, 0] */
    mp_buf_reset(&m);
    withCount(pl.data, pl.len, -1, &m);
    CHECK_EQ(entryOf(&m), SLOT_MALFORMED); /* [stamp] */
    mp_buf_reset(&m);
    mp_buf_append(&m, pl.data, pl.len);
    mp_buf_append(&m, "\xc0", 1);
    CHECK_EQ(entryOf(&m), SLOT_MALFORMED); /* trailing value */
    mp_buf_free(&m);
    /* Wrong types anywhere: stamp, batch, the command's fields. */
    checkTypes(decPayload, &pl);
    mp_buf_free(&pl);
    pl = sampleBuf(SM_POOL_MAX);
    struct mp_buf pl2 = batchPayload(1, 1, pl.data, pl.len);
    checkTypes(decPayload, &pl2);
    mp_buf_free(&pl2);
    mp_buf_free(&pl);
    /* Any invalid command refuses the whole entry, with its own code. */
    static const struct {
        const char *cmd;
        size_t len;
        int code;
    } bad[] = {
        {"\x94\x0a\x00\x00\x00", 5, SLOT_INVALID_ARGUMENT}, /* max 0 */
        {"\x94\x0a\x01\x01\x01", 5, SLOT_INVALID_ARGUMENT}, /* session */
        {"\x94\x19\x00\x00\x01", 5, SLOT_UNKNOWN_OP},
        {"\x95\x0a\x00\x00\x01\x01", 6, SLOT_MALFORMED},    /* count */
        {"\x94\x05\x01\x01\xa0", 5, SLOT_INVALID_ARGUMENT}, /* pool "" */
        {"\x94\x05\x01\x01\xc0", 5, SLOT_MALFORMED},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mp_buf_init(&pl);
        mp_pack_array(&pl, 3);
        mp_pack_uint(&pl, 1);
        mp_pack_uint(&pl, 2); /* origin */
        mp_pack_array(&pl, 3);
        mp_buf_append(&pl, x.data, x.len);
        mp_buf_append(&pl, bad[i].cmd, bad[i].len);
        mp_buf_append(&pl, x.data, x.len);
        CHECK_EQ(entryOf(&pl), bad[i].code);
        mp_buf_free(&pl);
    }
    mp_buf_free(&x);
}

/* ---- frames -------------------------------------------------------------- */

static const uint8_t frameTypes[] = {
    SLOT_FRAME_COMMAND, SLOT_FRAME_READ,       SLOT_FRAME_ADMIN,
    SLOT_FRAME_RESULT,  SLOT_FRAME_READ_REPLY, SLOT_FRAME_ADMIN_REPLY,
    SLOT_FRAME_ERROR,
};

static int decFrame(const void *p, size_t n)
{
    struct slot_frame f;
    return slot_frame_decode(p, n, &f);
}

static void test_frame_round_trip(void)
{
    struct mp_buf b;
    size_t starts[8], ends[8];
    mp_buf_init(&b);
    for (size_t i = 0; i < sizeof frameTypes; i++) {
        starts[i] = slot_frame_begin(&b, frameTypes[i], i * 1000003u);
        slot_cmd_encode(&b, &samples[i]); /* any one value */
        slot_frame_end(&b, starts[i]);
        ends[i] = b.len;
    }
    size_t at = 0;
    for (size_t i = 0; i < sizeof frameTypes; i++) {
        size_t fl;
        CHECK_EQ(starts[i], at);
        CHECK_EQ(slot_frame_peek(b.data + at, b.len - at, &fl), SLOT_OK);
        CHECK_EQ(fl, ends[i] - at);
        struct slot_frame f;
        CHECK_EQ(slot_frame_decode(b.data + at + 4, fl - 4, &f), SLOT_OK);
        CHECK_EQ(f.type, frameTypes[i]);
        CHECK(f.tag == i * 1000003u);
        struct slot_cmd c;
        CHECK_EQ(slot_cmd_decode_buf(f.payload, f.payload_len, &c), SLOT_OK);
        CHECK(cmdEq(&c, &samples[i]));
        checkTruncations(decFrame, b.data + at + 4, fl - 4);
        at += fl;
    }
    /* Tag: full 64 bits. */
    mp_buf_reset(&b);
    slot_frame_error(&b, UINT64_MAX, SLOT_NOT_LEADER, 2, "10.0.0.2:7000",
                     SLOT_EXEC_NOT);
    struct slot_frame f;
    CHECK_EQ(slot_frame_decode(b.data + 4, b.len - 4, &f), SLOT_OK);
    CHECK(f.tag == UINT64_MAX && f.type == SLOT_FRAME_ERROR);
    CHECK_EQ(f.payload_len, b.len - 4 - (size_t)(f.payload - (b.data + 4)));
    mp_buf_free(&b);
}

static int decError(const void *p, size_t n)
{
    struct slot_error_info e;
    return slot_frame_error_decode(p, n, &e);
}

/* An ERROR payload packed by hand: n fields of [code, leader, address,
 * executed], executed < 0 packs a string instead. */
static void packError(struct mp_buf *b, uint32_t n, uint64_t code,
                      int64_t executed)
{
    mp_buf_reset(b);
    mp_pack_array(b, n);
    mp_pack_uint(b, code);
    mp_pack_uint(b, 3);
    mp_pack_cstr(b, "10.0.0.3:7000");
    if (n >= 4) {
        if (executed < 0) {
            mp_pack_cstr(b, "no");
        } else {
            mp_pack_uint(b, (uint64_t)executed);
        }
    }
    for (uint32_t i = 4; i < n; i++) {
        mp_pack_uint(b, 0);
    }
}

static void test_frame_error(void)
{
    struct mp_buf b;
    struct slot_frame f;
    struct slot_error_info e;
    mp_buf_init(&b);
    /* Both values round trip, with and without a leader. */
    static const uint8_t execs[] = {SLOT_EXEC_NOT, SLOT_EXEC_UNKNOWN};
    for (size_t i = 0; i < sizeof execs; i++) {
        mp_buf_reset(&b);
        slot_frame_error(&b, 77, SLOT_NOT_LEADER, 2, "10.0.0.2:7000", execs[i]);
        CHECK_EQ(slot_frame_decode(b.data + 4, b.len - 4, &f), SLOT_OK);
        CHECK_EQ(f.type, SLOT_FRAME_ERROR);
        CHECK_EQ(slot_frame_error_decode(f.payload, f.payload_len, &e),
                 SLOT_OK);
        CHECK_EQ(e.code, SLOT_NOT_LEADER);
        CHECK(e.leader_id == 2);
        CHECK(e.leader_address.len == 13 &&
              memcmp(e.leader_address.p, "10.0.0.2:7000", 13) == 0);
        CHECK_EQ(e.executed, execs[i]);
        checkTruncations(decError, f.payload, f.payload_len);
        mp_buf_reset(&b);
        slot_frame_error(&b, 78, SLOT_BUSY, 0, "", execs[i]);
        CHECK_EQ(slot_frame_decode(b.data + 4, b.len - 4, &f), SLOT_OK);
        CHECK_EQ(slot_frame_error_decode(f.payload, f.payload_len, &e),
                 SLOT_OK);
        CHECK(e.code == SLOT_BUSY && e.leader_id == 0 &&
              e.leader_address.len == 0 && e.executed == execs[i]);
    }
    /* An older node's 3 fields: outcome unknown, the safe reading. */
    packError(&b, 3, SLOT_NOT_LEADER, 0);
    CHECK_EQ(slot_frame_error_decode(b.data, b.len, &e), SLOT_OK);
    CHECK(e.code == SLOT_NOT_LEADER && e.leader_id == 3 &&
          e.executed == SLOT_EXEC_UNKNOWN);
    checkTruncations(decError, b.data, b.len);
    /* Refused: executed out of range or not an integer, other field
     * counts, code 0 (OK is no error), trailing bytes. */
    packError(&b, 4, SLOT_NOT_LEADER, 2);
    CHECK_EQ(slot_frame_error_decode(b.data, b.len, &e), SLOT_INVALID_ARGUMENT);
    packError(&b, 4, SLOT_NOT_LEADER, 255);
    CHECK_EQ(slot_frame_error_decode(b.data, b.len, &e), SLOT_INVALID_ARGUMENT);
    packError(&b, 4, SLOT_NOT_LEADER, -1);
    CHECK_EQ(slot_frame_error_decode(b.data, b.len, &e), SLOT_MALFORMED);
    packError(&b, 5, SLOT_NOT_LEADER, 0);
    CHECK_EQ(slot_frame_error_decode(b.data, b.len, &e), SLOT_MALFORMED);
    packError(&b, 2, SLOT_NOT_LEADER, 0);
    CHECK_EQ(slot_frame_error_decode(b.data, b.len, &e), SLOT_MALFORMED);
    packError(&b, 4, SLOT_OK, 0);
    CHECK_EQ(slot_frame_error_decode(b.data, b.len, &e), SLOT_MALFORMED);
    packError(&b, 4, 65536, 0);
    CHECK_EQ(slot_frame_error_decode(b.data, b.len, &e), SLOT_INVALID_ARGUMENT);
    packError(&b, 4, SLOT_BUSY, 1);
    mp_pack_uint(&b, 0);
    CHECK_EQ(slot_frame_error_decode(b.data, b.len, &e), SLOT_MALFORMED);
    /* An address longer than any member's. */
    char addr[SLOT_ADDRESS_MAX + 2];
    memset(addr, 'a', sizeof addr - 1);
    addr[sizeof addr - 1] = '\0';
    mp_buf_reset(&b);
    mp_pack_array(&b, 4);
    mp_pack_uint(&b, SLOT_NOT_LEADER);
    mp_pack_uint(&b, 1);
    mp_pack_cstr(&b, addr);
    mp_pack_uint(&b, 0);
    CHECK_EQ(slot_frame_error_decode(b.data, b.len, &e), SLOT_TOO_LARGE);
    mp_buf_free(&b);
}

static int decNodeStatus(const void *p, size_t n)
{
    struct mp_reader r;
    struct slot_node_status st;
    mp_reader_init(&r, p, n);
    int rc = slot_node_status_decode(&r, &st);
    return rc == SLOT_OK && !mp_done(&r) ? SLOT_MALFORMED : rc;
}

static void test_node_status(void)
{
    struct slot_node_status st, got;
    memset(&st, 0, sizeof st);
    st.id = 2;
    snprintf(st.role, sizeof st.role, "leader");
    st.term = 7;
    st.commit_index = 90;
    st.applied_index = 89;
    st.leader_id = 2;
    snprintf(st.address, sizeof st.address, "127.0.0.1:7002/127.0.0.1:8002");
    st.n_members = 2;
    st.members[0] = (struct slot_member){.id = 1, .role = SLOT_ROLE_VOTER};
    st.members[1] = (struct slot_member){.id = 4, .role = SLOT_ROLE_SPARE};
    snprintf(st.members[0].address, sizeof st.members[0].address, "a/b");
    snprintf(st.members[1].address, sizeof st.members[1].address, "c/d");
    st.state_hash = 0x1234;
    st.ledger_time_ms = 1700000000000ull;
    st.entries_applied = 80;
    st.commands_applied = 300;
    st.config_committed_index = 12;
    st.config_uncommitted_index = 88;
    st.promotee_id = 4;
    st.leader_stalls = 9;
    st.leader_stall_max_us = 7;
    struct mp_buf b;
    struct mp_reader r;
    mp_buf_init(&b);
    slot_node_status_encode(&b, &st);
    mp_reader_init(&r, b.data, b.len);
    CHECK_EQ(slot_node_status_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r));
    CHECK(got.id == 2 && strcmp(got.role, "leader") == 0 &&
          got.n_members == 2 && got.members[1].id == 4 &&
          got.commands_applied == 300);
    CHECK(got.config_committed_index == 12 &&
          got.config_uncommitted_index == 88 && got.promotee_id == 4);
    CHECK(got.leader_stalls == 9 && got.leader_stall_max_us == 7);
    checkTruncations(decNodeStatus, b.data, b.len);
    /* An older node's 15 fields: the stall fields are 0. */
    mp_buf_reset(&b);
    st.n_members = 0;
    slot_node_status_encode(&b, &st);
    /* 17 fields: array 16 (0xdc, a big-endian count), not a fixarray. */
    CHECK(b.data[0] == 0xdc && b.data[1] == 0 && b.data[2] == 17);
    size_t full = b.len;
    b.data[2] = 15;
    b.len -= 2; /* two positive fixints */
    mp_reader_init(&r, b.data, b.len);
    CHECK_EQ(slot_node_status_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r));
    CHECK(got.promotee_id == 4 && got.leader_stalls == 0 &&
          got.leader_stall_max_us == 0);
    /* An older node's 12 fields: the membership fields are 0. */
    b.data[2] = 12;
    b.len -= 3; /* three positive fixints */
    mp_reader_init(&r, b.data, b.len);
    CHECK_EQ(slot_node_status_decode(&r, &got), SLOT_OK);
    CHECK(mp_done(&r));
    CHECK(got.commands_applied == 300 && got.config_committed_index == 0 &&
          got.config_uncommitted_index == 0 && got.promotee_id == 0);
    /* Any other count is refused. */
    b.len = full;
    for (uint8_t n = 11; n <= 18; n++) {
        if (n == 12 || n == 15 || n == 17) {
            continue;
        }
        b.data[2] = n;
        mp_reader_init(&r, b.data, b.len);
        CHECK_EQ(slot_node_status_decode(&r, &got), SLOT_MALFORMED);
    }
    mp_buf_free(&b);
}

static void test_frame_peek(void)
{
    uint8_t buf[16] = {0, 0, 0, 5, 0x94, SLOT_PROTO_VERSION, 1, 0, 0xc0, 0xee};
    size_t fl = 99;
    for (size_t k = 0; k < 9; k++) {
        CHECK_EQ(slot_frame_peek(buf, k, &fl), SLOT_OK);
        CHECK_EQ(fl, 0);
    }
    CHECK_EQ(slot_frame_peek(buf, 9, &fl), SLOT_OK);
    CHECK_EQ(fl, 9);
    CHECK_EQ(slot_frame_peek(buf, 10, &fl), SLOT_OK); /* next frame starts */
    CHECK_EQ(fl, 9);
    CHECK_EQ(decFrame(buf + 4, 5), SLOT_OK);
    static const uint8_t zero[4] = {0, 0, 0, 0};
    CHECK_EQ(slot_frame_peek(zero, 4, &fl), SLOT_MALFORMED);
    static const uint8_t max[4] = {0x00, 0x10, 0x00, 0x00}; /* 1 << 20 */
    CHECK_EQ(slot_frame_peek(max, 4, &fl), SLOT_OK);
    CHECK_EQ(fl, 0);
    static const uint8_t over[4] = {0x00, 0x10, 0x00, 0x01};
    CHECK_EQ(slot_frame_peek(over, 4, &fl), SLOT_TOO_LARGE);
    static const uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
    CHECK_EQ(slot_frame_peek(huge, 4, &fl), SLOT_TOO_LARGE);
    CHECK_EQ(slot_frame_peek(huge, 3, &fl), SLOT_OK); /* not known yet */
    CHECK_EQ(fl, 0);
}

static void test_frame_max_size(void)
{
    /* A body of exactly SLOT_FRAME_MAX bytes: 4 one-byte fields/headers and
     * a bin32 (5-byte header). */
    size_t data = SLOT_FRAME_MAX - 9;
    uint8_t *blob = calloc(1, data);
    struct mp_buf b;
    mp_buf_init(&b);
    size_t s = slot_frame_begin(&b, SLOT_FRAME_ADMIN_REPLY, 1);
    msgpack_pack_bin(&b.pk, data);
    msgpack_pack_bin_body(&b.pk, blob, data);
    slot_frame_end(&b, s);
    CHECK_EQ(b.len, 4 + SLOT_FRAME_MAX);
    size_t fl;
    CHECK_EQ(slot_frame_peek(b.data, b.len, &fl), SLOT_OK);
    CHECK_EQ(fl, b.len);
    CHECK_EQ(decFrame(b.data + 4, SLOT_FRAME_MAX), SLOT_OK);
    mp_buf_append(&b, "", 1);
    CHECK_EQ(decFrame(b.data + 4, SLOT_FRAME_MAX + 1), SLOT_TOO_LARGE);
    mp_buf_free(&b);
    free(blob);
}

static void test_frame_validation(void)
{
    struct mp_buf b;
    mp_buf_init(&b);
    size_t s = slot_frame_begin(&b, SLOT_FRAME_COMMAND, 7);
    mp_pack_uint(&b, 1);
    slot_frame_end(&b, s);
    struct mp_buf body;
    mp_buf_init(&body);
    mp_buf_append(&body, b.data + 4, b.len - 4);
    CHECK_EQ(decFrame(body.data, body.len), SLOT_OK);
    CHECK_EQ(WITH(decFrame, &body, 0, vu(0)), SLOT_BAD_VERSION);
    CHECK_EQ(WITH(decFrame, &body, 0, vu(1)), SLOT_BAD_VERSION); /* old */
    CHECK_EQ(WITH(decFrame, &body, 0, vu(2)), SLOT_BAD_VERSION); /* old */
    CHECK_EQ(WITH(decFrame, &body, 0, vu(3)), SLOT_BAD_VERSION); /* old */
    CHECK_EQ(WITH(decFrame, &body, 0, vu(4)), SLOT_BAD_VERSION); /* old */
    CHECK_EQ(WITH(decFrame, &body, 0, vu(6)), SLOT_BAD_VERSION);
    CHECK_EQ(WITH(decFrame, &body, 0, vu(UINT64_MAX)), SLOT_BAD_VERSION);
    CHECK_EQ(WITH(decFrame, &body, 0, vs("1")), SLOT_MALFORMED);
    /* A later version may have another shape: still BAD_VERSION. */
    CHECK_EQ(decFrame("\x92\x06\x01", 3), SLOT_BAD_VERSION);
    CHECK_EQ(decFrame("\x91\x06", 2), SLOT_BAD_VERSION);
    static const uint64_t unknown[] = {0, 4, 15, 20, 255, 256, UINT64_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        CHECK_EQ(WITH(decFrame, &body, 1, vu(unknown[i])), SLOT_UNKNOWN_OP);
    }
    for (size_t i = 0; i < sizeof frameTypes; i++) {
        CHECK_EQ(WITH(decFrame, &body, 1, vu(frameTypes[i])), SLOT_OK);
    }
    CHECK_EQ(WITH(decFrame, &body, 2, vu(UINT64_MAX)), SLOT_OK);
    CHECK_EQ(decCount(decFrame, &body, -1), SLOT_MALFORMED);
    CHECK_EQ(decCount(decFrame, &body, +1), SLOT_MALFORMED);
    /* version, type and tag are uints; the payload slot takes any type. */
    for (uint32_t i = 0; i < 3; i++) {
        CHECK_EQ(WITH(decFrame, &body, i, vraw("\xc0", 1)), SLOT_MALFORMED);
        CHECK_EQ(WITH(decFrame, &body, i, vraw("\xff", 1)), SLOT_MALFORMED);
        CHECK_EQ(WITH(decFrame, &body, i, vs("1")), SLOT_MALFORMED);
    }
    CHECK_EQ(WITH(decFrame, &body, 3, vraw("\xc0", 1)), SLOT_OK);
    CHECK_EQ(WITH(decFrame, &body, 3, vraw("\xc1", 1)), SLOT_MALFORMED);
    CHECK_EQ(decFrame("", 0), SLOT_MALFORMED);
    CHECK_EQ(decFrame("\x90", 1), SLOT_MALFORMED);
    CHECK_EQ(decFrame("\x01", 1), SLOT_MALFORMED);
    /* Payload: one whole value; nothing after it; bounded nesting. */
    mp_buf_append(&body, "\x01", 1);
    CHECK_EQ(decFrame(body.data, body.len), SLOT_MALFORMED);
    uint8_t deep[64] = {0x94, SLOT_PROTO_VERSION, 1, 0};
    memset(deep + 4, 0x91, 40);
    deep[44] = 0x01;
    CHECK_EQ(decFrame(deep, 45), SLOT_MALFORMED);
    memset(deep + 4, 0x91, 10);
    deep[14] = 0x01;
    CHECK_EQ(decFrame(deep, 15), SLOT_OK);
    mp_buf_free(&body);
    mp_buf_free(&b);
}

/* -------------------------------------------------------------------------- */

static void setup(void)
{
    initSamples();
}

/* Breaks rule k of a valid pool spec (test_valid_pool_spec_field). */
static void breakSpec(struct slot_pool_spec *s, int k)
{
    static const char id65[] =
        "p0123456789012345678901234567890123456789012345678901234567890123";
    static const struct slot_str space = {"a b", 3}, long_id = {id65, 65},
                                 app = {"app", 3}, upper = {"APP", 3};
    switch (k) {
        case 0:
            s->pool = space;
            break;
        case 1:
            s->pool = long_id;
            break;
        case 2:
            s->capacity = 0;
            break;
        case 3:
            s->capacity = SLOT_POOL_CAPACITY_MAX + 1;
            break;
        case 4:
            s->kind = SLOT_KIND_MAX + 1;
            break;
        case 5:
            s->fee_cents = SLOT_FEE_MAX_CENTS + 1;
            break;
        case 6:
            s->seg_start_ms = s->seg_end_ms = 5;
            break;
        case 7:
            s->seg_end_ms = SLOT_TIME_MAX_MS + 1;
            break;
        case 8:
            s->release_at_ms = SLOT_TIME_MAX_MS + 1;
            break;
        case 9:
            s->n_shares = SLOT_POOL_SHARES_MAX + 1;
            break;
        case 10:
            s->shares[1].channel = app; /* a duplicate */
            break;
        case 11:
            s->shares[1].slots = 7; /* 4 + 7 > capacity 10 */
            break;
        case 12:
            s->shares[0].channel = upper;
            break;
        default: /* two broken: the first in the documented order counts */
            s->capacity = 0;
            s->fee_cents = SLOT_FEE_MAX_CENTS + 1;
            break;
    }
}

/* slot_valid_pool_spec_field names the field of the first broken rule,
 * with the same code as slot_valid_pool_spec. */
static void test_valid_pool_spec_field(void)
{
    struct slot_pool_spec ok = {
        .pool = {"h1/cardio", 9}, .capacity = 10, .n_shares = 2};
    ok.shares[0] = (struct slot_share){{"app", 3}, 4};
    ok.shares[1] = (struct slot_share){{"114", 3}, 6};
    const char *field = "untouched";
    CHECK_EQ(slot_valid_pool_spec_field(&ok, &field), SLOT_OK);
    CHECK_STR(field, "untouched");
    CHECK_EQ(slot_valid_pool_spec_field(&ok, NULL), SLOT_OK);
    static const struct {
        int rc;
        const char *field;
    } want[] = {
        {SLOT_INVALID_ARGUMENT, "pool"},
        {SLOT_TOO_LARGE, "pool"},
        {SLOT_INVALID_ARGUMENT, "capacity"},
        {SLOT_INVALID_ARGUMENT, "capacity"},
        {SLOT_INVALID_ARGUMENT, "kind"},
        {SLOT_INVALID_ARGUMENT, "fee_cents"},
        {SLOT_INVALID_ARGUMENT, "segment"},
        {SLOT_INVALID_ARGUMENT, "segment"},
        {SLOT_INVALID_ARGUMENT, "release_at_ms"},
        {SLOT_INVALID_ARGUMENT, "shares"},
        {SLOT_INVALID_ARGUMENT, "shares"},
        {SLOT_INVALID_ARGUMENT, "shares"},
        {SLOT_INVALID_ARGUMENT, "shares"},
        {SLOT_INVALID_ARGUMENT, "capacity"},
    };
    for (int k = 0; k < (int)(sizeof want / sizeof want[0]); k++) {
        struct slot_pool_spec sp = ok;
        breakSpec(&sp, k);
        field = NULL;
        CHECK_EQ(slot_valid_pool_spec_field(&sp, &field), want[k].rc);
        CHECK_STR(field, want[k].field);
        CHECK_EQ(slot_valid_pool_spec(&sp), want[k].rc);
    }
}

/* ---- slot_addr: HOST:PORT ------------------------------------------------ */

static int hp(const char *s, struct slot_hostport *o, char *err, size_t n)
{
    return slot_hostport_parse(s, strlen(s), "--raft", o, err, n);
}

/* The order addresses of a name are tried in: IPv4 first, then IPv6, each
 * in the resolver's order, the skip-th after skip failed attempts; other
 * families never. And the hints every lookup asks with. */
static void test_addrinfo_pick(void)
{
    struct addrinfo a[5];
    static const int fam[5] = {AF_INET6, AF_INET, AF_UNIX, AF_INET6, AF_INET};
    memset(a, 0, sizeof a);
    for (int i = 0; i < 5; i++) {
        a[i].ai_family = fam[i];
        a[i].ai_next = i < 4 ? &a[i + 1] : NULL;
    }
    CHECK(slot_addrinfo_pick(&a[0], 0) == &a[1]);
    CHECK(slot_addrinfo_pick(&a[0], 1) == &a[4]);
    CHECK(slot_addrinfo_pick(&a[0], 2) == &a[0]);
    CHECK(slot_addrinfo_pick(&a[0], 3) == &a[3]);
    CHECK(slot_addrinfo_pick(&a[0], 4) == &a[1]); /* round again */
    CHECK(slot_addrinfo_pick(&a[2], 0) == &a[4]);
    a[2].ai_next = NULL;
    CHECK(slot_addrinfo_pick(&a[2], 0) == NULL); /* AF_UNIX only */
    CHECK(slot_addrinfo_pick(NULL, 0) == NULL);

    struct slot_hostport o;
    struct addrinfo h;
    CHECK_EQ(hp("slot-a.campus.test:7001", &o, NULL, 0), SLOT_OK);
    slot_hostport_hints(&o, AF_UNSPEC, &h);
    CHECK_EQ(h.ai_family, AF_UNSPEC);
    CHECK_EQ(h.ai_socktype, SOCK_STREAM);
    CHECK_EQ(h.ai_flags, AI_NUMERICSERV);
    CHECK_EQ(hp("10.0.0.1:7001", &o, NULL, 0), SLOT_OK);
    slot_hostport_hints(&o, AF_INET, &h);
    CHECK_EQ(h.ai_family, AF_INET);
    CHECK_EQ(h.ai_flags, AI_NUMERICSERV | AI_NUMERICHOST);
}

static void test_hostport(void)
{
    struct slot_hostport o;
    char err[200];
    CHECK_EQ(hp("127.0.0.1:7000", &o, err, sizeof err), SLOT_OK);
    CHECK_EQ(o.kind, SLOT_HOST_IPV4);
    CHECK_STR(o.host, "127.0.0.1");
    CHECK_EQ(o.port, 7000);
    CHECK_STR(o.port_text, "7000");
    CHECK_EQ(hp("[::1]:65535", &o, err, sizeof err), SLOT_OK);
    CHECK_EQ(o.kind, SLOT_HOST_IPV6);
    CHECK_STR(o.host, "::1");
    CHECK_EQ(o.port, 65535);
    CHECK_EQ(hp("localhost:1", &o, err, sizeof err), SLOT_OK);
    CHECK_EQ(o.kind, SLOT_HOST_NAME);
    CHECK_EQ(hp("slot-a.campus-1.hospital.example:7001", &o, err, sizeof err),
             SLOT_OK);
    CHECK_EQ(o.kind, SLOT_HOST_NAME);
    CHECK_STR(o.host, "slot-a.campus-1.hospital.example");
    CHECK_EQ(hp("node1.example.:7001", &o, err, sizeof err), SLOT_OK);
    CHECK_EQ(hp("3com.example:7001", &o, err, sizeof err), SLOT_OK);
    /* Only len bytes count: the rest of a comma list is not read. */
    const char *list = "a.example:1,b.example:2";
    CHECK_EQ(slot_hostport_parse(list, 11, "cluster", &o, err, sizeof err),
             SLOT_OK);
    CHECK_STR(o.host, "a.example");
    CHECK_EQ(o.port, 1);

    /* Each rule, with the field named first. */
    static const struct {
        const char *in;
        int rc;
        const char *says;
    } bad[] = {
        {"", SLOT_INVALID_ARGUMENT, "empty address"},
        {"node1", SLOT_INVALID_ARGUMENT, "no port"},
        {":7000", SLOT_INVALID_ARGUMENT, "empty host"},
        {"node1:", SLOT_INVALID_ARGUMENT, "port"},
        {"node1:0", SLOT_INVALID_ARGUMENT, "port"},
        {"node1:65536", SLOT_INVALID_ARGUMENT, "port"},
        {"node1:+80", SLOT_INVALID_ARGUMENT, "port"},
        {"node1: 80", SLOT_INVALID_ARGUMENT, "port"},
        {"node1:007000", SLOT_INVALID_ARGUMENT, "port"},
        {"::1:7000", SLOT_INVALID_ARGUMENT, "brackets"},
        {"[::1]7000", SLOT_INVALID_ARGUMENT, "[IPV6]:PORT"},
        {"[::1:7000", SLOT_INVALID_ARGUMENT, "without ']'"},
        {"[node1]:7000", SLOT_INVALID_ARGUMENT, "not an IPv6"},
        {"[]:7000", SLOT_INVALID_ARGUMENT, "empty host"},
        {"10.0.0.300:7000", SLOT_INVALID_ARGUMENT, "IPv4"},
        {"1.2.3:7000", SLOT_INVALID_ARGUMENT, "IPv4"},
        {"node_1:7000", SLOT_INVALID_ARGUMENT, "letters, digits"},
        {"node 1:7000", SLOT_INVALID_ARGUMENT, "letters, digits"},
        {"-node:7000", SLOT_INVALID_ARGUMENT, "'-'"},
        {"node-.example:7000", SLOT_INVALID_ARGUMENT, "'-'"},
        {"a..b:7000", SLOT_INVALID_ARGUMENT, "empty label"},
        {".a:7000", SLOT_INVALID_ARGUMENT, "empty label"},
        {".:7000", SLOT_INVALID_ARGUMENT, "empty label"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK_EQ(hp(bad[i].in, &o, err, sizeof err), bad[i].rc);
        CHECK(strncmp(err, "--raft '", 8) == 0);
        CHECK(strstr(err, bad[i].says) != NULL);
    }
    /* Sizes: 253 bytes of host pass, 254 do not; a label of 64 does not. */
    char big[400];
    memset(big, 'a', sizeof big);
    for (int i = 63; i < 253; i += 64) {
        big[i] = '.';
    }
    strcpy(big + 253, ":80");
    CHECK_EQ(hp(big, &o, err, sizeof err), SLOT_OK);
    CHECK_EQ(strlen(o.host), 253);
    big[253] = 'a';
    strcpy(big + 254, ":80");
    CHECK_EQ(hp(big, &o, err, sizeof err), SLOT_TOO_LARGE);
    CHECK(strstr(err, "longer than 253") != NULL);
    CHECK(strstr(err, "...") != NULL); /* the quote is cut */
    memset(big, 'a', 64);
    strcpy(big + 64, ".example:80");
    CHECK_EQ(hp(big, &o, err, sizeof err), SLOT_TOO_LARGE);
    CHECK(strstr(err, "63") != NULL);
    /* A small or absent message buffer is fine. */
    CHECK_EQ(hp("node1", &o, err, 4), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(strlen(err), 3);
    CHECK_EQ(hp("node1", &o, NULL, 0), SLOT_INVALID_ARGUMENT);
}

#define T(name)                                                                \
    static void run_##name(void)                                               \
    {                                                                          \
        setup();                                                               \
        test_##name();                                                         \
    }
T(err_names)
T(op_and_state_names)
T(kind_names)
T(cmd_round_trip)
T(cmd_fingerprint_and_stream)
T(cmd_lenient_int_encodings)
T(cmd_truncation)
T(cmd_shape)
T(cmd_unknown_op)
T(cmd_idem)
T(cmd_types)
T(cmd_session_rules)
T(cmd_config_ranges)
T(cmd_pool_ranges)
T(cmd_pool_shares)
T(valid_pool_spec_field)
T(cmd_claim_ranges)
T(cmd_strings)
T(cmd_visit_ranges)
T(cmd_visit_strings)
T(cmd_visit_shape)
T(cmd_idem_ops)
T(result)
T(read_round_trip)
T(read_validation)
T(read_pool_claims)
T(read_no_hash)
T(time)
T(rules_codec)
T(rules_visit)
T(rules_lookup)
T(rules_info)
T(reason_text)
T(sched_fields)
T(template)
T(place_status)
T(admin_status)
T(pool_status)
T(claim)
T(claim_visit)
T(staff_entry)
T(read_events)
T(event)
T(cmd_pay_method)
T(money_rows)
T(read_money)
T(ledger_info)
T(entry_round_trip)
T(entry_builder_reuse_and_padding)
T(entry_fits)
T(entry_header_and_padding)
T(entry_limits)
T(entry_payload_shape)
T(frame_round_trip)
T(frame_error)
T(node_status)
T(frame_peek)
T(frame_max_size)
T(frame_validation)
T(hostport)
T(addrinfo_pick)
#undef T

/* clang-format off */
#define C(name) {#name, run_##name}
/* clang-format on */
static const struct check_case cases[] = {
    C(err_names),
    C(op_and_state_names),
    C(kind_names),
    C(cmd_round_trip),
    C(cmd_fingerprint_and_stream),
    C(cmd_lenient_int_encodings),
    C(cmd_truncation),
    C(cmd_shape),
    C(cmd_unknown_op),
    C(cmd_idem),
    C(cmd_types),
    C(cmd_session_rules),
    C(cmd_config_ranges),
    C(cmd_pool_ranges),
    C(cmd_pool_shares),
    C(valid_pool_spec_field),
    C(cmd_claim_ranges),
    C(cmd_strings),
    C(cmd_visit_ranges),
    C(cmd_visit_strings),
    C(cmd_visit_shape),
    C(cmd_idem_ops),
    C(result),
    C(read_round_trip),
    C(read_validation),
    C(read_pool_claims),
    C(read_no_hash),
    C(time),
    C(rules_codec),
    C(rules_visit),
    C(rules_lookup),
    C(rules_info),
    C(reason_text),
    C(sched_fields),
    C(template),
    C(place_status),
    C(admin_status),
    C(pool_status),
    C(claim),
    C(claim_visit),
    C(staff_entry),
    C(read_events),
    C(event),
    C(cmd_pay_method),
    C(money_rows),
    C(read_money),
    C(ledger_info),
    C(entry_round_trip),
    C(entry_builder_reuse_and_padding),
    C(entry_fits),
    C(entry_header_and_padding),
    C(entry_limits),
    C(entry_payload_shape),
    C(frame_round_trip),
    C(frame_error),
    C(node_status),
    C(frame_peek),
    C(frame_max_size),
    C(frame_validation),
    C(hostport),
    C(addrinfo_pick),
    {NULL, NULL},
};
#undef C

int main(int argc, char **argv)
{
    return check_main(cases, argc, argv);
}
