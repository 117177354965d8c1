/* test_sched: unit tests of the hospitals' rules in the ledger (ledger.h,
 * "Hospitals, schedules and their rules"): rule sets and their log, the
 * HOLD refusals of a scheduled pool in their order, channel groups and the
 * protected remainder, the payment window and mode, visit numbers and
 * their windows, flow-back, schedule import, the pool query, and the
 * snapshot (version 2, and version 1 still restoring).
 *
 * Times are a Beijing hospital's (UTC+08:00) around the visit day
 * 2026-12-14 (day 20801): LT(day, "HH:MM") is that local time as ledger
 * time. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fx.h"
#include "slot_time.h"
#include "tsched.h"

#define BEIJING 480
#define V       20801u /* 2026-12-14 */

static uint64_t LT(uint32_t day, const char *hhmm)
{
    int32_t m = slot_minute_parse(hhmm, strlen(hhmm));
    CHECK(m >= 0);
    return slot_utc_ms_of(day, (uint32_t)m, BEIJING);
}

/* Rule sets outlive the command (the ledger re-decodes them from these
 * bytes when it applies RULES_SET). */
static struct mp_buf ruleBufs[64];
static int nRuleBufs;

static struct slot_cmd cmd_rules(const char *hospital, const char *dept,
                                 const struct slot_rules *r)
{
    CHECK(nRuleBufs < 64);
    struct mp_buf *b = &ruleBufs[nRuleBufs++];
    mp_buf_init(b);
    slot_rules_encode(b, r);
    struct slot_cmd c = {.op = SLOT_OP_RULES_SET};
    c.u.rules.hospital = str_of(hospital);
    c.u.rules.department = str_of(dept);
    c.u.rules.operator_name = str_of("ops@pumch");
    c.u.rules.reason = str_of("\u653e\u53f7\u89c4\u5219");
    c.u.rules.rules =
        (struct slot_str){(const char *)b->data, (uint32_t)b->len};
    return c;
}

/* A pool of the schedule of "pumch": department dept, doctor doc, the
 * segment [start, end) of day, capacity slots (add shares with
 * cmd_share). */
static struct slot_cmd cmd_spool(const char *id, const char *dept,
                                 const char *doc, uint32_t day,
                                 const char *start, const char *end,
                                 uint32_t capacity)
{
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, id, capacity);
    c.u.pool.kind = SLOT_KIND_NORMAL;
    c.u.pool.seg_start_ms = LT(day, start);
    c.u.pool.seg_end_ms = LT(day, end);
    c.u.pool.has_sched = true;
    struct slot_sched *s = &c.u.pool.sched;
    s->hospital = str_of("pumch");
    s->campus = str_of("east");
    s->department = str_of(dept);
    s->doctor = str_of(doc);
    s->visit_day = day;
    return c;
}

/* A fixture whose session survives days of ledger time (these tests move
 * it by days), at noon ten days before V. */
static void fx_days(struct fx *f)
{
    fx_init(f);
    struct slot_config cfg = config_of(f->l);
    cfg.session_idle_ms = SLOT_TIME_MAX_MS;
    EXPECT(f, cmd_config(cfg), SLOT_OK);
    f->now = LT(V - 10, "12:00");
}

/* The same with Beijing's rules set for "pumch". */
static void fx_hospital(struct fx *f)
{
    fx_days(f);
    struct slot_rules r = tsched_beijing();
    CHECK_EQ(EXPECT(f, cmd_rules("pumch", "", &r), SLOT_OK).a, 1);
}

/* The buffers commands pointed into. */
static struct mp_buf tplDays, tplSegs;

static void freeBufs(void)
{
    for (int i = 0; i < nRuleBufs; i++) {
        mp_buf_free(&ruleBufs[i]);
    }
    nRuleBufs = 0;
    mp_buf_free(&tplDays);
    mp_buf_free(&tplSegs);
}

static void done(struct fx *f)
{
    ledger_destroy(f->l);
    freeBufs();
}

static struct slot_cmd hold_as(const char *pool, const char *patient,
                               const char *channel)
{
    return cmd_hold(pool, patient, channel, TTL);
}

/* ---- rule sets -------------------------------------------------------- */

static void test_rules_versions_and_log(void)
{
    struct fx f;
    fx_hospital(&f);
    struct slot_rules r = tsched_beijing();
    struct slot_rules_info info;
    CHECK_CODE(ledger_read_rules(f.l, str_of("pumch"), str_of(""), &info),
               SLOT_OK);
    CHECK(!info.inherited && info.version == 1);
    CHECK_STR(info.operator_name, "ops@pumch");
    CHECK_EQ(info.changed_at_ms, f.now);
    CHECK(memcmp(&info.rules, &r, sizeof r) == 0);
    CHECK_CODE(ledger_read_rules(f.l, str_of("nope"), str_of(""), &info),
               SLOT_UNKNOWN_HOSPITAL);
    /* A department of its own: 09:15 release. */
    r.release_minute = 555;
    f.now += 1000;
    CHECK_EQ(EXPECT(&f, cmd_rules("pumch", "derm", &r), SLOT_OK).a, 2);
    CHECK_CODE(ledger_read_rules(f.l, str_of("pumch"), str_of("derm"), &info),
               SLOT_OK);
    CHECK(!info.inherited && info.version == 2 &&
          info.rules.release_minute == 555);
    CHECK_STR(info.department, "derm");
    CHECK_CODE(ledger_read_rules(f.l, str_of("pumch"), str_of("ent"), &info),
               SLOT_OK);
    CHECK(info.inherited && info.version == 1 &&
          info.rules.release_minute == 540);
    /* Refusals: a department of an unknown hospital, another offset. */
    EXPECT(&f, cmd_rules("nope", "derm", &r), SLOT_UNKNOWN_HOSPITAL);
    r.utc_offset_min = 540;
    EXPECT(&f, cmd_rules("pumch", "derm", &r), SLOT_INVALID_ARGUMENT);
    /* A hospital's offset may change only while nothing depends on it:
     * no pools, no department rules. */
    EXPECT(&f, cmd_rules("pumch", "", &r), SLOT_INVALID_ARGUMENT);
    EXPECT(&f, cmd_rules("other", "", &r), SLOT_OK);
    r.utc_offset_min = BEIJING;
    EXPECT(&f, cmd_rules("other", "", &r), SLOT_OK);
    struct slot_cmd p =
        cmd_spool("p1", "cardio", "dr-wang", V, "08:00", "08:30", 10);
    p.u.pool.sched.hospital = str_of("other");
    EXPECT(&f, p, SLOT_OK);
    r.utc_offset_min = 540;
    EXPECT(&f, cmd_rules("other", "", &r), SLOT_INVALID_ARGUMENT);
    r.utc_offset_min = BEIJING;
    EXPECT(&f, cmd_rules("pumch", "", &r), SLOT_OK);
    /* The log: every change, oldest first, after a version. */
    struct slot_rules_info log[LEDGER_RULES_LOG_MAX];
    uint32_t n;
    CHECK_CODE(ledger_read_rules_log(f.l, str_of("pumch"), 0,
                                     LEDGER_RULES_LOG_MAX, log, &n),
               SLOT_OK);
    CHECK_EQ(n, 3);
    CHECK_EQ(log[0].version, 1);
    CHECK_STR(log[1].department, "derm");
    CHECK_EQ(log[2].version, 3);
    CHECK_STR(log[2].department, "");
    CHECK_CODE(ledger_read_rules_log(f.l, str_of("pumch"), 2, 1, log, &n),
               SLOT_OK);
    CHECK(n == 1 && log[0].version == 3);
    done(&f);
}

static void test_rules_log_bounded(void)
{
    struct fx f;
    fx_hospital(&f);
    struct slot_rules r = tsched_beijing();
    for (int i = 0; i < 40; i++) {
        r.release_minute = (uint16_t)(500 + i);
        EXPECT(&f, cmd_rules("pumch", "", &r), SLOT_OK);
    }
    struct slot_rules_info log[LEDGER_RULES_LOG_MAX];
    uint32_t n;
    CHECK_CODE(ledger_read_rules_log(f.l, str_of("pumch"), 0,
                                     LEDGER_RULES_LOG_MAX, log, &n),
               SLOT_OK);
    CHECK_EQ(n, LEDGER_RULES_LOG_MAX);
    CHECK_EQ(log[0].version, 41 - LEDGER_RULES_LOG_MAX + 1);
    CHECK_EQ(log[n - 1].version, 41);
    CHECK_EQ(log[n - 1].rules.release_minute, 539);
    done(&f);
}

static void test_hospitals_bounded(void)
{
    struct fx f;
    fx_days(&f);
    struct slot_rules r = tsched_beijing();
    char id[16];
    for (int i = 0; i < LEDGER_HOSPITALS_MAX; i++) {
        snprintf(id, sizeof id, "h%d", i);
        EXPECT(&f, cmd_rules(id, "", &r), SLOT_OK);
        freeBufs(); /* the ledger copied the rules */
    }
    EXPECT(&f, cmd_rules("one-more", "", &r), SLOT_LIMIT_REACHED);
    EXPECT(&f, cmd_rules("h7", "", &r), SLOT_OK); /* existing: fine */
    done(&f);
}

/* ---- scheduled pools and HOLD's rules ------------------------------------ */

static void test_sched_pool_create(void)
{
    struct fx f;
    fx_days(&f);
    struct slot_cmd p =
        cmd_spool("p1", "cardio", "dr-wang", V, "08:00", "08:30", 10);
    EXPECT(&f, p, SLOT_UNKNOWN_HOSPITAL);
    struct slot_rules r = tsched_beijing();
    EXPECT(&f, cmd_rules("pumch", "", &r), SLOT_OK);
    p.u.pool.sched.pay_mode = SLOT_PAY_AT_VISIT;
    p.u.pool.sched.n_eligible = 1;
    p.u.pool.sched.eligible[0] = str_of("online");
    p.u.pool.sched.n_rem_allow = 1;
    p.u.pool.sched.rem_allow[0] = str_of("window");
    EXPECT(&f, p, SLOT_OK);
    EXPECT(&f, p, SLOT_POOL_EXISTS);
    struct slot_pool_status s = pool_of(f.l, "p1");
    CHECK(s.has_place);
    CHECK_STR(s.place.hospital, "pumch");
    CHECK_STR(s.place.campus, "east");
    CHECK_STR(s.place.department, "cardio");
    CHECK_STR(s.place.doctor, "dr-wang");
    CHECK_EQ(s.place.visit_day, V);
    CHECK_EQ(s.place.pay_mode, SLOT_PAY_AT_VISIT);
    CHECK_EQ(s.place.n_eligible, 1);
    CHECK_STR(s.place.eligible[0], "online");
    CHECK_STR(s.place.rem_allow[0], "window");
    CHECK_EQ(s.place.flow_due_ms, 0); /* no flow-back rule */
    /* Opens at 09:00 seven days ahead: scheduled until then. */
    CHECK_EQ(s.state, SLOT_PSTATE_SCHEDULED);
    CHECK_EQ(s.release_at_ms, LT(V - 7, "09:00"));
    f.now = LT(V - 7, "09:00");
    EXPECT(&f, cmd_expire(1), SLOT_OK);
    CHECK_EQ(pool_of(f.l, "p1").state, SLOT_PSTATE_OPEN);
    /* An update without schedule fields keeps the place, so it must
     * keep a segment too (nothing changes otherwise). */
    struct slot_cmd u = cmd_pool(SLOT_OP_POOL_UPDATE, "p1", 12);
    EXPECT(&f, u, SLOT_INVALID_ARGUMENT);
    CHECK_EQ(pool_of(f.l, "p1").capacity, 10);
    u.u.pool.seg_start_ms = LT(V, "08:00");
    u.u.pool.seg_end_ms = LT(V, "08:40");
    EXPECT(&f, u, SLOT_OK);
    s = pool_of(f.l, "p1");
    CHECK(s.has_place && s.capacity == 12);
    CHECK_STR(s.place.doctor, "dr-wang");
    /* A free-standing pool has no place. */
    fx_pool(&f, "free", 3);
    CHECK(!pool_of(f.l, "free").has_place);
    done(&f);
}

/* Every HOLD refusal of a scheduled pool, at its boundary. */
static void test_hold_date_rules(void)
{
    struct fx f;
    fx_hospital(&f);
    EXPECT(&f, cmd_spool("p", "cardio", "dr-wang", V, "08:00", "12:00", 50),
           SLOT_OK);
    /* Eight days ahead: outside the 7-day horizon, but doctors see 90. */
    f.now = LT(V - 8, "10:00");
    EXPECT(&f, hold_as("p", "patient-01", "app"), SLOT_OUTSIDE_HORIZON);
    EXPECT(&f, hold_as("p", "patient-01", "doctor"), SLOT_OK);
    /* The opening day: not before 09:00. */
    f.now = LT(V - 7, "08:59");
    EXPECT(&f, hold_as("p", "patient-02", "app"), SLOT_NOT_RELEASED);
    EXPECT(&f, hold_as("p", "patient-02", "wechat"), SLOT_NOT_RELEASED);
    f.now = LT(V - 7, "09:00");
    EXPECT(&f, hold_as("p", "patient-02", "app"), SLOT_OK);
    /* The day before: online until 15:00, the window after. */
    f.now = LT(V - 1, "14:59");
    EXPECT(&f, hold_as("p", "patient-03", "wechat"), SLOT_OK);
    f.now = LT(V - 1, "15:00");
    EXPECT(&f, hold_as("p", "patient-04", "app"), SLOT_BOOKING_CLOSED);
    EXPECT(&f, hold_as("p", "patient-04", "114"), SLOT_BOOKING_CLOSED);
    EXPECT(&f, hold_as("p", "patient-04", "window"), SLOT_OK);
    /* The visit day: the window (same day) until the segment ends. */
    f.now = LT(V, "11:59");
    EXPECT(&f, hold_as("p", "patient-05", "window"), SLOT_OK);
    EXPECT(&f, hold_as("p", "patient-06", "app"), SLOT_BOOKING_CLOSED);
    f.now = LT(V, "12:00");
    EXPECT(&f, hold_as("p", "patient-06", "window"), SLOT_BOOKING_CLOSED);
    f.now = LT(V + 1, "08:00");
    EXPECT(&f, hold_as("p", "patient-06", "doctor"), SLOT_BOOKING_CLOSED);
    done(&f);
}

static void test_hold_refusal_order(void)
{
    struct fx f;
    fx_hospital(&f);
    /* A special clinic (app and window only), released explicitly at
     * 10:00 on its opening day, 8 days out. */
    struct slot_cmd p =
        cmd_spool("sp", "derm", "dr-li", V, "08:00", "09:00", 1);
    p.u.pool.kind = SLOT_KIND_SPECIAL;
    p.u.pool.release_at_ms = LT(V - 7, "10:00");
    EXPECT(&f, p, SLOT_OK);
    f.now = LT(V - 8, "10:00");
    /* Not eligible beats everything that follows. */
    EXPECT(&f, hold_as("sp", "patient-01", "wechat"), SLOT_CHANNEL_NOT_ALLOWED);
    EXPECT(&f, hold_as("sp", "patient-01", "window"), SLOT_OUTSIDE_HORIZON);
    f.now = LT(V - 7, "09:30"); /* the horizon opened, the pool not yet */
    EXPECT(&f, hold_as("sp", "patient-01", "app"), SLOT_NOT_RELEASED);
    f.now = LT(V - 7, "10:00");
    EXPECT(&f, cmd_hold("sp", "patient-01", "app", 1000000),
           SLOT_TTL_OUT_OF_RANGE); /* above the rules' 15 minutes */
    EXPECT(&f, hold_as("sp", "patient-01", "app"), SLOT_OK);
    EXPECT(&f, hold_as("sp", "patient-01", "window"), SLOT_PATIENT_HAS_CLAIM);
    EXPECT(&f, hold_as("sp", "patient-02", "window"), SLOT_SOLD_OUT);
    /* The pool's own list wins over the rules'. */
    struct slot_cmd q = cmd_spool("q", "derm", "dr-li", V, "09:00", "10:00", 5);
    q.u.pool.kind = SLOT_KIND_SPECIAL;
    q.u.pool.sched.n_eligible = 1;
    q.u.pool.sched.eligible[0] = str_of("online");
    EXPECT(&f, q, SLOT_OK);
    EXPECT(&f, hold_as("q", "patient-03", "wechat"), SLOT_OK);
    EXPECT(&f, hold_as("q", "patient-04", "window"), SLOT_CHANNEL_NOT_ALLOWED);
    done(&f);
}

static void test_hold_payment_window(void)
{
    struct fx f;
    fx_hospital(&f);
    EXPECT(&f, cmd_spool("p", "cardio", "dr-wang", V, "08:00", "12:00", 5),
           SLOT_OK);
    fx_pool(&f, "free", 5);
    f.now = LT(V - 3, "10:00");
    struct slot_result r =
        EXPECT(&f, cmd_hold("p", "patient-01", "app", 0), SLOT_OK);
    CHECK_EQ(r.b, f.now + 300000); /* the rules' 5 minutes */
    EXPECT(&f, cmd_hold("p", "patient-02", "app", 900000), SLOT_OK);
    EXPECT(&f, cmd_hold("p", "patient-03", "app", 900001),
           SLOT_TTL_OUT_OF_RANGE);
    /* A free-standing pool has no default: the request must say. */
    EXPECT(&f, cmd_hold("free", "patient-01", "app", 0), SLOT_TTL_OUT_OF_RANGE);
    done(&f);
}

/* 114 has 3, the online group 7, the window the remaining 2. */
static void test_groups_and_remainder(void)
{
    struct fx f;
    fx_hospital(&f);
    struct slot_cmd p =
        cmd_spool("p", "cardio", "dr-wang", V, "08:00", "12:00", 12);
    cmd_share(&p, "114", 3);
    cmd_share(&p, "online", 7);
    p.u.pool.sched.n_rem_allow = 1;
    p.u.pool.sched.rem_allow[0] = str_of("window");
    EXPECT(&f, p, SLOT_OK);
    f.now = LT(V - 2, "10:00");
    char patient[40];
    static const char *const online[] = {"app", "wechat", "bank", "kiosk"};
    uint64_t first = 0;
    for (int i = 0; i < 7; i++) {
        snprintf(patient, sizeof patient, "online-%02d", i);
        uint64_t id =
            EXPECT(&f, hold_as("p", patient, online[i % 4]), SLOT_OK).a;
        first = first == 0 ? id : first;
    }
    CHECK_STR(claim_of(f.l, first).bucket, "online");
    /* The online share is gone and the remainder is the window's. */
    EXPECT(&f, hold_as("p", "online-99", "app"), SLOT_SOLD_OUT);
    for (int i = 0; i < 3; i++) {
        snprintf(patient, sizeof patient, "phone-%02d", i);
        EXPECT(&f, hold_as("p", patient, "114"), SLOT_OK);
    }
    EXPECT(&f, hold_as("p", "phone-99", "114"), SLOT_SOLD_OUT);
    f.now = LT(V, "08:00");
    uint64_t w = EXPECT(&f, hold_as("p", "window-00", "window"), SLOT_OK).a;
    CHECK_STR(claim_of(f.l, w).bucket, "");
    EXPECT(&f, hold_as("p", "window-01", "window"), SLOT_OK);
    EXPECT(&f, hold_as("p", "window-02", "window"), SLOT_SOLD_OUT);
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_BUCKET(&s.shares[0], 3, 0, 3, 0);
    CHECK_BUCKET(&s.shares[1], 7, 0, 7, 0);
    CHECK_BUCKET(&s.remainder, 2, 0, 2, 0);
    done(&f);
}

/* ---- payment, visit numbers ---------------------------------------------- */

static struct slot_cmd confirm_ref(uint64_t hold, const char *ref)
{
    struct slot_cmd c = cmd_confirm(hold);
    c.u.claim.payment_ref = str_of(ref);
    return c;
}

static void test_payment_modes(void)
{
    struct fx f;
    fx_hospital(&f);
    EXPECT(&f, cmd_spool("online", "cardio", "dr-wang", V, "08:00", "12:00", 5),
           SLOT_OK);
    struct slot_cmd p =
        cmd_spool("visit", "cardio", "dr-wang", V, "13:00", "17:00", 5);
    p.u.pool.sched.pay_mode = SLOT_PAY_AT_VISIT;
    EXPECT(&f, p, SLOT_OK);
    fx_pool(&f, "free", 5);
    f.now = LT(V - 3, "10:00");
    uint64_t a = EXPECT(&f, hold_as("online", "patient-01", "app"), SLOT_OK).a;
    uint64_t b = EXPECT(&f, hold_as("visit", "patient-01", "app"), SLOT_OK).a;
    uint64_t c = EXPECT(&f, hold_as("free", "patient-01", "app"), SLOT_OK).a;
    EXPECT(&f, confirm_ref(a, ""), SLOT_PAYMENT_REQUIRED);
    EXPECT(&f, confirm_ref(c, ""), SLOT_PAYMENT_REQUIRED);
    CHECK_EQ(claim_of(f.l, a).state, SLOT_CLAIM_HELD); /* nothing changed */
    EXPECT(&f, confirm_ref(a, "alipay:778"), SLOT_OK);
    EXPECT(&f, confirm_ref(b, ""), SLOT_OK);
    struct slot_claim ca = claim_of(f.l, a), cb = claim_of(f.l, b);
    CHECK(ca.paid == 1 && cb.paid == 0);
    CHECK_STR(ca.payment_ref, "alipay:778");
    CHECK_STR(cb.payment_ref, "");
    CHECK_EQ(cb.state, SLOT_CLAIM_BOOKED);
    done(&f);
}

static void test_visit_windows(void)
{
    struct fx f;
    fx_hospital(&f);
    /* 08:00-08:30 for 10 numbers: 3 minutes each. */
    EXPECT(&f, cmd_spool("p", "cardio", "dr-wang", V, "08:00", "08:30", 10),
           SLOT_OK);
    struct slot_cmd q =
        cmd_spool("q", "cardio", "dr-wang", V, "09:00", "10:00", 10);
    q.u.pool.sched.visit_slot_ms = 60000;
    EXPECT(&f, q, SLOT_OK);
    f.now = LT(V - 3, "10:00");
    uint64_t h[4];
    char patient[40];
    for (int i = 0; i < 4; i++) {
        snprintf(patient, sizeof patient, "patient-%02d", i);
        h[i] = EXPECT(&f, hold_as("p", patient, "app"), SLOT_OK).a;
        CHECK_EQ(EXPECT(&f, cmd_confirm(h[i]), SLOT_OK).b, (uint64_t)i + 1);
    }
    struct slot_claim c = claim_of(f.l, h[2]);
    CHECK_EQ(c.visit_start_ms, LT(V, "08:06"));
    CHECK_EQ(c.visit_end_ms, LT(V, "08:09"));
    /* Cancelled 2 and 3: the next bookings get 2, then 3, then 5. */
    EXPECT(&f, cmd_cancel(h[2]), SLOT_OK);
    EXPECT(&f, cmd_cancel(h[1]), SLOT_OK);
    for (int i = 0; i < 3; i++) {
        snprintf(patient, sizeof patient, "later-%02d", i);
        uint64_t id = EXPECT(&f, hold_as("p", patient, "app"), SLOT_OK).a;
        static const uint64_t want[] = {2, 3, 5};
        CHECK_EQ(EXPECT(&f, cmd_confirm(id), SLOT_OK).b, want[i]);
    }
    CHECK_EQ(pool_of(f.l, "p").next_visit_no, 6);
    uint64_t id = EXPECT(&f, hold_as("q", "patient-01", "app"), SLOT_OK).a;
    EXPECT(&f, cmd_confirm(id), SLOT_OK);
    c = claim_of(f.l, id);
    CHECK(c.visit_start_ms == LT(V, "09:00") &&
          c.visit_end_ms == LT(V, "09:01"));
    done(&f);
}

/* ---- flow-back ----------------------------------------------------------- */

static struct slot_cmd cmd_sweep(uint32_t max)
{
    struct slot_cmd c = {.op = SLOT_OP_SWEEP};
    c.u.expire.max = max;
    return c;
}

static void test_flowback(void)
{
    struct fx f;
    fx_hospital(&f);
    struct slot_rules r = tsched_beijing();
    r.flowback_days_before = 1;
    r.flowback_minute = 900; /* 15:00 the day before */
    EXPECT(&f, cmd_rules("pumch", "", &r), SLOT_OK);
    struct slot_cmd p =
        cmd_spool("p", "cardio", "dr-wang", V, "08:00", "12:00", 12);
    cmd_share(&p, "114", 3);
    cmd_share(&p, "online", 7);
    EXPECT(&f, p, SLOT_OK);
    struct slot_cmd q =
        cmd_spool("q", "cardio", "dr-wang", V + 1, "08:00", "12:00", 4);
    cmd_share(&q, "114", 2);
    EXPECT(&f, q, SLOT_OK);
    CHECK_EQ(ledger_next_sweep_ms(f.l), LT(V - 1, "15:00"));
    CHECK_EQ(pool_of(f.l, "p").place.flow_due_ms, LT(V - 1, "15:00"));
    f.now = LT(V - 2, "10:00");
    uint64_t h = EXPECT(&f, hold_as("p", "patient-01", "app"), SLOT_OK).a;
    EXPECT(&f, cmd_confirm(h), SLOT_OK);
    EXPECT(&f, hold_as("p", "patient-02", "114"), SLOT_OK);
    f.now = LT(V - 1, "14:59");
    struct slot_result res = EXPECT(&f, cmd_sweep(10), SLOT_OK);
    CHECK(res.a == 0 && res.b == 0);
    f.now = LT(V - 1, "15:00");
    res = EXPECT(&f, cmd_sweep(10), SLOT_OK);
    CHECK(res.a == 1 && res.b == 0); /* q is due tomorrow */
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_BUCKET(&s.shares[0], 1, 0, 1, 0); /* 114: the held one stays */
    CHECK_BUCKET(&s.shares[1], 1, 0, 0, 1); /* online: the booked one */
    CHECK_BUCKET(&s.remainder, 10, 10, 0, 0);
    CHECK(s.place.flowed_back == 1 && s.place.flow_due_ms == 0);
    CHECK_EQ(ledger_next_sweep_ms(f.l), LT(V, "15:00"));
    /* Once only; the window now books what the channels left. */
    EXPECT(&f, hold_as("p", "patient-03", "window"), SLOT_OK);
    f.now = LT(V, "15:00");
    res = EXPECT(&f, cmd_sweep(10), SLOT_OK);
    CHECK_EQ(res.a, 1);
    CHECK_EQ(ledger_next_sweep_ms(f.l), UINT64_MAX);
    done(&f);
}

static void test_flowback_rules_change_and_target(void)
{
    struct fx f;
    fx_hospital(&f);
    struct slot_cmd p =
        cmd_spool("p", "cardio", "dr-wang", V, "08:00", "12:00", 10);
    cmd_share(&p, "114", 3);
    cmd_share(&p, "online", 5);
    cmd_share(&p, "window", 1);
    EXPECT(&f, p, SLOT_OK);
    CHECK_EQ(ledger_next_sweep_ms(f.l), UINT64_MAX);
    /* A department's own rules: 07:00 on the visit day, into "window". */
    struct slot_rules r = tsched_beijing();
    r.flowback_minute = 420;
    strcpy(r.flowback_to, "window");
    EXPECT(&f, cmd_rules("pumch", "cardio", &r), SLOT_OK);
    CHECK_EQ(ledger_next_sweep_ms(f.l), LT(V, "07:00"));
    r.flowback_minute = 450;
    EXPECT(&f, cmd_rules("pumch", "cardio", &r), SLOT_OK);
    CHECK_EQ(ledger_next_sweep_ms(f.l), LT(V, "07:30"));
    f.now = LT(V, "08:00");
    CHECK_EQ(EXPECT(&f, cmd_sweep(1), SLOT_OK).a, 1);
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_BUCKET(&s.shares[2], 9, 9, 0, 0);
    CHECK_BUCKET(&s.remainder, 1, 1, 0, 0);
    done(&f);
}

/* ---- schedule import ---------------------------------------------------- */

static struct slot_cmd cmd_import(const uint32_t *days, uint32_t n_days,
                                  const struct slot_segment *segs,
                                  uint32_t n_segs)
{
    mp_buf_free(&tplDays);
    mp_buf_free(&tplSegs);
    mp_buf_init(&tplDays);
    mp_buf_init(&tplSegs);
    slot_days_pack(&tplDays, days, n_days);
    slot_segments_pack(&tplSegs, segs, n_segs);
    struct slot_cmd c = {.op = SLOT_OP_SCHEDULE_IMPORT};
    struct slot_template *t = &c.u.import;
    t->id_prefix = str_of("pumch/east/cardio/dr-wang");
    t->sched.hospital = str_of("pumch");
    t->sched.campus = str_of("east");
    t->sched.department = str_of("cardio");
    t->sched.doctor = str_of("dr-wang");
    t->kind = SLOT_KIND_EXPERT;
    t->fee_cents = 10000;
    t->n_shares = 2;
    t->shares[0] = (struct slot_tshare){str_of("114"), 300};
    t->shares[1] = (struct slot_tshare){str_of("online"), 700};
    t->n_days = n_days;
    t->days =
        (struct slot_str){(const char *)tplDays.data, (uint32_t)tplDays.len};
    t->n_segments = n_segs;
    t->segments =
        (struct slot_str){(const char *)tplSegs.data, (uint32_t)tplSegs.len};
    return c;
}

static void test_schedule_import(void)
{
    struct fx f;
    fx_days(&f);
    static const uint32_t days[] = {V, V + 1};
    static const struct slot_segment segs[] = {{480, 540, 10}, {540, 600, 7}};
    EXPECT(&f, cmd_import(days, 2, segs, 2), SLOT_UNKNOWN_HOSPITAL);
    struct slot_rules r = tsched_beijing();
    EXPECT(&f, cmd_rules("pumch", "", &r), SLOT_OK);
    struct slot_result res = EXPECT(&f, cmd_import(days, 2, segs, 2), SLOT_OK);
    CHECK(res.a == 4 && res.b == 0);
    struct slot_pool_status s =
        pool_of(f.l, "pumch/east/cardio/dr-wang/20261215/0900");
    CHECK_EQ(s.capacity, 7);
    CHECK_EQ(s.seg_start_ms, LT(V + 1, "09:00"));
    CHECK_EQ(s.seg_end_ms, LT(V + 1, "10:00"));
    CHECK_EQ(s.n_shares, 2);
    CHECK_BUCKET(&s.shares[0], 2, 2, 0, 0); /* floor(7 * 0.3) */
    CHECK_BUCKET(&s.shares[1], 4, 4, 0, 0); /* floor(7 * 0.7) */
    CHECK_BUCKET(&s.remainder, 1, 1, 0, 0);
    CHECK_EQ(s.place.visit_day, V + 1);
    /* Again: nothing changes. */
    res = EXPECT(&f, cmd_import(days, 2, segs, 2), SLOT_OK);
    CHECK(res.a == 0 && res.b == 4);
    /* A third day: created, the rest unchanged. */
    static const uint32_t days3[] = {V, V + 1, V + 2};
    res = EXPECT(&f, cmd_import(days3, 3, segs, 2), SLOT_OK);
    CHECK(res.a == 2 && res.b == 4);
    /* Another capacity for existing pools: refused whole. */
    static const struct slot_segment bigger[] = {
        {480, 540, 12}, {540, 600, 7}, {600, 660, 5}};
    static const uint32_t days4[] = {V, V + 1, V + 2, V + 3};
    uint32_t before = info_of(f.l).pools;
    res = EXPECT(&f, cmd_import(days4, 4, bigger, 3), SLOT_SCHEDULE_CONFLICT);
    CHECK_EQ(res.a, 3);
    CHECK_EQ(info_of(f.l).pools, before);
    /* The dry run lists them. */
    struct slot_cmd c = cmd_import(days4, 4, bigger, 3);
    uint32_t fresh, same, n;
    char ids[8][SLOT_POOL_ID_MAX + 1];
    CHECK_CODE(
        ledger_read_schedule_check(f.l, &c.u.import, &fresh, &same, ids, 8, &n),
        SLOT_OK);
    CHECK(fresh == 6 && same == 3 && n == 3);
    CHECK_STR(ids[0], "pumch/east/cardio/dr-wang/20261214/0800");
    CHECK_STR(ids[2], "pumch/east/cardio/dr-wang/20261216/0800");
    done(&f);
}

static void test_schedule_import_after_flowback(void)
{
    struct fx f;
    fx_days(&f);
    struct slot_rules r = tsched_beijing();
    r.flowback_minute = 420;
    EXPECT(&f, cmd_rules("pumch", "", &r), SLOT_OK);
    static const uint32_t days[] = {V};
    static const struct slot_segment segs[] = {{480, 540, 10}};
    EXPECT(&f, cmd_import(days, 1, segs, 1), SLOT_OK);
    f.now = LT(V, "07:00");
    CHECK_EQ(EXPECT(&f, cmd_sweep(4), SLOT_OK).a, 1);
    /* The published spec is what a re-import compares. */
    struct slot_result res = EXPECT(&f, cmd_import(days, 1, segs, 1), SLOT_OK);
    CHECK(res.a == 0 && res.b == 1);
    done(&f);
}

/* ---- the pool query ---------------------------------------------------------- */

static void test_pool_query(void)
{
    struct fx f;
    fx_hospital(&f);
    static const char *const depts[] = {"cardio", "derm"};
    static const char *const docs[] = {"dr-li", "dr-wang"};
    static const char *const starts[] = {"13:00", "08:00"};
    char id[64];
    for (uint32_t d = 0; d < 3; d++) {
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 2; k++) {
                for (int t = 0; t < 2; t++) {
                    snprintf(id, sizeof id, "%s/%s/%u/%d", depts[i], docs[k], d,
                             t);
                    struct slot_cmd c = cmd_spool(id, depts[i], docs[k], V + d,
                                                  starts[t], "17:00", 5);
                    c.u.pool.kind =
                        t == 0 ? SLOT_KIND_NORMAL : SLOT_KIND_EXPERT;
                    EXPECT(&f, c, SLOT_OK);
                }
            }
        }
    }
    fx_pool(&f, "free", 1);
    struct slot_read rd;
    memset(&rd, 0, sizeof rd);
    rd.op = SLOT_READ_QUERY;
    rd.hospital = str_of("pumch");
    rd.kind = SLOT_KIND_ANY;
    rd.limit = 100;
    struct slot_pool_status out[100];
    uint32_t n, total;
    CHECK_CODE(ledger_read_query(f.l, &rd, out, 100, &n, &total), SLOT_OK);
    CHECK(n == 24 && total == 24);
    /* (day, segment start, department, doctor, id) */
    CHECK_STR(out[0].pool, "cardio/dr-li/0/1");
    CHECK_STR(out[1].pool, "cardio/dr-wang/0/1");
    CHECK_STR(out[2].pool, "derm/dr-li/0/1");
    CHECK_STR(out[4].pool, "cardio/dr-li/0/0");
    CHECK_STR(out[8].pool, "cardio/dr-li/1/1");
    rd.department = str_of("derm");
    rd.doctor = str_of("dr-wang");
    rd.date_from = V + 1;
    rd.date_to = V + 2;
    CHECK_CODE(ledger_read_query(f.l, &rd, out, 100, &n, &total), SLOT_OK);
    CHECK(n == 4 && total == 4);
    CHECK_STR(out[0].pool, "derm/dr-wang/1/1");
    CHECK_STR(out[3].pool, "derm/dr-wang/2/0");
    rd.kind = SLOT_KIND_EXPERT;
    CHECK_CODE(ledger_read_query(f.l, &rd, out, 100, &n, &total), SLOT_OK);
    CHECK(n == 2 && total == 2);
    /* Pages: 5 at a time after a pool, total unchanged. */
    memset(&rd, 0, sizeof rd);
    rd.op = SLOT_READ_QUERY;
    rd.hospital = str_of("pumch");
    rd.kind = SLOT_KIND_ANY;
    rd.limit = 5;
    uint32_t seen = 0;
    char after[SLOT_POOL_ID_MAX + 1] = "";
    for (int page = 0; page < 10; page++) {
        rd.pool = str_of(after);
        CHECK_CODE(ledger_read_query(f.l, &rd, out, 5, &n, &total), SLOT_OK);
        CHECK_EQ(total, 24);
        if (n == 0) {
            break;
        }
        seen += n;
        strcpy(after, out[n - 1].pool);
    }
    CHECK_EQ(seen, 24);
    rd.pool = str_of("free");
    CHECK_CODE(ledger_read_query(f.l, &rd, out, 5, &n, &total),
               SLOT_UNKNOWN_POOL);
    rd.pool = str_of("");
    rd.hospital = str_of("other");
    CHECK_CODE(ledger_read_query(f.l, &rd, out, 5, &n, &total),
               SLOT_UNKNOWN_HOSPITAL);
    done(&f);
}

/* ---- snapshots ----------------------------------------------------------- */

/* Snapshot, restore, and the same next commands give the same results. */
static void test_snapshot_v2(void)
{
    struct fx f;
    fx_hospital(&f);
    struct slot_rules r = tsched_beijing();
    r.flowback_minute = 900;
    r.flowback_days_before = 1;
    EXPECT(&f, cmd_rules("pumch", "derm", &r), SLOT_OK);
    static const uint32_t days[] = {V, V + 1};
    static const struct slot_segment segs[] = {{480, 540, 10}, {540, 600, 7}};
    EXPECT(&f, cmd_import(days, 2, segs, 2), SLOT_OK);
    struct slot_cmd p = cmd_spool("d", "derm", "dr-li", V, "08:00", "09:00", 6);
    cmd_share(&p, "online", 4);
    p.u.pool.sched.pay_mode = SLOT_PAY_AT_VISIT;
    EXPECT(&f, p, SLOT_OK);
    f.now = LT(V - 2, "10:00");
    uint64_t h1 = EXPECT(&f, hold_as("d", "patient-01", "app"), SLOT_OK).a;
    uint64_t h2 = EXPECT(&f, hold_as("d", "patient-02", "app"), SLOT_OK).a;
    EXPECT(&f, confirm_ref(h1, ""), SLOT_OK);
    EXPECT(&f, cmd_confirm(h2), SLOT_OK);
    EXPECT(&f, cmd_cancel(h1), SLOT_OK); /* visit number 1 freed */
    f.now = LT(V - 1, "15:00");
    EXPECT(&f, cmd_sweep(8), SLOT_OK);
    struct mp_buf a, b;
    mp_buf_init(&a);
    mp_buf_init(&b);
    ledger_snapshot(f.l, &a);
    struct ledger *copy = NULL;
    CHECK_CODE(ledger_restore(a.data, a.len, &copy), SLOT_OK);
    ledger_snapshot(copy, &b);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    CHECK(ledger_next_sweep_ms(copy) == ledger_next_sweep_ms(f.l));
    /* The same commands on both. */
    struct fx g = f;
    g.l = copy;
    uint64_t h3 = EXPECT(&f, hold_as("d", "patient-03", "window"), SLOT_OK).a;
    CHECK_EQ(EXPECT(&g, hold_as("d", "patient-03", "window"), SLOT_OK).a, h3);
    CHECK_EQ(EXPECT(&f, cmd_confirm(h3), SLOT_OK).b, 1);
    CHECK_EQ(EXPECT(&g, cmd_confirm(h3), SLOT_OK).b, 1);
    CHECK(ledger_state_hash(f.l) == ledger_state_hash(g.l));
    struct slot_rules_info ia, ib;
    CHECK_CODE(ledger_read_rules(f.l, str_of("pumch"), str_of("derm"), &ia),
               SLOT_OK);
    CHECK_CODE(ledger_read_rules(g.l, str_of("pumch"), str_of("derm"), &ib),
               SLOT_OK);
    CHECK(memcmp(&ia, &ib, sizeof ia) == 0);
    /* Corrupt a place's hospital index: refused, never half-loaded. */
    mp_buf_free(&a);
    mp_buf_free(&b);
    ledger_destroy(copy);
    done(&f);
}

/* A version 1 snapshot (protocol 1's ledger: booking-flow of the fuzz
 * corpus, committed here as bytes): restores; the cancelled booking's
 * visit number is the freed one. */
static const uint8_t v1Snapshot[] = {
#include "snapshot_v1.inc"
};

static void test_snapshot_v1_restores(void)
{
    struct ledger *l = NULL;
    CHECK_CODE(ledger_restore(v1Snapshot, sizeof v1Snapshot, &l), SLOT_OK);
    struct slot_ledger_info i = info_of(l);
    CHECK_EQ(i.pools, 1);
    struct slot_claim c = claim_of(l, 1);
    CHECK_EQ(c.state, SLOT_CLAIM_CANCELLED);
    CHECK_EQ(c.visit_no, 1);
    CHECK_STR(c.bucket, "app"); /* version 1: the share of its channel */
    struct slot_pool_status s;
    CHECK_CODE(ledger_read_pool(l, str_of("h1/cardio/dr-li/2024-05-08:am"), &s),
               SLOT_OK);
    CHECK(!s.has_place && s.next_visit_no == 2);
    /* Version 2 from now on. */
    struct mp_buf b;
    mp_buf_init(&b);
    ledger_snapshot(l, &b);
    struct ledger *back = NULL;
    CHECK_CODE(ledger_restore(b.data, b.len, &back), SLOT_OK);
    CHECK(ledger_state_hash(back) == ledger_state_hash(l));
    mp_buf_free(&b);
    ledger_destroy(back);
    ledger_destroy(l);
}

/* ---- the patient rules (ledger.h, "Patients, accounts ...") ------------ */

/* Beijing's rules with patient rules on top. */
static void fx_patients(struct fx *f, struct slot_patient_rules pr)
{
    fx_days(f);
    struct slot_rules r = tsched_beijing();
    r.patient = pr;
    EXPECT(f, cmd_rules("pumch", "", &r), SLOT_OK);
}

static struct slot_patient_rules prules(void)
{
    struct slot_patient_rules pr;
    slot_patient_rules_default(&pr);
    return pr;
}

/* CONFIRM / RELEASE / CANCEL of claim id by a caller (fx's cmd_as). */
static struct slot_cmd claim_as(uint8_t op, uint64_t id, const char *caller,
                                const char *account)
{
    struct slot_cmd c = op == SLOT_OP_CONFIRM  ? cmd_confirm(id)
                        : op == SLOT_OP_CANCEL ? cmd_cancel(id)
                                               : cmd_release(id);
    return cmd_as(c, caller, account);
}

/* A staff command at "pumch" by a nurse (fx's builders). */
static struct slot_cmd staff(uint8_t op, const char *patient)
{
    struct slot_cmd c =
        op == SLOT_OP_VIOLATION
            ? cmd_violation("pumch", patient, SLOT_VIOLATION_NO_SHOW)
        : op == SLOT_OP_UNBLOCK ? cmd_unblock("pumch", patient)
                                : cmd_exception("pumch", patient);
    c.u.staff.operator_name = str_of("nurse@pumch");
    return c;
}

static uint64_t book(struct fx *f, const char *pool, const char *patient,
                     const char *channel)
{
    uint64_t id = EXPECT(f, hold_as(pool, patient, channel), SLOT_OK).a;
    EXPECT(f, claim_as(SLOT_OP_CONFIRM, id, channel, ""), SLOT_OK);
    return id;
}

static void test_patient_quotas(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.quota_day_normal = 2;
    pr.quota_day_expert = 2;
    pr.quota_dept_expert = 1;
    pr.quota_month_normal = 3;
    fx_patients(&f, pr);
    const char *normal[] = {"n1", "n2", "n3"};
    for (int i = 0; i < 3; i++) {
        EXPECT(&f, cmd_spool(normal[i], "cardio", "", V, "08:00", "12:00", 9),
               SLOT_OK);
    }
    const char *expert[][2] = {
        {"e1", "cardio"}, {"e2", "cardio"}, {"e3", "derm"}};
    for (int i = 0; i < 3; i++) {
        struct slot_cmd c = cmd_spool(expert[i][0], expert[i][1], "dr-x", V,
                                      "08:00", "12:00", 9);
        c.u.pool.kind = SLOT_KIND_EXPERT;
        EXPECT(&f, c, SLOT_OK);
    }
    EXPECT(&f, cmd_spool("m1", "cardio", "", V + 1, "08:00", "12:00", 9),
           SLOT_OK);
    EXPECT(&f, cmd_spool("m2", "cardio", "", V + 2, "08:00", "12:00", 9),
           SLOT_OK);
    f.now = LT(V - 1, "10:00");
    uint64_t h1 = EXPECT(&f, hold_as("n1", "patient-01", "app"), SLOT_OK).a;
    book(&f, "n2", "patient-01", "wechat"); /* any channel counts */
    struct slot_result r =
        EXPECT(&f, hold_as("n3", "patient-01", "114"), SLOT_QUOTA_EXCEEDED);
    CHECK_EQ(r.a, SLOT_QUOTA_DAY_NORMAL);
    CHECK_EQ(r.b, V);
    EXPECT(&f, hold_as("e1", "patient-01", "app"), SLOT_OK);
    r = EXPECT(&f, hold_as("e2", "patient-01", "app"), SLOT_QUOTA_EXCEEDED);
    CHECK_EQ(r.a, SLOT_QUOTA_DEPT_EXPERT);
    EXPECT(&f, hold_as("e3", "patient-01", "app"), SLOT_OK);
    /* The month: two on day V, one more on V+1, then no more. */
    EXPECT(&f, hold_as("m1", "patient-01", "app"), SLOT_OK);
    r = EXPECT(&f, hold_as("m2", "patient-01", "app"), SLOT_QUOTA_EXCEEDED);
    CHECK_EQ(r.a, SLOT_QUOTA_MONTH_NORMAL);
    int64_t first = slot_day_from_civil(2026, 12, 1);
    CHECK_EQ(r.b, (uint64_t)first);
    /* A released hold no longer counts; another patient is not affected. */
    EXPECT(&f, claim_as(SLOT_OP_RELEASE, h1, "app", ""), SLOT_OK);
    EXPECT(&f, hold_as("n3", "patient-01", "app"), SLOT_OK);
    EXPECT(&f, hold_as("n3", "patient-02", "app"), SLOT_OK);
    /* The platform-wide limit of active claims. */
    struct slot_config cfg = config_of(f.l);
    cfg.patient_active_max = 1;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    r = EXPECT(&f, hold_as("n1", "patient-02", "app"), SLOT_QUOTA_EXCEEDED);
    CHECK_EQ(r.a, SLOT_QUOTA_ACTIVE);
    done(&f);
}

static void test_patient_ownership_and_cancel(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.cancel_days_before = 1;
    pr.cancel_minute = 900; /* 15:00 the day before */
    pr.cancel_same_day = true;
    pr.cancel_limit_day = 2;
    fx_patients(&f, pr);
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "p%d", i);
        EXPECT(
            &f,
            cmd_spool(id, "cardio", "", i < 3 ? V : V + 1, "08:00", "12:00", 9),
            SLOT_OK);
    }
    f.now = LT(V - 2, "10:00");
    uint64_t h = EXPECT(&f, hold_as("p0", "patient-01", "app"), SLOT_OK).a;
    /* Another channel may not confirm it, unless for the bound account. */
    EXPECT(&f, claim_as(SLOT_OP_CONFIRM, h, "wechat", ""), SLOT_NOT_OWNER);
    EXPECT(&f, claim_as(SLOT_OP_CONFIRM, h, "wechat", "acct-0001"),
           SLOT_NOT_OWNER);
    EXPECT(&f, cmd_bind("acct-0001", "patient-01"), SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_CONFIRM, h, "wechat", "acct-0001"), SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, h, "114", ""), SLOT_NOT_OWNER);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, h, "app", ""), SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, h, "app", ""), SLOT_ALREADY_CANCELLED);
    /* After 15:00 the day before: closed, except for an administrator. */
    uint64_t b1 = book(&f, "p1", "patient-02", "app");
    f.now = LT(V - 1, "15:00");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b1, "app", ""), SLOT_CANCEL_CLOSED);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b1, "", ""), SLOT_OK);
    /* Booked after the deadline: cancellable until the segment starts. */
    f.now = LT(V - 1, "16:00");
    uint64_t b2 = book(&f, "p2", "patient-03", "window");
    f.now = LT(V, "07:59");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b2, "window", ""), SLOT_OK);
    /* Two cancellations in a day: no more holds that day (p3 is on the
     * next day, so still cancellable). */
    uint64_t b3 = book(&f, "p3", "patient-04", "window");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b3, "window", ""), SLOT_OK);
    uint64_t b4 = book(&f, "p3", "patient-04", "window");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b4, "window", ""), SLOT_OK);
    struct slot_result r =
        EXPECT(&f, hold_as("p3", "patient-04", "window"), SLOT_CANCEL_LIMIT);
    CHECK_EQ(r.b, V);
    f.now = LT(V + 1, "00:00");
    EXPECT(&f, hold_as("p3", "patient-04", "window"), SLOT_OK);
    done(&f);
}

static void test_patient_accounts(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    strcpy(pr.account_channels, "app");
    fx_patients(&f, pr);
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 9), SLOT_OK);
    f.now = LT(V - 2, "10:00");
    char pat[24];
    for (int i = 1; i <= 4; i++) {
        snprintf(pat, sizeof pat, "patient-0%d", i);
        CHECK_EQ(EXPECT(&f, cmd_bind("acct-aaaa", pat), SLOT_OK).a,
                 (uint64_t)i);
    }
    struct slot_result r =
        EXPECT(&f, cmd_bind("acct-aaaa", "patient-05"), SLOT_ACCOUNT_LIMIT);
    CHECK_EQ(r.a, SLOT_ACCOUNT_FULL);
    r = EXPECT(&f, cmd_bind("acct-bbbb", "patient-01"), SLOT_ACCOUNT_LIMIT);
    CHECK_EQ(r.a, SLOT_ACCOUNT_ELSEWHERE);
    EXPECT(&f, cmd_bind("acct-aaaa", "patient-01"), SLOT_OK);
    /* One change a year, of at most two patients. */
    EXPECT(&f, cmd_unbind("acct-aaaa", "patient-01"), SLOT_OK);
    EXPECT(&f, cmd_unbind("acct-aaaa", "patient-01"), SLOT_NOT_BOUND);
    EXPECT(&f, cmd_unbind("acct-aaaa", "patient-02"), SLOT_OK);
    r = EXPECT(&f, cmd_unbind("acct-aaaa", "patient-03"), SLOT_ACCOUNT_LIMIT);
    CHECK_EQ(r.a, SLOT_ACCOUNT_CHANGE_PATIENTS);
    f.now += 86400000ull;
    r = EXPECT(&f, cmd_unbind("acct-aaaa", "patient-03"), SLOT_ACCOUNT_LIMIT);
    CHECK_EQ(r.a, SLOT_ACCOUNT_CHANGES);
    /* The app books for bound patients only, naming the account. */
    EXPECT(&f, hold_as("p", "patient-03", "app"), SLOT_NOT_BOUND);
    struct slot_cmd h = hold_as("p", "patient-03", "app");
    h.u.hold.account = str_of("acct-bbbb");
    EXPECT(&f, h, SLOT_NOT_BOUND);
    h.u.hold.account = str_of("acct-aaaa");
    EXPECT(&f, h, SLOT_OK);
    EXPECT(&f, hold_as("p", "patient-05", "wechat"), SLOT_OK);
    struct slot_account_info ai;
    ledger_read_account(f.l, str_of("acct-aaaa"), &ai);
    CHECK_EQ(ai.n_patients, 2);
    CHECK_STR(ai.patients[0], "patient-03");
    CHECK_EQ(ai.n_changes, 1);
    CHECK_EQ(ai.changes[0].unbinds, 2);
    f.now = LT(V - 2, "10:00") + 366ull * 86400000ull;
    EXPECT(&f, cmd_unbind("acct-aaaa", "patient-03"), SLOT_OK);
    done(&f);
}

static void test_patient_blacklist(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.violation_threshold = 3;
    pr.violation_window_days = 90;
    pr.blacklist_days = 180;
    strcpy(pr.blacklist_exempt, "window");
    fx_patients(&f, pr);
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 9), SLOT_OK);
    EXPECT(&f, cmd_spool("q", "cardio", "", V, "13:00", "17:00", 9), SLOT_OK);
    f.now = LT(V - 2, "10:00");
    struct slot_result r;
    for (uint64_t i = 1; i <= 2; i++) {
        r = EXPECT(&f, staff(SLOT_OP_VIOLATION, "patient-01"), SLOT_OK);
        CHECK_EQ(r.a, i);
        CHECK_EQ(r.b, 0);
    }
    struct slot_patient_info pi = {0};
    ledger_read_patient_info(f.l, str_of("patient-01"), &pi);
    CHECK_EQ(pi.n_standing, 1);
    CHECK(pi.standing[0].warning);
    CHECK_EQ(pi.standing[0].violations, 2);
    r = EXPECT(&f, staff(SLOT_OP_VIOLATION, "patient-01"), SLOT_OK);
    uint64_t until = f.now + 180ull * 86400000ull;
    CHECK_EQ(r.b, until);
    r = EXPECT(&f, hold_as("p", "patient-01", "app"), SLOT_BLACKLISTED);
    CHECK_EQ(r.b, until);
    EXPECT(&f, hold_as("p", "patient-01", "window"), SLOT_OK);
    /* An exception lets one hold through. */
    EXPECT(&f, staff(SLOT_OP_EXCEPTION, "patient-01"), SLOT_OK);
    EXPECT(&f, hold_as("q", "patient-01", "app"), SLOT_OK);
    EXPECT(&f, hold_as("q", "patient-02", "app"), SLOT_OK);
    ledger_read_patient_info(f.l, str_of("patient-01"), &pi);
    CHECK(!pi.standing[0].exception && !pi.standing[0].warning);
    CHECK_EQ(pi.standing[0].blacklisted_until_ms, until);
    CHECK_EQ(pi.n_claims, 0); /* claims not asked for (no storage) */
    /* Unblock: lifted, the violations forgotten, recorded. */
    CHECK_EQ(EXPECT(&f, staff(SLOT_OP_UNBLOCK, "patient-01"), SLOT_OK).a, 1);
    CHECK_EQ(EXPECT(&f, staff(SLOT_OP_UNBLOCK, "patient-01"), SLOT_OK).a, 0);
    ledger_read_patient_info(f.l, str_of("patient-01"), &pi);
    CHECK_EQ(pi.n_standing, 0);
    CHECK_EQ(pi.n_violations, 0);
    struct slot_staff_entry log[8];
    uint32_t n;
    ledger_read_staff_log(f.l, 0, 8, log, &n);
    CHECK_EQ(n, 6);
    CHECK_EQ(log[3].op, SLOT_OP_EXCEPTION);
    CHECK_STR(log[5].operator_name, "nurse@pumch");
    ledger_read_staff_log(f.l, 5, 8, log, &n);
    CHECK_EQ(n, 1);
    /* Violations leave the window. */
    EXPECT(&f, staff(SLOT_OP_VIOLATION, "patient-03"), SLOT_OK);
    EXPECT(&f, staff(SLOT_OP_VIOLATION, "patient-03"), SLOT_OK);
    f.now += 90ull * 86400000ull;
    CHECK_EQ(EXPECT(&f, staff(SLOT_OP_VIOLATION, "patient-03"), SLOT_OK).a, 1);
    /* An unknown hospital. */
    struct slot_cmd c = staff(SLOT_OP_VIOLATION, "patient-03");
    c.u.staff.hospital = str_of("nowhere");
    EXPECT(&f, c, SLOT_UNKNOWN_HOSPITAL);
    done(&f);
}

static void test_patient_cooldown(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.cooldown_min_ms = 60000;
    pr.cooldown_max_ms = 120000;
    pr.unpaid_is_violation = true;
    fx_patients(&f, pr);
    struct slot_config cfg = config_of(f.l);
    cfg.cooldown_key[0] = 0x0123456789abcdefull;
    cfg.cooldown_key[1] = 42;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 1), SLOT_OK);
    f.now = LT(V - 2, "10:00");
    uint64_t b = book(&f, "p", "patient-01", "app");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "app", ""), SLOT_OK);
    uint64_t cancelled_at = f.now;
    struct slot_pool_status st = pool_of(f.l, "p");
    CHECK_EQ(st.cooling, 1);
    CHECK_EQ(st.free, 0);
    EXPECT(&f, hold_as("p", "patient-02", "app"), SLOT_SOLD_OUT);
    uint64_t due = ledger_next_sweep_ms(f.l);
    CHECK(due >= cancelled_at + 60000 && due <= cancelled_at + 120000);
    /* Restored mid-way, the replica returns it at the same time. */
    struct mp_buf sb;
    mp_buf_init(&sb);
    ledger_snapshot(f.l, &sb);
    struct ledger *back;
    CHECK_CODE(ledger_restore(sb.data, sb.len, &back), SLOT_OK);
    CHECK_EQ(ledger_next_sweep_ms(back), due);
    CHECK(ledger_state_hash(back) == ledger_state_hash(f.l));
    mp_buf_free(&sb);
    ledger_destroy(back);
    struct slot_cmd sweep = {.op = SLOT_OP_SWEEP};
    sweep.u.expire.max = 10;
    f.now = due - 1;
    CHECK_EQ(fx_run(&f, sweep).a, 0);
    f.now = due;
    struct slot_result r = fx_run(&f, sweep);
    CHECK_EQ(r.a, 1);
    CHECK_EQ(r.b, 0);
    st = pool_of(f.l, "p");
    CHECK_EQ(st.cooling, 0);
    CHECK_EQ(st.free, 1);
    /* A hold that expires unpaid is a violation. */
    EXPECT(&f, cmd_hold("p", "patient-02", "app", 2000), SLOT_OK);
    f.now += 2000;
    struct slot_cmd ex = {.op = SLOT_OP_EXPIRE};
    ex.u.expire.max = 10;
    CHECK_EQ(fx_run(&f, ex).a, 1);
    struct slot_patient_info pi = {0};
    ledger_read_patient_info(f.l, str_of("patient-02"), &pi);
    CHECK_EQ(pi.n_violations, 1);
    CHECK_EQ(pi.violations[0].kind, SLOT_VIOLATION_UNPAID);
    /* Another key, another time. */
    cfg.cooldown_key[1] = 43;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    b = book(&f, "p", "patient-03", "app");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "", ""), SLOT_OK);
    CHECK(ledger_next_sweep_ms(f.l) >= f.now + 60000);
    char why[256];
    CHECK(ledger_check(f.l, why, sizeof why));
    done(&f);
}

static struct slot_cmd waitCmd(uint8_t op, const char *pool,
                               const char *patient, const char *channel)
{
    struct slot_cmd c = {.op = op};
    c.u.wait.pool = str_of(pool);
    c.u.wait.patient = str_of(patient);
    c.u.wait.channel = str_of(channel);
    return c;
}

static void checkRoundTrip(const struct ledger *l)
{
    struct mp_buf sb;
    mp_buf_init(&sb);
    ledger_snapshot(l, &sb);
    struct ledger *back;
    CHECK_CODE(ledger_restore(sb.data, sb.len, &back), SLOT_OK);
    CHECK(ledger_state_hash(back) == ledger_state_hash(l));
    mp_buf_free(&sb);
    ledger_destroy(back);
}

static void test_patient_waitlist(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.cooldown_min_ms = 10 * 60000;
    pr.cooldown_max_ms = 20 * 60000;
    fx_patients(&f, pr);
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 1), SLOT_OK);
    EXPECT(&f, cmd_spool("q", "cardio", "", V, "13:00", "17:00", 1), SLOT_OK);
    f.now = LT(V - 2, "10:00");
    uint64_t b = book(&f, "p", "patient-01", "app");
    EXPECT(&f, waitCmd(SLOT_OP_WAITLIST_JOIN, "q", "patient-02", "app"),
           SLOT_NOT_SOLD_OUT);
    EXPECT(&f, waitCmd(SLOT_OP_WAITLIST_JOIN, "p", "patient-01", "app"),
           SLOT_PATIENT_HAS_CLAIM);
    CHECK_EQ(EXPECT(&f,
                    waitCmd(SLOT_OP_WAITLIST_JOIN, "p", "patient-02", "app"),
                    SLOT_OK)
                 .a,
             1);
    CHECK_EQ(EXPECT(&f,
                    waitCmd(SLOT_OP_WAITLIST_JOIN, "p", "patient-03", "114"),
                    SLOT_OK)
                 .a,
             2);
    EXPECT(&f, waitCmd(SLOT_OP_WAITLIST_JOIN, "p", "patient-02", "wechat"),
           SLOT_ALREADY_WAITING);
    EXPECT(&f, waitCmd(SLOT_OP_WAITLIST_LEAVE, "p", "patient-03", "app"),
           SLOT_NOT_OWNER);
    EXPECT(&f, waitCmd(SLOT_OP_WAITLIST_LEAVE, "p", "patient-03", "114"),
           SLOT_OK);
    EXPECT(&f, waitCmd(SLOT_OP_WAITLIST_LEAVE, "p", "patient-03", "114"),
           SLOT_NOT_WAITING);
    EXPECT(&f, waitCmd(SLOT_OP_WAITLIST_JOIN, "p", "patient-03", "114"),
           SLOT_OK);
    uint32_t pos, len;
    CHECK_CODE(ledger_read_waitlist(f.l, str_of("p"), str_of("patient-03"),
                                    &pos, &len),
               SLOT_OK);
    CHECK(pos == 2 && len == 2);
    /* The cancel offers the slot to the head at once: never free. */
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "app", ""), SLOT_OK);
    struct slot_pool_status st = pool_of(f.l, "p");
    CHECK(st.free == 0 && st.held == 1 && st.cooling == 0 && st.waiting == 1);
    struct slot_claim mine[2];
    struct slot_patient_info pi = {.claims = mine, .claims_cap = 2};
    ledger_read_patient_info(f.l, str_of("patient-02"), &pi);
    CHECK_EQ(pi.n_claims, 1);
    CHECK_STR(pi.claims[0].pool, "p");
    uint64_t offer = pi.claims[0].id;
    CHECK_EQ(pi.claims[0].deadline_ms, f.now + 300000); /* pay_ttl_ms */
    checkRoundTrip(f.l);
    /* It lapses: the slot cools from the cancel, not from the lapse. */
    uint64_t cancelled_at = f.now;
    f.now += 300000;
    struct slot_cmd ex = {.op = SLOT_OP_EXPIRE};
    ex.u.expire.max = 10;
    CHECK_EQ(fx_run(&f, ex).a, 1);
    st = pool_of(f.l, "p");
    CHECK(st.free == 0 && st.held == 0 && st.cooling == 1);
    uint64_t due = ledger_next_sweep_ms(f.l);
    CHECK(due >= cancelled_at + 10 * 60000 && due <= cancelled_at + 20 * 60000);
    EXPECT(&f, claim_as(SLOT_OP_CONFIRM, offer, "app", ""), SLOT_HOLD_EXPIRED);
    checkRoundTrip(f.l);
    /* A confirmed offer is a booking; its cancel offers again. */
    struct slot_cmd sweep = {.op = SLOT_OP_SWEEP};
    sweep.u.expire.max = 10;
    f.now = due;
    CHECK_EQ(fx_run(&f, sweep).a, 1);
    uint64_t b2 = book(&f, "p", "patient-04", "app");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b2, "", ""), SLOT_OK);
    ledger_read_patient_info(f.l, str_of("patient-03"), &pi);
    CHECK_EQ(pi.n_claims, 1);
    EXPECT(&f, claim_as(SLOT_OP_CONFIRM, pi.claims[0].id, "114", ""), SLOT_OK);
    st = pool_of(f.l, "p");
    CHECK(st.booked == 1 && st.waiting == 0);
    char why[256];
    CHECK(ledger_check(f.l, why, sizeof why));
    done(&f);
}

/* Waiters are taken from the head: SLOT_WAITLIST_SKIP_MAX ineligible
 * ones are dropped, and the next one, if it may hold, gets the offer
 * ("the first that passes"); one more ineligible waiter would stay. */
static void test_waitlist_skip_bound(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.violation_threshold = 1;
    pr.blacklist_days = 1;
    fx_patients(&f, pr);
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 1), SLOT_OK);
    f.now = LT(V - 2, "10:00");
    uint64_t b = book(&f, "p", "patient-00", "app");
    char names[SLOT_WAITLIST_SKIP_MAX + 2][24];
    for (int i = 1; i <= SLOT_WAITLIST_SKIP_MAX + 1; i++) {
        snprintf(names[i], sizeof names[i], "patient-%02d", i);
        EXPECT(&f, waitCmd(SLOT_OP_WAITLIST_JOIN, "p", names[i], "app"),
               SLOT_OK);
    }
    for (int i = 1; i <= SLOT_WAITLIST_SKIP_MAX; i++) {
        EXPECT(&f, staff(SLOT_OP_VIOLATION, names[i]), SLOT_OK);
    }
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "", ""), SLOT_OK);
    struct slot_pool_status st = pool_of(f.l, "p");
    CHECK_EQ(st.waiting, 0);
    CHECK_EQ(st.held, 1);
    struct slot_claim mine[2];
    struct slot_patient_info pi = {.claims = mine, .claims_cap = 2};
    ledger_read_patient_info(f.l, str_of(names[SLOT_WAITLIST_SKIP_MAX + 1]),
                             &pi);
    CHECK_EQ(pi.n_claims, 1);
    CHECK_STR(pi.claims[0].pool, "p");
    char why[256];
    CHECK(ledger_check(f.l, why, sizeof why));
    done(&f);
}

/* A pending exception does not help a waiter: the offer's check stops at
 * BLACKLISTED, as a HOLD's would, before PATIENT_HAS_CLAIM, so the
 * waiter's own due hold in the pool is not expired by it. */
static void test_waitlist_exception_no_help(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.violation_threshold = 1;
    pr.blacklist_days = 1;
    fx_patients(&f, pr);
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 2), SLOT_OK);
    f.now = LT(V - 2, "10:00");
    uint64_t b = book(&f, "p", "patient-00", "app");
    uint64_t x = EXPECT(&f, hold_as("p", "patient-09", "app"), SLOT_OK).a;
    EXPECT(&f, waitCmd(SLOT_OP_WAITLIST_JOIN, "p", "patient-01", "app"),
           SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_RELEASE, x, "app", ""), SLOT_OK);
    uint64_t h = EXPECT(&f, hold_as("p", "patient-01", "app"), SLOT_OK).a;
    f.now += TTL; /* h is due, not expired */
    EXPECT(&f, staff(SLOT_OP_VIOLATION, "patient-01"), SLOT_OK);
    EXPECT(&f, staff(SLOT_OP_EXCEPTION, "patient-01"), SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "", ""), SLOT_OK);
    struct slot_pool_status st = pool_of(f.l, "p");
    CHECK_EQ(st.waiting, 0); /* dropped */
    CHECK_EQ(st.held, 1);    /* h, due, still counted as held */
    CHECK_EQ(st.free, 1);
    CHECK_EQ(claim_of(f.l, h).resolved_at_ms, 0);
    char why[256];
    CHECK(ledger_check(f.l, why, sizeof why));
    done(&f);
}

static void test_patient_account_quota_and_late_cancel(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.quota_day_normal = 2;
    pr.quota_per_account = true;
    pr.late_cancel_ms = 2 * 3600000;
    pr.violation_threshold = 2;
    fx_patients(&f, pr);
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "n%d", i);
        EXPECT(&f, cmd_spool(id, "cardio", "", V, "08:00", "12:00", 9),
               SLOT_OK);
    }
    f.now = LT(V - 1, "10:00");
    EXPECT(&f, cmd_bind("acct-aaaa", "patient-01"), SLOT_OK);
    EXPECT(&f, cmd_bind("acct-aaaa", "patient-02"), SLOT_OK);
    EXPECT(&f, hold_as("n0", "patient-01", "app"), SLOT_OK);
    uint64_t b = book(&f, "n1", "patient-02", "app");
    /* patient-02 has one claim, the account two: the account's quota. */
    struct slot_result r =
        EXPECT(&f, hold_as("n2", "patient-02", "app"), SLOT_QUOTA_EXCEEDED);
    CHECK_EQ(r.a, SLOT_QUOTA_ACCOUNT_DAY_NORMAL);
    CHECK_EQ(r.b, V);
    CHECK_STR(slot_quota_name((int)r.a), "account_day_normal");
    EXPECT(&f, hold_as("n2", "patient-03", "app"), SLOT_OK); /* unbound */
    /* A cancel two hours or less before the segment is a violation; an
     * administrator's is not. */
    f.now = LT(V, "05:59");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "app", ""), SLOT_OK);
    struct slot_patient_info pi = {0};
    ledger_read_patient_info(f.l, str_of("patient-02"), &pi);
    CHECK_EQ(pi.n_violations, 0);
    b = book(&f, "n1", "patient-02", "window"); /* same day: the window */
    f.now = LT(V, "06:01");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "window", ""), SLOT_OK);
    ledger_read_patient_info(f.l, str_of("patient-02"), &pi);
    CHECK_EQ(pi.n_violations, 1);
    CHECK_EQ(pi.violations[0].kind, SLOT_VIOLATION_LATE_CANCEL);
    b = book(&f, "n3", "patient-02", "window");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "", ""), SLOT_OK);
    ledger_read_patient_info(f.l, str_of("patient-02"), &pi);
    CHECK_EQ(pi.n_violations, 1);
    /* The second late cancel reaches the threshold. */
    b = book(&f, "n3", "patient-02", "window");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "window", ""), SLOT_OK);
    r = EXPECT(&f, hold_as("n3", "patient-02", "window"), SLOT_BLACKLISTED);
    CHECK(r.b > f.now);
    checkRoundTrip(f.l);
    done(&f);
}

/* ---- the visit day (ledger.h, "The visit day") ------------------------ */

#define MIN_MS 60000ull

/* pumch with patient rules pr and visit rules: check-in from an hour
 * before the segment to 30 minutes before its end, no-shows swept. */
static void fx_visit(struct fx *f, struct slot_patient_rules pr)
{
    fx_days(f);
    struct slot_rules r = tsched_beijing();
    r.patient = pr;
    r.visit.checkin_before_ms = 60 * MIN_MS;
    r.visit.checkin_late_ms = 30 * MIN_MS;
    r.visit.noshow_sweep = true;
    EXPECT(f, cmd_rules("pumch", "", &r), SLOT_OK);
}

/* The ledger restored from its own snapshot has the same state. */
static void snapshotRoundTrip(const struct ledger *l)
{
    struct mp_buf s;
    mp_buf_init(&s);
    ledger_snapshot(l, &s);
    struct ledger *back = NULL;
    CHECK_CODE(ledger_restore(s.data, s.len, &back), SLOT_OK);
    CHECK_EQ(ledger_state_hash(back), ledger_state_hash(l));
    ledger_destroy(back);
    mp_buf_free(&s);
}

static struct slot_cmd sweepCmd(uint32_t max)
{
    struct slot_cmd sw = {.op = SLOT_OP_SWEEP};
    sw.u.expire.max = max;
    return sw;
}

static void test_visit_stop(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.unpaid_is_violation = true;
    fx_visit(&f, pr);
    EXPECT(&f, cmd_spool("p", "cardio", "dr-li", V, "08:00", "12:00", 4),
           SLOT_OK);
    fx_pool(&f, "free", 3);
    f.now = LT(V - 3, "10:00");
    uint64_t b1 = book(&f, "p", "patient-01", "window");
    uint64_t h2 = EXPECT(&f, hold_as("p", "patient-02", "window"), SLOT_OK).a;
    book(&f, "p", "patient-03", "window");
    EXPECT(&f, hold_as("p", "patient-04", "window"), SLOT_OK);
    struct slot_cmd join = {.op = SLOT_OP_WAITLIST_JOIN};
    join.u.wait.pool = str_of("p");
    join.u.wait.patient = str_of("patient-05");
    join.u.wait.channel = str_of("window");
    EXPECT(&f, join, SLOT_OK); /* sold out: 2 booked, 2 held */
    EXPECT(&f, cmd_stop("nowhere"), SLOT_UNKNOWN_POOL);
    struct slot_result r = EXPECT(&f, cmd_stop("p"), SLOT_OK);
    CHECK_EQ(r.a, 2);
    CHECK_EQ(r.b, 2);
    EXPECT(&f, cmd_stop("p"), SLOT_POOL_STOPPED);
    struct slot_pool_status st = pool_of(f.l, "p");
    CHECK_EQ(st.state, SLOT_PSTATE_STOPPED);
    CHECK_EQ(st.waiting, 0); /* nobody is offered a stopped clinic */
    CHECK(claim_of(f.l, b1).affected && claim_of(f.l, h2).affected);
    /* No new holds, waiters, closes, updates or payments; a release is
     * fine (the hold then simply ends). */
    EXPECT(&f, hold_as("p", "patient-06", "window"), SLOT_POOL_STOPPED);
    EXPECT(&f, join, SLOT_POOL_STOPPED);
    EXPECT(&f, cmd_close("p"), SLOT_POOL_STOPPED);
    struct slot_cmd up =
        cmd_spool("p", "cardio", "dr-li", V, "08:00", "12:00", 5);
    up.op = SLOT_OP_POOL_UPDATE;
    EXPECT(&f, up, SLOT_POOL_STOPPED);
    EXPECT(&f, claim_as(SLOT_OP_CONFIRM, h2, "window", ""), SLOT_POOL_STOPPED);
    CHECK_EQ(claim_of(f.l, h2).state, SLOT_CLAIM_HELD);
    EXPECT(&f, claim_as(SLOT_OP_RELEASE, h2, "window", ""), SLOT_OK);
    /* A closed pool can be stopped too; a free-standing one as well. */
    EXPECT(&f, cmd_close("free"), SLOT_OK);
    EXPECT(&f, cmd_stop("free"), SLOT_OK);
    CHECK_EQ(pool_of(f.l, "free").state, SLOT_PSTATE_STOPPED);
    struct slot_staff_entry log[4];
    uint32_t n;
    ledger_read_staff_log(f.l, 0, 4, log, &n);
    CHECK_EQ(n, 2);
    CHECK_EQ(log[0].op, SLOT_OP_POOL_STOP);
    CHECK_STR(log[0].pool, "p");
    CHECK_STR(log[0].hospital, "pumch");
    CHECK_STR(log[0].patient, "");
    CHECK_STR(log[0].operator_name, "ops@test");
    CHECK_STR(log[1].hospital, "");
    /* Everything the stopped clinic had, by id. */
    struct slot_claim cl[8];
    CHECK_CODE(ledger_read_pool_claims(f.l, str_of("p"), 0, 8, cl, &n),
               SLOT_OK);
    CHECK_EQ(n, 4);
    CHECK_EQ(cl[0].id, b1);
    CHECK_EQ(cl[1].state, SLOT_CLAIM_RELEASED);
    CHECK_CODE(ledger_read_pool_claims(f.l, str_of("p"), cl[1].id, 1, cl, &n),
               SLOT_OK);
    CHECK_EQ(n, 1);
    CHECK_CODE(ledger_read_pool_claims(f.l, str_of("none"), 0, 8, cl, &n),
               SLOT_UNKNOWN_POOL);
    snapshotRoundTrip(f.l);
    /* The hold the stop left unpayable expires without a violation. */
    f.now += TTL;
    CHECK_EQ(EXPECT(&f, cmd_expire(16), SLOT_OK).a, 1);
    struct slot_patient_info pi = {0};
    ledger_read_patient_info(f.l, str_of("patient-04"), &pi);
    CHECK_EQ(pi.n_violations, 0);
    done(&f);
}

static void test_visit_refund(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.cancel_days_before = 1;
    pr.cancel_minute = 900;
    pr.cooldown_min_ms = 60000;
    pr.cooldown_max_ms = 120000;
    pr.late_cancel_ms = 3600000;
    pr.violation_threshold = 1;
    fx_visit(&f, pr);
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 4), SLOT_OK);
    f.now = LT(V - 3, "10:00");
    uint64_t b1 = book(&f, "p", "patient-01", "window");
    uint64_t b2 = book(&f, "p", "patient-02", "window");
    f.now = LT(V, "07:30");
    EXPECT(&f, cmd_checkin(b2, "patient-02", ""), SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b1, "window", ""), SLOT_CANCEL_CLOSED);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b2, "window", ""),
           SLOT_ALREADY_CHECKED_IN);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b2, "", ""), SLOT_ALREADY_CHECKED_IN);
    EXPECT(&f, cmd_stop("p"), SLOT_OK);
    /* Past the deadline, checked in or not: a refund, no penalty. */
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b1, "wechat", ""), SLOT_NOT_OWNER);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b1, "window", ""), SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b2, "window", ""), SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b2, "window", ""),
           SLOT_ALREADY_CANCELLED);
    struct slot_claim c = claim_of(f.l, b1);
    CHECK(c.state == SLOT_CLAIM_CANCELLED && c.refunded && c.affected);
    CHECK_EQ(claim_of(f.l, b2).attendance, SLOT_ATTEND_CHECKED_IN);
    struct slot_pool_status st = pool_of(f.l, "p");
    CHECK_EQ(st.cooling, 0);
    CHECK_EQ(st.free, 4);
    struct slot_patient_info pi = {0};
    ledger_read_patient_info(f.l, str_of("patient-01"), &pi);
    CHECK_EQ(pi.n_cancels, 0);
    CHECK_EQ(pi.n_violations, 0);
    snapshotRoundTrip(f.l);
    done(&f);
}

static void test_visit_move(void)
{
    struct fx f;
    fx_visit(&f, prules());
    EXPECT(&f, cmd_spool("p", "cardio", "dr-li", V, "08:00", "12:00", 3),
           SLOT_OK);
    struct slot_cmd q =
        cmd_spool("q", "cardio", "dr-wu", V, "13:00", "17:00", 3);
    q.u.pool.sched.pay_mode = SLOT_PAY_AT_VISIT;
    EXPECT(&f, q, SLOT_OK);
    EXPECT(&f, cmd_spool("full", "cardio", "", V + 1, "08:00", "12:00", 1),
           SLOT_OK);
    EXPECT(&f, cmd_spool("closed", "cardio", "", V + 1, "13:00", "17:00", 3),
           SLOT_OK);
    EXPECT(&f, cmd_spool("over", "cardio", "", V - 1, "08:00", "12:00", 3),
           SLOT_OK);
    EXPECT(&f, cmd_spool("stopped", "cardio", "", V + 2, "08:00", "12:00", 3),
           SLOT_OK);
    EXPECT(&f, cmd_spool("derm", "derm", "", V, "13:00", "17:00", 3), SLOT_OK);
    struct slot_cmd ex =
        cmd_spool("expert", "cardio", "", V, "13:00", "17:00", 3);
    ex.u.pool.kind = SLOT_KIND_EXPERT;
    EXPECT(&f, ex, SLOT_OK);
    fx_pool(&f, "free", 3);
    f.now = LT(V - 3, "10:00");
    uint64_t b = book(&f, "p", "patient-01", "window");
    uint64_t h = EXPECT(&f, hold_as("p", "patient-02", "window"), SLOT_OK).a;
    f.now = LT(V - 2, "10:00");
    book(&f, "full", "patient-03", "window");
    f.now = LT(V - 3, "10:00");
    book(&f, "q", "patient-04", "window");
    EXPECT(&f, cmd_close("closed"), SLOT_OK);
    EXPECT(&f, cmd_stop("stopped"), SLOT_OK);
    /* The refusals, in ledger.h's order. */
    EXPECT(&f, cmd_move(h, "q"), SLOT_UNKNOWN_BOOKING);
    EXPECT(&f, cmd_move(999, "q"), SLOT_UNKNOWN_BOOKING);
    EXPECT(&f, cmd_as(cmd_move(b, "q"), "wechat", ""), SLOT_NOT_OWNER);
    EXPECT(&f, cmd_move(b, "q"), SLOT_NOT_STOPPED);
    EXPECT(&f, cmd_stop("p"), SLOT_OK);
    EXPECT(&f, cmd_move(b, "nowhere"), SLOT_UNKNOWN_POOL);
    EXPECT(&f, cmd_move(b, "p"), SLOT_MOVE_MISMATCH);
    EXPECT(&f, cmd_move(b, "derm"), SLOT_MOVE_MISMATCH);
    EXPECT(&f, cmd_move(b, "expert"), SLOT_MOVE_MISMATCH);
    EXPECT(&f, cmd_move(b, "free"), SLOT_MOVE_MISMATCH);
    EXPECT(&f, cmd_move(b, "stopped"), SLOT_POOL_STOPPED);
    EXPECT(&f, cmd_move(b, "closed"), SLOT_POOL_CLOSED);
    f.now = LT(V, "09:00");
    EXPECT(&f, cmd_move(b, "over"), SLOT_BOOKING_CLOSED);
    EXPECT(&f, cmd_move(b, "full"), SLOT_SOLD_OUT);
    uint64_t h4 = EXPECT(&f, hold_as("q", "patient-01", "window"), SLOT_OK).a;
    EXPECT(&f, cmd_move(b, "q"), SLOT_PATIENT_HAS_CLAIM);
    EXPECT(&f, claim_as(SLOT_OP_RELEASE, h4, "window", ""), SLOT_OK);
    struct slot_rules quota = tsched_beijing();
    quota.patient.quota_day_normal = 1;
    quota.visit.checkin_before_ms = 60 * MIN_MS;
    EXPECT(&f, cmd_rules("pumch", "", &quota), SLOT_OK);
    /* Moved by its channel: a new booking in q with the old payment. No
     * quota is asked (the day's quota of 1 is taken by the booking being
     * moved until the move ends it). */
    struct slot_result r =
        EXPECT(&f, cmd_as(cmd_move(b, "q"), "window", ""), SLOT_OK);
    uint64_t nb = r.a;
    CHECK(nb > b);
    CHECK_EQ(r.b, 2); /* q's next number after patient-04's 1 */
    struct slot_claim old = claim_of(f.l, b), nw = claim_of(f.l, nb);
    CHECK_EQ(old.state, SLOT_CLAIM_MOVED);
    CHECK_EQ(old.moved_to, nb);
    CHECK_EQ(old.resolved_at_ms, f.now);
    CHECK_EQ(nw.state, SLOT_CLAIM_BOOKED);
    CHECK_EQ(nw.moved_from, b);
    CHECK_STR(nw.pool, "q");
    CHECK_STR(nw.channel, "window");
    CHECK_STR(nw.payment_ref, "pay-0001");
    CHECK(nw.paid && !nw.affected);
    CHECK_EQ(nw.held_at_ms, f.now);
    CHECK_EQ(nw.booked_at_ms, f.now);
    CHECK_EQ(pool_of(f.l, "p").booked, 0);
    CHECK_EQ(pool_of(f.l, "q").booked, 2);
    /* A MOVED booking is done with: no second move, no cancel; its read
     * still answers as a booking. */
    EXPECT(&f, cmd_move(b, "closed"), SLOT_ALREADY_CANCELLED);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "window", ""),
           SLOT_ALREADY_CANCELLED);
    EXPECT(&f, claim_as(SLOT_OP_CONFIRM, b, "window", ""),
           SLOT_ALREADY_CONFIRMED);
    struct slot_claim rd;
    CHECK_CODE(ledger_read_claim(f.l, b, true, &rd), SLOT_OK);
    EXPECT(&f, cmd_checkin(nb, "patient-01", ""), SLOT_CHECKIN_NOT_OPEN);
    snapshotRoundTrip(f.l);
    done(&f);
}

static void test_visit_checkin(void)
{
    struct fx f;
    fx_visit(&f, prules());
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 4), SLOT_OK);
    struct slot_cmd q = cmd_spool("q", "cardio", "", V, "13:00", "17:00", 4);
    q.u.pool.sched.pay_mode = SLOT_PAY_AT_VISIT;
    EXPECT(&f, q, SLOT_OK);
    f.now = LT(V - 3, "10:00");
    uint64_t b = book(&f, "p", "patient-01", "window");
    uint64_t h = EXPECT(&f, hold_as("p", "patient-02", "window"), SLOT_OK).a;
    uint64_t c = book(&f, "p", "patient-03", "window");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, c, "window", ""), SLOT_OK);
    uint64_t u = EXPECT(&f, hold_as("q", "patient-01", "window"), SLOT_OK).a;
    EXPECT(&f, confirm_ref(u, ""), SLOT_OK); /* unpaid: pay at the visit */
    EXPECT(&f, cmd_checkin(h, "patient-02", ""), SLOT_UNKNOWN_BOOKING);
    EXPECT(&f, cmd_checkin(b, "patient-02", ""), SLOT_PATIENT_MISMATCH);
    EXPECT(&f, cmd_checkin(c, "patient-03", ""), SLOT_ALREADY_CANCELLED);
    f.now = LT(V, "06:59");
    EXPECT(&f, cmd_checkin(b, "patient-01", ""), SLOT_CHECKIN_NOT_OPEN);
    f.now = LT(V, "07:00");
    struct slot_result r =
        EXPECT(&f, cmd_checkin(b, "patient-01", ""), SLOT_OK);
    CHECK_EQ(r.a, 1);
    struct slot_claim cl = claim_of(f.l, b);
    CHECK_EQ(cl.attendance, SLOT_ATTEND_CHECKED_IN);
    CHECK_EQ(cl.checked_in_at_ms, f.now);
    EXPECT(&f, cmd_checkin(b, "patient-01", ""), SLOT_ALREADY_CHECKED_IN);
    /* Paid at the visit: the reference comes with the check-in. */
    f.now = LT(V, "14:00");
    EXPECT(&f, cmd_checkin(u, "patient-01", "cash:0042"), SLOT_OK);
    cl = claim_of(f.l, u);
    CHECK(cl.paid);
    CHECK_STR(cl.payment_ref, "cash:0042");
    f.now = LT(V, "16:30");
    uint64_t late = EXPECT(&f, hold_as("q", "patient-05", "window"), SLOT_OK).a;
    EXPECT(&f, confirm_ref(late, ""), SLOT_OK);
    EXPECT(&f, cmd_checkin(late, "patient-05", ""), SLOT_CHECKIN_CLOSED);
    EXPECT(&f, cmd_stop("q"), SLOT_OK);
    EXPECT(&f, cmd_checkin(late, "patient-05", ""), SLOT_POOL_STOPPED);
    snapshotRoundTrip(f.l);
    done(&f);
}

static void test_visit_noshow(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.violation_threshold = 2;
    fx_visit(&f, pr);
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 6), SLOT_OK);
    EXPECT(&f, cmd_spool("q", "cardio", "", V, "13:00", "17:00", 6), SLOT_OK);
    EXPECT(&f, cmd_spool("s", "cardio", "", V, "13:00", "17:00", 6), SLOT_OK);
    f.now = LT(V - 3, "10:00");
    uint64_t came = book(&f, "p", "patient-01", "window");
    uint64_t absent = book(&f, "p", "patient-02", "window");
    uint64_t gone = book(&f, "p", "patient-03", "window");
    uint64_t q2 = book(&f, "q", "patient-02", "window");
    uint64_t s1 = book(&f, "s", "patient-04", "window");
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, gone, "window", ""), SLOT_OK);
    CHECK_EQ(ledger_next_sweep_ms(f.l), LT(V, "11:30"));
    f.now = LT(V, "07:10");
    EXPECT(&f, cmd_checkin(came, "patient-01", ""), SLOT_OK);
    CHECK_EQ(EXPECT(&f, sweepCmd(16), SLOT_OK).a, 0); /* nothing due */
    f.now = LT(V, "11:30");
    struct slot_result r = EXPECT(&f, sweepCmd(16), SLOT_OK);
    CHECK_EQ(r.a, 1); /* only the absent one was still waiting */
    CHECK_EQ(r.b, 0);
    CHECK_EQ(claim_of(f.l, absent).attendance, SLOT_ATTEND_NO_SHOW);
    CHECK_EQ(claim_of(f.l, came).attendance, SLOT_ATTEND_CHECKED_IN);
    EXPECT(&f, cmd_checkin(absent, "patient-02", ""), SLOT_NO_SHOW);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, absent, "", ""), SLOT_NO_SHOW);
    struct slot_patient_info pi = {0};
    ledger_read_patient_info(f.l, str_of("patient-02"), &pi);
    CHECK_EQ(pi.n_violations, 1);
    CHECK_EQ(pi.violations[0].kind, SLOT_VIOLATION_NO_SHOW);
    /* A booking made after check-in closed is never a no-show. */
    f.now = LT(V, "11:45");
    uint64_t late = EXPECT(&f, hold_as("p", "patient-05", "window"), SLOT_OK).a;
    EXPECT(&f, claim_as(SLOT_OP_CONFIRM, late, "window", ""), SLOT_OK);
    CHECK_EQ(ledger_next_sweep_ms(f.l), LT(V, "16:30"));
    /* Final, even if the clinic is stopped afterwards. */
    EXPECT(&f, cmd_stop("p"), SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, absent, "", ""), SLOT_NO_SHOW);
    EXPECT(&f, cmd_move(absent, "q"), SLOT_NO_SHOW);
    /* A rule change that closes check-in later puts the entry back; a
     * stopped clinic's bookings are dropped, never no-shows. */
    struct slot_rules rl = tsched_beijing();
    rl.patient = pr;
    rl.visit.checkin_late_ms = 0;
    rl.visit.noshow_sweep = true;
    EXPECT(&f, cmd_rules("pumch", "", &rl), SLOT_OK);
    EXPECT(&f, cmd_stop("s"), SLOT_OK);
    f.now = LT(V, "16:30");
    r = EXPECT(&f, sweepCmd(16), SLOT_OK);
    CHECK_EQ(r.a, 2); /* q2 back at 17:00, s1 dropped */
    CHECK_EQ(claim_of(f.l, q2).attendance, SLOT_ATTEND_PENDING);
    CHECK_EQ(claim_of(f.l, s1).attendance, SLOT_ATTEND_PENDING);
    CHECK_EQ(ledger_next_sweep_ms(f.l), LT(V, "17:00"));
    f.now = LT(V, "17:00");
    CHECK_EQ(EXPECT(&f, sweepCmd(16), SLOT_OK).a, 1);
    CHECK_EQ(claim_of(f.l, q2).attendance, SLOT_ATTEND_NO_SHOW);
    CHECK_EQ(claim_of(f.l, late).attendance, SLOT_ATTEND_PENDING);
    CHECK_EQ(ledger_next_sweep_ms(f.l), UINT64_MAX);
    /* Two no-shows: blacklisted (threshold 2). */
    ledger_read_patient_info(f.l, str_of("patient-02"), &pi);
    CHECK_EQ(pi.n_violations, 2);
    CHECK(pi.standing[0].blacklisted_until_ms > f.now);
    snapshotRoundTrip(f.l);
    done(&f);
}

/* A snapshot taken while bookings wait in the no-show heap restores with
 * the heap, and the restored ledger sweeps them as the original does,
 * within SWEEP's bound. */
static void test_visit_snapshot_heap(void)
{
    struct fx f;
    fx_visit(&f, prules());
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 6), SLOT_OK);
    f.now = LT(V - 3, "10:00");
    const char *who[] = {"patient-01", "patient-02", "patient-03",
                         "patient-04"};
    for (int i = 0; i < 4; i++) {
        book(&f, "p", who[i], "window");
    }
    struct mp_buf s;
    mp_buf_init(&s);
    ledger_snapshot(f.l, &s);
    struct ledger *back = NULL;
    CHECK_CODE(ledger_restore(s.data, s.len, &back), SLOT_OK);
    CHECK_EQ(ledger_next_sweep_ms(back), LT(V, "11:30"));
    struct slot_cmd sw = sweepCmd(3);
    cmd_seal(&sw);
    struct slot_result r1, r2;
    ledger_apply(f.l, LT(V, "12:00"), &sw, 1, &r1);
    ledger_apply(back, LT(V, "12:00"), &sw, 1, &r2);
    CHECK(result_eq(&r1, &r2));
    CHECK_EQ(r1.a, 3);
    CHECK_EQ(r1.b, 1);
    CHECK_EQ(ledger_state_hash(back), ledger_state_hash(f.l));
    ledger_destroy(back);
    mp_buf_free(&s);
    done(&f);
}

/* ---- the event feed (ledger.h, "The event feed") ---------------------- */

static struct slot_event evs[64];

/* The events after `after` (at most 64); returns how many. */
static uint32_t eventsAfter(const struct ledger *l, uint64_t after,
                            uint64_t *first, uint64_t *last)
{
    uint32_t n;
    ledger_read_events(l, after, 64, evs, &n, first, last);
    return n;
}

static void test_feed_events(void)
{
    struct fx f;
    struct slot_patient_rules pr = prules();
    pr.violation_threshold = 1;
    fx_visit(&f, pr);
    /* fx_days' CONFIG (seq 1) at T0 was more than a day before the
     * RULES_SET: that command's housekeeping dropped it. */
    uint64_t first, last;
    CHECK_EQ(eventsAfter(f.l, 0, &first, &last), 1);
    CHECK_EQ(first, 2);
    CHECK_EQ(last, 2);
    CHECK_EQ(evs[0].type, SLOT_EV_RULES_CHANGED);
    CHECK_STR(evs[0].hospital, "pumch");
    CHECK_EQ(evs[0].a, 1);
    uint64_t mark = last;
    f.now = LT(V - 3, "10:00"); /* from here all within a day */
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 1), SLOT_OK);
    EXPECT(&f, cmd_spool("q", "cardio", "", V, "13:00", "17:00", 2), SLOT_OK);
    EXPECT(&f, cmd_bind("family-0001", "patient-01"), SLOT_OK);
    uint64_t b = book(&f, "p", "patient-01", "window");
    /* Refused commands and replays add nothing. */
    EXPECT(&f, hold_as("p", "patient-02", "window"), SLOT_SOLD_OUT);
    struct slot_cmd join = {.op = SLOT_OP_WAITLIST_JOIN};
    join.u.wait.pool = str_of("p");
    join.u.wait.patient = str_of("patient-02");
    join.u.wait.channel = str_of("window");
    EXPECT(&f, join, SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, b, "window", ""), SLOT_OK);
    uint32_t n = eventsAfter(f.l, mark, &first, &last);
    static const uint8_t want[] = {SLOT_EV_POOL_CREATED,  SLOT_EV_POOL_CREATED,
                                   SLOT_EV_ACCOUNT_BOUND, SLOT_EV_HELD,
                                   SLOT_EV_BOOKED,        SLOT_EV_WAIT_JOINED,
                                   SLOT_EV_CANCELLED,     SLOT_EV_OFFERED};
    CHECK_EQ(n, sizeof want);
    for (uint32_t i = 0; i < n; i++) {
        CHECK_EQ(evs[i].type, want[i]);
        CHECK_EQ(evs[i].seq, mark + 1 + i);
        /* an account's binding is no hospital's */
        CHECK_STR(evs[i].hospital, i == 2 ? "" : "pumch");
    }
    CHECK_STR(evs[0].pool, "p");
    CHECK_EQ(evs[0].claim, 0);
    CHECK_STR(evs[2].patient, "patient-01");
    CHECK_STR(evs[2].account, "family-0001");
    CHECK_EQ(evs[3].claim, b);
    CHECK_STR(evs[3].channel, "window");
    CHECK_STR(evs[3].account, "family-0001"); /* the patient's, at the time */
    CHECK_EQ(evs[3].a, claim_of(f.l, b).deadline_ms);
    CHECK_EQ(evs[4].a, 1); /* visit number */
    CHECK_EQ(evs[4].b, 1); /* paid */
    CHECK_EQ(evs[4].time_ms, f.now);
    CHECK_EQ(evs[5].a, 1); /* first on the list */
    CHECK_EQ(evs[6].a, 0); /* not a refund */
    CHECK_STR(evs[7].patient, "patient-02");
    uint64_t offer = evs[7].claim;
    /* The visit day's events (within a day, so the window keeps them). */
    EXPECT(&f, confirm_ref(offer, "pay-0002"), SLOT_OK);
    eventsAfter(f.l, last, &first, &last);
    mark = last;
    f.now = LT(V, "10:00");
    EXPECT(&f, cmd_stop("p"), SLOT_OK);
    uint64_t nb = EXPECT(&f, cmd_move(offer, "q"), SLOT_OK).a;
    f.now = LT(V, "13:00");
    EXPECT(&f, cmd_checkin(nb, "patient-02", ""), SLOT_OK);
    uint64_t b3 = book(&f, "q", "patient-03", "window");
    f.now = LT(V, "16:30");
    struct slot_cmd sw = {.op = SLOT_OP_SWEEP};
    sw.u.expire.max = 16;
    EXPECT(&f, sw, SLOT_OK);
    n = eventsAfter(f.l, mark, &first, &last);
    static const uint8_t want2[] = {SLOT_EV_POOL_STOPPED, SLOT_EV_MOVED,
                                    SLOT_EV_BOOKED,       SLOT_EV_CHECKED_IN,
                                    SLOT_EV_HELD,         SLOT_EV_BOOKED,
                                    SLOT_EV_NO_SHOW,      SLOT_EV_VIOLATION};
    CHECK_EQ(n, sizeof want2);
    for (uint32_t i = 0; i < n; i++) {
        CHECK_EQ(evs[i].type, want2[i]);
    }
    CHECK_EQ(evs[0].a, 1); /* one booking affected */
    CHECK_EQ(evs[1].claim, offer);
    CHECK_EQ(evs[1].a, nb);
    CHECK_EQ(evs[2].claim, nb);
    CHECK_STR(evs[2].pool, "q");
    CHECK_EQ(evs[6].claim, b3);
    CHECK_STR(evs[7].patient, "patient-03");
    CHECK_EQ(evs[7].a, SLOT_VIOLATION_NO_SHOW);
    CHECK(evs[7].b > f.now); /* blacklisted: threshold 1 */
    /* Paging: after and limit; first and last. */
    uint32_t k;
    ledger_read_events(f.l, mark, 3, evs, &k, &first, &last);
    CHECK_EQ(k, 3);
    CHECK(first <= mark + 1); /* V - 3's events: gone since V 10:00 */
    CHECK_EQ(evs[2].seq, mark + 3);
    ledger_read_events(f.l, last, 3, evs, &k, &first, &last);
    CHECK_EQ(k, 0);
    snapshotRoundTrip(f.l);
    done(&f);
}

/* The window: growth past its first allocation, age eviction a few per
 * command, the index ledger_apply_at gives, and first/last for a cursor
 * that fell out of the window. */
static void test_feed_window(void)
{
    struct fx f;
    fx_visit(&f, prules());
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 2), SLOT_OK);
    f.now = LT(V - 3, "10:00");
    uint64_t h = 0;
    for (int i = 0; i < 700; i++) { /* 1400 events: the ring grows */
        h = EXPECT(&f, hold_as("p", "patient-01", "window"), SLOT_OK).a;
        EXPECT(&f, claim_as(SLOT_OP_RELEASE, h, "window", ""), SLOT_OK);
    }
    /* CONFIG, RULES_CHANGED and POOL_CREATED were dropped: days old by
     * the first hold. */
    uint64_t first, last;
    eventsAfter(f.l, 0, &first, &last);
    CHECK_EQ(first, 4);
    CHECK_EQ(last, 1403);
    /* A day later every command drops up to 64 old events. */
    f.now += LEDGER_EVENTS_RETAIN_MS;
    EXPECT(&f, hold_as("p", "patient-01", "window"), SLOT_OK);
    eventsAfter(f.l, 0, &first, &last);
    CHECK_EQ(first, 4 + SLOT_EVENTS_EVICT_PER_CMD);
    CHECK_EQ(last, 1404); /* its HELD */
    /* A cursor before first has missed events: the reply starts at first. */
    uint32_t n;
    ledger_read_events(f.l, 10, 2, evs, &n, &first, &last);
    CHECK_EQ(evs[0].seq, first);
    /* The index of the entry. */
    struct slot_cmd c = hold_as("p", "patient-02", "window");
    c.session = f.session;
    c.seq = ++f.seq;
    cmd_seal(&c);
    struct slot_result r;
    ledger_apply_at(f.l, 4242, f.now, &c, 1, &r);
    CHECK_CODE(r.code, SLOT_OK);
    eventsAfter(f.l, last, &first, &last);
    CHECK_EQ(evs[0].index, 4242);
    check_ledger(f.l);
    snapshotRoundTrip(f.l);
    done(&f);
}

/* ---- money and statistics (ledger.h, "Money and statistics") ---------- */

static struct slot_cmd pay(uint64_t hold, const char *ref, const char *method)
{
    struct slot_cmd c = cmd_as(cmd_confirm(hold), "window", "");
    c.u.claim.payment_ref = str_of(ref);
    c.u.claim.pay_method = str_of(method);
    return c;
}

static struct slot_cmd checkinPay(uint64_t booking, const char *patient,
                                  const char *ref, const char *method)
{
    struct slot_cmd c = cmd_checkin(booking, patient, ref);
    c.u.claim.pay_method = str_of(method);
    return c;
}

static struct slot_recon_row rows[64];

/* The day's rows (every one: a single page of 64). */
static uint32_t reconOf(const struct ledger *l, uint32_t day,
                        const char *hospital, const char *channel,
                        uint32_t *kept)
{
    uint32_t n, total;
    ledger_read_recon(l, day, str_of(hospital), str_of(channel), 0, 64, rows,
                      &n, &total, kept);
    CHECK_EQ(n, total);
    return n;
}

static uint64_t payBooking(struct fx *f, const char *pool, const char *patient,
                           const char *ref, const char *method)
{
    uint64_t h = EXPECT(f, hold_as(pool, patient, "window"), SLOT_OK).a;
    EXPECT(f, pay(h, ref, method), SLOT_OK);
    return h;
}

/* A payment is recorded with its method and the fee then; every counter
 * moves with its event, at the hospital's local day. */
static void test_money_counters(void)
{
    struct fx f;
    fx_visit(&f, prules());
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 6), SLOT_OK);
    struct slot_cmd q = cmd_spool("q", "cardio", "", V, "13:00", "17:00", 6);
    q.u.pool.sched.pay_mode = SLOT_PAY_AT_VISIT;
    EXPECT(&f, q, SLOT_OK);
    /* 23:30 in Beijing: local day V - 3 while UTC is still V - 4's
     * afternoon... no: 15:30 UTC of V - 3. The local day is what counts. */
    f.now = LT(V - 3, "23:30");
    uint64_t a = payBooking(&f, "p", "patient-01", "wx-0001", "wechat");
    uint64_t b = payBooking(&f, "p", "patient-02", "ali-0002", "alipay");
    uint64_t c = payBooking(&f, "p", "patient-03", "wx-0003", "wechat");
    uint64_t u = EXPECT(&f, hold_as("q", "patient-04", "window"), SLOT_OK).a;
    EXPECT(&f, pay(u, "", ""), SLOT_OK); /* pay at the visit */
    struct slot_claim cl = claim_of(f.l, a);
    CHECK_STR(cl.pay_method, "wechat");
    CHECK_EQ(cl.fee_paid_cents, 5000);
    cl = claim_of(f.l, u);
    CHECK(!cl.paid && cl.pay_method[0] == '\0' && cl.fee_paid_cents == 0);
    /* The fee changes: a cancel returns what was paid, not the new fee. */
    struct slot_cmd up = cmd_spool("p", "cardio", "", V, "08:00", "12:00", 6);
    up.op = SLOT_OP_POOL_UPDATE;
    up.u.pool.fee_cents = 7000;
    EXPECT(&f, up, SLOT_OK);
    f.now = LT(V - 2, "00:30"); /* the next local day */
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, c, "window", ""), SLOT_OK);
    /* (The feed keeps a day: look at the cancel's event now.) */
    uint64_t first, last;
    uint32_t n;
    ledger_read_events(f.l, UINT64_MAX, 1, evs, &n, &first, &last);
    CHECK(eventsAfter(f.l, last - 1, &first, &last) == 1);
    CHECK_EQ(evs[0].type, SLOT_EV_CANCELLED);
    CHECK_EQ(evs[0].claim, c);
    CHECK_EQ(evs[0].fee_cents, 5000);
    CHECK_STR(evs[0].pay_method, "wechat");
    CHECK_STR(evs[0].payment_ref, "wx-0003");
    CHECK_EQ(evs[0].local_day, V - 2);
    uint64_t d = payBooking(&f, "p", "patient-05", "wx-0005", "wechat");
    CHECK_EQ(claim_of(f.l, d).fee_paid_cents, 7000);
    /* Check-in: a booking paid at the desk, one paid before (the method
     * given is ignored), and one never paid. */
    f.now = LT(V, "07:30");
    struct slot_result r =
        EXPECT(&f, checkinPay(a, "patient-01", "x-1", "cash"), SLOT_OK);
    CHECK_EQ(r.a, 1);
    cl = claim_of(f.l, a);
    CHECK_STR(cl.payment_ref, "wx-0001");
    CHECK_STR(cl.pay_method, "wechat");
    f.now = LT(V, "13:10");
    EXPECT(&f, checkinPay(u, "patient-04", "cash-0004", "cash"), SLOT_OK);
    cl = claim_of(f.l, u);
    CHECK(cl.paid);
    CHECK_STR(cl.payment_ref, "cash-0004");
    CHECK_STR(cl.pay_method, "cash");
    CHECK_EQ(cl.fee_paid_cents, 5000);
    f.now = LT(V, "11:30");
    EXPECT(&f, sweepCmd(16), SLOT_OK); /* b and d: no-shows */
    CHECK_EQ(claim_of(f.l, b).attendance, SLOT_ATTEND_NO_SHOW);
    /* The events carry the payment and the local day. */
    static struct slot_event all[SLOT_LIST_MAX];
    ledger_read_events(f.l, 0, SLOT_LIST_MAX, all, &n, &first, &last);
    CHECK(n > 0 && n < SLOT_LIST_MAX);
    bool saw_desk = false, saw_noshow = false;
    for (uint32_t i = 0; i < n; i++) {
        const struct slot_event *e = &all[i];
        CHECK_EQ(e->local_day, slot_local_day(e->time_ms, BEIJING));
        if (e->type == SLOT_EV_CHECKED_IN && e->claim == u) {
            CHECK_EQ(e->b, 1);
            CHECK_STR(e->payment_ref, "cash-0004");
            CHECK_STR(e->pay_method, "cash");
            CHECK_EQ(e->fee_cents, 5000);
            saw_desk = true;
        }
        if (e->type == SLOT_EV_CHECKED_IN && e->claim == a) {
            CHECK_EQ(e->b, 0);
            CHECK_STR(e->payment_ref, "wx-0001");
        }
        if (e->type == SLOT_EV_HELD) {
            CHECK(e->payment_ref[0] == '\0' && e->fee_cents == 0);
        }
        if (e->type == SLOT_EV_NO_SHOW && e->claim == d) {
            CHECK_EQ(e->fee_cents, 7000);
            CHECK_STR(e->payment_ref, "wx-0005");
            saw_noshow = true;
        }
    }
    CHECK(saw_desk && saw_noshow);
    /* Day V - 3: three paid bookings, one unpaid. Sorted by (hospital,
     * channel, method): "" < "alipay" < "wechat". */
    uint32_t kept;
    CHECK_EQ(reconOf(f.l, V - 3, "", "", &kept), 3);
    CHECK_EQ(kept, V - LEDGER_RECON_DAYS_KEPT + 1); /* the newest row: V */
    CHECK_STR(rows[0].pay_method, "");
    CHECK_EQ(rows[0].booked, 1);
    CHECK_EQ(rows[0].booked_cents, 0);
    CHECK_STR(rows[1].pay_method, "alipay");
    CHECK_EQ(rows[1].booked_cents, 5000);
    CHECK_STR(rows[2].hospital, "pumch");
    CHECK_STR(rows[2].channel, "window");
    CHECK_STR(rows[2].pay_method, "wechat");
    CHECK_EQ(rows[2].booked, 2);
    CHECK_EQ(rows[2].booked_cents, 10000);
    CHECK_EQ(rows[2].cancelled, 0);
    /* Day V - 2: the cancel (5000 owed back) and d's booking at 7000. */
    CHECK_EQ(reconOf(f.l, V - 2, "", "", &kept), 1);
    CHECK_EQ(rows[0].cancelled, 1);
    CHECK_EQ(rows[0].cancelled_cents, 5000);
    CHECK_EQ(rows[0].booked, 1);
    CHECK_EQ(rows[0].booked_cents, 7000);
    /* Day V: check-ins and no-shows; the desk payment under "cash". */
    CHECK_EQ(reconOf(f.l, V, "", "", &kept), 3);
    CHECK_STR(rows[0].pay_method, "alipay");
    CHECK_EQ(rows[0].no_show, 1);
    CHECK_STR(rows[1].pay_method, "cash");
    CHECK_EQ(rows[1].checked_in, 1);
    CHECK_EQ(rows[1].checkin_paid, 1);
    CHECK_EQ(rows[1].checkin_paid_cents, 5000);
    CHECK_STR(rows[2].pay_method, "wechat");
    CHECK_EQ(rows[2].checked_in, 1);
    CHECK_EQ(rows[2].checkin_paid, 0);
    CHECK_EQ(rows[2].no_show, 1);
    /* Filters and pages. */
    CHECK_EQ(reconOf(f.l, V, "pumch", "window", &kept), 3);
    CHECK_EQ(reconOf(f.l, V, "other", "", &kept), 0);
    CHECK_EQ(reconOf(f.l, V, "", "wechat", &kept), 0);
    CHECK_EQ(reconOf(f.l, V + 1, "", "", &kept), 0);
    uint32_t pn, total;
    ledger_read_recon(f.l, V, str_of(""), str_of(""), 1, 1, rows, &pn, &total,
                      &kept);
    CHECK_EQ(pn, 1);
    CHECK_EQ(total, 3);
    CHECK_STR(rows[0].pay_method, "cash");
    ledger_read_recon(f.l, V, str_of(""), str_of(""), 3, 5, rows, &pn, &total,
                      &kept);
    CHECK_EQ(pn, 0);
    /* Statistics of visit day V: 2 pools of cardio, 12 slots. */
    struct slot_stats_row st[4];
    ledger_read_stats(f.l, str_of(""), V - 1, V + 1, 0, 4, st, &pn, &total);
    CHECK_EQ(pn, 1);
    CHECK_EQ(total, 1);
    CHECK_EQ(st[0].visit_day, V);
    CHECK_STR(st[0].hospital, "pumch");
    CHECK_STR(st[0].department, "cardio");
    CHECK_EQ(st[0].pools, 2);
    CHECK_EQ(st[0].capacity, 12);
    CHECK_EQ(st[0].released, 12);
    CHECK_EQ(st[0].booked_now, 4); /* a, b, d, u */
    CHECK_EQ(st[0].booked_total, 5);
    CHECK_EQ(st[0].cancelled_total, 1);
    CHECK_EQ(st[0].no_show_total, 2);
    CHECK_EQ(st[0].checked_in_total, 2);
    ledger_read_stats(f.l, str_of("other"), V, V, 0, 4, st, &pn, &total);
    CHECK_EQ(total, 0);
    /* The snapshot keeps all of it. */
    struct mp_buf sb;
    mp_buf_init(&sb);
    ledger_snapshot(f.l, &sb);
    struct ledger *back = NULL;
    CHECK_CODE(ledger_restore(sb.data, sb.len, &back), SLOT_OK);
    CHECK_EQ(ledger_state_hash(back), ledger_state_hash(f.l));
    CHECK_EQ(reconOf(back, V, "", "", &kept), 3);
    CHECK_EQ(rows[1].checkin_paid_cents, 5000);
    ledger_read_stats(back, str_of(""), V, V, 0, 4, st, &pn, &total);
    CHECK_EQ(st[0].no_show_total, 2);
    ledger_destroy(back);
    mp_buf_free(&sb);
    done(&f);
}

/* A stopped clinic: refunds and moves count as such, the move's new
 * booking carries the payment, and neither is a booking of the day. */
static void test_money_stop(void)
{
    struct fx f;
    fx_visit(&f, prules());
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 3), SLOT_OK);
    EXPECT(&f, cmd_spool("q", "cardio", "", V, "13:00", "17:00", 3), SLOT_OK);
    f.now = LT(V - 3, "10:00");
    uint64_t a = payBooking(&f, "p", "patient-01", "wx-0001", "wechat");
    uint64_t b = payBooking(&f, "p", "patient-02", "wx-0002", "wechat");
    EXPECT(&f, cmd_stop("p"), SLOT_OK);
    EXPECT(&f, claim_as(SLOT_OP_CANCEL, a, "window", ""), SLOT_OK);
    uint64_t nb = EXPECT(&f, cmd_move(b, "q"), SLOT_OK).a;
    struct slot_claim cl = claim_of(f.l, nb);
    CHECK_STR(cl.payment_ref, "wx-0002");
    CHECK_STR(cl.pay_method, "wechat");
    CHECK_EQ(cl.fee_paid_cents, 5000);
    uint32_t kept;
    CHECK_EQ(reconOf(f.l, V - 3, "", "", &kept), 1);
    CHECK_EQ(rows[0].booked, 2);
    CHECK_EQ(rows[0].booked_cents, 10000);
    CHECK_EQ(rows[0].refunded, 1);
    CHECK_EQ(rows[0].refunded_cents, 5000);
    CHECK_EQ(rows[0].cancelled, 0);
    CHECK_EQ(rows[0].moved, 1);
    struct slot_stats_row st[2];
    uint32_t n, total;
    ledger_read_stats(f.l, str_of("pumch"), V, V, 0, 2, st, &n, &total);
    CHECK_EQ(n, 1);
    CHECK_EQ(st[0].booked_total, 3); /* two confirms, one move in */
    CHECK_EQ(st[0].refunded_total, 1);
    CHECK_EQ(st[0].moved_total, 1);
    CHECK_EQ(st[0].booked_now, 1);
    snapshotRoundTrip(f.l);
    done(&f);
}

/* LEDGER_PAY_METHODS_MAX methods, then LIMIT_REACHED, last, changing
 * nothing; a known method still pays; a paid booking's check-in does not
 * ask. */
static void test_money_method_limit(void)
{
    struct fx f;
    fx_visit(&f, prules());
    EXPECT(&f, cmd_spool("p", "cardio", "", V, "08:00", "12:00", 30), SLOT_OK);
    struct slot_cmd q = cmd_spool("q", "cardio", "", V, "13:00", "17:00", 3);
    q.u.pool.sched.pay_mode = SLOT_PAY_AT_VISIT;
    EXPECT(&f, q, SLOT_OK);
    f.now = LT(V - 3, "10:00");
    char method[32], patient[32];
    for (int i = 0; i < LEDGER_PAY_METHODS_MAX; i++) {
        snprintf(method, sizeof method, "m%02d", i);
        snprintf(patient, sizeof patient, "patient-%02d", i);
        payBooking(&f, "p", patient, "ref-1", method);
    }
    uint64_t h = EXPECT(&f, hold_as("p", "patient-90", "window"), SLOT_OK).a;
    uint64_t first, last_before, last;
    uint32_t n;
    ledger_read_events(f.l, UINT64_MAX, 1, evs, &n, &first, &last_before);
    /* Refusals before it come first. */
    EXPECT(&f, pay(999, "ref-2", "m99"), SLOT_UNKNOWN_HOLD);
    struct slot_cmd bad = pay(h, "ref-2", "m99");
    bad.u.claim.caller = str_of("wechat");
    EXPECT(&f, bad, SLOT_NOT_OWNER);
    EXPECT(&f, pay(h, "ref-2", "m99"), SLOT_LIMIT_REACHED);
    ledger_read_events(f.l, UINT64_MAX, 1, evs, &n, &first, &last);
    CHECK_EQ(last, last_before); /* nothing happened */
    CHECK_EQ(claim_of(f.l, h).state, SLOT_CLAIM_HELD);
    EXPECT(&f, pay(h, "ref-2", "m98"), SLOT_LIMIT_REACHED);
    EXPECT(&f, pay(h, "ref-2", "m03"), SLOT_OK);
    /* Check-in: only a check-in that pays asks. */
    uint64_t u = EXPECT(&f, hold_as("q", "patient-91", "window"), SLOT_OK).a;
    EXPECT(&f, pay(u, "", ""), SLOT_OK);
    f.now = LT(V, "07:30");
    EXPECT(&f, checkinPay(h, "patient-90", "x", "m99"), SLOT_OK);
    f.now = LT(V, "13:10");
    EXPECT(&f, checkinPay(u, "patient-91", "x", "m99"), SLOT_LIMIT_REACHED);
    EXPECT(&f, checkinPay(u, "patient-91", "x", "m15"), SLOT_OK);
    snapshotRoundTrip(f.l);
    done(&f);
}

/* At the far end of ledger time the local day passes SLOT_DAY_MAX (the
 * schedules' bound): events and rows still snapshot and restore (found
 * by fuzz_entry). */
static void test_money_far_future(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    cfg.session_idle_ms = SLOT_TIME_MAX_MS;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    f.now = SLOT_TIME_MAX_MS - 3600000;
    fx_pool(&f, "free", 3);
    uint64_t h =
        EXPECT(&f, cmd_hold("free", "patient-01", "window", TTL), SLOT_OK).a;
    EXPECT(&f, cmd_confirm(h), SLOT_OK);
    uint32_t kept;
    uint32_t day = slot_local_day(f.now, 0);
    CHECK(day > SLOT_DAY_MAX && day <= SLOT_LEDGER_DAY_MAX);
    CHECK_EQ(reconOf(f.l, day, "", "", &kept), 1);
    snapshotRoundTrip(f.l);
    done(&f);
}

/* Counters of the newest LEDGER_RECON_DAYS_KEPT days: a row of a newer
 * day drops the older ones, and older days are not counted again. */
static void test_money_days_kept(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    cfg.session_idle_ms = SLOT_TIME_MAX_MS;
    cfg.retain_ms = 1000;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    fx_pool(&f, "free", 3); /* free-standing: UTC days */
    uint32_t day0 = slot_local_day(f.now, 0);
    uint64_t h =
        EXPECT(&f, cmd_hold("free", "patient-01", "window", TTL), SLOT_OK).a;
    EXPECT(&f, cmd_confirm(h), SLOT_OK);
    uint32_t kept;
    CHECK_EQ(reconOf(f.l, day0, "", "", &kept), 1);
    CHECK_STR(rows[0].hospital, "");
    CHECK_EQ(rows[0].booked_cents, 5000);
    f.now += (uint64_t)(LEDGER_RECON_DAYS_KEPT - 1) * 86400000;
    EXPECT(&f, cmd_cancel(h), SLOT_OK);
    CHECK_EQ(reconOf(f.l, day0, "", "", &kept), 1); /* still kept */
    CHECK_EQ(kept, 0);
    f.now += 86400000;
    uint64_t h2 =
        EXPECT(&f, cmd_hold("free", "patient-02", "window", TTL), SLOT_OK).a;
    EXPECT(&f, cmd_confirm(h2), SLOT_OK);
    CHECK_EQ(reconOf(f.l, day0, "", "", &kept), 0);
    CHECK_EQ(kept, day0 + 1);
    CHECK_EQ(reconOf(f.l, day0 + LEDGER_RECON_DAYS_KEPT - 1, "", "", &kept), 1);
    CHECK_EQ(rows[0].cancelled, 1);
    CHECK_EQ(reconOf(f.l, day0 + LEDGER_RECON_DAYS_KEPT, "", "", &kept), 1);
    snapshotRoundTrip(f.l);
    done(&f);
}

static const struct check_case cases[] = {
    {"rules_versions_and_log", test_rules_versions_and_log},
    {"rules_log_bounded", test_rules_log_bounded},
    {"hospitals_bounded", test_hospitals_bounded},
    {"sched_pool_create", test_sched_pool_create},
    {"hold_date_rules", test_hold_date_rules},
    {"hold_refusal_order", test_hold_refusal_order},
    {"hold_payment_window", test_hold_payment_window},
    {"groups_and_remainder", test_groups_and_remainder},
    {"payment_modes", test_payment_modes},
    {"visit_windows", test_visit_windows},
    {"flowback", test_flowback},
    {"flowback_rules_change_and_target", test_flowback_rules_change_and_target},
    {"schedule_import", test_schedule_import},
    {"schedule_import_after_flowback", test_schedule_import_after_flowback},
    {"pool_query", test_pool_query},
    {"snapshot_v2", test_snapshot_v2},
    {"snapshot_v1_restores", test_snapshot_v1_restores},
    {"patient_quotas", test_patient_quotas},
    {"patient_ownership_and_cancel", test_patient_ownership_and_cancel},
    {"patient_accounts", test_patient_accounts},
    {"patient_blacklist", test_patient_blacklist},
    {"patient_cooldown", test_patient_cooldown},
    {"patient_waitlist", test_patient_waitlist},
    {"patient_account_quota_and_late_cancel",
     test_patient_account_quota_and_late_cancel},
    {"waitlist_skip_bound", test_waitlist_skip_bound},
    {"waitlist_exception_no_help", test_waitlist_exception_no_help},
    {"visit_stop", test_visit_stop},
    {"visit_refund", test_visit_refund},
    {"visit_move", test_visit_move},
    {"money_counters", test_money_counters},
    {"money_stop", test_money_stop},
    {"money_method_limit", test_money_method_limit},
    {"money_days_kept", test_money_days_kept},
    {"money_far_future", test_money_far_future},
    {"visit_checkin", test_visit_checkin},
    {"visit_noshow", test_visit_noshow},
    {"visit_snapshot_heap", test_visit_snapshot_heap},
    {"feed_events", test_feed_events},
    {"feed_window", test_feed_window},
    {NULL, NULL}};

int main(int argc, char **argv)
{
    return check_main(cases, argc, argv);
}
