/* node_coreInt: what node_core.c (requests, batching, admin) and
 * node_core_read.c (reads and their barriers) share. Not a public
 * contract: node_core.h is.
 *
 * The two files are separate compilation units on purpose: the read path's
 * entry points are called across them, so a test-only build can replace
 * one at link time (-Wl,--wrap, see node/test/bug_nobarrier.c) without any
 * switch in these sources.
 */
#ifndef SLOT_NODE_COREINT_H
#define SLOT_NODE_COREINT_H

#include "leader_clock.h"
#include "node_core.h"

#define NODE_CORE_ADDR_CAP 256

/* One command of a batch: who waits for it. */
struct pend {
    struct node_conn *conn; /* NULL: the core's own EXPIRE or SWEEP */
    uint64_t tag;           /* conn == NULL: the op (SLOT_OP_EXPIRE/SWEEP) */
};

/* A proposed entry, until raft acknowledges it. */
struct batch {
    struct raft_apply req;
    struct node_core *core;
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
    struct node_core *core;
    struct rq *list;
};

struct node_core {
    struct raft *raft; /* not owned */
    struct fsm *fsm;   /* not owned */
    struct node_core_config cfg;
    char address[NODE_CORE_ADDR_CAP];
    bool closing, removed, was_member;
    struct node_core_stats st;

    /* The batch being filled. */
    struct slot_entry_builder cur;
    struct pend *cur_items; /* cfg.batch_cmds_max of them */
    uint32_t cur_n;
    size_t cur_bytes;
    /* Batches proposed and not yet acknowledged by raft. */
    struct batch *inflight[NODE_CORE_INFLIGHT_MAX];
    uint32_t n_inflight;
    uint64_t origin_seq;
    bool expire_queued; /* an EXPIRE is in the batch or in flight */
    bool sweep_queued;  /* a SWEEP is in the batch or in flight */

    /* The leader's stamps (leader_clock.h). */
    struct leader_clock clock;
    uint64_t leader_time_ms;  /* the latest stamp or tick decision */
    uint64_t clock_warn_mono; /* no out-of-band WARN before this */

    /* Linearizable reads: queued for the next barrier, and the barrier in
     * flight (at most one: the reads that arrive meanwhile wait for the
     * next, so a burst of reads costs one barrier per round trip). */
    struct rq *reads_head, *reads_tail;
    uint32_t n_reads;
    struct barrier *barrier;

    /* The last CANTCHANGE logged (node_core.c, logCantChange): raft's
     * state then, when, and refusals since that were not logged. */
    uint64_t cc_uncommitted, cc_promotee, cc_logged_ms, cc_quiet;
};

/* ---- node_core.c ---- */

/* Appends an ERROR frame for tag (NOT_LEADER / NO_LEADER with the
 * leader's id and client address as far as this node knows). executed
 * (enum slot_exec) must be the truth: SLOT_EXEC_NOT only when raft never
 * accepted the request (refused before raft_apply / raft_add / ..., or
 * a read), SLOT_EXEC_UNKNOWN once raft did. */
void node_core__reply_error(struct node_core *core, struct node_conn *c,
                            uint64_t tag, int code, uint8_t executed);
/* An accepted request (pending++) is answered: pending--, and c is
 * released if it was closed and nothing else is pending. */
void node_core__conn_done(struct node_conn *c);
/* The client code for work cut off by raft status (SHUTDOWN when the core
 * or raft is closing, else NOT_LEADER). */
int node_core__lost_code(const struct node_core *core, int status);
/* Logs and aborts: raft's state is no longer known to be consistent. */
_Noreturn void node_core__fatal(const char *what, int rv);

/* ---- node_core_read.c ---- */

/* Serves rd from this node's state at once, labelled with its applied
 * index (stale reads, and linearizable ones after their barrier). */
void node_core__read_local(struct node_core *core, struct node_conn *c,
                           uint64_t tag, const struct slot_read *rd);
/* A linearizable read (rd decoded from bytes[0..len), valid during the
 * call): on the leader, queued for the next barrier (pending++); else
 * NOT_LEADER, or BUSY beyond reads_max. The one place that decides that a
 * read waits for a barrier: test builds may replace it (bug_nobarrier.c). */
void node_core__read_linearizable(struct node_core *core, struct node_conn *c,
                                  uint64_t tag, const struct slot_read *rd,
                                  const uint8_t *bytes, uint32_t len);
/* Starts one barrier for the queued reads, unless one is in flight. */
void node_core__reads_flush(struct node_core *core);
/* Answers every queued read with status's code (stop). */
void node_core__reads_fail(struct node_core *core, int status);

#endif /* SLOT_NODE_COREINT_H */
