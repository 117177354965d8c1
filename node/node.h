/* node: one slotd replica on a libuv loop. Raft (libraft on raft_uv, with
 * the TCP transport of transport.h and the fail-stop wrapper of iofail.h),
 * the ledger FSM (fsm.h, snapshots encoded by a forked child: snapfork.h),
 * and the leader's request path, which is node_core.h's: batching, bounded
 * in-flight entries, results routed back to the waiting requests,
 * linearizable reads through barriers, expiry proposals, membership and
 * status. Single-threaded, on one loop.
 *
 * Layering: server.c (client TCP) calls node_request() for each decoded
 * frame; the node answers by appending reply frames to the connection's
 * `out` buffer and calling its `wake` hook (struct node_conn, node_core.h).
 * The node never touches client sockets. What a request does, which
 * errors it gets and when: node_core.h.
 */
#ifndef SLOT_NODE_H
#define SLOT_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "node_core.h"
#include "slot_proto.h"

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
    uint32_t clock_max_skew_ms;  /* the leader's stamps: wall clock within
                                  * this of extrapolated ledger time
                                  * (leader_clock.h) */
    bool count_hot_pools;        /* count HOLDs per pool for /metrics'
                                  * hot pools (slotd: with --metrics and
                                  * --metrics-hot-pools >= 1); off, the
                                  * apply path does not hash pool ids */
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

/* Handles one request frame from connection c (node_core_request). The
 * frame's payload is only valid during the call. */
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

/* Fills v for one scrape of slotd's /metrics (metrics.h's collect
 * callback; data is the struct node). O(1): counters of the node, raft
 * and the ledger (ledger_info), never the state hash. */
struct metrics_values;
void node_metrics_collect(void *data, struct metrics_values *v);

/* True once the node has found itself removed from the configuration and
 * shut down raft (a removed member would otherwise keep campaigning). */
bool node_removed(const struct node *n);

#endif /* SLOT_NODE_H */
