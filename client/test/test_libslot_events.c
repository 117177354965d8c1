/* test_libslot_events: the event feed of protocol 4 through libslot
 * (slotc_read_events, slotc_sync_events_follow) and slotctl events,
 * against real local 3-node slotd clusters: the events of a hold, confirm,
 * cancel, stop and move in order with their fields, paging by cursor, a
 * follower riding out the leader's death with no gap and no duplicate,
 * every replica's copy equal, and slotctl's one-shot and --follow output.
 *
 * A cursor that fell out of the ledger's window (1M events or 24 h) is out
 * of reach of a real cluster in a test's time: CURSOR_EXPIRED is tested on
 * the library's decoding of an EVENTS reply (slotc__events_from_wire, the
 * one place that judges it), with replies encoded by proto/.
 */
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ctest.h"
#include "libslot.h"
#include "libslotInt.h"
#include "mp.h"
#include "tclock.h"
#include "tcluster.h"

#define LEAK_CHECK() CTEST_LEAK_CHECK()

#define NAME_CAP (SLOTC_NAME_MAX + 1)
#define POOL_CAP (SLOTC_POOL_ID_MAX + 1)
#define EV_MAX   4096 /* events one test collects at most */

/* ---- helpers ---------------------------------------------------------------- */

struct evlist {
    struct slotc_event e[EV_MAX];
    uint32_t n;
};

static void evAppend(struct evlist *l, const struct slotc_event *e, uint32_t n)
{
    CHECK(l->n + n <= EV_MAX);
    memcpy(&l->e[l->n], e, n * sizeof *e);
    l->n += n;
}

/* The newest seq now (the cursor after which new events come). */
static uint64_t feedLast(struct slotc_sync *s)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_events(s, &req, 0, 1), SLOT_OK);
    return req.out.last;
}

/* Every event after `after`, in pages of `limit` (req's flags and node as
 * given), into l; checks the pages join with no gap. */
static void readAll(struct slotc_sync *s, const struct slotc_req *proto,
                    uint64_t after, uint32_t limit, struct evlist *l)
{
    for (int pages = 0; pages < 1000; pages++) {
        struct slotc_req req = *proto;
        CHECK_EQ(slotc_sync_read_events(s, &req, after, limit), SLOT_OK);
        CHECK(req.out.n_events <= limit);
        CHECK(req.out.first <= after + 1);
        if (req.out.n_events > 0) {
            CHECK_EQ(req.out.events[0].seq, after + 1);
            evAppend(l, req.out.events, req.out.n_events);
            after = req.out.events[req.out.n_events - 1].seq;
        }
        if (req.out.n_events < limit) {
            CHECK_EQ(after, req.out.last);
            return;
        }
    }
    CHECK(!"too many pages");
}

static void readAllSimple(struct slotc_sync *s, uint64_t after,
                          struct evlist *l)
{
    struct slotc_req req;
    slotc_req_init(&req);
    readAll(s, &req, after, SLOTC_LIST_MAX, l);
}

/* The i-th event of l about pool p (NULL when there are fewer). */
static const struct slotc_event *ofPool(const struct evlist *l, const char *p,
                                        int i)
{
    for (uint32_t k = 0; k < l->n; k++) {
        if (strcmp(l->e[k].pool, p) == 0 && i-- == 0) {
            return &l->e[k];
        }
    }
    return NULL;
}

/* The ordering the feed promises: seq 1 apart, Raft index and ledger time
 * never going back. */
static void checkOrder(const struct evlist *l)
{
    for (uint32_t k = 1; k < l->n; k++) {
        CHECK_EQ(l->e[k].seq, l->e[k - 1].seq + 1);
        CHECK(l->e[k].index >= l->e[k - 1].index);
        CHECK(l->e[k].time_ms >= l->e[k - 1].time_ms);
        CHECK(l->e[k].index > 0);
    }
}

/* A claim event's fields. */
static void checkClaim(const struct slotc_event *e, int type, const char *pool,
                       uint64_t claim, const char *patient, const char *hosp)
{
    CHECK(e != NULL);
    CHECK_STR(slotc_event_name(e->type), slotc_event_name(type));
    CHECK_STR(e->pool, pool);
    CHECK_EQ(e->claim, claim);
    CHECK_STR(e->patient, patient);
    CHECK_STR(e->channel, "app");
    CHECK_STR(e->account, "");
    CHECK_STR(e->hospital, hosp);
}

static void freePool(struct slotc_sync *s, char out[POOL_CAP], uint32_t cap)
{
    snprintf(out, POOL_CAP, "%s", ctest_uniq("evpool"));
    struct slotc_pool_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.pool = out;
    sp.capacity = cap;
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
}

static uint64_t hold(struct slotc_sync *s, const char *pool,
                     const char *patient)
{
    struct slotc_req req;
    uint64_t id;
    CHECK_EQ(ctest_hold(s, &req, pool, patient, "app", NULL, &id), SLOT_OK);
    return id;
}

/* ---- names and arguments ---------------------------------------------------- */

static void test_names_and_args(void)
{
    CHECK_STR(slotc_event_name(SLOTC_EV_HELD), "held");
    CHECK_STR(slotc_event_name(SLOTC_EV_BOOKED), "booked");
    CHECK_STR(slotc_event_name(SLOTC_EV_CANCELLED), "cancelled");
    CHECK_STR(slotc_event_name(SLOTC_EV_MOVED), "moved");
    CHECK_STR(slotc_event_name(SLOTC_EV_WAIT_LEFT), "wait_left");
    CHECK(slotc_event_name(0) == NULL);
    CHECK(slotc_event_name(SLOTC_EV_WAIT_LEFT + 1) == NULL);
    CHECK_STR(slotc_op_name(SLOTC_OP_READ_EVENTS), "READ_EVENTS");
    CHECK(slotc_op_name(SLOTC_OP_READ_STATS + 1) == NULL);
    CHECK_STR(slotc_err_name(SLOT_CURSOR_EXPIRED), "CURSOR_EXPIRED");

    struct slotc_sync *s = ctest_shared_open();
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_events(s, &req, 0, 0), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_read_events(s, &req, 0, SLOTC_LIST_MAX + 1),
             SLOT_INVALID_ARGUMENT);
    uint64_t after = 0;
    CHECK_EQ(slotc_sync_events_follow(s, &req, &after, 0, 100, NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_events_follow(s, &req, &after, 10, 0, NULL),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_events_follow(s, &req, &after, 10, 3600001, NULL),
             SLOT_INVALID_ARGUMENT);
    /* A cursor ahead of the feed reads nothing (a lagging node's view). */
    uint64_t last = feedLast(s);
    CHECK_EQ(slotc_sync_read_events(s, &req, last + 1000, 10), SLOT_OK);
    CHECK_EQ(req.out.n_events, 0);
    CHECK(req.out.events == NULL);
    CHECK(req.out.last >= last);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- the reply's decoding: the cursor check --------------------------------- */

static struct slot_event wireEvent(uint64_t seq)
{
    struct slot_event e;
    memset(&e, 0, sizeof e);
    e.seq = seq;
    e.index = 100 + seq / 2;
    e.time_ms = 1700000000000ull + seq;
    e.type = SLOT_EV_BOOKED;
    snprintf(e.pool, sizeof e.pool, "pumch/derm/%llu", (unsigned long long)seq);
    e.claim = 7000 + seq;
    snprintf(e.patient, sizeof e.patient, "patient-%04llu",
             (unsigned long long)seq);
    snprintf(e.channel, sizeof e.channel, "app");
    snprintf(e.account, sizeof e.account, "account-0001");
    snprintf(e.hospital, sizeof e.hospital, "pumch");
    e.a = seq % 50;
    e.b = 1;
    return e;
}

/* Decodes [first, last, [events seqs[0..n)]] read after `after` with room
 * for cap; returns the status. */
static int decode(uint64_t first, uint64_t last, const uint64_t *seqs,
                  uint32_t n, uint64_t after, uint32_t cap,
                  struct slotc_event *out, uint32_t *got, uint64_t *f,
                  uint64_t *l)
{
    struct mp_buf b;
    mp_buf_init(&b);
    mp_pack_array(&b, 3);
    mp_pack_uint(&b, first);
    mp_pack_uint(&b, last);
    mp_pack_array(&b, n);
    for (uint32_t i = 0; i < n; i++) {
        struct slot_event e = wireEvent(seqs[i]);
        slot_event_encode(&b, &e);
    }
    struct mp_reader r;
    mp_reader_init(&r, b.data, b.len);
    *got = 99;
    int rc = slotc__events_from_wire(&r, after, cap, out, got, f, l);
    mp_buf_free(&b);
    return rc;
}

static void test_decode_cursor(void)
{
    struct slotc_event out[8];
    uint32_t n;
    uint64_t first, last;
    const uint64_t s567[] = {5, 6, 7};

    /* A page right after the cursor, every field carried. */
    CHECK_EQ(decode(5, 9, s567, 3, 4, 8, out, &n, &first, &last), SLOT_OK);
    CHECK_EQ(n, 3);
    CHECK_EQ(first, 5);
    CHECK_EQ(last, 9);
    struct slot_event w = wireEvent(6);
    CHECK_EQ(out[1].seq, 6);
    CHECK_EQ(out[1].index, w.index);
    CHECK_EQ(out[1].time_ms, w.time_ms);
    CHECK_EQ(out[1].type, SLOTC_EV_BOOKED);
    CHECK_STR(out[1].pool, w.pool);
    CHECK_EQ(out[1].claim, w.claim);
    CHECK_STR(out[1].patient, w.patient);
    CHECK_STR(out[1].channel, "app");
    CHECK_STR(out[1].account, "account-0001");
    CHECK_STR(out[1].hospital, "pumch");
    CHECK_EQ(out[1].a, w.a);
    CHECK_EQ(out[1].b, 1);

    /* after + 1 < first: the events 4..4 are gone. No events are given,
     * first names where the window starts. */
    CHECK_EQ(decode(5, 9, s567, 3, 3, 8, out, &n, &first, &last),
             SLOT_CURSOR_EXPIRED);
    CHECK_EQ(n, 0);
    CHECK_EQ(first, 5);
    CHECK_EQ(last, 9);
    CHECK_EQ(decode(5, 9, s567, 3, 0, 8, out, &n, &first, &last),
             SLOT_CURSOR_EXPIRED);
    /* Everything dropped (first = last + 1): a reader that had all is
     * fine, one that had not is told. */
    CHECK_EQ(decode(10, 9, NULL, 0, 9, 8, out, &n, &first, &last), SLOT_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(decode(10, 9, NULL, 0, 8, 8, out, &n, &first, &last),
             SLOT_CURSOR_EXPIRED);
    CHECK_EQ(first, 10);
    /* A new ledger (first 1, last 0), and a reader caught up. */
    CHECK_EQ(decode(1, 0, NULL, 0, 0, 8, out, &n, &first, &last), SLOT_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(decode(5, 7, NULL, 0, 7, 8, out, &n, &first, &last), SLOT_OK);

    /* Replies that would hide a gap or overflow the page: MALFORMED. */
    const uint64_t s67[] = {6, 7}, s57[] = {5, 7}, s556[] = {5, 5, 6};
    CHECK_EQ(decode(5, 9, s67, 2, 4, 8, out, &n, &first, &last),
             SLOT_MALFORMED);
    CHECK_EQ(decode(5, 9, s57, 2, 4, 8, out, &n, &first, &last),
             SLOT_MALFORMED);
    CHECK_EQ(decode(5, 9, s556, 3, 4, 8, out, &n, &first, &last),
             SLOT_MALFORMED);
    CHECK_EQ(decode(5, 9, s567, 3, 4, 2, out, &n, &first, &last),
             SLOT_MALFORMED);
    CHECK_EQ(n, 0);
}

/* ---- a claim's life on the feed --------------------------------------------- */

static void test_claim_events(void)
{
    struct slotc_sync *s = ctest_shared_open();
    struct slotc_req req;
    struct ctest_hosp h;
    struct slotc_rules r;
    ctest_hosp_init(&h, "hev", &r);
    ctest_rules_set(s, &h, &r);
    uint64_t before = feedLast(s);
    char a[POOL_CAP], b[POOL_CAP], c[POOL_CAP], p1[NAME_CAP], p2[NAME_CAP];
    snprintf(a, sizeof a, "%s",
             ctest_pool(s, &h, "a", "derm", h.today + 1, SLOTC_KIND_NORMAL, 3,
                        14 * 60, 15 * 60));
    snprintf(b, sizeof b, "%s",
             ctest_pool(s, &h, "b", "derm", h.today + 2, SLOTC_KIND_NORMAL, 3,
                        14 * 60, 15 * 60));
    snprintf(c, sizeof c, "%s",
             ctest_pool(s, &h, "c", "derm", h.today + 1, SLOTC_KIND_NORMAL, 3,
                        14 * 60, 15 * 60));
    snprintf(p1, sizeof p1, "%s", ctest_uniq("pev"));
    snprintf(p2, sizeof p2, "%s", ctest_uniq("pev"));

    /* Hold, confirm (unpaid, at the visit), cancel. */
    uint64_t id;
    CHECK_EQ(ctest_hold(s, &req, a, p1, "app", NULL, &id), SLOT_OK);
    uint64_t deadline = req.out.deadline_ms;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_confirm_as(s, &req, id, NULL, "app", NULL), SLOT_OK);
    uint32_t visit_no = req.out.visit_no;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_cancel(s, &req, id), SLOT_OK);
    /* A stopped clinic's booking moved: two events of one command. */
    uint64_t old = ctest_book(s, c, p2, "app", NULL);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_stop(s, &req, c, "dr.li", "停诊 ill"), SLOT_OK);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_move(s, &req, old, b, NULL, NULL), SLOT_OK);
    uint64_t moved = req.out.id;
    uint32_t moved_no = req.out.visit_no;

    static struct evlist l;
    l.n = 0;
    readAllSimple(s, before, &l);
    checkOrder(&l);
    CHECK_EQ(l.e[0].seq, before + 1);

    const struct slotc_event *e = ofPool(&l, a, 0);
    CHECK(e != NULL);
    CHECK_EQ(e->type, SLOTC_EV_POOL_CREATED);
    CHECK_STR(e->hospital, h.name);
    const struct slotc_event *held = ofPool(&l, a, 1),
                             *booked = ofPool(&l, a, 2),
                             *cancelled = ofPool(&l, a, 3);
    checkClaim(held, SLOTC_EV_HELD, a, id, p1, h.name);
    CHECK_EQ(held->a, deadline);
    checkClaim(booked, SLOTC_EV_BOOKED, a, id, p1, h.name);
    CHECK_EQ(booked->a, visit_no);
    CHECK_EQ(booked->b, 0); /* unpaid */
    checkClaim(cancelled, SLOTC_EV_CANCELLED, a, id, p1, h.name);
    CHECK_EQ(cancelled->a, 0); /* not a refund */
    /* One command per entry here: the index grows with each. */
    CHECK(held->seq < booked->seq && booked->seq < cancelled->seq);
    CHECK(held->index < booked->index && booked->index < cancelled->index);
    CHECK(held->time_ms <= booked->time_ms);

    /* The stop, then MOVED and BOOKED back to back in one entry. */
    const struct slotc_event *stopped = NULL, *mv = NULL;
    for (uint32_t k = 0; k < l.n; k++) {
        if (l.e[k].type == SLOTC_EV_POOL_STOPPED &&
            strcmp(l.e[k].pool, c) == 0) {
            stopped = &l.e[k];
        }
        if (l.e[k].type == SLOTC_EV_MOVED && l.e[k].claim == old) {
            mv = &l.e[k];
        }
    }
    CHECK(stopped != NULL && mv != NULL);
    CHECK_EQ(stopped->a, 1); /* bookings affected */
    CHECK_EQ(stopped->b, 0); /* holds */
    CHECK(stopped->seq < mv->seq);
    checkClaim(mv, SLOTC_EV_MOVED, c, old, p2, h.name);
    CHECK_EQ(mv->a, moved);
    CHECK((uint32_t)(mv - l.e) + 1 < l.n);
    const struct slotc_event *nb = mv + 1;
    checkClaim(nb, SLOTC_EV_BOOKED, b, moved, p2, h.name);
    CHECK_EQ(nb->a, moved_no);
    CHECK_EQ(nb->index, mv->index);
    CHECK_EQ(nb->time_ms, mv->time_ms);
    CHECK(stopped->index < mv->index);

    /* A stale read of some node's copy gives the same events, or fewer
     * while it catches up: never other ones. */
    slotc_req_init(&req);
    req.flags = SLOTC_STALE;
    CHECK_EQ(slotc_sync_read_events(s, &req, before, SLOTC_LIST_MAX), SLOT_OK);
    CHECK(req.out.n_events <= l.n);
    for (uint32_t k = 0; k < req.out.n_events; k++) {
        CHECK(memcmp(&req.out.events[k], &l.e[k], sizeof l.e[k]) == 0);
    }
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- paging by cursor ------------------------------------------------------- */

static void test_paging(void)
{
    struct slotc_sync *s = ctest_shared_open();
    uint64_t before = feedLast(s);
    char p[POOL_CAP];
    freePool(s, p, 10);
    for (int i = 0; i < 7; i++) {
        hold(s, p, ctest_uniq("pgev"));
    }
    static struct evlist all, paged;
    all.n = paged.n = 0;
    readAllSimple(s, before, &all);
    CHECK(all.n >= 8); /* the pool and its 7 holds, maybe expiries */
    for (uint32_t limit = 1; limit <= 3; limit++) {
        paged.n = 0;
        struct slotc_req proto;
        slotc_req_init(&proto);
        readAll(s, &proto, before, limit, &paged);
        CHECK(paged.n >= all.n);
        CHECK(memcmp(paged.e, all.e, all.n * sizeof all.e[0]) == 0);
    }
    /* One page in the middle: exactly limit events from after + 1. */
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_events(s, &req, all.e[2].seq, 3), SLOT_OK);
    CHECK_EQ(req.out.n_events, 3);
    CHECK(memcmp(req.out.events, &all.e[3], 3 * sizeof all.e[0]) == 0);
    CHECK(req.out.first <= before + 1);
    CHECK(req.out.last >= all.e[all.n - 1].seq);
    /* Caught up: nothing, and last says how far the feed is. */
    uint64_t end = req.out.last;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_events(s, &req, end, 5), SLOT_OK);
    CHECK_EQ(req.out.n_events, 0);
    CHECK(req.out.last >= end);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- following across a leader's death -------------------------------------- */

#define FOLLOW_DONE    (-7)
#define FOLLOW_RUNAWAY (-8)

struct follow {
    struct tcluster *t;
    struct slotc_sync *w; /* the writer */
    const char *pool;
    struct evlist got;
    uint64_t before;
    int pages;
    int killed; /* the node killed, -1 before */
    int held;   /* HELD events of the pool seen */
};

static int followPage(struct slotc_req *req)
{
    struct follow *f = req->data;
    f->pages++;
    uint64_t prev = f->got.n > 0 ? f->got.e[f->got.n - 1].seq : f->before;
    if (req->out.n_events > 0) {
        CHECK_EQ(req->out.events[0].seq, prev + 1); /* no gap, no repeat */
    }
    evAppend(&f->got, req->out.events, req->out.n_events);
    for (uint32_t i = 0; i < req->out.n_events; i++) {
        const struct slotc_event *e = &req->out.events[i];
        f->held += e->type == SLOTC_EV_HELD && strcmp(e->pool, f->pool) == 0;
    }
    if (f->pages == 2) {
        /* Mid-feed: the leader dies, and more happens under the next. */
        f->killed = tcluster_leader(f->t, 5000);
        CHECK(f->killed >= 0);
        tcluster_signal(f->t, f->killed, SIGKILL);
        for (int i = 0; i < 4; i++) {
            hold(f->w, f->pool, ctest_uniq("flev"));
        }
    }
    if (f->killed >= 0 && f->held == 8 && req->out.n_events < 3) {
        return FOLLOW_DONE;
    }
    return f->pages < 500 ? 0 : FOLLOW_RUNAWAY;
}

static void test_follow_leader_change(void)
{
    static struct tcluster t;
    CHECK_EQ(tcluster_start(&t, 3, 0), 0);
    struct slotc_sync *s = ctest_open(t.cluster);
    static struct follow f;
    memset(&f, 0, sizeof f);
    f.t = &t;
    f.w = ctest_open(t.cluster);
    f.killed = -1;
    f.before = feedLast(s);
    char p[POOL_CAP];
    freePool(f.w, p, 20);
    f.pool = p;
    for (int i = 0; i < 4; i++) {
        hold(f.w, p, ctest_uniq("flev"));
    }

    struct slotc_req req;
    slotc_req_init(&req);
    req.data = &f;
    uint64_t after = f.before;
    CHECK_EQ(slotc_sync_events_follow(s, &req, &after, 3, 50, followPage),
             FOLLOW_DONE);
    CHECK(req.data == &f);
    CHECK(f.killed >= 0);
    CHECK_EQ(f.held, 8);
    CHECK_EQ(after, f.got.e[f.got.n - 1].seq);
    checkOrder(&f.got);
    /* Eight distinct holds, each once. */
    for (uint32_t i = 0; i < f.got.n; i++) {
        for (uint32_t k = i + 1; k < f.got.n; k++) {
            CHECK(f.got.e[i].claim == 0 ||
                  f.got.e[i].claim != f.got.e[k].claim ||
                  f.got.e[i].type != f.got.e[k].type);
        }
    }
    /* Resuming from the saved cursor, later, through the new leader:
     * nothing repeats. */
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_events(s, &req, after, 10), SLOT_OK);
    CHECK_EQ(req.out.n_events, 0);

    /* The dead node back: once caught up, its own copy is the same. */
    CHECK_EQ(tcluster_start_node(&t, f.killed), 0);
    for (int i = 0; i < t.n; i++) {
        struct slotc_req stale;
        slotc_req_init(&stale);
        stale.flags = SLOTC_STALE;
        stale.node = t.client[i];
        long long until = tclock_mono_ms() + 15000;
        for (;;) {
            slotc_req_init(&req);
            req.flags = SLOTC_STALE;
            req.node = t.client[i];
            int rc = slotc_sync_read_events(s, &req, after, 1);
            if (rc == SLOT_OK && req.out.last >= after) {
                break;
            }
            CHECK(tclock_mono_ms() < until);
            tclock_sleep_ms(50);
        }
        static struct evlist node;
        node.n = 0;
        readAll(s, &stale, f.before, 4, &node);
        CHECK(node.n >= f.got.n);
        CHECK(memcmp(node.e, f.got.e, f.got.n * sizeof f.got.e[0]) == 0);
    }
    /* Every node down: the follower returns the read's error at its
     * deadline, its cursor where it was, to be called again. */
    for (int i = 0; i < t.n; i++) {
        tcluster_signal(&t, i, SIGKILL);
    }
    int pages = f.pages;
    uint64_t cursor = after;
    slotc_req_init(&req);
    req.data = &f;
    req.timeout_ms = 500;
    int rc = slotc_sync_events_follow(s, &req, &after, 3, 50, followPage);
    CHECK(rc == SLOT_UNAVAILABLE || rc == SLOT_TIMEOUT);
    CHECK_EQ(after, cursor);
    CHECK_EQ(f.pages, pages);
    slotc_sync_close(f.w);
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
    LEAK_CHECK();
}

/* ---- slotctl events ---------------------------------------------------------- */

struct ctl {
    pid_t pid;
    int fd;
    char out[1 << 18];
    size_t len;
};

static void slotctlPath(char *out, size_t cap)
{
    char exe[400];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(out, cap, "%s/slotctl", dirname(exe));
}

/* Starts slotctl --cluster CLUSTER args... with stdout on a pipe. */
static void ctlStart(struct ctl *c, const char *cluster,
                     const char *const *args)
{
    static char path[512];
    slotctlPath(path, sizeof path);
    char *argv[32];
    int n = 0;
    argv[n++] = path;
    argv[n++] = "--cluster";
    argv[n++] = (char *)cluster;
    for (; *args != NULL && n < 31; args++) {
        argv[n++] = (char *)*args;
    }
    argv[n] = NULL;
    int fds[2];
    CHECK(pipe(fds) == 0);
    c->len = 0;
    c->pid = fork();
    CHECK(c->pid >= 0);
    if (c->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(path, argv);
        _exit(127);
    }
    close(fds[1]);
    c->fd = fds[0];
}

static int lines(const struct ctl *c)
{
    int n = 0;
    for (size_t i = 0; i < c->len; i++) {
        n += c->out[i] == '\n';
    }
    return n;
}

/* Reads until `want` lines arrived (or EOF); CHECKs within timeout_ms. */
static void ctlLines(struct ctl *c, int want, int timeout_ms)
{
    long long until = tclock_mono_ms() + timeout_ms;
    while (lines(c) < want) {
        long long left = until - tclock_mono_ms();
        CHECK(left > 0);
        struct pollfd pf = {c->fd, POLLIN, 0};
        if (poll(&pf, 1, (int)left) <= 0) {
            continue;
        }
        CHECK(c->len + 1 < sizeof c->out);
        ssize_t k = read(c->fd, c->out + c->len, sizeof c->out - 1 - c->len);
        if (k <= 0) {
            break;
        }
        c->len += (size_t)k;
        c->out[c->len] = '\0';
    }
}

/* Reads to EOF and reaps it: its exit code. */
static int ctlWait(struct ctl *c)
{
    ctlLines(c, 1 << 30, 20000);
    close(c->fd);
    int st;
    CHECK(waitpid(c->pid, &st, 0) == c->pid);
    CHECK(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* slotctl's line k (0-based) as JSON (the caller decrefs). */
static json_t *line(const struct ctl *c, int k)
{
    const char *p = c->out;
    for (; k > 0; k--) {
        p = strchr(p, '\n');
        CHECK(p != NULL);
        p++;
    }
    json_error_t err;
    json_t *o = json_loadb(p, strcspn(p, "\n"), 0, &err);
    CHECK(o != NULL);
    return o;
}

static uint64_t jnum(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    CHECK(json_is_integer(v));
    return (uint64_t)json_integer_value(v);
}

static const char *jtext(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    CHECK(json_is_string(v));
    return json_string_value(v);
}

/* Line k of c is event e, every field. */
static void checkLine(const struct ctl *c, int k, const struct slotc_event *e)
{
    json_t *o = line(c, k);
    CHECK_EQ(json_object_size(o), 16);
    CHECK_EQ(jnum(o, "seq"), e->seq);
    CHECK_EQ(jnum(o, "index"), e->index);
    CHECK_EQ(jnum(o, "time_ms"), e->time_ms);
    CHECK_STR(jtext(o, "type"), slotc_event_name(e->type));
    CHECK_STR(jtext(o, "pool"), e->pool);
    CHECK_EQ(jnum(o, "claim"), e->claim);
    CHECK_STR(jtext(o, "patient"), e->patient);
    CHECK_STR(jtext(o, "channel"), e->channel);
    CHECK_STR(jtext(o, "account"), e->account);
    CHECK_STR(jtext(o, "hospital"), e->hospital);
    CHECK_EQ(jnum(o, "a"), e->a);
    CHECK_EQ(jnum(o, "b"), e->b);
    CHECK_EQ(jnum(o, "fee_cents"), e->fee_cents);
    CHECK_STR(jtext(o, "payment_ref"), e->payment_ref);
    CHECK_STR(jtext(o, "pay_method"), e->pay_method);
    CHECK_EQ(jnum(o, "local_day"), e->local_day);
    json_decref(o);
}

static void test_slotctl_events(void)
{
    const char *cl = ctest_shared_cluster();
    struct slotc_sync *s = ctest_shared_open();
    uint64_t before = feedLast(s);
    char p[POOL_CAP], after[24];
    freePool(s, p, 10);
    for (int i = 0; i < 3; i++) {
        hold(s, p, ctest_uniq("ctev"));
    }
    static struct evlist l;
    l.n = 0;
    readAllSimple(s, before, &l);
    CHECK(l.n >= 4);
    snprintf(after, sizeof after, "%llu", (unsigned long long)before);

    /* One page of at most --limit, with or without --json. */
    static struct ctl c;
    for (int json = 0; json < 2; json++) {
        const char *args[] = {"events",  "--after", after,
                              "--limit", "3",       json ? "--json" : NULL,
                              NULL};
        ctlStart(&c, cl, args);
        CHECK_EQ(ctlWait(&c), 0);
        CHECK_EQ(lines(&c), 3);
        for (int k = 0; k < 3; k++) {
            checkLine(&c, k, &l.e[k]);
        }
    }

    /* --follow: what is there, then what comes, until SIGINT. */
    const char *fargs[] = {"events",   "--after",       after, "--limit", "2",
                           "--follow", "--interval-ms", "50",  NULL};
    ctlStart(&c, cl, fargs);
    ctlLines(&c, (int)l.n, 10000);
    char late[NAME_CAP];
    snprintf(late, sizeof late, "%s", ctest_uniq("ctev"));
    uint64_t id = hold(s, p, late);
    /* The new hold's line comes within a few polls. */
    long long until = tclock_mono_ms() + 10000;
    while (strstr(c.out, late) == NULL) {
        CHECK(tclock_mono_ms() < until);
        ctlLines(&c, lines(&c) + 1, 10000);
    }
    kill(c.pid, SIGINT);
    CHECK_EQ(ctlWait(&c), 0);
    int n = lines(&c);
    CHECK(n >= (int)l.n + 1);
    for (int k = 0; k < (int)l.n; k++) {
        checkLine(&c, k, &l.e[k]);
    }
    bool seen = false;
    for (int k = 0; k < n; k++) {
        json_t *o = line(&c, k);
        CHECK_EQ(jnum(o, "seq"), before + 1 + (uint64_t)k); /* no gap */
        if (strcmp(jtext(o, "patient"), late) == 0) {
            CHECK_STR(jtext(o, "type"), "held");
            CHECK_EQ(jnum(o, "claim"), id);
            seen = true;
        }
        json_decref(o);
    }
    CHECK(seen);

    /* Usage errors (exit 2) and an unreachable cluster (exit 5), each
     * naming the cursor reached. */
    const char *bad1[] = {"events", "--interval-ms", "50", NULL};
    const char *bad2[] = {"events", "--limit", "0", NULL};
    const char *bad3[] = {"events", "extra", NULL};
    const char *bad4[] = {"events", "--follow", "--interval-ms", "0", NULL};
    const char *const *bads[] = {bad1, bad2, bad3, bad4};
    for (int i = 0; i < 4; i++) {
        ctlStart(&c, cl, bads[i]);
        CHECK_EQ(ctlWait(&c), 2);
    }
    const char *down[] = {"--json",  "--timeout", "300", "events",
                          "--after", "42",        NULL};
    ctlStart(&c, "127.0.0.1:1", down);
    CHECK_EQ(ctlWait(&c), 5);
    json_t *o = line(&c, 0);
    const json_t *err = json_object_get(o, "error");
    CHECK(err != NULL);
    CHECK_STR(jtext(err, "code"), "UNAVAILABLE");
    CHECK_EQ(jnum(err, "after"), 42);
    json_decref(o);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- main --------------------------------------------------------------- */

static const struct check_case cases[] = {
    {"names_and_args", test_names_and_args},
    {"decode_cursor", test_decode_cursor},
    {"claim_events", test_claim_events},
    {"paging", test_paging},
    {"follow_leader_change", test_follow_leader_change},
    {"slotctl_events", test_slotctl_events},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return ctest_main(cases, argc, argv);
}
