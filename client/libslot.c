/* libslot core: connections, leader discovery, sessions, retries and the
 * async API (contract in libslot.h).
 *
 * ---- A request's life -----------------------------------------------------
 *
 *   submit ──▶ QUEUED ──pump: node connected, (session, seq) assigned──▶
 *   IN FLIGHT (a tag in the slot table, bytes in the connection's buffer)
 *      │ reply                     │ connection lost / NOT_LEADER / NO_LEADER
 *      ▼                           ▼ / BUSY / SHUTDOWN / SESSION_UNKNOWN
 *   complete (callback)       back to QUEUED (same session and seq; an
 *                             ERROR's "executed" decides maybe_applied)
 *
 *   and from QUEUED or IN FLIGHT, at the deadline or on slotc_close:
 *   complete with OUTCOME_UNKNOWN / TIMEOUT / UNAVAILABLE (NAME_UNRESOLVED
 *   when no node's name resolved) / SHUTDOWN.
 *
 * Every pending request is on exactly one of two lists (queue, inflight);
 * an in-flight one also owns one entry of the slot table, whose index is
 * the low 16 bits of its tag. Tags carry a generation above that, so a late
 * reply to an abandoned attempt finds no match and is dropped.
 *
 * ---- Why a request is "maybe applied" -------------------------------------
 *
 * A mutation becomes maybe_applied the moment an attempt ends without a
 * definite answer after its bytes were handed to a socket: the connection
 * broke, the deadline passed in flight, or the node's ERROR frame said
 * "executed: UNKNOWN" (raft had taken the command and then lost it:
 * leadership lost, shutdown; slot_proto.h enum slot_exec; a node that
 * predates the field says nothing and counts as UNKNOWN). An ERROR with
 * "executed: NOT" (a follower, no leader, BUSY, a closing node: refused
 * before raft took it) and a RESULT are definite. From then on the library
 * never reports a "not applied" error for it: OUTCOME_UNKNOWN is the
 * honest answer, unless a later attempt gets the ledger's stored result.
 *
 * ---- Sessions -------------------------------------------------------------
 *
 * The ledger keeps results of seqs in (max_seq - 32, max_seq]. If seq s is
 * still unanswered and we sent s + 32, a retry of s would be
 * REQUEST_TOO_OLD and exactly-once would be lost; so a session hands out
 * seq n only while n < base + 32, base being its lowest unfinished seq (a
 * 32-bit mask tracks which seqs above base are finished).
 *
 * Everything runs on the client's loop; there are no locks and no globals.
 * Callbacks may call back into the library (submit, close): every loop that
 * completes requests first moves them to a private list.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "mp.h"
#include "slot_addr.h"
#include "slot_admin.h"
#include "slot_proto.h"
#include "slot_time.h"
#include "slot_valid.h"
#include "libslotInt.h"

/* The public copies of protocol limits and enums must agree with it. */
_Static_assert(SLOTC_POOL_ID_MAX == SLOT_POOL_ID_MAX, "pool id limit");
_Static_assert(SLOTC_PATIENT_KEY_MAX == SLOT_PATIENT_KEY_MAX, "patient limit");
_Static_assert(SLOTC_PATIENT_KEY_MIN == SLOT_PATIENT_KEY_MIN, "patient limit");
_Static_assert(SLOTC_CHANNEL_MAX == SLOT_CHANNEL_MAX, "channel limit");
_Static_assert(SLOTC_PAYMENT_REF_MAX == SLOT_PAYMENT_REF_MAX, "ref limit");
_Static_assert(SLOTC_IDEM_KEY_MAX == SLOT_IDEM_KEY_MAX, "idem key limit");
_Static_assert(SLOTC_SHARES_MAX == SLOT_POOL_SHARES_MAX, "shares limit");
_Static_assert(SLOTC_LIST_MAX == SLOT_LIST_MAX, "list limit");
_Static_assert(SLOTC_ADDRESS_MAX == SLOT_ADDRESS_MAX, "address limit");
_Static_assert(SLOTC_MEMBERS_MAX == SLOT_MEMBERS_MAX, "members limit");
_Static_assert((int)SLOTC_CLAIM_CANCELLED == (int)SLOT_CLAIM_CANCELLED,
               "claims");
_Static_assert((int)SLOTC_POOL_CLOSED == (int)SLOT_PSTATE_CLOSED,
               "pool states");
_Static_assert((int)SLOTC_KIND_SPECIAL == (int)SLOT_KIND_SPECIAL, "kinds");
_Static_assert((int)SLOTC_ROLE_SPARE == (int)SLOT_ROLE_SPARE, "roles");
_Static_assert(SLOTC_QUEUE_MAX + SLOTC_SESSIONS_MAX <= (1u << 20),
               "a slot index fits the tag's low 20 bits");

#define WINDOW             32u  /* the ledger's SLOT_SESSION_WINDOW */
#define TICK_MS            20u  /* deadline and timeout resolution */
#define ADDR_TEXT_MAX      300u /* "host:port" as given */
#define READ_CHUNK         (64u << 10)
#define PATIENT_CLAIMS_MAX 16u
#define TAG_SLOT_BITS      20

/* ---- private request state (lives in req->_reserved) --------------------- */

enum rq_kind { K_CMD = 1, K_READ = 2, K_ADMIN = 3 };
enum rq_where { W_NONE = 0, W_QUEUE = 1, W_INFLIGHT = 2 };

struct session;
struct conn;

/* The request as the library keeps it: a copy of the arguments, with the
 * strings they point to appended. */
struct blk {
    union {
        struct slot_cmd cmd;
        struct slot_read rd;
        struct slot_admin adm;
    } u;
    size_t used, cap;
    char strings[];
};

struct rq {
    struct slotc *c;
    slotc_cb cb;
    struct slotc_req *prev, *next; /* on c->queue or c->inflight */
    struct blk *blk;
    void *res; /* decoded outputs */
    struct session *sess;
    struct conn *conn; /* the attempt in flight */
    uint64_t seq;
    uint64_t deadline;   /* loop time, ms */
    uint64_t not_before; /* loop time: no attempt before */
    uint64_t tag;
    uint32_t slot;
    int16_t node; /* pinned node index, or -1 */
    uint8_t kind;
    uint8_t where;
    bool mutating;      /* a failed attempt may have changed state */
    bool maybe_applied; /* see the top of the file */
    bool answered;      /* a node answered some attempt */
    bool internal;      /* a session opener: no user callback */
};
_Static_assert(sizeof(struct rq) <= sizeof(((struct slotc_req *)0)->_reserved),
               "private request state fits the reserved area");

static struct rq *P(struct slotc_req *req)
{
    return (struct rq *)(void *)req->_reserved;
}

struct rqlist {
    struct slotc_req *head, *tail;
    uint32_t n;
};

enum sess_state { S_FREE = 0, S_OPENING, S_OPEN, S_DEAD };

struct session {
    int state;
    uint64_t id;
    uint64_t next_seq; /* next to hand out */
    uint64_t base;     /* lowest unfinished seq */
    uint32_t done;     /* bit i: seq base + i finished */
    uint32_t active;   /* requests holding a seq of this session */
    struct slotc_req opener;
};

struct conn {
    struct slotc *c;
    int node;
    uv_tcp_t tcp;
    uv_getaddrinfo_t gai; /* a named node: resolving it (see connGet) */
    uv_connect_t creq;
    uv_write_t wreq;
    struct mp_buf out;  /* frames waiting to be written */
    struct mp_buf wbuf; /* frames being written */
    uint8_t *in;
    size_t in_len, in_cap;
    bool connected, writing, closing, healthy;
    bool resolving;  /* gai in flight: it frees the conn if closed */
    bool tcp_closed; /* connClosed ran while resolving */
    uint64_t started, last_rx, busy_since;
    uint32_t n_inflight;
};

struct nodeent {
    char addr[ADDR_TEXT_MAX];
    struct slot_hostport hp;
    struct sockaddr_storage sa; /* an IP literal's; a name is resolved
                                 * again on every connect */
    struct conn *conn;
    uint64_t retry_at;
    uint32_t backoff_ms;
    uint32_t ai_skip; /* a name's addresses tried and failed in a row */
    bool unresolved;  /* its last connect failed to resolve the name */
};

struct slotc {
    uv_loop_t *loop;
    struct slotc_options o;
    struct nodeent nodes[SLOTC_NODES_MAX];
    uint32_t n_nodes;
    int leader;  /* node index believed to lead, or -1 */
    uint32_t rr; /* where the next search for a node starts */
    struct session sessions[SLOTC_SESSIONS_MAX];
    struct rqlist queue, inflight;
    uint32_t pending;         /* all accepted, internal ones included */
    uint32_t internal;        /* session openers among them */
    struct slotc_req **slots; /* n_slots: queue_max + SLOTC_SESSIONS_MAX */
    uint32_t n_slots;
    uint32_t *free_slots;
    uint32_t n_free;
    uint64_t tag_gen;
    uint64_t sess_retry_at; /* no SESSION_OPEN before (after a refusal) */
    uint64_t rand;
    uv_timer_t tick;
    bool tick_on, refs_on, always_ref;
    uint32_t handles;
    bool closing;
    bool in_pump, pump_again;
    void (*close_cb)(void *data);
    void *close_data;
    void *cb_mem[2]; /* outputs of the request whose callback runs */
};

/* ---- small helpers ------------------------------------------------------- */

const char *slotc_err_name(int code)
{
    return slot_err_name(code);
}

const char *slotc_err_message(int code)
{
    return slot_err_message(code);
}

const char *slotc_kind_name(int kind)
{
    return slot_kind_name(kind);
}

const char *slotc_pool_state_name(int state)
{
    return slot_pool_state_name(state);
}

const char *slotc_claim_state_name(int state)
{
    return slot_claim_state_name(state);
}

const char *slotc_attendance_name(int attendance)
{
    return slot_attendance_name(attendance);
}

const char *slotc_member_role_name(int role)
{
    return slot_member_role_name(role);
}

int slotc_kind_from_name(const char *name)
{
    return name == NULL ? -1 : slot_kind_from_name(name, strlen(name));
}

int slotc_member_role_from_name(const char *name)
{
    return name == NULL ? -1 : slot_member_role_from_name(name);
}

const char *slotc_op_name(int op)
{
    static const char *const names[] = {
        NULL,
        "CONFIG",
        "POOL_CREATE",
        "POOL_UPDATE",
        "POOL_CLOSE",
        "HOLD",
        "CONFIRM",
        "RELEASE",
        "CANCEL",
        "EXPIRE",
        "READ_POOL",
        "READ_HOLD",
        "READ_BOOKING",
        "READ_PATIENT",
        "READ_POOLS",
        "READ_LEDGER",
        "STATUS",
        "MEMBER_ADD",
        "MEMBER_ASSIGN",
        "MEMBER_REMOVE",
        "TRANSFER",
        "RULES_SET",
        "SCHEDULE_IMPORT",
        "READ_QUERY",
        "READ_RULES",
        "READ_RULES_LOG",
        "SCHEDULE_CHECK",
        "ACCOUNT_BIND",
        "ACCOUNT_UNBIND",
        "VIOLATION",
        "UNBLOCK",
        "EXCEPTION",
        "READ_PATIENT_INFO",
        "READ_ACCOUNT",
        "READ_STAFF_LOG",
        "WAITLIST_JOIN",
        "WAITLIST_LEAVE",
        "READ_WAITLIST",
        "POOL_STOP",
        "MOVE",
        "CHECKIN",
        "READ_POOL_CLAIMS",
        "READ_EVENTS",
        "READ_RECON",
        "READ_STATS",
    };
    _Static_assert(sizeof names / sizeof names[0] == SLOTC_OP_READ_STATS + 1,
                   "a name per op");
    return op > 0 && (size_t)op < sizeof names / sizeof names[0] ? names[op]
                                                                 : NULL;
}

int slotc_address_split(const char *address, char *raft, size_t raft_len,
                        char *client, size_t client_len)
{
    const char *slash = strchr(address, '/');
    size_t rl = slash != NULL ? (size_t)(slash - address) : strlen(address);
    const char *cl = slash != NULL ? slash + 1 : "";
    if (rl >= raft_len || strlen(cl) >= client_len) {
        return SLOT_INVALID_ARGUMENT;
    }
    memcpy(raft, address, rl);
    raft[rl] = '\0';
    memcpy(client, cl, strlen(cl) + 1);
    return SLOT_OK;
}

void slotc_req_init(struct slotc_req *req)
{
    memset(req, 0, sizeof *req);
}

void slotc_options_init(struct slotc_options *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = 10000;
    o->connect_timeout_ms = 1000;
    o->attempt_timeout_ms = 3000;
    o->backoff_min_ms = 25;
    o->backoff_max_ms = 1000;
    o->retry_ms = 50;
    o->sessions_max = 4;
    o->queue_max = 4096;
}

uint32_t slotc_pending(const struct slotc *c)
{
    return c->pending - c->internal;
}

static uint64_t now(const struct slotc *c)
{
    return uv_now(c->loop);
}

/* xorshift64*: jitter for backoffs; per client, so no global state. */
static uint32_t rnd(struct slotc *c)
{
    uint64_t x = c->rand;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rand = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

static void listPushHead(struct rqlist *l, struct slotc_req *req)
{
    struct rq *p = P(req);
    p->prev = NULL;
    p->next = l->head;
    if (l->head != NULL) {
        P(l->head)->prev = req;
    } else {
        l->tail = req;
    }
    l->head = req;
    l->n++;
}

static void listPush(struct rqlist *l, struct slotc_req *req)
{
    struct rq *p = P(req);
    p->next = NULL;
    p->prev = l->tail;
    if (l->tail != NULL) {
        P(l->tail)->next = req;
    } else {
        l->head = req;
    }
    l->tail = req;
    l->n++;
}

static void listRemove(struct rqlist *l, struct slotc_req *req)
{
    struct rq *p = P(req);
    if (p->prev != NULL) {
        P(p->prev)->next = p->next;
    } else {
        l->head = p->next;
    }
    if (p->next != NULL) {
        P(p->next)->prev = p->prev;
    } else {
        l->tail = p->prev;
    }
    p->prev = p->next = NULL;
    assert(l->n > 0);
    l->n--;
}

/* ---- addresses and the node table ---------------------------------------- */

/* A node's address (slot_addr.h): an IP literal is converted once; a name
 * is kept as text and resolved on every connect (connGet). */
static int parseAddr(const char *s, size_t len, struct slot_hostport *hp,
                     struct sockaddr_storage *sa)
{
    if (len >= ADDR_TEXT_MAX) {
        return SLOT_INVALID_ARGUMENT;
    }
    if (slot_hostport_parse(s, len, "cluster", hp, NULL, 0) != SLOT_OK) {
        return SLOT_INVALID_ARGUMENT;
    }
    memset(sa, 0, sizeof *sa);
    if (hp->kind == SLOT_HOST_IPV6) {
        return uv_ip6_addr(hp->host, hp->port, (struct sockaddr_in6 *)sa) == 0
                   ? SLOT_OK
                   : SLOT_INVALID_ARGUMENT;
    }
    if (hp->kind == SLOT_HOST_IPV4) {
        return uv_ip4_addr(hp->host, hp->port, (struct sockaddr_in *)sa) == 0
                   ? SLOT_OK
                   : SLOT_INVALID_ARGUMENT;
    }
    return SLOT_OK;
}

int slotc_cluster_check(const char *cluster, const char *field, char *err,
                        size_t err_len)
{
    if (cluster == NULL || *cluster == '\0') {
        snprintf(err, err_len, "%s: no address given", field);
        return SLOT_INVALID_ARGUMENT;
    }
    uint32_t n = 0;
    for (const char *s = cluster;; n++) {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        struct slot_hostport hp;
        int rc = slot_hostport_parse(s, len, field, &hp, err, err_len);
        if (rc != SLOT_OK) {
            return rc;
        }
        if (n == SLOTC_NODES_MAX) {
            snprintf(err, err_len, "%s: more than %d addresses", field,
                     SLOTC_NODES_MAX);
            return SLOT_INVALID_ARGUMENT;
        }
        if (comma == NULL) {
            return SLOT_OK;
        }
        s = comma + 1;
    }
}

/* The index of the node with this address, adding it if new. Returns -1
 * with *err set when the address does not parse or the table is full. */
static int nodeFindAdd(struct slotc *c, const char *s, size_t len, int *err)
{
    for (uint32_t i = 0; i < c->n_nodes; i++) {
        if (strlen(c->nodes[i].addr) == len &&
            memcmp(c->nodes[i].addr, s, len) == 0) {
            return (int)i;
        }
    }
    struct slot_hostport hp;
    struct sockaddr_storage sa;
    if (parseAddr(s, len, &hp, &sa) != SLOT_OK) {
        *err = SLOT_INVALID_ARGUMENT;
        return -1;
    }
    if (c->n_nodes == SLOTC_NODES_MAX) {
        *err = SLOT_BUSY;
        return -1;
    }
    struct nodeent *n = &c->nodes[c->n_nodes];
    memset(n, 0, sizeof *n);
    memcpy(n->addr, s, len);
    n->addr[len] = '\0';
    n->hp = hp;
    n->sa = sa;
    return (int)c->n_nodes++;
}

/* ---- handles, refs and the tick ------------------------------------------ */

static void tickCb(uv_timer_t *t);

/* The client keeps the caller's loop alive only while requests are
 * pending: idle connections are unref'd, the tick stopped. */
static void refresh(struct slotc *c)
{
    bool want = c->pending > 0 && !c->closing;
    bool want_refs = (want || c->always_ref) && !c->closing;
    if (want && !c->tick_on) {
        uv_timer_start(&c->tick, tickCb, TICK_MS, TICK_MS);
        c->tick_on = true;
    } else if (!want && c->tick_on) {
        uv_timer_stop(&c->tick);
        c->tick_on = false;
    }
    if (want_refs == c->refs_on) {
        return;
    }
    c->refs_on = want_refs;
    for (uint32_t i = 0; i < c->n_nodes; i++) {
        struct conn *k = c->nodes[i].conn;
        if (k != NULL) {
            if (want_refs) {
                uv_ref((uv_handle_t *)&k->tcp);
            } else {
                uv_unref((uv_handle_t *)&k->tcp);
            }
        }
    }
}

static void freeClient(struct slotc *c)
{
    free(c->slots);
    free(c->free_slots);
    free(c);
}

static void handleClosed(struct slotc *c)
{
    assert(c->handles > 0);
    if (--c->handles == 0 && c->closing) {
        if (c->close_cb != NULL) {
            c->close_cb(c->close_data);
        }
        freeClient(c);
    }
}

static void tickClosed(uv_handle_t *h)
{
    handleClosed(h->data);
}

/* ---- sessions ------------------------------------------------------------ */

static void sessFinish(struct session *s, uint64_t seq)
{
    assert(seq >= s->base && seq - s->base < WINDOW);
    s->done |= 1u << (seq - s->base);
    while (s->done & 1u) {
        s->done >>= 1;
        s->base++;
    }
    assert(s->active > 0);
    s->active--;
    if (s->state == S_DEAD && s->active == 0) {
        s->state = S_FREE;
    }
}

/* Drops the request's (session, seq): the request is finished, or moves
 * to a new session. */
static void sessDrop(struct rq *p)
{
    if (p->sess != NULL) {
        sessFinish(p->sess, p->seq);
        p->sess = NULL;
        p->seq = 0;
    }
}

static int submit(struct slotc *c, struct slotc_req *req, int op, uint8_t kind,
                  bool mutating, struct blk *blk, slotc_cb cb);
static void openerCb(struct slotc_req *req);

/* Starts opening a session if every open one is full and a slot is free. */
static void sessOpenMore(struct slotc *c)
{
    struct session *free_s = NULL;
    for (uint32_t i = 0; i < c->o.sessions_max; i++) {
        struct session *s = &c->sessions[i];
        if (s->state == S_OPENING) {
            return; /* one at a time is plenty */
        }
        if (s->state == S_FREE && free_s == NULL) {
            free_s = s;
        }
    }
    if (free_s == NULL || now(c) < c->sess_retry_at) {
        return;
    }
    struct blk *blk = calloc(1, sizeof *blk);
    if (blk == NULL) {
        return;
    }
    blk->u.cmd.op = SLOT_OP_SESSION_OPEN;
    slotc_req_init(&free_s->opener);
    free_s->opener.data = free_s;
    free_s->state = S_OPENING;
    if (submit(c, &free_s->opener, SLOTC_OP_NONE, K_CMD, false, blk,
               openerCb) != SLOT_OK) {
        free_s->state = S_FREE;
    }
}

static void openerCb(struct slotc_req *req)
{
    struct session *s = req->data;
    assert(s->state == S_OPENING);
    if (req->status != SLOT_OK) {
        /* The next request that needs a session retries, after a pause
         * so that a refusing cluster is not asked in a tight loop. */
        struct slotc *c = P(req)->c;
        c->sess_retry_at = now(c) + c->o.retry_ms;
        s->state = S_FREE;
        return;
    }
    s->state = S_OPEN;
    s->id = req->out.id;
    s->next_seq = 1;
    s->base = 1;
    s->done = 0;
    s->active = 0;
}

/* Gives a mutating request its (session, seq). False: none free now. */
static bool sessAssign(struct slotc *c, struct rq *p)
{
    for (uint32_t i = 0; i < c->o.sessions_max; i++) {
        struct session *s = &c->sessions[i];
        if (s->state == S_OPEN && s->next_seq < s->base + WINDOW) {
            p->sess = s;
            p->seq = s->next_seq++;
            s->active++;
            p->blk->u.cmd.session = s->id;
            p->blk->u.cmd.seq = p->seq;
            return true;
        }
    }
    sessOpenMore(c);
    return false;
}

/* ---- completion ---------------------------------------------------------- */

static void slotRelease(struct slotc *c, struct rq *p)
{
    c->slots[p->slot] = NULL;
    c->free_slots[c->n_free++] = p->slot;
    if (p->conn != NULL) {
        assert(p->conn->n_inflight > 0);
        p->conn->n_inflight--;
        p->conn = NULL;
    }
}

/* Takes the request off its list (and its slot). */
static void detach(struct slotc *c, struct slotc_req *req)
{
    struct rq *p = P(req);
    if (p->where == W_QUEUE) {
        listRemove(&c->queue, req);
    } else if (p->where == W_INFLIGHT) {
        listRemove(&c->inflight, req);
        slotRelease(c, p);
    }
    p->where = W_NONE;
}

static void requeue(struct slotc *c, struct slotc_req *req, uint64_t delay_ms)
{
    struct rq *p = P(req);
    detach(c, req);
    p->not_before = now(c) + delay_ms;
    p->where = W_QUEUE;
    /* At the head: a retry keeps its session slot, and pumpOnce looks at
     * only the head of the queue (PUMP_SKIP_MAX). */
    listPushHead(&c->queue, req);
}

/* Sets OUTCOME_UNKNOWN's pointers: what the caller can query. */
static void unknownOutputs(struct slotc_req *req)
{
    struct rq *p = P(req);
    const struct slot_cmd *cmd = &p->blk->u.cmd;
    if (p->kind == K_ADMIN) {
        req->out.id = p->blk->u.adm.id;
        return;
    }
    if (p->kind != K_CMD) {
        return;
    }
    switch (cmd->op) {
        case SLOT_OP_HOLD:
            req->out.pool = cmd->u.hold.pool.p;
            req->out.patient = cmd->u.hold.patient.p;
            break;
        case SLOT_OP_POOL_CREATE:
        case SLOT_OP_POOL_UPDATE:
            req->out.pool = cmd->u.pool.pool.p;
            break;
        case SLOT_OP_POOL_CLOSE:
            req->out.pool = cmd->u.close.pool.p;
            break;
        case SLOT_OP_MOVE:
            req->out.pool = cmd->u.claim.pool.p; /* the target */
            req->out.id = cmd->u.claim.id;
            break;
        case SLOT_OP_CONFIRM:
        case SLOT_OP_RELEASE:
        case SLOT_OP_CANCEL:
        case SLOT_OP_CHECKIN:
            req->out.id = cmd->u.claim.id;
            break;
        case SLOT_OP_POOL_STOP:
            req->out.pool = cmd->u.stop.pool.p;
            break;
        case SLOT_OP_ACCOUNT_BIND:
        case SLOT_OP_ACCOUNT_UNBIND:
            req->out.patient = cmd->u.bind.patient.p;
            break;
        case SLOT_OP_VIOLATION:
        case SLOT_OP_UNBLOCK:
        case SLOT_OP_EXCEPTION:
            req->out.patient = cmd->u.staff.patient.p;
            break;
        case SLOT_OP_WAITLIST_JOIN:
        case SLOT_OP_WAITLIST_LEAVE:
            req->out.pool = cmd->u.wait.pool.p;
            req->out.patient = cmd->u.wait.patient.p;
            break;
        default:
            break;
    }
}

/* Finishes a detached request: status, callback, memory. */
static void finish(struct slotc *c, struct slotc_req *req, int status)
{
    struct rq *p = P(req);
    assert(p->where == W_NONE);
    sessDrop(p);
    req->status = status;
    if (status == SLOT_OUTCOME_UNKNOWN) {
        unknownOutputs(req);
    }
    assert(c->pending > 0);
    c->pending--;
    if (p->internal) {
        c->internal--;
    }
    void *saved[2] = {c->cb_mem[0], c->cb_mem[1]};
    c->cb_mem[0] = p->blk;
    c->cb_mem[1] = p->res;
    p->blk = NULL;
    p->res = NULL;
    slotc_cb cb = p->cb;
    /* From here on req belongs to the caller again. */
    cb(req);
    free(c->cb_mem[0]);
    free(c->cb_mem[1]);
    c->cb_mem[0] = saved[0];
    c->cb_mem[1] = saved[1];
    refresh(c);
}

void slotc__set_always_ref(struct slotc *c, bool on)
{
    c->always_ref = on;
    refresh(c);
}

void slotc__take_outputs(struct slotc *c, void *blocks[2])
{
    blocks[0] = c->cb_mem[0];
    blocks[1] = c->cb_mem[1];
    c->cb_mem[0] = c->cb_mem[1] = NULL;
}

static void complete(struct slotc *c, struct slotc_req *req, int status)
{
    detach(c, req);
    finish(c, req, status);
}

/* The status of a request abandoned at its deadline or by close. */
static int abandonStatus(struct rq *p, int otherwise)
{
    if (p->mutating && p->maybe_applied) {
        return SLOT_OUTCOME_UNKNOWN;
    }
    return otherwise;
}

/* ---- connections --------------------------------------------------------- */

static void pump(struct slotc *c);

static void connFree(struct conn *k)
{
    mp_buf_free(&k->out);
    mp_buf_free(&k->wbuf);
    free(k->in);
    free(k);
}

static void connClosed(uv_handle_t *h)
{
    struct conn *k = h->data;
    struct slotc *c = k->c;
    if (k->resolving) {
        k->tcp_closed = true; /* freed by resolvedCb */
    } else {
        connFree(k);
    }
    handleClosed(c);
}

/* The connection is gone or unusable: close it, back off from its node,
 * and put its requests back in the queue. */
static void connFail(struct conn *k)
{
    struct slotc *c = k->c;
    if (k->closing) {
        return;
    }
    k->closing = true;
    struct nodeent *n = &c->nodes[k->node];
    if (n->conn == k) {
        n->conn = NULL;
    }
    if (k->healthy) {
        n->backoff_ms = 0;
        n->ai_skip = 0;
        n->retry_at = now(c) + c->o.backoff_min_ms;
    } else {
        uint32_t b =
            n->backoff_ms == 0 ? c->o.backoff_min_ms : n->backoff_ms * 2;
        n->backoff_ms = b > c->o.backoff_max_ms ? c->o.backoff_max_ms : b;
        n->ai_skip++; /* a name's next address next time (pickAddr) */
        /* Jitter: 75-125 %, so clients do not reconnect in lockstep. */
        n->retry_at =
            now(c) + n->backoff_ms * 3 / 4 + rnd(c) % (n->backoff_ms / 2 + 1);
    }
    if (c->leader == k->node) {
        c->leader = -1;
        c->rr = (uint32_t)k->node + 1;
    }
    struct slotc_req *req = c->inflight.head;
    while (req != NULL) {
        struct slotc_req *next = P(req)->next;
        if (P(req)->conn == k) {
            /* The bytes may have reached the node. */
            P(req)->maybe_applied = true;
            requeue(c, req, 0);
        }
        req = next;
    }
    if (k->resolving) {
        /* Fails with UV_EAI_CANCELED unless a thread already runs it. */
        (void)uv_cancel((uv_req_t *)&k->gai);
    }
    uv_close((uv_handle_t *)&k->tcp, connClosed);
}

static void startWrite(struct conn *k);

static void writeCb(uv_write_t *w, int status)
{
    struct conn *k = w->data;
    k->writing = false;
    mp_buf_reset(&k->wbuf);
    if (k->closing) {
        return;
    }
    if (status != 0) {
        connFail(k);
        pump(k->c);
        return;
    }
    startWrite(k);
}

static void startWrite(struct conn *k)
{
    if (k->writing || k->closing || !k->connected || k->out.len == 0) {
        return;
    }
    mp_buf_swap(&k->wbuf, &k->out);
    mp_buf_reset(&k->out);
    uv_buf_t b = uv_buf_init((char *)k->wbuf.data, (unsigned)k->wbuf.len);
    k->wreq.data = k;
    if (uv_write(&k->wreq, (uv_stream_t *)&k->tcp, &b, 1, writeCb) != 0) {
        connFail(k);
        return;
    }
    k->writing = true;
}

static void allocCb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct conn *k = h->data;
    (void)hint;
    if (k->in_cap - k->in_len < READ_CHUNK) {
        size_t cap = k->in_len + READ_CHUNK * 2;
        uint8_t *p = realloc(k->in, cap);
        if (p == NULL) {
            buf->base = NULL;
            buf->len = 0;
            return;
        }
        k->in = p;
        k->in_cap = cap;
    }
    buf->base = (char *)k->in + k->in_len;
    buf->len = k->in_cap - k->in_len;
}

static bool onFrame(struct conn *k, const struct slot_frame *f);

static void readCb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *k = s->data;
    struct slotc *c = k->c;
    (void)buf;
    if (k->closing) {
        return;
    }
    if (nread < 0) {
        connFail(k);
        pump(c);
        return;
    }
    k->in_len += (size_t)nread;
    size_t off = 0;
    while (!k->closing && !c->closing) {
        size_t flen;
        struct slot_frame f;
        if (slot_frame_peek(k->in + off, k->in_len - off, &flen) != SLOT_OK) {
            connFail(k); /* a bad length: the stream cannot be resynchronised */
            break;
        }
        if (flen == 0) {
            break;
        }
        if (slot_frame_decode(k->in + off + 4, flen - 4, &f) != SLOT_OK ||
            !onFrame(k, &f)) {
            connFail(k);
            break;
        }
        off += flen;
    }
    if (!k->closing && off > 0) {
        memmove(k->in, k->in + off, k->in_len - off);
        k->in_len -= off;
    }
    pump(c);
}

static void connectCb(uv_connect_t *creq, int status)
{
    struct conn *k = creq->data;
    struct slotc *c = k->c;
    if (k->closing) {
        return;
    }
    if (status != 0 ||
        uv_read_start((uv_stream_t *)&k->tcp, allocCb, readCb) != 0) {
        connFail(k);
        pump(c);
        return;
    }
    k->connected = true;
    k->last_rx = now(c);
    uv_tcp_nodelay(&k->tcp, 1);
    pump(c);
}

static void resolvedCb(uv_getaddrinfo_t *gai, int status, struct addrinfo *res)
{
    struct conn *k = gai->data;
    struct slotc *c = k->c;
    k->resolving = false;
    if (k->closing) {
        uv_freeaddrinfo(res);
        if (k->tcp_closed) {
            connFree(k);
        }
        handleClosed(c); /* may free c: last */
        return;
    }
    struct nodeent *n = &c->nodes[k->node];
    const struct addrinfo *a =
        status == 0 ? slot_addrinfo_pick(res, n->ai_skip) : NULL;
    n->unresolved = a == NULL;
    if (a == NULL ||
        uv_tcp_connect(&k->creq, &k->tcp, a->ai_addr, connectCb) != 0) {
        connFail(k);
    }
    uv_freeaddrinfo(res);
    handleClosed(c); /* not the last: the tcp handle is open */
    pump(c);
}

/* The node's connection, connecting it if allowed. NULL: none yet. */
static struct conn *connGet(struct slotc *c, int node)
{
    struct nodeent *n = &c->nodes[node];
    if (n->conn != NULL) {
        return n->conn;
    }
    if (now(c) < n->retry_at) {
        return NULL;
    }
    struct conn *k = calloc(1, sizeof *k);
    if (k == NULL) {
        return NULL;
    }
    k->c = c;
    k->node = node;
    mp_buf_init(&k->out);
    mp_buf_init(&k->wbuf);
    k->started = now(c);
    if (uv_tcp_init(c->loop, &k->tcp) != 0) {
        mp_buf_free(&k->out);
        mp_buf_free(&k->wbuf);
        free(k);
        return NULL;
    }
    k->tcp.data = k;
    k->creq.data = k;
    c->handles++;
    n->conn = k;
    if (!c->refs_on) {
        uv_unref((uv_handle_t *)&k->tcp);
    }
    if (n->hp.kind != SLOT_HOST_NAME) {
        if (uv_tcp_connect(&k->creq, &k->tcp, (const struct sockaddr *)&n->sa,
                           connectCb) != 0) {
            connFail(k);
            return NULL;
        }
        return k;
    }
    /* A name: resolved now, on every connect, never cached, so a server
     * whose address changed is found at its new one after a reconnect.
     * uv_getaddrinfo runs getaddrinfo on libuv's thread pool, off the
     * loop; the request counts as a handle until its callback. */
    struct addrinfo hints;
    slot_hostport_hints(&n->hp, AF_UNSPEC, &hints);
    k->gai.data = k;
    if (uv_getaddrinfo(c->loop, &k->gai, resolvedCb, n->hp.host,
                       n->hp.port_text, &hints) != 0) {
        n->unresolved = true;
        connFail(k);
        return NULL;
    }
    k->resolving = true;
    c->handles++;
    return k;
}

static bool nodeUsable(struct slotc *c, int node)
{
    const struct nodeent *n = &c->nodes[node];
    return n->conn != NULL || now(c) >= n->retry_at;
}

/* Where a request goes now; -1: nowhere yet. */
static int pickNode(struct slotc *c, const struct rq *p, bool any)
{
    if (p->node >= 0) {
        return nodeUsable(c, p->node) ? p->node : -1;
    }
    if (any) {
        for (uint32_t i = 0; i < c->n_nodes; i++) {
            if (c->nodes[i].conn != NULL && c->nodes[i].conn->connected) {
                return (int)i;
            }
        }
    }
    if (c->leader >= 0 && nodeUsable(c, c->leader)) {
        return c->leader;
    }
    for (uint32_t i = 0; i < c->n_nodes; i++) {
        uint32_t k = (c->rr + i) % c->n_nodes;
        if (nodeUsable(c, (int)k)) {
            c->leader = (int)k; /* a guess; NOT_LEADER corrects it */
            c->rr = k;
            return (int)k;
        }
    }
    return -1;
}

/* Packs the request's frame into the connection's buffer. */
static void encodeFrame(struct conn *k, struct rq *p)
{
    uint8_t type = p->kind == K_CMD    ? SLOT_FRAME_COMMAND
                   : p->kind == K_READ ? SLOT_FRAME_READ
                                       : SLOT_FRAME_ADMIN;
    size_t start = slot_frame_begin(&k->out, type, p->tag);
    if (p->kind == K_CMD) {
        slot_cmd_encode(&k->out, &p->blk->u.cmd);
    } else if (p->kind == K_READ) {
        mp_pack_array(&k->out, 2);
        mp_pack_bool(&k->out, (p->blk->u.rd.op & 0x80) == 0);
        struct slot_read rd = p->blk->u.rd;
        rd.op &= 0x7f;
        slot_read_encode(&k->out, &rd);
    } else {
        slot_admin_encode(&k->out, &p->blk->u.adm);
    }
    slot_frame_end(&k->out, start);
}

static void send1(struct slotc *c, struct slotc_req *req, struct conn *k)
{
    struct rq *p = P(req);
    assert(c->n_free > 0);
    detach(c, req);
    p->slot = c->free_slots[--c->n_free];
    c->slots[p->slot] = req;
    p->tag = (++c->tag_gen << TAG_SLOT_BITS) | p->slot;
    p->conn = k;
    p->where = W_INFLIGHT;
    listPush(&c->inflight, req);
    if (k->n_inflight++ == 0) {
        k->busy_since = now(c);
    }
    encodeFrame(k, p);
}

static void pumpOnce(struct slotc *c);

/* Sends every queued request that can go now. Never calls a callback.
 * Re-entrant calls (opening a session submits a request) only ask the
 * running pass for another round: a nested pass would move requests
 * under the outer pass's feet. */
static void pump(struct slotc *c)
{
    if (c->in_pump) {
        c->pump_again = true;
        return;
    }
    c->in_pump = true;
    for (int round = 0; round < 4 && !c->closing; round++) {
        c->pump_again = false;
        pumpOnce(c);
        if (!c->pump_again) {
            break;
        }
    }
    c->in_pump = false;
}

/* Requests a pass may look at without sending before it stops. pump runs
 * on every submit and every reply: a pass that walked the whole queue
 * while every session window is full made a long backlog quadratic
 * (measured: 32,000 queued holds took 3.6 s). Whatever lies deeper waits
 * for a later pass; the head drains as replies come back. */
#define PUMP_SKIP_MAX 256
/* Once every session window is full, a request that needs a session is
 * skipped at this cost: the pass looks at no more than 16 of them. During
 * a gateway's burst (thousands queued, the windows full) a reply frees
 * one slot, and each such pass had walked 256 requests to send one:
 * pumpOnce was 6 % of the gateway's CPU in burst-http. Requests that need
 * no new session (retries keep theirs and go to the head, reads, STATUS)
 * still count 1; deeper ones go as the head drains, as before. */
#define PUMP_SKIP_FULL_COST (PUMP_SKIP_MAX / 16)

static void pumpOnce(struct slotc *c)
{
    uint64_t t = now(c);
    bool sessions_full = false;
    uint32_t skipped = 0;
    struct slotc_req *req = c->queue.head;
    while (req != NULL && skipped < PUMP_SKIP_MAX) {
        struct slotc_req *next = P(req)->next;
        struct rq *p = P(req);
        bool stale = p->kind == K_READ && (p->blk->u.rd.op & 0x80) != 0;
        bool any = stale || (p->kind == K_ADMIN &&
                             p->blk->u.adm.op == SLOT_ADMIN_STATUS);
        bool needs_session = p->kind == K_CMD && p->sess == NULL &&
                             p->blk->u.cmd.op != SLOT_OP_SESSION_OPEN &&
                             p->blk->u.cmd.op != SLOT_OP_EXPIRE;
        int node;
        struct conn *k;
        if (needs_session && sessions_full) {
            skipped += PUMP_SKIP_FULL_COST;
            req = next;
            continue;
        }
        if (p->not_before > t || (node = pickNode(c, p, any)) < 0 ||
            (k = connGet(c, node)) == NULL || !k->connected) {
            skipped++;
            req = next;
            continue;
        }
        if (needs_session && !sessAssign(c, p)) {
            sessions_full = true;
            skipped++;
            req = next;
            continue;
        }
        send1(c, req, k);
        req = next;
    }
    for (uint32_t i = 0; i < c->n_nodes; i++) {
        if (c->nodes[i].conn != NULL) {
            startWrite(c->nodes[i].conn);
        }
    }
}

/* ---- replies ------------------------------------------------------------- */

static void copyStr(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

static void convConfig(struct slotc_config *d, const struct slot_config *s)
{
    d->hold_ttl_min_ms = s->hold_ttl_min_ms;
    d->hold_ttl_max_ms = s->hold_ttl_max_ms;
    d->session_max = s->session_max;
    d->session_idle_ms = s->session_idle_ms;
    d->retain_ms = s->retain_ms;
    d->retain_max = s->retain_max;
    d->v3 = s->v3;
    d->account_patients_max = s->account_patients_max;
    d->account_changes_max = s->account_changes_max;
    d->account_change_window_days = s->account_change_window_days;
    d->account_change_patients_max = s->account_change_patients_max;
    d->patient_active_max = s->patient_active_max;
    d->cooldown_key[0] = s->cooldown_key[0];
    d->cooldown_key[1] = s->cooldown_key[1];
}

/* n pool statuses into out.pools. */
static int decodePools(struct slotc_req *req, struct mp_reader *r, uint32_t n)
{
    struct slotc_pool *pools = calloc(n ? n : 1, sizeof *pools);
    if (pools == NULL) {
        return SLOT_BUSY;
    }
    P(req)->res = pools;
    for (uint32_t i = 0; i < n; i++) {
        struct slot_pool_status st;
        if (slot_pool_status_decode(r, &st) != SLOT_OK) {
            return SLOT_MALFORMED;
        }
        slotc__pool_from_wire(&pools[i], &st);
    }
    req->out.pools = pools;
    req->out.n_pools = n;
    return SLOT_OK;
}

/* PATIENT_INFO: the public record and its claims in one block (the
 * outputs may own at most two: the request's blk and this). The claims'
 * count is learnt by a first pass that skips them. */
static int decodePatientInfo(struct slotc_req *req, struct mp_reader *r)
{
    struct slot_patient_info *w = calloc(1, sizeof *w);
    if (w == NULL) {
        return SLOT_BUSY;
    }
    struct mp_reader again = *r;
    if (slot_patient_info_decode(r, w) != SLOT_OK) {
        free(w);
        return SLOT_MALFORMED;
    }
    uint32_t n = w->n_claims;
    struct slot_claim *wc = calloc(n ? n : 1, sizeof *wc);
    struct slotc_patient_info *d =
        calloc(1, sizeof *d + (size_t)n * sizeof(struct slotc_claim));
    int rc = wc == NULL || d == NULL ? SLOT_BUSY : SLOT_OK;
    if (rc == SLOT_OK) {
        P(req)->res = d;
        w->claims = wc;
        w->claims_cap = n;
        rc = slot_patient_info_decode(&again, w) == SLOT_OK ? SLOT_OK
                                                            : SLOT_MALFORMED;
    }
    if (rc == SLOT_OK) {
        struct slotc_claim *claims = (struct slotc_claim *)(void *)(d + 1);
        slotc__patient_info_from_wire(d, w, claims);
        req->out.patient_info = d;
        req->out.claims = claims;
        req->out.n_claims = d->n_claims;
    } else if (P(req)->res != d) {
        free(d);
    }
    free(wc);
    free(w);
    return rc;
}

/* Decodes a read reply body into the request's outputs. */
static int decodeReadBody(struct slotc_req *req, struct mp_reader *r)
{
    struct rq *p = P(req);
    uint8_t op = p->blk->u.rd.op & 0x7f;
    uint32_t n = 1;
    switch (op) {
        case SLOT_READ_POOL:
        case SLOT_READ_POOLS:
            if (op == SLOT_READ_POOLS &&
                (!mp_read_array(r, &n) || n > SLOT_LIST_MAX)) {
                return SLOT_MALFORMED;
            }
            return decodePools(req, r, n);
        case SLOT_READ_QUERY:
            if (!mp_expect_array(r, 2) || !mp_read_u64(r, &req->out.total) ||
                !mp_read_array(r, &n) || n > SLOT_LIST_MAX) {
                return SLOT_MALFORMED;
            }
            return decodePools(req, r, n);
        case SLOT_READ_RULES:
        case SLOT_READ_RULES_LOG: {
            if (op == SLOT_READ_RULES_LOG &&
                (!mp_read_array(r, &n) || n > SLOT_LIST_MAX)) {
                return SLOT_MALFORMED;
            }
            struct slotc_rules_info *ri = calloc(n ? n : 1, sizeof *ri);
            struct slot_rules_info *w = malloc(sizeof *w);
            p->res = ri;
            int rc = ri == NULL || w == NULL ? SLOT_BUSY : SLOT_OK;
            for (uint32_t i = 0; i < n && rc == SLOT_OK; i++) {
                rc = slot_rules_info_decode(r, w) == SLOT_OK ? SLOT_OK
                                                             : SLOT_MALFORMED;
                if (rc == SLOT_OK) {
                    slotc__rules_info_from_wire(&ri[i], w);
                }
            }
            free(w);
            req->out.rules = ri;
            req->out.n_rules = rc == SLOT_OK ? n : 0;
            return rc;
        }
        case SLOT_READ_SCHEDULE_CHECK: {
            /* [new, unchanged, [pool id...]]: the ids as C strings after
             * their pointer array, in one block. */
            uint64_t created, unchanged;
            if (!mp_expect_array(r, 3) || !mp_read_u64(r, &created) ||
                !mp_read_u64(r, &unchanged) || !mp_read_array(r, &n) ||
                n > SLOT_LIST_MAX) {
                return SLOT_MALFORMED;
            }
            size_t id_cap = SLOT_POOL_ID_MAX + 1;
            char **ids = calloc(1, (n ? n : 1) * (sizeof(char *) + id_cap));
            if (ids == NULL) {
                return SLOT_BUSY;
            }
            p->res = ids;
            char *text = (char *)(ids + (n ? n : 1));
            for (uint32_t i = 0; i < n; i++) {
                struct slot_str id;
                if (!mp_read_str(r, SLOT_POOL_ID_MAX, &id)) {
                    return SLOT_MALFORMED;
                }
                ids[i] = text + i * id_cap;
                memcpy(ids[i], id.p, id.len);
                ids[i][id.len] = '\0';
            }
            req->out.created = created;
            req->out.unchanged = unchanged;
            req->out.conflicts = (const char *const *)ids;
            req->out.n_conflicts = n;
            return SLOT_OK;
        }
        case SLOT_READ_HOLD:
        case SLOT_READ_BOOKING:
        case SLOT_READ_PATIENT:
        case SLOT_READ_POOL_CLAIMS: {
            if (op == SLOT_READ_PATIENT &&
                (!mp_read_array(r, &n) || n > PATIENT_CLAIMS_MAX)) {
                return SLOT_MALFORMED;
            }
            if (op == SLOT_READ_POOL_CLAIMS &&
                (!mp_read_array(r, &n) || n > SLOT_LIST_MAX)) {
                return SLOT_MALFORMED;
            }
            struct slotc_claim *cl = calloc(n ? n : 1, sizeof *cl);
            if (cl == NULL) {
                return SLOT_BUSY;
            }
            p->res = cl;
            for (uint32_t i = 0; i < n; i++) {
                struct slot_claim sc;
                if (slot_claim_decode(r, &sc) != SLOT_OK) {
                    return SLOT_MALFORMED;
                }
                slotc__claim_from_wire(&cl[i], &sc);
            }
            req->out.claims = cl;
            req->out.n_claims = n;
            return SLOT_OK;
        }
        case SLOT_READ_PATIENT_INFO:
            return decodePatientInfo(req, r);
        case SLOT_READ_EVENTS: {
            uint32_t cap = p->blk->u.rd.limit;
            struct slotc_event *ev = calloc(cap, sizeof *ev);
            if (ev == NULL) {
                return SLOT_BUSY;
            }
            p->res = ev;
            int rc = slotc__events_from_wire(r, p->blk->u.rd.after_id, cap, ev,
                                             &req->out.n_events,
                                             &req->out.first, &req->out.last);
            req->out.events = req->out.n_events > 0 ? ev : NULL;
            return rc;
        }
        case SLOT_READ_RECON: {
            /* [kept_from_day, total, [row...]] */
            if (!mp_expect_array(r, 3) ||
                !mp_read_u32(r, &req->out.kept_from_day) ||
                !mp_read_u64(r, &req->out.total) || !mp_read_array(r, &n) ||
                n > p->blk->u.rd.limit) {
                return SLOT_MALFORMED;
            }
            struct slotc_recon_row *d = calloc(n ? n : 1, sizeof *d);
            if (d == NULL) {
                return SLOT_BUSY;
            }
            p->res = d;
            for (uint32_t i = 0; i < n; i++) {
                struct slot_recon_row w;
                if (slot_recon_row_decode(r, &w) != SLOT_OK) {
                    return SLOT_MALFORMED;
                }
                slotc__recon_row_from_wire(&d[i], &w);
            }
            req->out.recon = d;
            req->out.n_recon = n;
            return SLOT_OK;
        }
        case SLOT_READ_STATS: {
            /* [total, [row...]] */
            if (!mp_expect_array(r, 2) || !mp_read_u64(r, &req->out.total) ||
                !mp_read_array(r, &n) || n > p->blk->u.rd.limit) {
                return SLOT_MALFORMED;
            }
            struct slotc_stats_row *d = calloc(n ? n : 1, sizeof *d);
            if (d == NULL) {
                return SLOT_BUSY;
            }
            p->res = d;
            for (uint32_t i = 0; i < n; i++) {
                struct slot_stats_row w;
                if (slot_stats_row_decode(r, &w) != SLOT_OK) {
                    return SLOT_MALFORMED;
                }
                slotc__stats_row_from_wire(&d[i], &w);
            }
            req->out.stats = d;
            req->out.n_stats = n;
            return SLOT_OK;
        }
        case SLOT_READ_WAITLIST:
            if (!mp_expect_array(r, 2) || !mp_read_u32(r, &req->out.position) ||
                !mp_read_u32(r, &req->out.length)) {
                return SLOT_MALFORMED;
            }
            return SLOT_OK;
        case SLOT_READ_ACCOUNT: {
            struct slot_account_info ai;
            struct slotc_account_info *d = calloc(1, sizeof *d);
            if (d == NULL) {
                return SLOT_BUSY;
            }
            p->res = d;
            if (slot_account_info_decode(r, &ai) != SLOT_OK) {
                return SLOT_MALFORMED;
            }
            slotc__account_from_wire(d, &ai);
            req->out.account = d;
            return SLOT_OK;
        }
        case SLOT_READ_STAFF_LOG: {
            if (!mp_read_array(r, &n) || n > SLOT_LIST_MAX) {
                return SLOT_MALFORMED;
            }
            struct slotc_staff_entry *d = calloc(n ? n : 1, sizeof *d);
            if (d == NULL) {
                return SLOT_BUSY;
            }
            p->res = d;
            for (uint32_t i = 0; i < n; i++) {
                struct slot_staff_entry e;
                if (slot_staff_entry_decode(r, &e) != SLOT_OK) {
                    return SLOT_MALFORMED;
                }
                slotc__staff_from_wire(&d[i], &e);
            }
            req->out.staff = d;
            req->out.n_staff = n;
            return SLOT_OK;
        }
        default: {
            struct slot_ledger_info li;
            struct slotc_ledger_info *d = calloc(1, sizeof *d);
            if (d == NULL) {
                return SLOT_BUSY;
            }
            p->res = d;
            if (slot_ledger_info_decode(r, &li) != SLOT_OK) {
                return SLOT_MALFORMED;
            }
            d->time_ms = li.time_ms;
            d->state_hash = li.state_hash;
            d->pools = li.pools;
            d->patients = li.patients;
            d->channels = li.channels;
            d->sessions = li.sessions;
            d->holds_active = li.holds_active;
            d->bookings_active = li.bookings_active;
            d->retained = li.retained;
            convConfig(&d->config, &li.config);
            req->out.ledger = d;
            return SLOT_OK;
        }
    }
}

static int decodeStatus(struct slotc_req *req, struct mp_reader *r)
{
    struct rq *p = P(req);
    struct slot_node_status st;
    struct slotc_node_status *d = calloc(1, sizeof *d);
    if (d == NULL) {
        return SLOT_BUSY;
    }
    p->res = d;
    if (slot_node_status_decode(r, &st) != SLOT_OK) {
        return SLOT_MALFORMED;
    }
    d->id = st.id;
    copyStr(d->role, sizeof d->role, st.role);
    d->term = st.term;
    d->commit_index = st.commit_index;
    d->applied_index = st.applied_index;
    d->leader_id = st.leader_id;
    copyStr(d->address, sizeof d->address, st.address);
    d->n_members = st.n_members;
    for (uint32_t i = 0; i < st.n_members; i++) {
        d->members[i].id = st.members[i].id;
        copyStr(d->members[i].address, sizeof d->members[i].address,
                st.members[i].address);
        d->members[i].role = st.members[i].role;
    }
    d->state_hash = st.state_hash;
    d->ledger_time_ms = st.ledger_time_ms;
    d->entries_applied = st.entries_applied;
    d->commands_applied = st.commands_applied;
    d->config_committed_index = st.config_committed_index;
    d->config_uncommitted_index = st.config_uncommitted_index;
    d->promotee_id = st.promotee_id;
    d->leader_stalls = st.leader_stalls;
    d->leader_stall_max_us = st.leader_stall_max_us;
    req->out.status = d;
    return SLOT_OK;
}

/* A request the node refused (ERROR frame): e->executed says whether this
 * attempt may have run. */
static void onError(struct conn *k, struct slotc_req *req,
                    const struct slot_error_info *e)
{
    struct slotc *c = k->c;
    struct rq *p = P(req);
    int code = e->code;
    struct slot_str hint = e->leader_address;
    /* Proposed, outcome unknown (or an older node that does not say):
     * the entry may still commit. A retry stays safe: a command's (session,
     * seq) makes it exactly-once, and a second membership change of the
     * same id is refused by raft (duplicate id, bad id, same role), which
     * then reports OUTCOME_UNKNOWN (abandonStatus). Refused NOT executed:
     * this attempt changed nothing, whatever the request. */
    if (e->executed != SLOT_EXEC_NOT) {
        p->maybe_applied = p->maybe_applied || p->mutating;
    }
    switch (code) {
        case SLOT_NOT_LEADER:
        case SLOT_NO_LEADER:
        case SLOT_SHUTDOWN:
            if (p->node >= 0) {
                complete(c, req, abandonStatus(p, code));
                return;
            }
            if (code == SLOT_NOT_LEADER && hint.len > 0) {
                int err = 0;
                int idx = nodeFindAdd(c, hint.p, hint.len, &err);
                if (idx >= 0 && idx != k->node && nodeUsable(c, idx)) {
                    c->leader = idx;
                    requeue(c, req, 0);
                    return;
                }
            }
            if (c->leader == k->node) {
                c->leader = -1;
                c->rr = (uint32_t)k->node + 1;
            }
            requeue(c, req, c->o.retry_ms);
            return;
        case SLOT_BUSY:
            if (c->o.busy_fails) {
                complete(c, req, abandonStatus(p, SLOT_BUSY));
                return;
            }
            requeue(c, req, c->o.retry_ms);
            return;
        default:
            /* Final: invalid, or IO. */
            complete(c, req, abandonStatus(p, code));
            return;
    }
}

static void onResult(struct slotc *c, struct slotc_req *req,
                     const struct slot_result *res, uint64_t index)
{
    struct rq *p = P(req);
    switch (res->code) {
        case SLOT_SESSION_UNKNOWN:
        case SLOT_REQUEST_TOO_OLD:
            if (res->code == SLOT_SESSION_UNKNOWN && p->sess != NULL &&
                p->sess->state == S_OPEN) {
                p->sess->state = S_DEAD; /* the ledger forgot it */
            }
            if (p->maybe_applied) {
                complete(c, req, SLOT_OUTCOME_UNKNOWN);
                return;
            }
            /* This attempt changed nothing and no earlier one may have
             * run: a new (session, seq) is safe. */
            sessDrop(p);
            requeue(c, req, 0);
            return;
        default:
            break;
    }
    req->out.index = index;
    req->out.ledger_time_ms = res->time_ms;
    if (res->code == SLOT_OK) {
        switch (p->blk->u.cmd.op) {
            case SLOT_OP_SESSION_OPEN:
            case SLOT_OP_CONFIRM:
                req->out.id = res->a;
                req->out.visit_no = (uint32_t)res->b;
                break;
            case SLOT_OP_HOLD:
                req->out.id = res->a;
                req->out.deadline_ms = res->b;
                break;
            case SLOT_OP_EXPIRE:
                req->out.expired = res->a;
                req->out.still_due = res->b;
                break;
            case SLOT_OP_RULES_SET:
                req->out.version = res->a;
                break;
            case SLOT_OP_SCHEDULE_IMPORT:
                req->out.created = res->a;
                req->out.unchanged = res->b;
                break;
            case SLOT_OP_ACCOUNT_BIND:
            case SLOT_OP_ACCOUNT_UNBIND:
                req->out.bound = (uint32_t)res->a;
                break;
            case SLOT_OP_VIOLATION:
                req->out.violations = (uint32_t)res->a;
                req->out.until_ms = res->b;
                break;
            case SLOT_OP_UNBLOCK:
                req->out.lifted = res->a != 0;
                break;
            case SLOT_OP_WAITLIST_JOIN:
                req->out.position = (uint32_t)res->a;
                break;
            case SLOT_OP_POOL_STOP:
                req->out.bookings = (uint32_t)res->a;
                req->out.holds = (uint32_t)res->b;
                break;
            case SLOT_OP_MOVE:
                req->out.id = res->a;
                req->out.visit_no = (uint32_t)res->b;
                break;
            case SLOT_OP_CHECKIN:
                req->out.visit_no = (uint32_t)res->a;
                break;
            default:
                break;
        }
    }
    /* Refusals that name their rule (slot_proto.h: result a and b). */
    switch (res->code) {
        case SLOT_QUOTA_EXCEEDED:
            req->out.quota = (int)res->a;
            req->out.window_day = (uint32_t)res->b;
            break;
        case SLOT_BLACKLISTED:
            req->out.until_ms = res->b;
            break;
        case SLOT_CANCEL_LIMIT:
            req->out.window_day = (uint32_t)res->b;
            break;
        case SLOT_ACCOUNT_LIMIT:
            req->out.account_rule = (int)res->a;
            break;
        default:
            break;
    }
    complete(c, req, res->code);
}

/* One frame from node k. False: a protocol violation (close the conn). */
static bool onFrame(struct conn *k, const struct slot_frame *f)
{
    struct slotc *c = k->c;
    struct mp_reader r;
    mp_reader_init(&r, f->payload, f->payload_len);
    k->last_rx = now(c);
    k->healthy = true;
    c->nodes[k->node].backoff_ms = 0;
    if (f->type == SLOT_FRAME_ERROR && f->tag == 0) {
        return false; /* the node found our stream broken; it hangs up */
    }
    uint32_t slot = (uint32_t)(f->tag & ((1u << TAG_SLOT_BITS) - 1));
    struct slotc_req *req = slot < c->n_slots ? c->slots[slot] : NULL;
    if (req == NULL || P(req)->tag != f->tag || P(req)->conn != k) {
        return true; /* an attempt given up on: drop the answer */
    }
    struct rq *p = P(req);
    static const uint8_t reply_of[] = {
        0, SLOT_FRAME_RESULT, SLOT_FRAME_READ_REPLY, SLOT_FRAME_ADMIN_REPLY};
    if (f->type != SLOT_FRAME_ERROR && f->type != reply_of[p->kind]) {
        return false;
    }
    p->answered = true;
    if (f->type == SLOT_FRAME_ERROR) {
        struct slot_error_info e;
        if (slot_frame_error_decode(f->payload, f->payload_len, &e) !=
            SLOT_OK) {
            return false;
        }
        onError(k, req, &e);
        return true;
    }
    if (f->type == SLOT_FRAME_RESULT) {
        struct slot_result res;
        uint64_t index;
        if (!mp_expect_array(&r, 2) ||
            slot_result_decode(&r, &res) != SLOT_OK ||
            !mp_read_u64(&r, &index)) {
            return false;
        }
        onResult(c, req, &res, index);
        return true;
    }
    uint64_t code, applied = 0;
    bool ok = f->type == SLOT_FRAME_READ_REPLY
                  ? mp_expect_array(&r, 3) && mp_read_uint(&r, 65535, &code) &&
                        mp_read_u64(&r, &applied)
                  : mp_expect_array(&r, 2) && mp_read_uint(&r, 65535, &code);
    if (!ok) {
        return false;
    }
    int status = (int)code;
    req->out.node = c->nodes[k->node].addr;
    req->out.index = applied;
    if (status == SLOT_OK) {
        if (f->type == SLOT_FRAME_READ_REPLY) {
            status = decodeReadBody(req, &r);
        } else if (p->blk->u.adm.op == SLOT_ADMIN_STATUS) {
            status = decodeStatus(req, &r);
        }
    }
    complete(c, req, status);
    return true;
}

/* ---- the tick: timeouts and deadlines ------------------------------------ */

/* Is some node answering right now (a connection that delivered a frame
 * and is still open)? Decides TIMEOUT against UNAVAILABLE. */
static bool anyHealthy(const struct slotc *c)
{
    for (uint32_t i = 0; i < c->n_nodes; i++) {
        const struct conn *k = c->nodes[i].conn;
        if (k != NULL && k->healthy && !k->closing) {
            return true;
        }
    }
    return false;
}

/* Why nothing was reached: NAME_UNRESOLVED when the last try of every node
 * the request could use (its pinned node, else all) failed to resolve the
 * node's name: the fix is in the addresses or the resolver, not the nodes. */
static int unreachableStatus(const struct slotc *c, const struct rq *p)
{
    if (p->node >= 0) {
        return c->nodes[p->node].unresolved ? SLOT_NAME_UNRESOLVED
                                            : SLOT_UNAVAILABLE;
    }
    for (uint32_t i = 0; i < c->n_nodes; i++) {
        if (!c->nodes[i].unresolved) {
            return SLOT_UNAVAILABLE;
        }
    }
    return c->n_nodes > 0 ? SLOT_NAME_UNRESOLVED : SLOT_UNAVAILABLE;
}

static void tickCb(uv_timer_t *t)
{
    struct slotc *c = t->data;
    uint64_t tn = now(c);
    for (uint32_t i = 0; i < c->n_nodes; i++) {
        struct conn *k = c->nodes[i].conn;
        if (k == NULL) {
            continue;
        }
        uint64_t quiet_since =
            k->busy_since > k->last_rx ? k->busy_since : k->last_rx;
        if ((!k->connected && tn - k->started >= c->o.connect_timeout_ms) ||
            (k->connected && k->n_inflight > 0 &&
             tn - quiet_since >= c->o.attempt_timeout_ms)) {
            connFail(k);
        }
    }
    /* Collect first: callbacks may submit or close. */
    struct rqlist due = {NULL, NULL, 0};
    struct rqlist *lists[2] = {&c->queue, &c->inflight};
    for (int l = 0; l < 2; l++) {
        struct slotc_req *req = lists[l]->head;
        while (req != NULL) {
            struct slotc_req *next = P(req)->next;
            struct rq *p = P(req);
            if (p->deadline <= tn) {
                if (p->where == W_INFLIGHT) {
                    p->maybe_applied = p->maybe_applied || p->mutating;
                    /* A node that has answered anything on this
                     * connection was reachable: TIMEOUT, not UNAVAILABLE. */
                    p->answered = p->answered || p->conn->healthy;
                }
                detach(c, req);
                listPush(&due, req);
            }
            req = next;
        }
    }
    bool reachable = anyHealthy(c);
    while (due.head != NULL) {
        struct slotc_req *req = due.head;
        listRemove(&due, req);
        struct rq *p = P(req);
        finish(c, req,
               abandonStatus(p, p->answered || reachable
                                    ? SLOT_TIMEOUT
                                    : unreachableStatus(c, p)));
    }
    pump(c);
}

/* ---- open / close -------------------------------------------------------- */

int slotc_open(struct uv_loop_s *loop, const struct slotc_options *o,
               struct slotc **out)
{
    *out = NULL;
    if (loop == NULL || o == NULL || o->cluster == NULL || o->timeout_ms == 0 ||
        o->connect_timeout_ms == 0 || o->attempt_timeout_ms == 0 ||
        o->backoff_min_ms == 0 || o->backoff_max_ms < o->backoff_min_ms ||
        o->sessions_max == 0 || o->sessions_max > SLOTC_SESSIONS_MAX ||
        o->queue_max == 0 || o->queue_max > SLOTC_QUEUE_MAX) {
        return SLOT_INVALID_ARGUMENT;
    }
    struct slotc *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return SLOT_BUSY;
    }
    c->loop = loop;
    c->o = *o;
    c->o.cluster = NULL; /* not kept: the caller's string */
    c->leader = -1;
    c->rand = (uint64_t)(uintptr_t)c ^ uv_hrtime() ^ 0x9E3779B97F4A7C15ull;
    if (c->rand == 0) {
        c->rand = 1;
    }
    const char *s = o->cluster;
    int err = SLOT_OK;
    while (err == SLOT_OK) {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        uint32_t before = c->n_nodes;
        if (nodeFindAdd(c, s, len, &err) < 0 ||
            (c->n_nodes == before && len == 0)) {
            err = SLOT_INVALID_ARGUMENT;
        }
        if (comma == NULL) {
            break;
        }
        s = comma + 1;
    }
    c->n_slots = o->queue_max + SLOTC_SESSIONS_MAX;
    c->slots = calloc(c->n_slots, sizeof *c->slots);
    c->free_slots = calloc(c->n_slots, sizeof *c->free_slots);
    if (err == SLOT_OK && (c->slots == NULL || c->free_slots == NULL)) {
        err = SLOT_BUSY;
    }
    if (err != SLOT_OK) {
        freeClient(c);
        return SLOT_INVALID_ARGUMENT;
    }
    for (uint32_t i = 0; i < c->n_slots; i++) {
        c->free_slots[i] = c->n_slots - 1 - i;
    }
    c->n_free = c->n_slots;
    uv_timer_init(loop, &c->tick);
    c->tick.data = c;
    c->handles = 1;
    *out = c;
    return SLOT_OK;
}

void slotc_close(struct slotc *c, void (*close_cb)(void *data), void *data)
{
    if (c->closing) {
        return;
    }
    c->closing = true;
    c->close_cb = close_cb;
    c->close_data = data;
    struct rqlist all = {NULL, NULL, 0};
    struct rqlist *lists[2] = {&c->queue, &c->inflight};
    for (int l = 0; l < 2; l++) {
        while (lists[l]->head != NULL) {
            struct slotc_req *req = lists[l]->head;
            if (P(req)->where == W_INFLIGHT) {
                P(req)->maybe_applied =
                    P(req)->maybe_applied || P(req)->mutating;
            }
            detach(c, req);
            listPush(&all, req);
        }
    }
    while (all.head != NULL) {
        struct slotc_req *req = all.head;
        listRemove(&all, req);
        finish(c, req, abandonStatus(P(req), SLOT_SHUTDOWN));
    }
    for (uint32_t i = 0; i < c->n_nodes; i++) {
        if (c->nodes[i].conn != NULL) {
            connFail(c->nodes[i].conn);
        }
    }
    uv_timer_stop(&c->tick);
    c->tick_on = false;
    uv_close((uv_handle_t *)&c->tick, tickClosed);
}

/* ---- submission ---------------------------------------------------------- */

static int submit(struct slotc *c, struct slotc_req *req, int op, uint8_t kind,
                  bool mutating, struct blk *blk, slotc_cb cb)
{
    if (c->closing) {
        free(blk);
        return SLOT_SHUTDOWN;
    }
    int node = -1;
    if (req->node != NULL) {
        int err = SLOT_OK;
        node = nodeFindAdd(c, req->node, strlen(req->node), &err);
        if (node < 0) {
            free(blk);
            return err;
        }
    }
    bool internal = op == SLOTC_OP_NONE;
    if (c->pending >= c->o.queue_max + SLOTC_SESSIONS_MAX ||
        (!internal && c->pending - c->internal >= c->o.queue_max)) {
        free(blk);
        return SLOT_BUSY;
    }
    req->op = op;
    req->status = SLOT_OK;
    memset(&req->out, 0, sizeof req->out);
    struct rq *p = P(req);
    memset(p, 0, sizeof *p);
    p->c = c;
    p->cb = cb;
    p->blk = blk;
    p->node = (int16_t)node;
    p->kind = kind;
    p->mutating = mutating;
    p->internal = internal;
    c->internal += internal ? 1u : 0u;
    p->deadline =
        now(c) + (req->timeout_ms != 0 ? req->timeout_ms : c->o.timeout_ms);
    p->where = W_QUEUE;
    if (internal) {
        listPushHead(&c->queue, req); /* session openers unblock the rest */
    } else {
        listPush(&c->queue, req);
    }
    c->pending++;
    refresh(c);
    pump(c);
    return SLOT_OK;
}

/* A blk with room for `extra` bytes of strings. */
static struct blk *blkNew(size_t extra)
{
    struct blk *b = calloc(1, sizeof *b + extra);
    if (b != NULL) {
        b->cap = extra;
    }
    return b;
}

/* Copies a C string into the blk (NUL-terminated, for the outputs). */
static struct slot_str blkStr(struct blk *b, const char *s)
{
    size_t len = strlen(s);
    assert(b->used + len + 1 <= b->cap);
    char *dst = b->strings + b->used;
    memcpy(dst, s, len + 1);
    b->used += len + 1;
    return (struct slot_str){dst, (uint32_t)len};
}

/* Copies bytes into the blk (NUL-terminated too: strings among them are
 * handed to callers as C strings). */
static struct slot_str blkBytes(struct blk *b, struct slot_str s)
{
    assert(b->used + s.len + 1 <= b->cap);
    char *dst = b->strings + b->used;
    if (s.len > 0) {
        memcpy(dst, s.p, s.len);
    }
    dst[s.len] = '\0';
    b->used += s.len + 1;
    return (struct slot_str){dst, s.len};
}

/* Moves a schedule's strings into the blk (slotc__sched_bytes of room). */
static void blkSched(struct blk *b, struct slot_sched *sc)
{
    sc->hospital = blkBytes(b, sc->hospital);
    sc->campus = blkBytes(b, sc->campus);
    sc->department = blkBytes(b, sc->department);
    sc->doctor = blkBytes(b, sc->doctor);
    for (uint32_t i = 0; i < sc->n_eligible; i++) {
        sc->eligible[i] = blkBytes(b, sc->eligible[i]);
    }
    for (uint32_t i = 0; i < sc->n_rem_allow; i++) {
        sc->rem_allow[i] = blkBytes(b, sc->rem_allow[i]);
    }
}

/* Validates a string argument under a rule before anything is copied:
 * NULL is INVALID_ARGUMENT, longer than the rule allows TOO_LARGE. */
static int checkStr(const char *s, int (*rule)(struct slot_str), size_t max)
{
    if (s == NULL) {
        return SLOT_INVALID_ARGUMENT;
    }
    size_t len = strnlen(s, max + 1);
    if (len > max) {
        return SLOT_TOO_LARGE;
    }
    return rule((struct slot_str){s, (uint32_t)len});
}

/* Room a command's blk needs for the request's idempotency key and
 * channel (bounded: over-long ones are refused by submitCmd). */
static size_t idemExtra(const struct slotc_req *req)
{
    size_t n = 0;
    if (req->idem_key != NULL) {
        n += strnlen(req->idem_key, SLOT_IDEM_KEY_MAX + 1) + 1;
    }
    if (req->idem_channel != NULL) {
        n += strnlen(req->idem_channel, SLOT_CHANNEL_MAX + 1) + 1;
    }
    return n;
}

/* Wraps the command in IDEM when the request carries a key. */
static int idemSet(const struct slotc_req *req, struct blk *b)
{
    struct slot_cmd *cmd = &b->u.cmd;
    if (req->idem_key == NULL) {
        return req->idem_channel == NULL ? SLOT_OK : SLOT_INVALID_ARGUMENT;
    }
    bool keyed =
        (cmd->op >= SLOT_OP_POOL_CREATE && cmd->op <= SLOT_OP_CANCEL) ||
        cmd->op == SLOT_OP_RULES_SET || cmd->op == SLOT_OP_SCHEDULE_IMPORT ||
        (cmd->op >= SLOT_OP_ACCOUNT_BIND && cmd->op <= SLOT_OP_CHECKIN);
    if (!keyed) {
        return SLOT_INVALID_ARGUMENT;
    }
    int rc = checkStr(req->idem_key, slot_valid_idem_key, SLOT_IDEM_KEY_MAX);
    if (rc != SLOT_OK) {
        return rc;
    }
    if (req->idem_channel != NULL) {
        rc = checkStr(req->idem_channel, slot_valid_channel, SLOT_CHANNEL_MAX);
        if (rc != SLOT_OK) {
            return rc;
        }
        cmd->idem.channel = blkStr(b, req->idem_channel);
    } else if (cmd->op == SLOT_OP_HOLD) {
        cmd->idem.channel = cmd->u.hold.channel;
    } else {
        return SLOT_INVALID_ARGUMENT;
    }
    cmd->idem.key = blkStr(b, req->idem_key);
    return SLOT_OK;
}

static int submitCmd(struct slotc *c, struct slotc_req *req, int op,
                     struct blk *b, slotc_cb cb)
{
    int rc = idemSet(req, b);
    if (rc != SLOT_OK) {
        free(b);
        return rc;
    }
    bool dedup = b->u.cmd.op != SLOT_OP_EXPIRE;
    /* Placeholders until a session is assigned: the encoder insists. */
    b->u.cmd.session = dedup ? 1 : 0;
    b->u.cmd.seq = dedup ? 1 : 0;
    return submit(c, req, op, K_CMD, true, b, cb);
}

int slotc_config(struct slotc *c, struct slotc_req *req,
                 const struct slotc_config *cfg, slotc_cb cb)
{
    struct slot_config sc = {
        .hold_ttl_min_ms = cfg->hold_ttl_min_ms,
        .hold_ttl_max_ms = cfg->hold_ttl_max_ms,
        .session_max = cfg->session_max,
        .session_idle_ms = cfg->session_idle_ms,
        .retain_ms = cfg->retain_ms,
        .retain_max = cfg->retain_max,
        .v3 = cfg->v3,
        .cooldown_key = {cfg->cooldown_key[0], cfg->cooldown_key[1]},
    };
    /* The wire's fields are narrower: a value that does not fit is out of
     * range, never truncated into it. */
    if (cfg->account_patients_max > UINT8_MAX ||
        cfg->account_changes_max > UINT8_MAX ||
        cfg->account_change_window_days > UINT16_MAX ||
        cfg->account_change_patients_max > UINT8_MAX ||
        cfg->patient_active_max > UINT16_MAX) {
        return SLOT_INVALID_ARGUMENT;
    }
    sc.account_patients_max = (uint8_t)cfg->account_patients_max;
    sc.account_changes_max = (uint8_t)cfg->account_changes_max;
    sc.account_change_window_days = (uint16_t)cfg->account_change_window_days;
    sc.account_change_patients_max = (uint8_t)cfg->account_change_patients_max;
    sc.patient_active_max = (uint16_t)cfg->patient_active_max;
    int rc = slot_valid_config(&sc);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(idemExtra(req));
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.cmd.op = SLOT_OP_CONFIG;
    b->u.cmd.u.config = sc;
    return submitCmd(c, req, SLOTC_OP_CONFIG, b, cb);
}

static int poolSpec(struct slotc *c, struct slotc_req *req, int op,
                    const struct slotc_pool_spec *spec, slotc_cb cb)
{
    if (spec == NULL || spec->kind < 0 || spec->kind > SLOT_KIND_MAX ||
        spec->n_shares > SLOTC_SHARES_MAX) {
        return SLOT_INVALID_ARGUMENT;
    }
    int rc = checkStr(spec->pool, slot_valid_pool_id, SLOT_POOL_ID_MAX);
    size_t extra = rc == SLOT_OK ? strlen(spec->pool) + 1 : 0;
    for (uint32_t i = 0; i < spec->n_shares && rc == SLOT_OK; i++) {
        rc = checkStr(spec->shares[i].channel, slot_valid_channel,
                      SLOT_CHANNEL_MAX);
        extra += rc == SLOT_OK ? strlen(spec->shares[i].channel) + 1 : 0;
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct slot_pool_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.pool = (struct slot_str){spec->pool, (uint32_t)strlen(spec->pool)};
    sp.capacity = spec->capacity;
    sp.kind = (uint8_t)spec->kind;
    sp.fee_cents = spec->fee_cents;
    sp.seg_start_ms = spec->seg_start_ms;
    sp.seg_end_ms = spec->seg_end_ms;
    sp.release_at_ms = spec->release_at_ms;
    sp.n_shares = spec->n_shares;
    for (uint32_t i = 0; i < spec->n_shares; i++) {
        sp.shares[i].channel = (struct slot_str){
            spec->shares[i].channel, (uint32_t)strlen(spec->shares[i].channel)};
        sp.shares[i].slots = spec->shares[i].slots;
    }
    if (spec->place != NULL) {
        rc = slotc__place_to_wire(spec->place, &sp.sched);
        if (rc != SLOT_OK) {
            return rc;
        }
        sp.has_sched = true;
        extra += slotc__sched_bytes(&sp.sched);
    }
    if ((rc = slot_valid_pool_spec(&sp)) != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(extra + idemExtra(req));
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.cmd.op =
        op == SLOTC_OP_POOL_CREATE ? SLOT_OP_POOL_CREATE : SLOT_OP_POOL_UPDATE;
    b->u.cmd.u.pool = sp;
    b->u.cmd.u.pool.pool = blkStr(b, spec->pool);
    for (uint32_t i = 0; i < spec->n_shares; i++) {
        b->u.cmd.u.pool.shares[i].channel = blkStr(b, spec->shares[i].channel);
    }
    if (sp.has_sched) {
        blkSched(b, &b->u.cmd.u.pool.sched);
    }
    return submitCmd(c, req, op, b, cb);
}

int slotc_pool_create(struct slotc *c, struct slotc_req *req,
                      const struct slotc_pool_spec *spec, slotc_cb cb)
{
    return poolSpec(c, req, SLOTC_OP_POOL_CREATE, spec, cb);
}

int slotc_pool_update(struct slotc *c, struct slotc_req *req,
                      const struct slotc_pool_spec *spec, slotc_cb cb)
{
    return poolSpec(c, req, SLOTC_OP_POOL_UPDATE, spec, cb);
}

int slotc_pool_close(struct slotc *c, struct slotc_req *req, const char *pool,
                     slotc_cb cb)
{
    int rc = checkStr(pool, slot_valid_pool_id, SLOT_POOL_ID_MAX);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(pool) + 1 + idemExtra(req));
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.cmd.op = SLOT_OP_POOL_CLOSE;
    b->u.cmd.u.close.pool = blkStr(b, pool);
    return submitCmd(c, req, SLOTC_OP_POOL_CLOSE, b, cb);
}

/* An optional string argument: NULL or "" is "", else checkStr's rule. */
static int optStr(const char *s, int (*rule)(struct slot_str), size_t max,
                  struct slot_str *out)
{
    *out = (struct slot_str){"", 0};
    if (s == NULL || s[0] == '\0') {
        return SLOT_OK;
    }
    int rc = checkStr(s, rule, max);
    if (rc == SLOT_OK) {
        *out = (struct slot_str){s, (uint32_t)strlen(s)};
    }
    return rc;
}

/* A required string argument: checkStr's rule, and the string as a
 * slot_str. */
static int reqStr(const char *s, int (*rule)(struct slot_str), size_t max,
                  struct slot_str *out)
{
    int rc = checkStr(s, rule, max);
    *out = rc == SLOT_OK ? (struct slot_str){s, (uint32_t)strlen(s)}
                         : (struct slot_str){"", 0};
    return rc;
}

int slotc_hold_account(struct slotc *c, struct slotc_req *req, const char *pool,
                       const char *patient, const char *channel,
                       const char *account, uint32_t ttl_ms, slotc_cb cb)
{
    struct slot_str acc;
    int rc = checkStr(pool, slot_valid_pool_id, SLOT_POOL_ID_MAX);
    if (rc == SLOT_OK) {
        rc = checkStr(patient, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX);
    }
    if (rc == SLOT_OK) {
        rc = checkStr(channel, slot_valid_channel, SLOT_CHANNEL_MAX);
    }
    if (rc == SLOT_OK) {
        rc =
            optStr(account, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX, &acc);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(pool) + strlen(patient) + strlen(channel) +
                           acc.len + 4 + idemExtra(req));
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.cmd.op = SLOT_OP_HOLD;
    b->u.cmd.u.hold.pool = blkStr(b, pool);
    b->u.cmd.u.hold.patient = blkStr(b, patient);
    b->u.cmd.u.hold.channel = blkStr(b, channel);
    b->u.cmd.u.hold.ttl_ms = ttl_ms;
    b->u.cmd.u.hold.account = blkBytes(b, acc);
    return submitCmd(c, req, SLOTC_OP_HOLD, b, cb);
}

int slotc_hold(struct slotc *c, struct slotc_req *req, const char *pool,
               const char *patient, const char *channel, uint32_t ttl_ms,
               slotc_cb cb)
{
    return slotc_hold_account(c, req, pool, patient, channel, NULL, ttl_ms, cb);
}

/* The string arguments of a claim command, each NULL or "" for none:
 * a payment reference and its method (CONFIRM, CHECKIN), who asks (CONFIRM, RELEASE,
 * CANCEL, MOVE: caller "" = an administrator, and an account), the target
 * pool (MOVE, required) and the patient (CHECKIN, required). */
struct claimArgs {
    const char *payment_ref;
    const char *pay_method; /* CONFIRM, CHECKIN: how payment_ref was paid */
    const char *caller;
    const char *account;
    const char *pool;
    const char *patient;
};

/* CONFIRM, RELEASE, CANCEL, MOVE, CHECKIN: the claim and claimArgs. Every
 * one is sent with all its arguments (protocol 3's trailing ones too). */
static int claimCmd(struct slotc *c, struct slotc_req *req, int op,
                    uint8_t wire_op, uint64_t id, const struct claimArgs *a,
                    slotc_cb cb)
{
    struct slot_str ref, meth, who, acc, pool = {"", 0}, pat = {"", 0};
    int rc = id == 0 ? SLOT_INVALID_ARGUMENT
                     : optStr(a->payment_ref, slot_valid_payment_ref,
                              SLOT_PAYMENT_REF_MAX, &ref);
    /* A method names how a reference was paid: the channel's charset and
     * length (slot_proto.h), and never without the reference (the
     * decoder refuses it too; refused here, nothing is sent). */
    if (rc == SLOT_OK) {
        rc = optStr(a->pay_method, slot_valid_pay_method, SLOT_PAY_METHOD_MAX,
                    &meth);
    }
    if (rc == SLOT_OK && meth.len > 0 && ref.len == 0) {
        rc = SLOT_INVALID_ARGUMENT;
    }
    if (rc == SLOT_OK) {
        rc = optStr(a->caller, slot_valid_channel, SLOT_CHANNEL_MAX, &who);
    }
    if (rc == SLOT_OK) {
        rc = optStr(a->account, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX,
                    &acc);
    }
    if (rc == SLOT_OK && wire_op == SLOT_OP_MOVE) {
        rc = reqStr(a->pool, slot_valid_pool_id, SLOT_POOL_ID_MAX, &pool);
    }
    if (rc == SLOT_OK && wire_op == SLOT_OP_CHECKIN) {
        rc = reqStr(a->patient, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX,
                    &pat);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(ref.len + meth.len + who.len + acc.len + pool.len +
                           pat.len + 6 + idemExtra(req));
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.cmd.op = wire_op;
    b->u.cmd.u.claim.id = id;
    b->u.cmd.u.claim.payment_ref = blkBytes(b, ref);
    b->u.cmd.u.claim.pay_method = blkBytes(b, meth);
    b->u.cmd.u.claim.caller = blkBytes(b, who);
    b->u.cmd.u.claim.account = blkBytes(b, acc);
    b->u.cmd.u.claim.pool = blkBytes(b, pool);
    b->u.cmd.u.claim.patient = blkBytes(b, pat);
    return submitCmd(c, req, op, b, cb);
}

int slotc_confirm_pay(struct slotc *c, struct slotc_req *req, uint64_t hold,
                      const char *payment_ref, const char *pay_method,
                      const char *caller, const char *account, slotc_cb cb)
{
    struct claimArgs a = {.payment_ref = payment_ref,
                          .pay_method = pay_method,
                          .caller = caller,
                          .account = account};
    return claimCmd(c, req, SLOTC_OP_CONFIRM, SLOT_OP_CONFIRM, hold, &a, cb);
}

int slotc_confirm(struct slotc *c, struct slotc_req *req, uint64_t hold,
                  const char *payment_ref, slotc_cb cb)
{
    return slotc_confirm_pay(c, req, hold, payment_ref, NULL, NULL, NULL, cb);
}

int slotc_confirm_as(struct slotc *c, struct slotc_req *req, uint64_t hold,
                     const char *payment_ref, const char *caller,
                     const char *account, slotc_cb cb)
{
    return slotc_confirm_pay(c, req, hold, payment_ref, NULL, caller, account,
                             cb);
}

int slotc_release(struct slotc *c, struct slotc_req *req, uint64_t hold,
                  slotc_cb cb)
{
    struct claimArgs a = {0};
    return claimCmd(c, req, SLOTC_OP_RELEASE, SLOT_OP_RELEASE, hold, &a, cb);
}

int slotc_release_as(struct slotc *c, struct slotc_req *req, uint64_t hold,
                     const char *caller, const char *account, slotc_cb cb)
{
    struct claimArgs a = {.caller = caller, .account = account};
    return claimCmd(c, req, SLOTC_OP_RELEASE, SLOT_OP_RELEASE, hold, &a, cb);
}

int slotc_cancel(struct slotc *c, struct slotc_req *req, uint64_t booking,
                 slotc_cb cb)
{
    struct claimArgs a = {0};
    return claimCmd(c, req, SLOTC_OP_CANCEL, SLOT_OP_CANCEL, booking, &a, cb);
}

int slotc_cancel_as(struct slotc *c, struct slotc_req *req, uint64_t booking,
                    const char *caller, const char *account, slotc_cb cb)
{
    struct claimArgs a = {.caller = caller, .account = account};
    return claimCmd(c, req, SLOTC_OP_CANCEL, SLOT_OP_CANCEL, booking, &a, cb);
}

int slotc_move(struct slotc *c, struct slotc_req *req, uint64_t booking,
               const char *target_pool, const char *caller, const char *account,
               slotc_cb cb)
{
    struct claimArgs a = {
        .caller = caller, .account = account, .pool = target_pool};
    return claimCmd(c, req, SLOTC_OP_MOVE, SLOT_OP_MOVE, booking, &a, cb);
}

int slotc_checkin_pay(struct slotc *c, struct slotc_req *req, uint64_t booking,
                      const char *patient, const char *payment_ref,
                      const char *pay_method, slotc_cb cb)
{
    struct claimArgs a = {.payment_ref = payment_ref,
                          .pay_method = pay_method,
                          .patient = patient};
    return claimCmd(c, req, SLOTC_OP_CHECKIN, SLOT_OP_CHECKIN, booking, &a, cb);
}

int slotc_checkin(struct slotc *c, struct slotc_req *req, uint64_t booking,
                  const char *patient, const char *payment_ref, slotc_cb cb)
{
    return slotc_checkin_pay(c, req, booking, patient, payment_ref, NULL, cb);
}

/* ACCOUNT_BIND and ACCOUNT_UNBIND. */
static int bindCmd(struct slotc *c, struct slotc_req *req, int op,
                   uint8_t wire_op, const char *account, const char *patient,
                   slotc_cb cb)
{
    int rc = checkStr(account, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX);
    if (rc == SLOT_OK) {
        rc = checkStr(patient, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b =
        blkNew(strlen(account) + strlen(patient) + 2 + idemExtra(req));
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.cmd.op = wire_op;
    b->u.cmd.u.bind.account = blkStr(b, account);
    b->u.cmd.u.bind.patient = blkStr(b, patient);
    return submitCmd(c, req, op, b, cb);
}

int slotc_account_bind(struct slotc *c, struct slotc_req *req,
                       const char *account, const char *patient, slotc_cb cb)
{
    return bindCmd(c, req, SLOTC_OP_ACCOUNT_BIND, SLOT_OP_ACCOUNT_BIND, account,
                   patient, cb);
}

int slotc_account_unbind(struct slotc *c, struct slotc_req *req,
                         const char *account, const char *patient, slotc_cb cb)
{
    return bindCmd(c, req, SLOTC_OP_ACCOUNT_UNBIND, SLOT_OP_ACCOUNT_UNBIND,
                   account, patient, cb);
}

static int reasonRule(struct slot_str s)
{
    return slot_valid_text(s, SLOT_REASON_MAX);
}

/* Who (operator_name) and why (reason) of a command the staff log
 * records. */
static int checkWhoWhy(const char *operator_name, const char *reason)
{
    int rc = checkStr(operator_name, slot_valid_operator, SLOT_OPERATOR_MAX);
    return rc == SLOT_OK ? checkStr(reason, reasonRule, SLOT_REASON_MAX) : rc;
}

/* VIOLATION, UNBLOCK and EXCEPTION: a hospital, a patient, who and why. */
static int staffCmd(struct slotc *c, struct slotc_req *req, int op,
                    uint8_t wire_op, const char *hospital, const char *patient,
                    int kind, const char *operator_name, const char *reason,
                    slotc_cb cb)
{
    int rc = checkStr(hospital, slot_valid_name, SLOT_NAME_MAX);
    if (rc == SLOT_OK) {
        rc = checkStr(patient, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX);
    }
    if (rc == SLOT_OK) {
        rc = checkWhoWhy(operator_name, reason);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b =
        blkNew(strlen(hospital) + strlen(patient) + strlen(operator_name) +
               strlen(reason) + 4 + idemExtra(req));
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.cmd.op = wire_op;
    b->u.cmd.u.staff.hospital = blkStr(b, hospital);
    b->u.cmd.u.staff.patient = blkStr(b, patient);
    b->u.cmd.u.staff.kind = (uint8_t)kind;
    b->u.cmd.u.staff.operator_name = blkStr(b, operator_name);
    b->u.cmd.u.staff.reason = blkStr(b, reason);
    return submitCmd(c, req, op, b, cb);
}

int slotc_violation(struct slotc *c, struct slotc_req *req,
                    const char *hospital, const char *patient, int kind,
                    const char *operator_name, const char *reason, slotc_cb cb)
{
    /* UNPAID is recorded by the ledger itself when a hold expires. */
    if (kind != SLOTC_VIOLATION_NO_SHOW && kind != SLOTC_VIOLATION_OTHER) {
        return SLOT_INVALID_ARGUMENT;
    }
    return staffCmd(c, req, SLOTC_OP_VIOLATION, SLOT_OP_VIOLATION, hospital,
                    patient, kind, operator_name, reason, cb);
}

int slotc_unblock(struct slotc *c, struct slotc_req *req, const char *hospital,
                  const char *patient, const char *operator_name,
                  const char *reason, slotc_cb cb)
{
    return staffCmd(c, req, SLOTC_OP_UNBLOCK, SLOT_OP_UNBLOCK, hospital,
                    patient, 0, operator_name, reason, cb);
}

int slotc_exception(struct slotc *c, struct slotc_req *req,
                    const char *hospital, const char *patient,
                    const char *operator_name, const char *reason, slotc_cb cb)
{
    return staffCmd(c, req, SLOTC_OP_EXCEPTION, SLOT_OP_EXCEPTION, hospital,
                    patient, 0, operator_name, reason, cb);
}

/* WAITLIST_JOIN (who: the channel) and WAITLIST_LEAVE (who: the caller,
 * "" an administrator). */
static int waitCmd(struct slotc *c, struct slotc_req *req, int op,
                   uint8_t wire_op, const char *pool, const char *patient,
                   const char *who, const char *account, slotc_cb cb)
{
    struct slot_str w, acc;
    int rc = checkStr(pool, slot_valid_pool_id, SLOT_POOL_ID_MAX);
    if (rc == SLOT_OK) {
        rc = checkStr(patient, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX);
    }
    if (rc == SLOT_OK) {
        rc = wire_op == SLOT_OP_WAITLIST_JOIN
                 ? checkStr(who, slot_valid_channel, SLOT_CHANNEL_MAX)
                 : SLOT_OK;
    }
    if (rc == SLOT_OK) {
        rc = optStr(who, slot_valid_channel, SLOT_CHANNEL_MAX, &w);
    }
    if (rc == SLOT_OK) {
        rc =
            optStr(account, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX, &acc);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(pool) + strlen(patient) + w.len + acc.len +
                           4 + idemExtra(req));
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.cmd.op = wire_op;
    b->u.cmd.u.wait.pool = blkStr(b, pool);
    b->u.cmd.u.wait.patient = blkStr(b, patient);
    b->u.cmd.u.wait.channel = blkBytes(b, w);
    b->u.cmd.u.wait.account = blkBytes(b, acc);
    return submitCmd(c, req, op, b, cb);
}

int slotc_waitlist_join(struct slotc *c, struct slotc_req *req,
                        const char *pool, const char *patient,
                        const char *channel, const char *account, slotc_cb cb)
{
    return waitCmd(c, req, SLOTC_OP_WAITLIST_JOIN, SLOT_OP_WAITLIST_JOIN, pool,
                   patient, channel, account, cb);
}

int slotc_waitlist_leave(struct slotc *c, struct slotc_req *req,
                         const char *pool, const char *patient,
                         const char *caller, const char *account, slotc_cb cb)
{
    return waitCmd(c, req, SLOTC_OP_WAITLIST_LEAVE, SLOT_OP_WAITLIST_LEAVE,
                   pool, patient, caller, account, cb);
}

int slotc_pool_stop(struct slotc *c, struct slotc_req *req, const char *pool,
                    const char *operator_name, const char *reason, slotc_cb cb)
{
    int rc = checkStr(pool, slot_valid_pool_id, SLOT_POOL_ID_MAX);
    if (rc == SLOT_OK) {
        rc = checkWhoWhy(operator_name, reason);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(pool) + strlen(operator_name) +
                           strlen(reason) + 3 + idemExtra(req));
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.cmd.op = SLOT_OP_POOL_STOP;
    b->u.cmd.u.stop.pool = blkStr(b, pool);
    b->u.cmd.u.stop.operator_name = blkStr(b, operator_name);
    b->u.cmd.u.stop.reason = blkStr(b, reason);
    return submitCmd(c, req, SLOTC_OP_POOL_STOP, b, cb);
}

int slotc_expire(struct slotc *c, struct slotc_req *req, uint32_t max,
                 slotc_cb cb)
{
    if (max == 0 || max > SLOT_EXPIRE_MAX) {
        return SLOT_INVALID_ARGUMENT;
    }
    struct blk *b = blkNew(0);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.cmd.op = SLOT_OP_EXPIRE;
    b->u.cmd.u.expire.max = max;
    return submitCmd(c, req, SLOTC_OP_EXPIRE, b, cb);
}

int slotc_rules_set(struct slotc *c, struct slotc_req *req,
                    const char *hospital, const char *department,
                    const char *operator_name, const char *reason,
                    const struct slotc_rules *rules, slotc_cb cb)
{
    struct slot_str args[4];
    struct slot_rules wire;
    int rc = slotc__rules_set_args(hospital, department, operator_name, reason,
                                   args);
    if (rc == SLOT_OK) {
        rc = rules == NULL ? SLOT_INVALID_ARGUMENT
                           : slotc__rules_to_wire(rules, &wire);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    /* The command carries the rule set encoded (slot_proto.h): encode it
     * once, here, and keep the bytes with the request. */
    struct mp_buf enc;
    mp_buf_init(&enc);
    slot_rules_encode(&enc, &wire);
    size_t extra = enc.len + 1 + idemExtra(req);
    for (int i = 0; i < 4; i++) {
        extra += args[i].len + 1;
    }
    struct blk *b = blkNew(extra);
    if (b == NULL) {
        mp_buf_free(&enc);
        return SLOT_BUSY;
    }
    b->u.cmd.op = SLOT_OP_RULES_SET;
    b->u.cmd.u.rules.hospital = blkBytes(b, args[0]);
    b->u.cmd.u.rules.department = blkBytes(b, args[1]);
    b->u.cmd.u.rules.operator_name = blkBytes(b, args[2]);
    b->u.cmd.u.rules.reason = blkBytes(b, args[3]);
    b->u.cmd.u.rules.rules = blkBytes(
        b, (struct slot_str){(const char *)enc.data, (uint32_t)enc.len});
    mp_buf_free(&enc);
    return submitCmd(c, req, SLOTC_OP_RULES_SET, b, cb);
}

/* A template in a new blk, validated, its strings and its packed days and
 * segments copied into the blk: the command's (SCHEDULE_IMPORT) or the
 * read's (SCHEDULE_CHECK). */
static int templateBlk(const struct slotc_template *tpl, size_t more, bool read,
                       struct blk **out)
{
    struct mp_buf slices;
    struct slot_template w;
    mp_buf_init(&slices);
    int rc = tpl == NULL ? SLOT_INVALID_ARGUMENT
                         : slotc__template_to_wire(tpl, &w, &slices);
    struct blk *b = NULL;
    if (rc == SLOT_OK) {
        b = blkNew(slotc__template_bytes(&w) + more);
        rc = b == NULL ? SLOT_BUSY : SLOT_OK;
    }
    if (rc == SLOT_OK) {
        struct slot_template *t = read ? &b->u.rd.tpl : &b->u.cmd.u.import;
        *t = w;
        t->id_prefix = blkBytes(b, w.id_prefix);
        blkSched(b, &t->sched);
        for (uint32_t i = 0; i < w.n_shares; i++) {
            t->shares[i].name = blkBytes(b, w.shares[i].name);
        }
        t->days = blkBytes(b, w.days);
        t->segments = blkBytes(b, w.segments);
        *out = b;
    }
    mp_buf_free(&slices);
    return rc;
}

int slotc_schedule_import(struct slotc *c, struct slotc_req *req,
                          const struct slotc_template *tpl, slotc_cb cb)
{
    struct blk *b;
    int rc = templateBlk(tpl, idemExtra(req), false, &b);
    if (rc != SLOT_OK) {
        return rc;
    }
    b->u.cmd.op = SLOT_OP_SCHEDULE_IMPORT;
    return submitCmd(c, req, SLOTC_OP_SCHEDULE_IMPORT, b, cb);
}

/* Reads keep their linearizable flag in the op's top bit (0x80: stale). */
static int submitRead(struct slotc *c, struct slotc_req *req, int op,
                      struct blk *b, slotc_cb cb)
{
    if ((req->flags & SLOTC_STALE) != 0) {
        b->u.rd.op |= 0x80;
    }
    return submit(c, req, op, K_READ, false, b, cb);
}

int slotc_read_pool(struct slotc *c, struct slotc_req *req, const char *pool,
                    slotc_cb cb)
{
    int rc = checkStr(pool, slot_valid_pool_id, SLOT_POOL_ID_MAX);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(pool) + 1);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_POOL;
    b->u.rd.pool = blkStr(b, pool);
    return submitRead(c, req, SLOTC_OP_READ_POOL, b, cb);
}

static int readId(struct slotc *c, struct slotc_req *req, int op,
                  uint8_t wire_op, uint64_t id, slotc_cb cb)
{
    if (id == 0) {
        return SLOT_INVALID_ARGUMENT;
    }
    struct blk *b = blkNew(0);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = wire_op;
    b->u.rd.id = id;
    return submitRead(c, req, op, b, cb);
}

int slotc_read_hold(struct slotc *c, struct slotc_req *req, uint64_t hold,
                    slotc_cb cb)
{
    return readId(c, req, SLOTC_OP_READ_HOLD, SLOT_READ_HOLD, hold, cb);
}

int slotc_read_booking(struct slotc *c, struct slotc_req *req, uint64_t booking,
                       slotc_cb cb)
{
    return readId(c, req, SLOTC_OP_READ_BOOKING, SLOT_READ_BOOKING, booking,
                  cb);
}

int slotc_read_patient(struct slotc *c, struct slotc_req *req, const char *pool,
                       const char *patient, slotc_cb cb)
{
    int rc = checkStr(pool, slot_valid_pool_id, SLOT_POOL_ID_MAX);
    if (rc == SLOT_OK) {
        rc = checkStr(patient, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(pool) + strlen(patient) + 2);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_PATIENT;
    b->u.rd.pool = blkStr(b, pool);
    b->u.rd.patient = blkStr(b, patient);
    return submitRead(c, req, SLOTC_OP_READ_PATIENT, b, cb);
}

int slotc_read_pools(struct slotc *c, struct slotc_req *req, const char *after,
                     uint32_t limit, slotc_cb cb)
{
    if (after == NULL) {
        after = "";
    }
    int rc = after[0] == '\0'
                 ? SLOT_OK
                 : checkStr(after, slot_valid_pool_id, SLOT_POOL_ID_MAX);
    if (rc == SLOT_OK && (limit == 0 || limit > SLOT_LIST_MAX)) {
        rc = SLOT_INVALID_ARGUMENT;
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(after) + 1);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_POOLS;
    b->u.rd.pool = blkStr(b, after);
    b->u.rd.limit = limit;
    return submitRead(c, req, SLOTC_OP_READ_POOLS, b, cb);
}

int slotc_read_ledger(struct slotc *c, struct slotc_req *req, slotc_cb cb)
{
    struct blk *b = blkNew(0);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_LEDGER;
    b->u.rd.no_hash = (req->flags & SLOTC_NO_HASH) != 0;
    return submitRead(c, req, SLOTC_OP_READ_LEDGER, b, cb);
}

int slotc_read_query(struct slotc *c, struct slotc_req *req,
                     const struct slotc_query *q, slotc_cb cb)
{
    if (q == NULL || q->kind < -1 || q->kind > SLOT_KIND_MAX || q->limit == 0 ||
        q->limit > SLOT_LIST_MAX || q->date_from > SLOT_DAY_MAX ||
        q->date_to > SLOT_DAY_MAX) {
        return SLOT_INVALID_ARGUMENT;
    }
    struct slot_str hospital, department, doctor, after;
    int rc = checkStr(q->hospital, slot_valid_name, SLOT_NAME_MAX);
    if (rc == SLOT_OK) {
        hospital =
            (struct slot_str){q->hospital, (uint32_t)strlen(q->hospital)};
        rc = optStr(q->department, slot_valid_name, SLOT_NAME_MAX, &department);
    }
    if (rc == SLOT_OK) {
        rc = optStr(q->doctor, slot_valid_name, SLOT_NAME_MAX, &doctor);
    }
    if (rc == SLOT_OK) {
        rc = optStr(q->after, slot_valid_pool_id, SLOT_POOL_ID_MAX, &after);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b =
        blkNew(hospital.len + department.len + doctor.len + after.len + 4);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_QUERY;
    b->u.rd.hospital = blkBytes(b, hospital);
    b->u.rd.department = blkBytes(b, department);
    b->u.rd.doctor = blkBytes(b, doctor);
    b->u.rd.date_from = q->date_from;
    b->u.rd.date_to = q->date_to;
    b->u.rd.kind = q->kind < 0 ? SLOT_KIND_ANY : (uint8_t)q->kind;
    b->u.rd.pool = blkBytes(b, after);
    b->u.rd.limit = q->limit;
    return submitRead(c, req, SLOTC_OP_READ_QUERY, b, cb);
}

/* READ_RULES and READ_RULES_LOG: a hospital, and a department or a page. */
static int readRules(struct slotc *c, struct slotc_req *req, int op,
                     const char *hospital, const char *department,
                     uint64_t after_version, uint32_t limit, slotc_cb cb)
{
    struct slot_str dep;
    int rc = checkStr(hospital, slot_valid_name, SLOT_NAME_MAX);
    if (rc == SLOT_OK) {
        rc = optStr(department, slot_valid_name, SLOT_NAME_MAX, &dep);
    }
    if (rc == SLOT_OK && op == SLOTC_OP_READ_RULES_LOG &&
        (limit == 0 || limit > SLOT_LIST_MAX)) {
        rc = SLOT_INVALID_ARGUMENT;
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(hospital) + dep.len + 2);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op =
        op == SLOTC_OP_READ_RULES ? SLOT_READ_RULES : SLOT_READ_RULES_LOG;
    b->u.rd.hospital = blkStr(b, hospital);
    b->u.rd.department = blkBytes(b, dep);
    b->u.rd.after_version = after_version;
    b->u.rd.limit = limit;
    return submitRead(c, req, op, b, cb);
}

int slotc_read_rules(struct slotc *c, struct slotc_req *req,
                     const char *hospital, const char *department, slotc_cb cb)
{
    return readRules(c, req, SLOTC_OP_READ_RULES, hospital, department, 0, 0,
                     cb);
}

int slotc_read_rules_log(struct slotc *c, struct slotc_req *req,
                         const char *hospital, uint64_t after_version,
                         uint32_t limit, slotc_cb cb)
{
    return readRules(c, req, SLOTC_OP_READ_RULES_LOG, hospital, NULL,
                     after_version, limit, cb);
}

/* PATIENT_INFO and ACCOUNT: one key. */
static int readKey(struct slotc *c, struct slotc_req *req, int op,
                   uint8_t wire_op, const char *key, slotc_cb cb)
{
    int rc = checkStr(key, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(key) + 1);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = wire_op;
    if (wire_op == SLOT_READ_ACCOUNT) {
        b->u.rd.account = blkStr(b, key);
    } else {
        b->u.rd.patient = blkStr(b, key);
    }
    return submitRead(c, req, op, b, cb);
}

int slotc_read_patient_info(struct slotc *c, struct slotc_req *req,
                            const char *patient, slotc_cb cb)
{
    return readKey(c, req, SLOTC_OP_READ_PATIENT_INFO, SLOT_READ_PATIENT_INFO,
                   patient, cb);
}

int slotc_read_account(struct slotc *c, struct slotc_req *req,
                       const char *account, slotc_cb cb)
{
    return readKey(c, req, SLOTC_OP_READ_ACCOUNT, SLOT_READ_ACCOUNT, account,
                   cb);
}

int slotc_read_waitlist(struct slotc *c, struct slotc_req *req,
                        const char *pool, const char *patient, slotc_cb cb)
{
    int rc = checkStr(pool, slot_valid_pool_id, SLOT_POOL_ID_MAX);
    if (rc == SLOT_OK) {
        rc = checkStr(patient, slot_valid_patient_key, SLOT_PATIENT_KEY_MAX);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(pool) + strlen(patient) + 2);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_WAITLIST;
    b->u.rd.pool = blkStr(b, pool);
    b->u.rd.patient = blkStr(b, patient);
    return submitRead(c, req, SLOTC_OP_READ_WAITLIST, b, cb);
}

int slotc_read_staff_log(struct slotc *c, struct slotc_req *req,
                         uint64_t after_seq, uint32_t limit, slotc_cb cb)
{
    if (limit == 0 || limit > SLOT_LIST_MAX) {
        return SLOT_INVALID_ARGUMENT;
    }
    struct blk *b = blkNew(0);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_STAFF_LOG;
    b->u.rd.after_version = after_seq;
    b->u.rd.limit = limit;
    return submitRead(c, req, SLOTC_OP_READ_STAFF_LOG, b, cb);
}

int slotc_read_pool_claims(struct slotc *c, struct slotc_req *req,
                           const char *pool, uint64_t after_id, uint32_t limit,
                           slotc_cb cb)
{
    int rc = checkStr(pool, slot_valid_pool_id, SLOT_POOL_ID_MAX);
    if (rc == SLOT_OK && (limit == 0 || limit > SLOT_LIST_MAX)) {
        rc = SLOT_INVALID_ARGUMENT;
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(strlen(pool) + 1);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_POOL_CLAIMS;
    b->u.rd.pool = blkStr(b, pool);
    b->u.rd.after_id = after_id;
    b->u.rd.limit = limit;
    return submitRead(c, req, SLOTC_OP_READ_POOL_CLAIMS, b, cb);
}

int slotc_read_events(struct slotc *c, struct slotc_req *req, uint64_t after,
                      uint32_t limit, slotc_cb cb)
{
    if (limit == 0 || limit > SLOT_LIST_MAX) {
        return SLOT_INVALID_ARGUMENT;
    }
    struct blk *b = blkNew(0);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_EVENTS;
    b->u.rd.after_id = after;
    b->u.rd.limit = limit;
    return submitRead(c, req, SLOTC_OP_READ_EVENTS, b, cb);
}

int slotc_read_recon(struct slotc *c, struct slotc_req *req, uint32_t day,
                     const char *hospital, const char *channel, uint32_t after,
                     uint32_t limit, slotc_cb cb)
{
    struct slot_str hosp, chan;
    int rc =
        day == 0 || day > SLOT_DAY_MAX || limit == 0 || limit > SLOT_LIST_MAX
            ? SLOT_INVALID_ARGUMENT
            : optStr(hospital, slot_valid_name, SLOT_NAME_MAX, &hosp);
    if (rc == SLOT_OK) {
        rc = optStr(channel, slot_valid_channel, SLOT_CHANNEL_MAX, &chan);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(hosp.len + chan.len + 2);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_RECON;
    b->u.rd.day = day;
    b->u.rd.hospital = blkBytes(b, hosp);
    b->u.rd.channel = blkBytes(b, chan);
    b->u.rd.after_id = after;
    b->u.rd.limit = limit;
    return submitRead(c, req, SLOTC_OP_READ_RECON, b, cb);
}

int slotc_read_stats(struct slotc *c, struct slotc_req *req,
                     const char *hospital, uint32_t date_from, uint32_t date_to,
                     uint32_t after, uint32_t limit, slotc_cb cb)
{
    struct slot_str hosp;
    bool days_ok = date_from >= 1 && date_from <= date_to &&
                   date_to <= SLOT_DAY_MAX &&
                   date_to - date_from < SLOT_STATS_DAYS_MAX;
    int rc = !days_ok || limit == 0 || limit > SLOT_LIST_MAX
                 ? SLOT_INVALID_ARGUMENT
                 : optStr(hospital, slot_valid_name, SLOT_NAME_MAX, &hosp);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct blk *b = blkNew(hosp.len + 1);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.rd.op = SLOT_READ_STATS;
    b->u.rd.hospital = blkBytes(b, hosp);
    b->u.rd.date_from = date_from;
    b->u.rd.date_to = date_to;
    b->u.rd.after_id = after;
    b->u.rd.limit = limit;
    return submitRead(c, req, SLOTC_OP_READ_STATS, b, cb);
}

int slotc_schedule_check(struct slotc *c, struct slotc_req *req,
                         const struct slotc_template *tpl, slotc_cb cb)
{
    struct blk *b;
    int rc = templateBlk(tpl, 0, true, &b);
    if (rc != SLOT_OK) {
        return rc;
    }
    b->u.rd.op = SLOT_READ_SCHEDULE_CHECK;
    return submitRead(c, req, SLOTC_OP_SCHEDULE_CHECK, b, cb);
}

static int submitAdmin(struct slotc *c, struct slotc_req *req, int op,
                       uint8_t wire_op, uint64_t id, const char *address,
                       int role, slotc_cb cb)
{
    if ((wire_op == SLOT_ADMIN_ADD || wire_op == SLOT_ADMIN_ASSIGN ||
         wire_op == SLOT_ADMIN_REMOVE) &&
        id == 0) {
        return SLOT_INVALID_ARGUMENT;
    }
    if (wire_op == SLOT_ADMIN_ASSIGN && (role < 0 || role > SLOT_ROLE_SPARE)) {
        return SLOT_INVALID_ARGUMENT;
    }
    if (wire_op == SLOT_ADMIN_ADD) {
        if (address == NULL || address[0] == '\0') {
            return SLOT_INVALID_ARGUMENT;
        }
        if (strnlen(address, SLOT_ADDRESS_MAX + 1) > SLOT_ADDRESS_MAX) {
            return SLOT_TOO_LARGE;
        }
    }
    struct blk *b = blkNew(0);
    if (b == NULL) {
        return SLOT_BUSY;
    }
    b->u.adm.op = wire_op;
    b->u.adm.no_hash =
        wire_op == SLOT_ADMIN_STATUS && (req->flags & SLOTC_NO_HASH) != 0;
    b->u.adm.id = id;
    b->u.adm.role = (uint8_t)role;
    if (address != NULL) {
        copyStr(b->u.adm.address, sizeof b->u.adm.address, address);
    }
    return submit(c, req, op, K_ADMIN, wire_op != SLOT_ADMIN_STATUS, b, cb);
}

int slotc_status(struct slotc *c, struct slotc_req *req, slotc_cb cb)
{
    return submitAdmin(c, req, SLOTC_OP_STATUS, SLOT_ADMIN_STATUS, 0, NULL, 0,
                       cb);
}

int slotc_member_add(struct slotc *c, struct slotc_req *req, uint64_t id,
                     const char *address, slotc_cb cb)
{
    return submitAdmin(c, req, SLOTC_OP_MEMBER_ADD, SLOT_ADMIN_ADD, id, address,
                       0, cb);
}

int slotc_member_assign(struct slotc *c, struct slotc_req *req, uint64_t id,
                        int role, slotc_cb cb)
{
    return submitAdmin(c, req, SLOTC_OP_MEMBER_ASSIGN, SLOT_ADMIN_ASSIGN, id,
                       NULL, role, cb);
}

int slotc_member_remove(struct slotc *c, struct slotc_req *req, uint64_t id,
                        slotc_cb cb)
{
    return submitAdmin(c, req, SLOTC_OP_MEMBER_REMOVE, SLOT_ADMIN_REMOVE, id,
                       NULL, 0, cb);
}

int slotc_transfer(struct slotc *c, struct slotc_req *req, uint64_t id,
                   slotc_cb cb)
{
    return submitAdmin(c, req, SLOTC_OP_TRANSFER, SLOT_ADMIN_TRANSFER, id, NULL,
                       0, cb);
}
