#include "node.h"

#include <assert.h>
#include <errno.h>
#include <raft.h>
#include <raft/uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "slot_admin.h"
#include "fsm.h"
#include "iofail.h"
#include "log.h"
#include "snapfork.h"
#include "transport.h"

/* ---- Defaults ---------------------------------------------------------------
 * batch_cmds_max 1024, batch_bytes_max 1 MiB: one entry carries a whole burst
 * of commands; the disk write per entry is what batching amortises.
 * inflight_max 8: enough to keep the pipeline to followers full while one
 * entry is being written, few enough that a BUSY comes early under overload.
 * raft's own max in-flight entries is raised to 64 (default 32), above ours.
 * snapshot_threshold 65536 / trailing 16384: raft's default of 1024 costs
 * 2-3x throughput (a snapshot every ~1024 batches); with entries of up to
 * 1024 commands this still bounds the log to ~100k entries. Each node
 * stretches the threshold by (id mod 4)/8 (node_snapshot_threshold): with
 * one threshold every replica applied entry 65536 in the same millisecond
 * and all three forked, encoded and wrote a snapshot at once, stalling a
 * whole 2-core machine for ~100-400 ms (measured at 60k holds/s); staggered,
 * a commit always has a quorum that is not snapshotting.
 * heartbeat 50 ms, election 300 ms: raft draws each follower's timeout in
 * [T, 2T], and a follower that still has a leader rejects votes, so after
 * a leader dies the election is won only when the *last* surviving
 * follower's timer fires: writes resume after max(U1, U2) + one vote round,
 * ~0.5 s on average with T = 300 (~0.85 s with T = 500; measured). 300 ms
 * is still 6 heartbeats, far above the loop turns and hiccups we log (the
 * snapshot stall is gone, node/snapfork.h), and 30x a metro link's RTT.
 * Pre-vote keeps a partitioned node from disrupting the cluster when it
 * returns.
 */
void node_options_default(struct node_options *o)
{
    memset(o, 0, sizeof *o);
    o->batch_cmds_max = SLOT_BATCH_CMDS_MAX;
    o->batch_bytes_max = 1u << 20;
    o->inflight_max = 8;
    o->reads_max = 65536;
    o->conn_pending_max = 4096;
    o->snapshot_threshold = 65536;
    o->snapshot_trailing = 16384;
    o->heartbeat_ms = 50;
    o->election_ms = 300;
    o->expire_interval_ms = 100;
}

uint32_t node_snapshot_threshold(const struct node_options *o)
{
    uint64_t t = o->snapshot_threshold;
    t += t / 8 * (o->id % 4);
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

#define RAFT_INFLIGHT_ENTRIES 64
#define NODE_SLOW_TURN_MS     50 /* a loop turn longer than this is logged */
#define INFLIGHT_CAP          64
#define ADDR_CAP              256

struct pend {
    struct node_conn *conn; /* NULL: the leader's own EXPIRE */
    uint64_t tag;
};

struct batch {
    struct raft_apply req;
    struct node *node;
    uint64_t origin;
    bool applied; /* results[] holds what the ledger answered */
    uint32_t n;
    struct slot_result *results;
    struct pend items[];
};

/* A linearizable read waiting for a barrier. */
struct rq {
    struct rq *next;
    struct node_conn *conn;
    uint64_t tag;
    uint32_t len;
    uint8_t bytes[]; /* the encoded read */
};

struct barrier {
    struct raft_barrier req;
    struct node *node;
    struct rq *list;
};

struct areq {
    union {
        struct raft_change change;
        struct raft_transfer transfer;
    } u;
    struct node *node;
    struct node_conn *conn;
    uint64_t tag;
    uint8_t op;
    uint64_t id;
    char client[ADDR_CAP]; /* REMOVE: the removed node's client address */
};

/* A LEAVE notice on its way to a removed node (fire and forget). */
struct notice {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    struct mp_buf frame;
};

struct node {
    uv_loop_t *loop;
    struct node_options o;
    char address[ADDR_CAP];
    struct raft raft;
    struct raft_io io;    /* raft_uv */
    struct iofail iofail; /* what raft sees: fail-stop on disk errors */
    struct transport transport;
    struct fsm fsm;
    uv_prepare_t prepare;
    uv_check_t check;
    uint64_t turn_start_ns; /* when this loop turn's callbacks began */
    /* Last role logged (logRole): state, pre-vote, term and leader id. */
    unsigned short seen_state;
    bool seen_pre_vote;
    raft_term seen_term;
    raft_id seen_leader;
    uv_timer_t tick;
    bool raft_started, closing, removed, was_member;
    int handles_open;
    void (*stop_cb)(void *data);
    void *stop_data;

    /* The batch being filled. */
    struct slot_entry_builder cur;
    struct pend *cur_items;
    uint32_t cur_n;
    size_t cur_bytes;
    /* Batches proposed and not yet acknowledged by raft. */
    struct batch *inflight[INFLIGHT_CAP];
    uint32_t n_inflight;
    uint64_t origin_base;
    uint64_t origin_seq;
    bool expire_queued;

    struct rq *reads_head, *reads_tail;
    uint32_t n_reads;
    struct barrier *barrier;

    /* Snapshots: encoded by a forked child (snapfork.h); fsm's own
     * functions (inline, on the loop) when fork is not possible. */
    struct snapfork snapfork;
    struct raft_buffer *snap_bufs; /* handed to raft, filled by the child */
    raft_index snap_index;
    int (*fsm_snapshot)(struct raft_fsm *, struct raft_buffer *[], unsigned *);
    int (*fsm_finalize)(struct raft_fsm *, struct raft_buffer *[], unsigned *);
};

static uint64_t nowMs(const struct node *n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return (uint64_t)(ms + n->o.clock_offset_ms);
}

static struct node *nodeOfFsm(struct raft_fsm *rf)
{
    struct fsm *f = rf->data;
    return f->data;
}

/* ---- snapshots -------------------------------------------------------------
 */

/* raft asks for a snapshot on the loop; a child encodes it (snapfork.h)
 * while the node goes on. Inline encoding is the fallback: a stall of
 * 0.2-1 s at production sizes, so it is logged. */
static int nodeSnapshot(struct raft_fsm *rf, struct raft_buffer *bufs[],
                        unsigned *n_bufs)
{
    struct node *n = nodeOfFsm(rf);
    n->snap_index = raft_last_applied(&n->raft);
    struct raft_buffer *b = raft_malloc(sizeof *b);
    if (b == NULL) {
        return RAFT_NOMEM;
    }
    int e = snapfork_start(&n->snapfork, n->fsm.ledger, b);
    if (e == 0) {
        n->snap_bufs = b;
        *bufs = b;
        *n_bufs = 1;
        n->fsm.snapshots_taken++;
        return 0;
    }
    raft_free(b);
    uint64_t t0 = uv_hrtime();
    int rv = n->fsm_snapshot(rf, bufs, n_bufs);
    LOG_W(
        "snapshot at %llu: cannot fork (%s), encoded on the loop: %s, %.1f ms",
        (unsigned long long)n->snap_index, strerror(-e),
        rv == 0 ? "taken" : raft_strerror(rv),
        (double)(uv_hrtime() - t0) / 1e6);
    return rv;
}

/* The child is done: the write raft asked for may go on (or the node
 * stops, as on a failed disk write). */
static void snapshotReady(struct snapfork *s, int status)
{
    struct node *n = s->data;
    if (status == 0) {
        LOG_I("snapshot at %llu: %llu bytes, encoded by a child in %llu ms "
              "(the loop paused %llu us to fork)",
              (unsigned long long)n->snap_index,
              (unsigned long long)s->last_bytes,
              (unsigned long long)s->last_child_ms,
              (unsigned long long)s->last_fork_us);
    }
    iofail_put_release(&n->iofail, status);
}

/* Only the snapshot a child is still encoding waits; snapshots received
 * from a leader are written at once. */
static bool holdPut(struct iofail *w, const struct raft_snapshot *snapshot)
{
    struct node *n = w->owner;
    return snapshot->bufs == n->snap_bufs &&
           n->snapfork.state == SNAPFORK_RUNNING;
}

static int nodeSnapshotFinalize(struct raft_fsm *rf, struct raft_buffer *bufs[],
                                unsigned *n_bufs)
{
    struct node *n = nodeOfFsm(rf);
    if (*bufs != n->snap_bufs || n->snap_bufs == NULL) {
        return n->fsm_finalize(rf, bufs, n_bufs);
    }
    snapfork_release(&n->snapfork);
    raft_free(n->snap_bufs);
    n->snap_bufs = NULL;
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

bool node_removed(const struct node *n)
{
    return n->removed;
}

/* ---- replies ---------------------------------------------------------------
 */

static void connDone(struct node_conn *c)
{
    assert(c->pending > 0);
    c->pending--;
    if (c->closed && c->pending == 0) {
        c->release(c);
    }
}

/* The leader's id and client address as far as this node knows. */
static uint64_t leaderHint(struct node *n, char client[ADDR_CAP])
{
    raft_id id;
    const char *addr;
    client[0] = '\0';
    raft_leader(&n->raft, &id, &addr);
    if (id == 0) {
        return 0;
    }
    /* raft_leader's address on a follower is what the leader's transport
     * sent (the raft part only); the configuration has the full one. */
    const struct raft_configuration *conf = &n->raft.configuration;
    for (unsigned i = 0; i < conf->n; i++) {
        if (conf->servers[i].id == id) {
            char raft_part[ADDR_CAP];
            if (transport_addr_split(conf->servers[i].address, raft_part,
                                     client, ADDR_CAP) != 0) {
                client[0] = '\0';
            }
        }
    }
    return id;
}

static void replyError(struct node *n, struct node_conn *c, uint64_t tag,
                       int code)
{
    if (c->closed) {
        return;
    }
    char client[ADDR_CAP] = "";
    uint64_t leader = 0;
    if (code == SLOT_NOT_LEADER || code == SLOT_NO_LEADER) {
        leader = leaderHint(n, client);
        code =
            leader == 0 || leader == n->o.id ? SLOT_NO_LEADER : SLOT_NOT_LEADER;
    }
    slot_frame_error(&c->out, tag, code, leader, client);
    c->wake(c);
}

/* A request that was accepted (pending++) ends in an error. */
static void failPending(struct node *n, struct node_conn *c, uint64_t tag,
                        int code)
{
    replyError(n, c, tag, code);
    connDone(c);
}

/* The code for requests cut off by a raft failure. */
static int lostCode(const struct node *n, int status)
{
    if (n->closing || status == RAFT_SHUTDOWN || status == RAFT_CANCELED) {
        return SLOT_SHUTDOWN;
    }
    return SLOT_NOT_LEADER;
}

static void replyResult(struct node_conn *c, uint64_t tag,
                        const struct slot_result *res, uint64_t index)
{
    if (c->closed) {
        return;
    }
    size_t start = slot_frame_begin(&c->out, SLOT_FRAME_RESULT, tag);
    mp_pack_array(&c->out, 2);
    slot_result_encode(&c->out, res);
    mp_pack_uint(&c->out, index);
    slot_frame_end(&c->out, start);
    c->wake(c);
}

/* ---- batching
 * ---------------------------------------------------------------- */

static void failItems(struct node *n, struct pend *items, uint32_t count,
                      int code)
{
    for (uint32_t i = 0; i < count; i++) {
        if (items[i].conn != NULL) {
            failPending(n, items[i].conn, items[i].tag, code);
        } else {
            n->expire_queued = false;
        }
    }
}

static void inflightRemove(struct node *n, struct batch *b)
{
    for (uint32_t i = 0; i < n->n_inflight; i++) {
        if (n->inflight[i] == b) {
            n->inflight[i] = n->inflight[--n->n_inflight];
            return;
        }
    }
    assert(0 && "batch not in flight");
}

/* Replies go out only here, once raft reports the entry committed and
 * applied, never from the FSM's apply alone: raft 0.22.1 could apply an
 * entry that was not committed (fixed by our patch, see node/deps), and
 * this keeps a wrong answer from ever reaching a client if such a bug
 * returns. */
static void applyCb(struct raft_apply *req, int status, void *result)
{
    struct batch *b = req->data;
    struct node *n = b->node;
    (void)result;
    if (status == 0 && b->applied) {
        for (uint32_t i = 0; i < b->n; i++) {
            struct node_conn *c = b->items[i].conn;
            if (c != NULL) {
                replyResult(c, b->items[i].tag, &b->results[i], req->index);
                connDone(c);
            }
        }
    } else {
        /* Not applied here (leadership lost, shutdown): the entry may still
         * commit under the next leader. The client retries the same
         * (session, seq); the ledger answers that retry exactly once. */
        if (status == 0) {
            LOG_W("entry %llu acknowledged without being applied",
                  (unsigned long long)req->index);
        }
        failItems(n, b->items, b->n, lostCode(n, status));
    }
    inflightRemove(n, b);
    free(b->results);
    free(b);
}

static void fatal(const char *what, int rv)
{
    LOG_E("%s: %s; stopping (restart recovers from the log)", what,
          raft_strerror(rv));
    abort();
}

/* Proposes the current batch if there is one and room in flight. */
static void proposeCurrent(struct node *n)
{
    if (n->cur_n == 0 || n->n_inflight >= n->o.inflight_max) {
        return;
    }
    uint32_t count = n->cur_n;
    n->cur_n = 0;
    n->cur_bytes = 0;
    size_t len;
    void *buf = slot_entry_finish(&n->cur, &len);
    if (raft_state(&n->raft) != RAFT_LEADER) {
        free(buf);
        failItems(n, n->cur_items, count, SLOT_NOT_LEADER);
        return;
    }
    struct batch *b = malloc(sizeof *b + count * sizeof b->items[0]);
    if (b == NULL) {
        fatal("batch", RAFT_NOMEM);
    }
    memset(&b->req, 0, sizeof b->req);
    b->req.data = b;
    b->node = n;
    b->origin = n->origin_base + n->origin_seq;
    b->applied = false;
    b->results = NULL;
    b->n = count;
    memcpy(b->items, n->cur_items, count * sizeof b->items[0]);
    /* slot_entry_finish pads to a multiple of 8 bytes: raft 0.22.1 frees
     * and then chokes on any other size, so none may reach raft_apply. */
    assert(len % 8 == 0);
    struct raft_buffer rb = {.base = buf, .len = len};
    int rv = raft_apply(&n->raft, &b->req, &rb, 1, applyCb);
    if (rv == RAFT_NOTLEADER || rv == RAFT_NOSPACE) {
        /* Refused before raft took the buffer: still ours. */
        free(buf);
        failItems(n, b->items, count,
                  rv == RAFT_NOSPACE ? SLOT_IO : SLOT_NOT_LEADER);
        free(b);
        return;
    }
    if (rv != 0) {
        /* Raft had accepted the entry (and owns or freed the buffer):
         * the node's state is no longer known to be consistent. */
        fatal("raft_apply", rv);
    }
    n->inflight[n->n_inflight++] = b;
}

/* Adds one encoded, validated command to the current batch. */
static int batchAdd(struct node *n, struct node_conn *c, uint64_t tag,
                    const void *cmd, size_t len)
{
    if (n->cur_n == n->o.batch_cmds_max || !slot_entry_fits(&n->cur, len) ||
        n->cur_bytes + len > n->o.batch_bytes_max) {
        proposeCurrent(n);
        if (n->cur_n != 0) {
            return SLOT_BUSY;
        }
    }
    if (n->cur_n == 0) {
        n->origin_seq++;
        slot_entry_begin(&n->cur, nowMs(n), n->origin_base + n->origin_seq);
    }
    slot_entry_add(&n->cur, cmd, len);
    n->cur_items[n->cur_n].conn = c;
    n->cur_items[n->cur_n].tag = tag;
    n->cur_n++;
    n->cur_bytes += len;
    if (c != NULL) {
        c->pending++;
    }
    return SLOT_OK;
}

static void queueExpire(struct node *n)
{
    if (n->expire_queued || n->closing) {
        return;
    }
    struct slot_cmd cmd;
    struct mp_buf b;
    memset(&cmd, 0, sizeof cmd);
    cmd.op = SLOT_OP_EXPIRE;
    cmd.u.expire.max = SLOT_EXPIRE_MAX;
    mp_buf_init(&b);
    slot_cmd_encode(&b, &cmd);
    if (batchAdd(n, NULL, 0, b.data, b.len) == SLOT_OK) {
        n->expire_queued = true;
    }
    mp_buf_free(&b);
}

/* fsm applied_cb: keep the results of our own batches for applyCb. */
static void appliedCb(struct fsm *f, uint64_t origin,
                      const struct slot_cmd *cmds,
                      const struct slot_result *results, uint32_t count)
{
    struct node *n = f->data;
    struct batch *b = NULL;
    for (uint32_t i = 0; i < n->n_inflight; i++) {
        if (n->inflight[i]->origin == origin) {
            b = n->inflight[i];
        }
    }
    if (b == NULL || b->applied) {
        return;
    }
    assert(b->n == count);
    b->results = malloc(count * sizeof *b->results);
    if (b->results == NULL) {
        fatal("results", RAFT_NOMEM);
    }
    memcpy(b->results, results, count * sizeof *b->results);
    b->applied = true;
    for (uint32_t i = 0; i < count; i++) {
        if (b->items[i].conn != NULL) {
            continue;
        }
        assert(cmds[i].op == SLOT_OP_EXPIRE);
        n->expire_queued = false;
        if (results[i].b > 0) {
            queueExpire(n); /* more holds are due: keep sweeping */
        }
    }
}

/* ---- reads
 * ---------------------------------------------------------------------- */

static void serveRead(struct node *n, struct node_conn *c, uint64_t tag,
                      const struct slot_read *rd)
{
    if (c->closed) {
        return;
    }
    size_t start = slot_frame_begin(&c->out, SLOT_FRAME_READ_REPLY, tag);
    mp_pack_array(&c->out, 3);
    /* The code goes first but is known only after the read: reserve one
     * byte (every code is a positive fixint) and fill it in after. */
    size_t code_at = c->out.len;
    mp_pack_uint(&c->out, 0);
    mp_pack_uint(&c->out, raft_last_applied(&n->raft));
    size_t body_at = c->out.len;
    int code = ledger_read(n->fsm.ledger, rd, &c->out);
    if (c->out.len == body_at) {
        msgpack_pack_nil(&c->out.pk);
    }
    assert(code >= 0 && code < 128);
    c->out.data[code_at] = (uint8_t)code;
    slot_frame_end(&c->out, start);
    c->wake(c);
}

static void serveQueuedRead(struct node *n, struct rq *q, int status)
{
    if (status != 0) {
        failPending(n, q->conn, q->tag, lostCode(n, status));
        return;
    }
    struct slot_read rd;
    struct mp_reader r;
    mp_reader_init(&r, q->bytes, q->len);
    int rc = slot_read_decode(&r, &rd);
    assert(rc == SLOT_OK); /* validated when queued */
    (void)rc;
    serveRead(n, q->conn, q->tag, &rd);
    connDone(q->conn);
}

static void freeReads(struct node *n, struct rq *list, int status)
{
    while (list != NULL) {
        struct rq *next = list->next;
        serveQueuedRead(n, list, status);
        n->n_reads--;
        free(list);
        list = next;
    }
}

static void barrierCb(struct raft_barrier *req, int status)
{
    struct barrier *br = req->data;
    struct node *n = br->node;
    /* Every entry up to the barrier is applied, and the barrier committed
     * in our term: the reads queued before it see a linearizable state. */
    freeReads(n, br->list, status);
    n->barrier = NULL;
    free(br);
}

static void startBarrier(struct node *n)
{
    if (n->barrier != NULL || n->reads_head == NULL) {
        return;
    }
    struct barrier *br = malloc(sizeof *br);
    if (br == NULL) {
        fatal("barrier", RAFT_NOMEM);
    }
    br->req.data = br;
    br->node = n;
    br->list = n->reads_head;
    n->reads_head = n->reads_tail = NULL;
    int rv = raft_barrier(&n->raft, &br->req, barrierCb);
    if (rv != 0) {
        freeReads(n, br->list, rv);
        free(br);
        return;
    }
    n->barrier = br;
}

static void handleRead(struct node *n, struct node_conn *c,
                       const struct slot_frame *f)
{
    struct mp_reader r;
    bool linearizable;
    struct slot_read rd;
    mp_reader_init(&r, f->payload, f->payload_len);
    if (!mp_expect_array(&r, 2) || !mp_read_bool(&r, &linearizable)) {
        replyError(n, c, f->tag, r.err != 0 ? r.err : SLOT_MALFORMED);
        return;
    }
    const uint8_t *read_at = r.p;
    int rc = slot_read_decode(&r, &rd);
    if (rc == SLOT_OK && !mp_done(&r)) {
        rc = SLOT_MALFORMED;
    }
    if (rc != SLOT_OK) {
        replyError(n, c, f->tag, rc);
        return;
    }
#ifdef SLOT_TEST_BUG_NO_BARRIER
    /* Deliberately broken test build (jepsen-tests' tests of the tests):
     * "linearizable" reads served from local state, with no barrier and
     * on any node. Never defined in a normal build. */
    linearizable = false;
#endif
    if (!linearizable) {
        serveRead(n, c, f->tag, &rd); /* labelled with the applied index */
        return;
    }
    if (raft_state(&n->raft) != RAFT_LEADER) {
        replyError(n, c, f->tag, SLOT_NOT_LEADER);
        return;
    }
    if (n->n_reads >= n->o.reads_max) {
        replyError(n, c, f->tag, SLOT_BUSY);
        return;
    }
    uint32_t len = (uint32_t)(r.p - read_at);
    struct rq *q = malloc(sizeof *q + len);
    if (q == NULL) {
        replyError(n, c, f->tag, SLOT_BUSY);
        return;
    }
    q->next = NULL;
    q->conn = c;
    q->tag = f->tag;
    q->len = len;
    memcpy(q->bytes, read_at, len);
    if (n->reads_tail != NULL) {
        n->reads_tail->next = q;
    } else {
        n->reads_head = q;
    }
    n->reads_tail = q;
    n->n_reads++;
    c->pending++;
}

/* ---- admin
 * ---------------------------------------------------------------------- */

static const char *roleName(struct raft *r)
{
    switch (raft_state(r)) {
        case RAFT_LEADER:
            return "leader";
        case RAFT_FOLLOWER:
            return "follower";
        case RAFT_CANDIDATE:
            return "candidate";
        default:
            return "unavailable";
    }
}

static void replyStatus(struct node *n, struct node_conn *c, uint64_t tag,
                        bool hash)
{
    struct slot_node_status st;
    char client[ADDR_CAP];
    memset(&st, 0, sizeof st);
    st.id = n->o.id;
    snprintf(st.role, sizeof st.role, "%s", roleName(&n->raft));
    st.term = n->raft.current_term;
    st.commit_index = n->raft.commit_index;
    st.applied_index = raft_last_applied(&n->raft);
    st.leader_id = leaderHint(n, client);
    snprintf(st.address, sizeof st.address, "%s", n->address);
    const struct raft_configuration *conf = &n->raft.configuration;
    for (unsigned i = 0; i < conf->n && i < SLOT_MEMBERS_MAX; i++) {
        struct slot_member *m = &st.members[st.n_members++];
        m->id = conf->servers[i].id;
        snprintf(m->address, sizeof m->address, "%s", conf->servers[i].address);
        m->role = (uint8_t)conf->servers[i].role;
    }
    /* O(state): only when asked (slotctl status), never for probes. */
    st.state_hash = hash ? ledger_state_hash(n->fsm.ledger) : 0;
    st.ledger_time_ms = ledger_time_ms(n->fsm.ledger);
    st.entries_applied = n->fsm.entries_applied;
    st.commands_applied = n->fsm.commands_applied;
    size_t start = slot_frame_begin(&c->out, SLOT_FRAME_ADMIN_REPLY, tag);
    mp_pack_array(&c->out, 2);
    mp_pack_uint(&c->out, SLOT_OK);
    slot_node_status_encode(&c->out, &st);
    slot_frame_end(&c->out, start);
    c->wake(c);
}

static int raftToSlot(int rv)
{
    switch (rv) {
        case 0:
            return SLOT_OK;
        case RAFT_NOTLEADER:
        case RAFT_LEADERSHIPLOST:
            return SLOT_NOT_LEADER;
        case RAFT_CANTCHANGE:
            return SLOT_BUSY;
        case RAFT_BADID:
        case RAFT_DUPLICATEID:
        case RAFT_DUPLICATEADDRESS:
        case RAFT_BADROLE:
            return SLOT_INVALID_ARGUMENT;
        case RAFT_SHUTDOWN:
        case RAFT_CANCELED:
            return SLOT_SHUTDOWN;
        default:
            return SLOT_IO;
    }
}

static void noticeClosed(uv_handle_t *h)
{
    struct notice *nt = h->data;
    mp_buf_free(&nt->frame);
    free(nt);
}

static void noticeWritten(uv_write_t *w, int status)
{
    struct notice *nt = w->data;
    (void)status;
    uv_close((uv_handle_t *)&nt->tcp, noticeClosed);
}

static void noticeConnected(uv_connect_t *c, int status)
{
    struct notice *nt = c->data;
    uv_buf_t b = uv_buf_init((char *)nt->frame.data, (unsigned)nt->frame.len);
    if (status != 0 || uv_write(&nt->write, (uv_stream_t *)&nt->tcp, &b, 1,
                                noticeWritten) != 0) {
        LOG_W("could not tell the removed node: %s", uv_strerror(status));
        uv_close((uv_handle_t *)&nt->tcp, noticeClosed);
    }
}

/* Raft stops sending to a node as soon as the configuration without it is
 * appended, so the node never learns it was removed and keeps campaigning.
 * Tell it on its client port. Best effort: an unreachable node is simply
 * gone already, or is told by an operator (SIGTERM). */
static void tellRemoved(struct node *n, uint64_t id, const char *client)
{
    char host[ADDR_CAP];
    const char *colon = strrchr(client, ':');
    struct sockaddr_in addr;
    if (colon == NULL || (size_t)(colon - client) >= sizeof host) {
        return;
    }
    memcpy(host, client, (size_t)(colon - client));
    host[colon - client] = '\0';
    if (uv_ip4_addr(host, atoi(colon + 1), &addr) != 0) {
        return;
    }
    struct notice *nt = calloc(1, sizeof *nt);
    if (nt == NULL) {
        return;
    }
    mp_buf_init(&nt->frame);
    struct slot_admin a = {.op = SLOT_ADMIN_LEAVE, .id = id};
    size_t start = slot_frame_begin(&nt->frame, SLOT_FRAME_ADMIN, 0);
    slot_admin_encode(&nt->frame, &a);
    slot_frame_end(&nt->frame, start);
    uv_tcp_init(n->loop, &nt->tcp);
    nt->tcp.data = nt->connect.data = nt->write.data = nt;
    if (uv_tcp_connect(&nt->connect, &nt->tcp, (const struct sockaddr *)&addr,
                       noticeConnected) != 0) {
        uv_close((uv_handle_t *)&nt->tcp, noticeClosed);
    }
}

static void adminDone(struct areq *a, int status)
{
    if (status == 0 && a->op == SLOT_ADMIN_REMOVE && a->client[0] != '\0') {
        tellRemoved(a->node, a->id, a->client);
    }
    struct node_conn *c = a->conn;
    int code = raftToSlot(status);
    if (code != SLOT_OK) {
        replyError(a->node, c, a->tag, code);
    } else if (!c->closed) {
        size_t start =
            slot_frame_begin(&c->out, SLOT_FRAME_ADMIN_REPLY, a->tag);
        mp_pack_array(&c->out, 2);
        mp_pack_uint(&c->out, SLOT_OK);
        msgpack_pack_nil(&c->out.pk);
        slot_frame_end(&c->out, start);
        c->wake(c);
    }
    connDone(c);
    free(a);
}

static void changeCb(struct raft_change *req, int status)
{
    adminDone(req->data, status);
}

static void transferCb(struct raft_transfer *req)
{
    struct areq *a = req->data;
    /* raft reports no status: success means someone else now leads. */
    raft_id id;
    const char *addr;
    raft_leader(&a->node->raft, &id, &addr);
    adminDone(a, id != a->node->o.id ? 0 : RAFT_NOTLEADER);
}

/* A leader says we were removed. Only honoured when it names us and we are
 * not leading (a leader that removes itself steps down by itself). */
static void handleLeave(struct node *n, struct node_conn *c, uint64_t tag,
                        uint64_t id)
{
    if (id != n->o.id || raft_state(&n->raft) == RAFT_LEADER) {
        replyError(n, c, tag, SLOT_INVALID_ARGUMENT);
        return;
    }
    LOG_W("the leader removed this node from the cluster: shutting down");
    n->removed = true;
    if (n->o.removed_cb != NULL) {
        n->o.removed_cb(n->o.removed_data);
    }
}

static void handleAdmin(struct node *n, struct node_conn *c,
                        const struct slot_frame *f)
{
    struct mp_reader r;
    struct slot_admin a;
    mp_reader_init(&r, f->payload, f->payload_len);
    int rc = slot_admin_decode(&r, &a);
    if (rc == SLOT_OK && !mp_done(&r)) {
        rc = SLOT_MALFORMED;
    }
    if (rc != SLOT_OK) {
        replyError(n, c, f->tag, rc);
        return;
    }
    if (a.op == SLOT_ADMIN_STATUS) {
        replyStatus(n, c, f->tag, !a.no_hash);
        return;
    }
    if (a.op == SLOT_ADMIN_LEAVE) {
        handleLeave(n, c, f->tag, a.id);
        return;
    }
    if (raft_state(&n->raft) != RAFT_LEADER) {
        replyError(n, c, f->tag, SLOT_NOT_LEADER);
        return;
    }
    struct areq *q = calloc(1, sizeof *q);
    if (q == NULL) {
        replyError(n, c, f->tag, SLOT_BUSY);
        return;
    }
    q->node = n;
    q->conn = c;
    q->tag = f->tag;
    q->op = a.op;
    q->id = a.id;
    if (a.op == SLOT_ADMIN_REMOVE) {
        const struct raft_configuration *conf = &n->raft.configuration;
        char raft_part[ADDR_CAP];
        for (unsigned i = 0; i < conf->n; i++) {
            if (conf->servers[i].id == a.id &&
                transport_addr_split(conf->servers[i].address, raft_part,
                                     q->client, ADDR_CAP) != 0) {
                q->client[0] = '\0';
            }
        }
    }
    int rv;
    switch (a.op) {
        case SLOT_ADMIN_ADD:
            q->u.change.data = q;
            rv = raft_add(&n->raft, &q->u.change, a.id, a.address, changeCb);
            break;
        case SLOT_ADMIN_ASSIGN:
            q->u.change.data = q;
            rv = raft_assign(&n->raft, &q->u.change, a.id, a.role, changeCb);
            break;
        case SLOT_ADMIN_REMOVE:
            q->u.change.data = q;
            rv = raft_remove(&n->raft, &q->u.change, a.id, changeCb);
            break;
        default:
            q->u.transfer.data = q;
            rv = raft_transfer(&n->raft, &q->u.transfer, a.id, transferCb);
            break;
    }
    if (rv != 0) {
        replyError(n, c, f->tag, raftToSlot(rv));
        free(q);
        return;
    }
    c->pending++;
}

/* ---- requests
 * -------------------------------------------------------------------- */

static void handleCommand(struct node *n, struct node_conn *c,
                          const struct slot_frame *f)
{
    struct slot_cmd cmd;
    int rc = slot_cmd_decode_buf(f->payload, f->payload_len, &cmd);
    if (rc != SLOT_OK) {
        replyError(n, c, f->tag, rc);
        return;
    }
    if (raft_state(&n->raft) != RAFT_LEADER || n->closing) {
        replyError(n, c, f->tag, n->closing ? SLOT_SHUTDOWN : SLOT_NOT_LEADER);
        return;
    }
    rc = batchAdd(n, c, f->tag, f->payload, f->payload_len);
    if (rc != SLOT_OK) {
        replyError(n, c, f->tag, rc);
    }
}

void node_request(struct node *n, struct node_conn *c,
                  const struct slot_frame *f)
{
    if (c->pending >= n->o.conn_pending_max) {
        replyError(n, c, f->tag, SLOT_BUSY);
        return;
    }
    switch (f->type) {
        case SLOT_FRAME_COMMAND:
            handleCommand(n, c, f);
            return;
        case SLOT_FRAME_READ:
            handleRead(n, c, f);
            return;
        case SLOT_FRAME_ADMIN:
            handleAdmin(n, c, f);
            return;
        default:
            replyError(n, c, f->tag, SLOT_UNKNOWN_OP);
            return;
    }
}

void node_conn_closed(struct node *n, struct node_conn *c)
{
    (void)n;
    c->closed = true;
    if (c->pending == 0) {
        c->release(c);
    }
}

/* ---- loop hooks
 * ------------------------------------------------------------------- */

/* Role changes at INFO, with their time: an election's rounds are what a
 * failover's write gap is made of, so they must be readable afterwards. */
static void logRole(struct node *n)
{
    unsigned short state = raft_state(&n->raft);
    raft_term term = n->raft.current_term;
    raft_id leader = 0;
    const char *leader_addr;
    raft_leader(&n->raft, &leader, &leader_addr);
    bool pre_vote =
        state == RAFT_CANDIDATE && n->raft.candidate_state.in_pre_vote;
    if (state == n->seen_state && pre_vote == n->seen_pre_vote &&
        term == n->seen_term && leader == n->seen_leader) {
        return;
    }
    n->seen_state = state;
    n->seen_pre_vote = pre_vote;
    n->seen_term = term;
    n->seen_leader = leader;
    if (state == RAFT_LEADER) {
        LOG_I("raft: leader in term %llu", (unsigned long long)term);
    } else if (state == RAFT_CANDIDATE) {
        LOG_I("raft: candidate, %s for term %llu",
              pre_vote ? "pre-vote" : "vote",
              (unsigned long long)(pre_vote ? term + 1 : term));
    } else if (state == RAFT_FOLLOWER) {
        LOG_I("raft: follower in term %llu, leader %llu",
              (unsigned long long)term, (unsigned long long)leader);
    }
}

/* Once per loop turn, just before polling: everything read in this turn
 * goes out as one entry (and one barrier for the reads). */
static void prepareCb(uv_prepare_t *h)
{
    struct node *n = h->data;
    if (n->closing) {
        return;
    }
    logRole(n);
    proposeCurrent(n);
    startBarrier(n);
    /* A turn this long delayed every client and heartbeat behind it. */
    uint64_t busy_ms = (uv_hrtime() - n->turn_start_ns) / 1000000;
    if (n->turn_start_ns != 0 && busy_ms >= NODE_SLOW_TURN_MS) {
        LOG_W("slow loop turn: %llu ms of callbacks without polling",
              (unsigned long long)busy_ms);
    }
}

/* Right after polling: a new turn of callbacks begins. */
static void checkCb(uv_check_t *h)
{
    struct node *n = h->data;
    n->turn_start_ns = uv_hrtime();
}

static void checkMembership(struct node *n)
{
    const struct raft_configuration *conf = &n->raft.configuration;
    bool member = false;
    for (unsigned i = 0; i < conf->n; i++) {
        member = member || conf->servers[i].id == n->o.id;
    }
    if (member) {
        n->was_member = true;
    } else if (n->was_member && conf->n > 0 && !n->removed) {
        LOG_W("removed from the cluster configuration: shutting down");
        n->removed = true;
        if (n->o.removed_cb != NULL) {
            n->o.removed_cb(n->o.removed_data);
        }
    }
}

static void tickCb(uv_timer_t *h)
{
    struct node *n = h->data;
    if (n->closing) {
        return;
    }
    checkMembership(n);
    if (raft_state(&n->raft) == RAFT_LEADER &&
        ledger_next_deadline_ms(n->fsm.ledger) <= nowMs(n)) {
        queueExpire(n);
    }
}

/* ---- life cycle
 * --------------------------------------------------------------------- */

static int mkdirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        return ENAMETOOLONG;
    }
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(path, 0755) != 0 && errno != EEXIST) {
                return errno;
            }
            *p = saved;
            if (saved == '\0') {
                return 0;
            }
        }
    }
}

/* "ID=ADDR,ID=ADDR,...": the initial voters. Our own entry is replaced by
 * our full address so the configuration and raft_init agree. */
static int bootstrap(struct node *n, char *errmsg, size_t errlen)
{
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    char *list = strdup(n->o.bootstrap);
    int rv = list == NULL ? RAFT_NOMEM : 0;
    char *save = NULL;
    for (char *tok = list ? strtok_r(list, ",", &save) : NULL;
         tok != NULL && rv == 0; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        char *end;
        unsigned long long id = eq ? strtoull(tok, &end, 10) : 0;
        if (eq == NULL || id == 0 || end != eq || eq[1] == '\0') {
            snprintf(errmsg, errlen,
                     "bad --bootstrap entry '%s' (want ID=HOST:PORT)", tok);
            rv = RAFT_INVALID;
            break;
        }
        rv = raft_configuration_add(
            &conf, id, id == n->o.id ? n->address : eq + 1, RAFT_VOTER);
        if (rv != 0) {
            snprintf(errmsg, errlen, "--bootstrap entry '%s': %s", tok,
                     raft_strerror(rv));
        }
    }
    free(list);
    if (rv == 0) {
        rv = raft_bootstrap(&n->raft, &conf);
        if (rv == RAFT_CANTBOOTSTRAP) {
            rv = 0; /* existing state: a restart, not a new cluster */
        } else if (rv != 0) {
            snprintf(errmsg, errlen, "bootstrap: %s", raft_strerror(rv));
        } else {
            LOG_I("bootstrapped a new cluster of %u voters", conf.n);
        }
    }
    raft_configuration_close(&conf);
    return rv;
}

static unsigned randomSeed(void)
{
    unsigned seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid();
    }
    return seed;
}

int node_start(uv_loop_t *loop, const struct node_options *o, struct node **out,
               char *errmsg, size_t errlen)
{
    struct node *n = calloc(1, sizeof *n);
    *out = NULL;
    errmsg[0] = '\0';
    if (n == NULL) {
        snprintf(errmsg, errlen, "out of memory");
        return RAFT_NOMEM;
    }
    n->loop = loop;
    n->o = *o;
    snprintf(n->address, sizeof n->address, "%s", o->address);
    n->cur_items = calloc(o->batch_cmds_max, sizeof *n->cur_items);
    mp_buf_init(&n->cur.buf);
    /* Origins need only be unique among this node's batches in flight;
     * a random base also keeps a restarted node from matching entries its
     * previous incarnation proposed. */
    n->origin_base = ((uint64_t)randomSeed() << 32);
    int rv = n->cur_items == NULL ? RAFT_NOMEM : fsm_init(&n->fsm);
    if (rv != 0) {
        snprintf(errmsg, errlen, "out of memory");
        free(n->cur_items);
        free(n);
        return rv;
    }
    n->fsm.applied_cb = appliedCb;
    n->fsm.data = n;
    n->fsm_snapshot = n->fsm.raft.snapshot;
    n->fsm_finalize = n->fsm.raft.snapshot_finalize;
    n->fsm.raft.snapshot = nodeSnapshot;
    n->fsm.raft.snapshot_finalize = nodeSnapshotFinalize;
    snapfork_init(&n->snapfork, loop, snapshotReady, n);
    int e = mkdirs(o->dir);
    if (e != 0) {
        snprintf(errmsg, errlen, "data directory %s: %s", o->dir, strerror(e));
        rv = RAFT_IOERR;
    }
    if (rv == 0 && (rv = transport_init(&n->transport, loop)) != 0) {
        snprintf(errmsg, errlen, "transport: %s", raft_strerror(rv));
    }
    if (rv == 0 &&
        (rv = raft_uv_init(&n->io, loop, o->dir, &n->transport.outer)) != 0) {
        snprintf(errmsg, errlen, "raft_uv_init: %s", n->io.errmsg);
    }
    if (rv == 0) {
        /* A corrupt segment must stop the node, not be silently dropped
         * with the committed entries in it. */
        raft_uv_set_auto_recovery(&n->io, false);
        iofail_init(&n->iofail, &n->io);
        n->iofail.hold_put = holdPut;
        n->iofail.owner = n;
        rv = raft_init(&n->raft, &n->iofail.outer, &n->fsm.raft, o->id,
                       n->address);
        if (rv != 0) {
            snprintf(errmsg, errlen, "raft_init: %s", raft_errmsg(&n->raft));
        } else {
            iofail_started(&n->iofail);
        }
    }
    if (rv == 0) {
        /* 0.22.1 seeds its PRNG from the time and an id that is still 0
         * at that point: nodes started together would draw the same
         * election jitter and split votes forever. */
        raft_seed(&n->raft, randomSeed());
        raft_set_heartbeat_timeout(&n->raft, o->heartbeat_ms);
        raft_set_election_timeout(&n->raft, o->election_ms);
        raft_set_max_inflight_entries(&n->raft, RAFT_INFLIGHT_ENTRIES);
        raft_set_snapshot_threshold(&n->raft, node_snapshot_threshold(o));
        raft_set_snapshot_trailing(&n->raft, o->snapshot_trailing);
        raft_set_pre_vote(&n->raft, true);
        if (o->bootstrap != NULL && !o->join) {
            rv = bootstrap(n, errmsg, errlen);
        }
    }
    if (rv == 0 && (rv = raft_start(&n->raft)) != 0) {
        snprintf(errmsg, errlen, "raft_start: %s (%s)", raft_strerror(rv),
                 raft_errmsg(&n->raft));
    }
    if (rv != 0) {
        /* Partially initialised raft/io objects are left to process exit:
         * slotd stops when start fails. */
        return rv;
    }
    n->raft_started = true;
    uv_prepare_init(loop, &n->prepare);
    n->prepare.data = n;
    uv_prepare_start(&n->prepare, prepareCb);
    uv_check_init(loop, &n->check);
    n->check.data = n;
    uv_check_start(&n->check, checkCb);
    uv_timer_init(loop, &n->tick);
    n->tick.data = n;
    uv_timer_start(&n->tick, tickCb, o->expire_interval_ms,
                   o->expire_interval_ms);
    n->handles_open = 4; /* prepare, check, tick, snapfork's timer */
    *out = n;
    return 0;
}

static void handleClosed(uv_handle_t *h)
{
    struct node *n = h->data;
    if (--n->handles_open == 0 && n->stop_cb != NULL) {
        n->stop_cb(n->stop_data);
    }
}

static void raftClosed(struct raft *r)
{
    struct node *n = r->data;
    raft_uv_close(&n->io);
    transport_close(&n->transport);
    uv_close((uv_handle_t *)&n->prepare, handleClosed);
    uv_close((uv_handle_t *)&n->check, handleClosed);
    snapfork_close(&n->snapfork, handleClosed);
    uv_close((uv_handle_t *)&n->tick, handleClosed);
}

void node_stop(struct node *n, void (*cb)(void *data), void *data)
{
    if (n->closing) {
        return;
    }
    n->closing = true;
    n->stop_cb = cb;
    n->stop_data = data;
    /* Not proposed yet: these never reach the log. */
    uint32_t count = n->cur_n;
    n->cur_n = 0;
    failItems(n, n->cur_items, count, SLOT_SHUTDOWN);
    struct rq *reads = n->reads_head;
    n->reads_head = n->reads_tail = NULL;
    freeReads(n, reads, RAFT_SHUTDOWN);
    /* raft_close fails what is in flight through the callbacks above. */
    n->raft.data = n;
    /* A snapshot child still encoding is killed; raft_close then ends
     * its held write with RAFT_CANCELED (iofail.c). */
    snapfork_cancel(&n->snapfork);
    raft_close(&n->raft, raftClosed);
}

void node_free(struct node *n)
{
    fsm_close(&n->fsm);
    slot_entry_builder_free(&n->cur);
    free(n->cur_items);
    free(n);
}
