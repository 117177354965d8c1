/* node_core: the leader's request path of one replica, on a raft it does not
 * own. Requests, batching, bounded in-flight entries, results routed back to
 * the waiting requests, linearizable reads through barriers, expiry
 * proposals, status replies and membership requests.
 *
 * The core sees raft only through `struct raft *` (started by its owner:
 * raft_uv in slotd, raft's in-memory fixture in node/test/test_sim.c), the
 * fsm (node/fsm.h) and two clock callbacks (wall, monotonic). It has no loop, no socket, no
 * timer and no disk: its owner, the shell (node/node.c), calls
 * node_core_flush() at the end of every loop turn and node_core_tick()
 * periodically, and gives it the requests of its connections. Everything
 * happens on one thread: the owner's calls and raft's callbacks.
 *
 * ---- A command's path on the leader -----------------------------------
 *
 *   node_core_request ──▶ current batch ──(node_core_flush, or full)──▶
 *   raft_apply ──▶ commit ──▶ fsm apply ──▶ node_core_applied(origin)
 *   ──▶ raft's apply callback ──▶ RESULT frames on the waiting connections
 *
 * A batch holds at most batch_cmds_max commands and batch_bytes_max bytes;
 * at most inflight_max batches are proposed and not yet applied. When the
 * current batch is full and no more may be proposed, new commands are
 * answered BUSY at once: the core never queues without bound. Each entry
 * carries an origin (origin_base + a sequence number) by which the
 * proposing core finds its batch again when the entry is applied.
 *
 * Errors come in an ERROR frame (NOT_LEADER with the leader's id and
 * client address, NO_LEADER, BUSY, SHUTDOWN, IO, MALFORMED, ...) that says
 * whether the request was executed (slot_proto.h, enum slot_exec): NOT
 * when it was refused before raft accepted it (every read, every refusal
 * on a follower, BUSY, a closing node), UNKNOWN when raft accepted it and
 * then failed it (leadership lost or shutdown with the entry in flight, a
 * membership change whose callback reports an error, unless it was a
 * promotion that failed while raft still caught the server up: its entry
 * was never appended, NOT). After UNKNOWN the entry may still commit under
 * the next leader: the client must retry the same (session, seq)
 * elsewhere; the ledger's session table makes that retry exactly-once.
 *
 * ---- A connection, as the core sees it ---------------------------------
 *
 *   open ──node_core_request──▶ pending > 0 ──answers──▶ pending == 0
 *     │                            │
 *     └──node_core_conn_closed─────┴──▶ closed: answers dropped ──▶
 *                                       release(c) once pending == 0
 *
 * Every answer is appended to c->out as a whole frame, followed by a call
 * of c->wake(c). wake may come from inside any core function or raft
 * callback: it only notes that `out` gained bytes and must not call the
 * core.
 */
#ifndef SLOT_NODE_CORE_H
#define SLOT_NODE_CORE_H

#include <raft.h>
#include <stdbool.h>
#include <stdint.h>

#include "fsm.h"
#include "slot_proto.h"

/* A client connection as the core sees it, embedded in its owner's
 * connection (server.c, or a simulated client). The owner zeroes it, sets
 * up `out` (mp_buf_init), `wake` and `release`, and empties `out` (sends
 * it) whenever it likes; `pending` and `closed` are the core's. The owner
 * frees it only after release(c). */
struct node_conn {
    struct mp_buf out; /* reply frames, appended by the core */
    uint32_t pending;  /* requests accepted and not yet answered */
    bool closed;       /* the owner is gone: answers are dropped */
    void (*wake)(struct node_conn *c);    /* `out` gained bytes */
    void (*release)(struct node_conn *c); /* closed and pending == 0 */
};

struct node_core_config {
    uint64_t id;               /* this node's raft id, >= 1 */
    const char *address;       /* "RAFT/CLIENT", for status replies */
    uint32_t batch_cmds_max;   /* 1..SLOT_BATCH_CMDS_MAX */
    uint32_t batch_bytes_max;  /* 1..SLOT_ENTRY_MAX */
    uint32_t inflight_max;     /* 1..NODE_CORE_INFLIGHT_MAX */
    uint32_t reads_max;        /* linearizable reads waiting, >= 1 */
    uint32_t conn_pending_max; /* unanswered requests per connection */
    uint32_t expire_max;       /* holds one EXPIRE may free:
                                * 1..SLOT_EXPIRE_MAX (slotd: the maximum) */
    uint32_t sweep_max;        /* work one SWEEP may do: 0 (= expire_max)
                                * or 1..SLOT_EXPIRE_MAX (slotd: 1024) */
    uint64_t origin_base;      /* low 32 bits 0; origins are origin_base
                                * + 1, + 2, ...: distinct from any other
                                * proposer's, including this node's
                                * previous runs */
    /* The wall clock, in ms since the epoch. The leader stamps entries
     * with it and decides that a hold or a flow-back is due by it, clamped
     * to max_skew_ms around ledger time extrapolated by mono_ms
     * (leader_clock.h): a wall clock that jumps moves ledger time by at
     * most max_skew_ms per leadership term. */
    uint64_t (*now_ms)(void *data);
    /* A monotonic clock in ms (slotd: CLOCK_MONOTONIC), never stepped;
     * its origin is arbitrary and this node's own. */
    uint64_t (*mono_ms)(void *data);
    uint64_t max_skew_ms; /* the band's half-width; 0: no clamp (tests) */
    /* The leader removed member `id`: tell it on its client address (raft
     * stops talking to a removed node, which would campaign forever). May
     * be NULL. client_address is valid during the call only. */
    void (*tell_removed)(void *data, uint64_t id, const char *client_address);
    /* Called once when this node finds itself removed from the cluster
     * (slotd then stops). May be NULL. */
    void (*removed_cb)(void *data);
    void *data; /* passed to the callbacks above */
};

#define NODE_CORE_INFLIGHT_MAX 64

/* Counters, for logs and tests (test_sim asserts that the paths it claims
 * to cover ran). Monotonic; never reset. */
struct node_core_stats {
    uint64_t batches;        /* entries handed to raft_apply */
    uint64_t commands;       /* commands in them (EXPIRE sweeps included) */
    uint64_t batches_full;   /* proposed before the turn ended: full */
    uint64_t results;        /* RESULT frames (commands answered) */
    uint64_t busy;           /* BUSY answers */
    uint64_t not_leader;     /* NOT_LEADER / NO_LEADER answers */
    uint64_t lost;           /* accepted commands answered an error */
    uint64_t lost_unknown;   /* ... of them after raft took their entry
                              * (ERROR executed = UNKNOWN) */
    uint64_t unapplied_acks; /* raft acknowledged an entry this node had
                              * not applied (answered NOT_LEADER) */
    uint64_t barriers;       /* raft barriers started for reads */
    uint64_t reads_barrier;  /* reads served after a barrier */
    uint64_t reads_local;    /* reads served from local state at once */
    uint64_t sweeps;         /* EXPIRE commands queued */
    uint64_t sweeps_chained; /* ... because the previous one left holds due */
    uint64_t flow_sweeps;    /* SWEEP commands queued (flow-back due) */
    uint64_t admin_changes;  /* membership changes / transfers started */
    uint64_t cantchange;     /* membership changes raft refused with
                              * RAFT_CANTCHANGE (answered BUSY) */
    uint64_t clock_anchors;  /* leadership terms whose band was anchored */
    uint64_t clock_anchors_wall; /* ... on the wall clock */
    uint64_t clock_clamped;      /* leader clock reads outside the band */
    /* The commit path's stalls (node_core_turn): loop turns of at least
     * SLOT_STALL_US while leader, and the longest; in STATUS. */
    uint64_t leader_stalls;
    uint64_t leader_stall_max_us;
};

struct node_core;

/* Creates a core for raft r (initialised, and started or about to be, by
 * the caller, who keeps owning it) and fsm f (the fsm r applies entries
 * to; owned by the caller). cfg is copied, cfg->address too. The caller
 * must route f's applied_cb to node_core_applied(). Returns 0, or
 * RAFT_NOMEM / RAFT_INVALID (a bound out of range) with *out == NULL. */
int node_core_create(struct raft *r, struct fsm *f,
                     const struct node_core_config *cfg,
                     struct node_core **out);

/* Handles one request frame from connection c (open). The frame's payload
 * is only valid during the call. The answer comes now or later, through
 * c->out and c->wake. */
void node_core_request(struct node_core *core, struct node_conn *c,
                       const struct slot_frame *f);

/* The owner is done with c: answers from now on are dropped, and the core
 * calls c->release(c) once c->pending drops to zero (at once if it is zero,
 * from inside this call). */
void node_core_conn_closed(struct node_core *core, struct node_conn *c);

/* The fsm applied an entry (origin as the proposer put it, cmds and
 * results valid during the call only): if this core proposed it, the
 * results are kept for the waiting requests, which are answered when raft
 * acknowledges the entry. Call from the fsm's applied_cb, on every node. */
void node_core_applied(struct node_core *core, uint64_t origin,
                       const struct slot_cmd *cmds,
                       const struct slot_result *results, uint32_t n);

/* The end of a loop turn: proposes the batch of the commands read in this
 * turn, and one barrier for the linearizable reads queued. */
void node_core_flush(struct node_core *core);

/* The loop turn that just ended ran busy_us of callbacks without polling
 * (the owner measures it: the core has no clock of its own). On the
 * leader, one of at least SLOT_STALL_US counts as a stall on the commit
 * path (stats, STATUS): every client and follower waited behind it. */
void node_core_turn(struct node_core *core, uint64_t busy_us);

/* Periodic work (slotd: every expire_interval_ms): notices a removal from
 * the configuration; on the leader, queues an EXPIRE when a hold is due by
 * now_ms, and a SWEEP when a pool's flow-back is (ledger_next_sweep_ms),
 * both proposed by the next node_core_flush. One of each at a time; one
 * that leaves work due is followed by another as soon as it is applied. */
void node_core_tick(struct node_core *core);

/* The owner is about to close raft: commands not yet proposed and reads
 * waiting for a barrier are answered SHUTDOWN now; what raft still holds
 * is answered SHUTDOWN by raft's callbacks during raft_close. From now on
 * commands, linearizable reads and membership changes are answered
 * SHUTDOWN (stale reads and status are still served from local state). */
void node_core_stop(struct node_core *core);

/* Frees the core. Precondition: raft_close has completed (no raft callback
 * can reach the core any more). Connections still open are the owner's. */
void node_core_destroy(struct node_core *core);

/* True once the node found itself removed from the configuration, or was
 * told so by the leader (LEAVE). */
bool node_core_removed(const struct node_core *core);

const struct node_core_stats *node_core_stats(const struct node_core *core);

/* The leader time of this core's latest stamp or tick decision (its wall
 * clock clamped to the band), 0 before any. */
uint64_t node_core_leader_time_ms(const struct node_core *core);

#endif /* SLOT_NODE_CORE_H */
