/* node_core: requests, batching, result routing, expiry proposals, status
 * and membership (node_core.h). Reads and barriers: node_core_read.c.
 *
 * ---- A batch --------------------------------------------------------------
 *
 *   filling (cur) ──flush / full──▶ proposed (inflight[]) ──applied_cb──▶
 *   applied (results kept) ──raft apply cb(0)──▶ answered, freed
 *                  │                              │
 *                  └── raft apply cb(err) ────────┴──▶ NOT_LEADER/SHUTDOWN
 *
 * Only the node that proposed an entry answers for it, and only once raft
 * acknowledges it (see applyCb for why not from the fsm's apply). The
 * entry's origin is how the proposer recognises its own entry when it is
 * applied: the fsm hands every applied entry's origin to
 * node_core_applied(), on every node, and a core keeps the results of
 * entries it finds among its own batches in flight.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "node_coreInt.h"
#include "slot_admin.h"

/* A membership change or leadership transfer, until raft's callback. */
struct areq {
    union {
        struct raft_change change;
        struct raft_transfer transfer;
    } u;
    struct node_core *core;
    struct node_conn *conn;
    uint64_t tag;
    uint8_t op;
    uint64_t id;
    char client[NODE_CORE_ADDR_CAP]; /* REMOVE: the removed node's */
};

_Noreturn void node_core__fatal(const char *what, int rv)
{
    LOG_E("%s: %s; stopping (restart recovers from the log)", what,
          raft_strerror(rv));
    abort();
}

/* The client part of a member address "RAFT/CLIENT" ("" when absent or
 * too long: nobody can be redirected there). */
static void clientPart(const char *full, char client[NODE_CORE_ADDR_CAP])
{
    const char *slash = strchr(full, '/');
    client[0] = '\0';
    if (slash != NULL && strlen(slash + 1) < NODE_CORE_ADDR_CAP) {
        strcpy(client, slash + 1);
    }
}

/* ---- replies ------------------------------------------------------------- */

void node_core__conn_done(struct node_conn *c)
{
    assert(c->pending > 0);
    c->pending--;
    if (c->closed && c->pending == 0) {
        c->release(c);
    }
}

/* The leader's id and client address as far as this node knows. */
static uint64_t leaderHint(struct node_core *core,
                           char client[NODE_CORE_ADDR_CAP])
{
    raft_id id;
    const char *addr;
    client[0] = '\0';
    raft_leader(core->raft, &id, &addr);
    if (id == 0) {
        return 0;
    }
    /* raft_leader's address on a follower is what the leader's transport
     * sent (the raft part only); the configuration has the full one. */
    const struct raft_configuration *conf = &core->raft->configuration;
    for (unsigned i = 0; i < conf->n; i++) {
        if (conf->servers[i].id == id) {
            clientPart(conf->servers[i].address, client);
        }
    }
    return id;
}

void node_core__reply_error(struct node_core *core, struct node_conn *c,
                            uint64_t tag, int code, uint8_t executed)
{
    if (code == SLOT_BUSY) {
        core->st.busy++;
    }
    if (c->closed) {
        return;
    }
    char client[NODE_CORE_ADDR_CAP] = "";
    uint64_t leader = 0;
    if (code == SLOT_NOT_LEADER || code == SLOT_NO_LEADER) {
        leader = leaderHint(core, client);
        code = leader == 0 || leader == core->cfg.id ? SLOT_NO_LEADER
                                                     : SLOT_NOT_LEADER;
        core->st.not_leader++;
    }
    slot_frame_error(&c->out, tag, code, leader, client, executed);
    c->wake(c);
}

int node_core__lost_code(const struct node_core *core, int status)
{
    if (core->closing || status == RAFT_SHUTDOWN || status == RAFT_CANCELED) {
        return SLOT_SHUTDOWN;
    }
    return SLOT_NOT_LEADER;
}

static void replyResult(struct node_core *core, struct node_conn *c,
                        uint64_t tag, const struct slot_result *res,
                        uint64_t index)
{
    core->st.results++;
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

/* ---- the leader's clock -------------------------------------------------- */

#define CLOCK_WARN_EVERY_MS 10000

/* The time this node stamps a new entry with and decides that work is due
 * by: on the leader, its wall clock clamped to the band of its term
 * (leader_clock.h), anchored on the first call in each term. */
static uint64_t leaderNow(struct node_core *core)
{
    uint64_t wall = core->cfg.now_ms(core->cfg.data);
    if (raft_state(core->raft) != RAFT_LEADER) {
        return wall; /* nothing it stamps can commit */
    }
    uint64_t mono = core->cfg.mono_ms(core->cfg.data);
    struct leader_clock *lc = &core->clock;
    if (leader_clock_anchor(lc, core->raft->current_term,
                            ledger_time_ms(core->fsm->ledger), wall, mono)) {
        core->st.clock_anchors++;
        core->st.clock_anchors_wall += lc->anchor_on_wall;
        LOG_I("term %llu: leader clock anchored at %llu (%s), wall clock "
              "%+lld ms from it",
              (unsigned long long)lc->term,
              (unsigned long long)lc->anchor_ledger_ms,
              lc->anchor_on_wall ? "the wall clock" : "ledger time",
              (long long)(wall - lc->anchor_ledger_ms));
    }
    int64_t off;
    uint64_t t = leader_clock_stamp(lc, wall, mono, &off);
    if (off != 0) {
        core->st.clock_clamped++;
        if (mono >= core->clock_warn_mono) {
            core->clock_warn_mono = mono + CLOCK_WARN_EVERY_MS;
            LOG_W("wall clock %+lld ms outside the leader's band (max "
                  "skew %llu ms): stamping %llu instead of %llu",
                  (long long)off, (unsigned long long)lc->max_skew_ms,
                  (unsigned long long)t, (unsigned long long)wall);
        }
    }
    leader_clock_issued(lc, t);
    core->leader_time_ms = t;
    return t;
}

/* ---- batching ------------------------------------------------------------ */

/* The core's own time-driven command (EXPIRE or SWEEP) left the pipeline:
 * applied, or lost with its entry. */
static void timeWorkDone(struct node_core *core, uint8_t op)
{
    if (op == SLOT_OP_EXPIRE) {
        core->expire_queued = false;
    } else {
        assert(op == SLOT_OP_SWEEP);
        core->sweep_queued = false;
    }
}

/* Ends accepted commands that will not be answered by the ledger;
 * executed: were they handed to raft (enum slot_exec)? */
static void failItems(struct node_core *core, struct pend *items,
                      uint32_t count, int code, uint8_t executed)
{
    for (uint32_t i = 0; i < count; i++) {
        if (items[i].conn != NULL) {
            core->st.lost++;
            core->st.lost_unknown += executed == SLOT_EXEC_UNKNOWN;
            node_core__reply_error(core, items[i].conn, items[i].tag, code,
                                   executed);
            node_core__conn_done(items[i].conn);
        } else {
            timeWorkDone(core, (uint8_t)items[i].tag);
        }
    }
}

static void inflightRemove(struct node_core *core, struct batch *b)
{
    for (uint32_t i = 0; i < core->n_inflight; i++) {
        if (core->inflight[i] == b) {
            core->inflight[i] = core->inflight[--core->n_inflight];
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
    struct node_core *core = b->core;
    (void)result;
    if (status == 0 && b->applied) {
        for (uint32_t i = 0; i < b->n; i++) {
            struct node_conn *c = b->items[i].conn;
            if (c != NULL) {
                replyResult(core, c, b->items[i].tag, &b->results[i],
                            req->index);
                node_core__conn_done(c);
            }
        }
    } else {
        /* Not applied here (leadership lost, shutdown): the entry may still
         * commit under the next leader. The client retries the same
         * (session, seq); the ledger answers that retry exactly once. */
        if (status == 0) {
            LOG_W("entry %llu acknowledged without being applied",
                  (unsigned long long)req->index);
            core->st.unapplied_acks++;
        }
        failItems(core, b->items, b->n, node_core__lost_code(core, status),
                  SLOT_EXEC_UNKNOWN);
    }
    inflightRemove(core, b);
    free(b->results);
    free(b);
}

/* Proposes the current batch if there is one and room in flight. */
static void proposeCurrent(struct node_core *core)
{
    if (core->cur_n == 0 || core->n_inflight >= core->cfg.inflight_max) {
        return;
    }
    uint32_t count = core->cur_n;
    core->cur_n = 0;
    core->cur_bytes = 0;
    size_t len;
    void *built = slot_entry_finish(&core->cur, &len);
    if (raft_state(core->raft) != RAFT_LEADER) {
        free(built);
        failItems(core, core->cur_items, count, SLOT_NOT_LEADER, SLOT_EXEC_NOT);
        return;
    }
    /* raft_apply takes memory from raft_malloc (raft.h): raft frees it with
     * raft_free, which a test may count (test_sim's heap accounting). One
     * copy of a batch costs far less than the disk write it rides on. */
    void *buf = raft_malloc(len);
    struct batch *b = malloc(sizeof *b + count * sizeof b->items[0]);
    if (buf == NULL || b == NULL) {
        node_core__fatal("batch", RAFT_NOMEM);
    }
    memcpy(buf, built, len);
    free(built);
    memset(&b->req, 0, sizeof b->req);
    b->req.data = b;
    b->core = core;
    b->origin = core->cfg.origin_base + core->origin_seq;
    b->applied = false;
    b->results = NULL;
    b->n = count;
    memcpy(b->items, core->cur_items, count * sizeof b->items[0]);
    /* slot_entry_finish pads to a multiple of 8 bytes: raft 0.22.1 frees
     * and then chokes on any other size, so none may reach raft_apply. */
    assert(len % 8 == 0);
    struct raft_buffer rb = {.base = buf, .len = len};
    int rv = raft_apply(core->raft, &b->req, &rb, 1, applyCb);
    if (rv == RAFT_NOTLEADER || rv == RAFT_NOSPACE) {
        /* Refused before raft took the buffer: still ours. */
        raft_free(buf);
        failItems(core, b->items, count,
                  rv == RAFT_NOSPACE ? SLOT_IO : SLOT_NOT_LEADER,
                  SLOT_EXEC_NOT);
        free(b);
        return;
    }
    if (rv != 0) {
        /* Raft had accepted the entry (and owns or freed the buffer):
         * the node's state is no longer known to be consistent. */
        node_core__fatal("raft_apply", rv);
    }
    core->inflight[core->n_inflight++] = b;
    core->st.batches++;
    core->st.commands += count;
}

/* Adds one encoded, validated command to the current batch (c == NULL:
 * the core's own EXPIRE). */
static int batchAdd(struct node_core *core, struct node_conn *c, uint64_t tag,
                    const void *cmd, size_t len)
{
    if (core->cur_n == core->cfg.batch_cmds_max ||
        !slot_entry_fits(&core->cur, len) ||
        core->cur_bytes + len > core->cfg.batch_bytes_max) {
        if (core->cur_n != 0 && core->n_inflight < core->cfg.inflight_max) {
            core->st.batches_full++;
        }
        proposeCurrent(core);
        if (core->cur_n != 0) {
            return SLOT_BUSY;
        }
    }
    if (core->cur_n == 0) {
        core->origin_seq++;
        slot_entry_begin(&core->cur, leaderNow(core),
                         core->cfg.origin_base + core->origin_seq);
    }
    slot_entry_add(&core->cur, cmd, len);
    core->cur_items[core->cur_n].conn = c;
    core->cur_items[core->cur_n].tag = tag;
    core->cur_n++;
    core->cur_bytes += len;
    if (c != NULL) {
        c->pending++;
    }
    return SLOT_OK;
}

/* Queues the core's own EXPIRE or SWEEP (op), unless one is queued or in
 * flight already: a second would find nothing the first did not. EXPIRE
 * carries max = expire_max, SWEEP sweep_max (a no-show mark records a
 * violation and costs a few times an expiry: slotd keeps one SWEEP entry
 * near 3 ms); what is left due is chained on apply. */
static void queueTimeWork(struct node_core *core, uint8_t op)
{
    bool *queued =
        op == SLOT_OP_EXPIRE ? &core->expire_queued : &core->sweep_queued;
    if (*queued || core->closing) {
        return;
    }
    struct slot_cmd cmd;
    struct mp_buf b;
    memset(&cmd, 0, sizeof cmd);
    cmd.op = op;
    cmd.u.expire.max = op == SLOT_OP_SWEEP && core->cfg.sweep_max != 0
                           ? core->cfg.sweep_max
                           : core->cfg.expire_max;
    mp_buf_init(&b);
    slot_cmd_encode(&b, &cmd);
    if (batchAdd(core, NULL, op, b.data, b.len) == SLOT_OK) {
        *queued = true;
        if (op == SLOT_OP_EXPIRE) {
            core->st.sweeps++;
        } else {
            core->st.flow_sweeps++;
        }
    }
    mp_buf_free(&b);
}

void node_core_applied(struct node_core *core, uint64_t origin,
                       const struct slot_cmd *cmds,
                       const struct slot_result *results, uint32_t count)
{
    struct batch *b = NULL;
    for (uint32_t i = 0; i < core->n_inflight; i++) {
        if (core->inflight[i]->origin == origin) {
            b = core->inflight[i];
        }
    }
    leader_clock_observe(&core->clock, ledger_time_ms(core->fsm->ledger),
                         core->cfg.mono_ms(core->cfg.data), b != NULL);
    if (b == NULL || b->applied) {
        return; /* another node's entry, or one we gave up */
    }
    assert(b->n == count);
    b->results = malloc(count * sizeof *b->results);
    if (b->results == NULL) {
        node_core__fatal("results", RAFT_NOMEM);
    }
    memcpy(b->results, results, count * sizeof *b->results);
    b->applied = true;
    for (uint32_t i = 0; i < count; i++) {
        if (b->items[i].conn != NULL) {
            continue;
        }
        assert(cmds[i].op == SLOT_OP_EXPIRE || cmds[i].op == SLOT_OP_SWEEP);
        assert(b->items[i].tag == cmds[i].op);
        timeWorkDone(core, cmds[i].op);
        if (results[i].b > 0) {
            /* More is due than one command does (holds to free, pools to
             * flow back): go on without waiting for the next tick. */
            queueTimeWork(core, cmds[i].op);
            if (cmds[i].op == SLOT_OP_EXPIRE) {
                core->st.sweeps_chained += core->expire_queued;
            }
        }
    }
}

/* ---- admin --------------------------------------------------------------- */

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

static void replyStatus(struct node_core *core, struct node_conn *c,
                        uint64_t tag, bool hash)
{
    struct slot_node_status st;
    char client[NODE_CORE_ADDR_CAP];
    struct raft *r = core->raft;
    memset(&st, 0, sizeof st);
    st.id = core->cfg.id;
    snprintf(st.role, sizeof st.role, "%s", roleName(r));
    st.term = r->current_term;
    st.commit_index = r->commit_index;
    st.applied_index = raft_last_applied(r);
    st.leader_id = leaderHint(core, client);
    snprintf(st.address, sizeof st.address, "%s", core->address);
    const struct raft_configuration *conf = &r->configuration;
    for (unsigned i = 0; i < conf->n && i < SLOT_MEMBERS_MAX; i++) {
        struct slot_member *m = &st.members[st.n_members++];
        m->id = conf->servers[i].id;
        snprintf(m->address, sizeof m->address, "%s", conf->servers[i].address);
        m->role = (uint8_t)conf->servers[i].role;
    }
    /* O(state): only when asked (slotctl status), never for probes. */
    st.state_hash = hash ? ledger_state_hash(core->fsm->ledger) : 0;
    st.ledger_time_ms = ledger_time_ms(core->fsm->ledger);
    st.entries_applied = core->fsm->entries_applied;
    st.commands_applied = core->fsm->commands_applied;
    /* raft 0.22.1's own fields (raft.h documents them; no accessor). */
    st.config_committed_index = r->configuration_committed_index;
    st.config_uncommitted_index = r->configuration_uncommitted_index;
    st.promotee_id =
        raft_state(r) == RAFT_LEADER ? r->leader_state.promotee_id : 0;
    st.leader_stalls = core->st.leader_stalls;
    st.leader_stall_max_us = core->st.leader_stall_max_us;
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

static const char *adminName(uint8_t op)
{
    switch (op) {
        case SLOT_ADMIN_ADD:
            return "add";
        case SLOT_ADMIN_ASSIGN:
            return "assign";
        case SLOT_ADMIN_REMOVE:
            return "remove";
        default:
            return "transfer";
    }
}

/* raft refuses a membership change while the previous one is not
 * committed or a promotion is catching up: say which, so that a change
 * stalled for a long time (issue 18) shows what raft waits for. Clients
 * retry BUSY every few tens of ms: at most one line a second while the
 * state stays the same, with the count of refusals not logged. */
static void logCantChange(struct node_core *core, uint8_t op, uint64_t id)
{
    const struct raft *r = core->raft;
    uint64_t promotee =
        r->state == RAFT_LEADER ? r->leader_state.promotee_id : 0;
    uint64_t now_ms = core->cfg.now_ms(core->cfg.data);
    core->st.cantchange++;
    if (r->configuration_uncommitted_index == core->cc_uncommitted &&
        promotee == core->cc_promotee && now_ms >= core->cc_logged_ms &&
        now_ms - core->cc_logged_ms < 1000) {
        core->cc_quiet++;
        return;
    }
    LOG_W("membership %s %llu refused (CANTCHANGE): configuration committed "
          "at %llu, uncommitted at %llu, promotee %llu, commit index %llu "
          "(%llu refusals not logged before)",
          adminName(op), (unsigned long long)id,
          (unsigned long long)r->configuration_committed_index,
          (unsigned long long)r->configuration_uncommitted_index,
          (unsigned long long)promotee, (unsigned long long)r->commit_index,
          (unsigned long long)core->cc_quiet);
    core->cc_uncommitted = r->configuration_uncommitted_index;
    core->cc_promotee = promotee;
    core->cc_logged_ms = now_ms;
    core->cc_quiet = 0;
}

/* raft's callback for an accepted change or transfer; executed (enum
 * slot_exec): could it have taken effect, if status is an error? */
static void adminDone(struct areq *a, int status, uint8_t executed)
{
    struct node_core *core = a->core;
    if (status == 0 && a->op == SLOT_ADMIN_REMOVE && a->client[0] != '\0' &&
        core->cfg.tell_removed != NULL) {
        core->cfg.tell_removed(core->cfg.data, a->id, a->client);
    }
    if (status == RAFT_CANTCHANGE) {
        logCantChange(core, a->op, a->id);
    }
    struct node_conn *c = a->conn;
    int code = raftToSlot(status);
    if (code != SLOT_OK) {
        node_core__reply_error(core, c, a->tag, code, executed);
    } else if (!c->closed) {
        size_t start =
            slot_frame_begin(&c->out, SLOT_FRAME_ADMIN_REPLY, a->tag);
        mp_pack_array(&c->out, 2);
        mp_pack_uint(&c->out, SLOT_OK);
        msgpack_pack_nil(&c->out.pk);
        slot_frame_end(&c->out, start);
        c->wake(c);
    }
    node_core__conn_done(c);
    free(a);
}

static void changeCb(struct raft_change *req, int status)
{
    /* A promotion to voter first catches the server up, and only then
     * appends the configuration entry; raft 0.22.1 (legacy.c) clears
     * catch_up_id just before it submits that entry. A change failed with
     * catch_up_id still set (the catch-up aborted: NOCONNECTION; leadership
     * lost or a transfer meanwhile: LEADERSHIPLOST) never reached the log.
     * Any other failed change had its entry appended: it may still
     * commit under the next leader. */
    uint8_t executed = status != 0 && req->catch_up_id != 0 ? SLOT_EXEC_NOT
                                                            : SLOT_EXEC_UNKNOWN;
    adminDone(req->data, status, executed);
}

static void transferCb(struct raft_transfer *req)
{
    struct areq *a = req->data;
    /* raft reports no status: success means someone else now leads. */
    raft_id id;
    const char *addr;
    raft_leader(a->core->raft, &id, &addr);
    /* Failed: the TimeoutNow may still make the target campaign. */
    adminDone(a, id != a->core->cfg.id ? 0 : RAFT_NOTLEADER, SLOT_EXEC_UNKNOWN);
}

static void setRemoved(struct node_core *core)
{
    core->removed = true;
    if (core->cfg.removed_cb != NULL) {
        core->cfg.removed_cb(core->cfg.data);
    }
}

/* A leader says we were removed. Only honoured when it names us and we are
 * not leading (a leader that removes itself steps down by itself). */
static void handleLeave(struct node_core *core, struct node_conn *c,
                        uint64_t tag, uint64_t id)
{
    if (id != core->cfg.id || raft_state(core->raft) == RAFT_LEADER) {
        node_core__reply_error(core, c, tag, SLOT_INVALID_ARGUMENT,
                               SLOT_EXEC_NOT);
        return;
    }
    if (!core->removed) {
        LOG_W("the leader removed this node from the cluster: shutting down");
        setRemoved(core);
    }
}

static void handleAdmin(struct node_core *core, struct node_conn *c,
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
        node_core__reply_error(core, c, f->tag, rc, SLOT_EXEC_NOT);
        return;
    }
    if (a.op == SLOT_ADMIN_STATUS) {
        replyStatus(core, c, f->tag, !a.no_hash);
        return;
    }
    if (a.op == SLOT_ADMIN_LEAVE) {
        handleLeave(core, c, f->tag, a.id);
        return;
    }
    if (core->closing || raft_state(core->raft) != RAFT_LEADER) {
        node_core__reply_error(core, c, f->tag,
                               core->closing ? SLOT_SHUTDOWN : SLOT_NOT_LEADER,
                               SLOT_EXEC_NOT);
        return;
    }
    struct areq *q = calloc(1, sizeof *q);
    if (q == NULL) {
        node_core__reply_error(core, c, f->tag, SLOT_BUSY, SLOT_EXEC_NOT);
        return;
    }
    q->core = core;
    q->conn = c;
    q->tag = f->tag;
    q->op = a.op;
    q->id = a.id;
    if (a.op == SLOT_ADMIN_REMOVE) {
        const struct raft_configuration *conf = &core->raft->configuration;
        for (unsigned i = 0; i < conf->n; i++) {
            if (conf->servers[i].id == a.id) {
                clientPart(conf->servers[i].address, q->client);
            }
        }
    }
    int rv;
    switch (a.op) {
        case SLOT_ADMIN_ADD:
            q->u.change.data = q;
            rv = raft_add(core->raft, &q->u.change, a.id, a.address, changeCb);
            break;
        case SLOT_ADMIN_ASSIGN:
            q->u.change.data = q;
            rv = raft_assign(core->raft, &q->u.change, a.id, a.role, changeCb);
            break;
        case SLOT_ADMIN_REMOVE:
            q->u.change.data = q;
            rv = raft_remove(core->raft, &q->u.change, a.id, changeCb);
            break;
        default:
            q->u.transfer.data = q;
            rv = raft_transfer(core->raft, &q->u.transfer, a.id, transferCb);
            break;
    }
    if (rv != 0) {
        /* Refused synchronously: raft 0.22.1 (ClientSubmit) takes back
         * whatever it appended before it returns an error. */
        if (rv == RAFT_CANTCHANGE) {
            logCantChange(core, a.op, a.id);
        }
        node_core__reply_error(core, c, f->tag, raftToSlot(rv), SLOT_EXEC_NOT);
        free(q);
        return;
    }
    core->st.admin_changes++;
    c->pending++;
}

/* ---- requests ------------------------------------------------------------ */

static void handleCommand(struct node_core *core, struct node_conn *c,
                          const struct slot_frame *f)
{
    struct slot_cmd cmd;
    int rc = slot_cmd_decode_buf(f->payload, f->payload_len, &cmd);
    if (rc != SLOT_OK) {
        node_core__reply_error(core, c, f->tag, rc, SLOT_EXEC_NOT);
        return;
    }
    if (raft_state(core->raft) != RAFT_LEADER || core->closing) {
        node_core__reply_error(core, c, f->tag,
                               core->closing ? SLOT_SHUTDOWN : SLOT_NOT_LEADER,
                               SLOT_EXEC_NOT);
        return;
    }
    rc = batchAdd(core, c, f->tag, f->payload, f->payload_len);
    if (rc != SLOT_OK) {
        node_core__reply_error(core, c, f->tag, rc, SLOT_EXEC_NOT);
    }
}

static void handleRead(struct node_core *core, struct node_conn *c,
                       const struct slot_frame *f)
{
    struct mp_reader r;
    bool linearizable;
    struct slot_read rd;
    mp_reader_init(&r, f->payload, f->payload_len);
    if (!mp_expect_array(&r, 2) || !mp_read_bool(&r, &linearizable)) {
        node_core__reply_error(core, c, f->tag,
                               r.err != 0 ? r.err : SLOT_MALFORMED,
                               SLOT_EXEC_NOT);
        return;
    }
    const uint8_t *read_at = r.p;
    int rc = slot_read_decode(&r, &rd);
    if (rc == SLOT_OK && !mp_done(&r)) {
        rc = SLOT_MALFORMED;
    }
    if (rc != SLOT_OK) {
        node_core__reply_error(core, c, f->tag, rc, SLOT_EXEC_NOT);
        return;
    }
    if (!linearizable) {
        node_core__read_local(core, c, f->tag, &rd); /* labelled: applied */
        core->st.reads_local++;
        return;
    }
    if (core->closing) {
        node_core__reply_error(core, c, f->tag, SLOT_SHUTDOWN, SLOT_EXEC_NOT);
        return;
    }
    node_core__read_linearizable(core, c, f->tag, &rd, read_at,
                                 (uint32_t)(r.p - read_at));
}

void node_core_request(struct node_core *core, struct node_conn *c,
                       const struct slot_frame *f)
{
    assert(!c->closed);
    if (c->pending >= core->cfg.conn_pending_max) {
        node_core__reply_error(core, c, f->tag, SLOT_BUSY, SLOT_EXEC_NOT);
        return;
    }
    switch (f->type) {
        case SLOT_FRAME_COMMAND:
            handleCommand(core, c, f);
            return;
        case SLOT_FRAME_READ:
            handleRead(core, c, f);
            return;
        case SLOT_FRAME_ADMIN:
            handleAdmin(core, c, f);
            return;
        default:
            node_core__reply_error(core, c, f->tag, SLOT_UNKNOWN_OP,
                                   SLOT_EXEC_NOT);
            return;
    }
}

void node_core_conn_closed(struct node_core *core, struct node_conn *c)
{
    (void)core;
    c->closed = true;
    if (c->pending == 0) {
        c->release(c);
    }
}

/* ---- owner's hooks ------------------------------------------------------- */

void node_core_turn(struct node_core *core, uint64_t busy_us)
{
    if (busy_us < SLOT_STALL_US || raft_state(core->raft) != RAFT_LEADER) {
        return;
    }
    core->st.leader_stalls++;
    if (busy_us > core->st.leader_stall_max_us) {
        core->st.leader_stall_max_us = busy_us;
    }
}

void node_core_flush(struct node_core *core)
{
    if (core->closing) {
        return;
    }
    proposeCurrent(core);
    node_core__reads_flush(core);
}

static void checkMembership(struct node_core *core)
{
    const struct raft_configuration *conf = &core->raft->configuration;
    bool member = false;
    for (unsigned i = 0; i < conf->n; i++) {
        member = member || conf->servers[i].id == core->cfg.id;
    }
    if (member) {
        core->was_member = true;
    } else if (core->was_member && conf->n > 0 && !core->removed) {
        LOG_W("removed from the cluster configuration: shutting down");
        setRemoved(core);
    }
}

void node_core_tick(struct node_core *core)
{
    if (core->closing) {
        return;
    }
    checkMembership(core);
    if (raft_state(core->raft) != RAFT_LEADER) {
        return;
    }
    uint64_t now_ms = leaderNow(core);
    if (ledger_next_deadline_ms(core->fsm->ledger) <= now_ms) {
        queueTimeWork(core, SLOT_OP_EXPIRE);
    }
    if (ledger_next_sweep_ms(core->fsm->ledger) <= now_ms) {
        queueTimeWork(core, SLOT_OP_SWEEP);
    }
}

void node_core_stop(struct node_core *core)
{
    if (core->closing) {
        return;
    }
    core->closing = true;
    /* Not proposed yet: these never reach the log. */
    uint32_t count = core->cur_n;
    core->cur_n = 0;
    core->cur_bytes = 0;
    failItems(core, core->cur_items, count, SLOT_SHUTDOWN, SLOT_EXEC_NOT);
    node_core__reads_fail(core, RAFT_SHUTDOWN);
}

bool node_core_removed(const struct node_core *core)
{
    return core->removed;
}

const struct node_core_stats *node_core_stats(const struct node_core *core)
{
    return &core->st;
}

uint64_t node_core_leader_time_ms(const struct node_core *core)
{
    return core->leader_time_ms;
}

int node_core_create(struct raft *r, struct fsm *f,
                     const struct node_core_config *cfg, struct node_core **out)
{
    *out = NULL;
    if (cfg->id == 0 || cfg->now_ms == NULL || cfg->mono_ms == NULL ||
        cfg->batch_cmds_max == 0 || cfg->batch_cmds_max > SLOT_BATCH_CMDS_MAX ||
        cfg->batch_bytes_max == 0 || cfg->batch_bytes_max > SLOT_ENTRY_MAX ||
        cfg->inflight_max == 0 || cfg->inflight_max > NODE_CORE_INFLIGHT_MAX ||
        cfg->reads_max == 0 || cfg->conn_pending_max == 0 ||
        cfg->expire_max == 0 || cfg->expire_max > SLOT_EXPIRE_MAX ||
        cfg->sweep_max > SLOT_EXPIRE_MAX ||
        (cfg->origin_base & 0xffffffffu) != 0) {
        return RAFT_INVALID;
    }
    struct node_core *core = calloc(1, sizeof *core);
    if (core == NULL) {
        return RAFT_NOMEM;
    }
    core->cur_items = calloc(cfg->batch_cmds_max, sizeof *core->cur_items);
    if (core->cur_items == NULL) {
        free(core);
        return RAFT_NOMEM;
    }
    core->raft = r;
    core->fsm = f;
    core->cfg = *cfg;
    snprintf(core->address, sizeof core->address, "%s",
             cfg->address != NULL ? cfg->address : "");
    core->cfg.address = core->address;
    mp_buf_init(&core->cur.buf);
    leader_clock_init(&core->clock, cfg->max_skew_ms);
    *out = core;
    return 0;
}

void node_core_destroy(struct node_core *core)
{
    assert(core->n_inflight == 0 && core->barrier == NULL);
    slot_entry_builder_free(&core->cur);
    free(core->cur_items);
    free(core);
}
