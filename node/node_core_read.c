/* node_core_read: reads, and the barriers that make them linearizable.
 *
 * A linearizable read must see every write acknowledged before it was
 * sent. The leader cannot answer from its own state at once: it may have
 * been deposed without knowing it, and a newer leader may already have
 * acknowledged writes it has not seen. So reads wait for a raft barrier:
 * once a barrier entry of the leader's term is committed and applied, this
 * node was the leader when the reads arrived and its state holds
 * everything committed before them.
 *
 *   node_core__read_linearizable ──▶ queued ──node_core__reads_flush──▶
 *   barrier in flight ──barrierCb(0)──▶ served at the applied index
 *                              └──barrierCb(err)──▶ NOT_LEADER / SHUTDOWN
 *
 * One barrier at a time: reads that arrive while one is in flight queue
 * for the next, so a burst costs one barrier per round trip, not one per
 * read (DESIGN.md, "Reads").
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "node_coreInt.h"

void node_core__read_local(struct node_core *core, struct node_conn *c,
                           uint64_t tag, const struct slot_read *rd)
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
    mp_pack_uint(&c->out, raft_last_applied(core->raft));
    size_t body_at = c->out.len;
    int code = ledger_read(core->fsm->ledger, rd, &c->out);
    if (c->out.len == body_at) {
        msgpack_pack_nil(&c->out.pk);
    }
    assert(code >= 0 && code < 128);
    c->out.data[code_at] = (uint8_t)code;
    slot_frame_end(&c->out, start);
    c->wake(c);
}

static void serveQueued(struct node_core *core, struct rq *q, int status)
{
    if (status != 0) {
        /* A read changes nothing: never executed, whatever happened to
         * its barrier. */
        node_core__reply_error(core, q->conn, q->tag,
                               node_core__lost_code(core, status),
                               SLOT_EXEC_NOT);
        node_core__conn_done(q->conn);
        return;
    }
    struct slot_read rd;
    struct mp_reader r;
    mp_reader_init(&r, q->bytes, q->len);
    int rc = slot_read_decode(&r, &rd);
    assert(rc == SLOT_OK); /* validated when queued */
    (void)rc;
    node_core__read_local(core, q->conn, q->tag, &rd);
    core->st.reads_barrier++;
    node_core__conn_done(q->conn);
}

/* Answers and frees a list of reads (bounded: at most reads_max). */
static void serveList(struct node_core *core, struct rq *list, int status)
{
    while (list != NULL) {
        struct rq *next = list->next;
        serveQueued(core, list, status);
        assert(core->n_reads > 0);
        core->n_reads--;
        free(list);
        list = next;
    }
}

static void barrierCb(struct raft_barrier *req, int status)
{
    struct barrier *br = req->data;
    struct node_core *core = br->core;
    /* Every entry up to the barrier is applied, and the barrier committed
     * in our term: the reads queued before it see a linearizable state. */
    core->barrier = NULL;
    serveList(core, br->list, status);
    free(br);
}

void node_core__reads_flush(struct node_core *core)
{
    if (core->barrier != NULL || core->reads_head == NULL) {
        return;
    }
    struct barrier *br = malloc(sizeof *br);
    if (br == NULL) {
        node_core__fatal("barrier", RAFT_NOMEM);
    }
    br->req.data = br;
    br->core = core;
    br->list = core->reads_head;
    core->reads_head = core->reads_tail = NULL;
    int rv = raft_barrier(core->raft, &br->req, barrierCb);
    if (rv != 0) {
        serveList(core, br->list, rv);
        free(br);
        return;
    }
    core->barrier = br;
    core->st.barriers++;
}

void node_core__reads_fail(struct node_core *core, int status)
{
    struct rq *reads = core->reads_head;
    core->reads_head = core->reads_tail = NULL;
    serveList(core, reads, status);
}

void node_core__read_linearizable(struct node_core *core, struct node_conn *c,
                                  uint64_t tag, const struct slot_read *rd,
                                  const uint8_t *bytes, uint32_t len)
{
    (void)rd; /* served from its bytes, decoded again after the barrier */
    if (raft_state(core->raft) != RAFT_LEADER) {
        node_core__reply_error(core, c, tag, SLOT_NOT_LEADER, SLOT_EXEC_NOT);
        return;
    }
    if (core->n_reads >= core->cfg.reads_max) {
        node_core__reply_error(core, c, tag, SLOT_BUSY, SLOT_EXEC_NOT);
        return;
    }
    struct rq *q = malloc(sizeof *q + len);
    if (q == NULL) {
        node_core__reply_error(core, c, tag, SLOT_BUSY, SLOT_EXEC_NOT);
        return;
    }
    q->next = NULL;
    q->conn = c;
    q->tag = tag;
    q->len = len;
    memcpy(q->bytes, bytes, len);
    if (core->reads_tail != NULL) {
        core->reads_tail->next = q;
    } else {
        core->reads_head = q;
    }
    core->reads_tail = q;
    core->n_reads++;
    c->pending++;
}
