#include "transport.h"

#include <stdlib.h>
#include <string.h>

#define ADDR_MAX 256

int transport_addr_split(const char *full, char *raft, char *client, size_t cap)
{
    const char *slash = strchr(full, '/');
    size_t rlen = slash != NULL ? (size_t)(slash - full) : strlen(full);
    const char *c = slash != NULL ? slash + 1 : "";
    if (rlen >= cap || strlen(c) >= cap) {
        return -1;
    }
    memcpy(raft, full, rlen);
    raft[rlen] = '\0';
    strcpy(client, c);
    return 0;
}

static void noDelay(struct uv_stream_s *stream)
{
    if (stream != NULL && stream->type == UV_TCP) {
        /* Failure only costs latency; the connection still works. */
        (void)uv_tcp_nodelay((uv_tcp_t *)stream, 1);
    }
}

static void copyErr(struct transport *t)
{
    memcpy(t->outer.errmsg, t->inner.errmsg, sizeof t->outer.errmsg);
}

static int wInit(struct raft_uv_transport *outer, raft_id id,
                 const char *address)
{
    struct transport *t = outer->impl;
    char client[ADDR_MAX];
    if (transport_addr_split(address, t->raft_address, client,
                             sizeof t->raft_address) != 0) {
        return RAFT_INVALID;
    }
    int rv = t->inner.init(&t->inner, id, t->raft_address);
    copyErr(t);
    return rv;
}

static void innerAccept(struct raft_uv_transport *inner, raft_id id,
                        const char *address, struct uv_stream_s *stream)
{
    struct transport *t = inner->data;
    noDelay(stream);
    t->accept_cb(&t->outer, id, address, stream);
}

static int wListen(struct raft_uv_transport *outer, raft_uv_accept_cb cb)
{
    struct transport *t = outer->impl;
    t->accept_cb = cb;
    int rv = t->inner.listen(&t->inner, innerAccept);
    copyErr(t);
    return rv;
}

struct wConnect {
    struct raft_uv_connect inner;
    struct raft_uv_connect *outer;
};

static void innerConnected(struct raft_uv_connect *req,
                           struct uv_stream_s *stream, int status)
{
    struct wConnect *w = req->data;
    struct raft_uv_connect *outer = w->outer;
    free(w);
    if (status == 0) {
        noDelay(stream);
    }
    outer->cb(outer, stream, status);
}

static int wConnect(struct raft_uv_transport *outer,
                    struct raft_uv_connect *req, raft_id id,
                    const char *address, raft_uv_connect_cb cb)
{
    struct transport *t = outer->impl;
    char raft[ADDR_MAX], client[ADDR_MAX];
    if (transport_addr_split(address, raft, client, sizeof raft) != 0) {
        return RAFT_INVALID;
    }
    struct wConnect *w = malloc(sizeof *w);
    if (w == NULL) {
        return RAFT_NOMEM;
    }
    req->cb = cb;
    w->outer = req;
    w->inner.data = w;
    int rv = t->inner.connect(&t->inner, &w->inner, id, raft, innerConnected);
    if (rv != 0) {
        copyErr(t);
        free(w);
    }
    return rv;
}

static void innerClosed(struct raft_uv_transport *inner)
{
    struct transport *t = inner->data;
    if (t->close_cb != NULL) {
        t->close_cb(&t->outer);
    }
}

static void wClose(struct raft_uv_transport *outer,
                   raft_uv_transport_close_cb cb)
{
    struct transport *t = outer->impl;
    t->close_cb = cb;
    t->inner.close(&t->inner, innerClosed);
}

int transport_init(struct transport *t, uv_loop_t *loop)
{
    memset(t, 0, sizeof *t);
    /* raft requires the version to be filled in before init. */
    t->inner.version = 1;
    int rv = raft_uv_tcp_init(&t->inner, loop);
    if (rv != 0) {
        return rv;
    }
    t->inner.data = t;
    t->outer.version = 1;
    t->outer.impl = t;
    t->outer.init = wInit;
    t->outer.listen = wListen;
    t->outer.connect = wConnect;
    t->outer.close = wClose;
    return 0;
}

void transport_close(struct transport *t)
{
    raft_uv_tcp_close(&t->inner);
}
