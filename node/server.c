#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "slot_addr.h"

#define READ_CHUNK (64u << 10)

struct conn {
    struct node_conn nc; /* first: the node's view */
    struct server *srv;
    uv_tcp_t tcp;
    uint8_t *in;
    size_t in_len, in_cap;
    struct mp_buf wbuf; /* bytes handed to uv_write */
    uv_write_t wreq;
    bool writing, dirty, closing;
    struct conn *prev, *next; /* all open connections */
    struct conn *dirty_next;  /* connections with replies to flush */
};

struct server {
    uv_loop_t *loop;
    struct node *node;
    uv_tcp_t listener;
    uv_check_t flush;
    uv_idle_t kick; /* active while replies wait: the loop must not block */
    bool kick_active;
    uint32_t conns_max, n_conns;
    struct conn *conns;
    struct conn *dirty;
    int handles_open;
    bool stopping;
    void (*stop_cb)(void *data);
    void *stop_data;
};

static void connClose(struct conn *c);
static void kickCb(uv_idle_t *h);

static void connRelease(struct node_conn *nc)
{
    struct conn *c = (struct conn *)nc;
    mp_buf_free(&c->nc.out);
    mp_buf_free(&c->wbuf);
    free(c->in);
    free(c);
}

static void connWake(struct node_conn *nc)
{
    struct conn *c = (struct conn *)nc;
    struct server *s = c->srv;
    if (!c->dirty && !c->closing) {
        c->dirty = true;
        c->dirty_next = s->dirty;
        s->dirty = c;
    }
    /* Replies made by raft's own check/prepare callbacks (barriers,
     * membership changes) come after our flush in the same loop turn: an
     * active idle handle keeps the next poll from blocking, so they leave
     * at the start of the next turn rather than at the next timer. */
    if (!s->kick_active && !s->stopping) {
        uv_idle_start(&s->kick, kickCb);
        s->kick_active = true;
    }
}

static void startWrite(struct conn *c);

static void writeCb(uv_write_t *req, int status)
{
    struct conn *c = req->data;
    c->writing = false;
    mp_buf_reset(&c->wbuf);
    if (status != 0) {
        connClose(c);
        return;
    }
    if (c->nc.out.len > 0 && !c->closing) {
        startWrite(c);
    }
}

static void startWrite(struct conn *c)
{
    if (c->writing || c->closing || c->nc.out.len == 0) {
        return;
    }
    /* Swap: the node keeps appending to a fresh `out` while this one is
     * on the wire. */
    mp_buf_swap(&c->wbuf, &c->nc.out);
    mp_buf_reset(&c->nc.out);
    uv_buf_t b = uv_buf_init((char *)c->wbuf.data, (unsigned)c->wbuf.len);
    c->wreq.data = c;
    c->writing = true;
    int rv = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, writeCb);
    if (rv != 0) {
        c->writing = false;
        connClose(c);
    }
}

/* After each poll: one write per connection for all replies of the turn. */
static void flushAll(struct server *s)
{
    while (s->dirty != NULL) {
        struct conn *c = s->dirty;
        s->dirty = c->dirty_next;
        c->dirty = false;
        if (c->nc.out.len + c->wbuf.len > SERVER_OUT_MAX) {
            LOG_W("client does not read its replies: closing");
            connClose(c);
            continue;
        }
        startWrite(c);
    }
}

static void flushCb(uv_check_t *h)
{
    flushAll(h->data);
}

static void kickCb(uv_idle_t *h)
{
    struct server *s = h->data;
    uv_idle_stop(h);
    s->kick_active = false;
    flushAll(s);
}

static void allocCb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct conn *c = h->data;
    (void)hint;
    if (c->in_cap - c->in_len < READ_CHUNK) {
        size_t cap = c->in_len + READ_CHUNK * 2;
        uint8_t *p = realloc(c->in, cap);
        if (p == NULL) {
            buf->base = NULL;
            buf->len = 0;
            return;
        }
        c->in = p;
        c->in_cap = cap;
    }
    buf->base = (char *)c->in + c->in_len;
    buf->len = c->in_cap - c->in_len;
}

/* A broken stream: say why (tag 0, nobody's request), then hang up. */
static void streamError(struct conn *c, int code)
{
    slot_frame_error(&c->nc.out, 0, code, 0, "", SLOT_EXEC_NOT);
    uv_buf_t b = uv_buf_init((char *)c->nc.out.data, (unsigned)c->nc.out.len);
    /* Best effort, without waiting: the connection closes right after. */
    (void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    connClose(c);
}

static void readCb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = stream->data;
    (void)buf;
    if (nread < 0) {
        connClose(c);
        return;
    }
    c->in_len += (size_t)nread;
    size_t off = 0;
    while (!c->closing) {
        size_t flen;
        int rc = slot_frame_peek(c->in + off, c->in_len - off, &flen);
        if (rc != SLOT_OK) {
            streamError(c, rc);
            return;
        }
        if (flen == 0) {
            break;
        }
        struct slot_frame f;
        rc = slot_frame_decode(c->in + off + 4, flen - 4, &f);
        if (rc != SLOT_OK) {
            /* The length was sound, so the stream stays in sync: refuse
             * this frame only. Its tag may be unreadable: 0. */
            slot_frame_error(&c->nc.out, 0, rc, 0, "", SLOT_EXEC_NOT);
            connWake(&c->nc);
        } else {
            node_request(c->srv->node, &c->nc, &f);
        }
        off += flen;
    }
    if (off > 0 && !c->closing) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
}

static void closedCb(uv_handle_t *h)
{
    struct conn *c = h->data;
    struct server *s = c->srv;
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        s->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    s->n_conns--;
    /* The node frees it (connRelease) once nothing is pending. */
    node_conn_closed(s->node, &c->nc);
}

static void connClose(struct conn *c)
{
    if (c->closing) {
        return;
    }
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, closedCb);
}

static void rejectClosed(uv_handle_t *h)
{
    free(h);
}

static void acceptCb(uv_stream_t *listener, int status)
{
    struct server *s = listener->data;
    if (status != 0 || s->stopping) {
        return;
    }
    if (s->n_conns >= s->conns_max) {
        uv_tcp_t *t = malloc(sizeof *t);
        if (t != NULL && uv_tcp_init(s->loop, t) == 0) {
            (void)uv_accept(listener, (uv_stream_t *)t);
            uv_close((uv_handle_t *)t, rejectClosed);
            LOG_W("connection refused: %u connections open", s->n_conns);
        } else {
            free(t);
        }
        return;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return;
    }
    c->srv = s;
    mp_buf_init(&c->nc.out);
    mp_buf_init(&c->wbuf);
    c->nc.wake = connWake;
    c->nc.release = connRelease;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        c->closing = true;
        s->n_conns++;
        c->next = s->conns;
        if (s->conns != NULL) {
            s->conns->prev = c;
        }
        s->conns = c;
        uv_close((uv_handle_t *)&c->tcp, closedCb);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->next = s->conns;
    if (s->conns != NULL) {
        s->conns->prev = c;
    }
    s->conns = c;
    s->n_conns++;
    uv_read_start((uv_stream_t *)&c->tcp, allocCb, readCb);
}

int server_start(uv_loop_t *loop, struct node *node, const char *listen,
                 uint32_t conns_max, struct server **out, char *errmsg,
                 size_t errlen)
{
    /* Resolved once, here, before the loop runs (slot_addr.h): a listen
     * address is bound once, so there is nothing to re-resolve later. */
    struct slot_hostport hp;
    struct sockaddr_storage addr;
    *out = NULL;
    if (slot_hostport_parse(listen, strlen(listen), "--listen", &hp, errmsg,
                            errlen) != SLOT_OK ||
        slot_hostport_resolve_startup(&hp, "--listen", AF_UNSPEC, &addr, errmsg,
                                      errlen) != SLOT_OK) {
        return UV_EINVAL;
    }
    int rv;
    struct server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return UV_ENOMEM;
    }
    s->loop = loop;
    s->node = node;
    s->conns_max = conns_max;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    uv_check_init(loop, &s->flush);
    s->flush.data = s;
    uv_check_start(&s->flush, flushCb);
    uv_idle_init(loop, &s->kick);
    s->kick.data = s;
    s->handles_open = 3;
    rv = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (rv == 0) {
        rv = uv_listen((uv_stream_t *)&s->listener, 511, acceptCb);
    }
    if (rv != 0) {
        snprintf(errmsg, errlen, "listen on %s: %s", listen, uv_strerror(rv));
        /* The handles are closed by the caller's shutdown path. */
        *out = s;
        return rv;
    }
    *out = s;
    return 0;
}

static void serverHandleClosed(uv_handle_t *h)
{
    struct server *s = h->data;
    if (--s->handles_open == 0 && s->stop_cb != NULL) {
        s->stop_cb(s->stop_data);
    }
}

void server_stop(struct server *s, void (*cb)(void *data), void *data)
{
    s->stopping = true;
    s->stop_cb = cb;
    s->stop_data = data;
    for (struct conn *c = s->conns; c != NULL; c = c->next) {
        connClose(c);
    }
    uv_close((uv_handle_t *)&s->listener, serverHandleClosed);
    uv_close((uv_handle_t *)&s->flush, serverHandleClosed);
    uv_close((uv_handle_t *)&s->kick, serverHandleClosed);
}

void server_free(struct server *s)
{
    free(s);
}
