/* node: one slotd replica. Raft (libraft on libuv), the ledger FSM, and the
 * leader's request path: batching, bounded in-flight entries, results
 * routed back to the waiting requests, linearizable reads through barriers,
 * expiry proposals, membership and status. Single-threaded, on one loop.
 *
 * Layering: server.c (client TCP) calls node_request() for each decoded
 * frame; the node answers by appending reply frames to the connection's
 * `out` buffer and calling its `wake` hook. The node never touches sockets.
 *
 * ---- A command's path on the leader -----------------------------------
 *
 *   node_request ──▶ current batch ──(end of loop turn, or full)──▶
 *   raft_apply ──▶ commit ──▶ fsm apply ──▶ applied_cb(origin) ──▶ replies
 *
 * A batch holds at most batch_cmds_max commands and batch_bytes_max bytes;
 * at most inflight_max batches are proposed and not yet applied. When the
 * current batch is full and no more may be proposed, new commands are
 * answered BUSY at once: the node never queues without bound.
 *
 * Errors a client sees before its command is executed come in an ERROR
 * frame (NOT_LEADER with the leader's id and client address, NO_LEADER,
 * BUSY, MALFORMED, ...). If leadership is lost after a command was
 * proposed, its outcome is unknown to this node: the client gets
 * NOT_LEADER / NO_LEADER and must retry the same (session, seq) elsewhere;
 * the ledger's session table makes that retry exactly-once.
 */
#ifndef SLOT_NODE_H
#define SLOT_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "slot_proto.h"

/* A client connection as the node sees it. Embedded in server.c's
 * connection; every field but `out` is the server's to set. */
struct node_conn {
    struct mp_buf out; /* reply frames, appended by the node */
    uint32_t pending;  /* requests accepted and not yet answered */
    bool closed;       /* the socket is gone: answers are dropped */
    void (*wake)(struct node_conn *c);    /* `out` gained bytes */
    void (*release)(struct node_conn *c); /* closed and pending == 0 */
};

struct node_options {
    uint64_t id;                 /* >= 1 */
    const char *dir;             /* data directory (created if missing) */
    const char *address;         /* "RAFT_HOST:PORT/CLIENT_HOST:PORT" */
    const char *bootstrap;       /* "ID=RAFT/CLIENT,..." or NULL */
    bool join;                   /* start empty; a leader adds this node */
    uint32_t batch_cmds_max;     /* 1..SLOT_BATCH_CMDS_MAX */
    uint32_t batch_bytes_max;    /* <= SLOT_ENTRY_MAX */
    uint32_t inflight_max;       /* batches proposed, not yet applied */
    uint32_t reads_max;          /* linearizable reads waiting */
    uint32_t conn_pending_max;   /* unanswered requests per connection */
    uint32_t snapshot_threshold; /* entries between snapshots (base: see
                                  * node_snapshot_threshold) */
    uint32_t snapshot_trailing;  /* entries kept after a snapshot */
    uint32_t heartbeat_ms;
    uint32_t election_ms;
    uint32_t expire_interval_ms; /* how often the leader looks for due holds */
    int64_t clock_offset_ms;     /* added to the clock: fault tests only */
    /* Called once when the node finds itself removed from the cluster
     * (slotd then stops: a removed member would keep campaigning). */
    void (*removed_cb)(void *data);
    void *removed_data;
};

/* Fills o with the documented defaults (see node.c, "Defaults"). */
void node_options_default(struct node_options *o);

/* The snapshot threshold this node gives raft: o->snapshot_threshold
 * stretched by (o->id mod 4)/8, so that replicas applying the same entries
 * do not all snapshot at the same moment. */
uint32_t node_snapshot_threshold(const struct node_options *o);

struct node;

/* Creates the node and starts raft (bootstrap or join as the options say).
 * On error returns a raft error code and a message in errmsg. */
int node_start(uv_loop_t *loop, const struct node_options *o, struct node **out,
               char *errmsg, size_t errmsg_len);

/* Handles one request frame from connection c. The frame's payload is only
 * valid during the call. */
void node_request(struct node *n, struct node_conn *c,
                  const struct slot_frame *f);

/* A connection closed: forget it in pending work. After this, the node
 * calls c->release once c->pending drops to zero (at once if it is zero). */
void node_conn_closed(struct node *n, struct node_conn *c);

/* Stops raft and every timer; answers everything pending with SHUTDOWN;
 * calls cb(data) when all handles are closed and n can be freed with
 * node_free(). */
void node_stop(struct node *n, void (*cb)(void *data), void *data);
void node_free(struct node *n);

/* True once the node has found itself removed from the configuration and
 * shut down raft (a removed member would otherwise keep campaigning). */
bool node_removed(const struct node *n);

#endif /* SLOT_NODE_H */
