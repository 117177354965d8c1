/* transport: raft's TCP transport, wrapped.
 *
 * Why a wrapper: raft 0.22.1's TCP transport never sets TCP_NODELAY, and
 * with Nagle's algorithm on, pipelined AppendEntries wait for delayed ACKs
 * (measured: 64 commands per entry with 8 entries in flight fell to ~270
 * entries/s at 44 ms p50). The wrapper sets it on every accepted and every
 * connected stream.
 *
 * It also lets a member's address carry its client address: the address
 * stored in the Raft configuration is "RAFT_HOST:PORT/CLIENT_HOST:PORT",
 * so every node can tell clients where the leader listens (NOT_LEADER
 * hints) from the replicated configuration alone. The wrapper hands only the
 * part before '/' to the TCP transport.
 */
#ifndef SLOT_TRANSPORT_H
#define SLOT_TRANSPORT_H

#include <raft.h>
#include <raft/uv.h>
#include <stddef.h>
#include <uv.h>

struct transport {
    struct raft_uv_transport outer; /* pass &t->outer to raft_uv_init */
    struct raft_uv_transport inner; /* raft's TCP transport */
    char raft_address[256];         /* the inner transport keeps this pointer */
    raft_uv_accept_cb accept_cb;
    raft_uv_transport_close_cb close_cb;
};

/* Initialises both layers on loop. Returns 0 or a raft error code. */
int transport_init(struct transport *t, uv_loop_t *loop);
/* Releases the TCP transport's memory; call after raft_close completed. */
void transport_close(struct transport *t);

/* Splits "RAFT/CLIENT" into its parts (NUL-terminated copies into raft and
 * client, each of cap bytes; client is "" when absent). Returns 0, or -1 if
 * a part does not fit. */
int transport_addr_split(const char *full, char *raft, char *client,
                         size_t cap);

#endif /* SLOT_TRANSPORT_H */
