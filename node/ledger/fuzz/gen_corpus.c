/* gen_corpus: writes the fuzzers' seed corpora (make corpus).
 *
 *   gen_corpus PROTO_DIR LEDGER_DIR
 *
 * writes PROTO_DIR/<fuzzer>/<name> for the wire decoders' fuzzers
 * (proto/fuzz: fuzz_cmd, fuzz_frame, fuzz_read, fuzz_sched, fuzz_admin) and
 * LEDGER_DIR/<fuzzer>/
 * <name> for the ledger's (node/ledger/fuzz: fuzz_entry, fuzz_snapshot).
 *
 * Seeds are valid encodings of every message, so the fuzzers start from the
 * interesting side of each decoder instead of having to discover msgpack.
 * Entry seeds are small, self-contained scenarios that succeed on a fresh
 * ledger (the first SESSION_OPEN gets session 1); snapshot and reply seeds
 * come from a real ledger that ran those scenarios. The output is
 * deterministic: running it again rewrites the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ledger.h"
#include "slot_admin.h"
#include "slot_proto.h"
#include "slot_time.h"

#define T0   1714550400000ull /* 2024-05-01 08:00 UTC: 16:00 in Beijing */
#define POOL "h1/cardio/dr-li/2024-05-08:am"

static const char *protoDir, *ledgerDir;

/* The ledger's fuzzers keep their seeds beside them; the wire decoders'
 * seeds come from here too, because the reply seeds need a real ledger. */
static const char *dirOf(const char *fuzzer)
{
    return strcmp(fuzzer, "fuzz_entry") == 0 ||
                   strcmp(fuzzer, "fuzz_snapshot") == 0
               ? ledgerDir
               : protoDir;
}

static void mkdirOk(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
}

static void writeSeed(const char *fuzzer, const char *name, const void *p,
                      size_t n)
{
    char path[512];
    const char *outDir = dirOf(fuzzer);
    snprintf(path, sizeof path, "%s/%s", outDir, fuzzer);
    mkdirOk(outDir);
    mkdirOk(path);
    snprintf(path, sizeof path, "%s/%s/%s", outDir, fuzzer, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void writeBuf(const char *fuzzer, const char *name, struct mp_buf *b)
{
    writeSeed(fuzzer, name, b->data, b->len);
    mp_buf_reset(b);
}

/* ---- command builders ---------------------------------------------------- */

static struct slot_str S(const char *s) {
    return (struct slot_str){s, (uint32_t)strlen(s)};
}

static struct slot_cmd
cmd(uint8_t op, uint64_t seq)
{
    struct slot_cmd c;
    memset(&c, 0, sizeof c);
    c.op = op;
    bool anon = op == SLOT_OP_SESSION_OPEN || op == SLOT_OP_EXPIRE ||
                op == SLOT_OP_SWEEP;
    c.session = anon ? 0 : 1;
    c.seq = anon ? 0 : seq;
    return c;
}

static struct slot_cmd open_(void)
{
    return cmd(SLOT_OP_SESSION_OPEN, 0);
}

static struct slot_cmd config(uint64_t seq, uint32_t ttlMin, uint32_t ttlMax)
{
    struct slot_cmd c = cmd(SLOT_OP_CONFIG, seq);
    c.u.config = (struct slot_config){ttlMin,   ttlMax, 1000,       3600000,
                                      86400000, 100000, .v3 = false};
    return c;
}

/* A pool with a 114 share and an app share (or none if capacity < 3). */
static struct slot_cmd pool(uint8_t op, uint64_t seq, const char *id,
                            uint32_t capacity, uint64_t releaseAt)
{
    struct slot_cmd c = cmd(op, seq);
    struct slot_pool_spec *s = &c.u.pool;
    s->pool = S(id);
    s->capacity = capacity;
    s->kind = SLOT_KIND_EXPERT;
    s->fee_cents = 5000;
    s->seg_start_ms = T0 + 7 * 86400000ull;
    s->seg_end_ms = s->seg_start_ms + 4 * 3600000ull;
    s->release_at_ms = releaseAt;
    if (capacity >= 3) {
        s->n_shares = 2;
        s->shares[0] = (struct slot_share){S("114"), capacity / 3};
        s->shares[1] = (struct slot_share){S("app"), capacity / 3};
    }
    return c;
}

static struct slot_cmd closePool(uint64_t seq, const char *id)
{
    struct slot_cmd c = cmd(SLOT_OP_POOL_CLOSE, seq);
    c.u.close.pool = S(id);
    return c;
}

static struct slot_cmd hold(uint64_t seq, const char *patient,
                            const char *channel, uint32_t ttl)
{
    struct slot_cmd c = cmd(SLOT_OP_HOLD, seq);
    c.u.hold.pool = S(POOL);
    c.u.hold.patient = S(patient);
    c.u.hold.channel = S(channel);
    c.u.hold.ttl_ms = ttl;
    return c;
}

static struct slot_cmd confirm(uint64_t seq, uint64_t id, const char *ref)
{
    struct slot_cmd c = cmd(SLOT_OP_CONFIRM, seq);
    c.u.claim.id = id;
    c.u.claim.payment_ref = S(ref);
    return c;
}

static struct slot_cmd byId(uint8_t op, uint64_t seq, uint64_t id)
{
    struct slot_cmd c = cmd(op, seq);
    if (op == SLOT_OP_RELEASE) {
        c.u.claim.id = id;
    } else {
        c.u.claim.id = id;
    }
    return c;
}

static struct slot_cmd expire(uint32_t max)
{
    struct slot_cmd c = cmd(SLOT_OP_EXPIRE, 0);
    c.u.expire.max = max;
    return c;
}

/* ---- schedules: a Beijing hospital's rules, its pools, an import ---------- */

#define HOSPITAL "pumch"
#define VDAY     19851u /* 2024-05-08, local; T0 is 2024-05-01 08:00 */
#define SPOOL    "pumch/east/cardio/dr-li/20240508/0800"

static struct slot_rules beijingRules(void)
{
    struct slot_rules r;
    slot_rules_default(&r);
    r.utc_offset_min = 480;
    r.release_minute = 480; /* 08:00 of VDAY - 7: T0 is later that day */
    r.horizon_days = 7;
    r.cutoff_minute = 900;
    r.pay_ttl_ms = 300000;
    r.flowback_days_before = 1;
    r.flowback_minute = 900;
    r.n_groups = 1;
    strcpy(r.groups[0].name, "online");
    r.groups[0].n = 2;
    strcpy(r.groups[0].channels[0], "app");
    strcpy(r.groups[0].channels[1], "wechat");
    r.n_policies = 1;
    r.policies[0] = (struct slot_policy){"window", 0, false, true};
    r.n_elig = 1;
    r.elig[0].kind = SLOT_KIND_SPECIAL;
    r.elig[0].n = 1;
    strcpy(r.elig[0].names[0], "window");
    return r;
}

/* Buffers the commands below point into: they live as long as gen_corpus. */
static struct mp_buf rulesBuf, daysBuf, segsBuf;

static struct slot_cmd rulesSet(uint64_t seq, const char *department)
{
    struct slot_rules r = beijingRules();
    if (rulesBuf.data == NULL) {
        mp_buf_init(&rulesBuf);
        slot_rules_encode(&rulesBuf, &r);
    }
    struct slot_cmd c = cmd(SLOT_OP_RULES_SET, seq);
    c.u.rules.hospital = S(HOSPITAL);
    c.u.rules.department = S(department);
    c.u.rules.operator_name = S("ops@pumch");
    c.u.rules.reason = S("09:00 release, 15:00 cut-off");
    c.u.rules.rules =
        (struct slot_str){(const char *)rulesBuf.data, (uint32_t)rulesBuf.len};
    return c;
}

static struct slot_template templateOf(void)
{
    static const uint32_t days[] = {VDAY, VDAY + 1};
    static const struct slot_segment segs[] = {{480, 510, 10}, {510, 540, 10}};
    if (daysBuf.data == NULL) {
        mp_buf_init(&daysBuf);
        mp_buf_init(&segsBuf);
        slot_days_pack(&daysBuf, days, 2);
        slot_segments_pack(&segsBuf, segs, 2);
    }
    struct slot_template t;
    memset(&t, 0, sizeof t);
    t.id_prefix = S("pumch/east/cardio/dr-li");
    t.sched.hospital = S(HOSPITAL);
    t.sched.campus = S("east");
    t.sched.department = S("cardio");
    t.sched.doctor = S("dr-li");
    t.sched.pay_mode = SLOT_PAY_AT_VISIT;
    t.kind = SLOT_KIND_EXPERT;
    t.fee_cents = 10000;
    t.n_shares = 2;
    t.shares[0] = (struct slot_tshare){S("114"), 300};
    t.shares[1] = (struct slot_tshare){S("online"), 600};
    t.sched.n_rem_allow = 1;
    t.sched.rem_allow[0] = S("window");
    t.n_days = 2;
    t.days =
        (struct slot_str){(const char *)daysBuf.data, (uint32_t)daysBuf.len};
    t.n_segments = 2;
    t.segments =
        (struct slot_str){(const char *)segsBuf.data, (uint32_t)segsBuf.len};
    return t;
}

static struct slot_cmd importSchedule(uint64_t seq)
{
    struct slot_cmd c = cmd(SLOT_OP_SCHEDULE_IMPORT, seq);
    c.u.import = templateOf();
    return c;
}

/* A scheduled pool of its own: special clinic, window only, pay online. */
static struct slot_cmd schedPool(uint64_t seq)
{
    struct slot_cmd c =
        pool(SLOT_OP_POOL_CREATE, seq, "pumch/east/derm/s1", 6, 0);
    c.u.pool.kind = SLOT_KIND_SPECIAL;
    c.u.pool.seg_start_ms = slot_utc_ms_of(VDAY, 780, 480);
    c.u.pool.seg_end_ms = slot_utc_ms_of(VDAY, 840, 480);
    c.u.pool.has_sched = true;
    c.u.pool.sched.hospital = S(HOSPITAL);
    c.u.pool.sched.campus = S("east");
    c.u.pool.sched.department = S("derm");
    c.u.pool.sched.visit_day = VDAY;
    return c;
}

static struct slot_cmd holdIn(uint64_t seq, const char *pool_id,
                              const char *patient, const char *channel,
                              uint32_t ttl)
{
    struct slot_cmd c = hold(seq, patient, channel, ttl);
    c.u.hold.pool = S(pool_id);
    return c;
}

/* ---- the patient rules: quotas, accounts, ownership, blacklist,
 *      cool-down, waitlist ------------------------------------------------ */

#define QPOOL "pumch/east/cardio/q1"
#define ACCT  "acct:wx-0001"

static struct mp_buf prulesBuf;

static struct slot_cmd rulesSetPatients(uint64_t seq)
{
    struct slot_rules r = beijingRules();
    r.patient.quota_day_normal = 3;
    r.patient.quota_day_expert = 2;
    r.patient.quota_dept_expert = 1;
    r.patient.quota_month_normal = 12;
    r.patient.quota_month_expert = 4;
    r.patient.cancel_days_before = 1;
    r.patient.cancel_minute = 900;
    r.patient.cancel_same_day = true;
    r.patient.cancel_limit_day = 3;
    r.patient.violation_threshold = 3;
    r.patient.violation_window_days = 90;
    r.patient.blacklist_days = 90;
    strcpy(r.patient.blacklist_exempt, "window");
    r.patient.unpaid_is_violation = true;
    r.patient.cooldown_min_ms = 120000;
    r.patient.cooldown_max_ms = 600000;
    strcpy(r.patient.account_channels, "app");
    if (prulesBuf.data == NULL) {
        mp_buf_init(&prulesBuf);
        slot_rules_encode(&prulesBuf, &r);
    }
    struct slot_cmd c = rulesSet(seq, "");
    c.u.rules.rules = (struct slot_str){(const char *)prulesBuf.data,
                                        (uint32_t)prulesBuf.len};
    return c;
}

/* A normal clinic of one slot: the waitlist's case. */
static struct slot_cmd onePool(uint64_t seq)
{
    struct slot_cmd c = schedPool(seq);
    c.u.pool.pool = S(QPOOL);
    c.u.pool.capacity = 1;
    c.u.pool.n_shares = 0;
    c.u.pool.kind = SLOT_KIND_NORMAL;
    c.u.pool.sched.department = S("cardio");
    return c;
}

static struct slot_cmd bindCmd(uint64_t seq, const char *patient)
{
    struct slot_cmd c = cmd(SLOT_OP_ACCOUNT_BIND, seq);
    c.u.bind.account = S(ACCT);
    c.u.bind.patient = S(patient);
    return c;
}

static struct slot_cmd holdAcct(uint64_t seq, const char *patient)
{
    struct slot_cmd c = holdIn(seq, QPOOL, patient, "app", 0);
    c.u.hold.account = S(ACCT);
    return c;
}

static struct slot_cmd claimAs(uint8_t op, uint64_t seq, uint64_t id,
                               const char *caller)
{
    struct slot_cmd c =
        op == SLOT_OP_CONFIRM ? confirm(seq, id, "wx:42") : byId(op, seq, id);
    c.u.claim.caller = S(caller);
    c.u.claim.account = S(ACCT);
    return c;
}

static struct slot_cmd staffCmd(uint8_t op, uint64_t seq, const char *patient)
{
    struct slot_cmd c = cmd(op, seq);
    c.u.staff.hospital = S(HOSPITAL);
    c.u.staff.patient = S(patient);
    c.u.staff.kind = op == SLOT_OP_VIOLATION ? SLOT_VIOLATION_NO_SHOW : 0;
    c.u.staff.operator_name = S("nurse@pumch");
    c.u.staff.reason = S("no show at 08:00");
    return c;
}

static struct slot_cmd waitCmd(uint8_t op, uint64_t seq, const char *patient)
{
    struct slot_cmd c = cmd(op, seq);
    c.u.wait.pool = S(QPOOL);
    c.u.wait.patient = S(patient);
    c.u.wait.channel = S("wechat");
    return c;
}

static struct slot_cmd sweep(uint32_t max)
{
    struct slot_cmd c = cmd(SLOT_OP_SWEEP, 0);
    c.u.expire.max = max;
    return c;
}

/* ---- the visit day: check-in, a doctor's stoppage, moves, refunds,
 *      no-shows (protocol 4) --------------------------------------------- */

#define TDAY  19844u /* 2024-05-01, local: T0's own day (T0 is 16:00 there) */
#define VPOOL "pumch/east/cardio/v1"
#define WPOOL "pumch/east/cardio/v2"

static struct mp_buf vrulesBuf;

/* Same-day clinics (no cut-off), check-in from an hour before the segment
 * to a quarter of an hour before its end, no-shows swept; three no-shows
 * blacklist. */
static struct slot_rules visitRules(void)
{
    struct slot_rules r = beijingRules();
    r.cutoff_minute = SLOT_MINUTE_NONE;
    r.patient.violation_threshold = 3;
    r.patient.violation_window_days = 90;
    r.visit.checkin_before_ms = 3600000;
    r.visit.checkin_late_ms = 900000;
    r.visit.noshow_sweep = true;
    return r;
}

static struct slot_cmd rulesSetVisit(uint64_t seq)
{
    struct slot_rules r = visitRules();
    if (vrulesBuf.data == NULL) {
        mp_buf_init(&vrulesBuf);
        slot_rules_encode(&vrulesBuf, &r);
    }
    struct slot_cmd c = rulesSet(seq, "");
    c.u.rules.rules = (struct slot_str){(const char *)vrulesBuf.data,
                                        (uint32_t)vrulesBuf.len};
    return c;
}

/* A normal cardiology clinic of T0's day, paid at the visit, from local
 * minute `start` for three hours. */
static struct slot_cmd todayPool(uint64_t seq, const char *id, uint32_t start)
{
    struct slot_cmd c = onePool(seq);
    c.u.pool.pool = S(id);
    c.u.pool.capacity = 4;
    c.u.pool.seg_start_ms = slot_utc_ms_of(TDAY, start, 480);
    c.u.pool.seg_end_ms = slot_utc_ms_of(TDAY, start + 180, 480);
    c.u.pool.sched.visit_day = TDAY;
    c.u.pool.sched.pay_mode = SLOT_PAY_AT_VISIT;
    return c;
}

static struct slot_cmd stopCmd(uint64_t seq, const char *id)
{
    struct slot_cmd c = cmd(SLOT_OP_POOL_STOP, seq);
    c.u.stop.pool = S(id);
    c.u.stop.operator_name = S("ops@pumch");
    c.u.stop.reason = S("dr-li called in sick");
    return c;
}

static struct slot_cmd moveCmd(uint64_t seq, uint64_t id, const char *to)
{
    struct slot_cmd c = cmd(SLOT_OP_MOVE, seq);
    c.u.claim.id = id;
    c.u.claim.pool = S(to);
    return c;
}

static struct slot_cmd checkinCmd(uint64_t seq, uint64_t id,
                                  const char *patient, const char *ref)
{
    struct slot_cmd c = cmd(SLOT_OP_CHECKIN, seq);
    c.u.claim.id = id;
    c.u.claim.patient = S(patient);
    c.u.claim.payment_ref = S(ref);
    return c;
}

/* Protocol 5: how the reference was paid. */
static struct slot_cmd withMethod(struct slot_cmd c, const char *method)
{
    c.u.claim.pay_method = S(method);
    return c;
}

/* ---- scenarios ----------------------------------------------------------- */

#define PA           "pk:9f86d081884c7d65"
#define PB           "pk:2c26b46b68ffc68f"
#define PC           "pk:fcde2b2edba56bf4"
#define SCENARIO_MAX 16

struct scenario {
    const char *name;
    uint32_t n;
    struct slot_cmd c[SCENARIO_MAX];
};

static struct scenario scenarios[16];
static size_t nScenarios;

/* The ledger tells requests apart by fingerprint, which only the decoder
 * sets: give each command the one its encoding would get. */
static void add(const char *name, uint32_t n, const struct slot_cmd *c)
{
    struct scenario *s = &scenarios[nScenarios++];
    struct mp_buf b;
    mp_buf_init(&b);
    s->name = name;
    s->n = n;
    memcpy(s->c, c, n * sizeof *c);
    for (uint32_t i = 0; i < n; i++) {
        mp_buf_reset(&b);
        slot_cmd_encode(&b, &s->c[i]);
        s->c[i].fingerprint = slot_hash64(b.data, b.len, 0);
    }
    mp_buf_free(&b);
}

#define ADD(name, ...)                                                         \
    do {                                                                       \
        const struct slot_cmd c_[] = {__VA_ARGS__};                            \
        add((name), (uint32_t)(sizeof c_ / sizeof *c_), c_);                   \
    } while (0)

static void initScenarios(void)
{
    ADD("booking-flow", open_(), pool(SLOT_OP_POOL_CREATE, 1, POOL, 30, T0),
        hold(2, PA, "app", 300000), hold(3, PB, "wechat", 300000),
        hold(4, PC, "114", 300000), confirm(5, 1, "wx:4200001234"),
        byId(SLOT_OP_RELEASE, 6, 2), byId(SLOT_OP_CANCEL, 7, 1), expire(16));
    ADD("config-update-close", open_(), config(1, 1000, 600000),
        pool(SLOT_OP_POOL_CREATE, 2, POOL, 9, T0), hold(3, PA, "kiosk", 60000),
        pool(SLOT_OP_POOL_UPDATE, 4, POOL, 12, T0), closePool(5, POOL),
        hold(6, PB, "app", 60000), confirm(7, 1, "bank-ref.77"));
    ADD("sold-out", open_(), pool(SLOT_OP_POOL_CREATE, 1, POOL, 1, T0),
        hold(2, PA, "app", 300000), hold(3, PB, "app", 300000),
        hold(4, PA, "wechat", 300000));
    ADD("retry-and-mismatch", open_(),
        pool(SLOT_OP_POOL_CREATE, 1, POOL, 3, T0), hold(2, PA, "114", 300000),
        hold(2, PA, "114", 300000), hold(2, PB, "114", 300000),
        confirm(3, 1, "x"), confirm(3, 1, "x"), confirm(4, 1, "y"));
    ADD("not-released-and-ttl", open_(),
        pool(SLOT_OP_POOL_CREATE, 1, POOL, 6, T0 + 3600000),
        hold(2, PA, "app", 300000), config(3, 2000, 5000),
        hold(4, PA, "app", 1000), hold(5, PA, "app", 999999));
    ADD("short-holds", open_(), config(1, 1000, 5000),
        pool(SLOT_OP_POOL_CREATE, 2, POOL, 4, T0), hold(3, PA, "app", 1000),
        hold(4, PB, "window", 5000), expire(4096));
    ADD("unknown-ids", open_(), confirm(1, 99, "r"),
        byId(SLOT_OP_RELEASE, 2, 7), byId(SLOT_OP_CANCEL, 3, 5),
        closePool(4, "nope"));
    struct slot_cmd noSession = hold(1, PA, "app", 1000);
    noSession.session = 42;
    ADD("no-session", noSession, open_(), open_(), open_(), expire(1));
    /* A hospital's schedule: its rules, a week imported twice (the second
     * changes nothing), a special clinic, holds by group, pay at the visit,
     * refusals of each date rule, a sweep before anything is due. */
    ADD("schedule", open_(), rulesSet(1, ""), rulesSet(2, "derm"),
        importSchedule(3), importSchedule(4), schedPool(5),
        holdIn(6, SPOOL, PA, "wechat", 0), holdIn(7, SPOOL, PB, "114", 0),
        confirm(8, 1, ""), holdIn(9, "pumch/east/derm/s1", PC, "app", 0),
        holdIn(10, "pumch/east/cardio/dr-li/20240509/0800", PC, "app", 0),
        holdIn(11, "pumch/east/derm/s1", PC, "window", 0), sweep(64));
    /* The patient rules: an account books its patient through the app,
     * another channel of the account confirms, a wechat patient waits, the
     * cancel offers the slot; three no-shows blacklist, an exception and an
     * unblock. */
    ADD("patients", open_(), rulesSetPatients(1), onePool(2), bindCmd(3, PA),
        holdAcct(4, PA), claimAs(SLOT_OP_CONFIRM, 5, 1, "wechat"),
        waitCmd(SLOT_OP_WAITLIST_JOIN, 6, PB),
        claimAs(SLOT_OP_CANCEL, 7, 1, "wechat"),
        staffCmd(SLOT_OP_VIOLATION, 8, PC), staffCmd(SLOT_OP_VIOLATION, 9, PC),
        staffCmd(SLOT_OP_VIOLATION, 10, PC), holdIn(11, QPOOL, PC, "wechat", 0),
        staffCmd(SLOT_OP_EXCEPTION, 12, PC), staffCmd(SLOT_OP_UNBLOCK, 13, PC),
        waitCmd(SLOT_OP_WAITLIST_LEAVE, 14, PB), sweep(64));
    /* The visit day: two clinics of one department today; A books paid,
     * B at the visit, C holds; A checks in, C tries B's booking; the
     * doctor stops; B is moved to the other clinic, A refunded, C's hold
     * can no longer be paid; B checks in there and pays. */
    ADD("visit", open_(), rulesSetVisit(1), todayPool(2, VPOOL, 990),
        todayPool(3, WPOOL, 1020), holdIn(4, VPOOL, PA, "app", 0),
        withMethod(confirm(5, 1, "wx:1"), "wechat"),
        holdIn(6, VPOOL, PB, "wechat", 0), confirm(7, 2, ""),
        holdIn(8, VPOOL, PC, "114", 0), checkinCmd(9, 1, PA, ""),
        checkinCmd(10, 2, PC, ""), stopCmd(11, VPOOL), moveCmd(12, 2, WPOOL),
        byId(SLOT_OP_CANCEL, 13, 1), confirm(14, 3, "wx:3"),
        withMethod(checkinCmd(15, 4, PB, "cash:2"), "cash"));
}

/* The index of the scenario of that name. */
static size_t scenarioIndex(const char *name)
{
    for (size_t i = 0; i < nScenarios; i++) {
        if (strcmp(scenarios[i].name, name) == 0) {
            return i;
        }
    }
    fprintf(stderr, "no scenario %s\n", name);
    exit(1);
}

/* ---- per-fuzzer seeds ---------------------------------------------------- */

static void cmdSeeds(void)
{
    struct mp_buf b;
    char name[64];
    mp_buf_init(&b);
    bool seen[SLOT_OP_MAX + 1] = {false};
    for (size_t i = 0; i < nScenarios; i++) {
        for (uint32_t k = 0; k < scenarios[i].n; k++) {
            const struct slot_cmd *c = &scenarios[i].c[k];
            if (!seen[c->op]) {
                seen[c->op] = true;
                slot_cmd_encode(&b, c);
                snprintf(name, sizeof name, "cmd-%s", slot_op_name(c->op));
                writeBuf("fuzz_cmd", name, &b);
            }
        }
    }
    /* Two commands back to back (the stream decode), and results. */
    struct slot_cmd two[2] = {hold(1, PA, "app", 1), expire(2)};
    slot_cmd_encode(&b, &two[0]);
    slot_cmd_encode(&b, &two[1]);
    writeBuf("fuzz_cmd", "cmd-stream", &b);
    struct slot_result r = {SLOT_OK, 17, T0 + 300000, T0};
    slot_result_encode(&b, &r);
    writeBuf("fuzz_cmd", "result-ok", &b);
    r = (struct slot_result){SLOT_SOLD_OUT, 0, 0, UINT32_MAX + 1ull};
    slot_result_encode(&b, &r);
    writeBuf("fuzz_cmd", "result-sold-out", &b);
    mp_buf_free(&b);
}

static void *entryOf(uint64_t stamp, const struct scenario *s, size_t *len)
{
    struct slot_entry_builder e;
    struct mp_buf b;
    mp_buf_init(&b);
    slot_entry_begin(&e, stamp, stamp + 1);
    for (uint32_t i = 0; i < s->n; i++) {
        mp_buf_reset(&b);
        slot_cmd_encode(&b, &s->c[i]);
        slot_entry_add(&e, b.data, b.len);
    }
    mp_buf_free(&b);
    void *p = slot_entry_finish(&e, len);
    slot_entry_builder_free(&e);
    return p;
}

static void entrySeeds(void)
{
    char name[64];
    for (size_t i = 0; i < nScenarios; i++) {
        size_t len;
        void *p = entryOf(T0 + i, &scenarios[i], &len);
        snprintf(name, sizeof name, "entry-%s", scenarios[i].name);
        writeSeed("fuzz_entry", name, p, len);
        free(p);
    }
    struct scenario empty = {"empty", 0, {{0}}};
    size_t len;
    void *p = entryOf(0, &empty, &len);
    writeSeed("fuzz_entry", "entry-empty", p, len);
    free(p);
}

/* Runs scenarios on a ledger; prints each result so a scenario that no
 * longer does what its name says is noticed. */
static struct ledger *ledgerAfter(const size_t *which, size_t n, bool verbose)
{
    struct ledger *l = ledger_create();
    struct slot_result res[SCENARIO_MAX];
    for (size_t i = 0; i < n; i++) {
        const struct scenario *s = &scenarios[which[i]];
        ledger_apply(l, T0 + 1000 * i, s->c, s->n, res);
        for (uint32_t k = 0; verbose && k < s->n; k++) {
            printf("%-22s %-13s -> %s\n", s->name, slot_op_name(s->c[k].op),
                   slot_err_name(res[k].code));
        }
    }
    return l;
}

static void snapshotSeed(const char *name, struct ledger *l)
{
    struct mp_buf b;
    mp_buf_init(&b);
    ledger_snapshot(l, &b);
    writeBuf("fuzz_snapshot", name, &b);
    mp_buf_free(&b);
}

static void snapshotSeeds(void)
{
    char name[64];
    struct ledger *l = ledger_create();
    snapshotSeed("snap-empty", l);
    ledger_destroy(l);
    for (size_t i = 0; i < nScenarios; i++) {
        l = ledgerAfter(&i, 1, true);
        snprintf(name, sizeof name, "snap-%s", scenarios[i].name);
        snapshotSeed(name, l);
        ledger_destroy(l);
    }
    /* Later in time: the last hold expired, all three claims retained. */
    static const size_t flow[] = {0};
    l = ledgerAfter(flow, 1, false);
    struct slot_cmd e = expire(4096);
    struct slot_result r;
    ledger_apply(l, T0 + 3600000, &e, 1, &r);
    snapshotSeed("snap-expired-retained", l);
    ledger_destroy(l);
}

static void readSeed(struct ledger *l, const char *name, struct slot_read rd)
{
    struct mp_buf b;
    mp_buf_init(&b);
    slot_read_encode(&b, &rd);
    char n[64];
    snprintf(n, sizeof n, "read-%s", name);
    writeBuf("fuzz_read", n, &b);
    if (ledger_read(l, &rd, &b) == SLOT_OK) {
        snprintf(n, sizeof n, "reply-%s", name);
        writeBuf("fuzz_read", n, &b);
    }
    mp_buf_free(&b);
}

static void readSeeds(void)
{
    static const size_t flow[] = {0};
    struct ledger *l = ledgerAfter(flow, 1, false);
    readSeed(l, "pool",
             (struct slot_read){.op = SLOT_READ_POOL, .pool = S(POOL)});
    readSeed(l, "hold", (struct slot_read){.op = SLOT_READ_HOLD, .id = 3});
    readSeed(l, "booking",
             (struct slot_read){.op = SLOT_READ_BOOKING, .id = 1});
    readSeed(l, "patient",
             (struct slot_read){
                 .op = SLOT_READ_PATIENT, .pool = S(POOL), .patient = S(PC)});
    readSeed(
        l, "pools",
        (struct slot_read){.op = SLOT_READ_POOLS, .pool = S(""), .limit = 10});
    readSeed(l, "ledger", (struct slot_read){.op = SLOT_READ_LEDGER});
    readSeed(l, "ledger-no-hash",
             (struct slot_read){.op = SLOT_READ_LEDGER, .no_hash = true});
    readSeed(
        l, "events", /* the event feed (protocol 4), from the start */
        (struct slot_read){.op = SLOT_READ_EVENTS, .after_id = 0, .limit = 10});
    ledger_destroy(l);
    /* An empty feed: first = last + 1 = 1, last = 0. */
    l = ledger_create();
    readSeed(
        l, "events-empty",
        (struct slot_read){.op = SLOT_READ_EVENTS, .after_id = 0, .limit = 10});
    ledger_destroy(l);
    size_t sched = scenarioIndex("schedule");
    l = ledgerAfter(&sched, 1, false);
    readSeed(l, "query",
             (struct slot_read){.op = SLOT_READ_QUERY,
                                .hospital = S(HOSPITAL),
                                .department = S("cardio"),
                                .doctor = S(""),
                                .date_from = VDAY,
                                .kind = SLOT_KIND_ANY,
                                .pool = S(""),
                                .limit = 10});
    readSeed(l, "rules",
             (struct slot_read){.op = SLOT_READ_RULES,
                                .hospital = S(HOSPITAL),
                                .department = S("derm")});
    readSeed(l, "rules-log",
             (struct slot_read){.op = SLOT_READ_RULES_LOG,
                                .hospital = S(HOSPITAL),
                                .limit = 10});
    readSeed(l, "schedule-check",
             (struct slot_read){.op = SLOT_READ_SCHEDULE_CHECK,
                                .tpl = templateOf()});
    readSeed(l, "sched-pool",
             (struct slot_read){.op = SLOT_READ_POOL, .pool = S(SPOOL)});
    readSeed(l, "sched-booking",
             (struct slot_read){.op = SLOT_READ_BOOKING, .id = 1});
    ledger_destroy(l);
    size_t pats = scenarioIndex("patients");
    l = ledgerAfter(&pats, 1, false);
    readSeed(
        l, "patient-info",
        (struct slot_read){.op = SLOT_READ_PATIENT_INFO, .patient = S(PC)});
    readSeed(l, "account",
             (struct slot_read){.op = SLOT_READ_ACCOUNT, .account = S(ACCT)});
    readSeed(l, "staff-log",
             (struct slot_read){.op = SLOT_READ_STAFF_LOG, .limit = 10});
    readSeed(l, "waitlist",
             (struct slot_read){
                 .op = SLOT_READ_WAITLIST, .pool = S(QPOOL), .patient = S(PB)});
    readSeed(l, "q-pool",
             (struct slot_read){.op = SLOT_READ_POOL, .pool = S(QPOOL)});
    ledger_destroy(l);
    /* The visit day, later: C books the other clinic at 16:30 and does
     * not come; the sweep at 20:15 marks the no-show. */
    size_t visit = scenarioIndex("visit");
    l = ledgerAfter(&visit, 1, false);
    const struct slot_cmd later[] = {holdIn(16, WPOOL, PC, "114", 0),
                                     confirm(17, 5, "")};
    struct slot_cmd sealed[2];
    struct mp_buf fb;
    mp_buf_init(&fb);
    for (int i = 0; i < 2; i++) {
        sealed[i] = later[i];
        mp_buf_reset(&fb);
        slot_cmd_encode(&fb, &sealed[i]);
        sealed[i].fingerprint = slot_hash64(fb.data, fb.len, 0);
    }
    mp_buf_free(&fb);
    struct slot_result res[2];
    ledger_apply(l, slot_utc_ms_of(TDAY, 990, 480), sealed, 2, res);
    printf("%-22s %-13s -> %s\n%-22s %-13s -> %s\n", "visit (16:30)", "HOLD",
           slot_err_name(res[0].code), "visit (16:30)", "CONFIRM",
           slot_err_name(res[1].code));
    struct slot_cmd sw = sweep(64);
    ledger_apply(l, slot_utc_ms_of(TDAY, 1215, 480), &sw, 1, res);
    printf("%-22s %-13s -> %s a=%llu\n", "visit (20:15)", "SWEEP",
           slot_err_name(res[0].code), (unsigned long long)res[0].a);
    readSeed(l, "pool-claims",
             (struct slot_read){.op = SLOT_READ_POOL_CLAIMS,
                                .pool = S(VPOOL),
                                .after_id = 0,
                                .limit = 10});
    readSeed(l, "visit-moved",
             (struct slot_read){.op = SLOT_READ_BOOKING, .id = 2});
    readSeed(l, "visit-checked-in",
             (struct slot_read){.op = SLOT_READ_BOOKING, .id = 4});
    readSeed(l, "visit-no-show",
             (struct slot_read){.op = SLOT_READ_BOOKING, .id = 5});
    readSeed(l, "visit-stopped-pool",
             (struct slot_read){.op = SLOT_READ_POOL, .pool = S(VPOOL)});
    readSeed(l, "visit-staff-log",
             (struct slot_read){.op = SLOT_READ_STAFF_LOG, .limit = 10});
    readSeed(
        l, "visit-patient-info",
        (struct slot_read){.op = SLOT_READ_PATIENT_INFO, .patient = S(PB)});
    /* The visit day's feed: every kind of claim event, a page from the
     * middle, one event, and a cursor past the newest. */
    readSeed(l, "visit-events",
             (struct slot_read){.op = SLOT_READ_EVENTS,
                                .after_id = 0,
                                .limit = SLOT_LIST_MAX});
    readSeed(
        l, "visit-events-page",
        (struct slot_read){.op = SLOT_READ_EVENTS, .after_id = 5, .limit = 3});
    readSeed(
        l, "visit-events-one",
        (struct slot_read){.op = SLOT_READ_EVENTS, .after_id = 1, .limit = 1});
    readSeed(l, "visit-events-end",
             (struct slot_read){
                 .op = SLOT_READ_EVENTS, .after_id = 1000, .limit = 10});
    /* Protocol 5: the day's reconciliation counters (the paid booking,
     * its refund, the move, the desk payment, the no-show) and the
     * clinics' statistics. */
    readSeed(l, "visit-recon",
             (struct slot_read){.op = SLOT_READ_RECON,
                                .day = TDAY,
                                .hospital = S(""),
                                .channel = S(""),
                                .limit = 10});
    readSeed(l, "visit-recon-page",
             (struct slot_read){.op = SLOT_READ_RECON,
                                .day = TDAY,
                                .hospital = S(HOSPITAL),
                                .channel = S("wechat"),
                                .after_id = 1,
                                .limit = 1});
    readSeed(l, "visit-stats",
             (struct slot_read){.op = SLOT_READ_STATS,
                                .hospital = S(""),
                                .date_from = TDAY - 1,
                                .date_to = TDAY + 1,
                                .limit = 10});
    /* Two days on, an EXPIRE's housekeeping drops the oldest events
     * (LEDGER_EVENTS_RETAIN_MS): a cursor at 0 is behind first. */
    struct slot_cmd ex = expire(64);
    ledger_apply(l, slot_utc_ms_of(TDAY + 2, 600, 480), &ex, 1, res);
    readSeed(
        l, "events-behind",
        (struct slot_read){.op = SLOT_READ_EVENTS, .after_id = 0, .limit = 10});
    ledger_destroy(l);
}

/* fuzz_sched: the schedule messages on their own (rule set, a pool's
 * schedule fields, a template, rules info). */
static void schedSeeds(void)
{
    struct mp_buf b;
    mp_buf_init(&b);
    struct slot_rules r = beijingRules();
    slot_rules_encode(&b, &r);
    writeBuf("fuzz_sched", "rules-beijing", &b);
    slot_rules_default(&r);
    slot_rules_encode(&b, &r);
    writeBuf("fuzz_sched", "rules-default", &b);
    r = visitRules();
    slot_rules_encode(&b, &r);
    writeBuf("fuzz_sched", "rules-visit", &b);
    struct slot_cmd p = schedPool(1);
    slot_sched_encode(&b, &p.u.pool.sched);
    writeBuf("fuzz_sched", "sched-pool", &b);
    struct slot_template t = templateOf();
    slot_template_encode(&b, &t);
    writeBuf("fuzz_sched", "template", &b);
    struct slot_rules_info info;
    memset(&info, 0, sizeof info);
    info.version = 3;
    strcpy(info.department, "derm");
    info.changed_at_ms = T0;
    strcpy(info.operator_name, "ops@pumch");
    strcpy(info.reason, "\u6d41\u8f6c 15:00");
    info.rules = beijingRules();
    slot_rules_info_encode(&b, &info);
    writeBuf("fuzz_sched", "rules-info", &b);
    mp_buf_free(&b);
}

static void frame(struct mp_buf *b, uint8_t type, uint64_t tag,
                  void (*payload)(struct mp_buf *))
{
    size_t start = slot_frame_begin(b, type, tag);
    payload(b);
    slot_frame_end(b, start);
}

static void payCommand(struct mp_buf *b)
{
    struct slot_cmd c = hold(9, PA, "wechat", 300000);
    slot_cmd_encode(b, &c);
}

static void payRead(struct mp_buf *b)
{
    struct slot_read rd = {.op = SLOT_READ_POOL, .pool = S(POOL)};
    mp_pack_array(b, 2);
    mp_pack_bool(b, true);
    slot_read_encode(b, &rd);
}

static void payResult(struct mp_buf *b)
{
    struct slot_result r = {SLOT_OK, 17, T0 + 300000, T0};
    mp_pack_array(b, 2);
    slot_result_encode(b, &r);
    mp_pack_uint(b, 1234);
}

static void payReadReply(struct mp_buf *b)
{
    struct slot_claim c = {.id = 1,
                           .state = SLOT_CLAIM_BOOKED,
                           .pool = POOL,
                           .patient = PA,
                           .channel = "app",
                           .held_at_ms = T0,
                           .deadline_ms = T0 + 300000,
                           .booked_at_ms = T0 + 1000,
                           .visit_no = 1,
                           .payment_ref = "wx:1",
                           .paid = 1};
    mp_pack_array(b, 3);
    mp_pack_uint(b, SLOT_OK);
    mp_pack_uint(b, 1234);
    slot_claim_encode(b, &c);
}

static void payAdmin(struct mp_buf *b)
{
    struct slot_admin a = {.op = SLOT_ADMIN_STATUS, .no_hash = true};
    slot_admin_encode(b, &a);
}

static void payAdminReply(struct mp_buf *b)
{
    mp_pack_array(b, 2);
    mp_pack_uint(b, SLOT_OK);
    msgpack_pack_nil(&b->pk);
}

static void payError(struct mp_buf *b)
{
    mp_pack_array(b, 4);
    mp_pack_uint(b, SLOT_NOT_LEADER);
    mp_pack_uint(b, 2);
    mp_pack_cstr(b, "10.0.0.2:7000");
    mp_pack_uint(b, SLOT_EXEC_NOT);
}

/* An older node's ERROR, without `executed` (read as UNKNOWN). */
static void payErrorOld(struct mp_buf *b)
{
    mp_pack_array(b, 3);
    mp_pack_uint(b, SLOT_NOT_LEADER);
    mp_pack_uint(b, 2);
    mp_pack_cstr(b, "10.0.0.2:7000");
}

static void frameSeeds(void)
{
    static const struct {
        const char *name;
        uint8_t type;
        void (*payload)(struct mp_buf *);
    } frames[] = {
        {"command", SLOT_FRAME_COMMAND, payCommand},
        {"read", SLOT_FRAME_READ, payRead},
        {"admin", SLOT_FRAME_ADMIN, payAdmin},
        {"result", SLOT_FRAME_RESULT, payResult},
        {"read-reply", SLOT_FRAME_READ_REPLY, payReadReply},
        {"admin-reply", SLOT_FRAME_ADMIN_REPLY, payAdminReply},
        {"error", SLOT_FRAME_ERROR, payError},
        {"error-old", SLOT_FRAME_ERROR, payErrorOld},
    };
    struct mp_buf b;
    char name[64];
    mp_buf_init(&b);
    for (size_t i = 0; i < sizeof frames / sizeof *frames; i++) {
        frame(&b, frames[i].type, 1000 + i, frames[i].payload);
        snprintf(name, sizeof name, "frame-%s", frames[i].name);
        writeBuf("fuzz_frame", name, &b);
    }
    /* A receive buffer: pipelined frames, the last one incomplete. */
    frame(&b, SLOT_FRAME_COMMAND, 1, payCommand);
    frame(&b, SLOT_FRAME_READ, 2, payRead);
    frame(&b, SLOT_FRAME_ERROR, UINT64_MAX, payError);
    b.len -= 3;
    writeBuf("fuzz_frame", "stream-pipelined", &b);
    mp_buf_free(&b);
}

/* fuzz_admin's seeds: its first byte chooses the decoder (see
 * proto/fuzz/fuzz_admin.c), the rest is a valid input of it. */
static void adminSeed(const char *name, uint8_t which, const void *p, size_t n)
{
    uint8_t buf[512];
    if (n + 1 > sizeof buf) {
        fprintf(stderr, "adminSeed %s: too long\n", name);
        exit(1);
    }
    buf[0] = which;
    memcpy(buf + 1, p, n);
    writeSeed("fuzz_admin", name, buf, n + 1);
}

static void adminSeeds(void)
{
    static const struct {
        const char *name;
        struct slot_admin a;
    } reqs[] = {
        {"admin-status", {.op = SLOT_ADMIN_STATUS}},
        {"admin-status-no-hash", {.op = SLOT_ADMIN_STATUS, .no_hash = true}},
        {"admin-add",
         {.op = SLOT_ADMIN_ADD,
          .id = 4,
          .address = "10.0.0.4:7004/10.0.0.4:8004"}},
        {"admin-assign",
         {.op = SLOT_ADMIN_ASSIGN, .id = 4, .role = SLOT_ROLE_VOTER}},
        {"admin-remove", {.op = SLOT_ADMIN_REMOVE, .id = 4}},
        {"admin-transfer", {.op = SLOT_ADMIN_TRANSFER, .id = 0}},
        {"admin-leave", {.op = SLOT_ADMIN_LEAVE, .id = 4}},
    };
    struct mp_buf b;
    mp_buf_init(&b);
    for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
        slot_admin_encode(&b, &reqs[i].a);
        adminSeed(reqs[i].name, 0, b.data, b.len);
        mp_buf_reset(&b);
    }
    struct slot_node_status st = {
        .id = 1,
        .role = "leader",
        .term = 7,
        .commit_index = 1200,
        .applied_index = 1200,
        .leader_id = 1,
        .address = "node-1.campus.example:7001/node-1.campus.example:8001",
        .n_members = 3,
        .state_hash = 0x9e3779b97f4a7c15ull,
        .ledger_time_ms = T0,
        .entries_applied = 1199,
        .commands_applied = 40210,
        .config_committed_index = 3,
        .config_uncommitted_index = 1190,
        .promotee_id = 3,
        .leader_stalls = 2,
        .leader_stall_max_us = 7300};
    for (uint32_t i = 0; i < 3; i++) {
        st.members[i].id = i + 1;
        snprintf(st.members[i].address, sizeof st.members[i].address,
                 "10.0.0.%u:700%u/10.0.0.%u:800%u", i + 1, i + 1, i + 1, i + 1);
        st.members[i].role = i < 2 ? SLOT_ROLE_VOTER : SLOT_ROLE_SPARE;
    }
    slot_node_status_encode(&b, &st);
    adminSeed("status", 1, b.data, b.len);
    mp_buf_reset(&b);
    /* An older node's status: the 12 fields before the membership ones. */
    mp_pack_array(&b, 12);
    mp_pack_uint(&b, 2);
    mp_pack_cstr(&b, "follower");
    mp_pack_uint(&b, 7);
    mp_pack_uint(&b, 1200);
    mp_pack_uint(&b, 1199);
    mp_pack_uint(&b, 1);
    mp_pack_cstr(&b, "10.0.0.2:7002/10.0.0.2:8002");
    mp_pack_array(&b, 0);
    mp_pack_uint(&b, 0);
    mp_pack_uint(&b, T0);
    mp_pack_uint(&b, 1198);
    mp_pack_uint(&b, 40200);
    adminSeed("status-old", 1, b.data, b.len);
    mp_buf_free(&b);
    /* Text inputs; a HOST:PORT's first byte is the error buffer's size. */
    static const char *const hostports[] = {
        "127.0.0.1:7000", "[::1]:7000",        "node-1.campus.example:7000",
        "localhost:8080", "slot.example.:443", "10.0.0.300:80",
    };
    for (size_t i = 0; i < sizeof hostports / sizeof *hostports; i++) {
        char seed[300], name[32];
        seed[0] = 64;
        size_t n = strlen(hostports[i]);
        memcpy(seed + 1, hostports[i], n);
        snprintf(name, sizeof name, "hostport-%zu", i);
        adminSeed(name, 2, seed, n + 1);
    }
    adminSeed("day", 3, "2026-12-07", 10);
    adminSeed("day-leap", 3, "2024-02-29", 10);
    adminSeed("day-first", 3, "1970-01-02", 10);
    adminSeed("day-last", 3, "2269-12-31", 10);
    adminSeed("minute", 4, "09:00", 5);
    adminSeed("minute-last", 4, "23:59", 5);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PROTO_DIR LEDGER_DIR\n", argv[0]);
        return 2;
    }
    protoDir = argv[1];
    ledgerDir = argv[2];
    initScenarios();
    cmdSeeds();
    entrySeeds();
    snapshotSeeds();
    readSeeds();
    frameSeeds();
    schedSeeds();
    adminSeeds();
    mp_buf_free(&rulesBuf);
    mp_buf_free(&prulesBuf);
    mp_buf_free(&vrulesBuf);
    mp_buf_free(&daysBuf);
    mp_buf_free(&segsBuf);
    return 0;
}
