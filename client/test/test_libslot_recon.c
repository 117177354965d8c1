/* test_libslot_recon: the money of protocol 5 through libslot and slotctl
 * against a real local 3-node slotd cluster: payment methods on confirm
 * and check-in, the payment in claims and events (with their local day),
 * the ledger's reconciliation counters (READ_RECON) and statistics
 * (READ_STATS) of a day with bookings through two channels (wechat,
 * alipay, none), a cancel, a stopped clinic's refund and move, check-ins
 * (one paying at the desk) and a no-show by the leader's sweep; the recon
 * module (client/recon.h) over the feed agrees with the counters, and so
 * does `slotctl reconcile` run as a process. Also: the 17th payment
 * method is refused LIMIT_REACHED and changes nothing; bad methods are
 * refused before sending.
 *
 * The hospital's UTC offset is +08:00 (Beijing) when its local time now
 * leaves room for today's segments around now, else (a run near its
 * midnight) ctest's noon offset: every event then falls on one local
 * day D, today. The one wait (the no-show sweep, seconds ahead) is a
 * bounded poll, as in test_libslot_visit.
 */
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ctest.h"
#include "libslot.h"
#include "recon.h"
#include "tclock.h"

#define LEAK_CHECK() CTEST_LEAK_CHECK()

#define NAME_CAP (SLOTC_NAME_MAX + 1)
#define POOL_CAP (SLOTC_POOL_ID_MAX + 1)
#define EV_KEEP  512 /* events of the test's hospital kept for checks */

static char g_bin[400]; /* the folder of this test binary (slotctl's) */

static void binDir(void)
{
    char exe[400];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(g_bin, sizeof g_bin, "%s", dirname(exe));
}

/* Runs a command line through the shell: stdout into out (cap), the exit
 * status returned. */
static int run(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A hospital at +08:00 when that leaves room around now (see the top). */
static void hospInit(struct ctest_hosp *h, const char *prefix,
                     struct slotc_rules *r)
{
    ctest_hosp_init(h, prefix, r);
    uint64_t now = (uint64_t)tclock_wall_ms();
    uint32_t minute = ctest_local_minute(now, 480);
    if (minute >= 60 && minute + 120 < 1440) {
        h->off = 480;
        h->today = slotc_local_day(now, 480);
        h->minute = minute;
        r->utc_offset_min = 480;
    }
}

/* A scheduled pool "<hospital>/<tag>" of local day `day`. */
static void mkPool(char out[POOL_CAP], struct slotc_sync *s,
                   const struct ctest_hosp *h, const char *tag, const char *dep,
                   int pay_mode, uint64_t fee_cents, uint32_t cap,
                   uint32_t start_min, uint32_t end_min)
{
    snprintf(out, POOL_CAP, "%s/%s", h->name, tag);
    struct slotc_place pl;
    memset(&pl, 0, sizeof pl);
    pl.hospital = h->name;
    pl.department = dep;
    pl.visit_day = h->today;
    pl.pay_mode = pay_mode;
    struct slotc_pool_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.pool = out;
    sp.capacity = cap;
    sp.kind = SLOTC_KIND_NORMAL;
    sp.fee_cents = fee_cents;
    sp.seg_start_ms = ctest_utc_of(h->today, start_min, h->off);
    sp.seg_end_ms = ctest_utc_of(h->today, end_min, h->off);
    sp.place = &pl;
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
}

static void patient(char out[NAME_CAP], const char *prefix)
{
    snprintf(out, NAME_CAP, "%s", ctest_uniq(prefix));
}

/* Holds and confirms through channel with ref and method (NULL: none);
 * returns the booking. */
static uint64_t book(struct slotc_sync *s, const char *pool, const char *pat,
                     const char *channel, const char *ref, const char *method)
{
    struct slotc_req req;
    uint64_t id;
    CHECK_EQ(ctest_hold(s, &req, pool, pat, channel, NULL, &id), SLOT_OK);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_confirm_pay(s, &req, id, ref, method, channel, NULL),
             SLOT_OK);
    CHECK_EQ(req.out.id, id);
    return id;
}

static struct slotc_claim claimOf(struct slotc_sync *s, uint64_t id)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_hold(s, &req, id), SLOT_OK);
    return req.out.claims[0];
}

static uint32_t bookedNow(struct slotc_sync *s, const char *pool)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    return req.out.pools[0].booked;
}

/* One expected READ_RECON row. */
static struct slotc_recon_row row(uint32_t day, const char *h, const char *ch,
                                  const char *method)
{
    struct slotc_recon_row x;
    memset(&x, 0, sizeof x);
    x.day = day;
    snprintf(x.hospital, sizeof x.hospital, "%s", h);
    snprintf(x.channel, sizeof x.channel, "%s", ch);
    snprintf(x.pay_method, sizeof x.pay_method, "%s", method);
    return x;
}

static void sameRow(const struct slotc_recon_row *got,
                    const struct slotc_recon_row *want)
{
    CHECK_EQ(got->day, want->day);
    CHECK_STR(got->hospital, want->hospital);
    CHECK_STR(got->channel, want->channel);
    CHECK_STR(got->pay_method, want->pay_method);
    CHECK_EQ(got->booked, want->booked);
    CHECK_EQ(got->booked_cents, want->booked_cents);
    CHECK_EQ(got->checkin_paid, want->checkin_paid);
    CHECK_EQ(got->checkin_paid_cents, want->checkin_paid_cents);
    CHECK_EQ(got->checked_in, want->checked_in);
    CHECK_EQ(got->cancelled, want->cancelled);
    CHECK_EQ(got->cancelled_cents, want->cancelled_cents);
    CHECK_EQ(got->refunded, want->refunded);
    CHECK_EQ(got->refunded_cents, want->refunded_cents);
    CHECK_EQ(got->moved, want->moved);
    CHECK_EQ(got->no_show, want->no_show);
}

/* The events of hospital h (at most EV_KEEP) from the feed's start, every
 * event fed to r (when not NULL) too. */
static uint32_t feedOf(struct slotc_sync *s, const char *h, struct recon *r,
                       struct slotc_event *out)
{
    uint64_t after = 0;
    uint32_t n = 0;
    for (int page = 0; page < 1000; page++) {
        struct slotc_req req;
        slotc_req_init(&req);
        CHECK_EQ(slotc_sync_read_events(s, &req, after, SLOTC_LIST_MAX),
                 SLOT_OK);
        for (uint32_t i = 0; i < req.out.n_events; i++) {
            const struct slotc_event *e = &req.out.events[i];
            if (r != NULL) {
                CHECK_EQ(recon_feed(r, e), SLOT_OK);
            }
            if (strcmp(e->hospital, h) == 0) {
                CHECK(n < EV_KEEP);
                out[n++] = *e;
            }
        }
        if (req.out.n_events < SLOTC_LIST_MAX) {
            break;
        }
        after = req.out.events[req.out.n_events - 1].seq;
    }
    return n;
}

/* The event of `type` for claim id (CHECKs there is one). */
static const struct slotc_event *evOf(const struct slotc_event *v, uint32_t n,
                                      int type, uint64_t id)
{
    for (uint32_t i = 0; i < n; i++) {
        if (v[i].type == type && v[i].claim == id) {
            return &v[i];
        }
    }
    CHECK(!"no such event");
    return NULL;
}

static void checkPayment(const struct slotc_event *e, uint64_t fee,
                         const char *ref, const char *method, uint32_t day)
{
    CHECK_EQ(e->fee_cents, fee);
    CHECK_STR(e->payment_ref, ref);
    CHECK_STR(e->pay_method, method);
    CHECK_EQ(e->local_day, day);
}

/* ---- a day of money --------------------------------------------------------- */

static void test_day(void)
{
    struct slotc_sync *s = ctest_shared_open();
    struct slotc_req req;
    struct ctest_hosp h;
    struct slotc_rules r;
    hospInit(&h, "hrc", &r);
    uint32_t D = h.today;
    /* The no-show pool's check-in closes margin_ms from now (its segment
     * ends 30 min from now); the others' an hour later. */
    uint64_t ns_end = ctest_utc_of(D, h.minute + 30, h.off);
    uint64_t margin_ms = 5000;
    r.visit.checkin_late_ms =
        (uint32_t)(ns_end - (uint64_t)tclock_wall_ms() - margin_ms);
    r.visit.noshow_sweep = true;
    ctest_rules_set(s, &h, &r);
    char on[POOL_CAP], av[POOL_CAP], ns[POOL_CAP], st[POOL_CAP], mv[POOL_CAP];
    mkPool(ns, s, &h, "ns", "derm", SLOTC_PAY_AT_VISIT, 2000, 5, h.minute - 30,
           h.minute + 30);
    mkPool(on, s, &h, "on", "derm", SLOTC_PAY_ONLINE, 5000, 5, h.minute - 30,
           h.minute + 90);
    mkPool(av, s, &h, "av", "derm", SLOTC_PAY_AT_VISIT, 3000, 5, h.minute - 30,
           h.minute + 90);
    mkPool(st, s, &h, "st", "cardio", SLOTC_PAY_ONLINE, 4000, 5, h.minute - 30,
           h.minute + 90);
    mkPool(mv, s, &h, "mv", "cardio", SLOTC_PAY_ONLINE, 4000, 5, h.minute - 30,
           h.minute + 90);
    char p[9][NAME_CAP];
    for (int i = 1; i <= 8; i++) {
        patient(p[i], "prc");
    }
    uint64_t b8 = book(s, ns, p[8], "app", NULL, NULL); /* the no-show */
    uint64_t b1 = book(s, on, p[1], "app", "pay-1", "wechat");
    uint64_t b2 = book(s, on, p[2], "wechat", "pay-2", "alipay");
    uint64_t b3 = book(s, av, p[3], "app", NULL, NULL);
    uint64_t b4 = book(s, av, p[4], "wechat", NULL, NULL);
    uint64_t b5 = book(s, on, p[5], "app", "pay-5", "wechat");
    uint64_t b6 = book(s, st, p[6], "app", "pay-6", "alipay");
    uint64_t b7 = book(s, st, p[7], "wechat", "pay-7", "wechat");
    /* An online pool refuses a booking without a reference, as before. */
    uint64_t hx;
    CHECK_EQ(ctest_hold(s, &req, on, p[3], "app", NULL, &hx), SLOT_OK);
    CHECK_EQ(slotc_sync_confirm_pay(s, &req, hx, NULL, NULL, "app", NULL),
             SLOT_PAYMENT_REQUIRED);
    CHECK_EQ(slotc_sync_release(s, &req, hx), SLOT_OK);

    /* The claim carries its payment. */
    struct slotc_claim c = claimOf(s, b1);
    CHECK_STR(c.pay_method, "wechat");
    CHECK_EQ(c.fee_paid_cents, 5000);
    CHECK_STR(c.payment_ref, "pay-1");
    c = claimOf(s, b3);
    CHECK_STR(c.pay_method, "");
    CHECK_EQ(c.fee_paid_cents, 0);

    CHECK_EQ(slotc_sync_cancel(s, &req, b4), SLOT_OK);
    CHECK_EQ(slotc_sync_cancel(s, &req, b5), SLOT_OK);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_stop(s, &req, st, "dr.li", "停诊 ill"), SLOT_OK);
    CHECK_EQ(slotc_sync_cancel(s, &req, b6), SLOT_OK); /* a refund */
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_move(s, &req, b7, mv, NULL, NULL), SLOT_OK);
    uint64_t n7 = req.out.id;
    c = claimOf(s, n7);
    CHECK_STR(c.pay_method, "wechat");
    CHECK_EQ(c.fee_paid_cents, 4000);
    CHECK_STR(c.payment_ref, "pay-7");
    /* Check-ins: a paid booking keeps its payment (the ref and method
     * given are ignored); an unpaid one pays at the desk. */
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_checkin_pay(s, &req, b1, p[1], "other-1", "cash"),
             SLOT_OK);
    c = claimOf(s, b1);
    CHECK_STR(c.payment_ref, "pay-1");
    CHECK_STR(c.pay_method, "wechat");
    CHECK_EQ(c.fee_paid_cents, 5000);
    CHECK_EQ(slotc_sync_checkin_pay(s, &req, b3, p[3], "desk-3", "cash"),
             SLOT_OK);
    c = claimOf(s, b3);
    CHECK(c.paid);
    CHECK_STR(c.payment_ref, "desk-3");
    CHECK_STR(c.pay_method, "cash");
    CHECK_EQ(c.fee_paid_cents, 3000);

    /* The leader's sweep marks b8 once its check-in has closed. */
    long long give_up = tclock_mono_ms() + (long long)margin_ms + 20000;
    do {
        c = claimOf(s, b8);
        if (c.attendance != SLOTC_ATTEND_PENDING) {
            break;
        }
        tclock_sleep_ms(200);
    } while (tclock_mono_ms() < give_up);
    CHECK_EQ(c.attendance, SLOTC_ATTEND_NO_SHOW);

    /* ---- READ_RECON: the day's counters, exactly ---- */
    struct slotc_recon_row want[7];
    want[0] = row(D, h.name, "app", "");
    want[0].booked = 2; /* b3, b8 */
    want[0].no_show = 1;
    want[1] = row(D, h.name, "app", "alipay");
    want[1].booked = 1; /* b6 */
    want[1].booked_cents = 4000;
    want[1].refunded = 1;
    want[1].refunded_cents = 4000;
    want[2] = row(D, h.name, "app", "cash");
    want[2].checked_in = 1; /* b3 at the desk */
    want[2].checkin_paid = 1;
    want[2].checkin_paid_cents = 3000;
    want[3] = row(D, h.name, "app", "wechat");
    want[3].booked = 2; /* b1, b5 */
    want[3].booked_cents = 10000;
    want[3].checked_in = 1; /* b1 */
    want[3].cancelled = 1;  /* b5 */
    want[3].cancelled_cents = 5000;
    want[4] = row(D, h.name, "wechat", "");
    want[4].booked = 1; /* b4 */
    want[4].cancelled = 1;
    want[5] = row(D, h.name, "wechat", "alipay");
    want[5].booked = 1; /* b2 */
    want[5].booked_cents = 5000;
    want[6] = row(D, h.name, "wechat", "wechat");
    want[6].booked = 1; /* b7 (its move books nothing) */
    want[6].booked_cents = 4000;
    want[6].moved = 1;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_recon(s, &req, D, h.name, NULL, 0, SLOTC_LIST_MAX),
             SLOT_OK);
    CHECK_EQ(req.out.n_recon, 7);
    CHECK_EQ(req.out.total, 7);
    CHECK(req.out.kept_from_day > 0 && req.out.kept_from_day <= D);
    CHECK(req.out.index > 0);
    for (uint32_t i = 0; i < 7; i++) {
        sameRow(&req.out.recon[i], &want[i]);
    }
    struct slotc_recon_row rows[7];
    memcpy(rows, req.out.recon, sizeof rows);
    uint32_t kept = req.out.kept_from_day;
    /* Pages, a channel, another day. */
    CHECK_EQ(slotc_sync_read_recon(s, &req, D, h.name, NULL, 2, 3), SLOT_OK);
    CHECK_EQ(req.out.n_recon, 3);
    CHECK_EQ(req.out.total, 7);
    sameRow(&req.out.recon[0], &want[2]);
    sameRow(&req.out.recon[2], &want[4]);
    CHECK_EQ(slotc_sync_read_recon(s, &req, D, h.name, "wechat", 0, 10),
             SLOT_OK);
    CHECK_EQ(req.out.n_recon, 3);
    sameRow(&req.out.recon[0], &want[4]);
    CHECK_EQ(slotc_sync_read_recon(s, &req, D + 1, h.name, NULL, 0, 10),
             SLOT_OK);
    CHECK_EQ(req.out.n_recon, 0);
    CHECK_EQ(req.out.total, 0);

    /* ---- READ_STATS of visit day D ---- */
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_stats(s, &req, h.name, D, D, 0, SLOTC_LIST_MAX),
             SLOT_OK);
    CHECK_EQ(req.out.n_stats, 2);
    CHECK_EQ(req.out.total, 2);
    const struct slotc_stats_row *cs = &req.out.stats[0],
                                 *ds = &req.out.stats[1];
    CHECK_EQ(cs->visit_day, D);
    CHECK_STR(cs->hospital, h.name);
    CHECK_STR(cs->department, "cardio");
    CHECK_EQ(cs->pools, 2);
    CHECK_EQ(cs->capacity, 10);
    CHECK_EQ(cs->released, 10);
    CHECK_EQ(cs->booked_total, 3); /* b6, b7, and the move into mv */
    CHECK_EQ(cs->cancelled_total, 0);
    CHECK_EQ(cs->refunded_total, 1);
    CHECK_EQ(cs->moved_total, 1);
    CHECK_EQ(cs->no_show_total, 0);
    CHECK_EQ(cs->checked_in_total, 0);
    CHECK_STR(ds->department, "derm");
    CHECK_EQ(ds->pools, 3);
    CHECK_EQ(ds->capacity, 15);
    CHECK_EQ(ds->released, 15);
    CHECK_EQ(ds->booked_total, 6);
    CHECK_EQ(ds->cancelled_total, 2);
    CHECK_EQ(ds->refunded_total, 0);
    CHECK_EQ(ds->moved_total, 0);
    CHECK_EQ(ds->no_show_total, 1);
    CHECK_EQ(ds->checked_in_total, 2);
    struct slotc_stats_row stats[2] = {*cs, *ds};
    CHECK_EQ(stats[0].booked_now, bookedNow(s, st) + bookedNow(s, mv));
    CHECK_EQ(stats[1].booked_now,
             bookedNow(s, on) + bookedNow(s, av) + bookedNow(s, ns));
    CHECK_EQ(stats[0].booked_now, 1); /* n7 */

    /* ---- the events carry the payment and the local day ---- */
    static struct slotc_event ev[EV_KEEP];
    struct recon rc;
    CHECK_EQ(recon_init(&rc, D, h.name, NULL, RECON_CSV), SLOT_OK);
    uint32_t n = feedOf(s, h.name, &rc, ev);
    checkPayment(evOf(ev, n, SLOTC_EV_BOOKED, b1), 5000, "pay-1", "wechat", D);
    const struct slotc_event *e;
    checkPayment(evOf(ev, n, SLOTC_EV_BOOKED, b3), 0, "", "", D);
    e = evOf(ev, n, SLOTC_EV_BOOKED, b2);
    checkPayment(e, 5000, "pay-2", "alipay", D);
    CHECK_STR(e->channel, "wechat");
    e = evOf(ev, n, SLOTC_EV_CHECKED_IN, b3);
    checkPayment(e, 3000, "desk-3", "cash", D);
    CHECK_EQ(e->b, 1);
    e = evOf(ev, n, SLOTC_EV_CHECKED_IN, b1);
    checkPayment(e, 5000, "pay-1", "wechat", D);
    CHECK_EQ(e->b, 0);
    e = evOf(ev, n, SLOTC_EV_CANCELLED, b6);
    checkPayment(e, 4000, "pay-6", "alipay", D);
    CHECK_EQ(e->a, 1);
    e = evOf(ev, n, SLOTC_EV_CANCELLED, b5);
    checkPayment(e, 5000, "pay-5", "wechat", D);
    CHECK_EQ(e->a, 0);
    e = evOf(ev, n, SLOTC_EV_MOVED, b7);
    CHECK_EQ(e->a, n7);
    const struct slotc_event *nb = evOf(ev, n, SLOTC_EV_BOOKED, n7);
    CHECK_EQ(nb->seq, e->seq + 1);
    checkPayment(nb, 4000, "pay-7", "wechat", D);
    checkPayment(evOf(ev, n, SLOTC_EV_NO_SHOW, b8), 0, "", "", D);
    /* Every event has its local day; the pools' too. */
    for (uint32_t i = 0; i < n; i++) {
        CHECK_EQ(ev[i].local_day, D);
    }

    /* ---- the recon module over the feed agrees with the ledger ---- */
    CHECK_EQ(rc.lines, 15);
    CHECK_EQ(recon_report(&rc, rows, 7, stats, 2, kept), SLOT_OK);
    CHECK(rc.agree);
    CHECK_EQ(rc.rows_differing, 0);
    recon_free(&rc);

    /* ---- slotctl reconcile, a process ---- */
    static char out[65536];
    char day[11];
    slotc_day_format(D, day);
    int ex = run(out, sizeof out,
                 "'%s/slotctl' --cluster '%s' reconcile --day %s --hospital %s",
                 g_bin, ctest_shared_cluster(), day, h.name);
    if (ex != 0) {
        fprintf(stderr, "%s\n", out);
    }
    CHECK_EQ(ex, 0);
    CHECK(strncmp(out, "line,seq,time,kind,", 19) == 0);
    int lines = 0;
    for (const char *q = strstr(out, "\nline,"); q != NULL;
         q = strstr(q + 1, "\nline,")) {
        lines++;
    }
    CHECK_EQ(lines, 15);
    char want_line[512];
    snprintf(want_line, sizeof want_line,
             ",booking,%s,app,wechat,%s,%llu,%s,pay-1,5000\n", h.name, on,
             (unsigned long long)b1, p[1]);
    CHECK(strstr(out, want_line) != NULL);
    snprintf(want_line, sizeof want_line,
             ",checkin,%s,app,cash,%s,%llu,%s,desk-3,3000\n", h.name, av,
             (unsigned long long)b3, p[3]);
    CHECK(strstr(out, want_line) != NULL);
    snprintf(want_line, sizeof want_line,
             ",refund,%s,app,alipay,%s,%llu,%s,pay-6,-4000\n", h.name, st,
             (unsigned long long)b6, p[6]);
    CHECK(strstr(out, want_line) != NULL);
    snprintf(want_line, sizeof want_line,
             ",move,%s,wechat,wechat,%s,%llu,%s,pay-7,0\n", h.name, st,
             (unsigned long long)b7, p[7]);
    CHECK(strstr(out, want_line) != NULL);
    snprintf(want_line, sizeof want_line, ",no_show,%s,app,,%s,%llu,%s,,0\n",
             h.name, ns, (unsigned long long)b8, p[8]);
    CHECK(strstr(out, want_line) != NULL);
    snprintf(want_line, sizeof want_line, "\nrow,%s,app,wechat,both,2,10000,",
             h.name);
    CHECK(strstr(out, want_line) != NULL);
    CHECK(strstr(out, "\nresult,agree,0,15,") != NULL);
    /* From slot-archiver's archive of the feed: the same (its files of
     * the UTC days around D). */
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/recon-archive-%d", (int)getpid());
    uint64_t last_seq = ev[n - 1].seq;
    ex = run(out, sizeof out,
             "rm -rf %s && mkdir %s && ('%s/slot-archiver' --cluster '%s' "
             "--dir %s --interval-ms 100 2>/dev/null & p=$!; for i in $(seq "
             "200); do c=$(awk '{print $3}' %s/cursor 2>/dev/null); "
             "[ \"${c:-0}\" -ge %llu ] && break; sleep 0.1; done; "
             "kill -TERM $p; wait $p)",
             dir, dir, g_bin, ctest_shared_cluster(), dir, dir,
             (unsigned long long)last_seq);
    CHECK_EQ(ex, 0);
    ex = run(out, sizeof out,
             "'%s/slotctl' --cluster '%s' reconcile --day %s --hospital %s "
             "--archive %s",
             g_bin, ctest_shared_cluster(), day, h.name, dir);
    if (ex != 0) {
        fprintf(stderr, "%s\n", out);
    }
    CHECK_EQ(ex, 0);
    CHECK(strstr(out, want_line) != NULL);
    CHECK(strstr(out, "\nresult,agree,0,15,") != NULL);
    CHECK_EQ(run(out, sizeof out, "rm -rf %s", dir), 0);
    /* From an archive that holds nothing: every row differs (exit 7). */
    char empty[64];
    snprintf(empty, sizeof empty, "/tmp/recon-empty-%d", (int)getpid());
    CHECK_EQ(run(out, sizeof out, "mkdir -p %s", empty), 0);
    ex = run(out, sizeof out,
             "'%s/slotctl' --cluster '%s' reconcile --day %s --hospital %s "
             "--archive %s --format json 2>/dev/null",
             g_bin, ctest_shared_cluster(), day, h.name, empty);
    CHECK_EQ(ex, 7);
    CHECK(strstr(out, "\"agree\":false,\"rows_differing\":7") != NULL);
    CHECK_EQ(run(out, sizeof out, "rmdir %s", empty), 0);
    /* slotctl stats. */
    ex = run(out, sizeof out,
             "'%s/slotctl' --cluster '%s' stats --from %s --to %s "
             "--hospital %s --format json",
             g_bin, ctest_shared_cluster(), day, day, h.name);
    CHECK_EQ(ex, 0);
    CHECK(strstr(out, "\"department\":\"cardio\"") != NULL);
    CHECK(strstr(out, "\"total\":2") != NULL);
    CHECK(strstr(out, "\"booking_rate\":0.1,") != NULL); /* 1 / 10 */
    ex = run(out, sizeof out,
             "'%s/slotctl' --cluster '%s' stats --from %s --to %s "
             "--hospital %s",
             g_bin, ctest_shared_cluster(), day, day, h.name);
    CHECK_EQ(ex, 0);
    CHECK(strncmp(out, "visit_day ", 10) == 0);
    CHECK(strstr(out, " cardio ") != NULL);
    CHECK(strstr(out, " 0.1000 ") != NULL);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- the methods' limit, and refusals before sending ----------------------- */

/* A call refused by the library itself: code, and no request was
 * submitted (a submitted one has its op set, even if a node refused it). */
#define LOCAL_REFUSAL(call, code)                                              \
    do {                                                                       \
        slotc_req_init(&req);                                                  \
        CHECK_EQ((call), (code));                                              \
        CHECK_EQ(req.op, SLOTC_OP_NONE);                                       \
    } while (0)

static void test_methods(void)
{
    CHECK_STR(slotc_op_name(SLOTC_OP_READ_RECON), "READ_RECON");
    CHECK_STR(slotc_op_name(SLOTC_OP_READ_STATS), "READ_STATS");
    CHECK(slotc_op_name(SLOTC_OP_READ_STATS + 1) == NULL);
    CHECK_EQ(SLOTC_VERSION_MAJOR, 5);
    struct slotc_sync *s = ctest_shared_open();
    struct slotc_req req;
    struct ctest_hosp h;
    struct slotc_rules r;
    hospInit(&h, "hpm", &r);
    ctest_rules_set(s, &h, &r);
    char pool[POOL_CAP];
    mkPool(pool, s, &h, "m", "derm", SLOTC_PAY_ONLINE, 700, 30, h.minute + 60,
           h.minute + 90);
    /* Refused before sending. */
    uint64_t hold;
    char pat[NAME_CAP];
    patient(pat, "ppm");
    CHECK_EQ(ctest_hold(s, &req, pool, pat, "app", NULL, &hold), SLOT_OK);
    LOCAL_REFUSAL(
        slotc_sync_confirm_pay(s, &req, hold, NULL, "wechat", NULL, NULL),
        SLOT_INVALID_ARGUMENT);
    LOCAL_REFUSAL(
        slotc_sync_confirm_pay(s, &req, hold, "", "wechat", NULL, NULL),
        SLOT_INVALID_ARGUMENT);
    LOCAL_REFUSAL(
        slotc_sync_confirm_pay(s, &req, hold, "r", "WeChat", NULL, NULL),
        SLOT_INVALID_ARGUMENT);
    LOCAL_REFUSAL(
        slotc_sync_confirm_pay(s, &req, hold, "r", "we chat", NULL, NULL),
        SLOT_INVALID_ARGUMENT);
    LOCAL_REFUSAL(slotc_sync_confirm_pay(s, &req, hold, "r",
                                         "m23456789abcdefgh", NULL, NULL),
                  SLOT_TOO_LARGE);
    LOCAL_REFUSAL(slotc_sync_checkin_pay(s, &req, hold, pat, NULL, "cash"),
                  SLOT_INVALID_ARGUMENT);
    LOCAL_REFUSAL(slotc_sync_checkin_pay(s, &req, hold, pat, "r", "Cash!"),
                  SLOT_INVALID_ARGUMENT);
    LOCAL_REFUSAL(slotc_sync_read_recon(s, &req, 0, NULL, NULL, 0, 10),
                  SLOT_INVALID_ARGUMENT);
    LOCAL_REFUSAL(slotc_sync_read_recon(s, &req, h.today, NULL, NULL, 0, 0),
                  SLOT_INVALID_ARGUMENT);
    LOCAL_REFUSAL(slotc_sync_read_recon(s, &req, h.today, NULL, "Bad!", 0, 10),
                  SLOT_INVALID_ARGUMENT);
    LOCAL_REFUSAL(
        slotc_sync_read_stats(s, &req, NULL, h.today + 1, h.today, 0, 10),
        SLOT_INVALID_ARGUMENT);
    LOCAL_REFUSAL(
        slotc_sync_read_stats(s, &req, NULL, h.today, h.today + 62, 0, 10),
        SLOT_INVALID_ARGUMENT);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_stats(s, &req, NULL, h.today, h.today + 61, 0, 10),
             SLOT_OK);
    /* Nothing was sent: the hold is still held. */
    CHECK_EQ(claimOf(s, hold).state, SLOTC_CLAIM_HELD);
    CHECK_EQ(slotc_sync_release(s, &req, hold), SLOT_OK);

    /* Sixteen methods (those other tests use among them), then a 17th. */
    static const char *const methods[16] = {
        "wechat", "alipay", "cash", "m04", "m05", "m06", "m07", "m08",
        "m09",    "m10",    "m11",  "m12", "m13", "m14", "m15", "m16"};
    for (int i = 0; i < 16; i++) {
        patient(pat, "ppm");
        char ref[16];
        snprintf(ref, sizeof ref, "ref-%d", i);
        book(s, pool, pat, "app", ref, methods[i]);
    }
    struct slotc_recon_row before[20];
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_recon(s, &req, h.today, h.name, NULL, 0, 20),
             SLOT_OK);
    CHECK_EQ(req.out.n_recon, 16);
    memcpy(before, req.out.recon, 16 * sizeof before[0]);
    uint32_t booked = bookedNow(s, pool);
    CHECK_EQ(booked, 16);

    patient(pat, "ppm");
    CHECK_EQ(ctest_hold(s, &req, pool, pat, "app", NULL, &hold), SLOT_OK);
    slotc_req_init(&req);
    CHECK_EQ(
        slotc_sync_confirm_pay(s, &req, hold, "ref-17", "m17", "app", NULL),
        SLOT_LIMIT_REACHED);
    /* Nothing changed: still held, unpaid, no counter moved. */
    struct slotc_claim c = claimOf(s, hold);
    CHECK_EQ(c.state, SLOTC_CLAIM_HELD);
    CHECK_STR(c.pay_method, "");
    CHECK_STR(c.payment_ref, "");
    CHECK_EQ(c.fee_paid_cents, 0);
    CHECK_EQ(bookedNow(s, pool), booked);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_recon(s, &req, h.today, h.name, NULL, 0, 20),
             SLOT_OK);
    CHECK_EQ(req.out.n_recon, 16);
    for (uint32_t i = 0; i < 16; i++) {
        sameRow(&req.out.recon[i], &before[i]);
    }
    /* A refusal that comes first is still that refusal. */
    CHECK_EQ(
        slotc_sync_confirm_pay(s, &req, 999999999, "r", "m17", "app", NULL),
        SLOT_UNKNOWN_HOLD);
    /* A known method books the same hold. */
    slotc_req_init(&req);
    CHECK_EQ(
        slotc_sync_confirm_pay(s, &req, hold, "ref-17", "m16", "app", NULL),
        SLOT_OK);
    CHECK_EQ(claimOf(s, hold).fee_paid_cents, 700);
    /* slotctl: --pay-method needs a reference. */
    static char out[4096];
    CHECK_EQ(run(out, sizeof out,
                 "'%s/slotctl' --cluster '%s' confirm 1 --pay-method cash "
                 "2>/dev/null",
                 g_bin, ctest_shared_cluster()),
             2);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- main ---------------------------------------------------------------- */

static const struct check_case cases[] = {
    {"day", test_day},
    {"methods", test_methods},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    binDir();
    return ctest_main(cases, argc, argv);
}
