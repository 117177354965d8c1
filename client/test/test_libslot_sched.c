/* test_libslot_sched: the hospitals' schedules and rules through libslot,
 * against a real local 3-node slotd cluster (issue 14's process tests).
 *
 * Times are chosen relative to now, never slept for: each test gives its
 * hospital a UTC offset that puts local time near noon (so no test runs
 * across a local midnight), and rules whose minutes are the current local
 * minute (a cut-off or flow-back "a moment ago") or pools whose own
 * release time is a second away. Every test uses its own hospital and
 * pool names, so tests sharing the cluster never meet.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ctest.h"
#include "libslot.h"
#include "tclock.h"

#define LEAK_CHECK() CTEST_LEAK_CHECK()

#define MS_PER_MIN CTEST_MS_PER_MIN
#define MS_PER_DAY CTEST_MS_PER_DAY

static struct slotc_sync *openSync(void)
{
    return ctest_shared_open();
}

/* What the ledger's time will be for the next command: the leader's clock
 * (this machine's; the ledger's own time is the last entry's stamp, which
 * on an idle cluster may be long past). */
static uint64_t ledgerNow(struct slotc_sync *s)
{
    (void)s;
    return tclock_wall_ms();
}

static uint32_t localDay(uint64_t t_ms, int32_t off)
{
    return slotc_local_day(t_ms, off);
}

/* UTC ms of local (day, minute). */
static uint64_t utcOf(uint32_t day, uint32_t minute, int32_t off)
{
    return (uint64_t)day * MS_PER_DAY + (uint64_t)minute * MS_PER_MIN -
           (uint64_t)((int64_t)off * (int64_t)MS_PER_MIN);
}

static void setRules(struct slotc_sync *s, const char *h, const char *dep,
                     const struct slotc_rules *r, int expect)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(
        slotc_sync_rules_set(s, &req, h, dep, "admin@test", "排班规则 test", r),
        expect);
}

/* ---- rule sets: set, read, inherit, log --------------------------------- */

static void test_rules(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    const char *h = ctest_uniq("hr");
    struct slotc_rules r;
    slotc_rules_init(&r);
    r.utc_offset_min = 480;
    r.release_minute = 9 * 60;
    r.horizon_days = 7;
    r.cutoff_minute = 15 * 60;
    r.pay_ttl_ms = 300000;
    r.n_groups = 1;
    snprintf(r.groups[0].name, sizeof r.groups[0].name, "online");
    r.groups[0].n = 2;
    snprintf(r.groups[0].channels[0], SLOTC_CHANNEL_MAX + 1, "app");
    snprintf(r.groups[0].channels[1], SLOTC_CHANNEL_MAX + 1, "wechat");
    r.n_policies = 1;
    snprintf(r.policies[0].channel, sizeof r.policies[0].channel, "doctor");
    r.policies[0].horizon_days = 90;
    r.policies[0].same_day = true;

    CHECK_EQ(slotc_sync_read_rules(s, &req, h, NULL), SLOT_UNKNOWN_HOSPITAL);
    setRules(s, h, "cardio", &r, SLOT_UNKNOWN_HOSPITAL);
    CHECK_EQ(slotc_sync_rules_set(s, &req, h, NULL, "admin@test", "first", &r),
             SLOT_OK);
    CHECK_EQ(req.out.version, 1);
    struct slotc_rules d = r;
    d.horizon_days = 14;
    CHECK_EQ(
        slotc_sync_rules_set(s, &req, h, "cardio", "ops", "专家号 14 天", &d),
        SLOT_OK);
    CHECK_EQ(req.out.version, 2);

    CHECK_EQ(slotc_sync_read_rules(s, &req, h, NULL), SLOT_OK);
    CHECK_EQ(req.out.n_rules, 1);
    const struct slotc_rules_info *ri = &req.out.rules[0];
    CHECK(!ri->inherited);
    CHECK_EQ(ri->version, 1);
    CHECK_STR(ri->operator_name, "admin@test");
    CHECK_STR(ri->reason, "first");
    CHECK_EQ(ri->rules.utc_offset_min, 480);
    CHECK_EQ(ri->rules.release_minute, 540);
    CHECK_EQ(ri->rules.cutoff_minute, 900);
    CHECK_EQ(ri->rules.flowback_minute, -1);
    CHECK_EQ(ri->rules.n_groups, 1);
    CHECK_STR(ri->rules.groups[0].channels[1], "wechat");
    CHECK_EQ(ri->rules.policies[0].horizon_days, 90);
    CHECK(ri->rules.policies[0].same_day && !ri->rules.policies[0].cutoff);

    CHECK_EQ(slotc_sync_read_rules(s, &req, h, "cardio"), SLOT_OK);
    CHECK(!req.out.rules[0].inherited);
    CHECK_EQ(req.out.rules[0].rules.horizon_days, 14);
    CHECK_STR(req.out.rules[0].department, "cardio");
    CHECK_STR(req.out.rules[0].reason, "专家号 14 天");
    CHECK_EQ(slotc_sync_read_rules(s, &req, h, "derm"), SLOT_OK);
    CHECK(req.out.rules[0].inherited);
    CHECK_EQ(req.out.rules[0].rules.horizon_days, 7);

    CHECK_EQ(slotc_sync_read_rules_log(s, &req, h, 0, 10), SLOT_OK);
    CHECK_EQ(req.out.n_rules, 2);
    CHECK_EQ(req.out.rules[0].version, 1);
    CHECK_EQ(req.out.rules[1].version, 2);
    CHECK(req.out.rules[1].changed_at_ms >= req.out.rules[0].changed_at_ms);
    CHECK_EQ(slotc_sync_read_rules_log(s, &req, h, 1, 10), SLOT_OK);
    CHECK_EQ(req.out.n_rules, 1);
    req.flags = SLOTC_STALE;
    CHECK_EQ(slotc_sync_read_rules_log(s, &req, h, 0, 1), SLOT_OK);
    CHECK_EQ(req.out.n_rules, 1);
    req.flags = 0;

    /* Refused before sending: each changes nothing. */
    struct slotc_rules bad = r;
    bad.release_minute = 1440;
    CHECK_EQ(slotc_sync_rules_set(s, &req, h, NULL, "a", "b", &bad),
             SLOT_INVALID_ARGUMENT);
    bad = r;
    bad.utc_offset_min = 900;
    CHECK_EQ(slotc_sync_rules_set(s, &req, h, NULL, "a", "b", &bad),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_rules_set(s, &req, "bad name", NULL, "a", "b", &r),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_rules_set(s, &req, h, NULL, "a", "ctl\x01", &r),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_rules_set(s, &req, h, NULL,
                                  "a-very-long-operator-name-over-32-bytes",
                                  "b", &r),
             SLOT_TOO_LARGE);
    CHECK_EQ(slotc_sync_rules_set(s, &req, h, NULL, "a", "b", NULL),
             SLOT_INVALID_ARGUMENT);
    /* The department's offset must be the hospital's (ledger rule). */
    d.utc_offset_min = 0;
    setRules(s, h, "cardio", &d, SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_read_rules_log(s, &req, h, 0, 10), SLOT_OK);
    CHECK_EQ(req.out.n_rules, 2);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- schedule import, check and query ----------------------------------- */

static void test_import_and_query(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    const char *h = ctest_uniq("hi");
    uint64_t now = ledgerNow(s);
    int32_t off = ctest_noon_offset(now);
    uint32_t today = localDay(now, off);
    struct slotc_rules r;
    slotc_rules_init(&r);
    r.utc_offset_min = off;
    setRules(s, h, NULL, &r, SLOT_OK);

    uint32_t days[3] = {today + 1, today + 2, today + 4};
    struct slotc_segment segs[4] = {
        {8 * 60, 8 * 60 + 30, 10},
        {8 * 60 + 30, 9 * 60, 10},
        {9 * 60, 10 * 60, 20},
        {14 * 60, 15 * 60, 20},
    };
    struct slotc_template t;
    memset(&t, 0, sizeof t);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s/cardio/zhang", h);
    t.id_prefix = prefix;
    t.place.hospital = h;
    t.place.campus = "east";
    t.place.department = "cardio";
    t.place.doctor = "zhang";
    t.place.pay_mode = SLOTC_PAY_ONLINE;
    t.kind = SLOTC_KIND_EXPERT;
    t.fee_cents = 5000;
    t.n_shares = 2;
    t.shares[0] = (struct slotc_tshare){"114", 300};
    t.shares[1] = (struct slotc_tshare){"app", 500};
    t.n_days = 3;
    t.days = days;
    t.n_segments = 4;
    t.segments = segs;

    CHECK_EQ(slotc_sync_schedule_check(s, &req, &t), SLOT_OK);
    CHECK_EQ(req.out.created, 12);
    CHECK_EQ(req.out.unchanged, 0);
    CHECK_EQ(req.out.n_conflicts, 0);
    CHECK_EQ(slotc_sync_schedule_import(s, &req, &t), SLOT_OK);
    CHECK_EQ(req.out.created, 12);
    CHECK_EQ(req.out.unchanged, 0);
    CHECK_EQ(slotc_sync_schedule_import(s, &req, &t), SLOT_OK);
    CHECK_EQ(req.out.created, 0);
    CHECK_EQ(req.out.unchanged, 12);

    /* A second doctor, a normal clinic, one more day. */
    struct slotc_template t2 = t;
    char prefix2[64];
    snprintf(prefix2, sizeof prefix2, "%s/cardio/li", h);
    t2.id_prefix = prefix2;
    t2.place.doctor = "li";
    t2.kind = SLOTC_KIND_NORMAL;
    uint32_t days2[1] = {today + 2};
    t2.n_days = 1;
    t2.days = days2;
    t2.n_segments = 2;
    CHECK_EQ(slotc_sync_schedule_import(s, &req, &t2), SLOT_OK);
    CHECK_EQ(req.out.created, 2);

    /* A conflicting definition: refused, nothing created, check lists the
     * pools that conflict. */
    struct slotc_segment segs3[4];
    memcpy(segs3, segs, sizeof segs3);
    segs3[0].capacity = 11;
    struct slotc_template t3 = t;
    t3.segments = segs3;
    CHECK_EQ(slotc_sync_schedule_import(s, &req, &t3), SLOT_SCHEDULE_CONFLICT);
    CHECK_EQ(slotc_sync_schedule_check(s, &req, &t3), SLOT_OK);
    CHECK_EQ(req.out.n_conflicts, 3);
    CHECK_EQ(req.out.unchanged, 9);
    char id0[80], date[11];
    slotc_day_format(days[0], date);
    snprintf(id0, sizeof id0, "%s/%.4s%.2s%.2s/0800", prefix, date, date + 5,
             date + 8);
    CHECK_STR(req.out.conflicts[0], id0);

    /* The pools as created: shares by permille, place, segment times. */
    CHECK_EQ(slotc_sync_read_pool(s, &req, id0), SLOT_OK);
    const struct slotc_pool *p = &req.out.pools[0];
    CHECK(p->scheduled);
    CHECK_EQ(p->capacity, 10);
    CHECK_EQ(p->n_shares, 2);
    CHECK_STR(p->shares[0].channel, "114");
    CHECK_EQ(p->shares[0].capacity, 3);
    CHECK_EQ(p->shares[1].capacity, 5);
    CHECK_EQ(p->remainder.capacity, 2);
    CHECK_STR(p->place.hospital, h);
    CHECK_STR(p->place.campus, "east");
    CHECK_STR(p->place.doctor, "zhang");
    CHECK_EQ(p->place.visit_day, days[0]);
    CHECK_EQ(p->seg_start_ms, utcOf(days[0], 8 * 60, off));
    CHECK_EQ(p->seg_end_ms, utcOf(days[0], 8 * 60 + 30, off));

    /* Query: by doctor, date range, kind; pages; counts. */
    struct slotc_query q = {.hospital = h, .kind = -1, .limit = 100};
    CHECK_EQ(slotc_sync_read_query(s, &req, &q), SLOT_OK);
    CHECK_EQ(req.out.total, 14);
    CHECK_EQ(req.out.n_pools, 14);
    for (uint32_t i = 1; i < req.out.n_pools; i++) {
        const struct slotc_pool *a = &req.out.pools[i - 1],
                                *b = &req.out.pools[i];
        CHECK(a->place.visit_day < b->place.visit_day ||
              (a->place.visit_day == b->place.visit_day &&
               a->seg_start_ms <= b->seg_start_ms));
    }
    q.doctor = "li";
    CHECK_EQ(slotc_sync_read_query(s, &req, &q), SLOT_OK);
    CHECK_EQ(req.out.total, 2);
    q.doctor = NULL;
    q.kind = SLOTC_KIND_NORMAL;
    CHECK_EQ(slotc_sync_read_query(s, &req, &q), SLOT_OK);
    CHECK_EQ(req.out.total, 2);
    q.kind = -1;
    q.date_from = today + 2;
    q.date_to = today + 2;
    CHECK_EQ(slotc_sync_read_query(s, &req, &q), SLOT_OK);
    CHECK_EQ(req.out.total, 6);
    q.date_from = q.date_to = 0;
    q.limit = 5;
    char after[SLOTC_POOL_ID_MAX + 1] = "";
    uint32_t seen = 0, pages = 0;
    for (; pages < 10; pages++) {
        q.after = after;
        req.flags = pages % 2 ? SLOTC_STALE : 0;
        CHECK_EQ(slotc_sync_read_query(s, &req, &q), SLOT_OK);
        CHECK_EQ(req.out.total, 14);
        seen += req.out.n_pools;
        if (req.out.n_pools < q.limit) {
            break;
        }
        snprintf(after, sizeof after, "%s",
                 req.out.pools[req.out.n_pools - 1].pool);
    }
    req.flags = 0;
    CHECK_EQ(seen, 14);
    CHECK_EQ(pages, 2);
    q.after = "no-such-pool";
    CHECK_EQ(slotc_sync_read_query(s, &req, &q), SLOT_UNKNOWN_POOL);
    q.after = NULL;
    q.hospital = ctest_uniq("nohosp");
    CHECK_EQ(slotc_sync_read_query(s, &req, &q), SLOT_UNKNOWN_HOSPITAL);

    /* Refused before sending. */
    struct slotc_template bad = t;
    uint32_t back[2] = {today + 2, today + 1};
    bad.days = back;
    bad.n_days = 2;
    CHECK_EQ(slotc_sync_schedule_import(s, &req, &bad), SLOT_INVALID_ARGUMENT);
    bad = t;
    bad.n_segments = 0;
    CHECK_EQ(slotc_sync_schedule_import(s, &req, &bad), SLOT_INVALID_ARGUMENT);
    bad = t;
    bad.shares[1].permille = 800; /* 300 + 800 > 1000 */
    CHECK_EQ(slotc_sync_schedule_import(s, &req, &bad), SLOT_INVALID_ARGUMENT);
    bad = t;
    bad.place.hospital = ctest_uniq("nohosp");
    CHECK_EQ(slotc_sync_schedule_import(s, &req, &bad), SLOT_UNKNOWN_HOSPITAL);
    q = (struct slotc_query){.hospital = h, .kind = 7, .limit = 10};
    CHECK_EQ(slotc_sync_read_query(s, &req, &q), SLOT_INVALID_ARGUMENT);
    q.kind = -1;
    q.limit = 0;
    CHECK_EQ(slotc_sync_read_query(s, &req, &q), SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- date rules: horizon, release time, cut-off, same day ---------------- */

/* A scheduled pool of hospital h on local day `day`, segment 14:00-15:00,
 * capacity cap, shares as given; eligible / remainder_allow lists. */
static void schedPool(struct slotc_sync *s, const char *pool, const char *h,
                      uint32_t day, int32_t off, uint32_t cap, int pay_mode,
                      uint64_t release_at_ms, uint32_t n_shares,
                      const struct slotc_share *shares, uint32_t n_elig,
                      const char *const *elig, uint32_t n_rem,
                      const char *const *rem, int expect)
{
    struct slotc_place pl;
    memset(&pl, 0, sizeof pl);
    pl.hospital = h;
    pl.department = "derm";
    pl.doctor = "wang";
    pl.visit_day = day;
    pl.pay_mode = pay_mode;
    pl.n_eligible = n_elig;
    for (uint32_t i = 0; i < n_elig; i++) {
        pl.eligible[i] = elig[i];
    }
    pl.n_remainder_allow = n_rem;
    for (uint32_t i = 0; i < n_rem; i++) {
        pl.remainder_allow[i] = rem[i];
    }
    struct slotc_pool_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.pool = pool;
    sp.capacity = cap;
    sp.kind = SLOTC_KIND_NORMAL;
    sp.seg_start_ms = utcOf(day, 14 * 60, off);
    sp.seg_end_ms = utcOf(day, 15 * 60, off);
    sp.release_at_ms = release_at_ms;
    sp.n_shares = n_shares;
    for (uint32_t i = 0; i < n_shares; i++) {
        sp.shares[i] = shares[i];
    }
    sp.place = &pl;
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), expect);
}

static int hold(struct slotc_sync *s, const char *pool, const char *patient,
                const char *channel, uint32_t ttl_ms, uint64_t *id)
{
    struct slotc_req req;
    slotc_req_init(&req);
    int rc = slotc_sync_hold(s, &req, pool, patient, channel, ttl_ms);
    if (id != NULL) {
        *id = rc == SLOT_OK ? req.out.id : 0;
    }
    return rc;
}

static void test_date_rules(void)
{
    struct slotc_sync *s = openSync();
    const char *h = ctest_uniq("hd");
    uint64_t now = ledgerNow(s);
    int32_t off = ctest_noon_offset(now);
    uint32_t today = localDay(now, off), minute = ctest_local_minute(now, off);
    /* Local time is about noon: the release minute passed an hour ago, the
     * cut-off is the minute now running (it began at most a minute ago). */
    struct slotc_rules r;
    slotc_rules_init(&r);
    r.utc_offset_min = off;
    r.release_minute = minute - 60;
    r.horizon_days = 7;
    r.cutoff_minute = (int32_t)minute;
    r.n_policies = 3;
    snprintf(r.policies[0].channel, SLOTC_CHANNEL_MAX + 1, "doctor");
    r.policies[0].horizon_days = 90;
    r.policies[0].same_day = true;
    snprintf(r.policies[1].channel, SLOTC_CHANNEL_MAX + 1, "window");
    r.policies[1].same_day = true;
    snprintf(r.policies[2].channel, SLOTC_CHANNEL_MAX + 1, "*");
    r.policies[2].cutoff = true;
    setRules(s, h, NULL, &r, SLOT_OK);

    char p7[64], p8[64], p1[64], p0[64], pr[64];
    snprintf(p7, sizeof p7, "%s/d7", h);
    snprintf(p8, sizeof p8, "%s/d8", h);
    snprintf(p1, sizeof p1, "%s/d1", h);
    snprintf(p0, sizeof p0, "%s/d0", h);
    snprintf(pr, sizeof pr, "%s/rel", h);
    schedPool(s, p7, h, today + 7, off, 5, SLOTC_PAY_ONLINE, 0, 0, NULL, 0,
              NULL, 0, NULL, SLOT_OK);
    schedPool(s, p8, h, today + 8, off, 5, SLOTC_PAY_ONLINE, 0, 0, NULL, 0,
              NULL, 0, NULL, SLOT_OK);
    schedPool(s, p1, h, today + 1, off, 5, SLOTC_PAY_ONLINE, 0, 0, NULL, 0,
              NULL, 0, NULL, SLOT_OK);
    schedPool(s, p0, h, today, off, 5, SLOTC_PAY_ONLINE, 0, 0, NULL, 0, NULL, 0,
              NULL, SLOT_OK);
    /* A pool released 1.5 s from now by its own release time. */
    schedPool(s, pr, h, today + 3, off, 5, SLOTC_PAY_ONLINE,
              ledgerNow(s) + 1500, 0, NULL, 0, NULL, 0, NULL, SLOT_OK);

    /* Day D+7 opened at the release minute; D+8 is beyond the horizon,
     * except for a channel with its own. */
    CHECK_EQ(hold(s, p7, "patient-d7-app", "app", 60000, NULL), SLOT_OK);
    CHECK_EQ(hold(s, p8, "patient-d8-app", "app", 60000, NULL),
             SLOT_OUTSIDE_HORIZON);
    CHECK_EQ(hold(s, p8, "patient-d8-doc", "doctor", 60000, NULL), SLOT_OK);
    /* Tomorrow: the cut-off minute has begun, closed to "*" channels, open
     * to the window whose policy has no cut-off. */
    CHECK_EQ(hold(s, p1, "patient-d1-app", "app", 60000, NULL),
             SLOT_BOOKING_CLOSED);
    CHECK_EQ(hold(s, p1, "patient-d1-win", "window", 60000, NULL), SLOT_OK);
    /* Today: same-day booking only where the policy allows it. */
    CHECK_EQ(hold(s, p0, "patient-d0-app", "app", 60000, NULL),
             SLOT_BOOKING_CLOSED);
    CHECK_EQ(hold(s, p0, "patient-d0-doc", "doctor", 60000, NULL), SLOT_OK);
    /* The pool's own release time, polled (bounded), not slept for. */
    CHECK_EQ(hold(s, pr, "patient-rel-1", "window", 60000, NULL),
             SLOT_NOT_RELEASED);
    int rc = SLOT_NOT_RELEASED;
    for (int i = 0; i < 100 && rc == SLOT_NOT_RELEASED; i++) {
        tclock_sleep_ms(100);
        rc = hold(s, pr, "patient-rel-1", "window", 60000, NULL);
    }
    CHECK_EQ(rc, SLOT_OK);

    /* A rule change applies to the next HOLD: no horizon any more. */
    r.horizon_days = 0;
    setRules(s, h, NULL, &r, SLOT_OK);
    CHECK_EQ(hold(s, p8, "patient-d8-app", "app", 60000, NULL), SLOT_OK);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- channel groups, protected remainder, payment, visit numbers -------- */

static void test_buckets_and_payment(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    const char *h = ctest_uniq("hb");
    uint64_t now = ledgerNow(s);
    int32_t off = ctest_noon_offset(now);
    uint32_t today = localDay(now, off);
    struct slotc_rules r;
    slotc_rules_init(&r);
    r.utc_offset_min = off;
    r.pay_ttl_ms = 300000;
    r.n_groups = 1;
    snprintf(r.groups[0].name, SLOTC_CHANNEL_MAX + 1, "online");
    r.groups[0].n = 2;
    snprintf(r.groups[0].channels[0], SLOTC_CHANNEL_MAX + 1, "app");
    snprintf(r.groups[0].channels[1], SLOTC_CHANNEL_MAX + 1, "wechat");
    setRules(s, h, NULL, &r, SLOT_OK);

    /* 6 slots: 114 has 1, online (app, wechat) 2, and the remainder of 3
     * is kept for the window. Bank may not book it at all. */
    char pool[64], pav[64];
    snprintf(pool, sizeof pool, "%s/g", h);
    snprintf(pav, sizeof pav, "%s/visit", h);
    struct slotc_share sh[2] = {{"114", 1}, {"online", 2}};
    const char *elig[3] = {"114", "online", "window"};
    const char *rem[1] = {"window"};
    schedPool(s, pool, h, today + 2, off, 6, SLOTC_PAY_ONLINE, 0, 2, sh, 3,
              elig, 1, rem, SLOT_OK);
    struct slotc_share bad_sh[1] = {{"Bad!", 1}};
    schedPool(s, "x-bad", h, today + 2, off, 6, SLOTC_PAY_ONLINE, 0, 1, bad_sh,
              0, NULL, 0, NULL, SLOT_INVALID_ARGUMENT);

    CHECK_EQ(hold(s, pool, "patient-bank-1", "bank", 0, NULL),
             SLOT_CHANNEL_NOT_ALLOWED);
    uint64_t a1, a2, w1;
    CHECK_EQ(hold(s, pool, "patient-app-1", "app", 0, &a1), SLOT_OK);
    CHECK_EQ(hold(s, pool, "patient-wx-1", "wechat", 0, &a2), SLOT_OK);
    /* The online share is gone and the remainder is the window's. */
    CHECK_EQ(hold(s, pool, "patient-app-2", "app", 0, NULL), SLOT_SOLD_OUT);
    CHECK_EQ(hold(s, pool, "patient-win-1", "window", 0, &w1), SLOT_OK);
    CHECK_EQ(slotc_sync_read_hold(s, &req, a2), SLOT_OK);
    CHECK_STR(req.out.claims[0].bucket, "online");
    /* ttl 0: the hospital's payment window. */
    CHECK_EQ(req.out.claims[0].deadline_ms - req.out.claims[0].held_at_ms,
             300000);
    CHECK_EQ(slotc_sync_read_hold(s, &req, w1), SLOT_OK);
    CHECK_STR(req.out.claims[0].bucket, "");
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    CHECK_EQ(req.out.pools[0].shares[1].held, 2);
    CHECK_EQ(req.out.pools[0].remainder.held, 1);

    /* Pay online: a confirm without a reference is refused. */
    CHECK_EQ(slotc_sync_confirm(s, &req, a1, NULL), SLOT_PAYMENT_REQUIRED);
    CHECK_EQ(slotc_sync_confirm(s, &req, a1, "pay-a1"), SLOT_OK);
    CHECK_EQ(req.out.visit_no, 1);
    CHECK_EQ(slotc_sync_confirm(s, &req, a2, "pay-a2"), SLOT_OK);
    CHECK_EQ(req.out.visit_no, 2);
    CHECK_EQ(slotc_sync_confirm(s, &req, w1, "pay-w1"), SLOT_OK);
    CHECK_EQ(req.out.visit_no, 3);
    /* Visit windows: 60 minutes / 6 numbers = 10 minutes each. */
    uint64_t seg0 = utcOf(today + 2, 14 * 60, off);
    CHECK_EQ(slotc_sync_read_booking(s, &req, a2), SLOT_OK);
    CHECK(req.out.claims[0].paid);
    CHECK_EQ(req.out.claims[0].visit_start_ms, seg0 + 10 * MS_PER_MIN);
    CHECK_EQ(req.out.claims[0].visit_end_ms, seg0 + 20 * MS_PER_MIN);
    /* A cancelled number is the next booking's (lowest freed first). */
    CHECK_EQ(slotc_sync_cancel(s, &req, a2), SLOT_OK);
    uint64_t w2;
    CHECK_EQ(hold(s, pool, "patient-win-2", "window", 0, &w2), SLOT_OK);
    CHECK_EQ(slotc_sync_confirm(s, &req, w2, "pay-w2"), SLOT_OK);
    CHECK_EQ(req.out.visit_no, 2);

    /* Pay at the visit: booked unpaid without a reference. */
    schedPool(s, pav, h, today + 2, off, 2, SLOTC_PAY_AT_VISIT, 0, 0, NULL, 0,
              NULL, 0, NULL, SLOT_OK);
    uint64_t v1;
    CHECK_EQ(hold(s, pav, "patient-visit-1", "app", 0, &v1), SLOT_OK);
    CHECK_EQ(slotc_sync_confirm(s, &req, v1, NULL), SLOT_OK);
    CHECK_EQ(slotc_sync_read_booking(s, &req, v1), SLOT_OK);
    CHECK(!req.out.claims[0].paid);
    CHECK_STR(req.out.claims[0].payment_ref, "");
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- flow-back: proposed by the leader when due --------------------------- */

static void test_flow_back(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    const char *h = ctest_uniq("hf");
    uint64_t now = ledgerNow(s);
    int32_t off = ctest_noon_offset(now);
    uint32_t today = localDay(now, off), minute = ctest_local_minute(now, off);
    struct slotc_rules r;
    slotc_rules_init(&r);
    r.utc_offset_min = off;
    setRules(s, h, NULL, &r, SLOT_OK);
    char pool[64];
    snprintf(pool, sizeof pool, "%s/f", h);
    struct slotc_share sh[2] = {{"114", 3}, {"app", 3}};
    schedPool(s, pool, h, today + 1, off, 10, SLOTC_PAY_ONLINE, 0, 2, sh, 0,
              NULL, 0, NULL, SLOT_OK);
    uint64_t h114, happ;
    CHECK_EQ(hold(s, pool, "patient-f-114", "114", 60000, &h114), SLOT_OK);
    CHECK_EQ(hold(s, pool, "patient-f-app", "app", 60000, &happ), SLOT_OK);
    CHECK_EQ(slotc_sync_confirm(s, &req, happ, "pay-f"), SLOT_OK);
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    CHECK_EQ(req.out.pools[0].place.flow_due_ms, 0);
    CHECK(!req.out.pools[0].place.flowed_back);

    /* Flow-back the day before the visit at the minute now running: due
     * already, so the leader proposes SWEEP within its next tick. */
    r.flowback_days_before = 1;
    r.flowback_minute = (int32_t)minute;
    setRules(s, h, NULL, &r, SLOT_OK);
    bool flowed = false;
    for (int i = 0; i < 100 && !flowed; i++) {
        CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
        flowed = req.out.pools[0].place.flowed_back;
        if (!flowed) {
            tclock_sleep_ms(50);
        }
    }
    CHECK(flowed);
    const struct slotc_pool *p = &req.out.pools[0];
    CHECK_EQ(p->place.flow_due_ms, 0); /* done */
    /* Unsold share slots moved to the remainder; held and booked stayed. */
    CHECK_EQ(p->shares[0].held, 1);
    CHECK_EQ(p->shares[0].free, 0);
    CHECK_EQ(p->shares[0].capacity, 1);
    CHECK_EQ(p->shares[1].booked, 1);
    CHECK_EQ(p->shares[1].free, 0);
    CHECK_EQ(p->remainder.capacity, 8);
    CHECK_EQ(p->remainder.free, 8);
    CHECK_EQ(p->free + p->held + p->booked, p->capacity);
    /* Once: a later rule change does not flow it again. */
    r.flowback_minute = (int32_t)minute;
    setRules(s, h, NULL, &r, SLOT_OK);
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    CHECK(req.out.pools[0].place.flowed_back);
    CHECK_EQ(req.out.pools[0].remainder.capacity, 8);
    /* The held slot of the 114 share is still the 114's to confirm. */
    CHECK_EQ(slotc_sync_confirm(s, &req, h114, "pay-f2"), SLOT_OK);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- idempotency keys on the admin commands ------------------------------- */

static void test_idempotency(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    const char *h = ctest_uniq("hk");
    struct slotc_rules r;
    slotc_rules_init(&r);
    r.utc_offset_min = 480;
    req.idem_key = "rules-key-1";
    req.idem_channel = "admin";
    CHECK_EQ(slotc_sync_rules_set(s, &req, h, NULL, "op", "k", &r), SLOT_OK);
    CHECK_EQ(req.out.version, 1);
    /* The retry through another client gets the original answer. */
    struct slotc_sync *s2 = openSync();
    struct slotc_req req2;
    slotc_req_init(&req2);
    req2.idem_key = "rules-key-1";
    req2.idem_channel = "admin";
    CHECK_EQ(slotc_sync_rules_set(s2, &req2, h, NULL, "op", "k", &r), SLOT_OK);
    CHECK_EQ(req2.out.version, 1);
    r.horizon_days = 3;
    CHECK_EQ(slotc_sync_rules_set(s2, &req2, h, NULL, "op", "k", &r),
             SLOT_REQUEST_MISMATCH);
    /* A key needs its channel for these commands. */
    req2.idem_channel = NULL;
    CHECK_EQ(slotc_sync_rules_set(s2, &req2, h, NULL, "op", "k", &r),
             SLOT_INVALID_ARGUMENT);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_rules_log(s, &req, h, 0, 10), SLOT_OK);
    CHECK_EQ(req.out.n_rules, 1);
    slotc_sync_close(s2);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- main ---------------------------------------------------------------- */

static const struct check_case cases[] = {
    {"rules", test_rules},
    {"import_and_query", test_import_and_query},
    {"date_rules", test_date_rules},
    {"buckets_and_payment", test_buckets_and_payment},
    {"flow_back", test_flow_back},
    {"idempotency", test_idempotency},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return ctest_main(cases, argc, argv);
}
