/* test_libslot_visit: the visit day of protocol 4 through libslot (the
 * doctor's stoppage of a clinic, refunds and moves of its bookings,
 * check-in and its window, no-shows, a pool's claims, the staff log's
 * stop entries), against a real local 3-node slotd cluster.
 *
 * As in test_libslot_patients: times are relative to now, each hospital's
 * UTC offset puts its local time near noon (so a segment around "now" is
 * today's, and check-in windows can be put before, around or after now),
 * and every test uses its own hospital and patient names. The one wait
 * (the no-show sweep, a few seconds ahead) is a bounded poll.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ctest.h"
#include "libslot.h"
#include "tclock.h"

#define LEAK_CHECK() CTEST_LEAK_CHECK()

#define NAME_CAP (SLOTC_NAME_MAX + 1)
#define POOL_CAP (SLOTC_POOL_ID_MAX + 1)

static struct slotc_sync *openSync(void)
{
    return ctest_shared_open();
}

/* ctest_pool into the caller's buffer (ctest_pool's own are reused). */
static void pool(char out[POOL_CAP], struct slotc_sync *s,
                 const struct ctest_hosp *h, const char *tag, const char *dep,
                 uint32_t day, int kind, uint32_t cap, uint32_t start_min,
                 uint32_t end_min)
{
    snprintf(out, POOL_CAP, "%s",
             ctest_pool(s, h, tag, dep, day, kind, cap, start_min, end_min));
}

/* A derm clinic of normal kind, 14:00-15:00 on day. */
static void derm(char out[POOL_CAP], struct slotc_sync *s,
                 const struct ctest_hosp *h, const char *tag, uint32_t day,
                 uint32_t cap)
{
    pool(out, s, h, tag, "derm", day, SLOTC_KIND_NORMAL, cap, 14 * 60, 15 * 60);
}

static void patient(char out[NAME_CAP], const char *prefix)
{
    snprintf(out, NAME_CAP, "%s", ctest_uniq(prefix));
}

static void stop(struct slotc_sync *s, const char *p)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_stop(s, &req, p, "dr.zhang", "停诊 doctor ill"),
             SLOT_OK);
}

/* The claim `id` (any state) into *out. */
static void claim(struct slotc_sync *s, uint64_t id, struct slotc_claim *out)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_hold(s, &req, id), SLOT_OK);
    *out = req.out.claims[0];
}

static struct slotc_pool poolRead(struct slotc_sync *s, const char *p)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_pool(s, &req, p), SLOT_OK);
    return req.out.pools[0];
}

/* The last seq of the staff log now (entries after it are new). */
static uint64_t staffLogEnd(struct slotc_sync *s)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_staff_log(s, &req, 0, SLOTC_LIST_MAX), SLOT_OK);
    return req.out.n_staff > 0 ? req.out.staff[req.out.n_staff - 1].seq : 0;
}

/* ---- names, rules ---------------------------------------------------------- */

static void test_names_and_rules(void)
{
    CHECK_STR(slotc_pool_state_name(SLOTC_POOL_STOPPED), "stopped");
    CHECK_STR(slotc_claim_state_name(SLOTC_CLAIM_MOVED), "moved");
    CHECK_STR(slotc_attendance_name(SLOTC_ATTEND_PENDING), "pending");
    CHECK_STR(slotc_attendance_name(SLOTC_ATTEND_CHECKED_IN), "checked_in");
    CHECK_STR(slotc_attendance_name(SLOTC_ATTEND_NO_SHOW), "no_show");
    CHECK(slotc_attendance_name(3) == NULL);
    CHECK_STR(slotc_err_name(SLOT_POOL_STOPPED), "POOL_STOPPED");
    CHECK_STR(slotc_err_name(SLOT_NOT_STOPPED), "NOT_STOPPED");
    CHECK_STR(slotc_err_name(SLOT_MOVE_MISMATCH), "MOVE_MISMATCH");
    CHECK_STR(slotc_err_name(SLOT_PATIENT_MISMATCH), "PATIENT_MISMATCH");
    CHECK_STR(slotc_err_name(SLOT_CHECKIN_NOT_OPEN), "CHECKIN_NOT_OPEN");
    CHECK_STR(slotc_err_name(SLOT_CHECKIN_CLOSED), "CHECKIN_CLOSED");
    CHECK_STR(slotc_err_name(SLOT_ALREADY_CHECKED_IN), "ALREADY_CHECKED_IN");
    CHECK_STR(slotc_err_name(SLOT_NO_SHOW), "NO_SHOW");
    CHECK_STR(slotc_op_name(SLOTC_OP_POOL_STOP), "POOL_STOP");
    CHECK_STR(slotc_op_name(SLOTC_OP_MOVE), "MOVE");
    CHECK_STR(slotc_op_name(SLOTC_OP_CHECKIN), "CHECKIN");
    CHECK_STR(slotc_op_name(SLOTC_OP_READ_POOL_CLAIMS), "READ_POOL_CLAIMS");
    CHECK(slotc_op_name(SLOTC_OP_READ_STATS + 1) == NULL);

    /* Defaults: check-in from 24 h before the segment to its end. */
    struct slotc_rules r;
    slotc_rules_init(&r);
    CHECK_EQ(r.visit.checkin_before_ms, SLOTC_CHECKIN_MAX_MS);
    CHECK_EQ(r.visit.checkin_late_ms, 0);
    CHECK(!r.visit.noshow_sweep);

    /* Carried both ways; out of range refused before sending. */
    struct slotc_sync *s = openSync();
    struct ctest_hosp h;
    ctest_hosp_init(&h, "hvr", &r);
    r.visit.checkin_before_ms = 1800000;
    r.visit.checkin_late_ms = 600000;
    r.visit.noshow_sweep = true;
    ctest_rules_set(s, &h, &r);
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_rules(s, &req, h.name, NULL), SLOT_OK);
    CHECK_EQ(req.out.rules[0].rules.visit.checkin_before_ms, 1800000);
    CHECK_EQ(req.out.rules[0].rules.visit.checkin_late_ms, 600000);
    CHECK(req.out.rules[0].rules.visit.noshow_sweep);
    r.visit.checkin_before_ms = SLOTC_CHECKIN_MAX_MS + 1;
    CHECK_EQ(slotc_sync_rules_set(s, &req, h.name, NULL, "a", "b", &r),
             SLOT_INVALID_ARGUMENT);
    r.visit.checkin_before_ms = 0;
    r.visit.checkin_late_ms = SLOTC_CHECKIN_MAX_MS + 1;
    CHECK_EQ(slotc_sync_rules_set(s, &req, h.name, NULL, "a", "b", &r),
             SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- the stoppage and its refunds ----------------------------------------- */

static void test_stop(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hst", &r);
    /* A cancellation deadline long past for tomorrow's visits: 1 day
     * before, an hour before now. */
    r.patient.cancel_days_before = 1;
    r.patient.cancel_minute = (int32_t)h.minute - 60;
    ctest_rules_set(s, &h, &r);
    char a[POOL_CAP], p1[NAME_CAP], p2[NAME_CAP], p3[NAME_CAP], p4[NAME_CAP];
    derm(a, s, &h, "a", h.today + 1, 5);
    patient(p1, "pst");
    patient(p2, "pst");
    patient(p3, "pst");
    patient(p4, "pst");
    uint64_t b1 = ctest_book(s, a, p1, "app", "pay-001");
    uint64_t b2 = ctest_book(s, a, p2, "app", NULL);
    uint64_t h3;
    CHECK_EQ(ctest_hold(s, &req, a, p3, "app", NULL, &h3), SLOT_OK);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b2, "app", NULL),
             SLOT_CANCEL_CLOSED);
    uint64_t log_from = staffLogEnd(s);

    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_stop(s, &req, a, "dr.zhang", "停诊 doctor ill"),
             SLOT_OK);
    CHECK_EQ(req.out.bookings, 2);
    CHECK_EQ(req.out.holds, 1);
    CHECK(req.out.index > 0);
    CHECK_EQ(slotc_sync_pool_stop(s, &req, a, "dr.zhang", "again"),
             SLOT_POOL_STOPPED);
    struct slotc_pool st = poolRead(s, a);
    CHECK_EQ(st.state, SLOTC_POOL_STOPPED);
    CHECK_EQ(st.booked, 2);
    CHECK_EQ(st.held, 1);

    /* No new holds, confirms or waitlist entries; no close either. */
    CHECK_EQ(ctest_hold(s, &req, a, p4, "app", NULL, NULL), SLOT_POOL_STOPPED);
    CHECK_EQ(slotc_sync_waitlist_join(s, &req, a, p4, "app", NULL),
             SLOT_POOL_STOPPED);
    CHECK_EQ(slotc_sync_pool_close(s, &req, a), SLOT_POOL_STOPPED);
    CHECK_EQ(slotc_sync_confirm_as(s, &req, h3, NULL, "app", NULL),
             SLOT_POOL_STOPPED);
    struct slotc_claim c;
    claim(s, h3, &c);
    CHECK_EQ(c.state, SLOTC_CLAIM_HELD);
    CHECK(c.affected);
    /* The hold is released as before. */
    CHECK_EQ(slotc_sync_release_as(s, &req, h3, "app", NULL), SLOT_OK);
    claim(s, b1, &c);
    CHECK_EQ(c.state, SLOTC_CLAIM_BOOKED);
    CHECK(c.affected);
    CHECK(!c.refunded);

    /* A refund: the patient's own cancel past the deadline, no penalty,
     * the slot free at once. */
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b2, "app", NULL), SLOT_OK);
    claim(s, b2, &c);
    CHECK_EQ(c.state, SLOTC_CLAIM_CANCELLED);
    CHECK(c.refunded);
    CHECK(c.affected);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b2, "app", NULL),
             SLOT_ALREADY_CANCELLED);
    CHECK_EQ(slotc_sync_read_patient_info(s, &req, p2), SLOT_OK);
    CHECK_EQ(req.out.patient_info->n_cancels, 0);
    CHECK_EQ(req.out.patient_info->n_violations, 0);
    /* An administrator's refund too. */
    CHECK_EQ(slotc_sync_cancel(s, &req, b1), SLOT_OK);
    claim(s, b1, &c);
    CHECK(c.refunded);
    st = poolRead(s, a);
    CHECK_EQ(st.booked, 0);
    CHECK_EQ(st.held, 0);
    CHECK_EQ(st.cooling, 0);
    CHECK_EQ(st.free, 5);
    CHECK_EQ(st.state, SLOTC_POOL_STOPPED);

    /* The staff log has the stop, with its pool and no patient. */
    CHECK_EQ(slotc_sync_read_staff_log(s, &req, log_from, SLOTC_LIST_MAX),
             SLOT_OK);
    int found = 0;
    for (uint32_t i = 0; i < req.out.n_staff; i++) {
        const struct slotc_staff_entry *e = &req.out.staff[i];
        if (strcmp(e->pool, a) != 0) {
            continue; /* another test's */
        }
        found++;
        CHECK_EQ(e->op, SLOTC_OP_POOL_STOP);
        CHECK_STR(e->hospital, h.name);
        CHECK_STR(e->patient, "");
        CHECK_EQ(e->kind, 0);
        CHECK_STR(e->operator_name, "dr.zhang");
        CHECK_STR(e->reason, "停诊 doctor ill");
        CHECK(e->at_ms > 0);
    }
    CHECK_EQ(found, 1);

    CHECK_EQ(slotc_sync_pool_stop(s, &req, "nosuch/pool", "a", "b"),
             SLOT_UNKNOWN_POOL);
    /* Refused before sending. */
    CHECK_EQ(slotc_sync_pool_stop(s, &req, a, "bad operator", "b"),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_pool_stop(s, &req, a, "a", ""), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_pool_stop(s, &req, "", "a", "b"),
             SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- moves ----------------------------------------------------------------- */

static void test_move(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hmv", &r);
    ctest_rules_set(s, &h, &r);
    char a[POOL_CAP], b[POOL_CAP], cardio[POOL_CAP], expert[POOL_CAP],
        full[POOL_CAP], stopped[POOL_CAP], closed[POOL_CAP], past[POOL_CAP],
        lone[POOL_CAP];
    derm(a, s, &h, "a", h.today + 1, 5);
    derm(b, s, &h, "b", h.today + 2, 5);
    pool(cardio, s, &h, "c", "cardio", h.today + 1, SLOTC_KIND_NORMAL, 5,
         14 * 60, 15 * 60);
    pool(expert, s, &h, "e", "derm", h.today + 1, SLOTC_KIND_EXPERT, 5, 14 * 60,
         15 * 60);
    derm(full, s, &h, "full", h.today + 1, 1);
    derm(stopped, s, &h, "s", h.today + 1, 5);
    derm(closed, s, &h, "cl", h.today + 1, 5);
    /* Today's clinic whose segment has ended. */
    pool(past, s, &h, "past", "derm", h.today, SLOTC_KIND_NORMAL, 5,
         h.minute - 120, h.minute - 60);
    snprintf(lone, sizeof lone, "%s", ctest_uniq("lone"));
    struct slotc_pool_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.pool = lone;
    sp.capacity = 5;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
    char p1[NAME_CAP], p2[NAME_CAP], p3[NAME_CAP], q[NAME_CAP];
    patient(p1, "pmv");
    patient(p2, "pmv");
    patient(p3, "pmv");
    patient(q, "pmv");
    uint64_t b1 = ctest_book(s, a, p1, "app", "pay-001");
    uint64_t b2 = ctest_book(s, a, p2, "wechat", NULL);
    uint64_t b3 = ctest_book(s, b, p3, "app", NULL);
    ctest_book(s, full, q, "app", NULL);
    stop(s, stopped);
    CHECK_EQ(slotc_sync_pool_close(s, &req, closed), SLOT_OK);

    /* Only a stopped clinic's bookings move. */
    CHECK_EQ(slotc_sync_move(s, &req, b1, b, NULL, NULL), SLOT_NOT_STOPPED);
    stop(s, a);
    CHECK_EQ(slotc_sync_move(s, &req, b3, a, NULL, NULL), SLOT_NOT_STOPPED);

    /* Refusals, in the ledger's order. */
    CHECK_EQ(slotc_sync_move(s, &req, 999999999, b, NULL, NULL),
             SLOT_UNKNOWN_BOOKING);
    CHECK_EQ(slotc_sync_move(s, &req, b2, b, "app", NULL), SLOT_NOT_OWNER);
    CHECK_EQ(slotc_sync_move(s, &req, b2, "nosuch/pool", NULL, NULL),
             SLOT_UNKNOWN_POOL);
    CHECK_EQ(slotc_sync_move(s, &req, b2, a, NULL, NULL), SLOT_MOVE_MISMATCH);
    CHECK_EQ(slotc_sync_move(s, &req, b2, cardio, NULL, NULL),
             SLOT_MOVE_MISMATCH);
    CHECK_EQ(slotc_sync_move(s, &req, b2, expert, NULL, NULL),
             SLOT_MOVE_MISMATCH);
    CHECK_EQ(slotc_sync_move(s, &req, b2, lone, NULL, NULL),
             SLOT_MOVE_MISMATCH);
    CHECK_EQ(slotc_sync_move(s, &req, b2, stopped, NULL, NULL),
             SLOT_POOL_STOPPED);
    CHECK_EQ(slotc_sync_move(s, &req, b2, closed, NULL, NULL),
             SLOT_POOL_CLOSED);
    CHECK_EQ(slotc_sync_move(s, &req, b2, past, NULL, NULL),
             SLOT_BOOKING_CLOSED);
    CHECK_EQ(slotc_sync_move(s, &req, b2, full, NULL, NULL), SLOT_SOLD_OUT);
    uint64_t hb;
    CHECK_EQ(ctest_hold(s, &req, b, p2, "wechat", NULL, &hb), SLOT_OK);
    CHECK_EQ(slotc_sync_move(s, &req, b2, b, "wechat", NULL),
             SLOT_PATIENT_HAS_CLAIM);
    CHECK_EQ(slotc_sync_release(s, &req, hb), SLOT_OK);

    /* An administrator's move: a new booking, the payment kept. */
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_move(s, &req, b1, b, NULL, NULL), SLOT_OK);
    uint64_t n1 = req.out.id;
    uint32_t v1 = req.out.visit_no;
    CHECK(n1 != 0 && n1 != b1);
    CHECK(v1 >= 1);
    struct slotc_claim c;
    claim(s, b1, &c);
    CHECK_EQ(c.state, SLOTC_CLAIM_MOVED);
    CHECK_EQ(c.moved_to, n1);
    CHECK(c.resolved_at_ms > 0);
    CHECK(c.affected);
    claim(s, n1, &c);
    CHECK_EQ(c.state, SLOTC_CLAIM_BOOKED);
    CHECK_STR(c.pool, b);
    CHECK_STR(c.patient, p1);
    CHECK_STR(c.channel, "app");
    CHECK_STR(c.payment_ref, "pay-001");
    CHECK(c.paid);
    CHECK_EQ(c.moved_from, b1);
    CHECK_EQ(c.moved_to, 0);
    CHECK_EQ(c.visit_no, v1);
    CHECK_EQ(c.attendance, SLOTC_ATTEND_PENDING);
    CHECK(!c.affected);
    CHECK(c.booked_at_ms > 0);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_booking(s, &req, n1), SLOT_OK);
    CHECK_EQ(req.out.claims[0].id, n1);
    /* A moved booking is done with. */
    CHECK_EQ(slotc_sync_move(s, &req, b1, b, NULL, NULL),
             SLOT_ALREADY_CANCELLED);
    CHECK_EQ(slotc_sync_cancel(s, &req, b1), SLOT_ALREADY_CANCELLED);

    /* The booking's own channel moves it too; with an idempotency key, a
     * retry gets the original answer. */
    slotc_req_init(&req);
    req.idem_key = "move-b2";
    req.idem_channel = "wechat";
    CHECK_EQ(slotc_sync_move(s, &req, b2, b, "wechat", NULL), SLOT_OK);
    uint64_t n2 = req.out.id;
    uint32_t v2 = req.out.visit_no;
    CHECK(n2 != n1 && v2 != v1);
    slotc_req_init(&req);
    req.idem_key = "move-b2";
    req.idem_channel = "wechat";
    CHECK_EQ(slotc_sync_move(s, &req, b2, b, "wechat", NULL), SLOT_OK);
    CHECK_EQ(req.out.id, n2);
    CHECK_EQ(req.out.visit_no, v2);
    claim(s, n2, &c);
    CHECK_STR(c.channel, "wechat");
    CHECK(!c.paid);
    CHECK_EQ(poolRead(s, a).booked, 0);
    CHECK_EQ(poolRead(s, a).free, 5);
    CHECK_EQ(poolRead(s, b).booked, 3);

    /* Refused before sending. */
    CHECK_EQ(slotc_sync_move(s, &req, 0, b, NULL, NULL), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_move(s, &req, b2, NULL, NULL, NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_move(s, &req, b2, "", NULL, NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_move(s, &req, b2, b, "Bad!", NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_move(s, &req, b2, b, "app", "short"),
             SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- check-in ------------------------------------------------------------- */

static void test_checkin(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hci", &r);
    /* Check-in opens an hour before the segment, closes 30 min before its
     * end. */
    r.visit.checkin_before_ms = 3600000;
    r.visit.checkin_late_ms = 1800000;
    ctest_rules_set(s, &h, &r);
    char now[POOL_CAP], late[POOL_CAP], fut[POOL_CAP], stp[POOL_CAP];
    /* Open now: [minute - 90, minute + 30). */
    pool(now, s, &h, "now", "derm", h.today, SLOTC_KIND_NORMAL, 5,
         h.minute - 30, h.minute + 60);
    /* Closed since minute - 10, still bookable (the segment runs). */
    pool(late, s, &h, "late", "derm", h.today, SLOTC_KIND_NORMAL, 5,
         h.minute - 60, h.minute + 20);
    /* Opens the day after tomorrow. */
    derm(fut, s, &h, "fut", h.today + 2, 5);
    pool(stp, s, &h, "stp", "derm", h.today, SLOTC_KIND_NORMAL, 5,
         h.minute - 30, h.minute + 60);
    char p1[NAME_CAP], p2[NAME_CAP], p3[NAME_CAP];
    patient(p1, "pci");
    patient(p2, "pci");
    patient(p3, "pci");
    uint64_t b1 = ctest_book(s, now, p1, "app", NULL);
    struct slotc_claim c;
    claim(s, b1, &c);
    CHECK(!c.paid);
    uint32_t visit_no = c.visit_no;

    CHECK_EQ(slotc_sync_checkin(s, &req, b1, p2, NULL), SLOT_PATIENT_MISMATCH);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_checkin(s, &req, b1, p1, "desk-001"), SLOT_OK);
    CHECK_EQ(req.out.visit_no, visit_no);
    claim(s, b1, &c);
    CHECK_EQ(c.state, SLOTC_CLAIM_BOOKED);
    CHECK_EQ(c.attendance, SLOTC_ATTEND_CHECKED_IN);
    CHECK(c.checked_in_at_ms > 0);
    CHECK(c.paid); /* paid at the desk */
    CHECK_STR(c.payment_ref, "desk-001");
    CHECK_EQ(slotc_sync_checkin(s, &req, b1, p1, NULL),
             SLOT_ALREADY_CHECKED_IN);
    /* A visit that happened is not cancelled. */
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b1, "app", NULL),
             SLOT_ALREADY_CHECKED_IN);
    CHECK_EQ(slotc_sync_cancel(s, &req, b1), SLOT_ALREADY_CHECKED_IN);

    /* The window. */
    uint64_t b2 = ctest_book(s, late, p1, "app", NULL);
    CHECK_EQ(slotc_sync_checkin(s, &req, b2, p1, NULL), SLOT_CHECKIN_CLOSED);
    uint64_t b3 = ctest_book(s, fut, p1, "app", NULL);
    CHECK_EQ(slotc_sync_checkin(s, &req, b3, p1, NULL), SLOT_CHECKIN_NOT_OPEN);
    claim(s, b3, &c);
    CHECK_EQ(c.attendance, SLOTC_ATTEND_PENDING);
    CHECK_EQ(c.checked_in_at_ms, 0);

    /* Cancelled, never confirmed, unknown. */
    uint64_t b4 = ctest_book(s, now, p3, "app", NULL);
    CHECK_EQ(slotc_sync_cancel(s, &req, b4), SLOT_OK);
    CHECK_EQ(slotc_sync_checkin(s, &req, b4, p3, NULL), SLOT_ALREADY_CANCELLED);
    uint64_t held;
    CHECK_EQ(ctest_hold(s, &req, now, p2, "app", NULL, &held), SLOT_OK);
    CHECK_EQ(slotc_sync_checkin(s, &req, held, p2, NULL), SLOT_UNKNOWN_BOOKING);
    CHECK_EQ(slotc_sync_checkin(s, &req, 999999999, p2, NULL),
             SLOT_UNKNOWN_BOOKING);

    /* A stopped clinic checks no one in; a checked-in booking of it is
     * refunded all the same. */
    uint64_t b5 = ctest_book(s, stp, p3, "app", NULL);
    stop(s, stp);
    CHECK_EQ(slotc_sync_checkin(s, &req, b5, p3, NULL), SLOT_POOL_STOPPED);
    stop(s, now);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b1, "app", NULL), SLOT_OK);
    claim(s, b1, &c);
    CHECK_EQ(c.state, SLOTC_CLAIM_CANCELLED);
    CHECK(c.refunded);

    /* Refused before sending. */
    CHECK_EQ(slotc_sync_checkin(s, &req, 0, p1, NULL), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_checkin(s, &req, b3, "short", NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_checkin(s, &req, b3, NULL, NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_checkin(s, &req, b3, p1, "bad ref"),
             SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- no-shows --------------------------------------------------------------- */

static void test_noshow(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hns", &r);
    /* Check-in closes a few seconds from now: late = the segment's end -
     * (now + margin). */
    uint64_t seg_end = ctest_utc_of(h.today, h.minute + 60, h.off);
    uint64_t margin_ms = 4000;
    r.visit.checkin_late_ms =
        (uint32_t)(seg_end - (uint64_t)tclock_wall_ms() - margin_ms);
    r.visit.noshow_sweep = true;
    ctest_rules_set(s, &h, &r);
    char p[POOL_CAP], p1[NAME_CAP], p2[NAME_CAP];
    pool(p, s, &h, "ns", "derm", h.today, SLOTC_KIND_NORMAL, 5, h.minute - 30,
         h.minute + 60);
    patient(p1, "pns");
    patient(p2, "pns");
    uint64_t b1 = ctest_book(s, p, p1, "app", NULL);
    uint64_t b2 = ctest_book(s, p, p2, "app", NULL);
    CHECK_EQ(slotc_sync_checkin(s, &req, b2, p2, NULL), SLOT_OK);

    /* The leader's sweep marks b1 once check-in has closed. */
    struct slotc_claim c;
    long long give_up = tclock_mono_ms() + (long long)margin_ms + 15000;
    do {
        claim(s, b1, &c);
        if (c.attendance != SLOTC_ATTEND_PENDING) {
            break;
        }
        tclock_sleep_ms(200);
    } while (tclock_mono_ms() < give_up);
    CHECK_EQ(c.attendance, SLOTC_ATTEND_NO_SHOW);
    CHECK_EQ(c.state, SLOTC_CLAIM_BOOKED);
    CHECK_EQ(slotc_sync_checkin(s, &req, b1, p1, NULL), SLOT_NO_SHOW);
    CHECK_EQ(slotc_sync_cancel_as(s, &req, b1, "app", NULL), SLOT_NO_SHOW);
    /* A NO_SHOW violation of the patient at the hospital. */
    CHECK_EQ(slotc_sync_read_patient_info(s, &req, p1), SLOT_OK);
    CHECK_EQ(req.out.patient_info->n_violations, 1);
    CHECK_EQ(req.out.patient_info->violations[0].kind, SLOTC_VIOLATION_NO_SHOW);
    CHECK_STR(req.out.patient_info->violations[0].hospital, h.name);
    /* The checked-in one is not touched. */
    claim(s, b2, &c);
    CHECK_EQ(c.attendance, SLOTC_ATTEND_CHECKED_IN);
    CHECK_EQ(slotc_sync_read_patient_info(s, &req, p2), SLOT_OK);
    CHECK_EQ(req.out.patient_info->n_violations, 0);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- a pool's claims ------------------------------------------------------- */

static void test_pool_claims(void)
{
    struct slotc_sync *s = openSync();
    struct slotc_req req;
    slotc_req_init(&req);
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hpc", &r);
    ctest_rules_set(s, &h, &r);
    char a[POOL_CAP], other[POOL_CAP], p1[NAME_CAP], p2[NAME_CAP], p3[NAME_CAP];
    derm(a, s, &h, "a", h.today + 1, 5);
    derm(other, s, &h, "o", h.today + 1, 5);
    patient(p1, "ppc");
    patient(p2, "ppc");
    patient(p3, "ppc");
    uint64_t b1 = ctest_book(s, a, p1, "app", NULL);
    ctest_book(s, other, p1, "app", NULL);
    uint64_t h2;
    CHECK_EQ(ctest_hold(s, &req, a, p2, "wechat", NULL, &h2), SLOT_OK);
    uint64_t b3 = ctest_book(s, a, p3, "app", NULL);
    CHECK_EQ(slotc_sync_cancel(s, &req, b3), SLOT_OK);
    stop(s, a);

    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_pool_claims(s, &req, a, 0, SLOTC_LIST_MAX),
             SLOT_OK);
    CHECK_EQ(req.out.n_claims, 3);
    CHECK(req.out.index > 0);
    const uint64_t ids[3] = {b1, h2, b3};
    const int states[3] = {SLOTC_CLAIM_BOOKED, SLOTC_CLAIM_HELD,
                           SLOTC_CLAIM_CANCELLED};
    for (uint32_t i = 0; i < 3; i++) {
        CHECK_EQ(req.out.claims[i].id, ids[i]);
        CHECK_EQ(req.out.claims[i].state, states[i]);
        CHECK_STR(req.out.claims[i].pool, a);
        CHECK(req.out.claims[i].affected);
    }
    CHECK_STR(req.out.claims[1].channel, "wechat");
    /* Pages. */
    CHECK_EQ(slotc_sync_read_pool_claims(s, &req, a, 0, 2), SLOT_OK);
    CHECK_EQ(req.out.n_claims, 2);
    CHECK_EQ(req.out.claims[1].id, h2);
    CHECK_EQ(slotc_sync_read_pool_claims(s, &req, a, h2, 2), SLOT_OK);
    CHECK_EQ(req.out.n_claims, 1);
    CHECK_EQ(req.out.claims[0].id, b3);
    CHECK_EQ(slotc_sync_read_pool_claims(s, &req, a, b3, 2), SLOT_OK);
    CHECK_EQ(req.out.n_claims, 0);
    /* Another pool's claims are its own. */
    CHECK_EQ(slotc_sync_read_pool_claims(s, &req, other, 0, 10), SLOT_OK);
    CHECK_EQ(req.out.n_claims, 1);
    CHECK_STR(req.out.claims[0].patient, p1);
    CHECK(!req.out.claims[0].affected);

    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_pool_claims(s, &req, "nosuch/pool", 0, 10),
             SLOT_UNKNOWN_POOL);
    CHECK_EQ(slotc_sync_read_pool_claims(s, &req, a, 0, 0),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_read_pool_claims(s, &req, a, 0, SLOTC_LIST_MAX + 1),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_read_pool_claims(s, &req, "", 0, 10),
             SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- main ---------------------------------------------------------------- */

static const struct check_case cases[] = {
    {"names_and_rules", test_names_and_rules},
    {"stop", test_stop},
    {"move", test_move},
    {"checkin", test_checkin},
    {"noshow", test_noshow},
    {"pool_claims", test_pool_claims},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return ctest_main(cases, argc, argv);
}
