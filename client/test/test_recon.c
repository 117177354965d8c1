/* test_recon: the reconciliation module (client/recon.h) with made-up
 * events: a line of every kind and its cents, a move's pair (one move
 * line, no booking, no money), events of other days and of filtered-out
 * hospitals and channels passed over, sums equal to ledger rows (agree)
 * or not (each differing row with both values, a key on one side only),
 * totals per payment method, statistics of the day with their booking
 * rate, CSV quoting, JSON, and the line limit's error. No cluster. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "libslot.h"
#include "recon.h"

#define DAY 20000u /* 2024-10-04 */

static uint64_t g_seq;

/* An event of day `day` at hospital h through channel ch. */
static struct slotc_event ev(int type, uint32_t day, const char *h,
                             const char *ch, uint64_t claim, uint64_t a,
                             uint64_t b, uint64_t fee, const char *ref,
                             const char *method)
{
    struct slotc_event e;
    memset(&e, 0, sizeof e);
    e.seq = ++g_seq;
    e.index = e.seq;
    e.time_ms = (uint64_t)day * 86400000ull + 3600000ull + e.seq;
    e.type = type;
    snprintf(e.pool, sizeof e.pool, "%s/derm/0900", h);
    e.claim = claim;
    snprintf(e.patient, sizeof e.patient, "patient-%llu",
             (unsigned long long)claim);
    snprintf(e.channel, sizeof e.channel, "%s", ch);
    snprintf(e.hospital, sizeof e.hospital, "%s", h);
    e.a = a;
    e.b = b;
    e.fee_cents = fee;
    snprintf(e.payment_ref, sizeof e.payment_ref, "%s", ref);
    snprintf(e.pay_method, sizeof e.pay_method, "%s", method);
    e.local_day = day;
    return e;
}

static void feed(struct recon *r, struct slotc_event e)
{
    CHECK_EQ(recon_feed(r, &e), SLOT_OK);
}

/* The CSV records whose first field is `sect`, counted. */
static int records(const char *text, const char *sect)
{
    char key[32];
    snprintf(key, sizeof key, "\n%s,", sect);
    int n = strncmp(text, key + 1, strlen(key + 1)) == 0;
    for (const char *p = strstr(text, key); p != NULL; p = strstr(p + 1, key)) {
        n++;
    }
    return n - 1; /* the section's header */
}

/* The scenario every case starts from: in hospital "h1", day DAY:
 *   1 booking wechat 5000 (claim 1), app
 *   2 booking unpaid (claim 2), 114
 *   3 checkin of claim 2 paying 3000 cash at the desk (b = 1)
 *   4 checkin of claim 1 (already paid: b = 0, cents 0)
 *   5 cancel of claim 3 (booked wechat 5000 the day before: its booking
 *     is no line of DAY)
 *   6 refund of claim 4 (alipay 5000)
 *   7 MOVED claim 5 -> 6, 8 BOOKED 6 (the move's: no line)
 *   9 no_show of claim 7
 * plus events passed over: a HELD, another day's, another hospital's. */
static void scenario(struct recon *r)
{
    g_seq = 0;
    feed(r, ev(SLOTC_EV_BOOKED, DAY - 1, "h1", "app", 3, 1, 1, 5000, "r-3",
               "wechat"));
    feed(r, ev(SLOTC_EV_HELD, DAY, "h1", "app", 1, 0, 0, 0, "", ""));
    feed(r,
         ev(SLOTC_EV_BOOKED, DAY, "h1", "app", 1, 1, 1, 5000, "r-1", "wechat"));
    feed(r, ev(SLOTC_EV_BOOKED, DAY, "h1", "114", 2, 2, 0, 0, "", ""));
    feed(r, ev(SLOTC_EV_CHECKED_IN, DAY, "h1", "114", 2, 2, 1, 3000, "desk-2",
               "cash"));
    feed(r, ev(SLOTC_EV_CHECKED_IN, DAY, "h1", "app", 1, 1, 0, 5000, "r-1",
               "wechat"));
    feed(r, ev(SLOTC_EV_CANCELLED, DAY, "h1", "app", 3, 0, 0, 5000, "r-3",
               "wechat"));
    feed(r, ev(SLOTC_EV_CANCELLED, DAY, "h1", "app", 4, 1, 0, 5000, "r-4",
               "alipay"));
    feed(r,
         ev(SLOTC_EV_MOVED, DAY, "h1", "app", 5, 6, 0, 5000, "r-5", "alipay"));
    feed(r,
         ev(SLOTC_EV_BOOKED, DAY, "h1", "app", 6, 3, 1, 5000, "r-5", "alipay"));
    feed(r, ev(SLOTC_EV_NO_SHOW, DAY, "h1", "114", 7, 0, 0, 0, "", ""));
    feed(r,
         ev(SLOTC_EV_BOOKED, DAY, "h2", "app", 8, 1, 1, 7000, "r-8", "wechat"));
    feed(r, ev(SLOTC_EV_BOOKED, DAY + 1, "h1", "app", 9, 1, 1, 5000, "r-9",
               "wechat"));
}

/* The ledger's rows the scenario should give for h1 on DAY. */
static uint32_t ledgerRows(struct slotc_recon_row *g)
{
    memset(g, 0, 4 * sizeof *g);
    for (int i = 0; i < 4; i++) {
        g[i].day = DAY;
        strcpy(g[i].hospital, "h1");
    }
    /* 114 "": the unpaid booking; its no-show */
    strcpy(g[0].channel, "114");
    g[0].booked = 1;
    g[0].no_show = 1;
    /* 114 cash: the desk payment */
    strcpy(g[1].channel, "114");
    strcpy(g[1].pay_method, "cash");
    g[1].checked_in = 1;
    g[1].checkin_paid = 1;
    g[1].checkin_paid_cents = 3000;
    /* app alipay: the refund and the move */
    strcpy(g[2].channel, "app");
    strcpy(g[2].pay_method, "alipay");
    g[2].refunded = 1;
    g[2].refunded_cents = 5000;
    g[2].moved = 1;
    /* app wechat: booking, check-in, cancel */
    strcpy(g[3].channel, "app");
    strcpy(g[3].pay_method, "wechat");
    g[3].booked = 1;
    g[3].booked_cents = 5000;
    g[3].checked_in = 1;
    g[3].cancelled = 1;
    g[3].cancelled_cents = 5000;
    return 4;
}

static void test_kinds(void)
{
    int64_t cents;
    struct slotc_event e =
        ev(SLOTC_EV_BOOKED, DAY, "h", "app", 1, 1, 1, 500, "r", "card");
    CHECK_EQ(recon_event_kind(&e, false, &cents), RECON_BOOKING);
    CHECK_EQ(cents, 500);
    CHECK_EQ(recon_event_kind(&e, true, &cents), 0);
    CHECK_EQ(cents, 0);
    e.type = SLOTC_EV_CHECKED_IN;
    e.b = 0;
    CHECK_EQ(recon_event_kind(&e, false, &cents), RECON_CHECKIN);
    CHECK_EQ(cents, 0);
    e.b = 1;
    CHECK_EQ(recon_event_kind(&e, false, &cents), RECON_CHECKIN);
    CHECK_EQ(cents, 500);
    e.type = SLOTC_EV_CANCELLED;
    e.a = 0;
    CHECK_EQ(recon_event_kind(&e, false, &cents), RECON_CANCEL);
    CHECK_EQ(cents, -500);
    e.a = 1;
    CHECK_EQ(recon_event_kind(&e, false, &cents), RECON_REFUND);
    CHECK_EQ(cents, -500);
    e.type = SLOTC_EV_MOVED;
    CHECK_EQ(recon_event_kind(&e, false, &cents), RECON_MOVE);
    CHECK_EQ(cents, 0);
    e.type = SLOTC_EV_NO_SHOW;
    CHECK_EQ(recon_event_kind(&e, false, &cents), RECON_NO_SHOW);
    e.type = SLOTC_EV_RELEASED;
    CHECK_EQ(recon_event_kind(&e, false, &cents), 0);
    CHECK_STR(recon_kind_name(RECON_BOOKING), "booking");
    CHECK_STR(recon_kind_name(RECON_NO_SHOW), "no_show");
    CHECK(recon_kind_name(0) == NULL);
    CHECK(recon_kind_name(RECON_NO_SHOW + 1) == NULL);
}

static void test_lines_and_agree(void)
{
    struct recon r;
    CHECK_EQ(recon_init(&r, DAY, "h1", NULL, RECON_CSV), SLOT_OK);
    scenario(&r);
    CHECK_EQ(r.lines, 8);
    CHECK_EQ(r.events, 13);
    CHECK_EQ(r.first_seq, 1);
    CHECK_EQ(r.last_seq, 13);
    uint32_t n;
    const struct slotc_recon_row *sums = recon_sums(&r, &n);
    struct slotc_recon_row g[4];
    CHECK_EQ(n, ledgerRows(g));
    for (uint32_t i = 0; i < n; i++) {
        CHECK_STR(sums[i].channel, g[i].channel);
        CHECK_STR(sums[i].pay_method, g[i].pay_method);
        CHECK(memcmp(&sums[i], &g[i], sizeof g[i]) == 0);
    }
    /* Pages in any order; another day's row is passed over. */
    struct slotc_recon_row rows[5] = {g[3], g[1], g[0], g[2], g[0]};
    rows[4].day = DAY + 1;
    rows[4].booked = 99;
    struct slotc_stats_row st[2];
    memset(st, 0, sizeof st);
    st[0].visit_day = DAY;
    strcpy(st[0].hospital, "h1");
    strcpy(st[0].department, "derm");
    st[0].pools = 2;
    st[0].released = 8;
    st[0].capacity = 10;
    st[0].booked_now = 3;
    st[0].booked_total = 4;
    st[1] = st[0];
    st[1].visit_day = DAY + 1; /* not D's */
    CHECK_EQ(recon_report(&r, rows, 5, st, 2, DAY - 399), SLOT_OK);
    CHECK(r.agree);
    CHECK_EQ(r.rows_differing, 0);
    size_t len;
    const char *t = recon_text(&r, &len);
    CHECK_EQ(strlen(t), len);
    /* The lines, in seq order, with their cents. */
    CHECK(strncmp(t, "line,seq,time,kind,hospital,", 28) == 0);
    CHECK(strstr(t, "\nline,3,2024-10-04T01:00:00.003Z,booking,h1,app,wechat,"
                    "h1/derm/0900,1,patient-1,r-1,5000\n") != NULL);
    CHECK(strstr(t, "\nline,4,2024-10-04T01:00:00.004Z,booking,h1,114,,"
                    "h1/derm/0900,2,patient-2,,0\n") != NULL);
    CHECK(strstr(t, ",checkin,h1,114,cash,h1/derm/0900,2,patient-2,desk-2,"
                    "3000\n") != NULL);
    CHECK(strstr(t, ",checkin,h1,app,wechat,h1/derm/0900,1,patient-1,r-1,"
                    "0\n") != NULL);
    CHECK(strstr(t, ",cancel,h1,app,wechat,h1/derm/0900,3,patient-3,r-3,"
                    "-5000\n") != NULL);
    CHECK(strstr(t, ",refund,h1,app,alipay,h1/derm/0900,4,patient-4,r-4,"
                    "-5000\n") != NULL);
    CHECK(strstr(t, "\nline,9,") != NULL);
    CHECK(strstr(t, ",move,h1,app,alipay,h1/derm/0900,5,patient-5,r-5,0\n") !=
          NULL);
    CHECK(strstr(t, "\nline,10,") == NULL); /* the move's booking */
    CHECK(strstr(t, ",no_show,h1,114,,h1/derm/0900,7,patient-7,,0\n") != NULL);
    CHECK(strstr(t, "patient-8") == NULL); /* h2 */
    CHECK(strstr(t, "patient-9") == NULL); /* the next day */
    CHECK_EQ(records(t, "line"), 8);
    /* Every row agrees, once each. */
    CHECK_EQ(records(t, "row"), 4);
    CHECK(strstr(t, "\nrow,h1,app,wechat,both,1,5000,0,0,1,1,5000,0,0,0,0,0,"
                    "agree\n") != NULL);
    CHECK(strstr(t, "\nrow,h1,114,cash,both,0,0,1,3000,1,0,0,0,0,0,0,3000,"
                    "agree\n") != NULL);
    /* Per method: "" cash alipay wechat, in byte order. */
    CHECK_EQ(records(t, "method"), 4);
    const char *m0 = strstr(t, "\nmethod,,1,0,");
    const char *m1 = strstr(t, "\nmethod,alipay,0,0,0,0,0,0,0,1,5000,1,0,"
                               "-5000\n");
    const char *m2 = strstr(t, "\nmethod,cash,");
    const char *m3 = strstr(t, "\nmethod,wechat,");
    CHECK(m0 != NULL && m1 != NULL && m2 != NULL && m3 != NULL);
    CHECK(m0 < m1 && m1 < m2 && m2 < m3);
    /* D's statistics only, rate 3/8. */
    CHECK_EQ(records(t, "stats"), 1);
    CHECK(
        strstr(t, "\nstats,2024-10-04,h1,derm,2,8,10,3,0.3750,4,0,0,0,0,0\n") !=
        NULL);
    CHECK(strstr(t, "\nresult,agree,0,8,2023-09-01\n") != NULL);
    recon_free(&r);
}

static void test_differs(void)
{
    struct recon r;
    CHECK_EQ(recon_init(&r, DAY, "h1", NULL, RECON_CSV), SLOT_OK);
    scenario(&r);
    struct slotc_recon_row g[5];
    uint32_t n = ledgerRows(g);
    g[3].booked_cents = 4000; /* app wechat differs by 1000 */
    /* A row the lines do not have. */
    memset(&g[n], 0, sizeof g[n]);
    g[n].day = DAY;
    strcpy(g[n].hospital, "h1");
    strcpy(g[n].channel, "zz");
    g[n].moved = 1;
    n++;
    CHECK_EQ(recon_report(&r, g, n, NULL, 0, 0), SLOT_OK);
    CHECK(!r.agree);
    CHECK_EQ(r.rows_differing, 2);
    size_t len;
    const char *t = recon_text(&r, &len);
    CHECK(strstr(t, "\nrow,h1,app,wechat,lines,1,5000,0,0,1,1,5000,0,0,0,0,0,"
                    "differs\n") != NULL);
    CHECK(strstr(t, "\nrow,h1,app,wechat,ledger,1,4000,0,0,1,1,5000,0,0,0,0,"
                    "-1000,differs\n") != NULL);
    CHECK(strstr(t, "\nrow,h1,zz,,lines,0,0,0,0,0,0,0,0,0,0,0,0,differs\n") !=
          NULL);
    CHECK(strstr(t, "\nrow,h1,zz,,ledger,0,0,0,0,0,0,0,0,0,1,0,0,differs\n") !=
          NULL);
    CHECK_EQ(records(t, "row"), 3 + 2 + 2);
    CHECK(strstr(t, "\nresult,differ,2,8,\n") != NULL);
    recon_free(&r);

    /* A line the ledger does not count differs too. */
    CHECK_EQ(recon_init(&r, DAY, "h1", NULL, RECON_CSV), SLOT_OK);
    scenario(&r);
    n = ledgerRows(g);
    CHECK_EQ(recon_report(&r, g, n - 1, NULL, 0, 0), SLOT_OK);
    CHECK(!r.agree);
    CHECK_EQ(r.rows_differing, 1);
    recon_free(&r);
}

static void test_filters(void)
{
    struct recon r;
    /* Channel 114 of any hospital: the unpaid booking, the desk payment,
     * the no-show. */
    CHECK_EQ(recon_init(&r, DAY, NULL, "114", RECON_CSV), SLOT_OK);
    scenario(&r);
    CHECK_EQ(r.lines, 3);
    uint32_t n;
    recon_sums(&r, &n);
    CHECK_EQ(n, 2);
    recon_free(&r);
    /* Any hospital and channel: h2's booking too. */
    CHECK_EQ(recon_init(&r, DAY, "", "", RECON_CSV), SLOT_OK);
    scenario(&r);
    CHECK_EQ(r.lines, 9);
    recon_free(&r);
    /* Hospital h2 on the next day: nothing (h1's booking then is h1's). */
    CHECK_EQ(recon_init(&r, DAY + 1, "h2", NULL, RECON_CSV), SLOT_OK);
    scenario(&r);
    CHECK_EQ(r.lines, 0);
    CHECK_EQ(recon_report(&r, NULL, 0, NULL, 0, 0), SLOT_OK);
    CHECK(r.agree);
    recon_free(&r);
    /* The day before: the booking of claim 3 only. */
    CHECK_EQ(recon_init(&r, DAY - 1, NULL, NULL, RECON_CSV), SLOT_OK);
    scenario(&r);
    CHECK_EQ(r.lines, 1);
    recon_free(&r);
}

static void test_move_pair(void)
{
    struct recon r;
    CHECK_EQ(recon_init(&r, DAY, NULL, NULL, RECON_CSV), SLOT_OK);
    g_seq = 0;
    /* A BOOKED of the moved-to claim that does not follow at once is a
     * booking of its own (a confirm); one of another claim right after a
     * MOVED too. */
    feed(&r, ev(SLOTC_EV_MOVED, DAY, "h", "app", 1, 2, 0, 100, "r", "card"));
    feed(&r, ev(SLOTC_EV_BOOKED, DAY, "h", "app", 3, 1, 1, 100, "q", "card"));
    feed(&r, ev(SLOTC_EV_BOOKED, DAY, "h", "app", 2, 1, 1, 100, "r", "card"));
    feed(&r, ev(SLOTC_EV_MOVED, DAY, "h", "app", 4, 5, 0, 100, "s", "card"));
    feed(&r, ev(SLOTC_EV_BOOKED, DAY, "h", "app", 5, 1, 1, 100, "s", "card"));
    CHECK_EQ(r.lines, 4);
    uint32_t n;
    const struct slotc_recon_row *s = recon_sums(&r, &n);
    CHECK_EQ(n, 1);
    CHECK_EQ(s[0].moved, 2);
    CHECK_EQ(s[0].booked, 2);
    CHECK_EQ(s[0].booked_cents, 200);
    /* Repeats are passed over. */
    struct slotc_event again =
        ev(SLOTC_EV_NO_SHOW, DAY, "h", "app", 5, 0, 0, 100, "s", "card");
    again.seq = 3;
    CHECK_EQ(recon_feed(&r, &again), SLOT_OK);
    CHECK_EQ(r.repeats, 1);
    CHECK_EQ(r.lines, 4);
    recon_free(&r);
}

static void test_csv_quoting_and_json(void)
{
    struct recon r;
    CHECK_EQ(recon_init(&r, DAY, NULL, NULL, RECON_CSV), SLOT_OK);
    g_seq = 0;
    feed(&r,
         ev(SLOTC_EV_BOOKED, DAY, "h", "app", 1, 1, 1, 100, "a,\"b\"", "card"));
    feed(&r,
         ev(SLOTC_EV_BOOKED, DAY, "h", "app", 2, 1, 1, 100, "x\"y", "card"));
    size_t len;
    const char *t = recon_text(&r, &len);
    CHECK(strstr(t, ",patient-1,\"a,\"\"b\"\"\",100\n") != NULL);
    CHECK(strstr(t, ",patient-2,\"x\"\"y\",100\n") != NULL);
    recon_free(&r);

    CHECK_EQ(recon_init(&r, DAY, "h1", NULL, RECON_JSON), SLOT_OK);
    scenario(&r);
    feed(&r,
         ev(SLOTC_EV_BOOKED, DAY, "h1", "app", 20, 1, 1, 100, "q\"\\", "card"));
    struct slotc_recon_row g[4];
    uint32_t n = ledgerRows(g);
    g[0].no_show = 0;
    CHECK_EQ(recon_report(&r, g, n, NULL, 0, DAY - 1), SLOT_OK);
    t = recon_text(&r, &len);
    json_error_t je;
    json_t *o = json_loadb(t, len, 0, &je);
    CHECK(o != NULL);
    CHECK_STR(json_string_value(json_object_get(o, "day")), "2024-10-04");
    CHECK_STR(json_string_value(json_object_get(o, "hospital")), "h1");
    json_t *lines = json_object_get(o, "lines");
    CHECK_EQ(json_array_size(lines), 9);
    json_t *l0 = json_array_get(lines, 0);
    CHECK_EQ(json_integer_value(json_object_get(l0, "seq")), 3);
    CHECK_STR(json_string_value(json_object_get(l0, "kind")), "booking");
    CHECK_EQ(json_integer_value(json_object_get(l0, "cents")), 5000);
    json_t *l8 = json_array_get(lines, 8);
    CHECK_STR(json_string_value(json_object_get(l8, "payment_ref")), "q\"\\");
    CHECK(json_is_false(json_object_get(o, "agree")));
    /* 114 "" (no_show 1 vs 0) and app card (a line, no row). */
    CHECK_EQ(json_integer_value(json_object_get(o, "rows_differing")), 2);
    json_t *rows = json_object_get(o, "rows");
    CHECK_EQ(json_array_size(rows), 5);
    json_t *r0 = json_array_get(rows, 0);
    CHECK_STR(json_string_value(json_object_get(r0, "status")), "differs");
    CHECK_EQ(json_integer_value(
                 json_object_get(json_object_get(r0, "lines"), "no_show")),
             1);
    CHECK_EQ(json_integer_value(
                 json_object_get(json_object_get(r0, "ledger"), "no_show")),
             0);
    json_t *r1 = json_array_get(rows, 1);
    CHECK_STR(json_string_value(json_object_get(r1, "status")), "agree");
    CHECK_EQ(json_integer_value(json_object_get(json_object_get(r1, "values"),
                                                "checkin_paid_cents")),
             3000);
    CHECK_EQ(json_array_size(json_object_get(o, "methods")), 4);
    CHECK_EQ(json_array_size(json_object_get(o, "stats")), 0);
    CHECK_STR(json_string_value(json_object_get(o, "kept_from_day")),
              "2024-10-03");
    json_decref(o);
    recon_free(&r);
}

static void test_limits(void)
{
    struct recon r;
    CHECK_EQ(recon_init(&r, 0, NULL, NULL, RECON_CSV), SLOT_INVALID_ARGUMENT);
    recon_free(&r);
    CHECK_EQ(recon_init(&r, DAY, NULL, NULL, 7), SLOT_INVALID_ARGUMENT);
    recon_free(&r);
    CHECK_EQ(recon_init(&r, DAY, NULL, NULL, RECON_CSV), SLOT_OK);
    /* Past RECON_LINES_MAX (made to look full: feeding 4M events would
     * only test the loop). */
    r.lines = RECON_LINES_MAX - 1;
    g_seq = 0;
    feed(&r, ev(SLOTC_EV_NO_SHOW, DAY, "h", "app", 1, 0, 0, 0, "", ""));
    struct slotc_event e =
        ev(SLOTC_EV_NO_SHOW, DAY, "h", "app", 2, 0, 0, 0, "", "");
    CHECK_EQ(recon_feed(&r, &e), SLOT_TOO_LARGE);
    CHECK(strstr(r.err, "RECON_LINES_MAX (4000000)") != NULL);
    /* Sticky. */
    e.seq = ++g_seq;
    CHECK_EQ(recon_feed(&r, &e), SLOT_TOO_LARGE);
    CHECK_EQ(recon_report(&r, NULL, 0, NULL, 0, 0), SLOT_TOO_LARGE);
    recon_free(&r);
}

static const struct check_case cases[] = {
    {"kinds", test_kinds},
    {"lines_and_agree", test_lines_and_agree},
    {"differs", test_differs},
    {"filters", test_filters},
    {"move_pair", test_move_pair},
    {"csv_quoting_and_json", test_csv_quoting_and_json},
    {"limits", test_limits},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return check_main(cases, argc, argv);
}
