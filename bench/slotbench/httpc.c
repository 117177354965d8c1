/* httpc: a pipelining HTTP/1.1 client on libuv (see httpc.h). */
#include "httpc.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TICK_MS        10u
#define READ_MIN       (64u << 10)
#define HEADERS_MAX    (64u << 10)
#define BODY_MAX       (16u << 20)
#define BACKOFF_MIN_MS 10u
#define BACKOFF_MAX_MS 1000u
/* Connects in progress at once: a listener's accept backlog (SOMAXCONN,
 * 4096) is not flooded when thousands open together. */
#define CONNECTING_MAX 256u

enum cstate { C_IDLE = 0, C_CONNECTING, C_OPEN, C_CLOSING };

struct buf {
    char *p;
    size_t len, cap;
};

struct hconn {
    struct httpc *h;
    int state;
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    struct buf out; /* waiting to be written */
    struct buf wb;  /* being written */
    bool writing;
    struct httpc_req *head, *tail; /* dispatched, answers awaited in order */
    uint32_t n;
    struct buf in;
    struct buf chunked; /* a decoded chunked body */
    uint64_t since;     /* loop time the connect started */
    uint64_t retry_at;
    uint32_t backoff_ms;
    uint32_t answered; /* on this connection since it opened (churn) */
    /* The ready FIFO: open, with room for another request. */
    struct hconn *rprev, *rnext;
    bool in_ready;
    /* The dirty stack: bytes in `out` to flush. */
    struct hconn *dnext;
    bool in_dirty;
    bool churn; /* closing after conn_reqs answers: reopen at once */
};

struct httpc {
    uv_loop_t *loop;
    struct httpc_options o;
    struct sockaddr_in addr;
    struct hconn *c;
    struct hconn *rhead, *rtail; /* the ready FIFO */
    struct hconn *dirty;         /* the dirty stack */
    uint32_t idle;               /* connections in C_IDLE */
    uint32_t connecting;         /* in C_CONNECTING */
    uint32_t cscan;              /* where the next connect scan starts */
    struct httpc_stats st;
    struct httpc_req *qh, *qt; /* waiting for a connection */
    uint32_t queued, pending;
    uv_timer_t tick;
    uint32_t handles;
    bool closing;
    void (*close_cb)(void *data);
    void *close_data;
};

static int bufReserve(struct buf *b, size_t more)
{
    if (b->len + more <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more) {
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static void readyPush(struct hconn *c)
{
    struct httpc *h = c->h;
    if (c->in_ready || c->state != C_OPEN || c->n >= h->o.depth) {
        return;
    }
    c->in_ready = true;
    c->rnext = NULL;
    c->rprev = h->rtail;
    if (h->rtail != NULL) {
        h->rtail->rnext = c;
    } else {
        h->rhead = c;
    }
    h->rtail = c;
}

static void readyRemove(struct hconn *c)
{
    struct httpc *h = c->h;
    if (!c->in_ready) {
        return;
    }
    if (c->rprev != NULL) {
        c->rprev->rnext = c->rnext;
    } else {
        h->rhead = c->rnext;
    }
    if (c->rnext != NULL) {
        c->rnext->rprev = c->rprev;
    } else {
        h->rtail = c->rprev;
    }
    c->rprev = c->rnext = NULL;
    c->in_ready = false;
}

static void markDirty(struct hconn *c)
{
    if (!c->in_dirty) {
        c->in_dirty = true;
        c->dnext = c->h->dirty;
        c->h->dirty = c;
    }
}

static void complete(struct httpc *h, struct httpc_req *r, int status,
                     const char *body, size_t len)
{
    h->pending--;
    r->_next = NULL;
    r->cb(r, status, body, len);
}

static void pump(struct httpc *h);
static void startConnect(struct hconn *c);
static void startConnects(struct httpc *h);

static void handleClosed(uv_handle_t *hd)
{
    struct httpc *h = hd->data;
    h->handles--;
    if (h->closing && h->handles == 0) {
        for (uint32_t i = 0; i < h->o.conns; i++) {
            free(h->c[i].out.p);
            free(h->c[i].wb.p);
            free(h->c[i].in.p);
            free(h->c[i].chunked.p);
        }
        free(h->c);
        void (*cb)(void *) = h->close_cb;
        void *data = h->close_data;
        free(h);
        if (cb != NULL) {
            cb(data);
        }
    }
}

static void connClosed(uv_handle_t *hd)
{
    struct hconn *c = (struct hconn *)hd->data;
    struct httpc *h = c->h;
    c->state = C_IDLE;
    h->idle++;
    bool churn = c->churn;
    c->churn = false;
    c->writing = false;
    c->out.len = c->wb.len = c->in.len = 0;
    hd->data = h;
    bool closing = h->closing;
    handleClosed(hd); /* may free h when closing */
    if (!closing) {
        if (churn) {
            /* A patient re-dialling: at once, no backoff. */
            c->retry_at = 0;
            if (h->connecting < CONNECTING_MAX) {
                startConnect(c);
            }
        }
        pump(h);
    }
}

/* Drops the connection; what it had in flight fails with `status`. */
static void failConn(struct hconn *c, int status)
{
    struct httpc *h = c->h;
    struct httpc_req *list = c->head;
    c->head = c->tail = NULL;
    c->n = 0;
    readyRemove(c);
    h->st.failures++;
    if (c->state == C_CONNECTING) {
        h->connecting--;
    }
    if (c->state == C_OPEN) {
        h->st.open--;
    }
    if (c->state == C_OPEN || c->state == C_CONNECTING) {
        c->state = C_CLOSING;
        uv_close((uv_handle_t *)&c->tcp, connClosed);
    }
    uint64_t now = uv_now(h->loop);
    c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (c->backoff_ms > BACKOFF_MAX_MS) {
        c->backoff_ms = BACKOFF_MAX_MS;
    }
    c->retry_at = now + c->backoff_ms;
    while (list != NULL) {
        struct httpc_req *r = list;
        list = r->_next;
        complete(h, r, status, NULL, 0);
    }
}

static void writeCb(uv_write_t *w, int status)
{
    struct hconn *c = w->data;
    c->writing = false;
    c->wb.len = 0;
    if (status < 0) {
        if (c->state == C_OPEN) {
            failConn(c, HTTPC_UNKNOWN);
        }
        return;
    }
    if (c->state == C_OPEN && c->out.len > 0) {
        struct buf t = c->wb;
        c->wb = c->out;
        c->out = t;
        uv_buf_t b = uv_buf_init(c->wb.p, (unsigned)c->wb.len);
        c->writing = true;
        c->wreq.data = c;
        if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, writeCb) != 0) {
            c->writing = false;
            failConn(c, HTTPC_UNKNOWN);
        }
    }
}

static void flush(struct hconn *c)
{
    if (c->state != C_OPEN || c->writing || c->out.len == 0) {
        return;
    }
    struct buf t = c->wb;
    c->wb = c->out;
    c->out = t;
    c->out.len = 0;
    uv_buf_t b = uv_buf_init(c->wb.p, (unsigned)c->wb.len);
    c->writing = true;
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, writeCb) != 0) {
        c->writing = false;
        failConn(c, HTTPC_UNKNOWN);
    }
}

/* Churn: the connection answered its conn_reqs requests and is idle; it
 * closes and opens again at once (connClosed). */
static void churnClose(struct hconn *c)
{
    struct httpc *h = c->h;
    readyRemove(c);
    h->st.churn_closes++;
    h->st.open--;
    c->churn = true;
    c->state = C_CLOSING;
    uv_close((uv_handle_t *)&c->tcp, connClosed);
}

/* Parses a chunked body starting at p (len bytes available) into
 * c->chunked. Returns bytes consumed, 0 if incomplete, -1 if malformed. */
static long parseChunked(struct hconn *c, const char *p, size_t len)
{
    size_t off = 0;
    c->chunked.len = 0;
    for (;;) {
        const char *eol = memmem(p + off, len - off, "\r\n", 2);
        if (eol == NULL) {
            return len - off > 32 ? -1 : 0;
        }
        char *end;
        unsigned long sz = strtoul(p + off, &end, 16);
        if (end == p + off || sz > BODY_MAX) {
            return -1;
        }
        off = (size_t)(eol - p) + 2;
        if (sz == 0) {
            /* No trailers expected: the final CRLF. */
            if (len - off < 2) {
                return 0;
            }
            return (long)(off + 2);
        }
        if (len - off < sz + 2) {
            return 0;
        }
        if (bufReserve(&c->chunked, sz) != 0) {
            return -1;
        }
        memcpy(c->chunked.p + c->chunked.len, p + off, sz);
        c->chunked.len += sz;
        off += sz + 2;
    }
}

/* Answers as many requests as c->in holds complete responses for. */
static void parse(struct hconn *c)
{
    struct httpc *h = c->h;
    size_t off = 0;
    while (c->state == C_OPEN && off < c->in.len) {
        const char *p = c->in.p + off;
        size_t avail = c->in.len - off;
        const char *hend = memmem(p, avail, "\r\n\r\n", 4);
        if (hend == NULL) {
            if (avail > HEADERS_MAX) {
                failConn(c, HTTPC_UNKNOWN);
                return;
            }
            break;
        }
        if (c->head == NULL || avail < 12 || memcmp(p, "HTTP/1.", 7) != 0) {
            failConn(c, HTTPC_UNKNOWN);
            return;
        }
        int status = atoi(p + 9);
        size_t hlen = (size_t)(hend - p) + 4;
        long clen = -1;
        bool chunked = false, close_after = memcmp(p, "HTTP/1.0", 8) == 0;
        uint64_t server_us = HTTPC_NO_TIMING;
        const char *line = (const char *)memchr(p, '\n', hlen) + 1;
        while (line < hend) {
            const char *eol = memchr(line, '\n', (size_t)(hend + 2 - line));
            if (eol == NULL) {
                break;
            }
            size_t ll = (size_t)(eol - line);
            if (ll > 15 && strncasecmp(line, "content-length:", 15) == 0) {
                clen = strtol(line + 15, NULL, 10);
            } else if (ll > 18 &&
                       strncasecmp(line, "transfer-encoding:", 18) == 0) {
                chunked = memmem(line, ll, "chunked", 7) != NULL;
            } else if (ll > 14 &&
                       strncasecmp(line, "server-timing:", 14) == 0) {
                /* "gw;dur=1.234": the gateway's time, in ms. */
                const char *d = memmem(line, ll, "dur=", 4);
                if (d != NULL) {
                    double ms = strtod(d + 4, NULL);
                    if (ms >= 0 && ms < 1e9) {
                        server_us = (uint64_t)(ms * 1000.0 + 0.5);
                    }
                }
            } else if (ll > 11 && strncasecmp(line, "connection:", 11) == 0) {
                const char *v = line + 11;
                while (*v == ' ') {
                    v++;
                }
                if (strncasecmp(v, "close", 5) == 0) {
                    close_after = true;
                } else if (strncasecmp(v, "keep-alive", 10) == 0) {
                    close_after = false;
                }
            }
            line = eol + 1;
        }
        const char *body;
        size_t blen, total;
        if (chunked) {
            long used = parseChunked(c, p + hlen, avail - hlen);
            if (used < 0) {
                failConn(c, HTTPC_UNKNOWN);
                return;
            }
            if (used == 0) {
                break;
            }
            body = c->chunked.p;
            blen = c->chunked.len;
            total = hlen + (size_t)used;
        } else {
            if (clen < 0) {
                clen = 0; /* we never send requests answered to EOF */
            }
            if (clen > (long)BODY_MAX) {
                failConn(c, HTTPC_UNKNOWN);
                return;
            }
            if (avail - hlen < (size_t)clen) {
                break;
            }
            body = p + hlen;
            blen = (size_t)clen;
            total = hlen + (size_t)clen;
        }
        struct httpc_req *r = c->head;
        c->head = r->_next;
        if (c->head == NULL) {
            c->tail = NULL;
        }
        c->n--;
        c->backoff_ms = 0;
        c->answered++;
        r->server_us = server_us;
        complete(h, r, status, body, blen);
        off += total;
        if (h->closing) {
            return;
        }
        if (close_after) {
            failConn(c, HTTPC_UNKNOWN);
            return;
        }
    }
    if (c->state == C_OPEN && off > 0) {
        memmove(c->in.p, c->in.p + off, c->in.len - off);
        c->in.len -= off;
    }
    if (c->state == C_OPEN && h->o.conn_reqs > 0 &&
        c->answered >= h->o.conn_reqs && c->n == 0 && c->out.len == 0) {
        churnClose(c);
    } else {
        readyPush(c);
    }
    if (!h->closing) {
        pump(h);
    }
}

static void allocCb(uv_handle_t *hd, size_t suggested, uv_buf_t *b)
{
    struct hconn *c = hd->data;
    (void)suggested;
    if (bufReserve(&c->in, READ_MIN) != 0) {
        *b = uv_buf_init(NULL, 0);
        return;
    }
    *b = uv_buf_init(c->in.p + c->in.len, (unsigned)(c->in.cap - c->in.len));
}

static void readCb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct hconn *c = s->data;
    (void)b;
    if (c->state != C_OPEN) {
        return;
    }
    if (nread < 0) {
        failConn(c, HTTPC_UNKNOWN);
        return;
    }
    c->in.len += (size_t)nread;
    parse(c);
}

static void connectCb(uv_connect_t *cr, int status)
{
    struct hconn *c = cr->data;
    if (c->state != C_CONNECTING) {
        return;
    }
    if (status < 0) {
        failConn(c, HTTPC_UNKNOWN);
        return;
    }
    struct httpc *h = c->h;
    c->state = C_OPEN;
    h->connecting--;
    h->st.open++;
    h->st.connects++;
    c->answered = 0;
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_read_start((uv_stream_t *)&c->tcp, allocCb, readCb) != 0) {
        failConn(c, HTTPC_UNKNOWN);
        return;
    }
    readyPush(c);
    startConnects(h); /* the initial fill goes on as connects finish */
    pump(h);
}

static void startConnect(struct hconn *c)
{
    struct httpc *h = c->h;
    if (uv_tcp_init(h->loop, &c->tcp) != 0) {
        return;
    }
    h->handles++;
    h->idle--;
    h->connecting++;
    c->tcp.data = c;
    c->creq.data = c;
    c->state = C_CONNECTING;
    c->since = uv_now(h->loop);
    if (uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&h->addr,
                       connectCb) != 0) {
        failConn(c, HTTPC_UNKNOWN);
    }
}

static void dispatch(struct hconn *c, struct httpc_req *r)
{
    if (bufReserve(&c->out, r->len) != 0) {
        complete(c->h, r, HTTPC_UNSENT, NULL, 0);
        return;
    }
    memcpy(c->out.p + c->out.len, r->buf, r->len);
    c->out.len += r->len;
    r->_sent = 1;
    r->sent_ns = uv_hrtime();
    r->_next = NULL;
    if (c->tail) {
        c->tail->_next = r;
    } else {
        c->head = r;
    }
    c->tail = r;
    c->n++;
}

/* Starts connects for idle connections whose backoff is over, at most
 * CONNECTING_MAX at once; scans on from where the last scan stopped. */
static void startConnects(struct httpc *h)
{
    uint32_t n = h->o.conns;
    if (h->idle == 0 || h->closing) {
        return;
    }
    uint64_t now = uv_now(h->loop);
    for (uint32_t k = 0; k < n && h->connecting < CONNECTING_MAX; k++) {
        struct hconn *c = &h->c[h->cscan];
        h->cscan = (h->cscan + 1) % n;
        if (c->state == C_IDLE && c->retry_at <= now) {
            startConnect(c);
        }
    }
}

static void pump(struct httpc *h)
{
    /* Requests to the connections that waited longest with room. */
    while (h->qh != NULL && h->rhead != NULL) {
        struct hconn *c = h->rhead;
        readyRemove(c);
        struct httpc_req *r = h->qh;
        h->qh = r->_next;
        if (h->qh == NULL) {
            h->qt = NULL;
        }
        h->queued--;
        dispatch(c, r);
        markDirty(c);
        readyPush(c); /* depth > 1: room for more, at the FIFO's end */
    }
    while (h->dirty != NULL) {
        struct hconn *c = h->dirty;
        h->dirty = c->dnext;
        c->dnext = NULL;
        c->in_dirty = false;
        flush(c);
    }
}

static void tickCb(uv_timer_t *t)
{
    struct httpc *h = t->data;
    uint64_t now = uv_now(h->loop);
    uint64_t to = h->o.timeout_ms;
    for (uint32_t i = 0; i < h->o.conns; i++) {
        struct hconn *c = &h->c[i];
        if (c->state == C_OPEN && c->head && now - c->head->_t_ms > to) {
            failConn(c, HTTPC_UNKNOWN);
        } else if (c->state == C_CONNECTING && now - c->since > to) {
            failConn(c, HTTPC_UNKNOWN);
        }
    }
    /* Requests that waited for a connection too long were never sent. */
    while (h->qh != NULL && now - h->qh->_t_ms > to) {
        struct httpc_req *r = h->qh;
        h->qh = r->_next;
        if (h->qh == NULL) {
            h->qt = NULL;
        }
        h->queued--;
        complete(h, r, HTTPC_UNSENT, NULL, 0);
    }
    startConnects(h);
    pump(h);
}

int httpc_open(uv_loop_t *loop, const struct httpc_options *o,
               struct httpc **out)
{
    if (o->conns < 1 || o->conns > HTTPC_CONNS_MAX || o->depth < 1) {
        return -1;
    }
    struct httpc *h = calloc(1, sizeof *h);
    if (h == NULL) {
        return -1;
    }
    h->c = calloc(o->conns, sizeof *h->c);
    if (h->c == NULL || uv_ip4_addr(o->host, o->port, &h->addr) != 0) {
        free(h->c);
        free(h);
        return -1;
    }
    h->loop = loop;
    h->o = *o;
    for (uint32_t i = 0; i < o->conns; i++) {
        h->c[i].h = h;
    }
    h->idle = o->conns;
    uv_timer_init(loop, &h->tick);
    h->tick.data = h;
    h->handles = 1;
    uv_timer_start(&h->tick, tickCb, TICK_MS, TICK_MS);
    startConnects(h); /* every connection opens now, not on demand */
    *out = h;
    return 0;
}

int httpc_send(struct httpc *h, struct httpc_req *req)
{
    if (h->closing) {
        return HTTPC_SHUTDOWN;
    }
    if (h->queued >= h->o.queue_max) {
        return HTTPC_BUSY;
    }
    req->_next = NULL;
    req->_sent = 0;
    req->_t_ms = uv_now(h->loop);
    req->sent_ns = 0;
    req->server_us = HTTPC_NO_TIMING;
    if (h->qt) {
        h->qt->_next = req;
    } else {
        h->qh = req;
    }
    h->qt = req;
    h->queued++;
    h->pending++;
    pump(h);
    return 0;
}

uint32_t httpc_pending(const struct httpc *h)
{
    return h->pending;
}

void httpc_stats(const struct httpc *h, struct httpc_stats *out)
{
    *out = h->st;
}

void httpc_close(struct httpc *h, void (*cb)(void *data), void *data)
{
    if (h->closing) {
        return;
    }
    h->closing = true;
    h->close_cb = cb;
    h->close_data = data;
    while (h->qh != NULL) {
        struct httpc_req *r = h->qh;
        h->qh = r->_next;
        h->queued--;
        complete(h, r, HTTPC_SHUTDOWN, NULL, 0);
    }
    h->qt = NULL;
    for (uint32_t i = 0; i < h->o.conns; i++) {
        struct hconn *c = &h->c[i];
        struct httpc_req *list = c->head;
        c->head = c->tail = NULL;
        c->n = 0;
        readyRemove(c);
        if (c->state == C_OPEN || c->state == C_CONNECTING) {
            c->state = C_CLOSING;
            uv_close((uv_handle_t *)&c->tcp, connClosed);
        }
        while (list != NULL) {
            struct httpc_req *r = list;
            list = r->_next;
            complete(h, r, HTTPC_SHUTDOWN, NULL, 0);
        }
    }
    uv_timer_stop(&h->tick);
    uv_close((uv_handle_t *)&h->tick, handleClosed);
}

struct syncRes {
    int status;
    bool done;
    char *body;
    size_t len;
};

static void syncCb(struct httpc_req *req, int status, const char *body,
                   size_t len)
{
    struct syncRes *s = req->data;
    s->status = status;
    s->done = true;
    if (body != NULL) {
        s->body = malloc(len + 1);
        if (s->body != NULL) {
            memcpy(s->body, body, len);
            s->body[len] = '\0';
            s->len = len;
        }
    }
}

int httpc_sync(const char *host, int port, const char *reqbuf, size_t len,
               uint32_t timeout_ms, char **body, size_t *body_len)
{
    uv_loop_t loop;
    struct httpc *h;
    struct httpc_options o = {.host = host,
                              .port = port,
                              .conns = 1,
                              .depth = 1,
                              .queue_max = 1,
                              .timeout_ms = timeout_ms};
    struct syncRes res = {HTTPC_UNSENT, false, NULL, 0};
    struct httpc_req req;
    memset(&req, 0, sizeof req);
    if (uv_loop_init(&loop) != 0) {
        return HTTPC_UNSENT;
    }
    if (httpc_open(&loop, &o, &h) == 0) {
        req.buf = reqbuf;
        req.len = len;
        req.data = &res;
        req.cb = syncCb;
        if (httpc_send(h, &req) == 0) {
            while (!res.done && uv_run(&loop, UV_RUN_ONCE) != 0) {
            }
        }
        httpc_close(h, NULL, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&loop);
    if (body != NULL) {
        *body = res.body;
        if (body_len != NULL) {
            *body_len = res.len;
        }
    } else {
        free(res.body);
    }
    return res.status;
}
