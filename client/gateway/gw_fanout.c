/* gw_fanout: the shared follower of the event feed and its ring (see
 * gw_fanout.h for the contract).
 *
 * The follower's states:
 *
 *   reading --(page)--> append, feed every subscriber
 *      ^                  |--(full page)--> reading
 *      |                  |--(short page, or an error)--> pausing
 *      |                  '--(no subscriber / stopping / closed)--> closed
 *      '---(poll_ms)--- pausing --(no subscriber / stopping)--> closed
 *
 * A read that libslot refuses at once (its queue is full) is tried again
 * after the pause. closed: closed_cb has run, the timer is closing, the
 * ring is freed in its close callback.
 */
#include "gw_fanout.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gw_err.h"
#include "gw_events.h"
#include "gw_json.h"

/* One event of the ring and its SSE frames, [0] shown, [1] redacted,
 * made on first use. */
struct foEntry {
    struct slotc_event ev;
    char *frame[2];
    uint32_t frame_len[2];
};

struct gw_fanout {
    struct gw_fanout_opts o;
    struct foEntry *ring;      /* seq s at ring[s % cap] */
    uint64_t first, last;      /* held: first..last; empty: first == last + 1 */
    struct gw_fanout_sub head; /* the subscribers' list (a sentinel) */
    uint32_t n_subs;
    uv_timer_t timer;
    struct slotc_req sreq;
    uint64_t sent_ns;
    uint64_t held_since_ms; /* uv_now() since a subscriber behind held the
                             * next read back, 0 if none does */
    bool reading;           /* a read (or the status below) is in flight */
    /* The node read from: a follower's client address, learnt from a
     * status (the leader's loop is the burst's bottleneck; every replica's
     * feed is the same), "" for libslot's choice. Asked again after a
     * failed read. */
    char node[SLOTC_ADDRESS_MAX + 1];
    bool node_known;
    /* The last page from node was short: the next read (after the pause)
     * is libslot's choice, so that a follower that lags, or has stopped
     * applying, delays the feed by one pause at most. */
    bool node_skip;
    bool closing; /* gw_fanout_close was called */
    bool closed;  /* closed_cb ran */
    bool failing; /* the last read failed (logged once per outage) */
};

static void entryClear(struct foEntry *e)
{
    for (int i = 0; i < 2; i++) {
        free(e->frame[i]);
        e->frame[i] = NULL;
        e->frame_len[i] = 0;
    }
}

static void timerClosed(uv_handle_t *h)
{
    struct gw_fanout *f = h->data;
    for (uint64_t s = f->first; s <= f->last && f->last != 0; s++) {
        entryClear(&f->ring[s % f->o.cap]);
    }
    free(f->ring);
    free(f);
}

static void detachAll(struct gw_fanout *f)
{
    struct gw_fanout_sub *s = f->head._next;
    while (s != &f->head) {
        struct gw_fanout_sub *next = s->_next;
        s->_prev = s->_next = NULL;
        s->_joined = false;
        s = next;
    }
    f->head._next = f->head._prev = &f->head;
    f->n_subs = 0;
}

/* No read pending: the end. */
static void finish(struct gw_fanout *f)
{
    assert(!f->reading && !f->closed);
    f->closed = true;
    detachAll(f);
    uv_timer_stop(&f->timer);
    f->o.closed_cb(f, f->o.data);
    uv_close((uv_handle_t *)&f->timer, timerClosed);
}

static bool ending(const struct gw_fanout *f)
{
    return f->closing || f->n_subs == 0 || *f->o.stopping;
}

/* Restarts the ring empty after `cursor`. */
static void ringReset(struct gw_fanout *f, uint64_t cursor)
{
    for (uint64_t s = f->first; s <= f->last && f->last != 0; s++) {
        entryClear(&f->ring[s % f->o.cap]);
    }
    f->first = cursor + 1;
    f->last = cursor;
}

static void append(struct gw_fanout *f, const struct slotc_event *ev)
{
    assert(ev->seq == f->last + 1);
    if (f->last + 1 - f->first >= f->o.cap) {
        /* Full: the oldest goes (its slot is the one reused). */
        entryClear(&f->ring[f->first % f->o.cap]);
        f->first++;
    }
    struct foEntry *e = &f->ring[ev->seq % f->o.cap];
    e->ev = *ev;
    f->last = ev->seq;
}

/* Every subscriber takes what it may. A feed_cb may remove its own sub:
 * the next one is taken first. */
static void feedAll(struct gw_fanout *f)
{
    struct gw_fanout_sub *s = f->head._next;
    for (uint32_t n = f->n_subs + 1; s != &f->head && n > 0; n--) {
        struct gw_fanout_sub *next = s->_next;
        s->feed_cb(s);
        if (f->closing) {
            return; /* a callback closed the fanout */
        }
        s = next;
    }
}

static void readNext(struct gw_fanout *f);

/* Whether the next page may be read now: it would drop no event a joined
 * subscriber still needs, or only a minority's, held back hold_ms
 * already (the header says why). */
static bool mayRead(struct gw_fanout *f)
{
    uint64_t held = f->last - f->first + 1;
    if (held + GW_FANOUT_PAGE <= f->o.cap) {
        f->held_since_ms = 0;
        return true;
    }
    /* A full page drops the events up to first + drop - 1. */
    uint64_t drop = held + GW_FANOUT_PAGE - f->o.cap;
    uint32_t behind = 0;
    struct gw_fanout_sub *s = f->head._next;
    for (uint32_t n = f->n_subs; s != &f->head && n > 0; n--, s = s->_next) {
        behind += s->cursor + 1 < f->first + drop;
    }
    if (behind == 0) {
        f->held_since_ms = 0;
        return true;
    }
    uint64_t now = uv_now(f->o.loop);
    if (f->held_since_ms == 0) {
        f->held_since_ms = now;
    }
    return 2 * behind < f->n_subs && now - f->held_since_ms >= f->o.hold_ms;
}

/* After feedAll: true if a callback closed the fanout (now finished). */
static bool afterFeed(struct gw_fanout *f)
{
    if (f->closed) {
        return true;
    }
    if (f->closing) {
        finish(f);
        return true;
    }
    return false;
}

static void pauseTick(uv_timer_t *t)
{
    struct gw_fanout *f = t->data;
    if (ending(f)) {
        finish(f);
        return;
    }
    if (!mayRead(f)) {
        uv_timer_start(&f->timer, pauseTick, f->o.poll_ms, 0);
        return;
    }
    readNext(f);
}

/* The status of libslot's node: reads go to a member that is not the
 * leader, if there is one. */
static void statusDone(struct gw_fanout *f, const struct slotc_req *sr)
{
    f->node_known = true;
    f->node[0] = '\0';
    const struct slotc_node_status *st = sr->out.status;
    if (sr->status != SLOT_OK || st == NULL || st->leader_id == 0) {
        return;
    }
    char raft[SLOTC_ADDRESS_MAX + 1];
    for (uint32_t i = 0; i < st->n_members && i < SLOTC_MEMBERS_MAX; i++) {
        const struct slotc_member *m = &st->members[i];
        if (m->id != st->leader_id &&
            slotc_address_split(m->address, raft, sizeof raft, f->node,
                                sizeof f->node) == SLOT_OK &&
            f->node[0] != '\0') {
            return;
        }
    }
    f->node[0] = '\0';
}

static void readDone(struct slotc_req *sr)
{
    struct gw_fanout *f = sr->data;
    f->reading = false;
    gw_metrics_cluster(f->o.metrics, sr->op, sr->status,
                       (uv_hrtime() - f->sent_ns) / 1000);
    if (ending(f)) {
        finish(f);
        return;
    }
    if (sr->op == SLOTC_OP_STATUS) {
        statusDone(f, sr);
        readNext(f);
        return;
    }
    const struct slotc_out *o = &sr->out;
    if (sr->status == SLOT_CURSOR_EXPIRED) {
        /* Events after the ring's end were dropped from the cluster's
         * window: the ring restarts at the oldest one held. Subscribers
         * behind it read on their own and meet CURSOR_EXPIRED. */
        gw_log_error(f->o.log,
                     "event follower after %" PRIu64
                     ": CURSOR_EXPIRED (oldest held %" PRIu64 ")",
                     f->last, o->first);
        ringReset(f, o->first > 0 ? o->first - 1 : 0);
        feedAll(f);
        if (!afterFeed(f)) {
            uv_timer_start(&f->timer, pauseTick, 0, 0);
        }
        return;
    }
    if (sr->status != SLOT_OK) {
        /* An election, a node down: the same cursor after the pause. */
        if (!f->failing) {
            gw_log_error(f->o.log,
                         "event follower read after %" PRIu64 " from %s: %s",
                         f->last, f->node[0] ? f->node : "the client's node",
                         gw_err_name(sr->status));
        }
        f->failing = true;
        f->node_known = false; /* that node may be gone: ask again */
        uv_timer_start(&f->timer, pauseTick, f->o.poll_ms, 0);
        return;
    }
    f->failing = false;
    for (uint32_t i = 0; i < o->n_events; i++) {
        append(f, &o->events[i]);
    }
    if (o->n_events > 0) {
        feedAll(f);
        if (afterFeed(f)) {
            return;
        }
    }
    f->node_skip = sr->node != NULL && o->n_events < GW_FANOUT_PAGE;
    if (o->n_events == GW_FANOUT_PAGE && mayRead(f)) {
        readNext(f);
    } else {
        uv_timer_start(&f->timer, pauseTick, f->o.poll_ms, 0);
    }
}

static void readNext(struct gw_fanout *f)
{
    slotc_req_init(&f->sreq);
    f->sreq.data = f;
    f->sreq.timeout_ms = f->o.timeout_ms;
    /* Any node's applied events are final (the feed is the same on every
     * replica, a stale copy only shorter): a linearizable read would cost
     * the leader a barrier per page for nothing. */
    f->sreq.flags = SLOTC_STALE;
    f->sent_ns = uv_hrtime();
    int rc;
    if (!f->node_known) {
        f->sreq.flags = SLOTC_NO_HASH;
        f->reading = true;
        rc = slotc_status(f->o.slot, &f->sreq, readDone);
        if (rc == SLOT_OK) {
            return;
        }
        f->reading = false;
        f->node_known = true; /* read from libslot's choice meanwhile */
        f->node[0] = '\0';
        slotc_req_init(&f->sreq);
        f->sreq.data = f;
        f->sreq.timeout_ms = f->o.timeout_ms;
        f->sreq.flags = SLOTC_STALE;
    }
    f->sreq.node = f->node[0] != '\0' && !f->node_skip ? f->node : NULL;
    f->reading = true;
    rc = slotc_read_events(f->o.slot, &f->sreq, f->last, GW_FANOUT_PAGE,
                           readDone);
    if (rc != SLOT_OK) {
        f->reading = false;
        uv_timer_start(&f->timer, pauseTick, f->o.poll_ms, 0);
    }
}

struct gw_fanout *gw_fanout_new(const struct gw_fanout_opts *o, uint64_t cursor)
{
    assert(o->cap >= 2 * GW_FANOUT_PAGE);
    struct gw_fanout *f = calloc(1, sizeof *f);
    if (f == NULL) {
        return NULL;
    }
    /* calloc: the pages are touched only as the ring fills. */
    f->ring = calloc(o->cap, sizeof *f->ring);
    if (f->ring == NULL) {
        free(f);
        return NULL;
    }
    f->o = *o;
    f->first = cursor + 1;
    f->last = cursor;
    f->head._next = f->head._prev = &f->head;
    uv_timer_init(o->loop, &f->timer);
    f->timer.data = f;
    readNext(f);
    return f;
}

bool gw_fanout_join(struct gw_fanout *f, struct gw_fanout_sub *sub,
                    uint64_t cursor)
{
    assert(!sub->_joined && !f->closing && !f->closed);
    if (cursor + 1 < f->first) {
        return false;
    }
    sub->_prev = f->head._prev;
    sub->_next = &f->head;
    f->head._prev->_next = sub;
    f->head._prev = sub;
    sub->_joined = true;
    sub->cursor = cursor;
    f->n_subs++;
    return true;
}

void gw_fanout_leave(struct gw_fanout *f, struct gw_fanout_sub *sub)
{
    if (!sub->_joined) {
        return;
    }
    (void)f;
    sub->_prev->_next = sub->_next;
    sub->_next->_prev = sub->_prev;
    sub->_prev = sub->_next = NULL;
    sub->_joined = false;
    f->n_subs--;
}

int gw_fanout_at(const struct gw_fanout *f, uint64_t cursor,
                 const struct slotc_event **ev)
{
    if (cursor + 1 < f->first) {
        return GW_FANOUT_GONE;
    }
    if (cursor >= f->last) {
        return GW_FANOUT_NONE;
    }
    *ev = &f->ring[(cursor + 1) % f->o.cap].ev;
    assert((*ev)->seq == cursor + 1);
    return GW_FANOUT_EVENT;
}

const char *gw_fanout_frame(struct gw_fanout *f, const struct slotc_event *ev,
                            bool redacted, size_t *len)
{
    struct foEntry *e = &f->ring[ev->seq % f->o.cap];
    assert(&e->ev == ev);
    int k = redacted ? 1 : 0;
    if (e->frame[k] == NULL) {
        char st[1024];
        struct gw_buf b;
        gw_buf_init(&b, st, sizeof st);
        gw_sse_event(&b, ev, redacted);
        char *p = b.oom ? NULL : malloc(b.len);
        if (p != NULL) {
            memcpy(p, b.p, b.len);
            e->frame[k] = p;
            e->frame_len[k] = (uint32_t)b.len;
        }
        gw_buf_free(&b);
        if (p == NULL) {
            return NULL;
        }
    }
    *len = e->frame_len[k];
    return e->frame[k];
}

uint64_t gw_fanout_first(const struct gw_fanout *f)
{
    return f->first;
}

uint64_t gw_fanout_last(const struct gw_fanout *f)
{
    return f->last;
}

uint32_t gw_fanout_subs(const struct gw_fanout *f)
{
    return f->n_subs;
}

void gw_fanout_close(struct gw_fanout *f)
{
    if (f->closing || f->closed) {
        return;
    }
    f->closing = true;
    detachAll(f);
    if (!f->reading) {
        finish(f);
    }
}
