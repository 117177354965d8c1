#include "iofail.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "log.h"

static int wInit(struct raft_io *io, raft_id id, const char *address);

/* The inner io. raft 0.22.1 sometimes calls our methods with the inner io
 * as argument (legacy.c tickCb: r->io->time(io)): only unwrap ours. */
static struct raft_io *in(struct raft_io *io)
{
    return io->init == wInit ? ((struct iofail *)io->impl)->inner : io;
}

/* Our wrapper, or NULL when called with the inner io (see in()). */
static struct iofail *wOf(struct raft_io *io)
{
    return io->init == wInit ? io->impl : NULL;
}

static void syncState(struct raft_io *io)
{
    struct raft_io *inner = in(io);
    io->capacity = inner->capacity;
    memcpy(io->errmsg, inner->errmsg, sizeof io->errmsg);
}

static void failStop(const char *what, int rv, const char *errmsg)
{
    LOG_E("%s failed: %s (%s); stopping: raft cannot survive a failed disk "
          "write, and a restart recovers from what reached the disk",
          what, raft_strerror(rv), errmsg);
    abort();
}

/* Sync results of disk writes: any error stops the node. */
static int checked(struct raft_io *io, const char *what, int rv)
{
    syncState(io);
    if (rv != 0) {
        failStop(what, rv, io->errmsg);
    }
    return rv;
}

/* The caller's callback (function pointers do not convert to void *). */
union parkedCb {
    raft_io_append_cb append;
    raft_io_snapshot_put_cb put;
    raft_io_snapshot_get_cb get;
};

/* The request's own data is parked here while the inner io has it. */
struct park {
    void *data;
    union parkedCb cb;
    const char *what;
    uint64_t start_ns;
    struct iofail *w;
    int write; /* enum iofail_write, or -1: a read */
};

/* A disk request slower than this is logged: it holds up every commit. */
#define IOFAIL_SLOW_MS 100

static struct park *parkNew(struct raft_io *io, void **data, union parkedCb cb,
                            const char *what, int write)
{
    struct park *p = malloc(sizeof *p);
    if (p == NULL) {
        failStop(what, RAFT_NOMEM, "no memory to track the request");
    }
    p->data = *data;
    p->cb = cb;
    p->what = what;
    p->start_ns = uv_hrtime();
    p->w = wOf(io);
    p->write = write;
    *data = p;
    return p;
}

/* Gives the request its data back; stops on a failed write (RAFT_CANCELED
 * is the inner io closing, not a failure). Returns the caller's callback. */
static union parkedCb parkDone(void **data, int status)
{
    struct park *p = *data;
    union parkedCb cb = p->cb;
    const char *what = p->what;
    uint64_t took_us = (uv_hrtime() - p->start_ns) / 1000;
    uint64_t took_ms = took_us / 1000;
    struct iofail *w = p->w;
    int write = p->write;
    *data = p->data;
    free(p);
    if (status == 0 && write >= 0 && w != NULL && w->wrote != NULL) {
        w->wrote(w, (enum iofail_write)write, took_us);
    }
    if (took_ms >= IOFAIL_SLOW_MS && status != RAFT_CANCELED) {
        LOG_W("slow disk: %s took %llu ms", what, (unsigned long long)took_ms);
    }
    if (status != 0 && status != RAFT_CANCELED) {
        failStop(what, status, "");
    }
    return cb;
}

static void appendDone(struct raft_io_append *req, int status)
{
    parkDone(&req->data, status).append(req, status);
}

static int wAppend(struct raft_io *io, struct raft_io_append *req,
                   const struct raft_entry entries[], unsigned n,
                   raft_io_append_cb cb)
{
    parkNew(io, &req->data, (union parkedCb){.append = cb}, "log append",
            IOFAIL_APPEND);
    int rv = in(io)->append(in(io), req, entries, n, appendDone);
    if (rv != 0) {
        parkDone(&req->data, 0);
    }
    return checked(io, "log append", rv);
}

static void putDone(struct raft_io_snapshot_put *req, int status)
{
    parkDone(&req->data, status).put(req, status);
}

static int wSnapshotPut(struct raft_io *io, unsigned trailing,
                        struct raft_io_snapshot_put *req,
                        const struct raft_snapshot *snapshot,
                        raft_io_snapshot_put_cb cb)
{
    struct iofail *w = io->impl;
    if (w->hold_put != NULL && w->hold_put(w, snapshot)) {
        /* raft takes one snapshot at a time. */
        assert(w->_held.req == NULL);
        w->_held.trailing = trailing;
        w->_held.req = req;
        w->_held.snapshot = snapshot;
        w->_held.cb = cb;
        return 0;
    }
    parkNew(io, &req->data, (union parkedCb){.put = cb}, "snapshot write",
            IOFAIL_SNAPSHOT_PUT);
    int rv = in(io)->snapshot_put(in(io), trailing, req, snapshot, putDone);
    if (rv != 0) {
        parkDone(&req->data, 0);
    }
    return checked(io, "snapshot write", rv);
}

static void getDone(struct raft_io_snapshot_get *req,
                    struct raft_snapshot *snapshot, int status)
{
    parkDone(&req->data, status).get(req, snapshot, status);
}

static int wSnapshotGet(struct raft_io *io, struct raft_io_snapshot_get *req,
                        raft_io_snapshot_get_cb cb)
{
    parkNew(io, &req->data, (union parkedCb){.get = cb}, "snapshot read", -1);
    int rv = in(io)->snapshot_get(in(io), req, getDone);
    if (rv != 0) {
        parkDone(&req->data, 0);
    }
    return checked(io, "snapshot read", rv);
}

/* term, vote and truncate are synchronous in raft_uv: timed around the
 * call. */
static int timedSync(struct raft_io *io, enum iofail_write what,
                     const char *name, int rv, uint64_t start_ns)
{
    struct iofail *w = wOf(io);
    if (rv == 0 && w != NULL && w->wrote != NULL) {
        w->wrote(w, what, (uv_hrtime() - start_ns) / 1000);
    }
    return checked(io, name, rv);
}

static int wSetTerm(struct raft_io *io, raft_term term)
{
    uint64_t t0 = uv_hrtime();
    return timedSync(io, IOFAIL_TERM, "term write",
                     in(io)->set_term(in(io), term), t0);
}

static int wSetVote(struct raft_io *io, raft_id id)
{
    uint64_t t0 = uv_hrtime();
    return timedSync(io, IOFAIL_VOTE, "vote write",
                     in(io)->set_vote(in(io), id), t0);
}

static int wTruncate(struct raft_io *io, raft_index index)
{
    uint64_t t0 = uv_hrtime();
    return timedSync(io, IOFAIL_TRUNCATE, "log truncate",
                     in(io)->truncate(in(io), index), t0);
}

/* Pass-through methods (errors here are reported to raft as usual: start
 * and load failures stop slotd at startup anyway; send errors are the
 * network's). */
static int wInit(struct raft_io *io, raft_id id, const char *address)
{
    int rv = in(io)->init(in(io), id, address);
    syncState(io);
    return rv;
}

void iofail_put_release(struct iofail *w, int status)
{
    struct raft_io_snapshot_put *req = w->_held.req;
    assert(req != NULL);
    w->_held.req = NULL;
    if (status != 0) {
        failStop("snapshot", status, "its buffers could not be produced");
    }
    int rv = wSnapshotPut(&w->outer, w->_held.trailing, req, w->_held.snapshot,
                          w->_held.cb);
    /* wSnapshotPut fail-stops on errors; the hook holds a snapshot once. */
    assert(rv == 0);
    (void)rv;
}

static void wClose(struct raft_io *io, raft_io_close_cb cb)
{
    struct iofail *w = io->impl;
    struct raft_io_snapshot_put *req = w->_held.req;
    if (req != NULL) {
        /* raft is closing (raft_close sets that before closing its io):
         * its callback takes RAFT_CANCELED as the end of the snapshot. */
        w->_held.req = NULL;
        w->_held.cb(req, RAFT_CANCELED);
    }
    in(io)->close(in(io), cb);
}

static int wLoad(struct raft_io *io, raft_term *term, raft_id *voted_for,
                 struct raft_snapshot **snapshot, raft_index *start_index,
                 struct raft_entry *entries[], size_t *n_entries)
{
    int rv = in(io)->load(in(io), term, voted_for, snapshot, start_index,
                          entries, n_entries);
    syncState(io);
    return rv;
}

static int wStart(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                  raft_io_recv_cb recv)
{
    int rv = in(io)->start(in(io), msecs, tick, recv);
    syncState(io);
    return rv;
}

static int wBootstrap(struct raft_io *io, const struct raft_configuration *conf)
{
    int rv = in(io)->bootstrap(in(io), conf);
    syncState(io);
    return rv;
}

static int wRecover(struct raft_io *io, const struct raft_configuration *conf)
{
    int rv = in(io)->recover(in(io), conf);
    syncState(io);
    return rv;
}

static int wSend(struct raft_io *io, struct raft_io_send *req,
                 const struct raft_message *message, raft_io_send_cb cb)
{
    return in(io)->send(in(io), req, message, cb);
}

static raft_time wTime(struct raft_io *io)
{
    return in(io)->time(in(io));
}

static int wRandom(struct raft_io *io, int min, int max)
{
    return in(io)->random(in(io), min, max);
}

void iofail_init(struct iofail *w, struct raft_io *inner)
{
    memset(w, 0, sizeof *w);
    w->inner = inner;
    w->outer.version = inner->version;
    w->outer.impl = w;
    w->outer.init = wInit;
    w->outer.close = wClose;
    w->outer.load = wLoad;
    w->outer.start = wStart;
    w->outer.bootstrap = wBootstrap;
    w->outer.recover = wRecover;
    w->outer.set_term = wSetTerm;
    w->outer.set_vote = wSetVote;
    w->outer.send = wSend;
    w->outer.append = wAppend;
    w->outer.truncate = wTruncate;
    w->outer.snapshot_put = wSnapshotPut;
    w->outer.snapshot_get = wSnapshotGet;
    w->outer.time = wTime;
    w->outer.random = wRandom;
}

void iofail_started(struct iofail *w)
{
    /* raft_uv passes its own io to raft's tick/recv callbacks and uses its
     * `data` to fire completed requests: it must be raft. */
    w->inner->data = w->outer.data;
}
