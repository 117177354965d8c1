/* gw_http_events: the event feed's routes on libslot (see gw_httpInt.h and
 * gw_events.h for who sees what):
 *
 *   GET /v1/events?after=&limit=&wait_ms=         a long poll (JSON)
 *   GET /v1/events/stream?after=&limit=           Server-Sent Events
 *
 * A long poll reads the feed itself, through libslot, one page at a
 * time: a full page is followed by the next read at once, a short one
 * (caught up) by a pause of limits.events_poll_ms on a libuv timer.
 *
 * A stream shares one follower with every other stream (gw_fanout.h):
 * with a thousand subscribers following a 50,000 events/s burst, each
 * reading for itself would cost the cluster a thousand reads of every
 * page and the gateway a thousand JSON encodings of every event. The
 * follower reads the feed once into a bounded ring of recent events
 * (limits.events_shared_max) and every stream whose cursor is inside it
 * takes its events from there, filtered for its viewer, each event's
 * frame encoded once. Caught up, it reads every events_shared_poll_ms
 * (20): being one reader, it can afford to poll often, and that pause is
 * what bounds a subscriber's delivery lag. A stream whose cursor is older than the ring (a
 * resume from far behind, a socket slower than the ring's span) reads on
 * its own, as every subscriber did before, until a page brings it into
 * the ring; then it joins. So a subscriber costs at most one read in
 * flight and one page of memory (a stream: at most events_buffer_bytes
 * more, queued for its socket), the ring costs events_shared_max events
 * once, the loop never blocks, and the cluster sees at most events_max
 * readers plus the follower.
 *
 * A long poll (a struct evpoll beside its gw_call):
 *
 *     read --(error)--------------------------------> answer the error
 *      |  \--(a shown event, or wait spent, or stopping)--> answer the page
 *      |   \--(nothing shown, page full)--> read (cursor moved on)
 *      |    \--(nothing shown, short page)--> timer --> read
 *
 * A stream (a struct evstream): its first read (its own) decides the
 * answer (an error is a JSON error, CURSOR_EXPIRED 410); then the
 * response starts (h2o_start_response with a generator) and a repeating
 * timer drives it: each tick writes a heartbeat comment when nothing was
 * written for events_heartbeat_ms, and reads the next page unless a read
 * is pending or the stream is in the ring:
 *
 *     own read --(page queued whole, cursor inside the ring)--> in ring
 *        ^  \--(otherwise)--> own read (at once if the page was full and
 *        |                    the queue has room, else on the tick)
 *        |
 *        '--(its next event left the ring)-- in ring --(each page the
 *             follower appends, each proceed, each tick)--> streamFeed
 *
 * The follower starts with the first stream that joins (at its cursor)
 * and ends when the last one leaves; if it ends, its streams read on
 * their own and start a new one at their next page.
 * h2o holds one buffer at a time (h2o_send until proceed); the stream
 * appends to the other. It ends with an "error" event when its cursor
 * falls out of the window (CURSOR_EXPIRED), when its queue would pass
 * events_buffer_bytes (SLOW_SUBSCRIBER) or when the gateway stops
 * (SHUTDOWN); when the client goes, h2o calls stop, and the stream is
 * freed once its read and timer are done.
 */
#include <h2o.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gw_err.h"
#include "gw_events.h"
#include "gw_httpInt.h"
#include "gw_json.h"
#include "gw_route.h"

/* ---- shared -------------------------------------------------------------- */

/* The viewer of a request: the token's channel, its X-Account. */
static struct gw_ev_viewer viewerOf(const struct gw *g, int channel,
                                    const char *account)
{
    struct gw_ev_viewer v = {channel == GW_CH_ADMIN,
                             gw_config_channel_name(g->cfg, channel), account};
    return v;
}

/* {"first":F,"last":L} members of a CURSOR_EXPIRED. */
static void expiredExtra(char *out, size_t cap, const struct slotc_out *o)
{
    gw_ev_expired_extra(out, cap, o->first, o->last);
}

static int readEvents(struct gw *g, struct slotc_req *sr, void *data,
                      uint64_t after, uint32_t limit, slotc_cb cb)
{
    slotc_req_init(sr);
    sr->data = data;
    sr->timeout_ms = g->cfg->limits.request_timeout_ms;
    return slotc_read_events(g->slot, sr, after, limit, cb);
}

/* ---- long poll ----------------------------------------------------------- */

struct evpoll {
    struct gw_call *call; /* NULL once answered */
    struct slotc_req sreq;
    uv_timer_t timer;
    uint64_t cursor;      /* the last seq examined */
    uint64_t first, last; /* of the last read */
    uint64_t deadline_ms; /* uv_now() by which to answer */
    uint64_t sent_ns;
    bool reading;
};

static void pollFreed(uv_handle_t *h)
{
    free(h->data);
}

/* Done with the call (answered or gone): the poll's resources go. */
static void pollFinish(struct evpoll *p)
{
    struct gw *g = p->call->g;
    gw__call_free(p->call);
    p->call = NULL;
    g->ev_active--;
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, pollFreed);
}

static void pollGone(struct evpoll *p)
{
    struct gw_call *call = p->call;
    struct gw *g = call->g;
    const struct gw_route *rt = &gw_routes[call->route];
    uint64_t us = (uv_hrtime() - call->t0_ns) / 1000;
    gw_metrics_request(&g->metrics, call->route, 499, call->channel, us);
    gw_log_request(
        g->log, rt->method, strlen(rt->method), rt->path, strlen(rt->path), 499,
        us, gw_config_channel_name(g->cfg, call->channel), "CLIENT_GONE");
    pollFinish(p);
}

static void pollAnswer(struct evpoll *p, const struct slotc_event *ev,
                       uint32_t n)
{
    struct gw_call *call = p->call;
    struct gw_ev_viewer v = viewerOf(call->g, call->channel, call->a.account);
    char st[4096];
    struct gw_buf b;
    gw_buf_init(&b, st, sizeof st);
    gw_json_events_page(&b, &v, ev, n, p->cursor, p->first, p->last);
    gw__reply_json(call, 200, &b, NULL);
    gw_buf_free(&b);
    pollFinish(p);
}

static void pollRead(struct evpoll *p);

static void pollTick(uv_timer_t *t)
{
    struct evpoll *p = t->data;
    if (p->call->hreq == NULL) {
        pollGone(p);
    } else if (p->call->g->stopping || uv_now(t->loop) >= p->deadline_ms) {
        pollAnswer(p, NULL, 0);
    } else {
        pollRead(p);
    }
}

static void pollDone(struct slotc_req *sr)
{
    struct evpoll *p = sr->data;
    struct gw_call *call = p->call;
    struct gw *g = call->g;
    p->reading = false;
    gw_metrics_cluster(&g->metrics, sr->op, sr->status,
                       (uv_hrtime() - p->sent_ns) / 1000);
    if (call->hreq == NULL) {
        pollGone(p);
        return;
    }
    if (sr->status != SLOT_OK) {
        if (sr->status == SLOT_CURSOR_EXPIRED) {
            char extra[64];
            expiredExtra(extra, sizeof extra, &sr->out);
            gw__call_error(call, SLOT_CURSOR_EXPIRED, gw_ev_expired_msg, extra);
        } else {
            gw__result_error(call, sr->status);
        }
        pollFinish(p);
        return;
    }
    const struct slotc_out *o = &sr->out;
    p->first = o->first;
    p->last = o->last;
    struct gw_ev_viewer v = viewerOf(g, call->channel, call->a.account);
    bool shown = false;
    for (uint32_t i = 0; i < o->n_events && !shown; i++) {
        shown = gw_ev_visible(&v, &o->events[i]) != GW_EV_HIDDEN;
    }
    uint64_t now = uv_now(g->loop);
    if (shown || now >= p->deadline_ms || g->stopping) {
        pollAnswer(p, o->events, o->n_events);
        return;
    }
    /* Nothing this reader may see: move past it and wait on. */
    if (o->n_events > 0) {
        p->cursor = o->events[o->n_events - 1].seq;
    }
    if (o->n_events == call->a.query.limit) {
        pollRead(p);
        return;
    }
    uint64_t wait = g->cfg->limits.events_poll_ms;
    if (now + wait > p->deadline_ms) {
        wait = p->deadline_ms - now;
    }
    uv_timer_start(&p->timer, pollTick, wait, 0);
}

static void pollRead(struct evpoll *p)
{
    struct gw_call *call = p->call;
    p->reading = true;
    p->sent_ns = uv_hrtime();
    int rc = readEvents(call->g, &p->sreq, p, p->cursor, call->a.query.limit,
                        pollDone);
    if (rc != SLOT_OK) {
        p->reading = false;
        if (rc == SLOT_BUSY) {
            call->g->metrics.rejects[GW_REJECT_CLIENT_BUSY]++;
            gw__call_error(call, GW_OVERLOADED,
                           "the cluster client's queue is full; retry later",
                           NULL);
        } else {
            gw__call_error(call, rc, NULL, NULL);
        }
        pollFinish(p);
    }
}

static void pollStart(struct gw_call *call)
{
    struct gw *g = call->g;
    struct evpoll *p = calloc(1, sizeof *p);
    if (p == NULL) {
        gw__call_error(call, GW_INTERNAL, "out of memory", NULL);
        gw__call_free(call);
        return;
    }
    g->ev_active++;
    p->call = call;
    p->cursor = call->a.query.after_version;
    p->deadline_ms = uv_now(g->loop) + call->a.query.wait_ms;
    uv_timer_init(g->loop, &p->timer);
    p->timer.data = p;
    pollRead(p);
}

/* ---- Server-Sent Events --------------------------------------------------- */

struct evstream {
    struct gw *g;
    struct gw_call *call;   /* until the response starts (errors) */
    h2o_req_t *hreq;        /* NULL once h2o stopped or disposed of it */
    struct evstream **link; /* in hreq's pool */
    h2o_generator_t gen;    /* h2o's view of us */
    uv_timer_t timer;
    struct slotc_req sreq;
    struct gw_evq q;
    int channel;
    char account[SLOTC_PATIENT_KEY_MAX + 1];
    uint64_t cursor; /* the last seq examined */
    uint32_t limit;
    uint64_t t0_ns, sent_ns;
    uint64_t wrote_ms;    /* uv_now() of the last queued write */
    uint64_t progress_ms; /* uv_now() when the socket last took bytes, or
                           * nothing was waiting for it */
    uint64_t kill_ms;     /* a stalled stream's connection is shut at this
                           * uv_now() if its last bytes are still stuck */
    int fd;               /* the connection's socket (HTTP/1), or -1 */
    uint64_t events;      /* events sent */
    int end_code;         /* SLOT_OK, or the error event's code */
    bool started;         /* h2o_start_response was called */
    bool can_send;        /* h2o holds none of our buffers */
    bool ending;          /* the last bytes are queued: FINAL after them */
    bool finished;        /* FINAL sent */
    bool reading;
    bool backlog; /* the feed has more than was queued: read on when the
                   * queue has room */
    bool failing; /* the last read failed (logged once per outage) */
    bool closing; /* the timer is closing: freed in its callback */
    /* Served from the shared follower's ring (g->fanout) instead of its
     * own reads; sub._joined says whether it is. */
    struct gw_fanout_sub sub;
};

/* Stops being served from the ring (no-op if it is not). */
static void streamLeave(struct evstream *s)
{
    if (s->sub._joined && s->g->fanout != NULL) {
        gw_fanout_leave(s->g->fanout, &s->sub);
    }
}

static void streamTimerClosed(uv_handle_t *h)
{
    struct evstream *s = h->data;
    gw_evq_free(&s->q);
    free(s);
}

/* Frees the stream once nothing refers to it any more: h2o (hreq), the
 * pending read and the timer. */
static void streamMaybeFree(struct evstream *s)
{
    if (s->call != NULL || s->hreq != NULL || s->reading || s->closing) {
        return;
    }
    s->closing = true;
    struct gw *g = s->g;
    streamLeave(s);
    g->ev_active--;
    if (s->started) {
        const struct gw_route *rt = &gw_routes[GW_R_EVENTS_STREAM];
        uint64_t us = (uv_hrtime() - s->t0_ns) / 1000;
        /* The status sent (200); the code says how the stream ended:
         * "-" when the client closed it. */
        gw_metrics_request(&g->metrics, GW_R_EVENTS_STREAM, 200, s->channel,
                           us);
        gw_log_request(g->log, rt->method, strlen(rt->method), rt->path,
                       strlen(rt->path), 200, us,
                       gw_config_channel_name(g->cfg, s->channel),
                       s->end_code == SLOT_OK ? "-" : gw_err_name(s->end_code));
    }
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, streamTimerClosed);
}

static void streamDispose(void *p)
{
    struct evstream **link = p;
    if (*link != NULL) {
        (*link)->hreq = NULL;
        (*link)->link = NULL;
        streamMaybeFree(*link);
    }
}

static void streamRead(struct evstream *s);
static void streamFeed(struct gw_fanout_sub *sub);

/* Room for another page: at most half the bound queued. */
static bool streamRoom(struct evstream *s)
{
    return gw_evq_tail(&s->q)->len <= s->q.max / 2;
}

/* Hands the queued bytes to h2o when it holds none of ours. */
static void streamPump(struct evstream *s)
{
    if (s->hreq == NULL || !s->started || !s->can_send || s->finished) {
        return;
    }
    size_t len = 0;
    const char *p = gw_evq_take(&s->q, &len);
    if (p == NULL && !s->ending) {
        return;
    }
    h2o_iovec_t v = h2o_iovec_init(p, len);
    s->can_send = false;
    if (s->ending) {
        /* Everything queued goes with the final send. */
        s->finished = true;
    }
    h2o_send(s->hreq, &v, p != NULL ? 1 : 0,
             s->ending ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void streamProceed(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    struct evstream *s = H2O_STRUCT_FROM_MEMBER(struct evstream, gen, gen);
    gw_evq_sent(&s->q);
    s->can_send = true;
    s->progress_ms = uv_now(s->g->loop);
    streamPump(s);
    /* Catching up runs at the socket's pace: the next page when this one
     * has gone. */
    if (s->sub._joined) {
        streamFeed(&s->sub);
    } else if (s->backlog && !s->reading && !s->ending && streamRoom(s)) {
        streamRead(s);
    }
}

static void streamStop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    struct evstream *s = H2O_STRUCT_FROM_MEMBER(struct evstream, gen, gen);
    /* The client went away: no more h2o_send. The pool's dispose
     * callback frees us (once the read and timer are done). */
    if (s->link != NULL) {
        *s->link = NULL;
        s->link = NULL;
    }
    s->hreq = NULL;
    streamMaybeFree(s);
}

/* Ends the stream with an error event (beyond the queue's bound: it is
 * small, and the last thing queued). */
static void streamEnd(struct evstream *s, int code, const char *msg,
                      const char *extra)
{
    if (s->ending) {
        return;
    }
    /* Its last bytes may take long: it must not hold the follower. */
    streamLeave(s);
    s->end_code = code;
    gw_sse_error(gw_evq_tail(&s->q), code, msg, extra);
    s->ending = true;
    streamPump(s);
}

/* Queues the page's events the viewer may see, as far as they fit in the
 * queue's bound; the cursor moves past what was queued (and what was
 * examined and hidden). Returns false if it stopped before the page's
 * end: the rest is read again once the socket has taken some. */
static bool streamQueue(struct evstream *s, const struct slotc_out *o)
{
    struct gw_ev_viewer v = viewerOf(s->g, s->channel, s->account);
    for (uint32_t i = 0; i < o->n_events; i++) {
        const struct slotc_event *e = &o->events[i];
        int vis = gw_ev_visible(&v, e);
        if (vis != GW_EV_HIDDEN) {
            char st[1024];
            struct gw_buf one;
            gw_buf_init(&one, st, sizeof st);
            gw_sse_event(&one, e, vis == GW_EV_REDACTED);
            if (one.oom || !gw_evq_fits(&s->q, one.len)) {
                gw_buf_free(&one);
                return false;
            }
            gw_buf_put(gw_evq_tail(&s->q), one.p, one.len);
            gw_buf_free(&one);
            s->q.last_seq = e->seq;
            s->events++;
            s->wrote_ms = uv_now(s->g->loop);
        }
        s->cursor = e->seq;
    }
    return true;
}

/* Bounds what the kernel buffers for a subscriber that does not read to
 * about the stream's own bound: otherwise TCP autotuning lets a stuck
 * socket take megabytes (tcp_wmem) before the stream's queue fills, and
 * "too far behind" would mean whatever the kernel allowed. HTTP/1 only:
 * an HTTP/2 connection's socket carries other requests. */
static int capSendBuffer(h2o_req_t *req, uint32_t bytes)
{
    if (req->version >= 0x200 || req->conn->callbacks->get_socket == NULL) {
        return -1;
    }
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    int fd = sock != NULL ? h2o_socket_get_fd(sock) : -1;
    int v = (int)bytes;
    if (fd >= 0) {
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    }
    return fd;
}

/* The shared follower ended (no stream left on it, or the gateway
 * stops): its streams were removed from it and read on their own. */
static void fanoutClosed(struct gw_fanout *f, void *data)
{
    struct gw *g = data;
    if (g->fanout == f) {
        g->fanout = NULL;
    }
    g->ev_active--;
    g->ev_followers--;
}

/* Joins the shared ring if the stream's cursor is inside it (starting
 * the follower at this cursor if there is none). Returns whether it
 * joined; if not, the stream goes on reading on its own. */
static bool streamJoin(struct evstream *s)
{
    struct gw *g = s->g;
    uint32_t cap = g->cfg->limits.events_shared_max;
    if (cap == 0 || g->stopping || s->ending || s->hreq == NULL) {
        return false;
    }
    if (g->fanout == NULL) {
        struct gw_fanout_opts o = {
            .loop = g->loop,
            .slot = g->slot,
            .metrics = &g->metrics,
            .log = g->log,
            .cap = cap,
            .poll_ms = g->cfg->limits.events_shared_poll_ms,
            .hold_ms = g->cfg->limits.events_shared_hold_ms,
            .timeout_ms = g->cfg->limits.request_timeout_ms,
            .stopping = &g->stopping,
            .closed_cb = fanoutClosed,
            .data = g,
        };
        g->fanout = gw_fanout_new(&o, s->cursor);
        if (g->fanout == NULL) {
            return false; /* out of memory: this stream reads on its own */
        }
        g->ev_active++;
        g->ev_followers++;
    }
    s->sub.feed_cb = streamFeed;
    return gw_fanout_join(g->fanout, &s->sub, s->cursor);
}

/* New events in the shared ring, or room in the queue: queues the events
 * after the cursor the viewer may see, as far as the queue's bound
 * allows (the rest when the socket has taken some: streamProceed). Each
 * event's frame is the ring's, encoded once for every stream. A cursor
 * the ring has dropped (this socket was slower than the ring's span)
 * sends the stream back to its own reads, which go on from that cursor:
 * no gap, no duplicate. */
static void streamFeed(struct gw_fanout_sub *sub)
{
    struct evstream *s = H2O_STRUCT_FROM_MEMBER(struct evstream, sub, sub);
    struct gw *g = s->g;
    if (s->hreq == NULL || !s->started || s->ending) {
        return;
    }
    struct gw_ev_viewer v = viewerOf(g, s->channel, s->account);
    bool queued = false;
    /* Bounded by the ring's size: a call examines each held event at most
     * once. */
    for (uint32_t n = 0; n < g->cfg->limits.events_shared_max; n++) {
        const struct slotc_event *e = NULL;
        int at = gw_fanout_at(g->fanout, s->cursor, &e);
        if (at == GW_FANOUT_NONE) {
            break;
        }
        if (at == GW_FANOUT_GONE) {
            gw_fanout_leave(g->fanout, sub);
            s->backlog = true;
            if (!s->reading && streamRoom(s)) {
                streamRead(s);
            }
            break;
        }
        int vis = gw_ev_visible(&v, e);
        if (vis != GW_EV_HIDDEN) {
            size_t len = 0;
            const char *fr =
                gw_fanout_frame(g->fanout, e, vis == GW_EV_REDACTED, &len);
            if (fr == NULL || !gw_evq_fits(&s->q, len)) {
                break; /* taken up again when the socket has taken some,
                        * or on the next tick */
            }
            gw_buf_put(gw_evq_tail(&s->q), fr, len);
            s->q.last_seq = e->seq;
            s->events++;
            queued = true;
        }
        s->cursor = e->seq;
    }
    if (queued) {
        s->wrote_ms = uv_now(g->loop);
    }
    sub->cursor = s->cursor; /* how far behind the follower it is */
    streamPump(s);
}

/* The first read decided: the response starts. */
static void streamStart(struct evstream *s)
{
    h2o_req_t *req = s->call->hreq;
    struct gw *g = s->g;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/event-stream; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-cache"));
    /* nginx and its kin would buffer the stream otherwise. */
    h2o_add_header_by_str(&req->pool, &req->res.headers,
                          H2O_STRLIT("x-accel-buffering"), 0, NULL,
                          H2O_STRLIT("no"));
    s->fd = capSendBuffer(req, g->cfg->limits.events_buffer_bytes);
    s->link = h2o_mem_alloc_shared(&req->pool, sizeof *s->link, streamDispose);
    *s->link = s;
    s->hreq = req;
    /* The call's work is done: it stops counting as in flight (the
     * stream counts in ev_active). */
    gw__call_free(s->call);
    s->call = NULL;
    s->gen.proceed = streamProceed;
    s->gen.stop = streamStop;
    s->started = true;
    s->can_send = true;
    h2o_start_response(req, &s->gen);
    /* The headers go out at once with the first bytes: the reconnection
     * delay the browser's EventSource uses. */
    gw_buf_puts(gw_evq_tail(&s->q), "retry: 1000\n\n");
    s->wrote_ms = s->progress_ms = uv_now(g->loop);
}

static void streamDone(struct slotc_req *sr)
{
    struct evstream *s = sr->data;
    struct gw *g = s->g;
    s->reading = false;
    gw_metrics_cluster(&g->metrics, sr->op, sr->status,
                       (uv_hrtime() - s->sent_ns) / 1000);
    if (!s->started) {
        struct gw_call *call = s->call;
        if (call->hreq == NULL || sr->status != SLOT_OK) {
            if (call->hreq == NULL) {
                /* The client went before the first page. */
                const struct gw_route *rt = &gw_routes[call->route];
                uint64_t us = (uv_hrtime() - call->t0_ns) / 1000;
                gw_metrics_request(&g->metrics, call->route, 499, call->channel,
                                   us);
                gw_log_request(g->log, rt->method, strlen(rt->method), rt->path,
                               strlen(rt->path), 499, us,
                               gw_config_channel_name(g->cfg, call->channel),
                               "CLIENT_GONE");
            } else if (sr->status == SLOT_CURSOR_EXPIRED) {
                char extra[64];
                expiredExtra(extra, sizeof extra, &sr->out);
                gw__call_error(call, SLOT_CURSOR_EXPIRED, gw_ev_expired_msg,
                               extra);
            } else {
                gw__result_error(call, sr->status);
            }
            gw__call_free(call);
            s->call = NULL;
            streamMaybeFree(s);
            return;
        }
        streamStart(s);
    }
    if (s->hreq == NULL) {
        streamMaybeFree(s);
        return;
    }
    if (s->ending) {
        return;
    }
    if (sr->status == SLOT_CURSOR_EXPIRED) {
        char extra[64];
        expiredExtra(extra, sizeof extra, &sr->out);
        streamEnd(s, SLOT_CURSOR_EXPIRED, gw_ev_expired_msg, extra);
        return;
    }
    if (sr->status != SLOT_OK) {
        /* A read the cluster could not answer in time (an election, a
         * node down): the next tick tries again from the same cursor.
         * Logged once per outage, not per tick and stream. */
        if (!s->failing) {
            gw_log_error(g->log, "event stream read after %" PRIu64 ": %s",
                         s->cursor, gw_err_name(sr->status));
        }
        s->failing = true;
        return;
    }
    s->failing = false;
    bool whole = streamQueue(s, &sr->out);
    s->backlog = !whole || sr->out.n_events == s->limit;
    if (whole && streamJoin(s)) {
        /* Caught up into the ring: served from it from now on. */
        s->backlog = false;
        streamFeed(&s->sub);
        return;
    }
    streamPump(s);
    if (s->backlog && streamRoom(s)) {
        /* A full page: the feed has more now. The queue's room, not the
         * timer, paces a stream that catches up. */
        streamRead(s);
    }
}

static void streamRead(struct evstream *s)
{
    s->reading = true;
    s->sent_ns = uv_hrtime();
    int rc = readEvents(s->g, &s->sreq, s, s->cursor, s->limit, streamDone);
    if (rc != SLOT_OK) {
        s->reading = false;
        if (!s->started) {
            /* Not begun: answered as any refused submit. */
            struct gw_call *call = s->call;
            s->call = NULL;
            gw__submit_failed(call, rc);
            streamMaybeFree(s);
        } else {
            gw_log_error(s->g->log, "event stream read: %s", gw_err_name(rc));
        }
    }
}

static void streamTick(uv_timer_t *t)
{
    struct evstream *s = t->data;
    struct gw *g = s->g;
    if (!s->started) {
        return; /* the first read is pending */
    }
    if (s->hreq == NULL) {
        streamMaybeFree(s);
        return;
    }
    uint64_t now = uv_now(g->loop);
    if (s->ending) {
        if (s->kill_ms != 0 && now >= s->kill_ms && s->fd >= 0) {
            /* Its last bytes are stuck too: the connection goes (h2o's
             * pending write fails, the stream is freed through stop). */
            (void)shutdown(s->fd, SHUT_RDWR);
            s->kill_ms = 0;
        }
        return;
    }
    if (g->stopping) {
        if (g->fanout != NULL) {
            /* Its streams end now: the follower need not read on. */
            struct gw_fanout *f = g->fanout;
            g->fanout = NULL;
            gw_fanout_close(f);
        }
        streamEnd(s, SLOT_SHUTDOWN,
                  "the gateway is shutting down: reconnect with Last-Event-ID",
                  NULL);
        return;
    }
    bool waiting = s->q.sending >= 0 || gw_evq_tail(&s->q)->len > 0;
    if (!waiting) {
        s->progress_ms = now;
    } else if (now - s->progress_ms >= g->cfg->limits.events_stall_ms) {
        /* Its socket took nothing for events_stall_ms: too far behind to
         * keep (the queue stays bounded; its place and cursor would be
         * held for nothing). The client's Last-Event-ID is the last event
         * it got whole; what was queued goes out first, if ever. */
        char extra[64];
        snprintf(extra, sizeof extra, "\"last_event_id\":%" PRIu64,
                 s->q.last_seq);
        streamEnd(s, GW_SLOW_SUBSCRIBER, NULL, extra);
        s->kill_ms = now + g->cfg->limits.events_stall_ms;
        return;
    }
    if (now - s->wrote_ms >= g->cfg->limits.events_heartbeat_ms) {
        static const char hb[] = ": heartbeat\n\n";
        if (gw_evq_fits(&s->q, sizeof hb - 1)) {
            gw_buf_put(gw_evq_tail(&s->q), hb, sizeof hb - 1);
        }
        s->wrote_ms = now;
        streamPump(s);
    }
    if (s->sub._joined) {
        streamFeed(&s->sub); /* what a full queue or no memory held back */
    } else if (!s->reading && streamRoom(s)) {
        streamRead(s);
    }
}

/* The stream's cursor: Last-Event-ID (a browser's reconnection sends it
 * with the original URL) over ?after=. False if answered 400. */
static bool lastEventId(struct gw_call *call, uint64_t *cursor)
{
    static const char name[] = "last-event-id";
    h2o_req_t *req = call->hreq;
    ssize_t i =
        h2o_find_header_by_str(&req->headers, name, sizeof name - 1, -1);
    if (i < 0) {
        return true;
    }
    h2o_iovec_t v = req->headers.entries[i].value;
    if (h2o_find_header_by_str(&req->headers, name, sizeof name - 1, i) >= 0 ||
        !gw_parse_last_event_id(v.base, v.len, cursor)) {
        gw__call_error(call, SLOT_INVALID_ARGUMENT,
                       "Last-Event-ID must be one event's id (a decimal seq)",
                       NULL);
        return false;
    }
    return true;
}

static void streamOpen(struct gw_call *call)
{
    struct gw *g = call->g;
    uint64_t cursor = call->a.query.after_version;
    struct evstream *s = calloc(1, sizeof *s);
    if (s == NULL) {
        gw__call_error(call, GW_INTERNAL, "out of memory", NULL);
        gw__call_free(call);
        return;
    }
    g->ev_active++;
    s->g = g;
    s->call = call;
    s->channel = call->channel;
    snprintf(s->account, sizeof s->account, "%s", call->a.account);
    s->cursor = cursor;
    s->limit = call->a.query.limit;
    s->t0_ns = call->t0_ns;
    s->end_code = SLOT_OK;
    s->fd = -1;
    gw_evq_init(&s->q, g->cfg->limits.events_buffer_bytes);
    uv_timer_init(g->loop, &s->timer);
    s->timer.data = s;
    uint64_t tick = g->cfg->limits.events_poll_ms;
    uv_timer_start(&s->timer, streamTick, tick, tick);
    streamRead(s);
}

/* ---- entry --------------------------------------------------------------- */

void gw__events_submit(struct gw_call *call)
{
    struct gw *g = call->g;
    /* The request's own faults first: a 400 is the answer whatever the
     * load. */
    if (call->route == GW_R_EVENTS_STREAM &&
        !lastEventId(call, &call->a.query.after_version)) {
        gw__call_free(call);
        return;
    }
    if (g->ev_active - g->ev_followers >= g->cfg->limits.events_max) {
        g->metrics.rejects[GW_REJECT_OVERLOADED]++;
        gw__call_error(
            call, GW_OVERLOADED,
            "too many event subscribers on this gateway; retry later", NULL);
        gw__call_free(call);
        return;
    }
    if (call->route == GW_R_EVENTS_STREAM) {
        streamOpen(call);
    } else {
        pollStart(call);
    }
}
