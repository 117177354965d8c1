/* test_libslot_patients: the patient rules of protocol 3 through libslot
 * (accounts, quotas, ownership of claims, the cancellation deadline and
 * daily limit, violations and blacklists, the staff log, the cool-down of
 * cancelled slots, waitlists and their offers, config v3), against a real local 3-node slotd cluster.
 *
 * As in test_libslot_sched: times are relative to now, each hospital's UTC
 * offset puts its local time near noon, and every test uses its own
 * hospital, patient and account names (the ledger's patient records and
 * accounts are global), so tests sharing the cluster never meet. The one
 * wait (a cancelled slot cooling down for 1.5 s) is a bounded poll.
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

/* A scheduled pool "<hospital>/<tag>" on local day `day`, segment
 * 14:00-15:00, no shares. */
static const char *schedPool(struct slotc_sync *s, const struct ctest_hosp *h,
                             const char *tag, const char *dep, uint32_t day,
                             int kind, uint32_t cap)
{
    return ctest_pool(s, h, tag, dep, day, kind, cap, 14 * 60, 15 * 60);
}

/* ---- config v3 ------------------------------------------------------------ */

static void test_config_v3(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    req.flags = SLOTC_NO_HASH;
    CHECK_EQ(slotc_sync_read_ledger(s, &req), SLOT_OK);
    struct slotc_config cfg = req.out.ledger->config;
    /* The ledger's defaults: the "1+3" rule, one change of at most 2
     * patients per 365 days; the key is never reported. */
    CHECK(cfg.v3);
    CHECK_EQ(cfg.account_patients_max, 4);
    CHECK_EQ(cfg.account_changes_max, 1);
    CHECK_EQ(cfg.account_change_window_days, 365);
    CHECK_EQ(cfg.account_change_patients_max, 2);
    CHECK_EQ(cfg.patient_active_max, 0);
    CHECK_EQ(cfg.cooldown_key[0] | cfg.cooldown_key[1], 0);

    /* A version 2 config (v3 false, what an old caller's zeroed fields
     * say) changes the first six fields and keeps the others. */
    struct slotc_config v2 = cfg;
    v2.v3 = false;
    v2.account_patients_max = v2.account_changes_max = 0;
    v2.account_change_window_days = v2.account_change_patients_max = 0;
    v2.retain_max = cfg.retain_max - 1;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_config(s, &req, &v2), SLOT_OK);
    req.flags = SLOTC_NO_HASH;
    CHECK_EQ(slotc_sync_read_ledger(s, &req), SLOT_OK);
    CHECK_EQ(req.out.ledger->config.retain_max, cfg.retain_max - 1);
    CHECK_EQ(req.out.ledger->config.account_patients_max, 4);
    CHECK_EQ(req.out.ledger->config.account_change_window_days, 365);

    /* v3: all replaced (the same limits back, a key of our own). */
    struct slotc_config v3 = cfg;
    v3.patient_active_max = 50;
    v3.cooldown_key[0] = 0x0123456789abcdefull;
    v3.cooldown_key[1] = 42;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_config(s, &req, &v3), SLOT_OK);
    req.flags = SLOTC_NO_HASH;
    CHECK_EQ(slotc_sync_read_ledger(s, &req), SLOT_OK);
    CHECK_EQ(req.out.ledger->config.patient_active_max, 50);
    CHECK_EQ(req.out.ledger->config.retain_max, cfg.retain_max);
    CHECK_EQ(req.out.ledger->config.cooldown_key[0], 0);
    v3.patient_active_max = 0;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_config(s, &req, &v3), SLOT_OK);

    /* Refused before sending. */
    struct slotc_config bad = v2;
    bad.account_patients_max = 3; /* v3 false: must be 0 */
    CHECK_EQ(slotc_sync_config(s, &req, &bad), SLOT_INVALID_ARGUMENT);
    bad = v3;
    bad.account_patients_max = 0;
    CHECK_EQ(slotc_sync_config(s, &req, &bad), SLOT_INVALID_ARGUMENT);
    bad = v3;
    bad.account_patients_max = 256 + 4; /* never truncated into range */
    CHECK_EQ(slotc_sync_config(s, &req, &bad), SLOT_INVALID_ARGUMENT);
    bad = v3;
    bad.patient_active_max = 70000;
    CHECK_EQ(slotc_sync_config(s, &req, &bad), SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- accounts ------------------------------------------------------------- */

static void test_accounts(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    char acc[SLOTC_NAME_MAX + 1], other[SLOTC_NAME_MAX + 1];
    char pat[5][SLOTC_NAME_MAX + 1];
    snprintf(acc, sizeof acc, "%s", ctest_uniq("acct"));
    snprintf(other, sizeof other, "%s", ctest_uniq("acct"));
    for (int i = 0; i < 5; i++) {
        snprintf(pat[i], sizeof pat[i], "%s", ctest_uniq("pa"));
    }
    for (uint32_t i = 0; i < 4; i++) {
        CHECK_EQ(slotc_sync_account_bind(s, &req, acc, pat[i]), SLOT_OK);
        CHECK_EQ(req.out.bound, i + 1);
    }
    /* The fifth: the account is full (1 + 3). */
    CHECK_EQ(slotc_sync_account_bind(s, &req, acc, pat[4]), SLOT_ACCOUNT_LIMIT);
    CHECK_EQ(req.out.account_rule, SLOTC_ACCOUNT_FULL);
    CHECK_STR(slotc_account_rule_name(req.out.account_rule), "full");
    /* Binding a bound pair again changes nothing. */
    CHECK_EQ(slotc_sync_account_bind(s, &req, acc, pat[1]), SLOT_OK);
    CHECK_EQ(req.out.bound, 4);
    CHECK_EQ(slotc_sync_account_bind(s, &req, other, pat[0]),
             SLOT_ACCOUNT_LIMIT);
    CHECK_EQ(req.out.account_rule, SLOTC_ACCOUNT_ELSEWHERE);

    CHECK_EQ(slotc_sync_read_account(s, &req, acc), SLOT_OK);
    CHECK_STR(req.out.account->account, acc);
    CHECK_EQ(req.out.account->n_patients, 4);
    CHECK_STR(req.out.account->patients[0], pat[0]);
    CHECK_STR(req.out.account->patients[3], pat[3]);
    CHECK_EQ(req.out.account->n_changes, 0);
    CHECK_EQ(slotc_sync_read_patient_info(s, &req, pat[2]), SLOT_OK);
    CHECK_STR(req.out.patient_info->account, acc);
    CHECK_EQ(req.out.patient_info->n_claims, 0);

    /* Unbinds: one change of at most two patients. */
    CHECK_EQ(slotc_sync_account_unbind(s, &req, acc, pat[0]), SLOT_OK);
    CHECK_EQ(req.out.bound, 3);
    CHECK_EQ(slotc_sync_account_unbind(s, &req, acc, pat[0]), SLOT_NOT_BOUND);
    CHECK_EQ(slotc_sync_account_unbind(s, &req, acc, pat[1]), SLOT_OK);
    CHECK_EQ(slotc_sync_account_unbind(s, &req, acc, pat[2]),
             SLOT_ACCOUNT_LIMIT);
    CHECK_EQ(req.out.account_rule, SLOTC_ACCOUNT_CHANGE_PATIENTS);
    CHECK_EQ(slotc_sync_read_account(s, &req, acc), SLOT_OK);
    CHECK_EQ(req.out.account->n_patients, 2);
    CHECK_STR(req.out.account->patients[0], pat[2]);
    CHECK_EQ(req.out.account->n_changes, 1);
    CHECK_EQ(req.out.account->changes[0].unbinds, 2);
    /* Room again: the fifth binds now. */
    CHECK_EQ(slotc_sync_account_bind(s, &req, acc, pat[4]), SLOT_OK);
    CHECK_EQ(req.out.bound, 3);
    /* An unknown account reads as empty. */
    CHECK_EQ(slotc_sync_read_account(s, &req, ctest_uniq("nobody")), SLOT_OK);
    CHECK_EQ(req.out.account->n_patients, 0);

    /* Refused before sending. */
    CHECK_EQ(slotc_sync_account_bind(s, &req, "short", pat[0]),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_account_bind(s, &req, acc, NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_read_account(s, &req, "bad key!"),
             SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- quotas ----------------------------------------------------------------- */

static void test_quotas(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hq", &r);
    r.patient.quota_day_normal = 2;
    r.patient.quota_day_expert = 2;
    r.patient.quota_dept_expert = 1;
    r.patient.quota_month_normal = 3;
    /* Carried both ways (nothing here is bound or cancelled). */
    r.patient.quota_per_account = true;
    r.patient.late_cancel_ms = 3600000;
    ctest_rules_set(s, &h, &r);
    /* The patient rules as the ledger keeps them. */
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_rules(s, &req, h.name, NULL), SLOT_OK);
    const struct slotc_patient_rules *pr = &req.out.rules[0].rules.patient;
    CHECK_EQ(pr->quota_day_normal, 2);
    CHECK_EQ(pr->quota_dept_expert, 1);
    CHECK_EQ(pr->quota_month_normal, 3);
    CHECK_EQ(pr->cancel_minute, -1);
    CHECK_EQ(pr->violation_window_days, 30);
    CHECK_EQ(pr->blacklist_days, 90);
    CHECK(pr->quota_per_account);
    CHECK_EQ(pr->late_cancel_ms, 3600000);

    /* Day d and another day d2 of the same month. */
    uint32_t d = h.today + 2, d2 = h.today + 3;
    char a[11], b[11];
    slotc_day_format(d, a);
    slotc_day_format(d2, b);
    if (memcmp(a, b, 7) != 0) {
        d2 = h.today + 1;
    }
    const char *n1 = schedPool(s, &h, "n1", "derm", d, SLOTC_KIND_NORMAL, 5);
    const char *n2 = schedPool(s, &h, "n2", "derm", d, SLOTC_KIND_NORMAL, 5);
    const char *n3 = schedPool(s, &h, "n3", "derm", d, SLOTC_KIND_NORMAL, 5);
    const char *m1 = schedPool(s, &h, "m1", "derm", d2, SLOTC_KIND_NORMAL, 5);
    const char *m2 = schedPool(s, &h, "m2", "derm", d2, SLOTC_KIND_NORMAL, 5);
    const char *e1 = schedPool(s, &h, "e1", "cardio", d, SLOTC_KIND_EXPERT, 5);
    const char *e2 = schedPool(s, &h, "e2", "cardio", d, SLOTC_KIND_EXPERT, 5);
    const char *p = ctest_uniq("pq");
    uint64_t h1, h2;
    CHECK_EQ(ctest_hold(s, &req, n1, p, "app", NULL, &h1), SLOT_OK);
    CHECK_EQ(ctest_hold(s, &req, n2, p, "app", NULL, &h2), SLOT_OK);
    /* The third normal visit on day d. */
    CHECK_EQ(ctest_hold(s, &req, n3, p, "app", NULL, NULL),
             SLOT_QUOTA_EXCEEDED);
    CHECK_EQ(req.out.quota, SLOTC_QUOTA_DAY_NORMAL);
    CHECK_EQ(req.out.window_day, d);
    CHECK_STR(slotc_quota_name(req.out.quota), "day_normal");
    /* The month: 2 on day d + 1 on d2 = 3; the fourth is refused. */
    CHECK_EQ(ctest_hold(s, &req, m1, p, "app", NULL, NULL), SLOT_OK);
    CHECK_EQ(ctest_hold(s, &req, m2, p, "app", NULL, NULL),
             SLOT_QUOTA_EXCEEDED);
    CHECK_EQ(req.out.quota, SLOTC_QUOTA_MONTH_NORMAL);
    char first[11];
    slotc_day_format(d2, first);
    first[8] = '0';
    first[9] = '1';
    CHECK_EQ(req.out.window_day, (uint32_t)slotc_day_parse(first));
    /* Expert: one per department and day. */
    CHECK_EQ(ctest_hold(s, &req, e1, p, "app", NULL, NULL), SLOT_OK);
    CHECK_EQ(ctest_hold(s, &req, e2, p, "app", NULL, NULL),
             SLOT_QUOTA_EXCEEDED);
    CHECK_EQ(req.out.quota, SLOTC_QUOTA_DEPT_EXPERT);
    /* Quotas count active claims: a released hold makes room. */
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_release(s, &req, h1), SLOT_OK);
    CHECK_EQ(ctest_hold(s, &req, n3, p, "app", NULL, NULL), SLOT_OK);
    CHECK_EQ(slotc_sync_read_patient_info(s, &req, p), SLOT_OK);
    CHECK_EQ(req.out.patient_info->n_claims, 4);
    CHECK_EQ(req.out.n_claims, 4);
    CHECK(req.out.claims == req.out.patient_info->claims);
    CHECK_STR(req.out.claims[0].pool, n2);
    CHECK_EQ(req.out.claims[0].id, h2);
    /* Another patient has quotas of its own. */
    CHECK_EQ(ctest_hold(s, &req, n1, ctest_uniq("pq"), "app", NULL, NULL),
             SLOT_OK);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- ownership and account channels ------------------------------------- */

static void test_ownership(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "ho", &r);
    snprintf(r.patient.account_channels, sizeof r.patient.account_channels,
             "kiosk");
    ctest_rules_set(s, &h, &r);
    const char *pool =
        schedPool(s, &h, "o", "derm", h.today + 2, SLOTC_KIND_NORMAL, 10);
    char acc[SLOTC_NAME_MAX + 1], p[SLOTC_NAME_MAX + 1], q[SLOTC_NAME_MAX + 1];
    snprintf(acc, sizeof acc, "%s", ctest_uniq("acco"));
    snprintf(p, sizeof p, "%s", ctest_uniq("po"));
    snprintf(q, sizeof q, "%s", ctest_uniq("po"));
    CHECK_EQ(slotc_sync_account_bind(s, &req, acc, p), SLOT_OK);

    /* A hold for an account the patient is not bound to. */
    CHECK_EQ(ctest_hold(s, &req, pool, q, "wechat", acc, NULL), SLOT_NOT_BOUND);
    /* The kiosk books for an account's patients only. */
    CHECK_EQ(ctest_hold(s, &req, pool, p, "kiosk", NULL, NULL), SLOT_NOT_BOUND);
    uint64_t hp, hq;
    CHECK_EQ(ctest_hold(s, &req, pool, p, "wechat", acc, &hp), SLOT_OK);
    /* Another channel may not touch it ... */
    CHECK_EQ(slotc_sync_confirm_as(s, &req, hp, NULL, "app", NULL),
             SLOT_NOT_OWNER);
    CHECK_EQ(slotc_sync_release_as(s, &req, hp, "app", NULL), SLOT_NOT_OWNER);
    /* ... unless for the account its patient is bound to. */
    CHECK_EQ(slotc_sync_confirm_as(s, &req, hp, NULL, "app", acc), SLOT_OK);
    CHECK_EQ(req.out.id, hp);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, hp, "bank", NULL), SLOT_NOT_OWNER);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, hp, "bank", acc), SLOT_OK);
    /* Without an account only the claim's own channel, or an
     * administrator (the calls without _as). */
    CHECK_EQ(ctest_hold(s, &req, pool, q, "wechat", NULL, &hq), SLOT_OK);
    CHECK_EQ(slotc_sync_confirm_as(s, &req, hq, NULL, "app", acc),
             SLOT_NOT_OWNER);
    CHECK_EQ(slotc_sync_confirm_as(s, &req, hq, NULL, "wechat", NULL), SLOT_OK);
    CHECK_EQ(slotc_sync_cancel(s, &req, hq), SLOT_OK);
    /* NOT_OWNER comes after UNKNOWN_HOLD. */
    CHECK_EQ(slotc_sync_confirm_as(s, &req, 999999999, NULL, "app", NULL),
             SLOT_UNKNOWN_HOLD);

    /* Refused before sending. */
    CHECK_EQ(slotc_sync_confirm_as(s, &req, hq, NULL, "Bad!", NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, hq, "app", "short"),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_release_as(s, &req, 0, "app", NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(ctest_hold(s, &req, pool, p, "app", "x", NULL),
             SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- cancellation deadline and daily limit ------------------------------- */

static void test_cancel_rules(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hc", &r);
    /* Cancel until the day before the visit, an hour before the local
     * minute now running: passed for tomorrow's visits, not for later. */
    r.patient.cancel_days_before = 1;
    r.patient.cancel_minute = (int32_t)h.minute - 60;
    r.patient.cancel_limit_day = 2;
    ctest_rules_set(s, &h, &r);
    const char *soon =
        schedPool(s, &h, "soon", "derm", h.today + 1, SLOTC_KIND_NORMAL, 10);
    const char *later =
        schedPool(s, &h, "later", "derm", h.today + 3, SLOTC_KIND_NORMAL, 10);
    const char *p = ctest_uniq("pc");
    uint64_t b1 = ctest_book(s, soon, p, "app", NULL);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b1, "app", NULL),
             SLOT_CANCEL_CLOSED);
    /* Booked after the deadline: may still cancel when same-day is on. */
    r.patient.cancel_same_day = true;
    ctest_rules_set(s, &h, &r);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b1, "app", NULL), SLOT_OK);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b1, "app", NULL),
             SLOT_ALREADY_CANCELLED);
    r.patient.cancel_same_day = false;
    ctest_rules_set(s, &h, &r);
    /* An administrator is never late. */
    uint64_t b2 = ctest_book(s, soon, p, "app", NULL);
    CHECK_EQ(slotc_sync_cancel(s, &req, b2), SLOT_OK);
    /* A later visit: before its deadline. That is the patient's second
     * cancellation by a channel today: no new holds today. */
    uint64_t b3 = ctest_book(s, later, p, "app", NULL);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b3, "app", NULL), SLOT_OK);
    CHECK_EQ(ctest_hold(s, &req, later, p, "app", NULL, NULL),
             SLOT_CANCEL_LIMIT);
    CHECK_EQ(req.out.window_day, h.today);
    CHECK_EQ(slotc_sync_read_patient_info(s, &req, p), SLOT_OK);
    CHECK_EQ(req.out.patient_info->n_cancels, 2);
    CHECK(req.out.patient_info->cancels_ms[0] <=
          req.out.patient_info->cancels_ms[1]);
    CHECK_EQ(req.out.patient_info->n_claims, 0);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- violations, blacklist, exception, unblock, staff log ---------------- */

static void test_blacklist(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hv", &r);
    r.patient.violation_threshold = 3;
    r.patient.violation_window_days = 30;
    r.patient.blacklist_days = 7;
    snprintf(r.patient.blacklist_exempt, sizeof r.patient.blacklist_exempt,
             "window");
    ctest_rules_set(s, &h, &r);
    const char *pool =
        schedPool(s, &h, "v", "derm", h.today + 2, SLOTC_KIND_NORMAL, 10);
    const char *pool2 =
        schedPool(s, &h, "v2", "derm", h.today + 2, SLOTC_KIND_NORMAL, 10);
    char p[SLOTC_NAME_MAX + 1];
    snprintf(p, sizeof p, "%s", ctest_uniq("pv"));
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_staff_log(s, &req, 0, 1000), SLOT_OK);
    uint64_t log_from =
        req.out.n_staff > 0 ? req.out.staff[req.out.n_staff - 1].seq : 0;

    uint64_t before = tclock_wall_ms();
    for (uint32_t i = 1; i <= 3; i++) {
        CHECK_EQ(slotc_sync_violation(s, &req, h.name, p,
                                      i == 2 ? SLOTC_VIOLATION_OTHER
                                             : SLOTC_VIOLATION_NO_SHOW,
                                      "nurse.li", "爽约 no-show"),
                 SLOT_OK);
        CHECK_EQ(req.out.violations, i);
        if (i == 2) {
            CHECK_EQ(req.out.until_ms, 0);
            CHECK_EQ(slotc_sync_read_patient_info(s, &req, p), SLOT_OK);
            CHECK_EQ(req.out.patient_info->n_standing, 1);
            CHECK(req.out.patient_info->standing[0].warning);
            CHECK_EQ(req.out.patient_info->standing[0].blacklisted_until_ms, 0);
        }
    }
    uint64_t until = req.out.until_ms;
    CHECK(until >= before + 7 * MS_PER_DAY);
    CHECK(until <= tclock_wall_ms() + 7 * MS_PER_DAY + 1000);
    CHECK_EQ(ctest_hold(s, &req, pool, p, "app", NULL, NULL), SLOT_BLACKLISTED);
    CHECK_EQ(req.out.until_ms, until);
    /* The exempt channel still books for a blacklisted patient. */
    uint64_t hw;
    CHECK_EQ(ctest_hold(s, &req, pool, p, "window", NULL, &hw), SLOT_OK);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_release(s, &req, hw), SLOT_OK);
    CHECK_EQ(slotc_sync_read_patient_info(s, &req, p), SLOT_OK);
    const struct slotc_patient_info *pi = req.out.patient_info;
    CHECK_EQ(pi->n_violations, 3);
    CHECK_EQ(pi->violations[1].kind, SLOTC_VIOLATION_OTHER);
    CHECK_STR(pi->violations[0].hospital, h.name);
    CHECK_EQ(pi->n_standing, 1);
    CHECK_EQ(pi->standing[0].blacklisted_until_ms, until);
    CHECK_EQ(pi->standing[0].violations, 3);
    CHECK_EQ(pi->standing[0].threshold, 3);

    /* An exception lets one hold through. */
    CHECK_EQ(slotc_sync_exception(s, &req, h.name, p, "dr.wang", "急诊 复诊"),
             SLOT_OK);
    CHECK_EQ(slotc_sync_read_patient_info(s, &req, p), SLOT_OK);
    CHECK(req.out.patient_info->standing[0].exception);
    CHECK_EQ(ctest_hold(s, &req, pool, p, "app", NULL, NULL), SLOT_OK);
    CHECK_EQ(ctest_hold(s, &req, pool2, p, "app", NULL, NULL),
             SLOT_BLACKLISTED);
    /* Unblock restores. */
    CHECK_EQ(slotc_sync_unblock(s, &req, h.name, p, "admin", "appeal ok"),
             SLOT_OK);
    CHECK(req.out.lifted);
    CHECK_EQ(ctest_hold(s, &req, pool2, p, "app", NULL, NULL), SLOT_OK);
    CHECK_EQ(slotc_sync_unblock(s, &req, h.name, p, "admin", "again"), SLOT_OK);
    CHECK(!req.out.lifted);
    CHECK_EQ(slotc_sync_read_patient_info(s, &req, p), SLOT_OK);
    CHECK_EQ(req.out.patient_info->n_claims, 2);
    for (uint32_t i = 0; i < req.out.patient_info->n_standing; i++) {
        CHECK_EQ(req.out.patient_info->standing[i].blacklisted_until_ms, 0);
    }

    /* The staff log: three violations, the exception, two unblocks. */
    CHECK_EQ(slotc_sync_read_staff_log(s, &req, log_from, 1000), SLOT_OK);
    int ops[6], n = 0;
    for (uint32_t i = 0; i < req.out.n_staff; i++) {
        const struct slotc_staff_entry *e = &req.out.staff[i];
        CHECK(e->seq > log_from);
        if (strcmp(e->patient, p) != 0) {
            continue; /* another test's */
        }
        CHECK(n < 6);
        ops[n++] = e->op;
        CHECK_STR(e->hospital, h.name);
        if (e->op == SLOTC_OP_VIOLATION) {
            CHECK_STR(e->operator_name, "nurse.li");
            CHECK_STR(e->reason, "爽约 no-show");
        }
        if (e->op == SLOTC_OP_EXCEPTION) {
            CHECK_STR(e->operator_name, "dr.wang");
            CHECK_EQ(e->kind, 0);
        }
    }
    CHECK_EQ(n, 6);
    CHECK_EQ(ops[0], SLOTC_OP_VIOLATION);
    CHECK_EQ(ops[2], SLOTC_OP_VIOLATION);
    CHECK_EQ(ops[3], SLOTC_OP_EXCEPTION);
    CHECK_EQ(ops[4], SLOTC_OP_UNBLOCK);
    CHECK_EQ(ops[5], SLOTC_OP_UNBLOCK);
    CHECK_EQ(slotc_sync_read_staff_log(s, &req, log_from, 2), SLOT_OK);
    CHECK(req.out.n_staff <= 2);

    /* Errors. */
    CHECK_EQ(slotc_sync_violation(s, &req, ctest_uniq("nohosp"), p,
                                  SLOTC_VIOLATION_NO_SHOW, "a", "b"),
             SLOT_UNKNOWN_HOSPITAL);
    CHECK_EQ(slotc_sync_violation(s, &req, h.name, p, SLOTC_VIOLATION_UNPAID,
                                  "a", "b"),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_unblock(s, &req, h.name, p, "a", ""),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_exception(s, &req, h.name, p, "bad operator", "b"),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_read_staff_log(s, &req, 0, 0), SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- cool-down of a cancelled slot --------------------------------------- */

static void test_cooldown(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hk", &r);
    r.patient.cooldown_min_ms = 1500;
    r.patient.cooldown_max_ms = 1500;
    ctest_rules_set(s, &h, &r);
    const char *pool =
        schedPool(s, &h, "k", "derm", h.today + 2, SLOTC_KIND_NORMAL, 1);
    const char *p = ctest_uniq("pk"), *p2 = ctest_uniq("pk");
    uint64_t b = ctest_book(s, pool, p, "app", NULL);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b, "app", NULL), SLOT_OK);
    uint64_t cancelled = tclock_wall_ms();
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    CHECK_EQ(req.out.pools[0].cooling, 1);
    CHECK_EQ(req.out.pools[0].free, 0);
    CHECK_EQ(req.out.pools[0].remainder.cooling, 1);
    /* Not free while it cools down. */
    CHECK_EQ(ctest_hold(s, &req, pool, p2, "app", NULL, NULL), SLOT_SOLD_OUT);
    bool back = false;
    for (int i = 0; i < 100 && !back; i++) {
        tclock_sleep_ms(100);
        CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
        back = req.out.pools[0].free == 1;
    }
    CHECK(back);
    CHECK(tclock_wall_ms() - cancelled >= 1000);
    CHECK_EQ(req.out.pools[0].cooling, 0);
    CHECK_EQ(req.out.pools[0].remainder.free, 1);
    CHECK_EQ(ctest_hold(s, &req, pool, p2, "app", NULL, NULL), SLOT_OK);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- waitlists ------------------------------------------------------------ */

static void test_waitlist(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hw", &r);
    /* A cool-down, so that the offer (not the slot's return) is what the
     * waiting patient gets at once. */
    r.patient.cooldown_min_ms = 600000;
    r.patient.cooldown_max_ms = 600000;
    ctest_rules_set(s, &h, &r);
    const char *pool =
        schedPool(s, &h, "w", "derm", h.today + 2, SLOTC_KIND_NORMAL, 1);
    const char *other =
        schedPool(s, &h, "w2", "derm", h.today + 2, SLOTC_KIND_NORMAL, 1);
    char p[SLOTC_NAME_MAX + 1], q1[SLOTC_NAME_MAX + 1], q2[SLOTC_NAME_MAX + 1],
        acc[SLOTC_NAME_MAX + 1];
    snprintf(p, sizeof p, "%s", ctest_uniq("pw"));
    snprintf(q1, sizeof q1, "%s", ctest_uniq("pw"));
    snprintf(q2, sizeof q2, "%s", ctest_uniq("pw"));
    snprintf(acc, sizeof acc, "%s", ctest_uniq("accw"));
    CHECK_EQ(slotc_sync_account_bind(s, &req, acc, q2), SLOT_OK);

    /* A pool with a free slot has no waitlist. */
    CHECK_EQ(slotc_sync_waitlist_join(s, &req, pool, q1, "wechat", NULL),
             SLOT_NOT_SOLD_OUT);
    uint64_t b = ctest_book(s, pool, p, "app", NULL);
    /* The patient who holds the slot cannot wait for it too. */
    CHECK_EQ(slotc_sync_waitlist_join(s, &req, pool, p, "app", NULL),
             SLOT_PATIENT_HAS_CLAIM);
    CHECK_EQ(slotc_sync_waitlist_join(s, &req, pool, q1, "wechat", NULL),
             SLOT_OK);
    CHECK_EQ(req.out.position, 1);
    CHECK_EQ(slotc_sync_waitlist_join(s, &req, pool, q2, "bank", acc), SLOT_OK);
    CHECK_EQ(req.out.position, 2);
    CHECK_EQ(slotc_sync_waitlist_join(s, &req, pool, q1, "app", NULL),
             SLOT_ALREADY_WAITING);
    CHECK_EQ(slotc_sync_read_waitlist(s, &req, pool, q2), SLOT_OK);
    CHECK_EQ(req.out.position, 2);
    CHECK_EQ(req.out.length, 2);
    CHECK_EQ(slotc_sync_read_waitlist(s, &req, pool, p), SLOT_OK);
    CHECK_EQ(req.out.position, 0);
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    CHECK_EQ(req.out.pools[0].waiting, 2);
    /* Leaving is the entry's channel's, its account's or an admin's. */
    CHECK_EQ(slotc_sync_waitlist_leave(s, &req, pool, q2, "app", NULL),
             SLOT_NOT_OWNER);

    /* The cancel offers the slot to the head: a hold through its channel. */
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b, "app", NULL), SLOT_OK);
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    CHECK_EQ(req.out.pools[0].held, 1);
    CHECK_EQ(req.out.pools[0].cooling, 0);
    CHECK_EQ(req.out.pools[0].waiting, 1);
    CHECK_EQ(slotc_sync_read_patient_info(s, &req, q1), SLOT_OK);
    CHECK_EQ(req.out.patient_info->n_claims, 1);
    CHECK_EQ(req.out.patient_info->claims[0].state, SLOTC_CLAIM_HELD);
    CHECK_STR(req.out.patient_info->claims[0].pool, pool);
    CHECK_STR(req.out.patient_info->claims[0].channel, "wechat");
    uint64_t offer = req.out.patient_info->claims[0].id;
    CHECK_EQ(slotc_sync_read_waitlist(s, &req, pool, q1), SLOT_OK);
    CHECK_EQ(req.out.position, 0);
    CHECK_EQ(slotc_sync_read_waitlist(s, &req, pool, q2), SLOT_OK);
    CHECK_EQ(req.out.position, 1);
    CHECK_EQ(req.out.length, 1);
    CHECK_EQ(slotc_sync_confirm_as(s, &req, offer, NULL, "wechat", NULL),
             SLOT_OK);

    /* Through another channel of its account. */
    CHECK_EQ(slotc_sync_waitlist_leave(s, &req, pool, q2, "app", acc), SLOT_OK);
    CHECK_EQ(slotc_sync_read_waitlist(s, &req, pool, q2), SLOT_OK);
    CHECK_EQ(req.out.position, 0);
    CHECK_EQ(req.out.length, 0);
    CHECK_EQ(slotc_sync_waitlist_leave(s, &req, pool, q2, NULL, NULL),
             SLOT_NOT_WAITING);
    /* An administrator takes anyone off. */
    ctest_book(s, other, p, "app", NULL);
    CHECK_EQ(slotc_sync_waitlist_join(s, &req, other, q2, "bank", NULL),
             SLOT_OK);
    CHECK_EQ(slotc_sync_waitlist_leave(s, &req, other, q2, NULL, NULL),
             SLOT_OK);

    CHECK_EQ(slotc_sync_read_waitlist(s, &req, "no/such/pool", q1),
             SLOT_UNKNOWN_POOL);
    CHECK_EQ(slotc_sync_waitlist_join(s, &req, "no/such/pool", q1, "app", NULL),
             SLOT_UNKNOWN_POOL);
    /* Refused before sending. */
    CHECK_EQ(slotc_sync_waitlist_join(s, &req, pool, q1, NULL, NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_waitlist_join(s, &req, pool, q1, "Bad!", NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_waitlist_leave(s, &req, pool, "short", "app", NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_read_waitlist(s, &req, "", q1), SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- main ---------------------------------------------------------------- */

static const struct check_case cases[] = {
    {"config_v3", test_config_v3},
    {"accounts", test_accounts},
    {"quotas", test_quotas},
    {"ownership", test_ownership},
    {"cancel_rules", test_cancel_rules},
    {"blacklist", test_blacklist},
    {"cooldown", test_cooldown},
    {"waitlist", test_waitlist},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return ctest_main(cases, argc, argv);
}
